//! Error types of the scenario module: one for whole files, small ones for single values.

use std::io;
use std::path::{Path, PathBuf};

use super::schema::Compression;

/// Why a scenario file could not be turned into a [`super::Scenario`].
///
/// Displays as `FILE:LINE: KEY: PROBLEM`, e.g.
/// `scenarios/drag.toml:17: steps[0].rate_hz: must be between 1 and 1000, got 0`.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read at all.
    #[error("{}: cannot read scenario file: {source}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The file is larger than a scenario can reasonably be.
    #[error("{}: {size} bytes or more is too large for a scenario file (the limit is 1 MiB); is it the right file?", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The file is not UTF-8.
    #[error("{}:{line}: not UTF-8 at byte {offset}; save the scenario as UTF-8", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first bad byte.
        line: usize,
        /// Byte offset of the first bad byte.
        offset: usize,
    },
    /// The text is not valid TOML.
    #[error("{}: TOML syntax error: {message}", location(path, *line))]
    Syntax {
        /// The scenario file.
        path: PathBuf,
        /// 1-based line of the error, when toml reported a position.
        line: Option<usize>,
        /// toml's explanation, folded onto one line.
        message: String,
    },
    /// The TOML is well formed but breaks a rule of `spicebench.scenario/v1`.
    #[error("{}:{line}: {key}: {message}", path.display())]
    Invalid {
        /// The scenario file.
        path: PathBuf,
        /// 1-based line of the offending key or value.
        line: usize,
        /// Dotted key path, e.g. `steps[0].rate_hz`.
        key: String,
        /// What is wrong and what to do instead.
        message: String,
    },
}

impl ScenarioError {
    /// The 1-based line the error points at, if it points at one.
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Read { .. } | Self::TooLarge { .. } => None,
            Self::NotUtf8 { line, .. } => Some(*line),
            Self::Syntax { line, .. } => *line,
            Self::Invalid { line, .. } => Some(*line),
        }
    }

    /// The dotted key path of a rule violation.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// `path:line`, or just `path` when the line is unknown.
fn location(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

/// Every compression name, comma-separated, for error messages.
fn compression_names() -> String {
    Compression::ALL.map(Compression::as_str).join(", ")
}

/// A compression name or list that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompressionError {
    /// Not one of the names spicebench knows.
    #[error("unknown compression `{name}`; valid names: {}", compression_names())]
    Unknown {
        /// The name as given.
        name: String,
    },
    /// The same compression twice would give two configurations the same name.
    #[error("compression `{name}` is listed twice; list each one once")]
    Duplicate {
        /// The repeated name.
        name: String,
    },
    /// A list without any compression.
    #[error(
        "the compression list is empty; give at least one of: {}",
        compression_names()
    )]
    Empty,
    /// lz4 given for a target spicebench starts itself.
    #[error(
        "`lz4` is only a client preference for external targets; Xspice does not accept it as \
         a server setting, use one of off, auto_glz, auto_lz, quic, glz, lz"
    )]
    Lz4OnXspice,
}

/// A `WIDTHxHEIGHT` string that is not a usable geometry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid geometry `{input}`: {reason}")]
pub struct GeometryError {
    /// The text as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A string that is not a `spice://host:port` URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SPICE URI `{input}`: {reason}; expected spice://host:port")]
pub struct UriError {
    /// The text as given.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_displays_file_line_key_message() {
        let e = ScenarioError::Invalid {
            path: PathBuf::from("scenarios/drag.toml"),
            line: 17,
            key: "steps[0].rate_hz".into(),
            message: "must be between 1 and 1000, got 0".into(),
        };
        assert_eq!(
            e.to_string(),
            "scenarios/drag.toml:17: steps[0].rate_hz: must be between 1 and 1000, got 0"
        );
        assert_eq!(e.line(), Some(17));
        assert_eq!(e.key(), Some("steps[0].rate_hz"));
    }

    #[test]
    fn syntax_without_line_omits_it() {
        let e = ScenarioError::Syntax {
            path: PathBuf::from("a.toml"),
            line: None,
            message: "bad".into(),
        };
        assert_eq!(e.to_string(), "a.toml: TOML syntax error: bad");
        assert_eq!(e.line(), None);
    }

    #[test]
    fn unknown_compression_lists_valid_names() {
        let e = CompressionError::Unknown { name: "zip".into() };
        assert_eq!(
            e.to_string(),
            "unknown compression `zip`; valid names: off, auto_glz, auto_lz, quic, glz, lz, lz4"
        );
    }
}
