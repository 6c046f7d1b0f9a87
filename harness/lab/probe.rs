//! Starts `spicebench probe` (the on-screen input stamp, [`crate::probe`]) on a lab display as
//! the desktop's unprivileged user, and waits until its square is on screen.
//!
//! The probe is this same binary. The lab user runs it where it is when every folder on the
//! way is open to others; otherwise (a binary under a private home) a copy goes into the lab
//! user's folder.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::lab_user::LabHome;
use super::process::{wait_ready, ManagedChild};
use super::xauth::XDisplay;
use super::LabError;
use crate::xclient::probe::READY_LINE;

/// Environment variable naming the spicebench binary to run the probe from.
pub const BIN_ENV: &str = "SPICEBENCH_BIN";
/// How long the probe may take to put its square on screen.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// The running probe; stopped when dropped.
#[derive(Debug)]
pub struct Probe {
    child: ManagedChild,
}

impl Probe {
    /// Starts the probe on `display` (a display whose cookie file belongs to `home`'s user),
    /// logging to `log`.
    pub fn start(display: &XDisplay, home: &LabHome, log: &Path) -> Result<Self, LabError> {
        let program = runnable_by_others(&spicebench_binary()?, home)?;
        let mut cmd = Command::new(&program);
        cmd.arg("probe")
            .env("HOME", home.dir())
            .current_dir(home.dir());
        display.apply(&mut cmd);
        let mut child = ManagedChild::spawn_as("spicebench probe", cmd, log, Some(home.user()))?;
        wait_ready(
            "the input probe (spicebench probe)",
            READY_TIMEOUT,
            &mut child,
            || std::fs::read_to_string(log).is_ok_and(|s| s.contains(READY_LINE)),
        )?;
        Ok(Self { child })
    }

    /// The probe's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.pid()
    }

    /// Whether it still runs (it exits when its X server goes away or on an X error).
    pub fn check_running(&mut self) -> Result<(), LabError> {
        self.child.check_running()
    }
}

/// The spicebench binary: `SPICEBENCH_BIN`, else this program when it is spicebench, else the
/// `spicebench` next to it or one folder up (a test harness in `target/debug/deps` finds the
/// binary cargo built in `target/debug`).
pub fn spicebench_binary() -> Result<PathBuf, LabError> {
    if let Some(path) = std::env::var_os(BIN_ENV) {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|source| LabError::Io {
        context: "finding the running program".into(),
        source,
    })?;
    if exe.file_name().is_some_and(|n| n == "spicebench") {
        return Ok(exe);
    }
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("spicebench"))
        .collect();
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| LabError::NoProbeBinary {
            looked: candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// `program` if others may read and run it where it is, else a copy in `home`.
fn runnable_by_others(program: &Path, home: &LabHome) -> Result<PathBuf, LabError> {
    if open_to_others(program) {
        return Ok(program.to_path_buf());
    }
    let bytes = std::fs::read(program).map_err(|source| LabError::Io {
        context: format!("reading {}", program.display()),
        source,
    })?;
    let copy = home.write("spicebench", &bytes)?;
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o700)).map_err(|source| {
        LabError::Io {
            context: format!("making {} executable", copy.display()),
            source,
        }
    })?;
    Ok(copy)
}

/// Whether a user who is neither owner nor group may run `program`: the file readable and
/// executable by others, every folder above it searchable by others.
fn open_to_others(program: &Path) -> bool {
    let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode());
    let Ok(file) = mode(program) else {
        return false;
    };
    file & 0o005 == 0o005
        && program
            .ancestors()
            .skip(1)
            .filter(|d| !d.as_os_str().is_empty())
            .all(|d| mode(d).is_ok_and(|m| m & 0o001 != 0))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn only_a_path_open_all_the_way_is_open_to_others() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("bin");
        std::fs::create_dir(&sub).unwrap();
        let program = sub.join("spicebench");
        std::fs::write(&program, b"#!/bin/sh\n").unwrap();
        let set = |p: &Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
        set(dir.path(), 0o755).unwrap();
        set(&sub, 0o755).unwrap();
        set(&program, 0o755).unwrap();
        assert!(open_to_others(&program));
        // A private folder on the way closes it, as does a file others cannot read.
        set(&sub, 0o700).unwrap();
        assert!(!open_to_others(&program));
        set(&sub, 0o755).unwrap();
        set(&program, 0o711).unwrap();
        assert!(!open_to_others(&program));
        assert!(!open_to_others(&dir.path().join("missing")));
    }
}
