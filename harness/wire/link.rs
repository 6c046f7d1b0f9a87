//! The link stage that opens every channel connection (`spice-protocol.md` §1).
//!
//! ```text
//! client → server : LinkHeader(16) + LinkMess(18) + caps
//! server → client : LinkHeader(16) + LinkReply(178) + caps
//! client → server : [auth mechanism u32] + encrypted ticket(128)
//! server → client : link result u32
//! ```

use super::channel::ChannelType;
use super::codec::{Reader, Writer};
use super::{Result, WireError};

/// `REDQ`, the first four bytes of every link header.
pub const MAGIC: [u8; 4] = *b"REDQ";
/// Protocol major version spoken by every current peer.
pub const VERSION_MAJOR: u32 = 2;
/// Protocol minor version.
pub const VERSION_MINOR: u32 = 2;
/// Size of [`LinkHeader`] on the wire.
pub const HEADER_LEN: usize = 16;
/// Size of the fixed part of [`LinkMess`].
pub const LINK_MESS_LEN: usize = 18;
/// Size of the fixed part of [`LinkReply`].
pub const LINK_REPLY_LEN: usize = 178;
/// Size of the DER public key in a link reply (RSA-1024 SubjectPublicKeyInfo).
pub const PUB_KEY_LEN: usize = 162;
/// Size of the encrypted ticket.
pub const TICKET_LEN: usize = 128;
/// spice-server refuses link bodies larger than this (§1.2); so do we.
pub const MAX_LINK_BODY: u32 = 4096;

/// Common capability bits (§1.5).
pub mod common_cap {
    /// Peer understands the 4-byte auth mechanism step.
    pub const PROTOCOL_AUTH_SELECTION: u32 = 0;
    /// Server accepts RSA ticket auth.
    pub const AUTH_SPICE: u32 = 1;
    /// SASL auth.
    pub const AUTH_SASL: u32 = 2;
    /// 6-byte mini data header.
    pub const MINI_HEADER: u32 = 3;
}

/// Auth mechanism values sent after the link reply (§1.6).
pub mod auth_mechanism {
    /// RSA-encrypted ticket.
    pub const SPICE: u32 = 1;
    /// SASL.
    pub const SASL: u32 = 2;
}

/// Capability words; capability `n` is bit `n % 32` of word `n / 32`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caps(pub Vec<u32>);

impl Caps {
    /// Builds a capability set from bit numbers.
    pub fn from_bits(bits: &[u32]) -> Self {
        let mut caps = Self::default();
        for &b in bits {
            caps.set(b);
        }
        caps
    }

    /// Sets capability `bit`, growing the word list as needed.
    pub fn set(&mut self, bit: u32) {
        let word = (bit / 32) as usize;
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (bit % 32);
    }

    /// Whether capability `bit` is present.
    pub fn has(&self, bit: u32) -> bool {
        self.0
            .get((bit / 32) as usize)
            .is_some_and(|w| w & (1 << (bit % 32)) != 0)
    }
}

/// The 16-byte header in front of a link message or reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkHeader {
    /// Major version (2).
    pub major: u32,
    /// Minor version (2).
    pub minor: u32,
    /// Bytes that follow the header.
    pub size: u32,
}

impl LinkHeader {
    /// Parses and checks a link header: magic, major version and a sane size.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let magic: [u8; 4] =
            r.bytes(4, "link.magic")?
                .try_into()
                .map_err(|_| WireError::Invalid {
                    field: "link.magic",
                    reason: "short".into(),
                })?;
        if magic != MAGIC {
            return Err(WireError::BadMagic(magic));
        }
        let major = r.u32("link.major_version")?;
        let minor = r.u32("link.minor_version")?;
        let size = r.u32("link.size")?;
        if major != VERSION_MAJOR {
            return Err(WireError::Invalid {
                field: "link.major_version",
                reason: format!("version {major}, only 2 is spoken"),
            });
        }
        if size > MAX_LINK_BODY {
            return Err(WireError::Invalid {
                field: "link.size",
                reason: format!("{size} bytes is more than the {MAX_LINK_BODY} allowed"),
            });
        }
        Ok(Self { major, minor, size })
    }

    fn emit(size: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(&MAGIC);
        out.put_u32(VERSION_MAJOR);
        out.put_u32(VERSION_MINOR);
        out.put_u32(size);
    }
}

