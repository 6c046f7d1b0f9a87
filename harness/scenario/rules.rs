//! The rules of `spicebench.scenario/v1` that serde does not check: ranges and defaults,
//! which keys each kind takes, and the rules across tables (lz4 only as a client preference,
//! `[desktop]` and `wait_for window` only on a desktop spicebench can look at, points inside
//! the geometry, which viewers each transport and target can carry). Every error names the
//! file, the line and the dotted key, and says what to write instead.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use crate::keyboard::{is_typeable, key_named, key_names, Key};

use super::access::{is_ssh_destination, Access, SshServer, TransportKind, ViewerKind};
use super::error::{CompressionError, ScenarioError};
use super::matrix::MatrixProblem;
use super::password::{is_env_name, PasswordSource};
use super::raw::{self, At as _, List, OneOrMany, PathKind, StepKind};
use super::schema::{
    Click, Compression, Drag, DragPath, Geometry, Point, Prefer, Preference, Scenario, SpiceUri,
    Step, Target, TlsTrustSpec, WaitCondition, WaitFor, MAX_COORDINATE, SCHEMA,
};
use super::target_kind::TargetKind;
use super::workload::{DesktopSpec, KnobAxes, VideoCodecList};

type Result<T> = std::result::Result<T, ScenarioError>;

/// Longest single step.
const MAX_STEP_SECONDS: f64 = 600.0;
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
/// Most heads an Xspice target may have (the qxl driver's NumHeads default is 4).
const MAX_HEADS: i64 = 4;
/// Each head's size when a multi-head target gives none: the seed's monitors.
const MULTI_HEAD_GEOMETRY: Geometry = Geometry {
    width: 1920,
    height: 1200,
};

/// Parses and validates `text`, naming `path` in errors and in [`Scenario::source`].
pub(super) fn scenario_from_text(text: &str, path: &Path) -> Result<Scenario> {
    let cx = Cx { text, path };
    let root: raw::Root = serde_path_to_error::deserialize(toml::Deserializer::new(text))
        .map_err(|e| super::de_error::scenario_error(text, path, e))?;
    if let Some(v) = &root.schema {
        if v.get_ref() != SCHEMA {
            let msg = format!(
                "unsupported schema `{}`; this spicebench reads \"{SCHEMA}\"",
                v.get_ref()
            );
            return Err(cx.at(v, "schema", msg));
        }
    }
    let name = scenario_name(cx, root.name)?;
    let seed = match &root.seed {
        Some(v) => u64::try_from(cx.int_in(v, "seed", 0, i64::MAX)?).unwrap_or_default(),
        None => 1,
    };
    let repeat = match &root.repeat {
        Some(v) => cx.uint(v, "repeat", 1, 100)?,
        None => 1,
    };
    let idle_before = match &root.idle_before_s {
        Some(v) => cx.seconds(v, "idle_before_s", 0.0, true, 60.0)?,
        None => Duration::from_secs(1),
    };
    let settle_timeout = match &root.settle_timeout_s {
        Some(v) => cx.seconds(v, "settle_timeout_s", 0.1, true, 60.0)?,
        None => Duration::from_secs(5),
    };
    let Some(raw_target) = root.target else {
        let hint = "missing; add a [target] table with kind = \"xspice\" or kind = \"external\"";
        return Err(cx.err(0, "target", hint));
    };
    // Errors about the target as a whole point at its `kind`.
    let (target, target_at) = target(cx, raw_target)?;
    let (access, access_at) = access(cx, root.access)?;
    let desktop = match root.desktop {
        Some(d) => desktop(cx, d, target.kind())?,
        None => DesktopSpec::default(),
    };
    let Some(raw_steps) = root.steps else {
        return Err(cx.err(0, "steps", "missing; add at least one [[steps]] table"));
    };
    let steps = steps(cx, raw_steps, "steps", target.geometry(), 0)?;
    if !target.kind().has_inspectable_desktop() {
        if let Some(line) = first_line(&steps, &window_wait_line) {
            return Err(ScenarioError::Invalid {
                path: path.to_owned(),
                line,
                key: "steps".into(),
                message: "wait_for window needs a desktop spicebench can look at \
                          (kind = \"xspice\"); with an external server, wait with quiet_ms or \
                          pause instead"
                    .into(),
            });
        }
    }
    let scenario = Scenario {
        name,
        description: root.description,
        source: path.to_owned(),
        seed,
        repeat,
        idle_before,
        settle_timeout,
        target,
        access,
        desktop,
        steps,
    };
    // The rules across the axes, which overrides follow too.
    let (offset, key, message) = match scenario.matrix_problem() {
        None => return Ok(scenario),
        Some(MatrixProblem::Access(e)) => (access_at.1, access_at.0, e.to_string()),
        Some(MatrixProblem::Target(m)) => (target_at, "target", m.to_string()),
        Some(MatrixProblem::Steps(m)) => {
            let line = first_prefer(&scenario.steps).unwrap_or(1);
            return Err(ScenarioError::Invalid {
                path: path.to_owned(),
                line,
                key: "steps".into(),
                message: m.into(),
            });
        }
    };
    Err(cx.err(offset, key, message))
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
    if name.is_empty() || !name.chars().all(allowed) {
        let msg = format!(
            "must be letters, digits, '_', '.' or '-' only (it is used in file names), got `{name}`"
        );
        return Err(cx.at(&v, "name", msg));
    }
    if name == "." || name == ".." {
        let msg = format!("must not be `{name}`, which means a folder in file names");
        return Err(cx.at(&v, "name", msg));
    }
    Ok(v.into_inner())
}

