//! What a TCP flow carries, decided from its own first bytes (never from port numbers alone).

/// Transport of a TCP flow (DESIGN.md, "Transport"); results own its names. The analyser
/// gives every variant but [`Transport::SpiceTls`], which only a run can know.
pub use crate::results::Transport;

/// Classifies a flow from the first bytes each side sent (either may still be empty):
/// `spice` from the `REDQ` link magic, `tls` from a handshake record (`16 03`), `ssh` from
/// either side's `SSH-` banner, `x11` from the client's connection setup (`l\0\x0b\0` or
/// `B\0\0\x0b`). Returns `None` while there are too few bytes to decide.
pub fn detect(client_first: &[u8], server_first: &[u8]) -> Option<Transport> {
    if server_first.starts_with(b"SSH-") || client_first.starts_with(b"SSH-") {
        return Some(Transport::Ssh);
    }
    if client_first.len() < 4 {
        // SSH servers speak first; anything else waits for the client.
        return if server_first.len() >= 4 {
            Some(Transport::Unknown)
        } else {
            None
        };
    }
    Some(match &client_first[..4] {
        b"REDQ" => Transport::Spice,
        [0x16, 0x03, _, _] => Transport::Tls,
        [b'l', 0, 11, 0] | [b'B', 0, 0, 11] => Transport::X11,
        _ => Transport::Unknown,
    })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn detects_each_transport_from_first_bytes() {
        assert_eq!(detect(b"REDQ\x02\0\0\0", b""), Some(Transport::Spice));
        assert_eq!(
            detect(b"", b"SSH-2.0-OpenSSH_9.2p1\r\n"),
            Some(Transport::Ssh)
        );
        assert_eq!(detect(b"SSH-2.0-x", b""), Some(Transport::Ssh));
        assert_eq!(detect(&[0x16, 3, 1, 0, 5], b""), Some(Transport::Tls));
        assert_eq!(detect(&[b'l', 0, 11, 0, 0, 0], b""), Some(Transport::X11));
        assert_eq!(detect(b"GET / HTTP/1.1", b""), Some(Transport::Unknown));
        assert_eq!(detect(b"RE", b""), None);
    }
}
