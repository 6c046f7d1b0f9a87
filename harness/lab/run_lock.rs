//! Exclusive locks that tell concurrent spicebench runs apart: a run holds a `flock` on a file
//! of spicebench's own per thing it claims (a display number, a port), for as long as it uses
//! it. The kernel drops the lock when the file closes, also when spicebench dies, so a crashed
//! run never keeps a claim. Lock files live in a private folder: `/run/spicebench` for root,
//! `$TMPDIR/spicebench-<uid>` otherwise.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::PathBuf;

use super::LabError;

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct RunLock {
    /// The locked file: the lock lasts as long as it is open.
    _file: File,
}

/// Takes the lock called `name` (e.g. `display-20`) without waiting: `None` when another run
/// holds it.
pub fn try_lock(name: &str) -> Result<Option<RunLock>, LabError> {
    let path = lock_dir()?.join(format!("{name}.lock"));
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|source| LabError::Io {
            context: format!("opening {}", path.display()),
            source,
        })?;
    // SAFETY: flock on a descriptor this function owns; no memory is involved.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Ok(None);
    }
    Ok(Some(RunLock { _file: file }))
}

/// Takes the lock called `name`, waiting while another run holds it (polled, so the run's
/// `cancel` still ends the wait).
pub fn lock(name: &str, cancel: &crate::cancel::Cancel) -> Result<RunLock, LabError> {
    loop {
        if let Some(held) = try_lock(name)? {
            return Ok(held);
        }
        super::cancel::check(cancel)?;
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The private folder of the lock files, made if missing; refused when it is not this user's
/// alone (another user could then hold or remove our locks).
fn lock_dir() -> Result<PathBuf, LabError> {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    let dir = match uid {
        0 => PathBuf::from("/run/spicebench"),
        _ => std::env::temp_dir().join(format!("spicebench-{uid}")),
    };
    let io = |source| LabError::Io {
        context: format!("creating the lock folder {}", dir.display()),
        source,
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io(e)),
    }
    let meta = std::fs::symlink_metadata(&dir).map_err(io)?;
    if !meta.is_dir() || meta.uid() != uid || meta.mode() & 0o022 != 0 {
        return Err(io(std::io::Error::other(
            "it is not a private folder of this user's; remove it",
        )));
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_held_until_dropped() {
        let name = format!("test-{}", std::process::id());
        let held = try_lock(&name).unwrap().expect("a fresh lock");
        assert!(try_lock(&name).unwrap().is_none(), "taken twice");
        drop(held);
        assert!(try_lock(&name).unwrap().is_some(), "not released");
    }
}
