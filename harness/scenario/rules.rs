//! The rules of `spicebench.scenario/v1` that serde does not check: ranges and defaults,
//! which keys each kind takes, and the rules across tables (lz4 only as a client preference,
//! `[desktop]` and `wait_for window` only on a desktop spicebench can look at, points inside
//! the geometry, which viewers each transport and target can carry). Every error names the
//! file, the line and the dotted key, and says what to write instead.

use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::access::{is_ssh_destination, Access, SshServer, TransportKind, ViewerKind};
use super::error::{CompressionError, ScenarioError};
use super::machine::QemuMachine;
use super::matrix::MatrixProblem;
use super::password::{is_env_name, PasswordSource};
use super::raw::{self, At, List, OneOrMany, PathKind, StepKind};
use super::schema::{
    Click, Compression, Drag, DragPath, Geometry, Point, Prefer, Preference, Scenario, SpiceUri,
    Step, Target, TlsTrustSpec, WaitCondition, WaitFor, MAX_COORDINATE, SCHEMA,
};
use super::target_kind::TargetKind;
use super::workload::{DesktopSpec, KnobAxes, VideoCodecList};
use crate::keyboard::{is_typeable, key_named, key_names, Key};

type Result<T> = std::result::Result<T, ScenarioError>;

/// How deep `repeat` blocks may nest.
const MAX_REPEAT_DEPTH: u32 = 3;
/// Most input events (plus one for every step, as unrolled) one run may plan; repeats
/// multiply. Beyond this a typo in `count` is more likely than a benchmark, and counting the
/// steps too bounds the planner's work: nested repeats of pauses send nothing but would
/// still take the planner forever to unroll.
const MAX_PLANNED_EVENTS: u64 = 2_000_000;
/// Default wait for a window or a quiet display.
const DEFAULT_WAIT: Duration = Duration::from_secs(30);
/// Default typing speed, characters per second (a fast typist).
const DEFAULT_TYPE_RATE_HZ: u32 = 20;
/// Each head's size when a multi-head target gives none: the seed's monitors.
const MULTI_HEAD_GEOMETRY: Geometry = Geometry {
    width: 1920,
    height: 1200,
};
/// What a TLS target needs to trust its server.
const TLS_NEEDS_CA: &str = "a TLS target needs ca_file = \"ca.pem\" (the CA that signed the \
                            server's certificate)";

/// Parses and validates `text`, naming `path` in errors and in [`Scenario::source`].
pub(super) fn scenario_from_text(text: &str, path: &Path) -> Result<Scenario> {
    let cx = Cx { text, path };
    let root: raw::Root = serde_path_to_error::deserialize(toml::Deserializer::new(text))
        .map_err(|e| super::de_error::scenario_error(text, path, e))?;
    if let Some(v) = root.schema.as_ref().filter(|v| v.get_ref() != SCHEMA) {
        let msg = format!(
            "unsupported schema `{}`; this spicebench reads \"{SCHEMA}\"",
            v.get_ref()
        );
        return Err(cx.at(v, "schema", msg));
    }
    let name = scenario_name(cx, root.name)?;
    let Some(raw_target) = root.target else {
        let hint = "missing; add a [target] table with kind = \"xspice\", kind = \"qemu\" or kind = \"external\"";
        return Err(cx.err(0, "target", hint));
    };
    // Errors about the target as a whole point at its `kind`.
    let (target, target_at) = target(cx, raw_target)?;
    let access = access(cx, &root.access)?;
    let kind = target.kind();
    let desktop = root
        .desktop
        .map_or(Ok(DesktopSpec::default()), |d| desktop(cx, d, kind))?;
    let Some(raw_steps) = root.steps else {
        return Err(cx.err(0, "steps", "missing; add at least one [[steps]] table"));
    };
    let steps = steps(cx, raw_steps, "steps", target.geometry(), 0)?;
    let scenario = Scenario {
        name,
        description: root.description,
        source: path.to_owned(),
        seed: root.seed.map_or(1, |v| v.0),
        repeat: root.repeat.map_or(1, |v| v.0),
        idle_before: root.idle_before_s.map_or(Duration::from_secs(1), |v| v.0),
        settle_timeout: root
            .settle_timeout_s
            .map_or(Duration::from_secs(5), |v| v.0),
        target,
        access,
        desktop,
        steps,
    };
    if !kind.has_inspectable_desktop() {
        if let Some(line) = first_line(&scenario.steps, &window_wait_line) {
            let msg = "wait_for window needs a desktop spicebench can look at (kind = \
                       \"xspice\"); with an external server, wait with quiet_ms or pause instead";
            return Err(cx.on_line(line, "steps", msg));
        }
    }
    // The rules across the axes, which overrides follow too.
    match scenario.matrix_problem() {
        None => Ok(scenario),
        Some(MatrixProblem::Access(e)) => {
            let a = &root.access;
            let (key, at) = match (&a.viewers, &a.transports) {
                (Some(v), _) => ("access.viewers", v.at()),
                (None, Some(t)) => ("access.transports", t.at()),
                (None, None) => ("access", 0),
            };
            Err(cx.err(at, key, e.to_string()))
        }
        Some(MatrixProblem::Target(m)) => Err(cx.err(target_at, "target", m)),
        Some(MatrixProblem::Steps(m)) => {
            Err(cx.on_line(first_prefer(&scenario.steps).unwrap_or(1), "steps", m))
        }
    }
}

