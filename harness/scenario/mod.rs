//! Scenario files (`spicebench.scenario/v1`, TOML): loading, validation with
//! line-accurate errors, and the rules across its matrix axes (the matrix itself and what a
//! run sends are `crate::plan`'s). The format is described in `docs/scenario.md`.

mod access;
mod de_error;
mod error;

/// Scenario files above this size are refused: a scenario is a page of TOML, and its text is
/// copied into results and reports.
pub const MAX_SCENARIO_BYTES: u64 = 1024 * 1024;
mod lan;
mod machine;
mod matrix;
#[cfg(test)]
mod parse_tests;
mod password;
mod raw;
mod rules;
#[cfg(test)]
mod rules_tests;
mod schema;
mod target_kind;
mod workload;

use std::path::Path;

pub use access::{
    is_ssh_destination, Access, AccessError, Route, SshServer, TransportKind, TransportSpec,
    ViewerKind, ViewerSide,
};
pub use error::{CompressionError, GeometryError, ScenarioError, UriError};
pub use lan::LanLink;
pub use machine::{Accel, Gpu, PointerDevice, QemuMachine, XDriver, GUEST_SCREEN};
pub use matrix::{MatrixOverride, OverrideError, ViewerRefusal};
pub use password::{is_env_name, PasswordSource};
pub use schema::{
    Button, Click, Compression, Drag, DragPath, Geometry, Point, Prefer, Preference, Scenario,
    SpiceUri, Step, Target, TlsTrustSpec, WaitCondition, WaitFor, MAX_COORDINATE, SCHEMA,
};
pub use target_kind::TargetKind;
pub use workload::{
    DesktopContent, DesktopSpec, IdleActivity, KnobAxes, StreamingVideo, VideoCodec,
    VideoCodecList, VideoCodecType, VideoEncoder, WanCompression,
};

impl Scenario {
    /// Reads and validates the scenario file at `path`. A file larger than
    /// [`MAX_SCENARIO_BYTES`] or not UTF-8 is refused with where and why.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let read = |source| ScenarioError::Read {
            path: path.to_owned(),
            source,
        };
        let size = std::fs::metadata(path).map_err(read)?.len();
        if size > MAX_SCENARIO_BYTES {
            return Err(ScenarioError::TooLarge {
                path: path.to_owned(),
                size,
            });
        }
        // The size above is 0 for a device or a pipe: the read itself is limited too.
        let bytes =
            crate::bounded_read::read_limited(path, MAX_SCENARIO_BYTES).map_err(|e| {
                match e.kind() {
                    std::io::ErrorKind::FileTooLarge => ScenarioError::TooLarge {
                        path: path.to_owned(),
                        size: MAX_SCENARIO_BYTES + 1,
                    },
                    _ => read(e),
                }
            })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let before = &e.as_bytes()[..offset];
            ScenarioError::NotUtf8 {
                path: path.to_owned(),
                line: 1 + before.iter().filter(|b| **b == b'\n').count(),
                offset,
            }
        })?;
        Self::parse(&text, path)
    }

    /// Validates scenario `text`; `path` is only used in errors and as [`Scenario::source`].
    pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
        rules::scenario_from_text(text, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    fn shipped_drag() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/drag.toml")
    }

    #[test]
    fn an_endless_device_is_not_a_scenario() {
        let e = Scenario::load(Path::new("/dev/zero")).unwrap_err();
        assert!(matches!(e, ScenarioError::TooLarge { .. }), "{e}");
        assert!(
            e.to_string().contains("too large for a scenario file"),
            "{e}"
        );
    }

    #[test]
    fn shipped_drag_scenario_loads() {
        let s = Scenario::load(&shipped_drag()).unwrap();
        assert_eq!(s.name, "drag");
        assert_eq!(s.seed, 42);
        assert_eq!(s.repeat, 1);
        assert_eq!(s.idle_before, Duration::from_secs(1));
        assert_eq!(s.settle_timeout, Duration::from_secs(5));
        assert_eq!(s.source, shipped_drag());
        assert_eq!(
            s.target,
            Target::Xspice {
                geometry: Geometry {
                    width: 1024,
                    height: 768
                },
                heads: 1,
                knobs: KnobAxes::default(),
                compression: vec![Compression::Off, Compression::AutoGlz, Compression::Glz],
                tls: false,
                idle_activity: IdleActivity::None,
            }
        );
        assert_eq!(s.steps.len(), 3);
        assert_eq!(
            s.steps[0],
            Step::Drag(Drag {
                from: Point { x: 120, y: 58 },
                path: DragPath::To(Point { x: 420, y: 238 }),
                duration: Duration::from_secs(3),
                rate_hz: 100,
                button: Button::Left,
                hold: Duration::ZERO,
            })
        );
        assert_eq!(s.steps[1], Step::Pause(Duration::from_millis(500)));
        assert!(matches!(
            &s.steps[2],
            Step::Drag(Drag {
                path: DragPath::Erratic { step_px: 12 },
                ..
            })
        ));
    }

    #[test]
    fn unreadable_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.toml");
        let e = Scenario::load(&path).unwrap_err();
        assert!(matches!(e, ScenarioError::Read { .. }));
        let msg = e.to_string();
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(msg.contains("cannot read"), "{msg}");
    }

    #[test]
    fn load_reports_errors_against_the_path_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "name = \"x\"\nrepeat = 0\n").unwrap();
        let e = Scenario::load(&path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}:2: repeat: must be between 1 and 100, got 0",
                path.display()
            )
        );
    }
}
