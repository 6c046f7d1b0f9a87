//! Where an external target's password comes from (fetching it is the run's:
//! `crate::run::target::password`).

use std::path::PathBuf;

/// The source of an external target's password. Scenario files never hold the password
/// itself, so they can be committed and shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The server needs no password.
    None,
    /// Read from this environment variable.
    Env(String),
    /// Read from this file (relative paths were resolved against the scenario's folder).
    File(PathBuf),
}

/// Whether `name` is a portable environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