fn read_caps(body: &[u8], offset: u32, common: u32, channel: u32) -> Result<(Caps, Caps)> {
    // Counts come from the peer; bound them before allocating (spice-server allows 1024).
    if common > 1024 || channel > 1024 {
        return Err(WireError::Invalid {
            field: "link.num_caps",
            reason: format!("{common} common + {channel} channel words is too many"),
        });
    }
    let mut r = Reader::at(body, offset as usize, "link.caps_offset")?;
    let mut words = |n: u32| -> Result<Caps> {
        (0..n)
            .map(|_| r.u32("link.caps"))
            .collect::<Result<Vec<_>>>()
            .map(Caps)
    };
    let c = words(common)?;
    let ch = words(channel)?;
    Ok((c, ch))
}

/// The client's link message: which channel this connection is for, and its capabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkMess {
    /// 0 for main; the session id from MAIN_INIT for every other channel.
    pub connection_id: u32,
    /// Channel type.
    pub channel_type: ChannelType,
    /// Channel instance id.
    pub channel_id: u8,
    /// Common capabilities.
    pub common_caps: Caps,
    /// Channel-specific capabilities.
    pub channel_caps: Caps,
}

impl LinkMess {
    /// Parses the body that follows a [`LinkHeader`] (`header.size` bytes).
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        let connection_id = r.u32("link_mess.connection_id")?;
        let channel_type = ChannelType(r.u8("link_mess.channel_type")?);
        let channel_id = r.u8("link_mess.channel_id")?;
        let num_common = r.u32("link_mess.num_common_caps")?;
        let num_channel = r.u32("link_mess.num_channel_caps")?;
        let caps_offset = r.u32("link_mess.caps_offset")?;
        let (common_caps, channel_caps) = read_caps(body, caps_offset, num_common, num_channel)?;
        Ok(Self {
            connection_id,
            channel_type,
            channel_id,
            common_caps,
            channel_caps,
        })
    }

    /// Emits header + link message + caps, ready to send.
    pub fn emit(&self) -> Vec<u8> {
        let ncommon = self.common_caps.0.len() as u32;
        let nchannel = self.channel_caps.0.len() as u32;
        let size = LINK_MESS_LEN as u32 + 4 * (ncommon + nchannel);
        let mut out = Vec::with_capacity(HEADER_LEN + size as usize);
        LinkHeader::emit(size, &mut out);
        out.put_u32(self.connection_id);
        out.put_u8(self.channel_type.0);
        out.put_u8(self.channel_id);
        out.put_u32(ncommon);
        out.put_u32(nchannel);
        out.put_u32(LINK_MESS_LEN as u32);
        for w in self.common_caps.0.iter().chain(&self.channel_caps.0) {
            out.put_u32(*w);
        }
        out
    }
}

/// The server's link reply: an error code, a one-time RSA public key and its capabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkReply {
    /// 0 on success, otherwise a [`LinkError`] code.
    pub error: u32,
    /// DER SubjectPublicKeyInfo of the RSA key the ticket must be encrypted with.
    pub pub_key: Vec<u8>,
    /// Common capabilities.
    pub common_caps: Caps,
    /// Channel-specific capabilities.
    pub channel_caps: Caps,
}

impl LinkReply {
    /// Parses the body that follows a [`LinkHeader`].
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        let error = r.u32("link_reply.error")?;
        let pub_key = r.bytes(PUB_KEY_LEN, "link_reply.pub_key")?.to_vec();
        let num_common = r.u32("link_reply.num_common_caps")?;
        let num_channel = r.u32("link_reply.num_channel_caps")?;
        let caps_offset = r.u32("link_reply.caps_offset")?;
        // Error replies carry zero counts and no caps; reading them still works.
        let (common_caps, channel_caps) = read_caps(body, caps_offset, num_common, num_channel)?;
        Ok(Self {
            error,
            pub_key,
            common_caps,
            channel_caps,
        })
    }

    /// Emits header + reply + caps (used by tests and the error-path fake server).
    pub fn emit(&self) -> Vec<u8> {
        let ncommon = self.common_caps.0.len() as u32;
        let nchannel = self.channel_caps.0.len() as u32;
        let size = LINK_REPLY_LEN as u32 + 4 * (ncommon + nchannel);
        let mut out = Vec::with_capacity(HEADER_LEN + size as usize);
        LinkHeader::emit(size, &mut out);
        out.put_u32(self.error);
        let mut key = self.pub_key.clone();
        key.resize(PUB_KEY_LEN, 0);
        out.extend_from_slice(&key);
        out.put_u32(ncommon);
        out.put_u32(nchannel);
        out.put_u32(LINK_REPLY_LEN as u32);
        for w in self.common_caps.0.iter().chain(&self.channel_caps.0) {
            out.put_u32(*w);
        }
        out
    }
}

