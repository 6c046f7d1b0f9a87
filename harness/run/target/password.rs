//! Fetching an external target's password at run time, from where the scenario says
//! ([`PasswordSource`]), never from the scenario file itself.

use std::io;
use std::path::PathBuf;

use crate::scenario::{is_env_name, PasswordSource};

/// The largest password file read: SPICE tickets are at most 60 bytes, and a few KiB leave
/// room for any other secret while `/dev/zero` or a wrong file fails at once.
const MAX_PASSWORD_FILE_BYTES: u64 = 4096;

/// The password of an external target could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// `password_env` names a variable that is not set.
    #[error("environment variable `{var}` (from password_env) is not set")]
    EnvMissing {
        /// The variable's name.
        var: String,
    },
    /// `password_env` names a variable whose value is not UTF-8.
    #[error("environment variable `{var}` (from password_env) is not valid UTF-8")]
    EnvNotUnicode {
        /// The variable's name.
        var: String,
    },
    /// `password_env` is not a usable variable name.
    #[error("`{var}` is not an environment variable name; use letters, digits and '_'")]
    EnvBadName {
        /// The name as given.
        var: String,
    },
    /// `password_file` could not be read.
    #[error("cannot read password file {}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}

/// Fetches the password of `source` now; one trailing newline is dropped, since `echo secret > f`
/// and shell exports commonly add one the server never saw.
pub fn resolve(source: &PasswordSource) -> Result<Option<String>, PasswordError> {
    let raw = match source {
        PasswordSource::None => return Ok(None),
        PasswordSource::Env(var) => {
            // std may panic on names with '=' or NUL, so refuse them first.
            if !is_env_name(var) {
                return Err(PasswordError::EnvBadName { var: var.clone() });
            }
            std::env::var_os(var)
                .ok_or_else(|| PasswordError::EnvMissing { var: var.clone() })?
                .into_string()
                .map_err(|_| PasswordError::EnvNotUnicode { var: var.clone() })?
        }
        PasswordSource::File(path) => {
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
        let err = resolve(&PasswordSource::File("/dev/zero".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/dev/zero"), "{err}");
        assert!(err.contains("more than 4096 bytes"), "{err}");
    }

    #[test]
    fn none_resolves_to_no_password() {
        assert_eq!(resolve(&PasswordSource::None).unwrap(), None);
    }

    #[test]
    fn file_drops_exactly_one_trailing_newline() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"s3cret\n\n").unwrap();
        let got = resolve(&PasswordSource::File(f.path().to_owned())).unwrap();
        assert_eq!(got.as_deref(), Some("s3cret\n"));

        let mut crlf = tempfile::NamedTempFile::new().unwrap();
        crlf.write_all(b"pw\r\n").unwrap();
        let got = resolve(&PasswordSource::File(crlf.path().to_owned())).unwrap();
        assert_eq!(got.as_deref(), Some("pw"));
    }

    #[test]
    fn missing_file_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-password");
        let e = resolve(&PasswordSource::File(path.clone())).unwrap_err();
        assert!(matches!(e, PasswordError::File { .. }));
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    }

    #[test]
    fn env_reads_variable_and_names_missing_one() {
        // The variable PATH is set in any sane test environment; reading it needs no
        // set_var, which would race with other tests.
        let path = resolve(&PasswordSource::Env("PATH".into())).unwrap();
        assert_eq!(path, std::env::var("PATH").ok());

        let var = "SPICEBENCH_TEST_SURELY_UNSET_4711";
        let e = resolve(&PasswordSource::Env(var.into())).unwrap_err();
        assert!(matches!(e, PasswordError::EnvMissing { .. }));
        assert!(e.to_string().contains(var), "{e}");
    }

    #[test]
    fn bad_env_names_are_refused_not_panicking() {
        for bad in ["", "A=B", "A\0B", "1ABC", "A-B"] {
            let e = resolve(&PasswordSource::Env(bad.into())).unwrap_err();
            assert!(matches!(e, PasswordError::EnvBadName { .. }), "{bad}: {e}");
        }
        assert!(is_env_name("SPICE_PASSWORD_2"));
        assert!(is_env_name("_x"));
    }
}
