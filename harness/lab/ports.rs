//! Free loopback ports for parts the lab starts, and who holds a socket.

use std::net::TcpListener;

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it).
pub fn free_loopback_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A free port on 127.0.0.1, as a lab error (for ports reserved before their server starts).
pub fn reserve_port(what: &str) -> Result<u16, super::LabError> {
    free_loopback_port().map_err(|source| super::LabError::Io {
        context: format!("finding a free port for {what}"),
        source,
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
    fn finds_a_free_port() {
        // Free means a listener can take it at once, and nothing listens there yet.
        let port = free_loopback_port().unwrap();
        assert!(!is_listening(port));
        let l = std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
        assert!(is_listening(port));
        drop(l);
    }
}
