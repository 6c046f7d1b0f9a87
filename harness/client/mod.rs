//! A tokio SPICE client that links every channel a benchmark needs and measures what it sees.
//!
//! It speaks the protocol for real: link + RSA ticket on each connection, MAIN_INIT →
//! ATTACH_CHANNELS → CHANNELS_LIST, DISPLAY_INIT first on display, ACK_SYNC/ACK flow control,
//! PONG for every PING, motion-ack pacing on inputs. It advertises what remote-viewer (spice-gtk
//! 0.42) advertises, so the server sends it what it would send a real viewer. It never decodes
//! images; it timestamps and counts every message in both directions into an [`EventLog`].
//!
//! # Layout
//! - [`clock`]: the run's epoch and microsecond timestamps.
//! - [`connector`]: where the session's TCP connections are made (a caller's seam).
//! - [`events`]: what the client records (traffic, display updates, inputs, notes).
//! - [`writer`]: a writer shared by the async readers and the input thread.
//! - [`link`]: the link stage on one connection.
//! - [`tls`]: SPICE over TLS (rustls), shared by a channel's reader and writers.
//! - [`state`]: what the readers learn and the session waits for (`watch`).
//! - [`channel`]: the per-connection reader loop over the sans-IO
//!   [`ChannelDuties`](crate::wire::duties::ChannelDuties).
//! - [`session`]: connecting a whole session and waiting until it is ready.
//! - [`inject`]: the paced input thread.

pub mod caps;
pub mod channel;
pub mod connector;
pub mod events;
pub mod inject;
pub mod link;
pub mod session;
pub mod state;
pub mod tls;
pub mod writer;

// The run's clock lives below the client (the X side uses it too); kept here for users of
// `spicebench::client::Clock`.
pub use crate::clock::Clock;
pub use connector::Connector;
pub use events::{EventLog, InputRecord, TrafficRecord, UpdateRecord};
pub use inject::{InjectReport, PointerStep, ScheduledStep};
pub use session::{MousePreference, ScriptRunner, Session, SessionConfig};
pub use state::SessionState;
pub use tls::{TlsSettings, TlsTrust};

use crate::wire::link::LinkError;
use crate::wire::WireError;

/// What can go wrong talking to a SPICE server, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// TCP connect failed.
    #[error("could not connect to {addr}: {source}; is a SPICE server listening there?")]
    Connect {
        /// Address tried.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The server answered the link with an error code.
    #[error("the server refused the {channel} channel link with {}: {}", .error.name(), .error.advice())]
    LinkRefused {
        /// Channel name.
        channel: String,
        /// Link error.
        error: LinkError,
    },
    /// The server needs SASL, which this client does not speak.
    #[error("the server requires SASL authentication, which spicebench does not support; configure ticket (password) auth")]
    SaslOnly,
    /// The connection closed when it should not have.
    #[error("the server closed the {channel} connection {stage}")]
    Closed {
        /// Channel name.
        channel: String,
        /// What we were doing.
        stage: String,
    },
    /// The server closed the connection at once, before any byte of a link reply: what a
    /// TLS-only port does to a plain link.
    #[error(
        "the server closed the {channel} connection before its link reply, without a word: a \
         TLS-only SPICE port does this to a plain link (use spice+tls://host:port, or \
         tls_port = N, with ca_file), and so does a server that refuses this client; check the \
         URI and the server's log"
    )]
    ClosedAtLink {
        /// Channel name.
        channel: String,
    },
    /// The server answered the link with something that is not SPICE.
    #[error("the server answered with {answer:?} instead of a SPICE link reply: this is not a SPICE port (a VNC server says \"RFB ...\"); point the target at the SPICE port")]
    NotSpice {
        /// The first bytes it sent, control characters as dots.
        answer: String,
    },
    /// The server sent bytes that are not SPICE.
    #[error("protocol error on the {channel} channel: {source}")]
    Protocol {
        /// Channel name.
        channel: String,
        /// Parse error.
        source: WireError,
    },
    /// Something did not happen in time.
    #[error("timed out after {seconds:.1} s waiting for {what}")]
    Timeout {
        /// What we waited for.
        what: String,
        /// How long.
        seconds: f64,
    },
    /// TLS could not be set up or the handshake failed.
    #[error("TLS: {detail}")]
    Tls {
        /// What went wrong, with what to do.
        detail: String,
    },
    /// Other I/O errors.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}
