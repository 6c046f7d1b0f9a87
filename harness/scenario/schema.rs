//! The validated, typed form of a scenario: what the rest of spicebench consumes.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::error::{CompressionError, GeometryError, UriError};
use super::password::PasswordSource;
use super::target_kind::TargetKind;
use super::workload::IdleActivity;
use crate::wire::compression::ImageCompression;

/// The only format version this module reads.
pub const SCHEMA: &str = "spicebench.scenario/v1";

/// Points are clamped to this when the target's size is unknown; it is the largest
/// coordinate of the largest geometry spicebench accepts.
pub const MAX_COORDINATE: u32 = 8191;

/// A validated scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Short name, `[A-Za-z0-9_.-]+`; used in result file names.
    pub name: String,
    /// Free text for reports.
    pub description: Option<String>,
    /// The file the scenario was read from.
    pub source: PathBuf,
    /// Seed of every random choice in the input plan.
    pub seed: u64,
    /// How many times each compression is measured.
    pub repeat: u32,
    /// Idle baseline measured before the first step.
    pub idle_before: Duration,
    /// Longest wait for the display to go quiet after the last input.
    pub settle_timeout: Duration,
    /// What to connect to.
    pub target: Target,
    /// How the viewers reach it (`[access]`).
    pub access: super::access::Access,
    /// What the lab's desktop shows (`[desktop]`; Xspice targets only).
    pub desktop: super::workload::DesktopSpec,
    /// What to do, in order; never empty.
    pub steps: Vec<Step>,
}

/// The SPICE server a scenario runs against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// spicebench starts Xspice itself with this geometry, once per compression.
    Xspice {
        /// Size of each head (monitor); the heads sit side by side.
        geometry: Geometry,
        /// How many heads (1..=4).
        heads: u32,
        /// Server-side image compressions to measure; never lz4.
        compression: Vec<Compression>,
        /// The other server knobs to measure.
        knobs: super::workload::KnobAxes,
        /// Serve SPICE on a TLS port only (certificates made per run).
        tls: bool,
        /// What keeps changing on the desktop while idle (`idle_activity`).
        idle_activity: IdleActivity,
    },
    /// A server someone else runs.
    External {
        /// Where it listens.
        uri: SpiceUri,
        /// Where its password comes from; never the scenario file itself.
        password: PasswordSource,
        /// Screen size, when known; points are then checked against it.
        geometry: Option<Geometry>,
        /// Compressions the client asks for.
        compression: Vec<Compression>,
        /// Client-side knobs (only `video_codecs`: the preferred video codecs).
        knobs: super::workload::KnobAxes,
        /// How to trust its certificate, when its port is a TLS port.
        tls: Option<TlsTrustSpec>,
    },
    /// spicebench's QEMU desktop guest, booted once per configuration.
    Qemu {
        /// The guest's machine: accelerator, display device, X driver, pointer device.
        machine: super::machine::QemuMachine,
        /// Server image compressions to measure (QEMU's `image-compression`).
        compression: Vec<Compression>,
        /// The other server knobs to measure (QEMU's own `-spice` options).
        knobs: super::workload::KnobAxes,
    },
}

impl Target {
    /// Which kind it is: what it can do is asked of the kind (see [`TargetKind`]).
    pub fn kind(&self) -> TargetKind {
        match self {
            Self::Xspice { .. } => TargetKind::Xspice,
            Self::External { .. } => TargetKind::External,
            Self::Qemu { .. } => TargetKind::Qemu,
        }
    }

    /// `"xspice"` or `"external"`, as written in the file.
    pub fn kind_name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The compressions to measure, in file order.
    pub fn compression(&self) -> &[Compression] {
        match self {
            Self::Xspice { compression, .. }
            | Self::External { compression, .. }
            | Self::Qemu { compression, .. } => compression,
        }
    }

    /// Replaces the compressions to measure (vet each with [`Target::check_compression`]).
    pub(super) fn set_compression(&mut self, list: Vec<Compression>) {
        match self {
            Self::Xspice { compression, .. }
            | Self::External { compression, .. }
            | Self::Qemu { compression, .. } => *compression = list,
        }
    }

    /// The whole screen's size (every head side by side), when known.
    pub fn geometry(&self) -> Option<Geometry> {
        match self {
            Self::Xspice {
                geometry, heads, ..
            } => Some(Geometry {
                width: geometry.width.saturating_mul((*heads).max(1)),
                height: geometry.height,
            }),
            Self::External { geometry, .. } => *geometry,
            Self::Qemu { .. } => Some(Geometry {
                width: super::machine::GUEST_SCREEN.0,
                height: super::machine::GUEST_SCREEN.1,
            }),
        }
    }

