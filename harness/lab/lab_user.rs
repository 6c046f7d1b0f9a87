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
use std::sync::Arc;

use super::cancel::Cancel;
use super::containment::{refuse_strays, LabCgroup};
use super::owner::Owner;
use super::LabError;

/// How the folders of lab homes are named: the prefix, then the owning run
/// ([`Owner`]), then a random part.
const HOME_PREFIX: &str = "spicebench-lab-";

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
#[derive(Debug, Clone)]
pub struct LabUser {
    /// Account name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// The cgroup of the home this account was handed (every process started as it joins
    /// it); `None` for an account looked up outside a home, or where cgroups are unavailable.
    cgroup: Option<Arc<LabCgroup>>,
}

impl PartialEq for LabUser {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, self.uid, self.gid) == (&other.name, other.uid, other.gid)
    }
}

impl Eq for LabUser {}

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
            cgroup: None,
        })
    }

    /// An account by name and ids, outside any home (for tests and descriptions).
    pub fn named(name: &str, uid: u32, gid: u32) -> Self {
        Self {
            name: name.to_string(),
            uid,
            gid,
            cgroup: None,
        }
    }

    /// `(uid, gid)` for chown.
    pub fn ids(&self) -> (u32, u32) {
        (self.uid, self.gid)
    }

    /// Makes `cmd`'s process join this account's home cgroup before it execs (for a process
    /// that starts as root and hands its sessions to the account, such as sshd).
    pub fn enclose(&self, cmd: &mut std::process::Command) {
        if let Some(c) = &self.cgroup {
            c.enclose(cmd);
        }
    }

    /// The home's cgroup, when it has one.
    pub fn cgroup(&self) -> Option<&LabCgroup> {
        self.cgroup.as_deref()
    }
}

/// A folder only the lab user (and root) can enter, and a cgroup every process of the user's
/// joins; dropping it kills those processes, however they detached, then removes the folder.
#[derive(Debug)]
pub struct LabHome {
    user: LabUser,
    dir: PathBuf,
    /// The stop token of the run the home belongs to: the waits for its programs end on it.
    cancel: Cancel,
}

impl LabHome {
    /// Creates a fresh folder and cgroup for `user` under the system's temporary directory,
    /// after removing what dead runs left and refusing to start beside a process of a lab
    /// account that no live run owns. Waits for the home's programs end once the run's
    /// `cancel` is requested.
    pub fn create(mut user: LabUser, cancel: &Cancel) -> Result<Self, LabError> {
        let io = |context: &str| {
            let context = context.to_string();
            move |source| LabError::Io { context, source }
        };
        remove_abandoned_homes(Path::new("/tmp"));
        refuse_strays()?;
        user.cgroup = LabCgroup::create().map(Arc::new);
        if user.cgroup.is_none() {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                crate::errln!(
                    "note: no cgroup v2 hierarchy spicebench may create groups in here (not \
                     root, or none mounted): a process a lab account detaches is only found \
                     when the next run starts, which then refuses to run beside it"
                );
            });
        }
        let temp = tempfile::Builder::new()
            .prefix(&format!("{HOME_PREFIX}{}-", Owner::current()))
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
            cancel: cancel.clone(),
        })
    }

    /// The stop token of the run the home belongs to.
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
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
        // Everything of the account's first: a process still running could write into the
        // folder (or recreate it) after it is removed.
        if let Some(c) = self.user.cgroup() {
            c.kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the lab homes in `tmp` whose owning run is provably dead (a spicebench that was
/// SIGKILLed never dropped them). Folders named before owners were recorded, links and
/// anything else are left alone. Returns how many were removed.
pub fn remove_abandoned_homes(tmp: &Path) -> usize {
    let mut removed = 0;
    for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let name = e.file_name();
        let Some(owner) = name
            .to_str()
            .and_then(|n| n.strip_prefix(HOME_PREFIX))
            .and_then(Owner::parse_prefix)
        else {
            continue;
        };
        // Never follow a link: the folder is the lab account's, and it may have replaced it.
        let is_dir = std::fs::symlink_metadata(e.path()).is_ok_and(|m| m.is_dir());
        // std's remove_dir_all does not follow links inside the tree either.
        if is_dir && !owner.is_alive() && std::fs::remove_dir_all(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn homes_of_dead_runs_are_removed_and_others_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let start = super::super::owner::start_time(pid).unwrap_or(1);
        child.wait().unwrap();
        let dead = tmp.path().join(format!("{HOME_PREFIX}p{pid}s{start}-abc"));
        std::fs::create_dir_all(dead.join("inner/.cache")).unwrap();
        let live = tmp
            .path()
            .join(format!("{HOME_PREFIX}{}-def", Owner::current()));
        std::fs::create_dir(&live).unwrap();
        let legacy = tmp.path().join(format!("{HOME_PREFIX}Xy12ab"));
        std::fs::create_dir(&legacy).unwrap();
        // A link named like a dead run's home: the link is not followed, its target stays.
        let target = tmp.path().join("precious");
        std::fs::create_dir(&target).unwrap();
        let link = tmp.path().join(format!("{HOME_PREFIX}p{pid}s{start}-lnk"));
        std::os::unix::fs::symlink(&target, &link).unwrap();

        assert_eq!(remove_abandoned_homes(tmp.path()), 1);
        assert!(!dead.exists());
        assert!(live.exists() && legacy.exists() && target.exists());
    }
}