/// The line of the first step (repeats included) for which `line_of` gives one.
fn first_line(steps: &[Step], line_of: &dyn Fn(&Step) -> Option<usize>) -> Option<usize> {
    steps.iter().find_map(|s| match s {
        Step::Repeat { steps, .. } => first_line(steps, line_of),
        other => line_of(other),
    })
}

/// The line of the first `prefer` step, repeats included.
pub(super) fn first_prefer(steps: &[Step]) -> Option<usize> {
    first_line(steps, &|s| match s {
        Step::Prefer(p) => Some(p.line),
        _ => None,
    })
}

fn window_wait_line(s: &Step) -> Option<usize> {
    match s {
        Step::WaitFor(w) => matches!(w.condition, WaitCondition::Window(_)).then_some(w.line),
        _ => None,
    }
}

fn scenario_name(cx: Cx<'_>, v: Option<Spanned<String>>) -> Result<String> {
    let v = cx.need(v, 0, "name", "add name = \"my-scenario\"")?;
    let name = v.get_ref();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let msg = if name.is_empty() || !name.chars().all(allowed) {
        format!(
            "must be letters, digits, '_', '.' or '-' only (it is used in file names), got `{name}`"
        )
    } else if name == "." || name == ".." {
        format!("must not be `{name}`, which means a folder in file names")
    } else {
        return Ok(v.into_inner());
    };
    Err(cx.at(&v, "name", msg))
}

/// `[target]`, and the offset of its `kind` (where errors about the whole target point).
fn target(cx: Cx<'_>, mut t: raw::Target) -> Result<(Target, usize)> {
    if let Some(v) = &t.password {
        let msg = "a password must never be written in a scenario file; use password_env = \
                   \"VARIABLE\" or password_file = \"path/to/file\"";
        return Err(cx.at(v, "target.password", msg));
    }
    let first_key = t.leftover().map_or(0, |(_, at)| at);
    let hint = "add kind = \"xspice\", kind = \"qemu\" or kind = \"external\"";
    let kind = cx.need(t.kind.take(), first_key, "target.kind", hint)?;
    let (at, kind) = (kind.at(), kind.into_inner());
    let compression = compressions(cx, &mut t, kind)?;
    let knobs = knob_axes(cx, &mut t, kind.can_set_server_knobs())?;
    let target = match kind {
        TargetKind::Xspice => {
            let heads = t.heads.take().map_or(1, |v| v.into_inner().0);
            let geometry = match &t.geometry.take() {
                Some(v) => geometry(cx, v)?,
                None if heads > 1 => MULTI_HEAD_GEOMETRY,
                None => Geometry::default(),
            };
            if u64::from(geometry.width) * u64::from(heads) > u64::from(Geometry::MAX) {
                let msg = format!(
                    "{heads} heads of {geometry} make a screen wider than {} pixels; use fewer \
                     or narrower heads",
                    Geometry::MAX
                );
                return Err(cx.err(at, "target", msg));
            }
            Target::Xspice {
                geometry,
                heads,
                compression,
                knobs,
                tls: t.tls.take().is_some_and(Spanned::into_inner),
                idle_activity: (t.idle_activity.take())
                    .map_or_else(Default::default, |v| v.into_inner()),
            }
        }
        TargetKind::Qemu => Target::Qemu {
            machine: machine(cx, &mut t)?,
            compression,
            knobs,
        },
        TargetKind::External => {
            let hint = "add uri = \"spice://host:port\"";
            let uri_val = cx.need(t.uri.take(), at, "target.uri", hint)?;
            let mut uri: SpiceUri =
                (uri_val.get_ref().parse()).map_err(|e: super::error::UriError| {
                    cx.at(&uri_val, "target.uri", e.to_string())
                })?;
            if let Some(v) = t.tls_port.take() {
                uri.port = v.into_inner().0;
                uri.tls = true;
            }
            Target::External {
                tls: tls_trust(cx, &mut t, uri.tls, at)?,
                uri,
                password: password(cx, &mut t)?,
                geometry: t.geometry.take().map(|v| geometry(cx, &v)).transpose()?,
                compression,
                knobs,
            }
        }
    };
    if let Some((key, offset)) = t.leftover() {
        let msg = format!("`{key}` does not apply to kind = \"{kind}\"; remove it");
        return Err(cx.err(offset, format!("target.{key}"), msg));
    }
    Ok((target, at))
}