/// Link error codes (§1.8), with what a user should do about each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Generic failure.
    Error,
    /// Bad magic.
    InvalidMagic,
    /// Malformed link data.
    InvalidData,
    /// Protocol version mismatch.
    VersionMismatch,
    /// Channel must use the TLS port.
    NeedSecured,
    /// Channel must use the plain port.
    NeedUnsecured,
    /// Wrong or expired ticket.
    PermissionDenied,
    /// Connection id does not match a session.
    BadConnectionId,
    /// The channel does not exist.
    ChannelNotAvailable,
    /// A code this table does not know.
    Unknown(u32),
}

impl LinkError {
    /// Maps a non-zero link result; 0 (OK) gives `None`.
    pub fn from_code(code: u32) -> Option<Self> {
        Some(match code {
            0 => return None,
            1 => Self::Error,
            2 => Self::InvalidMagic,
            3 => Self::InvalidData,
            4 => Self::VersionMismatch,
            5 => Self::NeedSecured,
            6 => Self::NeedUnsecured,
            7 => Self::PermissionDenied,
            8 => Self::BadConnectionId,
            9 => Self::ChannelNotAvailable,
            n => Self::Unknown(n),
        })
    }

    /// The protocol's name for the code.
    pub fn name(&self) -> String {
        match self {
            Self::Error => "ERROR".into(),
            Self::InvalidMagic => "INVALID_MAGIC".into(),
            Self::InvalidData => "INVALID_DATA".into(),
            Self::VersionMismatch => "VERSION_MISMATCH".into(),
            Self::NeedSecured => "NEED_SECURED".into(),
            Self::NeedUnsecured => "NEED_UNSECURED".into(),
            Self::PermissionDenied => "PERMISSION_DENIED".into(),
            Self::BadConnectionId => "BAD_CONNECTION_ID".into(),
            Self::ChannelNotAvailable => "CHANNEL_NOT_AVAILABLE".into(),
            Self::Unknown(n) => format!("code {n}"),
        }
    }

    /// What the user can do about it.
    pub fn advice(&self) -> &'static str {
        match self {
            Self::PermissionDenied => {
                "the server refused the password: check the password file or environment variable \
                 named by the scenario (password_file / password_env), or whether the ticket expired"
            }
            Self::NeedSecured => "the server wants this channel over TLS; TLS is not supported yet",
            Self::NeedUnsecured => "the server wants this channel on its plain port",
            Self::VersionMismatch => {
                "the server speaks another SPICE version, or requires SASL, which is not supported"
            }
            Self::BadConnectionId => "the main channel's session ended; rerun",
            Self::ChannelNotAvailable => "the server has no such channel",
            _ => "the server rejected the link; see its log",
        }
    }
}

/// Parses the 4-byte link result that ends the link stage.
pub fn parse_link_result(bytes: &[u8]) -> Result<Option<LinkError>> {
    Ok(LinkError::from_code(Reader::new(bytes).u32("link_result")?))
}

#[cfg(test)]
mod test {
    use super::*;

    /// Main channel link message remote-viewer (spice-gtk 0.42) sent to Xspice, cut from
    /// `shared/captures/xspice-remote-viewer.pcapng` (stream 0, client side).
    const RV_MAIN_LINK: [u8; 42] = [
        0x52, 0x45, 0x44, 0x51, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x00,
        0x00, // header: size 26
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, // connection_id 0, main, id 0
        0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00,
        0x00, // 1 + 1 words @18
        0x0d, 0x00, 0x00, 0x00, // common: AUTH_SELECTION | AUTH_SASL | MINI_HEADER
        0x0f, 0x00, 0x00, 0x00, // main caps
    ];

