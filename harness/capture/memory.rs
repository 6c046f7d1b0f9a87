//! Frames held in memory as a [`PacketSource`], so analysis code can be tested without files.

use super::{CaptureError, LinkType, Packet, PacketSource, SourceStats};

/// In-memory frames `(ts_ns, link type, bytes)`, delivered in order on interface 0 with
/// `wire_len` equal to the byte count.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    frames: Vec<(u64, LinkType, Vec<u8>)>,
    next: usize,
    stats: SourceStats,
}

impl MemorySource {
    /// A source that yields `frames` in the given order.
    pub fn new(frames: Vec<(u64, LinkType, Vec<u8>)>) -> Self {
        Self {
            frames,
            next: 0,
            stats: SourceStats::default(),
        }
    }

    /// Frames not yet delivered.
    pub fn remaining(&self) -> usize {
        self.frames.len().saturating_sub(self.next)
    }
}

impl PacketSource for MemorySource {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let Some((ts_ns, link, data)) = self.frames.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        self.stats.packets += 1;
        self.stats.bytes += data.len() as u64;
        Ok(Some(Packet {
            ts_ns: *ts_ns,
            wire_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
            data,
            link: *link,
            interface: 0,
        }))
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields_frames_in_order_and_counts_them() {
        let mut src = MemorySource::new(vec![
            (5, LinkType::RawIp, vec![0x45; 40]),
            (7, LinkType::Ethernet, vec![]),
        ]);
        assert_eq!(src.remaining(), 2);
        let p = src.next_packet().unwrap().unwrap();
        assert_eq!(
            (p.ts_ns, p.wire_len, p.data.len(), p.link),
            (5, 40, 40, LinkType::RawIp)
        );
        let p = src.next_packet().unwrap().unwrap();
        assert_eq!((p.ts_ns, p.wire_len, p.interface), (7, 0, 0));
        assert!(src.next_packet().unwrap().is_none());
        assert!(src.next_packet().unwrap().is_none());
        assert_eq!(
            src.stats(),
            SourceStats {
                packets: 2,
                bytes: 40,
                kernel_dropped: None,
                interface_dropped: None
            }
        );
    }
}