/// A `qemu` target's machine: each key optional, the X driver defaulting to the device's own.
fn machine(cx: Cx<'_>, t: &mut raw::Target) -> Result<QemuMachine> {
    let defaults = QemuMachine::default();
    let gpu = t.gpu.take().map_or(defaults.gpu, Spanned::into_inner);
    let x_driver = match t.x_driver.take() {
        Some(v) if !gpu.supports(*v.get_ref()) => {
            let msg = format!(
                "the {} X driver needs the qxl device; use x_driver = \"modesetting\" with \
                 gpu = \"{gpu}\", or gpu = \"qxl\"",
                v.get_ref()
            );
            return Err(cx.at(&v, "target.x_driver", msg));
        }
        Some(v) => v.into_inner(),
        None => gpu.default_x_driver(),
    };
    Ok(QemuMachine {
        accel: t.accel.take().map_or(defaults.accel, Spanned::into_inner),
        gpu,
        x_driver,
        pointer: t
            .pointer
            .take()
            .map_or(defaults.pointer, Spanned::into_inner),
        memory_mib: (t.memory_mib.take()).map_or(defaults.memory_mib, |v| v.into_inner().0),
        cpus: t.cpus.take().map_or(defaults.cpus, |v| v.into_inner().0),
    })
}

/// `compression` or `image_compression` (QEMU's and libvirt's name), each once, never empty;
/// the default is `auto_glz`. lz4 is refused by [`Target::check_compression`]'s rule.
fn compressions(cx: Cx<'_>, t: &mut raw::Target, kind: TargetKind) -> Result<Vec<Compression>> {
    let (list, key) = match (t.compression.take(), t.image_compression.take()) {
        (Some(_), Some(v)) => {
            let msg = "image_compression and compression are the same setting; keep one of them";
            return Err(cx.at(&v, "target.image_compression", msg));
        }
        (Some(v), None) => (v, "target.compression"),
        (None, Some(v)) => (v, "target.image_compression"),
        (None, None) => return Ok(vec![Compression::AutoGlz]),
    };
    let server = kind.can_set_server_knobs();
    if list.get_ref().is_empty() {
        let names = Compression::ALL
            .into_iter()
            .filter(|c| *c != Compression::Lz4 || !server);
        let names: Vec<&str> = names.map(Compression::as_str).collect();
        let msg = format!(
            "the compression list is empty; give at least one of: {}",
            names.join(", ")
        );
        return Err(cx.at(&list, key, msg));
    }
    for (i, c) in list.get_ref().iter().enumerate() {
        if *c.get_ref() == Compression::Lz4 && server {
            let msg = CompressionError::Lz4OnXspice.to_string();
            return Err(cx.at(c, format!("{key}[{i}]"), msg));
        }
    }
    cx.unique(&list, key)
}

/// How to trust a TLS target: exactly one of `ca_file` and `insecure_skip_verify = true`,
/// and neither without TLS.
fn tls_trust(
    cx: Cx<'_>,
    t: &mut raw::Target,
    tls: bool,
    at: usize,
) -> Result<Option<TlsTrustSpec>> {
    let (ca, skip) = (t.ca_file.take(), t.insecure_skip_verify.take());
    let skip_key = "target.insecure_skip_verify";
    if !tls {
        let set = (ca.as_ref().map(|v| ("target.ca_file", v.at())))
            .or(skip.as_ref().map(|v| (skip_key, v.at())));
        if let Some((key, offset)) = set {
            let msg =
                "only applies to a TLS target; use uri = \"spice+tls://host:port\" or tls_port";
            return Err(cx.err(offset, key, msg));
        }
        return Ok(None);
    }
    match (ca, skip) {
        (Some(_), Some(v)) if *v.get_ref() => {
            let msg = "give either ca_file or insecure_skip_verify = true, not both";
            Err(cx.at(&v, skip_key, msg))
        }
        (Some(c), _) => Ok(Some(TlsTrustSpec::CaFile(relative_to(
            cx.path,
            c.get_ref(),
        )))),
        (None, Some(v)) if *v.get_ref() => Ok(Some(TlsTrustSpec::InsecureSkipVerify)),
        (None, Some(v)) => {
            let msg = format!("{TLS_NEEDS_CA}; insecure_skip_verify = false adds nothing");
            Err(cx.at(&v, skip_key, msg))
        }
        (None, None) => {
            let msg =
                format!("{TLS_NEEDS_CA}, or insecure_skip_verify = true to accept any certificate");
            Err(cx.err(at, "target", msg))
        }
    }
}

