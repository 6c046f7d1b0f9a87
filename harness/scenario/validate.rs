//! Turns the span-keeping TOML tree into a [`Scenario`], enforcing every rule of
//! `spicebench.scenario/v1` and pointing each error at its line and key.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::access::{is_ssh_destination, Access, AccessError, SshServer, ViewerKind};
use super::error::ScenarioError;
use super::password::{is_env_name, PasswordSource};
use super::schema::{Compression, Geometry, Scenario, SpiceUri, Step, Target, SCHEMA};
use super::target_kind::TargetKind;
use super::tree::{self, Entry, Node};
use super::workload::IdleActivity;

const TOP_KEYS: &[&str] = &[
    "schema",
    "name",
    "description",
    "seed",
    "repeat",
    "idle_before_s",
    "settle_timeout_s",
    "target",
    "access",
    "desktop",
    "steps",
];
const ACCESS_KEYS: &[&str] = &[
    "transports",
    "ssh_compression",
    "viewers",
    "ssh",
    "ssh_config",
];
const XSPICE_KEYS: &[&str] = &[
    "kind",
    "geometry",
    "heads",
    "compression",
    "image_compression",
    "tls",
    "idle_activity",
    "jpeg_wan_compression",
    "zlib_glz_wan_compression",
    "streaming_video",
    "video_codecs",
    "playback_compression",
];
const EXTERNAL_KEYS: &[&str] = &[
    "kind",
    "uri",
    "tls_port",
    "ca_file",
    "insecure_skip_verify",
    "password_env",
    "password_file",
    "geometry",
    "compression",
    "image_compression",
    // Refused with an explanation (server settings), or accepted (video_codecs).
    "jpeg_wan_compression",
    "zlib_glz_wan_compression",
    "streaming_video",
    "video_codecs",
    "playback_compression",
];

const DEFAULT_COMPRESSION: Compression = Compression::AutoGlz;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Parses and validates `text`, naming `path` in errors and in [`Scenario::source`].
pub(crate) fn scenario_from_text(text: &str, path: &Path) -> Result<Scenario> {
    let ctx = Ctx { text, path };
    let entries = tree::parse(text).map_err(|e| ScenarioError::Syntax {
        path: path.to_owned(),
        line: e.span().map(|s| tree::line_of(text, s.start)),
        message: e
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
    })?;
    let root = Table {
        ctx,
        key: String::new(),
        line: 1,
        entries: &entries,
    };
    root.check_keys(TOP_KEYS)?;

    if let Some(v) = root.get("schema") {
        let s = v.str()?;
        if s != SCHEMA {
            return Err(v.err(format!(
                "unsupported schema `{s}`; this spicebench reads \"{SCHEMA}\""
            )));
        }
    }
    let name = scenario_name(&root.require("name", "add name = \"my-scenario\"")?)?;
    let description = root.get("description").map(|v| v.str()).transpose()?;
    let seed = match root.get("seed") {
        Some(v) => u64::try_from(int_in(&v, 0, i64::MAX)?).unwrap_or_default(),
        None => 1,
    };
    let repeat = match root.get("repeat") {
        Some(v) => u32::try_from(int_in(&v, 1, 100)?).unwrap_or(1),
        None => 1,
    };
    let idle_before = match root.get("idle_before_s") {
        Some(v) => seconds(&v, 0.0, true, 60.0)?,
        None => Duration::from_secs(1),
    };
    let settle_timeout = match root.get("settle_timeout_s") {
        Some(v) => seconds(&v, 0.1, true, 60.0)?,
        None => Duration::from_secs(5),
    };
    let target_val = root.require(
        "target",
        "add a [target] table with kind = \"xspice\" or kind = \"external\"",
    )?;
    let target = target(&target_val.table()?, path)?;
    let access = match root.get("access") {
        Some(v) => access(&v.table()?, path)?,
        None => Access::default(),
    };
    if target.geometry().is_none() && access.viewers.contains(&ViewerKind::RemoteViewer) {
        // remote-viewer's screen must be the guest's size for its pixels to be the guest's,
        // and the input plan maps through it.
        return Err(target_val.err(
            "remote-viewer needs the target's screen size; add geometry = \"WIDTHxHEIGHT\" \
             (e.g. \"1024x768\") to [target]",
        ));
    }

    let desktop = match root.get("desktop") {
        Some(v) => {
            if !target.kind().has_inspectable_desktop() {
                return Err(v.err(
                    "[desktop] sets up the desktop spicebench starts, so it needs kind = \"xspice\"; \
                     an external server shows its own desktop: remove [desktop]",
                ));
            }
            super::workload_rules::desktop(&v.table()?)?
        }
        None => super::workload::DesktopSpec::default(),
    };

    let steps_val = root.require("steps", "add at least one [[steps]] table")?;
    let steps = super::step_rules::steps(&steps_val, target.geometry(), 0)?;
    if !target.kind().has_inspectable_desktop() {
        if let Some(line) = first_window_wait(&steps) {
            return Err(ctx.invalid(
                line,
                "steps",
                "wait_for window needs a desktop spicebench can look at (kind = \"xspice\"); \
                 with an external server, wait with quiet_ms or pause instead",
            ));
        }
    }

    let prefer_line = first_prefer(&steps);
    for &viewer in &access.viewers {
        use super::matrix::ViewerRefusal;
        match super::matrix::viewer_refusal(target.heads(), prefer_line.is_some(), viewer) {
            Some(why @ ViewerRefusal::Prefer) => {
                return Err(ctx.invalid(prefer_line.unwrap_or(1), "steps", why.message()));
            }
            Some(why @ ViewerRefusal::MultiHead) => return Err(target_val.err(why.message())),
            None => {}
        }
    }

    Ok(Scenario {
        name: name.to_owned(),
        description: description.map(str::to_owned),
        source: path.to_owned(),
        seed,
        repeat,
        idle_before,
        settle_timeout,
        target,
        access,
        desktop,
        steps,
    })
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

/// The line of the first `wait_for window` step, repeats included.
fn first_window_wait(steps: &[Step]) -> Option<usize> {
    first_line(steps, &|s| match s {
        Step::WaitFor(w) => {
            matches!(w.condition, super::schema::WaitCondition::Window(_)).then_some(w.line)
        }
        _ => None,
    })
}

/// `[access]`: transports × ssh_compression × viewers, every combination checked here so a
/// matrix that cannot run is refused before anything starts.
fn access(t: &Table<'_>, scenario_path: &Path) -> Result<Access> {
    t.check_keys(ACCESS_KEYS)?;
    let transports = match t.get("transports") {
        Some(v) => unique_names(&v, |name| {
            name.parse::<super::access::TransportKind>()
                .map_err(|e| e.to_string())
        })?,
        None => vec![super::access::TransportKind::Direct],
    };
    let compression = match t.get("ssh_compression") {
        Some(v) => {
            if !transports.iter().any(|t| t.is_ssh()) {
                return Err(v.err(
                    "applies only to ssh-tunnel and ssh-x; add one of them to transports or \
                     remove ssh_compression",
                ));
            }
            let items = v.array()?;
            if items.is_empty() {
                return Err(v.err("needs at least one of false, true"));
            }
            let mut list = Vec::new();
            for item in items {
                let b = item.bool()?;
                if list.contains(&b) {
                    return Err(item.err(format!("`{b}` is listed twice; list each one once")));
                }
                list.push(b);
            }
            list
        }
        None => vec![false],
    };
    let viewers_val = t.get("viewers");
    let viewers = match &viewers_val {
        Some(v) => unique_names(v, |name| {
            name.parse::<ViewerKind>().map_err(|e| e.to_string())
        })?,
        None => vec![ViewerKind::Native],
    };
    let ssh = match t.get("ssh") {
        Some(v) => {
            let dest = v.str()?;
            if !is_ssh_destination(dest) {
                return Err(v.err(format!(
                    "`{dest}` is not an ssh destination; give user@host or a Host alias of your \
                     ssh config (no spaces, not starting with '-')"
                )));
            }
            let config = match t.get("ssh_config") {
                Some(c) => Some(relative_to(scenario_path, c.str()?)),
                None => None,
            };
            SshServer::External {
                destination: dest.to_owned(),
                config,
            }
        }
        None => {
            if let Some(c) = t.get("ssh_config") {
                return Err(c.err(
                    "only applies with ssh = \"user@host\"; the managed sshd has its own \
                     config",
                ));
            }
            SshServer::Managed
        }
    };
    let access = Access {
        routes: Access::routes_of(&transports, &compression),
        viewers,
        ssh,
    };
    if let Err(e @ AccessError::NativeOverSshX) = access.check() {
        let at = viewers_val
            .or_else(|| t.get("transports"))
            .map_or_else(|| t.err(e.to_string()), |v| v.err(e.to_string()));
        return Err(at);
    }
    Ok(access)
}

/// A non-empty array of distinct names, each parsed by `parse`.
fn unique_names<T: PartialEq>(
    v: &Val<'_>,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> Result<Vec<T>> {
    let items = v.array()?;
    if items.is_empty() {
        return Err(v.err("the list is empty; give at least one"));
    }
    let mut out = Vec::new();
    for item in items {
        let name = item.str()?;
        let value = parse(name).map_err(|e| item.err(e))?;
        if out.contains(&value) {
            return Err(item.err(format!("`{name}` is listed twice; list each one once")));
        }
        out.push(value);
    }
    Ok(out)
}

fn scenario_name<'a>(v: &Val<'a>) -> Result<&'a str> {
    let name = v.str()?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if name.is_empty() || !name.chars().all(allowed) {
        return Err(v.err(format!(
            "must be letters, digits, '_', '.' or '-' only (it is used in file names), got `{name}`"
        )));
    }
    if name == "." || name == ".." {
        return Err(v.err(format!(
            "must not be `{name}`, which means a folder in file names"
        )));
    }
    Ok(name)
}

