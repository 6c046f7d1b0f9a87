//! Free loopback ports and X display numbers for parts the lab starts.

use std::net::TcpListener;
use std::path::Path;

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

/// The first display number from `from` whose lock file and socket do not exist.
pub fn free_display(from: u32) -> Option<u32> {
    (from..from + 200).find(|n| {
        !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
    })
}

/// Whether something listens on 127.0.0.1:`port`, read from /proc/net/tcp so that no probe
/// connection shows up in a capture.
pub fn is_listening(port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let wanted = format!(":{port:04X}");
    table.lines().skip(1).any(|line| {
        let mut cols = line.split_whitespace();
        let local = cols.nth(1).unwrap_or("");
        let state = cols.nth(1).unwrap_or("");
        // State 0A is LISTEN.
        local.ends_with(&wanted) && state == "0A"
    })
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
    fn finds_a_free_port_and_display() {
        assert!(free_loopback_port().unwrap() > 0);
        assert!(free_display(20).is_some());
    }
}
