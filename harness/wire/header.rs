//! Data headers and message framing (`spice-protocol.md` §2).
//!
//! After the link stage every message is a header plus a body. The 6-byte mini header
//! (`type u16, size u32`) is used when both sides advertised `MINI_HEADER`; otherwise the 18-byte
//! full header (`serial u64, type u16, size u32, sub_list u32`).
//!
//! [`Framer`] cuts a byte stream that arrives in arbitrary chunks into whole messages. It holds
//! no socket: the caller pushes the bytes it read and pops what is complete.

use super::codec::{Reader, Writer};
use super::{Result, WireError};

/// Which data header a connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    /// `type u16, size u32`.
    Mini,
    /// `serial u64, type u16, size u32, sub_list u32`.
    Full,
}

impl HeaderKind {
    /// Bytes of header in front of every body.
    pub const fn header_len(self) -> usize {
        match self {
            Self::Mini => 6,
            Self::Full => 18,
        }
    }

    /// The rule for an observer or a client: mini only if both link messages offered it.
    pub fn negotiate(client_mini: bool, server_mini: bool) -> Self {
        if client_mini && server_mini {
            Self::Mini
        } else {
            Self::Full
        }
    }
}

/// A parsed data header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataHeader {
    /// Message serial (full header only).
    pub serial: Option<u64>,
    /// Message type (per channel and direction).
    pub msg_type: u16,
    /// Body length in bytes.
    pub size: u32,
    /// Offset of a sub-message list inside the body, 0 for none (full header only).
    pub sub_list: u32,
}

impl DataHeader {
    /// Parses a header of `kind` from the front of `bytes`.
    pub fn parse(kind: HeaderKind, bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        Ok(match kind {
            HeaderKind::Mini => Self {
                serial: None,
                msg_type: r.u16("header.type")?,
                size: r.u32("header.size")?,
                sub_list: 0,
            },
            HeaderKind::Full => Self {
                serial: Some(r.u64("header.serial")?),
                msg_type: r.u16("header.type")?,
                size: r.u32("header.size")?,
                sub_list: r.u32("header.sub_list")?,
            },
        })
    }
}

/// Emits one whole message (header + body). `serial` is used only by the full header.
pub fn emit_message(kind: HeaderKind, serial: u64, msg_type: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(kind.header_len() + body.len());
    if kind == HeaderKind::Full {
        out.put_u64(serial);
    }
    out.put_u16(msg_type);
    out.put_u32(body.len() as u32);
    if kind == HeaderKind::Full {
        out.put_u32(0);
    }
    out.extend_from_slice(body);
    out
}

/// One complete message cut from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The header it arrived with.
    pub header: DataHeader,
    /// The body (`header.size` bytes).
    pub body: Vec<u8>,
}

impl RawMessage {
    /// Message type.
    pub fn msg_type(&self) -> u16 {
        self.header.msg_type
    }

    /// Bytes this message took on the stream, header included.
    pub fn stream_len(&self, kind: HeaderKind) -> usize {
        kind.header_len() + self.body.len()
    }
}

/// Largest body the framer accepts. A 4K 32-bit uncompressed frame is 33 MB; anything far past
/// that is a desynchronised stream, and waiting for it would hang forever.
pub const MAX_BODY: u32 = 256 << 20;

/// Cuts a byte stream into messages. Push bytes as they arrive, then pop until `None`.
#[derive(Debug)]
pub struct Framer {
    kind: HeaderKind,
    buf: Vec<u8>,
    start: usize,
}

impl Framer {
    /// A framer for a connection using `kind` headers.
    pub fn new(kind: HeaderKind) -> Self {
        Self {
            kind,
            buf: Vec::new(),
            start: 0,
        }
    }

    /// The header kind in use.
    pub fn kind(&self) -> HeaderKind {
        self.kind
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        // Compact lazily so popping many small messages stays linear.
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as a message.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Pops the next complete message, `Ok(None)` if more bytes are needed, or an error if the
    /// stream cannot be a SPICE message stream.
    pub fn pop(&mut self) -> Result<Option<RawMessage>> {
        let avail = &self.buf[self.start..];
        if avail.len() < self.kind.header_len() {
            return Ok(None);
        }
        let header = DataHeader::parse(self.kind, avail)?;
        if header.size > MAX_BODY {
            return Err(WireError::Invalid {
                field: "header.size",
                reason: format!(
                    "{} bytes for message type {}: the stream is out of step",
                    header.size, header.msg_type
                ),
            });
        }
        let total = self.kind.header_len() + header.size as usize;
        if avail.len() < total {
            return Ok(None);
        }
        let body = avail[self.kind.header_len()..total].to_vec();
        self.start += total;
        Ok(Some(RawMessage { header, body }))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// The first server message on the main channel after the link result, from the sample
    /// capture: MAIN_INIT (103) with a 32-byte body.
    const RV_MAIN_INIT: [u8; 38] = [
        0x67, 0x00, 0x20, 0x00, 0x00, 0x00, // mini header: type 103, size 32
        0x61, 0x24, 0xa3, 0xad, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0xbe, 0x9c, 0x05, 0x00, 0x00, 0xe0,
        0xff, 0x06,
    ];

    #[test]
    fn parses_real_mini_header() {
        let h = DataHeader::parse(HeaderKind::Mini, &RV_MAIN_INIT).unwrap();
        assert_eq!(h.msg_type, 103);
        assert_eq!(h.size, 32);
        assert_eq!(h.serial, None);
    }

    #[test]
    fn emit_matches_real_bytes() {
        assert_eq!(
            emit_message(HeaderKind::Mini, 0, 103, &RV_MAIN_INIT[6..]),
            RV_MAIN_INIT
        );
    }

    #[test]
    fn full_header_round_trip() {
        let bytes = emit_message(HeaderKind::Full, 7, 3, &[1, 2, 3]);
        assert_eq!(bytes.len(), 18 + 3);
        let h = DataHeader::parse(HeaderKind::Full, &bytes).unwrap();
        assert_eq!(h.serial, Some(7));
        assert_eq!(h.msg_type, 3);
        assert_eq!(h.size, 3);
        assert_eq!(h.sub_list, 0);
    }

    #[test]
    fn framer_reassembles_across_any_split() {
        let mut stream = RV_MAIN_INIT.to_vec();
        stream.extend(emit_message(HeaderKind::Mini, 0, 4, &[9; 12]));
        for split in 0..=stream.len() {
            let mut f = Framer::new(HeaderKind::Mini);
            f.push(&stream[..split]);
            let mut got = Vec::new();
            while let Some(m) = f.pop().unwrap() {
                got.push(m);
            }
            f.push(&stream[split..]);
            while let Some(m) = f.pop().unwrap() {
                got.push(m);
            }
            assert_eq!(got.len(), 2, "split at {split}");
            assert_eq!(got[0].msg_type(), 103);
            assert_eq!(got[1].body, vec![9; 12]);
            assert_eq!(f.pending(), 0);
        }
    }

    #[test]
    fn framer_rejects_absurd_sizes() {
        let mut f = Framer::new(HeaderKind::Mini);
        f.push(&[1, 0, 0xff, 0xff, 0xff, 0xff]);
        assert!(f.pop().is_err());
    }

    #[test]
    fn negotiation_needs_both_sides() {
        assert_eq!(HeaderKind::negotiate(true, true), HeaderKind::Mini);
        assert_eq!(HeaderKind::negotiate(true, false), HeaderKind::Full);
        assert_eq!(HeaderKind::Full.header_len(), 18);
    }
}