fn target(t: &Table<'_>, scenario_path: &Path) -> Result<Target> {
    // Checked before unknown keys so the message says what to write instead.
    if let Some(v) = t.get("password") {
        return Err(v.err(
            "a password must never be written in a scenario file; use password_env = \"VARIABLE\" \
             or password_file = \"path/to/file\"",
        ));
    }
    let kind_val = t.require("kind", "add kind = \"xspice\" or kind = \"external\"")?;
    let kind_name = kind_val.str()?;
    let Some(kind) = TargetKind::from_name(kind_name) else {
        return Err(kind_val.err(format!(
            "unknown target kind `{kind_name}`; use \"xspice\" or \"external\""
        )));
    };
    let (target, items) = match kind {
        TargetKind::Xspice => {
            t.check_keys(XSPICE_KEYS)?;
            let heads = match t.get("heads") {
                Some(v) => u32::try_from(int_in(&v, 1, MAX_HEADS)?).unwrap_or(1),
                None => 1,
            };
            let geometry = match t.get("geometry") {
                Some(v) => geometry(&v)?,
                None if heads > 1 => MULTI_HEAD_GEOMETRY,
                None => Geometry::default(),
            };
            if u64::from(geometry.width) * u64::from(heads) > u64::from(Geometry::MAX) {
                return Err(t.err(format!(
                    "{heads} heads of {geometry} make a screen wider than {} pixels; use fewer \
                     or narrower heads",
                    Geometry::MAX
                )));
            }
            let items = compression_items(image_compression(t)?, false)?;
            let compression = compressions(&items);
            let tls = match t.get("tls") {
                Some(v) => v.bool()?,
                None => false,
            };
            let idle_activity = match t.get("idle_activity") {
                Some(v) => {
                    let name = v.str()?;
                    IdleActivity::from_name(name).ok_or_else(|| {
                        v.err(format!(
                            "unknown idle_activity `{name}`; use one of: {}",
                            IdleActivity::ALL.map(IdleActivity::as_str).join(", ")
                        ))
                    })?
                }
                None => IdleActivity::None,
            };
            (
                Target::Xspice {
                    geometry,
                    heads,
                    compression,
                    knobs: super::workload_rules::knob_axes(t, kind.can_set_server_knobs())?,
                    tls,
                    idle_activity,
                },
                items,
            )
        }
        TargetKind::External => {
            t.check_keys(EXTERNAL_KEYS)?;
            let uri_val = t.require("uri", "add uri = \"spice://host:port\"")?;
            let mut uri: SpiceUri = uri_val
                .str()?
                .parse()
                .map_err(|e: super::error::UriError| uri_val.err(e.to_string()))?;
            if let Some(v) = t.get("tls_port") {
                uri.port = u16::try_from(int_in(&v, 1, 65535)?).unwrap_or(1);
                uri.tls = true;
            }
            let tls = tls_trust(t, uri.tls, scenario_path)?;
            let password = password(t, scenario_path)?;
            let geometry = t.get("geometry").map(|v| geometry(&v)).transpose()?;
            let items = compression_items(image_compression(t)?, true)?;
            let compression = compressions(&items);
            (
                Target::External {
                    uri,
                    password,
                    geometry,
                    compression,
                    knobs: super::workload_rules::knob_axes(t, kind.can_set_server_knobs())?,
                    tls,
                },
                items,
            )
        }
    };
    for (c, v) in &items {
        target
            .check_compression(*c)
            .map_err(|e| v.err(e.to_string()))?;
    }
    Ok(target)
}

