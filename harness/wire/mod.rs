//! The SPICE wire format, sans-IO: bytes in, values out; values in, bytes out.
//!
//! Nothing here touches a socket, a clock or a runtime. The tokio client and the passive capture
//! analyser both build on these codecs, so a byte means the same thing to both.
//!
//! # Layout
//! - [`codec`]: bounds-checked little-endian [`Reader`](codec::Reader) and a `Vec<u8>` writer.
//! - [`channel`]: channel types and their names.
//! - [`link`]: the link stage (header, link message, reply, auth mechanism, result).
//! - [`ticket`]: the RSA-OAEP(SHA-1) encrypted ticket.
//! - [`header`]: mini and full data headers, and [`Framer`](header::Framer), which cuts a byte
//!   stream into messages.
//! - [`common`], [`main_channel`], [`inputs`], [`display`], [`cursor`]: message bodies.
//! - [`duties`]: what a client owes the server per channel (ACK, PONG, ATTACH_CHANNELS, mouse
//!   mode), as replies returned, not sent.
//! - [`compression`]: image compression and image types, typed, and which types each sends.
//! - [`names`]: message-type and image-type names for reports.
//! - [`video_codecs`]: video codec types by name and spice-server's `video-codecs` lists.
//! - [`pixels`]: the colour a fill or an uncompressed copy leaves at one point (probe squares).
//!
//! # Panic contract
//! No parser panics on any input: every read goes through [`Reader`](codec::Reader), which returns
//! [`WireError`] instead. Unknown message types, image types and capabilities are kept as numbers,
//! never rejected, because later protocol versions only append values.
//!
//! Facts come from `shared/spice-protocol.md` (section numbers are cited as §n).

pub mod channel;
pub mod codec;
pub mod common;
pub mod compression;
pub mod cursor;
pub mod display;
pub mod duties;
pub mod header;
pub mod inputs;
pub mod link;
pub mod main_channel;
pub mod names;
pub mod pixels;
pub mod ticket;
pub mod video_codecs;

pub use channel::ChannelType;
pub use header::{DataHeader, Framer, HeaderKind, RawMessage};

/// Why a byte sequence is not the SPICE message we expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The bytes end before the field does.
    #[error("truncated: field `{field}` needs {need} bytes, {have} left")]
    Truncated {
        /// Field being read.
        field: &'static str,
        /// Bytes the field needs.
        need: usize,
        /// Bytes that were left.
        have: usize,
    },
    /// An offset field points outside the message body.
    #[error("offset {offset} in `{field}` points outside a {len}-byte body")]
    BadOffset {
        /// Field holding the offset.
        field: &'static str,
        /// The offset found.
        offset: usize,
        /// Body length.
        len: usize,
    },
    /// The first four bytes are not `REDQ`.
    #[error("not a SPICE link: magic is {0:02x?}, expected \"REDQ\"")]
    BadMagic([u8; 4]),
    /// A field holds a value the protocol does not allow.
    #[error("invalid `{field}`: {reason}")]
    Invalid {
        /// Field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Shorthand for results of wire codecs.
pub type Result<T> = std::result::Result<T, WireError>;
