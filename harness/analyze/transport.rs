//! What a TCP flow carries, decided from its own first bytes (never from port numbers alone).

/// Transport of a TCP flow (DESIGN.md, "Transport").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// Plain SPICE: the client's first bytes are the `REDQ` link magic.
    Spice,
    /// TLS: a handshake record (`16 03`); SPICE over TLS, or anything else over TLS.
    Tls,
    /// SSH: either side's first bytes are an `SSH-` banner (a tunnel or X forwarding).
    Ssh,
    /// X11: the client's connection setup (`l\0\x0b\0` or `B\0\0\x0b`).
    X11,
    /// Not recognised (or the flow's start was not captured).
    Unknown,
}

impl Transport {
    /// Name used in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spice => "spice",
            Self::Tls => "tls",
            Self::Ssh => "ssh",
            Self::X11 => "x11",
            Self::Unknown => "unknown",
        }
    }

    /// Classifies from the first bytes each side sent (either may still be empty).
    /// Returns `None` while there are too few bytes to decide.
    pub fn detect(client_first: &[u8], server_first: &[u8]) -> Option<Self> {
        if server_first.starts_with(b"SSH-") || client_first.starts_with(b"SSH-") {
            return Some(Self::Ssh);
        }
        if client_first.len() < 4 {
            // SSH servers speak first; anything else waits for the client.
            return if server_first.len() >= 4 {
                Some(Self::Unknown)
            } else {
                None
            };
        }
        Some(match &client_first[..4] {
            b"REDQ" => Self::Spice,
            [0x16, 0x03, _, _] => Self::Tls,
            [b'l', 0, 11, 0] | [b'B', 0, 0, 11] => Self::X11,
            _ => Self::Unknown,
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn detects_each_transport_from_first_bytes() {
        assert_eq!(
            Transport::detect(b"REDQ\x02\0\0\0", b""),
            Some(Transport::Spice)
        );
        assert_eq!(
            Transport::detect(b"", b"SSH-2.0-OpenSSH_9.2p1\r\n"),
            Some(Transport::Ssh)
        );
        assert_eq!(Transport::detect(b"SSH-2.0-x", b""), Some(Transport::Ssh));
        assert_eq!(
            Transport::detect(&[0x16, 3, 1, 0, 5], b""),
            Some(Transport::Tls)
        );
        assert_eq!(
            Transport::detect(&[b'l', 0, 11, 0, 0, 0], b""),
            Some(Transport::X11)
        );
        assert_eq!(
            Transport::detect(b"GET / HTTP/1.1", b""),
            Some(Transport::Unknown)
        );
        assert_eq!(Transport::detect(b"RE", b""), None);
    }
}
