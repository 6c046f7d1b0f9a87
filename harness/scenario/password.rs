//! Where an external target's password comes from, and fetching it at run time.

use std::path::PathBuf;

use super::error::PasswordError;

/// The largest password file read: SPICE tickets are at most 60 bytes, and a few KiB leave
/// room for any other secret while `/dev/zero` or a wrong file fails at once.
const MAX_PASSWORD_FILE_BYTES: u64 = 4096;

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

impl PasswordSource {
    /// Fetches the password now; one trailing newline is dropped, since `echo secret > f`
    /// and shell exports commonly add one the server never saw.
    pub fn resolve(&self) -> Result<Option<String>, PasswordError> {
        let raw = match self {
            Self::None => return Ok(None),
            Self::Env(var) => {
                // std may panic on names with '=' or NUL, so refuse them first.
                if !is_env_name(var) {
                    return Err(PasswordError::EnvBadName { var: var.clone() });
                }
                std::env::var_os(var)
                    .ok_or_else(|| PasswordError::EnvMissing { var: var.clone() })?
                    .into_string()
                    .map_err(|_| PasswordError::EnvNotUnicode { var: var.clone() })?
            }
            Self::File(path) => {
                crate::bounded_read::read_limited_text(path, MAX_PASSWORD_FILE_BYTES).map_err(
                    |source| PasswordError::File {
                        path: path.clone(),
                        source,
                    },
                )?
            }
        };
        Ok(Some(trim_one_newline(raw)))
    }
}

/// Whether `name` is a portable environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn trim_one_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn an_endless_password_file_fails_at_once() {
        let err = PasswordSource::File("/dev/zero".into())
            .resolve()
            .unwrap_err()
            .to_string();
        assert!(err.contains("/dev/zero"), "{err}");
        assert!(err.contains("more than 4096 bytes"), "{err}");
    }

    #[test]
    fn none_resolves_to_no_password() {
        assert_eq!(PasswordSource::None.resolve().unwrap(), None);
    }

    #[test]
    fn file_drops_exactly_one_trailing_newline() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"s3cret\n\n").unwrap();
        let got = PasswordSource::File(f.path().to_owned()).resolve().unwrap();
        assert_eq!(got.as_deref(), Some("s3cret\n"));

        let mut crlf = tempfile::NamedTempFile::new().unwrap();
        crlf.write_all(b"pw\r\n").unwrap();
        let got = PasswordSource::File(crlf.path().to_owned())
            .resolve()
            .unwrap();
        assert_eq!(got.as_deref(), Some("pw"));
    }

    #[test]
    fn missing_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-password");
        let e = PasswordSource::File(path.clone()).resolve().unwrap_err();
        assert!(matches!(e, PasswordError::File { .. }));
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    }

    #[test]
    fn env_reads_variable_and_names_missing_one() {
        // The variable PATH is set in any sane test environment; reading it needs no
        // set_var, which would race with other tests.
        let path = PasswordSource::Env("PATH".into()).resolve().unwrap();
        assert_eq!(path, std::env::var("PATH").ok());

        let var = "SPICEBENCH_TEST_SURELY_UNSET_4711";
        let e = PasswordSource::Env(var.into()).resolve().unwrap_err();
        assert!(matches!(e, PasswordError::EnvMissing { .. }));
        assert!(e.to_string().contains(var), "{e}");
    }

    #[test]
    fn bad_env_names_are_refused_not_panicking() {
        for bad in ["", "A=B", "A\0B", "1ABC", "A-B"] {
            let e = PasswordSource::Env(bad.into()).resolve().unwrap_err();
            assert!(matches!(e, PasswordError::EnvBadName { .. }), "{bad}: {e}");
        }
        assert!(is_env_name("SPICE_PASSWORD_2"));
        assert!(is_env_name("_x"));
    }
}