    /// How many heads spicebench sets up (1 for an external server: it has its own).
    pub fn heads(&self) -> u32 {
        match self {
            Self::Xspice { heads, .. } => (*heads).max(1),
            Self::External { .. } | Self::Qemu { .. } => 1,
        }
    }

    /// The knob axes to measure.
    pub fn knobs(&self) -> &super::workload::KnobAxes {
        match self {
            Self::Xspice { knobs, .. }
            | Self::External { knobs, .. }
            | Self::Qemu { knobs, .. } => knobs,
        }
    }

    /// Whether `compression` can be used with this target.
    ///
    /// The single home of the lz4 rule: a target whose knobs spicebench sets (Xspice) takes
    /// its compression as a server setting, which has no lz4, while an external server only
    /// sees lz4 as a client's preference.
    pub fn check_compression(&self, compression: Compression) -> Result<(), CompressionError> {
        if compression == Compression::Lz4 && self.kind().can_set_server_knobs() {
            return Err(CompressionError::Lz4OnXspice);
        }
        Ok(())
    }
}

/// Address of an external SPICE server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpiceUri {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port, never 0.
    pub port: u16,
    /// `spice+tls://`: the port is a TLS port.
    pub tls: bool,
}

/// How a viewer trusts a TLS target's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsTrustSpec {
    /// Certificates signed by the CA in this PEM file (resolved against the scenario's folder).
    CaFile(PathBuf),
    /// Any certificate (`insecure_skip_verify = true`): the results say so.
    InsecureSkipVerify,
}

impl FromStr for SpiceUri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |reason| UriError {
            input: s.to_owned(),
            reason,
        };
        let (rest, tls) = match (s.strip_prefix("spice+tls://"), s.strip_prefix("spice://")) {
            (Some(rest), _) => (rest, true),
            (None, Some(rest)) => (rest, false),
            (None, None) => return Err(fail("it must start with spice:// (or spice+tls://)")),
        };
        if rest.contains(['/', '?', '#', '@']) {
            return Err(fail("paths, queries and user info are not supported"));
        }
        let (host, port) = match rest.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| fail("missing `]` after the IPv6 address"))?;
                let port = after
                    .strip_prefix(':')
                    .ok_or_else(|| fail("missing `:port`"))?;
                (host, port)
            }
            None => {
                let (host, port) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| fail("missing `:port`"))?;
                if host.contains(':') {
                    return Err(fail("write IPv6 addresses in brackets, e.g. [::1]"));
                }
                (host, port)
            }
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(fail("the host is empty or contains spaces"));
        }
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| fail("the port must be a number from 1 to 65535"))?;
        Ok(Self {
            host: host.to_owned(),
            port,
            tls,
        })
    }
}

impl fmt::Display for SpiceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "spice+tls" } else { "spice" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// Screen size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Geometry {
    /// Width in pixels, 64..=8192.
    pub width: u32,
    /// Height in pixels, 64..=8192.
    pub height: u32,
}

impl Geometry {
    /// Smallest accepted width or height.
    pub const MIN: u32 = 64;
    /// Largest accepted width or height.
    pub const MAX: u32 = 8192;

    /// Whether `p` is a pixel of this screen.
    pub fn contains(&self, p: Point) -> bool {
        p.x < self.width && p.y < self.height
    }
}

impl Default for Geometry {
    fn default() -> Self {
        Self {
            width: 1024,
            height: 768,
        }
    }
}

impl FromStr for Geometry {
    type Err = GeometryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |reason| GeometryError {
            input: s.to_owned(),
            reason,
        };
        let (w, h) = s
            .split_once('x')
            .ok_or_else(|| fail("expected WIDTHxHEIGHT such as 1024x768"))?;
        let number = |t: &str| {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail("expected WIDTHxHEIGHT such as 1024x768"));
            }
            // Digits only, so a parse failure can only be overflow: out of range too.
            t.parse::<u32>()
                .ok()
                .filter(|n| (Self::MIN..=Self::MAX).contains(n))
                .ok_or_else(|| fail("width and height must each be between 64 and 8192"))
        };
        Ok(Self {
            width: number(w)?,
            height: number(h)?,
        })
    }
}

impl fmt::Display for Geometry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

crate::named_enum::named_enum! {
    /// An image compression a scenario may measure; its wire code is
    /// [`crate::wire::compression::ImageCompression`]'s.
    pub enum Compression {
        /// No image compression.
        Off = "off",
        /// GLZ, falling back to QUIC for photographic images.
        AutoGlz = "auto_glz",
        /// LZ, falling back to QUIC for photographic images.
        AutoLz = "auto_lz",
        /// QUIC only.
        Quic = "quic",
        /// GLZ only.
        Glz = "glz",
        /// LZ only.
        Lz = "lz",
        /// LZ4 (a client preference; Xspice has no such server setting).
        Lz4 = "lz4",
    }
    from_str: |name| -> CompressionError { CompressionError::Unknown { name: name.to_owned() } }
}