fn password(cx: Cx<'_>, t: &mut raw::Target) -> Result<PasswordSource> {
    let file_key = "target.password_file";
    match (t.password_env.take(), t.password_file.take()) {
        (Some(_), Some(file)) => {
            let msg = "set only one of password_env and password_file, not both";
            Err(cx.at(&file, file_key, msg))
        }
        (Some(env), None) if !is_env_name(env.get_ref()) => {
            let msg = format!(
                "`{}` is not an environment variable name; use letters, digits and '_', not \
                 starting with a digit",
                env.get_ref()
            );
            Err(cx.at(&env, "target.password_env", msg))
        }
        (Some(env), None) => Ok(PasswordSource::Env(env.into_inner())),
        (None, Some(file)) if file.get_ref().is_empty() => {
            let msg = "must not be empty; give the path of a file holding the password";
            Err(cx.at(&file, file_key, msg))
        }
        (None, Some(file)) => Ok(PasswordSource::File(relative_to(cx.path, file.get_ref()))),
        (None, None) => Ok(PasswordSource::None),
    }
}

/// A path from a scenario file, relative to the scenario's folder like other paths in project
/// files, so a scenario works from any working directory.
fn relative_to(scenario_path: &Path, name: &str) -> PathBuf {
    match scenario_path.parent() {
        Some(dir) if Path::new(name).is_relative() => dir.join(name),
        _ => PathBuf::from(name),
    }
}

fn geometry(cx: Cx<'_>, v: &Spanned<String>) -> Result<Geometry> {
    (v.get_ref().parse())
        .map_err(|e: super::error::GeometryError| cx.at(v, "target.geometry", e.to_string()))
}

/// The knob axes of `[target]`. Without `server_side` (an external target, whose server
/// settings belong to whoever runs it) only `video_codecs`, a client preference, is allowed.
fn knob_axes(cx: Cx<'_>, t: &mut raw::Target, server_side: bool) -> Result<KnobAxes> {
    // Each knob of `t` by its key: where it is set, and its axis.
    macro_rules! set_at {
        ($($key:ident),+) => { [$((stringify!($key), t.$key.as_ref().map(At::at))),+] };
    }
    macro_rules! knob {
        ($key:ident, $parse:expr) => {{
            let key = concat!("target.", stringify!($key));
            axis(cx, t.$key.take(), key, $parse)?
        }};
    }
    let server_only = set_at!(
        jpeg_wan_compression,
        zlib_glz_wan_compression,
        streaming_video,
        playback_compression
    );
    if let (false, Some((key, Some(at)))) =
        (server_side, server_only.iter().find(|k| k.1.is_some()))
    {
        let msg = format!(
            "{key} is a setting of the server, which spicebench does not start for an external \
             target; set it where the server runs (QEMU -spice {}=…, libvirt <graphics>) and \
             remove it here. A client can only ask for image compression (compression) and \
             video codecs (video_codecs)",
            key.replace('_', "-")
        );
        return Err(cx.err(*at, format!("target.{key}"), msg));
    }
    let codecs = |cx: Cx<'_>, v: &Spanned<String>, key: &str| {
        VideoCodecList::parse(v.get_ref()).map_err(|e| cx.at(v, key, e))
    };
    Ok(KnobAxes {
        jpeg_wan: knob!(jpeg_wan_compression, copied),
        zlib_glz_wan: knob!(zlib_glz_wan_compression, copied),
        streaming_video: knob!(streaming_video, copied),
        video_codecs: knob!(video_codecs, codecs),
        playback: knob!(playback_compression, copied),
    })
}

/// An [`axis`] item as it is.
fn copied<T: Copy>(_: Cx<'_>, v: &Spanned<T>, _: &str) -> Result<T> {
    Ok(*v.get_ref())
}

