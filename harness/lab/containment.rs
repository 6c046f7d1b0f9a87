//! Nothing a lab account starts outlives its run.
//!
//! Stopping children by PID misses what they detach: a shell on the lab desktop can
//! `setsid sh -c '…' &`, and that process would live on, read the next run's X authority file
//! (same account) and open its display. So every lab home gets a cgroup (v2), every process
//! that runs as its account (and the sshd whose sessions become it) joins that cgroup before it
//! execs, and dropping the home writes `cgroup.kill`: the kernel kills every member, however
//! it detached, and no unprivileged process can leave a cgroup it was put in.
//!
//! Two checks back this up at every start:
//! - cgroups of runs whose owner is provably dead (a SIGKILLed spicebench) are killed and
//!   removed ([`sweep_abandoned`]);
//! - any process of a lab account that belongs to no live run is a refusal naming its PID
//!   ([`refuse_strays`]). Without a cgroup v2 hierarchy (a container without one, an old
//!   kernel) this check is the only guard, by ancestry: a lab process whose parents lead to
//!   PID 1 rather than to a process of another account was orphaned on purpose.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::owner::Owner;
use super::LabError;

/// The folder under the cgroup2 root that holds every run's cgroups.
const PARENT: &str = "spicebench";

/// How long a killed cgroup may take to empty before spicebench gives up removing it.
const EMPTY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the members of a cgroup get after SIGTERM to end by themselves (an X server
/// removes its lock file and socket then) before `cgroup.kill`.
const GRACE: Duration = Duration::from_secs(2);

/// Numbers the cgroups one process creates.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Where the cgroup2 hierarchy is mounted (`/sys/fs/cgroup` on a pure v2 system,
/// `/sys/fs/cgroup/unified` on a hybrid one), read from the mount table.
pub fn cgroup2_root() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (_, target, kind) = (fields.next()?, fields.next()?, fields.next()?);
        (kind == "cgroup2").then(|| PathBuf::from(unescape_mount_path(target)))
    })
}

