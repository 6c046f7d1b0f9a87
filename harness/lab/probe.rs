//! Starts `spicebench probe` (the on-screen input stamp, [`crate::probe`]) on a lab display as
//! the desktop's unprivileged user, and waits until its square is on screen.
//!
//! The probe is this same binary (`/proc/self/exe` when this is the CLI, whatever its name).
//! The lab user runs it where it is when every folder on the way is open to others; otherwise
//! (a binary under a private home) a copy goes into the lab user's folder.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
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
            home.cancel(),
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

/// This process's own program, readable even after its file was replaced or removed.
const SELF_EXE: &str = "/proc/self/exe";

/// Whether this process is the spicebench command line, set by its `main` at start-up.
///
/// A flag rather than the file name: a copy called `sb` (or a packaged `spicebench-0.1`) is
/// still the CLI, while a test harness in `target/debug/deps` is not, whatever its name.
static IS_CLI: AtomicBool = AtomicBool::new(false);

/// Marks this process as the spicebench command line: the lab then runs the probe from this
/// very program (`/proc/self/exe`), whatever its file is called. The binary's `main` calls
/// it first.
pub fn mark_cli() {
    IS_CLI.store(true, Ordering::Relaxed);
}

/// The spicebench binary: `SPICEBENCH_BIN`, else this program when it is the spicebench CLI
/// (see [`mark_cli`]), else the `spicebench` next to it or one folder up (a test harness in
/// `target/debug/deps` finds the binary cargo built in `target/debug`).
pub fn spicebench_binary() -> Result<PathBuf, LabError> {
    if let Some(path) = std::env::var_os(BIN_ENV) {
        return Ok(PathBuf::from(path));
    }
    // The path behind /proc/self/exe: that link itself would name the probe's own process
    // once handed to it.
    let exe = std::env::current_exe().map_err(|source| LabError::Io {
        context: "finding the running program".into(),
        source,
    })?;
    locate(IS_CLI.load(Ordering::Relaxed), exe)
}

/// The binary for a process running `exe`, `is_cli` when it is the spicebench CLI.
fn locate(is_cli: bool, exe: PathBuf) -> Result<PathBuf, LabError> {
    if is_cli {
        // A binary replaced while it runs (a rebuild, an upgrade) is gone from its path, but
        // this process can still read itself through the link.
        return Ok(if exe.is_file() {
            exe
        } else {
            PathBuf::from(SELF_EXE)
        });
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
    // The link names whichever process opens it: only spicebench itself may read it, so the
    // probe gets a copy.
    if program != Path::new(SELF_EXE) && open_to_others(program) {
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
    fn the_cli_is_its_own_binary_whatever_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let sb = dir.path().join("sb");
        std::fs::write(&sb, b"").unwrap();
        // No `spicebench` anywhere near: only the flag makes `sb` the binary.
        assert_eq!(locate(true, sb.clone()).unwrap(), sb);
        // The CLI's own file replaced while it runs: the link still reads it.
        let gone = dir.path().join("spicebench (deleted)");
        assert_eq!(locate(true, gone).unwrap(), PathBuf::from(SELF_EXE));
        assert!(!std::fs::read(SELF_EXE).unwrap().is_empty());
        let e = locate(false, sb).unwrap_err().to_string();
        assert!(e.contains("SPICEBENCH_BIN"), "{e}");
    }

    #[test]
    fn a_test_harness_finds_the_binary_next_to_it_or_one_folder_up() {
        let dir = tempfile::tempdir().unwrap();
        let deps = dir.path().join("deps");
        std::fs::create_dir(&deps).unwrap();
        let harness = deps.join("spicebench-0123abcd");
        let built = dir.path().join("spicebench");
        std::fs::write(&built, b"").unwrap();
        assert_eq!(locate(false, harness.clone()).unwrap(), built);
        let beside = deps.join("spicebench");
        std::fs::write(&beside, b"").unwrap();
        assert_eq!(locate(false, harness).unwrap(), beside);
        // This very test process is a harness, not the CLI: it is not marked.
        assert!(!IS_CLI.load(Ordering::Relaxed));
    }

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