/// A knob's values: one value or a list of them, never empty, each once, read by `parse`.
fn axis<T, U: PartialEq + fmt::Display>(
    cx: Cx<'_>,
    v: Option<Spanned<OneOrMany<T>>>,
    key: &str,
    parse: impl Fn(Cx<'_>, &Spanned<T>, &str) -> Result<U>,
) -> Result<Vec<U>> {
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    let span = v.span();
    let items: Vec<(Spanned<T>, String)> = match v.into_inner() {
        OneOrMany::One(x) => vec![(Spanned::new(span, x), key.to_owned())],
        OneOrMany::Many(list) if list.is_empty() => {
            let msg = "the list is empty; give at least one value (or leave the key out)";
            return Err(cx.err(span.start, key, msg));
        }
        OneOrMany::Many(list) => (list.into_iter().enumerate())
            .map(|(i, x)| (x, format!("{key}[{i}]")))
            .collect(),
    };
    let mut out: Vec<U> = Vec::with_capacity(items.len());
    for (item, key) in &items {
        let value = parse(cx, item, key)?;
        if out.contains(&value) {
            let msg = format!("`{value}` is listed twice; list each one once");
            return Err(cx.at(item, key, msg));
        }
        out.push(value);
    }
    Ok(out)
}

/// `[desktop]`, which sets up the desktop spicebench starts.
fn desktop(cx: Cx<'_>, d: raw::Desktop, kind: TargetKind) -> Result<DesktopSpec> {
    if let (false, Some((_, at))) = (kind.has_inspectable_desktop(), d.leftover()) {
        let msg = "[desktop] sets up the desktop spicebench starts, so it needs kind = \
                   \"xspice\"; an external server shows its own desktop: remove [desktop]";
        return Err(cx.err(at, "desktop", msg));
    }
    let compositor = axis(cx, d.compositor, "desktop.compositor", copied)?;
    Ok(DesktopSpec {
        content: d.content.map(Spanned::into_inner).unwrap_or_default(),
        compositor: if compositor.is_empty() {
            vec![false]
        } else {
            compositor
        },
    })
}

/// `[access]`: transports × ssh_compression × viewers.
fn access(cx: Cx<'_>, a: &raw::Access) -> Result<Access> {
    let transports = (a.transports.as_ref()).map_or(Ok(vec![TransportKind::Direct]), |v| {
        cx.unique(v, "access.transports")
    })?;
    let ssh_compression = match &a.ssh_compression {
        Some(v) if !transports.iter().any(|t| t.is_ssh()) => {
            let msg = "applies only to ssh-tunnel and ssh-x; add one of them to transports or \
                       remove ssh_compression";
            return Err(cx.at(v, "access.ssh_compression", msg));
        }
        Some(v) => cx.unique(v, "access.ssh_compression")?,
        None => vec![false],
    };
    let viewers = (a.viewers.as_ref()).map_or(Ok(vec![ViewerKind::Native]), |v| {
        cx.unique(v, "access.viewers")
    })?;
    let ssh = match (&a.ssh, &a.ssh_config) {
        (Some(dest), _) if !is_ssh_destination(dest.get_ref()) => {
            let msg = format!(
                "`{}` is not an ssh destination; give user@host or a Host alias of your ssh \
                 config (no spaces, not starting with '-')",
                dest.get_ref()
            );
            return Err(cx.at(dest, "access.ssh", msg));
        }
        (Some(dest), config) => SshServer::External {
            destination: dest.get_ref().clone(),
            config: config.as_ref().map(|c| relative_to(cx.path, c.get_ref())),
        },
        (None, Some(c)) => {
            let msg = "only applies with ssh = \"user@host\"; the managed sshd has its own config";
            return Err(cx.at(c, "access.ssh_config", msg));
        }
        (None, None) => SshServer::Managed,
    };
    let lan = match &a.lan {
        Some(_) if !transports.contains(&TransportKind::Lan) => {
            let at = a.transports.as_ref().map_or(0, |t| t.span().start);
            let msg = "[access.lan] is the link of the lan transport; add \"lan\" to transports \
                       or remove [access.lan]";
            return Err(cx.err(at, "access.lan", msg));
        }
        lan => lan.unwrap_or_default(),
    };
    Ok(Access {
        routes: Access::routes_of(&transports, &ssh_compression)
            .into_iter()
            .map(|r| r.with_lan_link(lan))
            .collect(),
        viewers,
        ssh,
    })
}

/// The `steps` array at `key` (top level or inside a repeat).
fn steps(
    cx: Cx<'_>,
    list: Spanned<List<raw::Step>>,
    key: &str,
    bounds: Option<Geometry>,
    depth: u32,
) -> Result<Vec<Step>> {
    if list.get_ref().is_empty() {
        return Err(cx.at(&list, key, "needs at least one step; add a [[steps]] table"));
    }
    let at = list.at();
    let steps = (list.into_inner().into_iter().enumerate())
        .map(|(i, st)| step(cx, st, &format!("{key}[{i}]"), bounds, depth))
        .collect::<Result<Vec<_>>>()?;
    let events = planned_events(&steps);
    if events > MAX_PLANNED_EVENTS {
        let msg = format!(
            "these steps plan {events} input events and steps (repeats unrolled), more than \
             the {MAX_PLANNED_EVENTS} one run may plan; lower a repeat count, a duration or a \
             rate"
        );
        return Err(cx.err(at, key, msg));
    }
    Ok(steps)
}

/// About how many input events steps plan, plus one for each step (for the size limit only).
fn planned_events(steps: &[Step]) -> u64 {
    let one = |step: &Step| match step {
        Step::Drag(d) => d.move_count().saturating_add(3),
        // Not inputs, but each is a segment and a message or a poll: repeats of them count.
        Step::Pause(_) | Step::WaitFor(_) | Step::Prefer(_) => 1,
        Step::Click(c) => 1 + 2 * u64::from(c.count),
        Step::Key(keys) => 2 * keys.len() as u64,
        Step::Type { text, .. } => 4 * text.len() as u64,
        Step::Repeat { count, steps } => u64::from(*count).saturating_mul(planned_events(steps)),
    };
    steps.iter().map(one).fold(0, u64::saturating_add)
}

/// One step at `key`; its keys are taken by its kind, and any left belong to another kind.
fn step(
    cx: Cx<'_>,
    st: Spanned<raw::Step>,
    key: &str,
    bounds: Option<Geometry>,
    depth: u32,
) -> Result<Step> {
    let at = st.at();
    let mut s = st.into_inner();
    let k = |field: &str| format!("{key}.{field}");
    let kinds = StepKind::ALL.map(|k| format!("\"{k}\"")).join(", ");
    let kind = cx.need(
        s.kind.take(),
        at,
        &k("kind"),
        &format!("add kind = one of {kinds}"),
    )?;
    let kind = kind.into_inner();
    let step = match kind {
        StepKind::Drag => Step::Drag(drag(cx, &mut s, at, key, bounds)?),
        StepKind::Pause => {
            let d = cx.need(
                s.duration_s.take(),
                at,
                &k("duration_s"),
                "add duration_s = 0.5",
            )?;
            Step::Pause(d.into_inner().0)
        }
        StepKind::Click => {
            let p = cx.need(s.at.take(), at, &k("at"), "add at = [x, y]")?;
            Step::Click(Click {
                at: point(cx, &p, &k("at"), bounds)?,
                count: (s.count.take().as_ref())
                    .map_or(Ok(1), |v| cx.int(v, &k("count"), 1..=3))?,
                button: s.button.take().map(Spanned::into_inner).unwrap_or_default(),
            })
        }
        StepKind::Key => {
            let hint = "add keys = \"ctrl+s\" (names joined by +)";
            Step::Key(chord(
                cx,
                &cx.need(s.keys.take(), at, &k("keys"), hint)?,
                &k("keys"),
            )?)
        }
        StepKind::Type => {
            let v = cx.need(s.text.take(), at, &k("text"), "add text = \"what to type\"")?;
            if v.get_ref().is_empty() {
                let msg = "the text is empty; give at least one character";
                return Err(cx.at(&v, k("text"), msg));
            }
            if let Some(c) = v.get_ref().chars().find(|c| !is_typeable(*c)) {
                let msg = format!(
                    "cannot type {c:?}: only printable ASCII, tab and newline have keys on the \
                     US layout spicebench types with"
                );
                return Err(cx.at(&v, k("text"), msg));
            }
            // At most 40 a second, so a shifted character (24 ms) ends before the next starts.
            let rate_hz = (s.rate_hz.take().as_ref()).map_or(Ok(DEFAULT_TYPE_RATE_HZ), |r| {
                cx.int(r, &k("rate_hz"), 1..=40)
            })?;
            Step::Type {
                text: v.into_inner(),
                rate_hz,
            }
        }
        StepKind::WaitFor => Step::WaitFor(wait_for(cx, &mut s, at, key)?),
        StepKind::Prefer => Step::Prefer(prefer(cx, &mut s, at, key)?),
        StepKind::Repeat => {
            if depth >= MAX_REPEAT_DEPTH {
                let msg = format!("repeat blocks nest at most {MAX_REPEAT_DEPTH} deep");
                return Err(cx.err(at, key, msg));
            }
            let count = cx.need(s.count.take(), at, &k("count"), "add count = 10")?;
            let count = cx.int(&count, &k("count"), 1..=10_000)?;
            let hint = "add the steps to repeat, e.g. [[steps.steps]] tables after this one";
            let inner = cx.need(s.steps.take(), at, &k("steps"), hint)?;
            let steps = steps(cx, inner, &k("steps"), bounds, depth + 1)?;
            Step::Repeat { count, steps }
        }
    };
    if let Some((field, offset)) = s.leftover() {
        let msg = format!("`{field}` is not a key of a {kind} step; remove it");
        return Err(cx.err(offset, k(field), msg));
    }
    Ok(step)
}

fn drag(
    cx: Cx<'_>,
    s: &mut raw::Step,
    at: usize,
    key: &str,
    bounds: Option<Geometry>,
) -> Result<Drag> {
    let k = |field: &str| format!("{key}.{field}");
    let from = cx.need(s.from.take(), at, &k("from"), "add from = [x, y]")?;
    let from = point(cx, &from, &k("from"), bounds)?;
    let path = match (s.to.take(), s.path.take()) {
        (Some(_), Some(p)) => {
            let msg = "give either `to` or `path`, not both";
            return Err(cx.err(p.at(), k("path"), msg));
        }
        (Some(to), None) => DragPath::To(point(cx, &to, &k("to"), bounds)?),
        (None, Some(p)) => {
            let step_px = p.step_px.map_or(10, |v| v.0);
            match p.kind.get_ref() {
                PathKind::Erratic => DragPath::Erratic { step_px },
            }
        }
        (None, None) => {
            let msg = "a drag needs either to = [x, y] or path = { kind = \"erratic\" }";
            return Err(cx.err(at, key, msg));
        }
    };
    let duration = cx.need(
        s.duration_s.take(),
        at,
        &k("duration_s"),
        "add duration_s = 1.0",
    )?;
    let hint = "add rate_hz = 100 (pointer events per second)";
    let rate = cx.need(s.rate_hz.take(), at, &k("rate_hz"), hint)?;
    Ok(Drag {
        from,
        path,
        duration: duration.into_inner().0,
        rate_hz: cx.int(&rate, &k("rate_hz"), 1..=1000)?,
        button: s.button.take().map(Spanned::into_inner).unwrap_or_default(),
        hold: s.hold_s.take().map_or(Duration::ZERO, |v| v.into_inner().0),
    })
}

/// `"ctrl+shift+s"`: key names joined by `+`, each at most once.
fn chord(cx: Cx<'_>, v: &Spanned<String>, key: &str) -> Result<Vec<Key>> {
    let text = v.get_ref();
    let mut keys = Vec::new();
    for name in text.split('+').map(str::trim) {
        let Some(k) = key_named(name) else {
            let msg = format!(
                "unknown key `{name}` in \"{text}\"; keys are joined by + from: {}",
                key_names().join(", ")
            );
            return Err(cx.at(v, key, msg));
        };
        if keys.contains(&k) {
            return Err(cx.at(v, key, format!("`{name}` appears twice in \"{text}\"")));
        }
        keys.push(k);
    }
    Ok(keys)
}

fn wait_for(cx: Cx<'_>, s: &mut raw::Step, at: usize, key: &str) -> Result<WaitFor> {
    let k = |field: &str| format!("{key}.{field}");
    let condition = match (s.window.take(), s.quiet_ms.take()) {
        (Some(_), Some(q)) => {
            let msg = "give either `window` or `quiet_ms`, not both (use two steps)";
            return Err(cx.at(&q, k("quiet_ms"), msg));
        }
        (Some(w), None) if w.get_ref().trim().is_empty() => {
            let msg = "the window title is empty; give part of the title to wait for";
            return Err(cx.at(&w, k("window"), msg));
        }
        (Some(w), None) => WaitCondition::Window(w.into_inner()),
        (None, Some(q)) => WaitCondition::Quiet(Duration::from_millis(q.into_inner().0)),
        (None, None) => {
            let msg = "a wait_for needs window = \"part of a title\" or quiet_ms = 500 (display \
                       quiet that long)";
            return Err(cx.err(at, key, msg));
        }
    };
    let timeout = s
        .timeout_s
        .take()
        .map_or(DEFAULT_WAIT, |v| v.into_inner().0);
    Ok(WaitFor {
        condition,
        timeout,
        line: cx.line(at),
    })
}

fn prefer(cx: Cx<'_>, s: &mut raw::Step, at: usize, key: &str) -> Result<Prefer> {
    let codecs_key = format!("{key}.video_codecs");
    let preference = match (s.compression.take(), s.video_codecs.take()) {
        (Some(_), Some(v)) => {
            let msg = "give either `compression` or `video_codecs`, not both (use two prefer \
                       steps: each gets its own mark of when it took effect)";
            return Err(cx.at(&v, codecs_key, msg));
        }
        (Some(c), None) => Preference::Compression(c.into_inner()),
        (None, Some(v)) => Preference::VideoCodecs(
            VideoCodecList::parse(v.get_ref()).map_err(|e| cx.at(&v, codecs_key, e))?,
        ),
        (None, None) => {
            let msg = "a prefer step needs compression = \"glz\" (an image compression) or \
                       video_codecs = \"gstreamer:vp8\" (video codecs, first preferred)";
            return Err(cx.err(at, key, msg));
        }
    };
    Ok(Prefer {
        preference,
        line: cx.line(at),
    })
}

/// `[x, y]`, inside `bounds` when the target's size is known.
fn point(cx: Cx<'_>, v: &Spanned<List<i64>>, key: &str, bounds: Option<Geometry>) -> Result<Point> {
    let [x, y] = v.get_ref().as_slice() else {
        let n = v.get_ref().len();
        let msg = format!("expected a point [x, y], got an array of {n} values");
        return Err(cx.at(v, key, msg));
    };
    let max = i64::from(MAX_COORDINATE);
    let p = Point {
        x: cx.int(x, &format!("{key}[0]"), 0..=max)?,
        y: cx.int(y, &format!("{key}[1]"), 0..=max)?,
    };
    match bounds {
        Some(g) if !g.contains(p) => {
            let msg = format!(
                "[{}, {}] lies outside the target geometry {g}; x must be below {} and y below {}",
                p.x, p.y, g.width, g.height
            );
            Err(cx.at(v, key, msg))
        }
        _ => Ok(p),
    }
}

/// What every error needs: the text for line numbers and the file's name.
#[derive(Clone, Copy)]
struct Cx<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Cx<'_> {
    /// 1-based line of a byte offset; offsets past the end count as the last line.
    fn line(&self, offset: usize) -> usize {
        super::de_error::line_of(self.text, offset)
    }

    fn on_line(
        &self,
        line: usize,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.path.to_owned(),
            line,
            key: key.into(),
            message: msg.into(),
        }
    }

    fn err(&self, offset: usize, key: impl Into<String>, msg: impl Into<String>) -> ScenarioError {
        self.on_line(self.line(offset), key, msg)
    }

    fn at<T>(
        &self,
        v: &Spanned<T>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> ScenarioError {
        self.err(v.at(), key, msg)
    }

    /// A required key, or an error at its table (`table_at`) that says what to add.
    fn need<T>(
        &self,
        v: Option<Spanned<T>>,
        table_at: usize,
        key: &str,
        hint: &str,
    ) -> Result<Spanned<T>> {
        v.ok_or_else(|| self.err(table_at, key, format!("missing; {hint}")))
    }

    /// An integer in `range`, as the type it is used as (which holds every value of `range`).
    fn int<T: TryFrom<i64>>(
        &self,
        v: &Spanned<i64>,
        key: &str,
        range: RangeInclusive<i64>,
    ) -> Result<T> {
        let n = *v.get_ref();
        match T::try_from(n) {
            Ok(t) if range.contains(&n) => Ok(t),
            _ => {
                let (lo, hi) = range.into_inner();
                Err(self.at(v, key, format!("must be between {lo} and {hi}, got {n}")))
            }
        }
    }

    /// A non-empty list of distinct values.
    fn unique<T: PartialEq + Copy + fmt::Display>(
        &self,
        list: &Spanned<List<T>>,
        key: &str,
    ) -> Result<Vec<T>> {
        if list.get_ref().is_empty() {
            return Err(self.at(list, key, "the list is empty; give at least one"));
        }
        let mut out = Vec::new();
        for (i, item) in list.get_ref().iter().enumerate() {
            let v = *item.get_ref();
            if out.contains(&v) {
                let msg = format!("`{v}` is listed twice; list each one once");
                return Err(self.at(item, format!("{key}[{i}]"), msg));
            }
            out.push(v);
        }
        Ok(out)
    }
}
