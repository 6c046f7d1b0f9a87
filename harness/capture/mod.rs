//! Packet sources (placeholder interface until the capture module lands).

use std::net::SocketAddr;

/// Link-layer type of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// BSD loopback.
    Null,
    /// Ethernet.
    Ethernet,
    /// Raw IP.
    RawIp,
    /// OpenBSD loopback.
    Loop,
    /// Linux cooked v1.
    LinuxSll,
    /// Linux cooked v2.
    LinuxSll2,
    /// Anything else.
    Other(u32),
}

/// One captured frame.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// ns since the Unix epoch.
    pub ts_ns: u64,
    /// Original length.
    pub wire_len: u32,
    /// Captured bytes.
    pub data: &'a [u8],
    /// Link type.
    pub link: LinkType,
    /// Interface index.
    pub interface: u32,
}

/// A decoded TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct TcpSegment<'a> {
    /// Source.
    pub src: SocketAddr,
    /// Destination.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Ack number.
    pub ack: u32,
    /// SYN.
    pub syn: bool,
    /// ACK flag.
    pub ack_flag: bool,
    /// FIN.
    pub fin: bool,
    /// RST.
    pub rst: bool,
    /// Captured payload.
    pub payload: &'a [u8],
    /// Payload length per the IP header.
    pub payload_len: u32,
}

/// Decodes a TCP segment.
pub fn decode_tcp(_link: LinkType, _data: &[u8]) -> Option<TcpSegment<'_>> {
    None
}

/// Counters of a packet source.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceStats {
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
    /// Kernel drops.
    pub kernel_dropped: Option<u64>,
    /// Interface drops.
    pub interface_dropped: Option<u64>,
}

/// Capture errors.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// Truncated.
    #[error("{path}: truncated at byte {offset}")]
    Truncated {
        /// File.
        path: std::path::PathBuf,
        /// Offset.
        offset: u64,
    },
    /// Other.
    #[error("{0}")]
    Other(String),
}

/// A packet source.
pub trait PacketSource {
    /// Next packet.
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError>;
    /// Stats.
    fn stats(&self) -> SourceStats;
}

/// Opens a capture file.
pub fn open_file(_path: &std::path::Path) -> Result<Box<dyn PacketSource>, CaptureError> {
    Err(CaptureError::Other("stub".into()))
}