/// `[target]`, and the offset of its `kind` (where errors about the whole target point).
fn target(cx: Cx<'_>, mut t: raw::Target) -> Result<(Target, usize)> {
    if let Some(v) = &t.password {
        return Err(cx.at(
            v,
            "target.password",
            "a password must never be written in a scenario file; use password_env = \
             \"VARIABLE\" or password_file = \"path/to/file\"",
        ));
    }
    let first_key = t.leftover().map_or(0, |(_, at)| at);
    let hint = "add kind = \"xspice\" or kind = \"external\"";
    let kind = cx.need(t.kind.take(), first_key, "target.kind", hint)?;
    let at = kind.span().start;
    let kind = kind.into_inner();
    let compression = compressions(cx, &mut t, kind)?;
    let knobs = knob_axes(cx, &mut t, kind.can_set_server_knobs())?;
    let target = match kind {
        TargetKind::Xspice => {
            let heads = match &t.heads.take() {
                Some(v) => cx.uint(v, "target.heads", 1, MAX_HEADS)?,
                None => 1,
            };
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
                idle_activity: t
                    .idle_activity
                    .take()
                    .map(Spanned::into_inner)
                    .unwrap_or_default(),
            }
        }
        TargetKind::External => {
            let uri_val = cx.need(
                t.uri.take(),
                at,
                "target.uri",
                "add uri = \"spice://host:port\"",
            )?;
            let mut uri: SpiceUri =
                uri_val
                    .get_ref()
                    .parse()
                    .map_err(|e: super::error::UriError| {
                        cx.at(&uri_val, "target.uri", e.to_string())
                    })?;
            if let Some(v) = &t.tls_port.take() {
                uri.port = u16::try_from(cx.int_in(v, "target.tls_port", 1, 65535)?).unwrap_or(1);
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
    if list.get_ref().is_empty() {
        let names: Vec<&str> = Compression::ALL
            .into_iter()
            .filter(|c| *c != Compression::Lz4 || !kind.can_set_server_knobs())
            .map(Compression::as_str)
            .collect();
        let msg = format!(
            "the compression list is empty; give at least one of: {}",
            names.join(", ")
        );
        return Err(cx.at(&list, key, msg));
    }
    for (i, c) in list.get_ref().iter().enumerate() {
        if *c.get_ref() == Compression::Lz4 && kind.can_set_server_knobs() {
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
    if !tls {
        if let Some((key, offset)) = ca
            .as_ref()
            .map(|v| ("target.ca_file", v.span().start))
            .or(skip
                .as_ref()
                .map(|v| ("target.insecure_skip_verify", v.span().start)))
        {
            let msg =
                "only applies to a TLS target; use uri = \"spice+tls://host:port\" or tls_port";
            return Err(cx.err(offset, key, msg));
        }
        return Ok(None);
    }
    let skip_key = "target.insecure_skip_verify";
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
        (None, Some(v)) => Err(cx.at(
            &v,
            skip_key,
            "a TLS target needs ca_file = \"ca.pem\" (the CA that signed the server's \
             certificate); insecure_skip_verify = false adds nothing",
        )),
        (None, None) => Err(cx.err(
            at,
            "target",
            "a TLS target needs ca_file = \"ca.pem\" (the CA that signed the server's \
             certificate), or insecure_skip_verify = true to accept any certificate",
        )),
    }
}

fn password(cx: Cx<'_>, t: &mut raw::Target) -> Result<PasswordSource> {
    match (t.password_env.take(), t.password_file.take()) {
        (Some(_), Some(file)) => Err(cx.at(
            &file,
            "target.password_file",
            "set only one of password_env and password_file, not both",
        )),
        (Some(env), None) => {
            let var = env.get_ref();
            if !is_env_name(var) {
                let msg = format!(
                    "`{var}` is not an environment variable name; use letters, digits and '_', \
                     not starting with a digit"
                );
                return Err(cx.at(&env, "target.password_env", msg));
            }
            Ok(PasswordSource::Env(env.into_inner()))
        }
        (None, Some(file)) if file.get_ref().is_empty() => Err(cx.at(
            &file,
            "target.password_file",
            "must not be empty; give the path of a file holding the password",
        )),
        (None, Some(file)) => Ok(PasswordSource::File(relative_to(cx.path, file.get_ref()))),
        (None, None) => Ok(PasswordSource::None),
    }
}

/// A path from a scenario file, relative to the scenario's folder like other paths in project
/// files, so a scenario works from any working directory.
fn relative_to(scenario_path: &Path, name: &str) -> PathBuf {
    let p = PathBuf::from(name);
    match scenario_path.parent() {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p,
    }
}

fn geometry(cx: Cx<'_>, v: &Spanned<String>) -> Result<Geometry> {
    v.get_ref()
        .parse()
        .map_err(|e: super::error::GeometryError| cx.at(v, "target.geometry", e.to_string()))
}

/// The knob axes of `[target]`. Without `server_side` (an external target, whose server
/// settings belong to whoever runs it) only `video_codecs`, a client preference, is allowed.
fn knob_axes(cx: Cx<'_>, t: &mut raw::Target, server_side: bool) -> Result<KnobAxes> {
    if !server_side {
        let set = [
            (
                "jpeg_wan_compression",
                t.jpeg_wan_compression.as_ref().map(Spanned::span),
            ),
            (
                "zlib_glz_wan_compression",
                t.zlib_glz_wan_compression.as_ref().map(Spanned::span),
            ),
            (
                "streaming_video",
                t.streaming_video.as_ref().map(Spanned::span),
            ),
            (
                "playback_compression",
                t.playback_compression.as_ref().map(Spanned::span),
            ),
        ];
        if let Some((key, Some(span))) = set.into_iter().find(|(_, s)| s.is_some()) {
            let msg = format!(
                "{key} is a setting of the server, which spicebench does not start for an \
                 external target; set it where the server runs (QEMU -spice {}=…, libvirt \
                 <graphics>) and remove it here. A client can only ask for image compression \
                 (compression) and video codecs (video_codecs)",
                key.replace('_', "-")
            );
            return Err(cx.err(span.start, format!("target.{key}"), msg));
        }
    }
    Ok(KnobAxes {
        jpeg_wan: axis(
            cx,
            t.jpeg_wan_compression.take(),
            "target.jpeg_wan_compression",
            copied,
        )?,
        zlib_glz_wan: axis(
            cx,
            t.zlib_glz_wan_compression.take(),
            "target.zlib_glz_wan_compression",
            copied,
        )?,
        streaming_video: axis(
            cx,
            t.streaming_video.take(),
            "target.streaming_video",
            copied,
        )?,
        video_codecs: axis(
            cx,
            t.video_codecs.take(),
            "target.video_codecs",
            |cx, v, key| VideoCodecList::parse(v.get_ref()).map_err(|e| cx.at(v, key, e)),
        )?,
        playback: axis(
            cx,
            t.playback_compression.take(),
            "target.playback_compression",
            copied,
        )?,
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
        OneOrMany::Many(list) => list
            .into_iter()
            .enumerate()
            .map(|(i, x)| (x, format!("{key}[{i}]")))
            .collect(),
    };
    let mut out: Vec<U> = Vec::with_capacity(items.len());
    for (item, key) in &items {
        let value = parse(cx, item, key)?;
        if out.contains(&value) {
            return Err(cx.at(
                item,
                key,
                format!("`{value}` is listed twice; list each one once"),
            ));
        }
        out.push(value);
    }
    Ok(out)
}

/// `[desktop]`, which sets up the desktop spicebench starts.
fn desktop(cx: Cx<'_>, d: raw::Desktop, kind: TargetKind) -> Result<DesktopSpec> {
    if let (false, Some((_, at))) = (kind.has_inspectable_desktop(), d.leftover()) {
        return Err(cx.err(
            at,
            "desktop",
            "[desktop] sets up the desktop spicebench starts, so it needs kind = \"xspice\"; \
             an external server shows its own desktop: remove [desktop]",
        ));
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

/// `[access]`: transports × ssh_compression × viewers, and the key (with its offset) that
/// errors about a combination point at.
fn access(cx: Cx<'_>, a: raw::Access) -> Result<(Access, (&'static str, usize))> {
    let transports = match &a.transports {
        Some(v) => cx.unique(v, "access.transports")?,
        None => vec![TransportKind::Direct],
    };
    let ssh_compression = match &a.ssh_compression {
        Some(v) if !transports.iter().any(|t| t.is_ssh()) => {
            return Err(cx.at(
                v,
                "access.ssh_compression",
                "applies only to ssh-tunnel and ssh-x; add one of them to transports or \
                 remove ssh_compression",
            ))
        }
        Some(v) => cx.unique(v, "access.ssh_compression")?,
        None => vec![false],
    };
    let viewers = match &a.viewers {
        Some(v) => cx.unique(v, "access.viewers")?,
        None => vec![ViewerKind::Native],
    };
    let ssh = match (a.ssh, a.ssh_config) {
        (Some(dest), config) => {
            if !is_ssh_destination(dest.get_ref()) {
                let msg = format!(
                    "`{}` is not an ssh destination; give user@host or a Host alias of your ssh \
                     config (no spaces, not starting with '-')",
                    dest.get_ref()
                );
                return Err(cx.at(&dest, "access.ssh", msg));
            }
            SshServer::External {
                destination: dest.into_inner(),
                config: config.map(|c| relative_to(cx.path, c.get_ref())),
            }
        }
        (None, Some(c)) => {
            let msg = "only applies with ssh = \"user@host\"; the managed sshd has its own config";
            return Err(cx.at(&c, "access.ssh_config", msg));
        }
        (None, None) => SshServer::Managed,
    };
    let access = Access {
        routes: Access::routes_of(&transports, &ssh_compression),
        viewers,
        ssh,
    };
    let at = match (&a.viewers, &a.transports) {
        (Some(v), _) => ("access.viewers", v.span().start),
        (None, Some(t)) => ("access.transports", t.span().start),
        (None, None) => ("access", 0),
    };
    Ok((access, at))
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
    let span = list.span();
    let steps = list
        .into_inner()
        .into_iter()
        .enumerate()
        .map(|(i, st)| step(cx, st, &format!("{key}[{i}]"), bounds, depth))
        .collect::<Result<Vec<_>>>()?;
    let events: u64 = steps
        .iter()
        .map(planned_events)
        .fold(0, u64::saturating_add);
    if events > MAX_PLANNED_EVENTS {
        let msg = format!(
            "these steps plan {events} input events and steps (repeats unrolled), more than \
             the {MAX_PLANNED_EVENTS} one run may plan; lower a repeat count, a duration or a \
             rate"
        );
        return Err(cx.err(span.start, key, msg));
    }
    Ok(steps)
}

/// About how many input events a step plans, plus one for the step itself (for the size
/// limit only).
fn planned_events(step: &Step) -> u64 {
    match step {
        Step::Drag(d) => d.move_count().saturating_add(3),
        // Not inputs, but each is a segment and a message or a poll: repeats of them count.
        Step::Pause(_) | Step::WaitFor(_) | Step::Prefer(_) => 1,
        Step::Click(c) => 1 + 2 * u64::from(c.count),
        Step::Key(keys) => 2 * keys.len() as u64,
        Step::Type { text, .. } => 4 * text.len() as u64,
        Step::Repeat { count, steps } => u64::from(*count).saturating_mul(
            steps
                .iter()
                .map(planned_events)
                .fold(0, u64::saturating_add),
        ),
    }
}

/// One step at `key`; its keys are taken by its kind, and any left belong to another kind.
fn step(
    cx: Cx<'_>,
    st: Spanned<raw::Step>,
    key: &str,
    bounds: Option<Geometry>,
    depth: u32,
) -> Result<Step> {
    let at = st.span().start;
    let mut s = st.into_inner();
    let k = |field: &str| format!("{key}.{field}");
    let kinds = || StepKind::ALL.map(|k| format!("\"{k}\"")).join(", ");
    let hint = format!("add kind = one of {}", kinds());
    let kind = cx.need(s.kind.take(), at, &k("kind"), &hint)?.into_inner();
    let step = match kind {
        StepKind::Drag => Step::Drag(drag(cx, &mut s, at, key, bounds)?),
        StepKind::Pause => {
            let d = cx.need(
                s.duration_s.take(),
                at,
                &k("duration_s"),
                "add duration_s = 0.5",
            )?;
            Step::Pause(cx.seconds(&d, &k("duration_s"), 0.0, false, MAX_STEP_SECONDS)?)
        }
        StepKind::Click => {
            let p = cx.need(s.at.take(), at, &k("at"), "add at = [x, y]")?;
            Step::Click(Click {
                at: point(cx, &p, &k("at"), bounds)?,
                count: match &s.count.take() {
                    Some(v) => cx.uint(v, &k("count"), 1, 3)?,
                    None => 1,
                },
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
            let text = v.get_ref();
            if text.is_empty() {
                return Err(cx.at(
                    &v,
                    k("text"),
                    "the text is empty; give at least one character",
                ));
            }
            if let Some(c) = text.chars().find(|c| !is_typeable(*c)) {
                let msg = format!(
                    "cannot type {c:?}: only printable ASCII, tab and newline have keys on the \
                     US layout spicebench types with"
                );
                return Err(cx.at(&v, k("text"), msg));
            }
            let rate_hz = match &s.rate_hz.take() {
                // At most 40 a second, so a shifted character (24 ms) ends before the next starts.
                Some(r) => cx.uint(r, &k("rate_hz"), 1, 40)?,
                None => DEFAULT_TYPE_RATE_HZ,
            };
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
            let count = cx.uint(&count, &k("count"), 1, 10_000)?;
            let hint = "add the steps to repeat, e.g. [[steps.steps]] tables after this one";
            let inner = cx.need(s.steps.take(), at, &k("steps"), hint)?;
            Step::Repeat {
                count,
                steps: steps(cx, inner, &k("steps"), bounds, depth + 1)?,
            }
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
    let from = point(
        cx,
        &cx.need(s.from.take(), at, &k("from"), "add from = [x, y]")?,
        &k("from"),
        bounds,
    )?;
    let path = match (s.to.take(), s.path.take()) {
        (Some(_), Some(p)) => {
            let msg = "give either `to` or `path`, not both";
            return Err(cx.err(p.at(), k("path"), msg));
        }
        (Some(to), None) => DragPath::To(point(cx, &to, &k("to"), bounds)?),
        (None, Some(p)) => {
            let step_px = match &p.step_px {
                Some(v) => cx.uint(v, &k("path.step_px"), 1, 200)?,
                None => 10,
            };
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
        duration: cx.seconds(&duration, &k("duration_s"), 0.0, false, MAX_STEP_SECONDS)?,
        rate_hz: cx.uint(&rate, &k("rate_hz"), 1, 1000)?,
        button: s.button.take().map(Spanned::into_inner).unwrap_or_default(),
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
    let condition =
        match (s.window.take(), s.quiet_ms.take()) {
            (Some(_), Some(q)) => {
                let msg = "give either `window` or `quiet_ms`, not both (use two steps)";
                return Err(cx.at(&q, k("quiet_ms"), msg));
            }
            (Some(w), None) if w.get_ref().trim().is_empty() => {
                let msg = "the window title is empty; give part of the title to wait for";
                return Err(cx.at(&w, k("window"), msg));
            }
            (Some(w), None) => WaitCondition::Window(w.into_inner()),
            (None, Some(q)) => {
                let ms = cx.int_in(&q, &k("quiet_ms"), 1, 60_000)?;
                WaitCondition::Quiet(Duration::from_millis(u64::try_from(ms).unwrap_or(1)))
            }
            (None, None) => return Err(cx.err(
                at,
                key,
                "a wait_for needs window = \"part of a title\" or quiet_ms = 500 (display quiet \
                 that long)",
            )),
        };
    let timeout = match &s.timeout_s.take() {
        Some(v) => cx.seconds(v, &k("timeout_s"), 0.0, false, MAX_STEP_SECONDS)?,
        None => DEFAULT_WAIT,
    };
    Ok(WaitFor {
        condition,
        timeout,
        line: cx.line(at),
    })
}

fn prefer(cx: Cx<'_>, s: &mut raw::Step, at: usize, key: &str) -> Result<Prefer> {
    let preference = match (s.compression.take(), s.video_codecs.take()) {
        (Some(_), Some(v)) => {
            return Err(cx.at(
                &v,
                format!("{key}.video_codecs"),
                "give either `compression` or `video_codecs`, not both (use two prefer steps: \
                 each gets its own mark of when it took effect)",
            ))
        }
        (Some(c), None) => Preference::Compression(c.into_inner()),
        (None, Some(v)) => Preference::VideoCodecs(
            VideoCodecList::parse(v.get_ref())
                .map_err(|e| cx.at(&v, format!("{key}.video_codecs"), e))?,
        ),
        (None, None) => {
            return Err(cx.err(
                at,
                key,
                "a prefer step needs compression = \"glz\" (an image compression) or \
                 video_codecs = \"gstreamer:vp8\" (video codecs, first preferred)",
            ))
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
        let msg = format!(
            "expected a point [x, y], got an array of {} values",
            v.get_ref().len()
        );
        return Err(cx.at(v, key, msg));
    };
    let max = i64::from(MAX_COORDINATE);
    let p = Point {
        x: u32::try_from(cx.int_in(x, &format!("{key}[0]"), 0, max)?).unwrap_or_default(),
        y: u32::try_from(cx.int_in(y, &format!("{key}[1]"), 0, max)?).unwrap_or_default(),
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

    fn err(
        &self,
        offset: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.path.to_owned(),
            line: self.line(offset),
            key: key.into(),
            message: message.into(),
        }
    }

    fn at<T>(
        &self,
        v: &Spanned<T>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        self.err(v.span().start, key, message)
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

    fn int_in(&self, v: &Spanned<i64>, key: &str, lo: i64, hi: i64) -> Result<i64> {
        let n = *v.get_ref();
        if !(lo..=hi).contains(&n) {
            return Err(self.at(v, key, format!("must be between {lo} and {hi}, got {n}")));
        }
        Ok(n)
    }

    /// An integer in `lo..=hi`, where `hi` fits a u32.
    fn uint(&self, v: &Spanned<i64>, key: &str, lo: i64, hi: i64) -> Result<u32> {
        self.int_in(v, key, lo, hi)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// A duration in seconds within `lo..=hi` (`lo` excluded unless `lo_inclusive`).
    fn seconds(
        &self,
        v: &Spanned<f64>,
        key: &str,
        lo: f64,
        lo_inclusive: bool,
        hi: f64,
    ) -> Result<Duration> {
        let s = *v.get_ref();
        let above_lo = if lo_inclusive { s >= lo } else { s > lo };
        // Written so NaN fails too.
        if !(above_lo && s <= hi) {
            return Err(self.at(
                v,
                key,
                if lo_inclusive {
                    format!("must be between {lo} and {hi} seconds, got {s}")
                } else {
                    format!("must be greater than {lo} and at most {hi} seconds, got {s}")
                },
            ));
        }
        Duration::try_from_secs_f64(s).map_err(|e| self.at(v, key, format!("not a duration: {e}")))
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
