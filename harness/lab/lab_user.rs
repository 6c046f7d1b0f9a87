//! The unprivileged account the lab's desktop and viewer programs run as, and the private
//! folder each configuration gives it.
//!
//! Xorg must start as root, but nothing that draws on its display or parses what a server
//! sends needs root: twm, xterm (and the shell inside it), the background picture, the probe,
//! remote-viewer and the SSH login all run as [`LAB_USER`]. Its folder lives under `/tmp`
//! (which every user may traverse) because the run's output tree is private to root.

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::LabError;

/// The account's name (created by `scripts/install-deps.sh`).
pub const LAB_USER: &str = "spicebench-lab";

/// The commands that create the account, for error messages (the install script runs them).
pub const CREATE_LAB_USER: &str = "useradd --system --no-create-home --home-dir /nonexistent \
     --shell /bin/sh --user-group spicebench-lab && usermod -p '*' spicebench-lab";

/// The lab account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabUser {
    /// Account name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
}

impl LabUser {
    /// Looks the account up; a missing account is an error that says how to create it.
    pub fn lookup() -> Result<Self, LabError> {
        let name = CString::new(LAB_USER).map_err(|_| LabError::NoLabUser)?;
        // SAFETY: getpwnam returns a pointer into static storage or null; we copy the two
        // integers out before any other call could overwrite it.
        let (uid, gid) = unsafe {
            let pw = libc::getpwnam(name.as_ptr());
            if pw.is_null() {
                return Err(LabError::NoLabUser);
            }
            ((*pw).pw_uid, (*pw).pw_gid)
        };
        if uid == 0 {
            return Err(LabError::NoLabUser);
        }
        Ok(Self {
            name: LAB_USER.to_string(),
            uid,
            gid,
        })
    }

    /// `(uid, gid)` for chown.
    pub fn ids(&self) -> (u32, u32) {
        (self.uid, self.gid)
    }
}

/// A folder only the lab user (and root) can enter, removed when dropped.
#[derive(Debug)]
pub struct LabHome {
    user: LabUser,
    dir: PathBuf,
}

impl LabHome {
    /// Creates a fresh folder for `user` under the system's temporary directory.
    pub fn create(user: LabUser) -> Result<Self, LabError> {
        let io = |context: &str| {
            let context = context.to_string();
            move |source| LabError::Io { context, source }
        };
        let dir = tempfile::Builder::new()
            .prefix("spicebench-lab-")
            .tempdir()
            .map_err(io("creating the lab user's folder"))?
            .keep();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io("setting the lab user's folder private"))?;
        std::os::unix::fs::chown(&dir, Some(user.uid), Some(user.gid))
            .map_err(io("handing the lab user its folder"))?;
        Ok(Self { user, dir })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The account it belongs to.
    pub fn user(&self) -> &LabUser {
        &self.user
    }

    /// A path inside the folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `bytes` as a file of the lab user's, readable only by it.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, LabError> {
        let path = self.file(name);
        super::xauth::write_private(&path, bytes, Some(self.user.ids()))?;
        Ok(path)
    }
}

impl Drop for LabHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
