//! Free loopback ports for parts the lab starts, and who holds a socket.
//!
//! A server the lab starts binds its port itself (Xorg, sshd, ssh), so spicebench cannot bind
//! and hand it over. Instead a run leases the port: it holds a lock named after it
//! ([`super::run_lock`]) until the server has stopped, so two runs never pick the same one,
//! and [`listener`] tells our server from any other process that took it meanwhile.

use std::net::TcpListener;

use super::run_lock::{try_lock, RunLock};
use super::LabError;

/// How many kernel-picked ports a lease tries before giving up (each try fails only when
/// another run holds the port the kernel offered).
const LEASE_TRIES: usize = 64;

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it).
pub fn free_loopback_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A port on 127.0.0.1 that this run holds until the value is dropped: no other spicebench
/// run leases it meanwhile.
#[derive(Debug)]
pub struct PortLease {
    port: u16,
    _lock: RunLock,
}

impl PortLease {
    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Leases a free port on 127.0.0.1 for `what` (named in the error), for a server that starts
/// later: keep the lease until the server has stopped.
pub fn reserve_port(what: &str) -> Result<PortLease, LabError> {
    let io = |source| LabError::Io {
        context: format!("finding a free port for {what}"),
        source,
    };
    for _ in 0..LEASE_TRIES {
        let port = free_loopback_port().map_err(io)?;
        if let Some(lock) = try_lock(&format!("port-{port}"))? {
            return Ok(PortLease { port, _lock: lock });
        }
    }
    Err(io(std::io::Error::other(
        "every port the kernel offered is held by another spicebench run",
    )))
}

/// Leases `count` consecutive ports starting at a multiple of `count` in `range` that nothing
/// listens on (X11 listeners, 6000 + display number): the first run to lock a block has it.
pub fn reserve_port_block(
    what: &str,
    range: std::ops::Range<u16>,
    count: u16,
) -> Result<PortLease, LabError> {
    for first in range.clone().step_by(usize::from(count.max(1))) {
        let end = first.saturating_add(count);
        if end > range.end || (first..end).any(is_listening) {
            continue;
        }
        if let Some(lock) = try_lock(&format!("ports-{first}-{count}"))? {
            // Checked again under the lock: a server may have bound one meanwhile.
            if !(first..end).any(is_listening) {
                return Ok(PortLease {
                    port: first,
                    _lock: lock,
                });
            }
        }
    }
    Err(LabError::Io {
        context: format!("finding free ports for {what}"),
        source: std::io::Error::other(format!(
            "ports {}..{} are all in use or held by other spicebench runs",
            range.start, range.end
        )),
    })
}

/// Whether something listens on 127.0.0.1:`port`, read from /proc/net/tcp so that no probe
/// connection shows up in a capture.
pub fn is_listening(port: u16) -> bool {
    listening_inode("/proc/net/tcp", port).is_some()
}

/// The socket inode of the listener on IPv4 `port`, from a `/proc/.../net/tcp` table.
fn listening_inode(table: &str, port: u16) -> Option<u64> {
    let table = std::fs::read_to_string(table).ok()?;
    let wanted = format!(":{port:04X}");
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // local_address, state (0A is LISTEN), ..., inode (the tenth column).
        let (local, state, inode) = (cols.get(1)?, cols.get(3)?, cols.get(9)?);
        (local.ends_with(&wanted) && *state == "0A")
            .then(|| inode.parse().ok())
            .flatten()
    })
}

/// Who holds a port the lab expects one of its processes to listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// Nobody yet.
    Nobody,
    /// The process we started.
    Ours,
    /// Another process took it (between our reservation and our process's bind).
    Other,
}

/// Who listens on `port`: `pid` (one of its open files is the listening socket), someone
/// else, or nobody. A server that only checked "something listens" could be fooled by a
/// local user who grabbed the port first.
pub fn listener(port: u16, pid: u32) -> Listener {
    // The table of `pid`'s own network namespace (a lab part may run in one of its own).
    let Some(inode) = listening_inode(&format!("/proc/{pid}/net/tcp"), port) else {
        return Listener::Nobody;
    };
    if holds_socket(pid, inode) {
        Listener::Ours
    } else {
        Listener::Other
    }
}

/// Whether one of `pid`'s open files is the socket `inode`.
fn holds_socket(pid: u32, inode: u64) -> bool {
    let wanted = format!("socket:[{inode}]");
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t.to_string_lossy() == wanted))
}

/// A process that holds the socket `inode` open, if one can be seen (all of them as root).
pub fn pid_holding_socket(inode: u64) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| holds_socket(*pid, inode))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn sees_a_listener_and_its_absence() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(is_listening(port));
        drop(l);
        assert!(!is_listening(port));
    }

    #[test]
    fn tells_our_listener_from_another_process() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert_eq!(listener(port, std::process::id()), Listener::Ours);
        // PID 1 does not hold this socket.
        assert_eq!(listener(port, 1), Listener::Other);
        drop(l);
        // A child another test forks meanwhile holds a copy of the socket until it execs
        // (close-on-exec), so the listener can outlive `drop` by a moment, as Other.
        let mut after = listener(port, std::process::id());
        for _ in 0..100 {
            if after == Listener::Nobody {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            after = listener(port, std::process::id());
        }
        assert_eq!(after, Listener::Nobody);
    }

    #[test]
    fn a_leased_port_is_not_leased_again_until_released() {
        let a = reserve_port("a test").unwrap();
        // Another run (here: another lease) is offered the same port by the kernel at times;
        // it must never get it while `a` holds it.
        let others: Vec<PortLease> = (0..50).map(|_| reserve_port("a test").unwrap()).collect();
        assert!(others.iter().all(|o| o.port() != a.port()));
        let block = reserve_port_block("a test", 41000..41100, 10).unwrap();
        let next = reserve_port_block("a test", 41000..41100, 10).unwrap();
        assert_ne!(block.port(), next.port());
        assert_eq!(block.port() % 10, 0);
        let first = block.port();
        drop(block);
        let again = reserve_port_block("a test", first..first + 10, 10).unwrap();
        assert_eq!(again.port(), first);
    }

    #[test]
    fn finds_a_free_port() {
        // Free means a listener can take it at once, and nothing listens there yet.
        let port = free_loopback_port().unwrap();
        assert!(!is_listening(port));
        let l = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
        assert!(is_listening(port));
        drop(l);
    }
}