/// How to trust a TLS target: exactly one of `ca_file` and `insecure_skip_verify = true`,
/// and neither without TLS.
fn tls_trust(
    t: &Table<'_>,
    tls: bool,
    scenario_path: &Path,
) -> Result<Option<super::schema::TlsTrustSpec>> {
    use super::schema::TlsTrustSpec;
    let ca = t.get("ca_file");
    let skip = match t.get("insecure_skip_verify") {
        Some(v) => Some((v.bool()?, v)),
        None => None,
    };
    if !tls {
        if let Some(v) = ca.or(skip.map(|(_, v)| v)) {
            return Err(v.err(
                "only applies to a TLS target; use uri = \"spice+tls://host:port\" or tls_port",
            ));
        }
        return Ok(None);
    }
    match (ca, skip) {
        (Some(_), Some((true, v))) => {
            Err(v.err("give either ca_file or insecure_skip_verify = true, not both"))
        }
        (Some(c), _) => {
            let name = c.str()?;
            Ok(Some(TlsTrustSpec::CaFile(relative_to(scenario_path, name))))
        }
        (None, Some((true, _))) => Ok(Some(TlsTrustSpec::InsecureSkipVerify)),
        (None, Some((false, v))) => Err(v.err(
            "a TLS target needs ca_file = \"ca.pem\" (the CA that signed the server's \
             certificate); insecure_skip_verify = false adds nothing",
        )),
        (None, None) => Err(t.err(
            "a TLS target needs ca_file = \"ca.pem\" (the CA that signed the server's \
             certificate), or insecure_skip_verify = true to accept any certificate",
        )),
    }
}

fn password(t: &Table<'_>, scenario_path: &Path) -> Result<PasswordSource> {
    match (t.get("password_env"), t.get("password_file")) {
        (Some(_), Some(file)) => {
            Err(file.err("set only one of password_env and password_file, not both"))
        }
        (Some(env), None) => {
            let var = env.str()?;
            if !is_env_name(var) {
                return Err(env.err(format!(
                    "`{var}` is not an environment variable name; use letters, digits and '_', \
                     not starting with a digit"
                )));
            }
            Ok(PasswordSource::Env(var.to_owned()))
        }
        (None, Some(file)) => {
            let name = file.str()?;
            if name.is_empty() {
                return Err(
                    file.err("must not be empty; give the path of a file holding the password")
                );
            }
            Ok(PasswordSource::File(relative_to(scenario_path, name)))
        }
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

/// Most heads an Xspice target may have (the qxl driver's NumHeads default is 4).
const MAX_HEADS: i64 = 4;
/// Each head's size when a multi-head target gives none: the seed's monitors.
const MULTI_HEAD_GEOMETRY: Geometry = Geometry {
    width: 1920,
    height: 1200,
};

/// `image_compression` (QEMU's and libvirt's name) or its older spelling `compression`.
fn image_compression<'a>(t: &Table<'a>) -> Result<Option<Val<'a>>> {
    match (t.get("compression"), t.get("image_compression")) {
        (Some(_), Some(v)) => {
            Err(v.err("image_compression and compression are the same setting; keep one of them"))
        }
        (a, b) => Ok(a.or(b)),
    }
}

fn geometry(v: &Val<'_>) -> Result<Geometry> {
    v.str()?
        .parse()
        .map_err(|e: super::error::GeometryError| v.err(e.to_string()))
}

