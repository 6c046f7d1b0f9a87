//! The unprivileged accounts the lab's programs run as, and the private folder each part
//! gives its account.
//!
//! Xorg must start as root, but nothing that draws on a display or parses what a server sends
//! needs root. Two accounts keep the two ends of a session apart:
//! - [`Role::Guest`] (`spicebench-lab`): the desktop on the target (twm, xterm and the shell
//!   inside it, the background picture), which anyone holding the SPICE ticket can type into;
//! - [`Role::Viewer`] (`spicebench-viewer`): the client side (Xvfb, its window manager,
//!   remote-viewer, the ssh client) and the managed sshd's login.
//!
//! A shell on the guest desktop can then neither read the viewer's cookies nor trace its
//! processes. Folders live under `/tmp` (which every user may traverse) because the run's
//! output tree is private to root.

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::LabError;

/// Which end of the session an account runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The target's desktop.
    Guest,
    /// The viewer's side and the SSH login.
    Viewer,
}

impl Role {
    /// The account's name (created by `scripts/install-deps.sh`).
    pub fn user_name(self) -> &'static str {
        match self {
            Self::Guest => "spicebench-lab",
            Self::Viewer => "spicebench-viewer",
        }
    }
}

/// The commands that create an account, for error messages (the install script runs them).
/// `/bin/sh`: sshd runs forced commands through the login shell; `*`: no password login, but
/// unlike useradd's locked `!`, sshd without PAM still accepts the account's keys.
pub fn create_command(role: Role) -> String {
    let n = role.user_name();
    format!(
        "useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh \
         --user-group {n} && usermod -p '*' {n}"
    )
}

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
    /// Looks the account of `role` up; a missing account is an error that says how to
    /// create it.
    pub fn lookup(role: Role) -> Result<Self, LabError> {
        let missing = || LabError::NoLabUser {
            name: role.user_name().to_string(),
            create: create_command(role),
        };
        let name = CString::new(role.user_name()).map_err(|_| missing())?;
        // SAFETY: getpwnam returns a pointer into static storage or null; we copy the two
        // integers out before any other call could overwrite it.
        let (uid, gid) = unsafe {
            let pw = libc::getpwnam(name.as_ptr());
            if pw.is_null() {
                return Err(missing());
            }
            ((*pw).pw_uid, (*pw).pw_gid)
        };
        if uid == 0 {
            return Err(missing());
        }
        Ok(Self {
            name: role.user_name().to_string(),
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
        let temp = tempfile::Builder::new()
            .prefix("spicebench-lab-")
            .tempdir_in("/tmp")
            .map_err(io("creating a lab folder in /tmp"))?;
        std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o700))
            .map_err(io("setting a lab folder private"))?;
        std::os::unix::fs::chown(temp.path(), Some(user.uid), Some(user.gid))
            .map_err(io("handing a lab folder to its account"))?;
        // Kept only once it is set up: until here, a failure removes it.
        Ok(Self {
            user,
            dir: temp.keep(),
        })
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

    /// Creates `name` (and its parents inside the folder) as folders of the lab user's.
    pub fn make_dir(&self, name: &str) -> Result<PathBuf, LabError> {
        let path = self.file(name);
        let mut at = self.dir.clone();
        for part in Path::new(name).components() {
            at.push(part);
            let io = |source| LabError::Io {
                context: format!("creating {}", at.display()),
                source,
            };
            if !at.exists() {
                std::fs::create_dir(&at).map_err(io)?;
            }
            std::os::unix::fs::chown(&at, Some(self.user.uid), Some(self.user.gid)).map_err(io)?;
        }
        Ok(path)
    }

    /// Hands `name`, a file root made in the folder (a picture drawn by `convert`), to the lab
    /// user: the folder is the user's, but a file root creates there stays root's and
    /// unreadable to the programs that show it.
    pub fn adopt(&self, name: &str) -> Result<PathBuf, LabError> {
        let path = self.file(name);
        // lchown: a link the user planted in its folder must not hand over what it points to.
        std::os::unix::fs::lchown(&path, Some(self.user.uid), Some(self.user.gid)).map_err(
            |source| LabError::Io {
                context: format!("handing {} to {}", path.display(), self.user.name),
                source,
            },
        )?;
        Ok(path)
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
