//! X authorization for the lab's X servers: a random MIT-MAGIC-COOKIE-1 per server, written
//! in the Xauthority file format, so only holders of the file can connect.
//!
//! Format (Xau): per entry, big-endian `u16` family, then four `u16`-length-prefixed byte
//! strings: address, display number, auth name, auth data. Each file gets a `FamilyLocal`
//! entry for this host name (what Xlib/xcb look up for `:N`) and a `FamilyWild` one (matches
//! any address), so every client library finds it.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;

use super::LabError;
pub use crate::xclient::display::{Cookie, XDisplay, COOKIE_LEN, COOKIE_NAME};

const FAMILY_LOCAL: u16 = 256;
const FAMILY_WILD: u16 = 65535;

// What only the lab does with a display, with the lab's errors; the type itself belongs to
// the X client code below the lab (inherent impls may live in any module of the crate).
impl XDisplay {
    /// The same display with the cookie copied to `path` (owned by `owner`, mode 0600), for a
    /// client that runs as another user and cannot read the original.
    pub fn share_with(&self, path: &Path, owner: Option<(u32, u32)>) -> Result<Self, LabError> {
        let bytes = std::fs::read(&self.authority).map_err(|source| LabError::Io {
            context: format!("reading {}", self.authority.display()),
            source,
        })?;
        write_private(path, &bytes, owner)?;
        Ok(Self {
            authority: path.to_path_buf(),
            ..self.clone()
        })
    }

    /// Fails unless the server refuses a client that brings no cookie. Xorg and Xvfb quietly
    /// admit everyone when their `-auth` file is missing or empty, so the lab checks rather
    /// than trusts.
    pub fn check_closed(&self, server: &str) -> Result<(), LabError> {
        match admits_anonymous(&self.socket()) {
            Ok(false) => Ok(()),
            Ok(true) => Err(LabError::OpenDisplay {
                server: server.to_string(),
                display: self.name(),
            }),
            Err(source) => Err(LabError::Io {
                context: format!("checking that {server} on {} needs its cookie", self.name()),
                source,
            }),
        }
    }
}

/// Whether the X server on `socket` accepts a connection setup without authorization data.
pub fn admits_anonymous(socket: &Path) -> std::io::Result<bool> {
    let mut s = UnixStream::connect(socket)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    // Little-endian setup request, protocol 11.0, empty auth name and data.
    s.write_all(&[b'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0])?;
    let mut status = [0u8; 1];
    s.read_exact(&mut status)?;
    // 0 Failed, 1 Success, 2 Authenticate (asks for more: not admitted either).
    Ok(status[0] == 1)
}

/// A fresh random cookie.
pub fn new_cookie() -> Cookie {
    use rand::RngCore;
    let mut c = [0u8; COOKIE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut c);
    Cookie(c)
}

/// The Xauthority file contents for display `number` with `cookie`.
pub fn authority_file(hostname: &str, number: u32, cookie: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (family, address) in [(FAMILY_LOCAL, hostname.as_bytes()), (FAMILY_WILD, &[][..])] {
        out.extend_from_slice(&family.to_be_bytes());
        for field in [address, number.to_string().as_bytes(), COOKIE_NAME, cookie] {
            // Every field here is far below 64 KiB (host names are at most 255 bytes).
            out.extend_from_slice(&(field.len() as u16).to_be_bytes());
            out.extend_from_slice(field);
        }
    }
    out
}

/// This machine's host name, as Xlib compares it for `FamilyLocal` entries.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// Writes a new authority file for display `number` at `path` (0600) and returns the display.
pub fn create_authority(path: &Path, number: u32) -> Result<XDisplay, LabError> {
    let cookie = new_cookie();
    write_private(path, &authority_file(&hostname(), number, &cookie.0), None)?;
    Ok(XDisplay {
        number,
        authority: path.to_path_buf(),
        cookie,
    })
}

/// Writes `bytes` to `path`, created 0600 (never readable by others, even for an instant),
/// then hands it to `owner` when given.
pub fn write_private(path: &Path, bytes: &[u8], owner: Option<(u32, u32)>) -> Result<(), LabError> {
    let io = |source| LabError::Io {
        context: format!("writing {}", path.display()),
        source,
    };
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    // The umask may have narrowed it further; never wider than 0600.
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io)?;
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::fchown(&f, Some(uid), Some(gid)).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_file_layout_matches_xau() {
        let cookie = [0xAB; COOKIE_LEN];
        let f = authority_file("box", 23, &cookie);
        // FamilyLocal, "box", "23", the name, the cookie.
        let mut want = vec![1, 0, 0, 3, b'b', b'o', b'x', 0, 2, b'2', b'3', 0, 18];
        want.extend_from_slice(COOKIE_NAME);
        want.extend_from_slice(&[0, 16]);
        want.extend_from_slice(&cookie);
        assert_eq!(&f[..want.len()], &want[..]);
        // Then FamilyWild with an empty address and the same rest.
        assert_eq!(&f[want.len()..want.len() + 4], &[0xFF, 0xFF, 0, 0]);
        assert_eq!(f.len(), 2 * want.len() - 3);
    }

    #[test]
    fn cookie_files_are_private_and_cookies_random() {
        let dir = tempfile::tempdir().unwrap();
        let d = create_authority(&dir.path().join("a"), 7).unwrap();
        let mode = std::fs::metadata(&d.authority)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let other = create_authority(&dir.path().join("b"), 7).unwrap();
        assert_ne!(
            std::fs::read(&d.authority).unwrap(),
            std::fs::read(&other.authority).unwrap()
        );
        assert_eq!(d.name(), ":7");
        assert_eq!(format!("{:?}", d.cookie), "Cookie(***)");
    }
}