/// The listed compressions with their values (for error lines), or the default. An empty
/// list is told which names the target takes (`lz4` only for external targets).
fn compression_items<'a>(
    v: Option<Val<'a>>,
    allows_lz4: bool,
) -> Result<Vec<(Compression, Val<'a>)>> {
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    let items = v.array()?;
    if items.is_empty() {
        let names: Vec<&str> = Compression::ALL
            .iter()
            .filter(|c| allows_lz4 || **c != Compression::Lz4)
            .map(|c| c.as_str())
            .collect();
        return Err(v.err(format!(
            "the compression list is empty; give at least one of: {}",
            names.join(", ")
        )));
    }
    let mut out: Vec<(Compression, Val<'a>)> = Vec::with_capacity(items.len());
    for item in items {
        let name = item.str()?;
        let c: Compression = name.parse().map_err(|e| item.err(format!("{e}")))?;
        if out.iter().any(|(seen, _)| *seen == c) {
            let dup = super::error::CompressionError::Duplicate {
                name: name.to_owned(),
            };
            return Err(item.err(dup.to_string()));
        }
        out.push((c, item));
    }
    Ok(out)
}

fn compressions(items: &[(Compression, Val<'_>)]) -> Vec<Compression> {
    if items.is_empty() {
        vec![DEFAULT_COMPRESSION]
    } else {
        items.iter().map(|(c, _)| *c).collect()
    }
}

pub(super) fn int_in(v: &Val<'_>, lo: i64, hi: i64) -> Result<i64> {
    let n = v.int()?;
    if !(lo..=hi).contains(&n) {
        return Err(v.err(format!("must be between {lo} and {hi}, got {n}")));
    }
    Ok(n)
}

/// A duration in seconds within `lo..=hi` (`lo` excluded unless `lo_inclusive`).
pub(super) fn seconds(v: &Val<'_>, lo: f64, lo_inclusive: bool, hi: f64) -> Result<Duration> {
    let s = v.number()?;
    let above_lo = if lo_inclusive { s >= lo } else { s > lo };
    // Written so NaN fails too.
    if !(above_lo && s <= hi) {
        return Err(v.err(if lo_inclusive {
            format!("must be between {lo} and {hi} seconds, got {s}")
        } else {
            format!("must be greater than {lo} and at most {hi} seconds, got {s}")
        }));
    }
    Duration::try_from_secs_f64(s).map_err(|e| v.err(format!("not a duration: {e}")))
}

/// What every error needs: the text for line numbers and the file's name.
#[derive(Clone, Copy)]
pub(super) struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Ctx<'_> {
    fn line(&self, span: Option<&Range<usize>>) -> Option<usize> {
        span.map(|s| tree::line_of(self.text, s.start))
    }

    fn invalid(&self, line: usize, key: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError::Invalid {
            path: self.path.to_owned(),
            line,
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// A value with its dotted key path and line.
pub(super) struct Val<'a> {
    ctx: Ctx<'a>,
    pub(super) key: String,
    pub(super) line: usize,
    node: &'a Node,
}

impl<'a> Val<'a> {
    pub(super) fn err(&self, message: impl Into<String>) -> ScenarioError {
        self.ctx.invalid(self.line, &self.key, message)
    }

    fn wrong_type(&self, expected: &str) -> ScenarioError {
        self.err(format!(
            "expected {expected}, got {}",
            self.node.type_name()
        ))
    }

    pub(super) fn str(&self) -> Result<&'a str> {
        match self.node {
            Node::String(s) => Ok(s),
            _ => Err(self.wrong_type("a string")),
        }
    }

    pub(super) fn int(&self) -> Result<i64> {
        match self.node {
            Node::Integer(n) => Ok(*n),
            _ => Err(self.wrong_type("an integer")),
        }
    }

    pub(super) fn bool(&self) -> Result<bool> {
        match self.node {
            Node::Boolean(b) => Ok(*b),
            _ => Err(self.wrong_type("a boolean (true or false)")),
        }
    }

    pub(super) fn number(&self) -> Result<f64> {
        match self.node {
            Node::Integer(n) => Ok(*n as f64),
            Node::Float(f) => Ok(*f),
            _ => Err(self.wrong_type("a number")),
        }
    }

    pub(super) fn array(&self) -> Result<Vec<Val<'a>>> {
        let Node::Array(items) = self.node else {
            return Err(self.wrong_type("an array"));
        };
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| Val {
                ctx: self.ctx,
                key: format!("{}[{i}]", self.key),
                line: self.ctx.line(item.span.as_ref()).unwrap_or(self.line),
                node: &item.node,
            })
            .collect())
    }

    pub(super) fn table(&self) -> Result<Table<'a>> {
        let Node::Table(entries) = self.node else {
            return Err(self.wrong_type("a table"));
        };
        Ok(Table {
            ctx: self.ctx,
            key: self.key.clone(),
            line: self.line,
            entries,
        })
    }
}

/// A table with its dotted key path and the line of its header or first key.
pub(super) struct Table<'a> {
    ctx: Ctx<'a>,
    pub(super) key: String,
    pub(super) line: usize,
    entries: &'a [Entry],
}

