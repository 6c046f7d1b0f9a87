//! Writing result files atomically and reading them back with a schema check.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::model::RunResult;
use super::{SCHEMA, SCHEMA_V1};

/// Why a result file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The file could not be opened or read.
    #[error("{}: cannot read result file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The file is not JSON, or its JSON does not fit the v1 model.
    #[error("{}: not a valid {SCHEMA} result: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// Where and why parsing failed.
        #[source]
        source: serde_json::Error,
    },
    /// A field has the wrong type or value.
    #[error("{}:{line}: field `{field}`: {message}; is the file from another program, or edited by hand?", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// Dotted path of the field, e.g. `scenario.name`.
        field: String,
        /// 1-based line of the value.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The file is JSON but declares another schema (or none).
    #[error("{}: schema is {}, expected \"{SCHEMA}\" (or \"{SCHEMA_V1}\")", path.display(), found.as_deref().map_or_else(|| "missing".to_string(), |s| format!("\"{s}\"")))]
    Schema {
        /// The file.
        path: PathBuf,
        /// The `schema` value found, if it was a string.
        found: Option<String>,
    },
}

/// Distinguishes temp files of concurrent writers within one process; the pid does so
/// across processes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` so that readers only ever see a complete file: they go to a temp
/// file in the same directory, are fsynced, then renamed over `path`. Missing parent
/// directories are created. A `path` that is a device or a pipe is written into instead.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    // A device or a pipe (`--out /dev/null`, `--out /dev/stdout`) is written into: renaming
    // a file over it would replace the device itself with that file.
    if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        let mut f = OpenOptions::new().write(true).open(path)?;
        return f.write_all(bytes);
    }
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file path", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;

    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let temp = dir.join(temp_name);

    let written = write_synced(&temp, bytes).and_then(|()| fs::rename(&temp, path));
    if let Err(e) = written {
        // The temp file is ours alone; leaving it would litter the results directory.
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    // Makes the rename itself durable. Best effort: some filesystems refuse to sync
    // a directory, and the data is already safe in the file.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

impl RunResult {
    /// Writes pretty JSON to `path` with [`write_bytes_atomic`].
    pub fn write_atomic(&self, path: &Path) -> io::Result<()> {
        let mut json = serde_json::to_vec_pretty(self)?;
        json.push(b'\n');
        write_bytes_atomic(path, &json)
    }

    /// Reads and checks a result file. The schema is checked before the shape, so a file
    /// of another version fails with [`ResultsError::Schema`] rather than a field error.
    /// A v1 file is upgraded as it is read: its bare-text warnings get the code `legacy`
    /// (see [`crate::results::Warning`]) and its `schema` becomes [`SCHEMA`], since what
    /// is in memory is a v2 result and is written as one.
    pub fn read(path: impl AsRef<Path>) -> Result<RunResult, ResultsError> {
        let path = path.as_ref();
        let text = fs::read(path).map_err(|source| ResultsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let json_err = |source| ResultsError::Json {
            path: path.to_path_buf(),
            source,
        };
        let value: serde_json::Value = serde_json::from_slice(&text).map_err(json_err)?;
        match value.get("schema").and_then(|s| s.as_str()) {
            Some(SCHEMA | SCHEMA_V1) => {}
            found => {
                return Err(ResultsError::Schema {
                    path: path.to_path_buf(),
                    found: found.map(str::to_string),
                })
            }
        }
        // Parsed again from the text, not from `value`, so the error knows its line and
        // its field's path.
        let mut de = serde_json::Deserializer::from_slice(&text);
        let mut result: RunResult = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            ResultsError::Field {
                path: path.to_path_buf(),
                field,
                line: inner.line(),
                message: strip_position(&inner.to_string()),
            }
        })?;
        result.schema = SCHEMA.to_string();
        Ok(result)
    }
}

