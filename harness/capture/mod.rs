//! Packet capture: read pcap and pcapng files, take live captures with libpcap, write pcapng,
//! and decode TCP segments from captured frames.
//!
//! - [`open_file`] / [`from_reader`]: a streaming [`PacketSource`] over a pcap or pcapng file
//!   (both byte orders, µs and ns pcap, multi-section pcapng). One reused buffer, no
//!   allocation per packet; no input makes it panic.
//! - [`decode_tcp`]: a TCP segment (addresses, seq/ack, flags, payload) from one frame of any
//!   supported [`LinkType`], IPv4 or IPv6.
//! - [`PcapngWriter`]: writes nanosecond pcapng that tshark and [`open_file`] read.
//! - [`LiveCapture`]: libpcap capture on an interface, streamed to a pcapng file by a thread
//!   and stopped with [`CaptureHandle::stop`], which reports kernel drops.
//! - [`MemorySource`]: frames held in memory, for tests.

pub mod decode;
pub mod error;
pub mod file;
pub mod live;
pub mod memory;
pub mod writer;

pub use decode::{decode_tcp, TcpSegment};
pub use error::CaptureError;
pub use file::{from_reader, open_file, MAX_BLOCK_LEN};
pub use live::{CaptureHandle, LiveCapture, DEFAULT_BUFFER_BYTES, DEFAULT_SNAPLEN};
pub use memory::MemorySource;
pub use writer::{InterfaceStatistics, PcapngWriter};

/// Link-layer type of a capture (pcap `LINKTYPE_*` numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// `LINKTYPE_NULL` (0): BSD loopback, a 4-byte address family in the capturing host's
    /// byte order, then the IP packet.
    Null,
    /// `LINKTYPE_ETHERNET` (1): Ethernet II, possibly with 802.1Q/802.1ad VLAN tags.
    Ethernet,
    /// `LINKTYPE_RAW` (101), also `LINKTYPE_IPV4` (228) and `LINKTYPE_IPV6` (229): the IP
    /// packet alone.
    RawIp,
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, a 4-byte big-endian address family.
    Loop,
    /// `LINKTYPE_LINUX_SLL` (113): Linux cooked capture v1 (16-byte header), as on `any`.
    LinuxSll,
    /// `LINKTYPE_LINUX_SLL2` (276): Linux cooked capture v2 (20-byte header).
    LinuxSll2,
    /// Any other link type; [`decode_tcp`] returns `None` for its frames.
    Other(u32),
}

impl LinkType {
    /// The link type for a pcap `LINKTYPE_*` number (as stored in pcap and pcapng files).
    pub fn from_linktype(linktype: u32) -> Self {
        match linktype {
            0 => Self::Null,
            1 => Self::Ethernet,
            101 | 228 | 229 => Self::RawIp,
            108 => Self::Loop,
            113 => Self::LinuxSll,
            276 => Self::LinuxSll2,
            n => Self::Other(n),
        }
    }

    /// The pcap `LINKTYPE_*` number to store in a file (`RawIp` is written as 101, which
    /// covers IPv4 and IPv6).
    pub fn linktype(&self) -> u32 {
        match self {
            Self::Null => 0,
            Self::Ethernet => 1,
            Self::RawIp => 101,
            Self::Loop => 108,
            Self::LinuxSll => 113,
            Self::LinuxSll2 => 276,
            Self::Other(n) => *n,
        }
    }
}

/// One captured frame, borrowed from the source until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Length of the frame on the wire (`data` may be shorter when the snaplen cut it).
    pub wire_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Link-layer type of `data`.
    pub link: LinkType,
    /// Interface index: 0 for pcap; for pcapng, the index among all interfaces declared so
    /// far in the file (equal to the section-local index for single-section files).
    pub interface: u32,
}

/// Anything that yields captured frames one at a time: files, memory, live captures.
///
/// `Send` so that a boxed source can be handed to an analysis thread.
pub trait PacketSource: Send {
    /// The next frame, `Ok(None)` at the end. After an error the source is finished:
    /// later calls return `Ok(None)`.
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError>;

    /// What was read so far, and the drop counters the capture recorded, if any.
    fn stats(&self) -> SourceStats;
}

/// Counters of a [`PacketSource`] or a finished live capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceStats {
    /// Frames delivered.
    pub packets: u64,
    /// Captured bytes delivered (sum of `Packet::data` lengths).
    pub bytes: u64,
    /// Frames the kernel dropped for lack of buffer space (libpcap `ps_drop`; in a pcapng
    /// file, the interface statistics' `isb_ifdrop`, summed over interfaces), if known.
    pub kernel_dropped: Option<u64>,
    /// Frames the interface or its driver dropped (libpcap `ps_ifdrop`), if known: live
    /// captures only, since pcapng has no standard place for it.
    pub interface_dropped: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linktype_numbers_round_trip() {
        for (n, lt) in [
            (0, LinkType::Null),
            (1, LinkType::Ethernet),
            (101, LinkType::RawIp),
            (108, LinkType::Loop),
            (113, LinkType::LinuxSll),
            (276, LinkType::LinuxSll2),
            (147, LinkType::Other(147)),
        ] {
            assert_eq!(LinkType::from_linktype(n), lt);
            assert_eq!(lt.linktype(), n);
        }
        assert_eq!(LinkType::from_linktype(228), LinkType::RawIp);
        assert_eq!(LinkType::from_linktype(229), LinkType::RawIp);
        assert_eq!(LinkType::from_linktype(u32::MAX), LinkType::Other(u32::MAX));
    }

    #[test]
    fn boxed_sources_can_move_to_threads() {
        fn assert_send<T: Send>() {}
        assert_send::<Box<dyn PacketSource>>();
    }
}
