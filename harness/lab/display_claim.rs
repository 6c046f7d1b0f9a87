//! X display numbers, claimed before they are used.
//!
//! Choosing "the first number without a lock file" lets two runs that start together pick the
//! same one (one of their X servers then fails), and a local user who binds the abstract
//! sockets `@/tmp/.X11-unix/Xn` makes every X server on those numbers fail. So a number is
//! claimed with an exclusive `flock` on a file of spicebench's own (held until the X server
//! stops; the kernel drops it if spicebench dies), and taken only when X's own lock file,
//! its socket file and its abstract socket are all free. What remains (a socket bound between
//! this check and the server's start) the X servers' start-up retries on the next number.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener};
use std::path::{Path, PathBuf};

use super::run_lock::{try_lock, RunLock};
use super::LabError;

/// How many numbers from the first one a claim tries.
pub const DISPLAYS_TRIED: u32 = 200;

/// Messages an X server logs when its display number was taken after the claim: the caller
/// retries on another number.
pub const DISPLAY_TAKEN_LOG_LINES: [&str; 2] = [
    "Cannot establish any listening sockets",
    "Server is already active for display",
];

/// A display number this run holds until the value is dropped.
#[derive(Debug)]
pub struct DisplayClaim {
    number: u32,
    /// Held as long as the number is.
    _lock: RunLock,
}

impl DisplayClaim {
    /// The display number.
    pub fn number(&self) -> u32 {
        self.number
    }
}

/// Why one display number could not be claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// Another spicebench run holds it.
    ClaimedByAnotherRun,
    /// X's lock file exists (with the PID written in it, when readable).
    LockFile(String),
    /// X's socket file exists.
    SocketFile,
    /// Someone bound the abstract socket (the PID and name holding it, when found).
    AbstractSocket(Option<String>),
}

impl Blocked {
    fn describe(&self, n: u32) -> String {
        match self {
            Self::ClaimedByAnotherRun => format!(":{n} is in use by another spicebench run"),
            Self::LockFile(pid) => format!("/tmp/.X{n}-lock exists (PID {pid})"),
            Self::SocketFile => format!("/tmp/.X11-unix/X{n} exists"),
            Self::AbstractSocket(Some(holder)) => {
                format!("@/tmp/.X11-unix/X{n} is bound by {holder}")
            }
            Self::AbstractSocket(None) => {
                format!("@/tmp/.X11-unix/X{n} is bound (ss -xlp | grep X{n} shows by whom)")
            }
        }
    }
}

/// How many display numbers a start tries when its X server finds the claimed one taken.
const ATTEMPTS: usize = 5;

/// Starts an X server with `start` on a claimed display from `first`; when the server exits
/// because the number was taken after all (a socket bound after the claim), tries the next
/// free number, up to [`ATTEMPTS`] times. Returns what `start` built and the claim it holds.
pub fn start_on_claimed_display<T>(
    first: u32,
    mut start: impl FnMut(&DisplayClaim) -> Result<T, LabError>,
) -> Result<(T, DisplayClaim), LabError> {
    // Numbers that failed stay claimed until the end, so they are not chosen again.
    let mut failed: Vec<DisplayClaim> = Vec::new();
    loop {
        let skip: Vec<u32> = failed.iter().map(DisplayClaim::number).collect();
        let claim = claim_display(first, DISPLAYS_TRIED, &skip)?;
        match start(&claim) {
            Ok(server) => return Ok((server, claim)),
            Err(e) if failed.len() + 1 < ATTEMPTS && display_was_taken(&e) => failed.push(claim),
            Err(e) => return Err(e),
        }
    }
}

/// Whether an X server's failure to start says its display number was in use.
fn display_was_taken(e: &LabError) -> bool {
    let LabError::Exited { log, .. } = e else {
        return false;
    };
    let text = std::fs::read_to_string(log).unwrap_or_default();
    DISPLAY_TAKEN_LOG_LINES.iter().any(|l| text.contains(l))
}

/// Claims the first free display number in `first..first + count`, skipping `skip`.
pub fn claim_display(first: u32, count: u32, skip: &[u32]) -> Result<DisplayClaim, LabError> {
    let mut blocked = Vec::new();
    for n in (first..first.saturating_add(count)).filter(|n| !skip.contains(n)) {
        match try_claim(n)? {
            Ok(claim) => return Ok(claim),
            Err(why) => blocked.push((n, why)),
        }
    }
    /// Enough examples to see the pattern.
    const SHOWN: usize = 3;
    let mut reasons: Vec<String> = blocked
        .iter()
        .take(SHOWN)
        .map(|(n, why)| why.describe(*n))
        .collect();
    if blocked.len() > SHOWN {
        reasons.push(format!("and {} more", blocked.len() - SHOWN));
    }
    Err(LabError::NoFreeDisplay {
        first,
        last: first.saturating_add(count).saturating_sub(1),
        reasons: reasons.join("; "),
    })
}