impl<'a> Table<'a> {
    fn child_key(&self, key: &str) -> String {
        if self.key.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.key)
        }
    }

    fn entry_line(&self, e: &Entry) -> usize {
        self.ctx
            .line(e.key_span.as_ref())
            .or_else(|| self.ctx.line(e.value.span.as_ref()))
            .unwrap_or(self.line)
    }

    pub(super) fn err(&self, message: impl Into<String>) -> ScenarioError {
        self.ctx.invalid(self.line, &self.key, message)
    }

    pub(super) fn get(&self, key: &str) -> Option<Val<'a>> {
        let e = self.entries.iter().find(|e| e.key == key)?;
        Some(Val {
            ctx: self.ctx,
            key: self.child_key(key),
            line: self.entry_line(e),
            node: &e.value.node,
        })
    }

    pub(super) fn require(&self, key: &str, hint: &str) -> Result<Val<'a>> {
        self.get(key).ok_or_else(|| {
            self.ctx
                .invalid(self.line, &self.child_key(key), format!("missing; {hint}"))
        })
    }

    pub(super) fn check_keys(&self, allowed: &[&str]) -> Result<()> {
        match self
            .entries
            .iter()
            .find(|e| !allowed.contains(&e.key.as_str()))
        {
            Some(e) => Err(self.ctx.invalid(
                self.entry_line(e),
                &self.child_key(&e.key),
                format!(
                    "unknown key `{}`; allowed here: {}",
                    e.key,
                    allowed.join(", ")
                ),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::scenario::{Button, Drag, DragPath, KnobAxes};

    const HEAD: &str = "name = \"t\"\n[target]\nkind = \"xspice\"\n";
    // Lines 4..=10 after HEAD.
    const DRAG: &str = "[[steps]]\nkind = \"drag\"\nfrom = [10, 10]\nto = [20, 20]\nduration_s = 1.0\nrate_hz = 100\nbutton = \"left\"\n";

    pub(in crate::scenario) fn parse(text: &str) -> Result<Scenario> {
        Scenario::parse(text, Path::new("scenarios/t.toml"))
    }

    /// Asserts that `text` (as `scenarios/t.toml`) fails with this line, key and a fragment
    /// of the message.
    #[track_caller]
    pub(in crate::scenario) fn fails(text: &str, line: usize, key: &str, fragment: &str) {
        let e = parse(text).expect_err("expected a validation error");
        let msg = e.to_string();
        assert_eq!(e.line(), Some(line), "{msg}");
        assert_eq!(e.key(), Some(key), "{msg}");
        assert!(
            msg.starts_with(&format!("scenarios/t.toml:{line}: {key}: ")),
            "{msg}"
        );
        assert!(msg.contains(fragment), "{msg:?} lacks {fragment:?}");
    }

    /// HEAD and DRAG with `line` (1-based) of the DRAG part replaced.
    fn drag_with(line_in_drag: usize, replacement: &str) -> String {
        let lines: Vec<String> = DRAG
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i + 1 == line_in_drag {
                    replacement.to_owned()
                } else {
                    l.to_owned()
                }
            })
            .collect();
        format!("{HEAD}{}\n", lines.join("\n"))
    }

    #[test]
    fn minimal_scenario_gets_defaults() {
        let s = parse(&format!("{HEAD}{DRAG}")).unwrap();
        assert_eq!(s.name, "t");
        assert_eq!(s.description, None);
        assert_eq!(s.seed, 1);
        assert_eq!(s.repeat, 1);
        assert_eq!(s.idle_before, Duration::from_secs(1));
        assert_eq!(s.settle_timeout, Duration::from_secs(5));
        assert_eq!(s.source, PathBuf::from("scenarios/t.toml"));
        assert_eq!(
            s.target,
            Target::Xspice {
                geometry: Geometry::default(),
                heads: 1,
                knobs: KnobAxes::default(),
                compression: vec![Compression::AutoGlz],
                tls: false,
                idle_activity: IdleActivity::None,
            }
        );
    }

    #[test]
    fn all_top_level_keys_are_read() {
        let text = format!(
            "schema = \"spicebench.scenario/v1\"\nname = \"a.B_c-1\"\ndescription = \"d\"\nseed = 9223372036854775807\n\
             repeat = 100\nidle_before_s = 0\nsettle_timeout_s = 0.1\n{}",
            &HEAD[11..]
        ) + DRAG;
        let s = parse(&text).unwrap();
        assert_eq!(s.name, "a.B_c-1");
        assert_eq!(s.description.as_deref(), Some("d"));
        assert_eq!(s.seed, i64::MAX as u64);
        assert_eq!(s.repeat, 100);
        assert_eq!(s.idle_before, Duration::ZERO);
        assert_eq!(s.settle_timeout, Duration::from_millis(100));
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let e = parse("name = \"t\"\nseed = \n").unwrap_err();
        assert!(matches!(e, ScenarioError::Syntax { .. }));
        assert_eq!(e.line(), Some(2));
        assert!(
            e.to_string()
                .starts_with("scenarios/t.toml:2: TOML syntax error: "),
            "{e}"
        );
        assert!(!e.to_string().contains('\n'), "{e}");
        let dup = parse("name = \"t\"\nname = \"u\"\n").unwrap_err();
        assert_eq!(dup.line(), Some(2), "{dup}");
    }

    #[test]
    fn unknown_keys_are_named_with_the_allowed_ones() {
        fails(
            &format!("{HEAD}colour = 1\n{DRAG}"),
            4,
            "target.colour",
            "unknown key `colour`; allowed here: kind, geometry, heads, compression",
        );
        fails(
            &format!("nmae = \"t\"\n{HEAD}{DRAG}"),
            1,
            "nmae",
            "allowed here: schema, name, description",
        );
        fails(
            &drag_with(7, "buton = \"left\""),
            10,
            "steps[0].buton",
            "button",
        );
        fails(
            &drag_with(4, "path = { kind = \"erratic\", size = 3 }"),
            7,
            "steps[0].path.size",
            "allowed here: kind, step_px",
        );
        fails(
            &format!("{HEAD}[[steps]]\nkind = \"pause\"\nduration_s = 1\nrate_hz = 3\n"),
            7,
            "steps[0].rate_hz",
            "allowed here: kind, duration_s",
        );
        fails(
            "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice://h:1\"\nhost = \"h\"\n[[steps]]\nkind = \"pause\"\nduration_s = 1\n",
            5,
            "target.host",
            "password_env, password_file",
        );
    }

    #[test]
    fn schema_must_be_v1() {
        fails(
            &format!("schema = \"spicebench.scenario/v2\"\n{HEAD}{DRAG}"),
            1,
            "schema",
            "reads \"spicebench.scenario/v1\"",
        );
    }

    #[test]
    fn name_is_required_and_file_name_safe() {
        fails(
            &format!("{}{DRAG}", &HEAD[11..]),
            1,
            "name",
            "missing; add name =",
        );
        fails(
            &format!("seed = 1\nname = \"my drag\"\n{}{DRAG}", &HEAD[11..]),
            2,
            "name",
            "got `my drag`",
        );
        fails(
            &format!("name = \"\"\n{}{DRAG}", &HEAD[11..]),
            1,
            "name",
            "file names",
        );
        fails(
            &format!("name = \"..\"\n{}{DRAG}", &HEAD[11..]),
            1,
            "name",
            "must not be `..`",
        );
        fails(
            &format!("name = 3\n{}{DRAG}", &HEAD[11..]),
            1,
            "name",
            "expected a string, got an integer",
        );
    }

    #[test]
    fn top_level_numbers_are_range_checked() {
        let with = |line: &str| format!("name = \"t\"\n{line}\n{}{DRAG}", &HEAD[11..]);
        fails(
            &with("seed = -1"),
            2,
            "seed",
            "must be between 0 and 9223372036854775807, got -1",
        );
        fails(
            &with("seed = 1.5"),
            2,
            "seed",
            "expected an integer, got a float",
        );
        fails(
            &with("repeat = 0"),
            2,
            "repeat",
            "must be between 1 and 100, got 0",
        );
        fails(&with("repeat = 101"), 2, "repeat", "got 101");
        fails(
            &with("idle_before_s = -0.5"),
            2,
            "idle_before_s",
            "between 0 and 60 seconds, got -0.5",
        );
        fails(&with("idle_before_s = 61"), 2, "idle_before_s", "got 61");
        fails(&with("idle_before_s = nan"), 2, "idle_before_s", "got NaN");
        fails(
            &with("settle_timeout_s = 0.05"),
            2,
            "settle_timeout_s",
            "between 0.1 and 60 seconds",
        );
        fails(
            &with("settle_timeout_s = inf"),
            2,
            "settle_timeout_s",
            "got inf",
        );
        fails(
            &with("settle_timeout_s = \"5\""),
            2,
            "settle_timeout_s",
            "expected a number, got a string",
        );
        fails(
            &with("description = 1"),
            2,
            "description",
            "expected a string",
        );
    }

    #[test]
    fn remote_viewer_on_an_external_target_needs_its_geometry() {
        let text = "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice://h:1\"\n\
                    [access]\nviewers = [\"remote-viewer\"]\n[[steps]]\nkind = \"pause\"\n\
                    duration_s = 1\n";
        fails(
            text,
            2,
            "target",
            "remote-viewer needs the target's screen size",
        );
        let ok = text.replace(
            "uri = \"spice://h:1\"",
            "uri = \"spice://h:1\"\ngeometry = \"800x600\"",
        );
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn target_is_required_and_kind_known() {
        fails(
            &format!("name = \"t\"\n{DRAG}"),
            1,
            "target",
            "missing; add a [target] table",
        );
        fails(
            &format!("name = \"t\"\ntarget = 3\n{DRAG}"),
            2,
            "target",
            "expected a table, got an integer",
        );
        fails(
            &format!("name = \"t\"\n[target]\ngeometry = \"64x64\"\n{DRAG}"),
            2,
            "target.kind",
            "missing",
        );
        fails(
            &format!("name = \"t\"\n[target]\nkind = \"vnc\"\n{DRAG}"),
            3,
            "target.kind",
            "unknown target kind `vnc`",
        );
    }

    #[test]
    fn dotted_target_keys_work_and_fall_back_to_a_line() {
        let s = parse(&format!(
            "name = \"t\"\ntarget.kind = \"xspice\"\ntarget.geometry = \"800x600\"\n{DRAG}"
        ))
        .unwrap();
        assert_eq!(
            s.target.geometry(),
            Some(Geometry {
                width: 800,
                height: 600
            })
        );
        fails(
            &format!("name = \"t\"\ntarget.kind = \"xspice\"\ntarget.size = 1\n{DRAG}"),
            3,
            "target.size",
            "unknown key",
        );
    }

    #[test]
    fn geometry_is_checked() {
        fails(
            &format!("{HEAD}geometry = \"1024\"\n{DRAG}"),
            4,
            "target.geometry",
            "expected WIDTHxHEIGHT",
        );
        fails(
            &format!("{HEAD}geometry = \"32x32\"\n{DRAG}"),
            4,
            "target.geometry",
            "between 64 and 8192",
        );
    }

    #[test]
    fn compression_list_is_checked() {
        fails(
            &format!("{HEAD}compression = [\n  \"off\",\n  \"zip\",\n]\n{DRAG}"),
            6,
            "target.compression[1]",
            "unknown compression `zip`; valid names: off, auto_glz",
        );
        fails(
            &format!("{HEAD}compression = []\n{DRAG}"),
            4,
            "target.compression",
            "is empty",
        );
        fails(
            &format!("{HEAD}compression = \"glz\"\n{DRAG}"),
            4,
            "target.compression",
            "expected an array",
        );
        fails(
            &format!("{HEAD}compression = [\"glz\", \"glz\"]\n{DRAG}"),
            4,
            "target.compression[1]",
            "listed twice",
        );
        fails(
            &format!("{HEAD}compression = [1]\n{DRAG}"),
            4,
            "target.compression[0]",
            "expected a string",
        );
    }

    #[test]
    fn tls_targets_say_how_to_trust_the_server() {
        use crate::scenario::TlsTrustSpec;
        let ext = |extra: &str| {
            format!(
                "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice+tls://h:5901\"\n{extra}\n{DRAG}"
            )
        };
        fails(&ext(""), 2, "target", "a TLS target needs ca_file");
        let s = parse(&ext("ca_file = \"ca.pem\"")).unwrap();
        assert!(matches!(
            s.target,
            Target::External { tls: Some(TlsTrustSpec::CaFile(ref p)), ref uri, .. }
                if p == Path::new("scenarios/ca.pem") && uri.tls && uri.port == 5901
        ));
        let s = parse(&ext("insecure_skip_verify = true")).unwrap();
        assert!(matches!(
            s.target,
            Target::External {
                tls: Some(TlsTrustSpec::InsecureSkipVerify),
                ..
            }
        ));
        fails(
            &ext("ca_file = \"ca.pem\"\ninsecure_skip_verify = true"),
            6,
            "target.insecure_skip_verify",
            "not both",
        );
        // tls_port turns a plain URI into a TLS one; ca_file without TLS is refused.
        let plain = |extra: &str| {
            format!(
                "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice://h:5900\"\n{extra}\n{DRAG}"
            )
        };
        let s = parse(&plain("tls_port = 5901\ninsecure_skip_verify = true")).unwrap();
        assert!(
            matches!(s.target, Target::External { ref uri, .. } if uri.tls && uri.port == 5901)
        );
        fails(
            &plain("ca_file = \"ca.pem\""),
            5,
            "target.ca_file",
            "only applies to a TLS target",
        );
        // The lab's Xspice: tls = true.
        let s = parse(&format!("{HEAD}tls = true\n{DRAG}")).unwrap();
        assert!(matches!(s.target, Target::Xspice { tls: true, .. }));
    }

    #[test]
    fn idle_activity_names_what_keeps_the_desktop_busy() {
        let s = parse(&format!(
            "{HEAD}idle_activity = \"blinking_cursor\"\n{DRAG}"
        ))
        .unwrap();
        assert!(matches!(
            s.target,
            Target::Xspice {
                idle_activity: IdleActivity::BlinkingCursor,
                ..
            }
        ));
        let s = parse(&format!("{HEAD}{DRAG}")).unwrap();
        assert!(matches!(
            s.target,
            Target::Xspice {
                idle_activity: IdleActivity::None,
                ..
            }
        ));
        fails(
            &format!("{HEAD}idle_activity = \"screensaver\"\n{DRAG}"),
            4,
            "target.idle_activity",
            "unknown idle_activity `screensaver`; use one of: none, blinking_cursor, clock",
        );
    }

    #[test]
    fn lz4_is_rejected_for_xspice_only() {
        fails(
            &format!("{HEAD}compression = [\"glz\", \"lz4\"]\n{DRAG}"),
            4,
            "target.compression[1]",
            "lz4` is only a client preference for external targets",
        );
        let ext = format!(
            "name = \"t\"\n[target]\nkind = \"external\"\nuri = \"spice://h:5900\"\ncompression = [\"lz4\"]\n{DRAG}"
        );
        assert_eq!(
            parse(&ext).unwrap().target.compression(),
            &[Compression::Lz4]
        );
    }

    const EXT: &str = "name = \"t\"\n[target]\nkind = \"external\"\n";

    #[test]
    fn external_target_reads_all_keys() {
        let s = parse(&format!(
            "{EXT}uri = \"spice://lab:5930\"\npassword_file = \"secret.txt\"\ngeometry = \"800x600\"\ncompression = [\"quic\"]\n{DRAG}"
        ))
        .unwrap();
        assert_eq!(
            s.target,
            Target::External {
                knobs: KnobAxes::default(),
                uri: SpiceUri {
                    host: "lab".into(),
                    port: 5930,
                    tls: false,
                },
                password: PasswordSource::File(PathBuf::from("scenarios/secret.txt")),
                geometry: Some(Geometry {
                    width: 800,
                    height: 600
                }),
                compression: vec![Compression::Quic],
                tls: None,
            }
        );
        let s = parse(&format!(
            "{EXT}uri = \"spice://lab:1\"\npassword_env = \"SPICE_PW\"\n{DRAG}"
        ))
        .unwrap();
        assert!(
            matches!(s.target, Target::External { password: PasswordSource::Env(ref v), geometry: None, .. } if v == "SPICE_PW")
        );
        assert_eq!(s.target.compression(), &[Compression::AutoGlz]);
        let abs = parse(&format!(
            "{EXT}uri = \"spice://lab:1\"\npassword_file = \"/run/pw\"\n{DRAG}"
        ))
        .unwrap();
        assert!(
            matches!(abs.target, Target::External { password: PasswordSource::File(ref p), .. } if p == Path::new("/run/pw"))
        );
    }

    #[test]
    fn external_uri_is_required_and_checked() {
        fails(
            &format!("{EXT}{DRAG}"),
            2,
            "target.uri",
            "missing; add uri = \"spice://host:port\"",
        );
        fails(
            &format!("{EXT}uri = \"spice://h:0\"\n{DRAG}"),
            4,
            "target.uri",
            "port must be a number",
        );
        fails(
            &format!("{EXT}uri = \"h:5900\"\n{DRAG}"),
            4,
            "target.uri",
            "start with spice://",
        );
    }

    #[test]
    fn password_literals_are_refused() {
        fails(
            &format!("{EXT}uri = \"spice://h:1\"\npassword = \"hunter2\"\n{DRAG}"),
            5,
            "target.password",
            "use password_env = \"VARIABLE\" or password_file",
        );
        fails(
            &format!("{HEAD}password = \"x\"\n{DRAG}"),
            4,
            "target.password",
            "password_env",
        );
    }

    #[test]
    fn password_sources_are_checked() {
        fails(
            &format!(
                "{EXT}uri = \"spice://h:1\"\npassword_env = \"A\"\npassword_file = \"f\"\n{DRAG}"
            ),
            6,
            "target.password_file",
            "only one of password_env and password_file",
        );
        fails(
            &format!("{EXT}uri = \"spice://h:1\"\npassword_env = \"A=B\"\n{DRAG}"),
            5,
            "target.password_env",
            "not an environment variable name",
        );
        fails(
            &format!("{EXT}uri = \"spice://h:1\"\npassword_file = \"\"\n{DRAG}"),
            5,
            "target.password_file",
            "must not be empty",
        );
    }

    #[test]
    fn steps_are_required() {
        fails(
            HEAD,
            1,
            "steps",
            "missing; add at least one [[steps]] table",
        );
        fails(
            &format!("steps = []\n{HEAD}"),
            1,
            "steps",
            "needs at least one step",
        );
        fails(
            &format!("steps = 1\n{HEAD}"),
            1,
            "steps",
            "expected an array",
        );
        fails(
            &format!("steps = [1]\n{HEAD}"),
            1,
            "steps[0]",
            "expected a table, got an integer",
        );
    }

    #[test]
    fn step_kind_is_required_and_known() {
        fails(
            &drag_with(2, "# no kind"),
            4,
            "steps[0].kind",
            "missing; add kind = one of \"drag\", \"click\"",
        );
        fails(
            &drag_with(2, "kind = \"swipe\""),
            5,
            "steps[0].kind",
            "unknown step kind `swipe`; use \"drag\", \"click\", \"key\"",
        );
    }

    #[test]
    fn second_step_errors_name_its_index() {
        let text = format!("{HEAD}{DRAG}[[steps]]\nkind = \"pause\"\nduration_s = 0\n");
        fails(
            &text,
            13,
            "steps[1].duration_s",
            "greater than 0 and at most 600 seconds, got 0",
        );
    }

    #[test]
    fn drag_points_are_checked() {
        fails(
            &drag_with(3, "# no from"),
            4,
            "steps[0].from",
            "missing; add from = [x, y]",
        );
        fails(
            &drag_with(3, "from = [1, 2, 3]"),
            6,
            "steps[0].from",
            "expected a point [x, y], got an array of 3",
        );
        fails(
            &drag_with(3, "from = [-1, 2]"),
            6,
            "steps[0].from[0]",
            "must be between 0 and 8191, got -1",
        );
        fails(
            &drag_with(3, "from = [1, 1.5]"),
            6,
            "steps[0].from[1]",
            "expected an integer, got a float",
        );
        fails(
            &drag_with(3, "from = \"1,2\""),
            6,
            "steps[0].from",
            "expected an array",
        );
        fails(
            &drag_with(4, "to = [1024, 10]"),
            7,
            "steps[0].to",
            "[1024, 10] lies outside the target geometry 1024x768; x must be below 1024 and y below 768",
        );
        fails(
            &drag_with(4, "to = [10, 768]"),
            7,
            "steps[0].to",
            "outside the target geometry",
        );
    }

    #[test]
    fn points_without_geometry_only_need_to_fit_the_largest_screen() {
        let ext = format!("{EXT}uri = \"spice://h:1\"\n");
        let ok = ext.clone() + &DRAG.replace("to = [20, 20]", "to = [8191, 5000]");
        assert!(parse(&ok).is_ok());
        let bad = ext + &DRAG.replace("to = [20, 20]", "to = [8192, 5000]");
        fails(&bad, 8, "steps[0].to[0]", "between 0 and 8191, got 8192");
    }

    #[test]
    fn drag_needs_exactly_one_of_to_and_path() {
        fails(
            &drag_with(4, "# neither"),
            4,
            "steps[0]",
            "a drag needs either to = [x, y] or path",
        );
        fails(
            &drag_with(5, "path = { kind = \"erratic\" }"),
            8,
            "steps[0].path",
            "give either `to` or `path`, not both",
        );
    }

    #[test]
    fn erratic_path_is_checked() {
        let s = parse(&drag_with(4, "path = { kind = \"erratic\" }")).unwrap();
        assert!(matches!(
            &s.steps[0],
            Step::Drag(Drag {
                path: DragPath::Erratic { step_px: 10 },
                ..
            })
        ));
        fails(
            &drag_with(4, "path = { step_px = 3 }"),
            7,
            "steps[0].path.kind",
            "missing; add kind = \"erratic\"",
        );
        fails(
            &drag_with(4, "path = { kind = \"circle\" }"),
            7,
            "steps[0].path.kind",
            "the only path kind is \"erratic\"",
        );
        fails(
            &drag_with(4, "path = { kind = \"erratic\", step_px = 0 }"),
            7,
            "steps[0].path.step_px",
            "between 1 and 200, got 0",
        );
        fails(
            &drag_with(4, "path = { kind = \"erratic\", step_px = 201 }"),
            7,
            "steps[0].path.step_px",
            "got 201",
        );
        fails(
            &drag_with(4, "path = \"erratic\""),
            7,
            "steps[0].path",
            "expected a table, got a string",
        );
    }

    #[test]
    fn drag_timing_is_checked() {
        fails(
            &drag_with(5, "# none"),
            4,
            "steps[0].duration_s",
            "missing; add duration_s",
        );
        fails(
            &drag_with(5, "duration_s = 0"),
            8,
            "steps[0].duration_s",
            "greater than 0 and at most 600 seconds, got 0",
        );
        fails(
            &drag_with(5, "duration_s = 600.5"),
            8,
            "steps[0].duration_s",
            "got 600.5",
        );
        fails(
            &drag_with(6, "# none"),
            4,
            "steps[0].rate_hz",
            "missing; add rate_hz",
        );
        fails(
            &drag_with(6, "rate_hz = 0"),
            9,
            "steps[0].rate_hz",
            "must be between 1 and 1000, got 0",
        );
        fails(
            &drag_with(6, "rate_hz = 1001"),
            9,
            "steps[0].rate_hz",
            "got 1001",
        );
        fails(
            &drag_with(6, "rate_hz = 100.0"),
            9,
            "steps[0].rate_hz",
            "expected an integer, got a float",
        );
        let s = parse(&drag_with(5, "duration_s = 600")).unwrap();
        assert!(matches!(&s.steps[0], Step::Drag(d) if d.duration == Duration::from_secs(600)));
    }

    #[test]
    fn drag_button_is_checked_and_defaults_to_left() {
        fails(
            &drag_with(7, "button = \"side\""),
            10,
            "steps[0].button",
            "unknown button `side`; use \"left\"",
        );
        let s = parse(&drag_with(7, "")).unwrap();
        assert!(matches!(&s.steps[0], Step::Drag(d) if d.button == Button::Left));
        let s = parse(&drag_with(7, "button = \"middle\"")).unwrap();
        assert!(matches!(&s.steps[0], Step::Drag(d) if d.button == Button::Middle));
    }

    #[test]
    fn pause_needs_a_positive_duration() {
        fails(
            &format!("{HEAD}[[steps]]\nkind = \"pause\"\n"),
            4,
            "steps[0].duration_s",
            "missing",
        );
        fails(
            &format!("{HEAD}[[steps]]\nkind = \"pause\"\nduration_s = 601\n"),
            6,
            "steps[0].duration_s",
            "got 601",
        );
        let s = parse(&format!(
            "{HEAD}[[steps]]\nkind = \"pause\"\nduration_s = 2\n"
        ))
        .unwrap();
        assert_eq!(s.steps, [Step::Pause(Duration::from_secs(2))]);
    }

    #[test]
    fn dates_are_type_errors_not_crashes() {
        fails(
            &format!("name = \"t\"\nseed = 1979-05-27\n{}{DRAG}", &HEAD[11..]),
            2,
            "seed",
            "got a date/time",
        );
    }

    #[test]
    fn arbitrary_garbage_never_panics() {
        let base = format!("{HEAD}{DRAG}");
        // Every prefix of a valid file, and every line removed in turn.
        for cut in 0..=base.len() {
            if let Some(prefix) = base.get(..cut) {
                let _ = parse(prefix);
            }
        }
        let lines: Vec<&str> = base.lines().collect();
        for skip in 0..lines.len() {
            let text: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            let _ = parse(&text.join("\n"));
        }
        for odd in [
            "\u{0}",
            "[[steps]]\n[steps]\n",
            "a.b.c.d = 1\n[a]\n",
            "[target]\n[target.kind]\n",
            "steps = [{kind=\"drag\"}]",
        ] {
            let _ = parse(odd);
        }
    }
}
