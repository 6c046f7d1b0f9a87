//! One recording folder: `capture.pcapng` (the real capture), `recording.toml` (how it was
//! recorded) and `expected.json` (the analysis it must keep producing).

use std::path::{Path, PathBuf};

use crate::analyze::{analyze_file, AnalyzeOptions};
use crate::capture::CaptureError;
use crate::results::{ResultsError, RunResult, WarningCode};

/// The capture file of a recording.
pub const CAPTURE: &str = "capture.pcapng";
/// Its metadata.
pub const METADATA: &str = "recording.toml";
/// Its expected analysis.
pub const EXPECTED: &str = "expected.json";
/// Keys `recording.toml` must have.
pub const REQUIRED_KEYS: [&str; 5] = ["name", "client", "server", "capture", "workload"];

/// Why a recording cannot be checked, with what to do.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A file of the recording is missing.
    #[error("{path}: missing; {fix}")]
    Missing {
        /// The missing file.
        path: PathBuf,
        /// What to do.
        fix: String,
    },
    /// The metadata is not valid.
    #[error("{path}: {reason}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The capture ends in the middle of a packet.
    #[error("{path} is truncated ({detail}); restore it from git or record it again")]
    Truncated {
        /// The capture.
        path: PathBuf,
        /// Where.
        detail: String,
    },
    /// The capture cannot be read.
    #[error("{0}")]
    Capture(#[from] CaptureError),
    /// The expected results cannot be read.
    #[error("{0}")]
    Results(#[from] ResultsError),
    /// The tolerance file is not valid.
    #[error("{path}: {reason}")]
    Tolerances {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// File system trouble.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
    /// `record` would overwrite a recording.
    #[error("{0} already exists; pick another --name or remove it first")]
    Exists(PathBuf),
}

/// A recording folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// Folder.
    pub dir: PathBuf,
}

impl Recording {
    /// Every recording under `root` (its sub-folders), sorted by name.
    pub fn find_all(root: &Path) -> Result<Vec<Self>, CheckError> {
        let io = |source| CheckError::Io {
            path: root.to_path_buf(),
            source,
        };
        let mut all: Vec<Self> = std::fs::read_dir(root)
            .map_err(io)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .map(|dir| Self { dir })
            .collect();
        all.sort_by(|a, b| a.dir.cmp(&b.dir));
        Ok(all)
    }

    /// The folder's name.
    pub fn name(&self) -> String {
        self.dir
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().to_string())
    }

    /// Path of one of its files.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Checks the capture and the metadata exist and the metadata has its keys.
    pub fn check_layout(&self) -> Result<(), CheckError> {
        let capture = self.file(CAPTURE);
        if !capture.exists() {
            return Err(CheckError::Missing {
                path: capture,
                fix: "a recording is a real capture; record one with `spicebench record` or \
                      scripts/record-remote-viewer.sh"
                    .into(),
            });
        }
        let meta = self.file(METADATA);
        let text = std::fs::read_to_string(&meta).map_err(|_| CheckError::Missing {
            path: meta.clone(),
            fix: format!(
                "say how the capture was recorded, with the keys {}",
                REQUIRED_KEYS.join(", ")
            ),
        })?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| CheckError::Metadata {
            path: meta.clone(),
            reason: format!("not valid TOML: {e}"),
        })?;
        let missing: Vec<&str> = REQUIRED_KEYS
            .iter()
            .copied()
            .filter(|k| !table.contains_key(*k))
            .collect();
        if !missing.is_empty() {
            return Err(CheckError::Metadata {
                path: meta,
                reason: format!("missing key(s) {}", missing.join(", ")),
            });
        }
        Ok(())
    }

    /// Analyses the capture as `spicebench analyze` does; a truncated capture is an error.
    pub fn analyze(&self) -> Result<RunResult, CheckError> {
        let capture = self.file(CAPTURE);
        let r = match analyze_file(&capture, AnalyzeOptions::default()) {
            Ok(r) => r,
            Err(CaptureError::Truncated { .. }) => {
                return Err(CheckError::Truncated {
                    path: capture,
                    detail: "its last packet is cut short".into(),
                })
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(w) = r
            .warnings
            .iter()
            .find(|w| w.code == WarningCode::PartialCapture)
        {
            return Err(CheckError::Truncated {
                path: capture,
                detail: w.text.clone(),
            });
        }
        Ok(r)
    }

    /// The expected analysis.
    pub fn expected(&self) -> Result<RunResult, CheckError> {
        let path = self.file(EXPECTED);
        if !path.exists() {
            return Err(CheckError::Missing {
                path,
                fix: "create it with `spicebench check --update`".into(),
            });
        }
        Ok(RunResult::read(&path)?)
    }

    /// Writes the expected analysis (atomically).
    pub fn write_expected(&self, r: &RunResult) -> Result<(), CheckError> {
        let path = self.file(EXPECTED);
        r.write_atomic(&path)
            .map_err(|source| CheckError::Io { path, source })
    }
}

/// Metadata for a recording promoted from a spicebench run; `server_versions` as from
/// [`crate::lab::xspice::package_versions`].
pub fn run_metadata(
    name: &str,
    run: &RunResult,
    recorded_at: &str,
    server_versions: &str,
) -> String {
    let q = |s: &str| format!("{s:?}");
    let mut out = String::from("# How this capture was recorded (spicebench record).\n");
    for (k, v) in [
        ("name", name.to_string()),
        ("recorded_at", recorded_at.to_string()),
        (
            "client",
            format!("spicebench {}", env!("CARGO_PKG_VERSION")),
        ),
        (
            "server",
            format!(
                "{} at {} ({server_versions})",
                run.config.target, run.server.address
            ),
        ),
        ("transport", run.config.transport.to_string()),
        ("compression", run.config.compression.clone()),
        (
            "compression_mechanism",
            run.config.compression_mechanism.clone(),
        ),
        ("geometry", run.config.geometry.clone().unwrap_or_default()),
        (
            "capture",
            "spicebench's live libpcap capture on lo, filter `tcp port <server port>`".into(),
        ),
        (
            "workload",
            format!(
                "spicebench run {} (configuration {}, seed {}): {}",
                run.scenario.file,
                run.config.name,
                run.config.seed,
                run.scenario.description.clone().unwrap_or_default()
            ),
        ),
        ("run_started_at", run.started_at.clone()),
    ] {
        out.push_str(&format!("{k} = {}\n", q(&v)));
    }
    out
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn layout_errors_name_the_file_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let rec = Recording {
            dir: dir.path().to_path_buf(),
        };
        let e = rec.check_layout().unwrap_err().to_string();
        assert!(e.contains("capture.pcapng: missing"), "{e}");
        std::fs::write(rec.file(CAPTURE), b"").unwrap();
        let e = rec.check_layout().unwrap_err().to_string();
        assert!(
            e.contains("recording.toml: missing") && e.contains("workload"),
            "{e}"
        );
        std::fs::write(rec.file(METADATA), "name = \"x\"\n").unwrap();
        let e = rec.check_layout().unwrap_err().to_string();
        assert!(
            e.contains("missing key(s) client, server, capture, workload"),
            "{e}"
        );
        let meta = run_metadata("x", &RunResult::default(), "2026-01-01T00:00:00Z", "");
        std::fs::write(rec.file(METADATA), meta).unwrap();
        rec.check_layout().unwrap();
    }
}