/// serde_json's message without its trailing " at line L column C" (the line is reported
/// on its own).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pipe_is_written_into_not_replaced() {
        // What `--out /dev/null` needs, on a pipe of our own (replacing /dev/null itself
        // broke every later program on the machine that wrote to it).
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("out.fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path in our own temporary folder.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_bytes_atomic(&fifo, b"{}\n").unwrap();
        assert_eq!(reader.join().unwrap(), b"{}\n");
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        // Nothing else appeared beside it.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// A fresh directory under the system temp dir; std only, so the module needs no
    /// dev-dependencies.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "spicebench-results-test-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_wrong_type_names_the_field_and_its_line() {
        let dir = scratch_dir("field");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.json");
        let mut v = serde_json::to_value(RunResult::default()).unwrap();
        v["scenario"]["name"] = serde_json::json!(1);
        fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let e = RunResult::read(&path).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, ResultsError::Field { .. }), "{text}");
        assert!(text.contains("field `scenario.name`"), "{text}");
        assert!(
            text.contains("invalid type: integer `1`, expected a string"),
            "{text}"
        );
        let line = fs::read_to_string(&path)
            .unwrap()
            .lines()
            .position(|l| l.contains("\"name\": 1"))
            .unwrap()
            + 1;
        assert!(text.contains(&format!("r.json:{line}:")), "{text}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn write_atomic_creates_dirs_round_trips_and_leaves_no_temp() {
        let dir = scratch_dir("write");
        let path = dir.join("nested/run.json");
        let run = RunResult {
            duration_s: 2.5,
            warnings: vec![crate::results::Warning::new(
                crate::results::WarningCode::NoInput,
                "x",
            )],
            ..RunResult::default()
        };
        run.write_atomic(&path).unwrap();
        // Overwriting must work too (rename over an existing file).
        run.write_atomic(&path).unwrap();

        let entries: Vec<_> = fs::read_dir(dir.join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(entries, vec!["run.json".to_string()]);
        assert_eq!(RunResult::read(&path).unwrap(), run);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.ends_with("}\n"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temp() {
        // The rename cannot replace a non-empty directory: the write fails, says so, and
        // leaves nothing of its own behind.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"old").unwrap();
        assert!(write_bytes_atomic(&target, b"new").is_err());
        assert_eq!(fs::read(target.join("keep")).unwrap(), b"old");
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["out.json"]);
    }

    #[test]
    fn write_atomic_rejects_a_path_without_file_name() {
        let err = RunResult::default()
            .write_atomic(Path::new("/"))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn read_names_the_file_and_the_wrong_schema() {
        let dir = scratch_dir("schema");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.json");
        fs::write(&path, r#"{"schema": "spicebench.run/v0", "x": 1}"#).unwrap();
        let err = RunResult::read(&path).unwrap_err();
        assert!(
            matches!(&err, ResultsError::Schema { found: Some(s), .. } if s == "spicebench.run/v0")
        );
        let msg = err.to_string();
        assert!(msg.contains("old.json"), "{msg}");
        assert!(msg.contains("\"spicebench.run/v0\""), "{msg}");

        fs::write(&path, r#"{"x": 1}"#).unwrap();
        let msg = RunResult::read(&path).unwrap_err().to_string();
        assert!(msg.contains("schema is missing"), "{msg}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_v1_file_reads_upgraded_with_legacy_warnings() {
        // As on disk before v2 (the same file the report tests read).
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/results/glz.json");
        let raw: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(raw["schema"], SCHEMA_V1);
        let texts: Vec<&str> = raw["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert!(!texts.is_empty());
        let r = RunResult::read(&path).unwrap();
        assert_eq!(r.schema, SCHEMA);
        let read: Vec<&str> = r.warnings.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(read, texts);
        assert!(r
            .warnings
            .iter()
            .all(|w| w.code == crate::results::WarningCode::Legacy
                && w.severity == crate::results::Severity::Warning));
        // Written back, it is a v2 file whose warnings keep their code.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.json");
        r.write_atomic(&out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(v["warnings"][0]["code"], "legacy");
        assert_eq!(RunResult::read(&out).unwrap(), r);
    }

    #[test]
    fn read_reports_bad_json_and_missing_files_with_the_path() {
        let dir = scratch_dir("json");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("broken.json");
        fs::write(&path, "{\"schema\": ").unwrap();
        let err = RunResult::read(&path).unwrap_err();
        assert!(matches!(err, ResultsError::Json { .. }));
        assert!(err.to_string().contains("broken.json"));

        // Right schema, wrong shape: a field error naming what is missing, not a schema error.
        fs::write(&path, r#"{"schema": "spicebench.run/v1"}"#).unwrap();
        let err = RunResult::read(&path).unwrap_err();
        assert!(matches!(err, ResultsError::Field { .. }), "{err}");
        assert!(
            err.to_string().contains("missing field `scenario`"),
            "{err}"
        );

        let err = RunResult::read(dir.join("absent.json")).unwrap_err();
        assert!(matches!(err, ResultsError::Io { .. }));
        assert!(err.to_string().contains("absent.json"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
