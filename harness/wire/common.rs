//! Messages every channel carries: flow control, ping/pong, notifications (`spice-protocol.md` §4).

use super::codec::{Reader, Writer};
use super::Result;

/// Server → client common message types (1..=8).
pub mod server {
    /// Migration start.
    pub const MIGRATE: u16 = 1;
    /// Migration data.
    pub const MIGRATE_DATA: u16 = 2;
    /// Start of ack flow control: generation + window.
    pub const SET_ACK: u16 = 3;
    /// Liveness / bandwidth probe.
    pub const PING: u16 = 4;
    /// Cross-channel ordering for decoders.
    pub const WAIT_FOR_CHANNELS: u16 = 5;
    /// The server is about to close.
    pub const DISCONNECTING: u16 = 6;
    /// Human-readable notification.
    pub const NOTIFY: u16 = 7;
    /// Container of sub-messages.
    pub const LIST: u16 = 8;
}

/// Client → server common message types (1..=6).
pub mod client {
    /// Answer to SET_ACK.
    pub const ACK_SYNC: u16 = 1;
    /// One ack per window of received messages.
    pub const ACK: u16 = 2;
    /// Answer to PING.
    pub const PONG: u16 = 3;
    /// Migration.
    pub const MIGRATE_FLUSH_MARK: u16 = 4;
    /// Migration.
    pub const MIGRATE_DATA: u16 = 5;
    /// The client is about to close.
    pub const DISCONNECTING: u16 = 6;
}

/// `SET_ACK`: ack every `window` messages, tagging the sync with `generation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetAck {
    /// Generation to echo in ACK_SYNC.
    pub generation: u32,
    /// Messages per ACK.
    pub window: u32,
}

impl SetAck {
    /// Parses a SET_ACK body.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        Ok(Self {
            generation: r.u32("set_ack.generation")?,
            window: r.u32("set_ack.window")?,
        })
    }

    /// Emits the body.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8);
        out.put_u32(self.generation);
        out.put_u32(self.window);
        out
    }
}

/// `ACK_SYNC` body: the generation from SET_ACK.
pub fn ack_sync(generation: u32) -> Vec<u8> {
    generation.to_le_bytes().to_vec()
}

/// `PING` (server) and, without payload, `PONG` (client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ping {
    /// Ping id, echoed in the pong.
    pub id: u32,
    /// Server timestamp, echoed in the pong.
    pub timestamp: u64,
    /// Padding bytes after the fixed part; 256000 for the connect-time bandwidth test.
    pub payload_len: usize,
}

impl Ping {
    /// Parses a PING body (the padding is counted, not copied).
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        Ok(Self {
            id: r.u32("ping.id")?,
            timestamp: r.u64("ping.timestamp")?,
            payload_len: r.remaining(),
        })
    }

    /// The PONG body answering this ping: id and timestamp, no padding.
    pub fn pong(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12);
        out.put_u32(self.id);
        out.put_u64(self.timestamp);
        out
    }
}

/// `NOTIFY`: a message from the server, worth logging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// 0 info, 1 warning, 2 error.
    pub severity: u32,
    /// The text (lossy UTF-8, trailing NUL removed).
    pub message: String,
}

impl Notify {
    /// Parses a NOTIFY body.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        r.u64("notify.time_stamp")?;
        let severity = r.u32("notify.severity")?;
        r.u32("notify.visibility")?;
        r.u32("notify.what")?;
        let len = r.u32("notify.message_len")? as usize;
        let text = r.bytes(len.min(r.remaining()), "notify.message")?;
        let message = String::from_utf8_lossy(text)
            .trim_end_matches('\0')
            .to_string();
        Ok(Self { severity, message })
    }
}

/// `DISCONNECTING`: the server is closing, with a link error code as the reason.
pub fn parse_disconnecting(body: &[u8]) -> Result<u32> {
    let mut r = Reader::new(body);
    r.u64("disconnecting.time_stamp")?;
    r.u32("disconnecting.reason")
}

#[cfg(test)]
pub(crate) mod test {
    use super::*;

    #[test]
    fn set_ack_from_real_display_stream() {
        // Display channel, first server message: SET_ACK generation 1, window 20.
        let body = [0x01, 0, 0, 0, 0x14, 0, 0, 0];
        let s = SetAck::parse(&body).unwrap();
        assert_eq!(
            s,
            SetAck {
                generation: 1,
                window: 20
            }
        );
        assert_eq!(s.emit(), body);
        // The client's ACK_SYNC in the same capture: `01 00 00 00`.
        assert_eq!(ack_sync(1), vec![1, 0, 0, 0]);
    }

    #[test]
    fn pong_echoes_real_ping() {
        // Main channel net-test ping 1 and remote-viewer's pong, from the sample capture.
        let ping = [
            0x01, 0, 0, 0, 0x61, 0x64, 0xf2, 0x15, 0, 0, 0, 0, // id 1, timestamp
        ];
        let p = Ping::parse(&ping).unwrap();
        assert_eq!(p.id, 1);
        assert_eq!(p.payload_len, 0);
        assert_eq!(p.pong(), ping.to_vec());
        let mut big = ping.to_vec();
        big.extend(vec![0u8; 256_000]);
        assert_eq!(Ping::parse(&big).unwrap().payload_len, 256_000);
    }

    #[test]
    fn notify_from_real_main_stream() {
        let body = hex_body(
            "3e3d9ae6550000000100000002000000000000001c0000006b6579626f617264206368616e6e656c20697320696e73656375726500",
        );
        let n = Notify::parse(&body).unwrap();
        assert_eq!(n.severity, 1);
        assert_eq!(n.message, "keyboard channel is insecure");
    }

    #[test]
    fn short_bodies_are_errors() {
        assert!(SetAck::parse(&[1, 0, 0]).is_err());
        assert!(Ping::parse(&[1, 0, 0, 0]).is_err());
        assert!(Notify::parse(&[0; 10]).is_err());
        assert!(parse_disconnecting(&[0; 11]).is_err());
    }

    pub(crate) fn hex_body(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    }
}