/// Undoes the octal escapes (`\040` for a space) of a path in the mount table.
pub(crate) fn unescape_mount_path(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            let text = std::str::from_utf8(d).ok()?;
            u8::from_str_radix(text, 8).ok()
        });
        match (bytes[i], octal) {
            (b'\\', Some(b)) => {
                out.push(b);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One lab home's cgroup: joined by every process of its account, killed as a whole.
#[derive(Debug)]
pub struct LabCgroup {
    dir: PathBuf,
    /// `cgroup.procs`, open for the children to write themselves into before they exec.
    procs: File,
}

impl LabCgroup {
    /// A new, empty cgroup owned by this process, after removing those of dead runs. `None`
    /// when this machine offers no cgroup v2 hierarchy spicebench may create groups in (not
    /// root, or none mounted): the lab then relies on [`refuse_strays`] alone.
    pub fn create() -> Option<Self> {
        let root = cgroup2_root()?;
        let parent = root.join(PARENT);
        let name = format!(
            "{}.{}",
            Owner::current(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = parent.join(name);
        // Another run removes the shared parent once it is empty: if it went between the two
        // mkdirs, make it again.
        let made = (0..3).any(|_| {
            match std::fs::create_dir(&parent) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(_) => return false,
            }
            std::fs::create_dir(&dir).is_ok()
        });
        if !made {
            return None;
        }
        sweep_abandoned_in(&parent);
        let procs = match File::options().write(true).open(dir.join("cgroup.procs")) {
            Ok(f) => f,
            Err(_) => {
                let _ = std::fs::remove_dir(&dir);
                return None;
            }
        };
        Some(Self { dir, procs })
    }

    /// The cgroup's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes `cmd`'s process join this cgroup before it execs (and before it drops root, so
    /// it still may). A failure to join fails the spawn: an uncontained lab process is what
    /// this module exists to prevent.
    pub fn enclose(&self, cmd: &mut Command) {
        let fd = self.procs.as_raw_fd();
        // SAFETY: write is async-signal-safe; the fd stays open in the child until exec
        // (close-on-exec), and "0" names the writing process itself.
        unsafe {
            cmd.pre_exec(move || {
                if libc::write(fd, b"0".as_ptr().cast(), 1) != 1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// Stops every process in the cgroup: SIGTERM, a grace period to end by themselves,
    /// then `cgroup.kill`; waits (a bounded time) until it is empty. Idempotent.
    pub fn kill(&self) {
        terminate(&self.dir, GRACE);
        kill_and_wait(&self.dir);
    }

    /// PIDs in the cgroup now.
    pub fn members(&self) -> Vec<u32> {
        members(&self.dir)
    }
}

impl Drop for LabCgroup {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir(&self.dir);
        // The shared parent goes with the last group; the kernel refuses while another run's
        // group is in it.
        if let Some(parent) = self.dir.parent() {
            let _ = std::fs::remove_dir(parent);
        }
    }
}

/// SIGTERM to every member of a cgroup, then up to `grace` for the group to empty.
fn terminate(dir: &Path, grace: Duration) {
    let members = members(dir);
    if members.is_empty() {
        return;
    }
    for pid in members {
        // SAFETY: SIGTERM to a member of a cgroup this process created, just listed by the
        // kernel (a PID reused in between could not be in our cgroup, but could be signalled:
        // the window is the few microseconds between the read and the kill).
        unsafe {
            libc::kill(pid as libc::pid_t, libc::SIGTERM);
        }
    }
    let deadline = Instant::now() + grace;
    while populated(dir) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// PIDs listed in a cgroup's `cgroup.procs`.
fn members(dir: &Path) -> Vec<u32> {
    std::fs::read_to_string(dir.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Whether a cgroup still holds a live process (`populated 1` in `cgroup.events`).
fn populated(dir: &Path) -> bool {
    match std::fs::read_to_string(dir.join("cgroup.events")) {
        Ok(events) => events.lines().any(|l| l.trim() == "populated 1"),
        Err(_) => !members(dir).is_empty(),
    }
}

/// `cgroup.kill` (Linux 5.14+), else SIGKILL to each member until none is left; then waits
/// until the group is empty.
fn kill_and_wait(dir: &Path) {
    let killed_at_once = File::options()
        .write(true)
        .open(dir.join("cgroup.kill"))
        .and_then(|mut f| f.write_all(b"1"))
        .is_ok();
    let deadline = Instant::now() + EMPTY_TIMEOUT;
    while populated(dir) && Instant::now() < deadline {
        if !killed_at_once {
            for pid in members(dir) {
                // SAFETY: SIGKILL to a member of a cgroup this process created; the kernel
                // lists only live members, and a reused PID could not be in our cgroup.
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGKILL);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Kills and removes the cgroups that runs of dead owners left (a spicebench that was
/// SIGKILLed never dropped its homes). Returns how many it removed.
pub fn sweep_abandoned() -> usize {
    match cgroup2_root() {
        Some(root) => sweep_abandoned_in(&root.join(PARENT)),
        None => 0,
    }
}

fn sweep_abandoned_in(parent: &Path) -> usize {
    let mut removed = 0;
    for e in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let name = e.file_name();
        let Some(owner) = name.to_str().and_then(Owner::parse_prefix) else {
            continue;
        };
        if owner.is_alive() {
            continue;
        }
        kill_and_wait(&e.path());
        if std::fs::remove_dir(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// A process of a lab account that no live run owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stray {
    /// Its PID.
    pub pid: u32,
    /// Its user id.
    pub uid: u32,
    /// Its command line (or name).
    pub command: String,
}

/// Processes of the accounts `uids` that belong to no live run: in a cgroup of a live
/// spicebench they are that run's; outside one, they are strays once their parents lead to
/// PID 1 (orphaned) rather than to a process of another account (a run without cgroups), and
/// in a dead run's cgroup they are strays too.
pub fn strays(uids: &[u32]) -> Vec<Stray> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Some(status) = ProcStatus::read(pid) else {
            continue;
        };
        if !uids.contains(&status.uid) || status.zombie {
            continue;
        }
        // Outside a run's cgroup (no cgroup v2 here, or none could be made) a live run's
        // processes still descend from it.
        let owned = match run_owner(pid) {
            Some(owner) => owner.is_alive(),
            None => has_other_ancestor(pid, uids),
        };
        if !owned {
            found.push(Stray {
                pid,
                uid: status.uid,
                command: command_of(pid),
            });
        }
    }
    found
}

/// Fails with [`LabError::StrayProcesses`] when a lab account has a process no live run owns:
/// it could read this run's cookie and reach its display, so nothing starts while it lives.
pub fn refuse_strays() -> Result<(), LabError> {
    use super::lab_user::{LabUser, Role};
    sweep_abandoned();
    let uids: Vec<u32> = [Role::Guest, Role::Viewer]
        .into_iter()
        .filter_map(|r| LabUser::lookup(r).ok().map(|u| u.uid))
        .collect();
    let found = strays(&uids);
    if found.is_empty() {
        return Ok(());
    }
    let list = found
        .iter()
        .map(|s| format!("{} (uid {}: {})", s.pid, s.uid, s.command))
        .collect::<Vec<_>>()
        .join(", ");
    let pids = found
        .iter()
        .map(|s| s.pid.to_string())
        .collect::<Vec<_>>()
        .join(" ");
    Err(LabError::StrayProcesses {
        processes: list,
        pids,
    })
}

/// The spicebench run whose cgroup `pid` is in, if it is in one.
pub fn run_owner(pid: u32) -> Option<Owner> {
    let groups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let path = groups.lines().find_map(|l| l.strip_prefix("0::"))?;
    let name = path
        .strip_prefix('/')?
        .strip_prefix(PARENT)?
        .strip_prefix('/')?;
    Owner::parse_prefix(name)
}

/// Whether one of `pid`'s ancestors, short of PID 1, runs as an account not in `uids`.
fn has_other_ancestor(pid: u32, uids: &[u32]) -> bool {
    let mut at = pid;
    // A chain of parents is short; the bound only guards against a loop while PIDs churn.
    for _ in 0..64 {
        let Some(parent) = ProcStatus::read(at).map(|s| s.ppid) else {
            return false;
        };
        if parent <= 1 {
            return false;
        }
        match ProcStatus::read(parent) {
            Some(s) if !uids.contains(&s.uid) => return true,
            Some(_) => at = parent,
            None => return false,
        }
    }
    false
}

/// What `/proc/PID/status` says about a process.
struct ProcStatus {
    uid: u32,
    ppid: u32,
    zombie: bool,
}

impl ProcStatus {
    fn read(pid: u32) -> Option<Self> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .map(str::to_string)
        };
        Some(Self {
            uid: field("Uid:")?.split_whitespace().next()?.parse().ok()?,
            ppid: field("PPid:")?.parse().ok()?,
            zombie: field("State:").is_some_and(|s| s.starts_with('Z')),
        })
    }
}

/// `pid`'s command line, or its name when the command line is empty.
fn command_of(pid: u32) -> String {
    /// Enough to recognise a program, not a screenful.
    const MAX_CHARS: usize = 80;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default();
    let text = match cmdline.trim() {
        "" => std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default(),
        c => c.to_string(),
    };
    text.trim().chars().take(MAX_CHARS).collect()
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount_path("/sys/fs/cgroup"), "/sys/fs/cgroup");
        assert_eq!(unescape_mount_path("/a\\040b"), "/a b");
        assert_eq!(unescape_mount_path("/trailing\\"), "/trailing\\");
        assert_eq!(unescape_mount_path("/x\\9zz"), "/x\\9zz");
    }

    /// Root with a cgroup2 hierarchy (CI and the lab machines): the cgroup takes in a child,
    /// and a grandchild that left its session and parent dies with it on drop.
    #[test]
    fn a_detached_grandchild_dies_with_the_cgroup() {
        let Some(cgroup) = LabCgroup::create() else {
            // SAFETY: geteuid has no preconditions.
            assert_ne!(unsafe { libc::geteuid() }, 0, "root, yet no cgroup v2");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(format!(
            "setsid sh -c 'echo $$ > {}; exec sleep 300' & exit 0",
            pidfile.display()
        ));
        cgroup.enclose(&mut cmd);
        cmd.status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let pid: u32 = loop {
            if let Some(p) = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                break p;
            }
            assert!(
                Instant::now() < deadline,
                "the detached shell never started"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(cgroup.members().contains(&pid), "{:?}", cgroup.members());
        assert_eq!(run_owner(pid), Some(Owner::current()));
        let group = cgroup.dir().to_path_buf();
        drop(cgroup);
        assert!(
            ProcStatus::read(pid).is_none_or(|s| s.zombie),
            "the detached process {pid} outlived its cgroup"
        );
        assert!(!group.exists(), "{} not removed", group.display());
    }

    #[test]
    fn cgroups_of_dead_owners_are_swept_and_live_ones_kept() {
        let Some(root) = cgroup2_root() else {
            return;
        };
        let parent = root.join(PARENT);
        // A finished child's PID and start time: an owner that is provably dead.
        let mut child = Command::new("sleep").arg("0.01").spawn().unwrap();
        let pid = child.id();
        let start = super::super::owner::start_time(pid).unwrap();
        child.wait().unwrap();
        let dead = parent.join(format!("p{pid}s{start}.0"));
        // With its parent: another test's last cgroup may have just removed it.
        if std::fs::create_dir_all(&dead).is_err() {
            return;
        }
        let mine = LabCgroup::create().expect("a cgroup");
        // create() swept it already.
        assert!(!dead.exists(), "{} kept", dead.display());
        assert!(mine.dir().exists());
        assert_eq!(sweep_abandoned_in(&parent), 0);
        assert!(mine.dir().exists(), "a live owner's cgroup was swept");
    }

    #[test]
    fn an_orphan_of_a_lab_account_is_a_stray_and_a_child_is_not() {
        // An account no process here runs as stands for the lab account: this process is
        // "another account", so its child is owned and an orphan (parent PID 1) is not.
        let lab = [u32::MAX - 7];
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        assert!(has_other_ancestor(child.id(), &lab));
        let out = Command::new("sh")
            .args(["-c", "setsid sleep 30 >/dev/null 2>&1 & echo $!"])
            .output()
            .unwrap();
        let orphan: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while ProcStatus::read(orphan).is_some_and(|s| s.ppid > 1) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let reparented_to_init = ProcStatus::read(orphan).is_some_and(|s| s.ppid == 1);
        if reparented_to_init {
            assert!(!has_other_ancestor(orphan, &lab));
        }
        // SAFETY: SIGKILL to the sleep this test started (its PID was just read back).
        unsafe {
            libc::kill(orphan as libc::pid_t, libc::SIGKILL);
        }
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn command_names_are_short() {
        let me = command_of(std::process::id());
        assert!(!me.is_empty());
        assert!(me.chars().count() <= 80);
    }
}