impl Compression {
    /// The `SpiceImageCompression` value sent on the wire.
    pub fn wire_code(&self) -> u8 {
        ImageCompression::from(*self).code()
    }
}

impl From<Compression> for ImageCompression {
    fn from(c: Compression) -> Self {
        match c {
            Compression::Off => Self::Off,
            Compression::AutoGlz => Self::AutoGlz,
            Compression::AutoLz => Self::AutoLz,
            Compression::Quic => Self::Quic,
            Compression::Glz => Self::Glz,
            Compression::Lz => Self::Lz,
            Compression::Lz4 => Self::Lz4,
        }
    }
}

/// One thing a scenario does.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Press a button, move with it held, release.
    Drag(Drag),
    /// Send nothing for this long.
    Pause(Duration),
    /// Move to a point and press and release a button there, once or more.
    Click(Click),
    /// Press keys together (modifiers first), release them in reverse order.
    Key(Vec<crate::keyboard::Key>),
    /// Type text, one key (with shift where needed) per character.
    Type {
        /// The text, printable ASCII, tab and newline.
        text: String,
        /// Characters per second.
        rate_hz: u32,
    },
    /// Wait until something is true of the desktop or the display, at most a timeout.
    WaitFor(WaitFor),
    /// Ask the server for another image compression or other video codecs, mid-session (our
    /// own client only).
    Prefer(Prefer),
    /// The inner steps, `count` times.
    Repeat {
        /// How many times.
        count: u32,
        /// What to repeat; never empty.
        steps: Vec<Step>,
    },
}

/// A click: move to `at`, then `count` presses and releases of `button`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Click {
    /// Where.
    pub at: Point,
    /// Which button.
    pub button: Button,
    /// 1 for a click, 2 for a double click, …
    pub count: u32,
}

/// A preference switched mid-session: the client sends it on every display channel, and the
/// results mark when the wire showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefer {
    /// What to ask for.
    pub preference: Preference,
    /// The step's line in the scenario file.
    pub line: usize,
}

/// A display preference a client can send at any time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preference {
    /// `PREFERRED_COMPRESSION`: this image compression.
    Compression(Compression),
    /// `PREFERRED_VIDEO_CODEC_TYPE`: these codecs, first preferred.
    VideoCodecs(super::workload::VideoCodecList),
}

impl Preference {
    /// The scenario key that sets it.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Compression(_) => "compression",
            Self::VideoCodecs(_) => "video_codecs",
        }
    }

    /// Its value as a scenario spells it (`glz`, `gstreamer:vp8;spice:mjpeg`).
    pub fn value(&self) -> String {
        match self {
            Self::Compression(c) => c.as_str().to_string(),
            Self::VideoCodecs(list) => list.to_string(),
        }
    }
}

/// A condition a run waits for between input steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitFor {
    /// What must become true.
    pub condition: WaitCondition,
    /// Longest wait; the run fails after it.
    pub timeout: Duration,
    /// The step's line in the scenario file, for the error.
    pub line: usize,
}

/// What a [`WaitFor`] waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitCondition {
    /// A window whose title contains this text is mapped on the target's desktop.
    Window(String),
    /// The viewer's display has had no update for this long.
    Quiet(Duration),
}

/// A drag: press at `from`, move along `path` for `duration`, release.
#[derive(Debug, Clone, PartialEq)]
pub struct Drag {
    /// Where the button goes down.
    pub from: Point,
    /// Where the pointer goes while the button is held.
    pub path: DragPath,
    /// Time from the press to the last move.
    pub duration: Duration,
    /// Pointer moves per second.
    pub rate_hz: u32,
    /// The button held.
    pub button: Button,
    /// How long the button stays down with the pointer still, after the press and again
    /// before the release (`hold_s`, default 0): a slow guest's window manager (twm under
    /// QEMU's TCG) starts a move only when the first motion does not follow the press at
    /// once, and ends it short when the release comes before it caught up.
    pub hold: Duration,
}

impl Drag {
    /// How many moves it makes: `round(duration * rate)`, at least one so a linear drag
    /// always reaches its end point.
    pub fn move_count(&self) -> u64 {
        let n = (self.duration.as_secs_f64() * f64::from(self.rate_hz.max(1))).round();
        // `as` saturates and maps NaN to 0, so this cannot panic.
        (n as u64).max(1)
    }
}

/// The route of a drag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DragPath {
    /// Straight line ending exactly at this point.
    To(Point),
    /// Seeded random walk with steps of about `step_px` pixels.
    Erratic {
        /// Typical distance between two moves, 1..=200.
        step_px: u32,
    },
}

