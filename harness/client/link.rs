//! The link stage on one connection (`spice-protocol.md` §1, §11), driven over tokio.
//!
//! All byte layouts come from [`crate::wire::link`]; this module only moves them.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::{caps, ClientError};
use crate::wire::link::{
    self, auth_mechanism, common_cap, Caps, LinkError, LinkHeader, LinkMess, LinkReply,
};
use crate::wire::ticket::encrypt_ticket;
use crate::wire::{ChannelType, HeaderKind};

/// What the link stage established.
#[derive(Debug, Clone)]
pub struct Linked {
    /// Header format for the rest of the connection.
    pub header: HeaderKind,
    /// The server's channel capabilities.
    pub server_channel_caps: Caps,
    /// Link-stage bytes received.
    pub bytes_down: u64,
    /// Link-stage bytes sent.
    pub bytes_up: u64,
}

/// The first half of the link stage: our link message sent and the server's reply read.
#[derive(Debug, Clone)]
pub struct LinkStart {
    /// The server's reply (its capabilities, its RSA key for the ticket).
    pub reply: LinkReply,
    /// Link-stage bytes received so far.
    pub bytes_down: u64,
    /// Link-stage bytes sent so far.
    pub bytes_up: u64,
}

/// Links `stream` (a TCP connection, or TLS over one) as channel `(channel_type, channel_id)`
/// of session `connection_id`.
pub async fn link<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    connection_id: u32,
    channel_type: ChannelType,
    channel_id: u8,
    password: &str,
) -> Result<Linked, ClientError> {
    let start = send_link(stream, connection_id, channel_type, channel_id).await?;
    authenticate(stream, channel_type, start, password).await
}

/// How an I/O error at `context` on the `name` channel reads.
fn io_error(name: &str, context: &str, e: std::io::Error) -> ClientError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof
        || e.kind() == std::io::ErrorKind::ConnectionReset
    {
        ClientError::Closed {
            channel: name.to_string(),
            stage: context.to_string(),
        }
    } else {
        ClientError::Io {
            context: format!("{name} channel: {context}"),
            source: e,
        }
    }
}

/// Sends our link message and reads the server's reply. A refusal in the reply is an error;
/// the reply itself is returned for [`authenticate`] (and for an audit to look at).
pub async fn send_link<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    connection_id: u32,
    channel_type: ChannelType,
    channel_id: u8,
) -> Result<LinkStart, ClientError> {
    let name = channel_type.name();
    let io = |context: &str, e| io_error(&name, context, e);
    let proto = |e| ClientError::Protocol {
        channel: name.clone(),
        source: e,
    };
    let mess = LinkMess {
        connection_id,
        channel_type,
        channel_id,
        common_caps: caps::common(),
        channel_caps: caps::channel(channel_type),
    };
    let out = mess.emit();
    stream
        .write_all(&out)
        .await
        .map_err(|e| io("sending the link message", e))?;

    let mut head = [0u8; link::HEADER_LEN];
    // The magic first: a server of another protocol may send fewer bytes than a link header
    // and then wait, and it should be told apart at once, not after a timeout.
    stream
        .read_exact(&mut head[..4])
        .await
        // Closed (or reset) before a single byte came back: say what usually does that.
        .map_err(|e| match io("before its link reply", e) {
            ClientError::Closed { channel, .. } => ClientError::ClosedAtLink { channel },
            other => other,
        })?;
    if head[..4] != link::MAGIC {
        let mut more = [0u8; 12];
        let extra = tokio::time::timeout(
            std::time::Duration::from_millis(200),
            stream.read(&mut more),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
        let answer: Vec<u8> = head[..4].iter().chain(&more[..extra]).copied().collect();
        return Err(ClientError::NotSpice {
            answer: String::from_utf8_lossy(&answer)
                .chars()
                .map(|c| if c.is_control() { '.' } else { c })
                .collect(),
        });
    }
    stream
        .read_exact(&mut head[4..])
        .await
        .map_err(|e| io("before its link reply", e))?;
    let header = LinkHeader::parse(&head).map_err(proto)?;
    let mut body = vec![0u8; header.size as usize];
    stream
        .read_exact(&mut body)
        .await
        .map_err(|e| io("in the middle of its link reply", e))?;
    let reply = LinkReply::parse(&body).map_err(proto)?;
    if let Some(error) = LinkError::from_code(reply.error) {
        return Err(ClientError::LinkRefused {
            channel: name,
            error,
        });
    }
    Ok(LinkStart {
        reply,
        bytes_down: (link::HEADER_LEN + body.len()) as u64,
        bytes_up: out.len() as u64,
    })
}

/// The second half: the auth mechanism and the RSA-wrapped ticket sent, the link result read.
pub async fn authenticate<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    channel_type: ChannelType,
    start: LinkStart,
    password: &str,
) -> Result<Linked, ClientError> {
    let name = channel_type.name();
    let io = |context: &str, e| io_error(&name, context, e);
    let proto = |e| ClientError::Protocol {
        channel: name.clone(),
        source: e,
    };
    let LinkStart {
        reply,
        bytes_down: mut down,
        bytes_up: mut up,
    } = start;
    let server = &reply.common_caps;
    if server.has(common_cap::PROTOCOL_AUTH_SELECTION) {
        if !server.has(common_cap::AUTH_SPICE) && server.has(common_cap::AUTH_SASL) {
            return Err(ClientError::SaslOnly);
        }
        stream
            .write_all(&auth_mechanism::SPICE.to_le_bytes())
            .await
            .map_err(|e| io("sending the auth mechanism", e))?;
        up += 4;
    }
    let ticket =
        encrypt_ticket(&reply.pub_key, password, &mut rand::thread_rng()).map_err(proto)?;
    stream
        .write_all(&ticket)
        .await
        .map_err(|e| io("sending the ticket", e))?;
    up += ticket.len() as u64;

    let mut result = [0u8; 4];
    stream
        .read_exact(&mut result)
        .await
        .map_err(|e| io("before the link result", e))?;
    down += 4;
    if let Some(error) = link::parse_link_result(&result).map_err(proto)? {
        return Err(ClientError::LinkRefused {
            channel: name,
            error,
        });
    }
    Ok(Linked {
        header: HeaderKind::negotiate(true, server.has(common_cap::MINI_HEADER)),
        server_channel_caps: reply.channel_caps,
        bytes_down: down,
        bytes_up: up,
    })
}