    #[test]
    fn parses_real_client_link_message() {
        let h = LinkHeader::parse(&RV_MAIN_LINK[..16]).unwrap();
        assert_eq!(h.size, 26);
        let m = LinkMess::parse(&RV_MAIN_LINK[16..]).unwrap();
        assert_eq!(m.connection_id, 0);
        assert_eq!(m.channel_type, ChannelType::MAIN);
        assert_eq!(m.channel_id, 0);
        assert!(m.common_caps.has(common_cap::MINI_HEADER));
        assert!(m.common_caps.has(common_cap::PROTOCOL_AUTH_SELECTION));
        assert!(!m.common_caps.has(common_cap::AUTH_SPICE));
        assert_eq!(m.channel_caps, Caps(vec![0x0f]));
    }

    #[test]
    fn emits_byte_identical_link_message() {
        let m = LinkMess::parse(&RV_MAIN_LINK[16..]).unwrap();
        assert_eq!(m.emit(), RV_MAIN_LINK);
    }

    #[test]
    fn parses_real_server_reply_header_and_caps() {
        // Server side of the same stream: header (size 186), error 0, key, caps counts at 182.
        let mut reply = vec![0u8; 16 + 186];
        reply[..16].copy_from_slice(&[
            0x52, 0x45, 0x44, 0x51, 2, 0, 0, 0, 2, 0, 0, 0, 0xba, 0, 0, 0,
        ]);
        reply[20..42].copy_from_slice(&[
            0x30, 0x81, 0x9f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
            0x01, 0x01, 0x05, 0x00, 0x03, 0x81, 0x8d, 0x00,
        ]);
        reply[182..202].copy_from_slice(&[
            1, 0, 0, 0, 1, 0, 0, 0, 0xb2, 0, 0, 0, 0x0b, 0, 0, 0, 0x0f, 0, 0, 0,
        ]);
        let h = LinkHeader::parse(&reply[..16]).unwrap();
        assert_eq!(h.size, 186);
        let r = LinkReply::parse(&reply[16..]).unwrap();
        assert_eq!(r.error, 0);
        assert_eq!(&r.pub_key[..3], &[0x30, 0x81, 0x9f]);
        assert!(r.common_caps.has(common_cap::AUTH_SPICE));
        assert!(r.common_caps.has(common_cap::MINI_HEADER));
        assert!(!r.common_caps.has(common_cap::AUTH_SASL));
        assert_eq!(r.emit(), reply);
    }

    #[test]
    fn rejects_bad_magic_version_and_size() {
        assert_eq!(
            LinkHeader::parse(b"GET / HTTP/1.1\r\n").unwrap_err(),
            WireError::BadMagic(*b"GET ")
        );
        let mut h = RV_MAIN_LINK[..16].to_vec();
        h[4] = 3;
        assert!(LinkHeader::parse(&h).is_err());
        let mut h = RV_MAIN_LINK[..16].to_vec();
        h[12..16].copy_from_slice(&9999u32.to_le_bytes());
        assert!(LinkHeader::parse(&h).is_err());
    }

    #[test]
    fn caps_offset_outside_body_is_an_error() {
        let mut body = RV_MAIN_LINK[16..].to_vec();
        body[14..18].copy_from_slice(&100u32.to_le_bytes());
        assert!(matches!(
            LinkMess::parse(&body),
            Err(WireError::BadOffset { .. })
        ));
        let mut body = RV_MAIN_LINK[16..].to_vec();
        body[6..10].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(LinkMess::parse(&body).is_err());
    }

    #[test]
    fn caps_bits_across_words() {
        let c = Caps::from_bits(&[0, 3, 33]);
        assert_eq!(c.0, vec![0b1001, 0b10]);
        assert!(c.has(33) && !c.has(32) && !c.has(64));
    }

    #[test]
    fn link_results() {
        assert_eq!(parse_link_result(&[0, 0, 0, 0]).unwrap(), None);
        assert_eq!(
            parse_link_result(&[7, 0, 0, 0]).unwrap(),
            Some(LinkError::PermissionDenied)
        );
        assert!(LinkError::PermissionDenied.advice().contains("password"));
        assert!(parse_link_result(&[7]).is_err());
    }
}