/// A pixel position, origin top left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point {
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
}

crate::named_enum::named_enum! {
    /// A mouse button.
    #[derive(Default)]
    pub enum Button {
        /// Left button.
        #[default]
        Left = "left",
        /// Middle button.
        Middle = "middle",
        /// Right button.
        Right = "right",
    }
}

impl Button {
    /// `SPICE_MOUSE_BUTTON_*` code of press and release messages.
    pub fn spice_code(&self) -> u8 {
        match self {
            Self::Left => 1,
            Self::Middle => 2,
            Self::Right => 3,
        }
    }

    /// `SPICE_MOUSE_BUTTON_MASK_*` bit of motion messages' button state.
    pub fn mask(&self) -> u16 {
        match self {
            Self::Left => 1,
            Self::Middle => 2,
            Self::Right => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::KnobAxes;

    #[test]
    fn compression_codes_and_names_round_trip() {
        let codes: Vec<u8> = Compression::ALL.iter().map(|c| c.wire_code()).collect();
        assert_eq!(codes, [1, 2, 3, 4, 5, 6, 7]);
        for c in Compression::ALL {
            assert_eq!(c.as_str().parse::<Compression>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!(Compression::AutoGlz.as_str(), "auto_glz");
        assert!("GLZ".parse::<Compression>().is_err());
    }

    #[test]
    fn lz4_is_refused_only_for_xspice() {
        let xspice = Target::Xspice {
            geometry: Geometry::default(),
            heads: 1,
            knobs: KnobAxes::default(),
            compression: vec![Compression::AutoGlz],
            tls: false,
            idle_activity: IdleActivity::None,
        };
        let external = Target::External {
            knobs: KnobAxes::default(),
            uri: SpiceUri {
                host: "h".into(),
                port: 1,
                tls: false,
            },
            password: PasswordSource::None,
            geometry: None,
            compression: vec![Compression::Lz4],
            tls: None,
        };
        assert_eq!(
            xspice.check_compression(Compression::Lz4),
            Err(CompressionError::Lz4OnXspice)
        );
        assert_eq!(xspice.check_compression(Compression::Glz), Ok(()));
        assert_eq!(external.check_compression(Compression::Lz4), Ok(()));
        assert_eq!(xspice.kind_name(), "xspice");
        assert_eq!(external.kind_name(), "external");
        assert_eq!(external.compression(), &[Compression::Lz4]);
        assert_eq!(external.geometry(), None);
    }

    #[test]
    fn geometry_parses_and_displays() {
        let g: Geometry = "1024x768".parse().unwrap();
        assert_eq!(
            g,
            Geometry {
                width: 1024,
                height: 768
            }
        );
        assert_eq!(g.to_string(), "1024x768");
        assert!(g.contains(Point { x: 1023, y: 767 }));
        assert!(!g.contains(Point { x: 1024, y: 0 }));
        assert!("64x8192".parse::<Geometry>().is_ok());
        for bad in [
            "63x100",
            "100x8193",
            "1024",
            "x768",
            "1024x",
            "+1024x768",
            "99999999999x1",
        ] {
            assert!(bad.parse::<Geometry>().is_err(), "{bad}");
        }
    }

    #[test]
    fn uri_parses_host_port_and_ipv6() {
        let u: SpiceUri = "spice://lab.example:5900".parse().unwrap();
        assert_eq!((u.host.as_str(), u.port), ("lab.example", 5900));
        assert_eq!(u.to_string(), "spice://lab.example:5900");
        let t: SpiceUri = "spice+tls://h:5931".parse().unwrap();
        assert!(t.tls);
        assert_eq!(t.to_string(), "spice+tls://h:5931");
        let v6: SpiceUri = "spice://[::1]:5930".parse().unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 5930));
        assert_eq!(v6.to_string(), "spice://[::1]:5930");
        for bad in [
            "vnc://h:1",
            "spice://h",
            "spice://:5900",
            "spice://h:0",
            "spice://h:65536",
            "spice://h:59/x",
            "spice://h?port=5900",
            "spice://::1:5900",
            "spice://[::1]5900",
        ] {
            assert!(bad.parse::<SpiceUri>().is_err(), "{bad}");
        }
    }

    #[test]
    fn button_codes_and_masks() {
        assert_eq!(Button::Left.spice_code(), 1);
        assert_eq!(Button::Middle.spice_code(), 2);
        assert_eq!(Button::Right.spice_code(), 3);
        assert_eq!(Button::Left.mask(), 1);
        assert_eq!(Button::Middle.mask(), 2);
        assert_eq!(Button::Right.mask(), 4);
        assert_eq!(Button::from_name("middle"), Some(Button::Middle));
        assert_eq!(Button::from_name("Left"), None);
    }
}