/// Claims display `n` if it is free: `Ok(Err(why))` when it is not.
fn try_claim(n: u32) -> Result<Result<DisplayClaim, Blocked>, LabError> {
    let Some(lock) = try_lock(&format!("display-{n}"))? else {
        return Ok(Err(Blocked::ClaimedByAnotherRun));
    };
    let x_lock = PathBuf::from(format!("/tmp/.X{n}-lock"));
    if x_lock.exists() {
        let pid = std::fs::read_to_string(&x_lock)
            .map(|t| t.trim().to_string())
            .unwrap_or_else(|_| "unknown".into());
        // An X server replaces a lock whose PID is gone (a server that was killed): only a
        // live holder blocks the number.
        let holder_alive = pid
            .parse::<u32>()
            .map_or(true, |p| Path::new(&format!("/proc/{p}")).exists());
        if holder_alive {
            return Ok(Err(Blocked::LockFile(pid)));
        }
    } else if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
        // A socket file without a lock is someone's server started without one: leave it.
        // (With a stale lock, the dead server's socket file is replaced like its lock.)
        return Ok(Err(Blocked::SocketFile));
    }
    if let Some(holder) = abstract_socket_taken(n) {
        return Ok(Err(Blocked::AbstractSocket(holder)));
    }
    Ok(Ok(DisplayClaim {
        number: n,
        _lock: lock,
    }))
}

/// `Some(holder)` when the abstract socket of display `n` is bound: bound by this check and
/// released at once otherwise.
fn abstract_socket_taken(n: u32) -> Option<Option<String>> {
    let name = format!("/tmp/.X11-unix/X{n}");
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).ok()?;
    match UnixListener::bind_addr(&addr) {
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Some(abstract_holder(&name)),
        // Anything else (no permission in a strange sandbox) does not block X the same way.
        Err(_) => None,
    }
}

/// `PID (name)` of the process holding the abstract socket `@name`, from /proc.
fn abstract_holder(name: &str) -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/unix").ok()?;
    let wanted = format!("@{name}");
    let inode = table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // Num RefCount Protocol Flags Type St Inode Path
        (cols.get(7) == Some(&wanted.as_str()))
            .then(|| cols.get(6)?.parse::<u64>().ok())
            .flatten()
    })?;
    let pid = super::ports::pid_holding_socket(inode)?;
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    Some(format!("PID {pid} ({})", comm.trim()))
}

#[cfg(test)]
mod test {
    use super::*;

    /// Numbers far above those the lab uses, so tests beside a real run do not collide.
    const FIRST: u32 = 7100;

    #[test]
    fn a_claimed_number_is_not_claimed_again_until_released() {
        let a = claim_display(FIRST, 20, &[]).unwrap();
        let b = claim_display(FIRST, 20, &[]).unwrap();
        assert_ne!(a.number(), b.number());
        let taken = a.number();
        drop(a);
        let c = claim_display(taken, 1, &[]).unwrap();
        assert_eq!(c.number(), taken);
        // Skipped numbers are not claimed.
        let d = claim_display(FIRST + 40, 2, &[FIRST + 40]).unwrap();
        assert_eq!(d.number(), FIRST + 41);
    }

    #[test]
    fn a_squatted_abstract_socket_is_skipped_and_named() {
        let n = FIRST + 60;
        let name = format!("/tmp/.X11-unix/X{n}");
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let squatter = UnixListener::bind_addr(&addr).unwrap();
        let claim = claim_display(n, 3, &[]).unwrap();
        assert_eq!(claim.number(), n + 1);
        let err = claim_display(n, 1, &[]).unwrap_err().to_string();
        let me = std::process::id();
        assert!(
            err.contains(&format!("@/tmp/.X11-unix/X{n} is bound by PID {me}")),
            "{err}"
        );
        assert!(err.contains(&format!(":{n}..:{n}")), "{err}");
        drop(squatter);
        assert_eq!(claim_display(n, 1, &[]).unwrap().number(), n);
    }

    #[test]
    fn a_start_that_finds_its_number_taken_moves_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let mut tried = Vec::new();
        let (n, claim) = start_on_claimed_display(FIRST + 100, |c| {
            tried.push(c.number());
            if tried.len() < 3 {
                let log = dir.path().join(format!("x{}.log", c.number()));
                std::fs::write(&log, "_XSERVTransMakeAllCOTSServerListeners: server already running\n(EE) Fatal server error:\n(EE) Cannot establish any listening sockets - Make sure an X server isn't already running(EE)\n").unwrap();
                return Err(LabError::exited("Xvfb", "exit status: 1".into(), &log));
            }
            Ok(c.number())
        })
        .unwrap();
        assert_eq!(tried, vec![FIRST + 100, FIRST + 101, FIRST + 102]);
        assert_eq!((n, claim.number()), (FIRST + 102, FIRST + 102));
        // Another failure is not retried.
        let mut calls = 0;
        let err = start_on_claimed_display(FIRST + 110, |_| -> Result<(), LabError> {
            calls += 1;
            Err(LabError::Cancelled)
        })
        .unwrap_err();
        assert!(matches!(err, LabError::Cancelled));
        assert_eq!(calls, 1);
    }

    #[test]
    fn every_number_blocked_names_the_blockers() {
        let first = FIRST + 80;
        let held: Vec<_> = (0..5)
            .map(|i| claim_display(first + i, 1, &[]).unwrap())
            .collect();
        let err = claim_display(first, 5, &[]).unwrap_err().to_string();
        assert!(
            err.contains(&format!(":{first} is in use by another spicebench run")),
            "{err}"
        );
        assert!(err.contains("and 2 more"), "{err}");
        drop(held);
    }
}
