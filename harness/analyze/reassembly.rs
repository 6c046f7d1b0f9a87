//! In-order TCP byte streams from captured segments, one direction at a time.
//!
//! Enough reassembly to read SPICE link messages and walk message headers: segments are
//! delivered in sequence order; retransmitted bytes are dropped; segments that arrive ahead of a
//! hole wait (up to [`MAX_HELD`] bytes). When the hole does not fill — the capture missed the
//! bytes — the stream jumps over it and reports a gap, so the caller can stop trusting its
//! position in the byte stream instead of reading garbage.

use std::collections::BTreeMap;

/// Bytes held ahead of a hole before the hole is declared a gap.
pub const MAX_HELD: usize = 4 << 20;

/// What [`Direction::push`] hands to the consumer, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery<'a> {
    /// The next bytes of the stream.
    Data(&'a [u8]),
    /// `n` bytes of the stream were never captured.
    Gap(u64),
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Direction {
    next_seq: Option<u32>,
    held: BTreeMap<u64, Vec<u8>>,
    held_bytes: usize,
    /// Whether the stream's first byte was seen (SYN or first payload after the SYN).
    pub from_start: bool,
    /// Bytes delivered in order.
    pub delivered: u64,
    /// Bytes lost to gaps.
    pub gap_bytes: u64,
    /// Bytes seen again (retransmissions, overlaps).
    pub duplicate_bytes: u64,
}

/// Sequence-number distance from `a` to `b` (wrapping), as a signed value.
fn seq_diff(b: u32, a: u32) -> i64 {
    i64::from(b.wrapping_sub(a) as i32)
}

impl Direction {
    /// Records a SYN: the stream starts at `seq + 1`.
    pub fn syn(&mut self, seq: u32) {
        self.next_seq = Some(seq.wrapping_add(1));
        self.from_start = true;
        self.held.clear();
        self.held_bytes = 0;
    }

    /// Feeds one segment's payload; calls `sink` with what is now in order.
    pub fn push(&mut self, seq: u32, payload: &[u8], sink: &mut dyn FnMut(Delivery<'_>)) {
        if payload.is_empty() {
            return;
        }
        let next = match self.next_seq {
            Some(n) => n,
            None => {
                // Mid-stream start: take this segment as the beginning.
                self.next_seq = Some(seq);
                seq
            }
        };
        let d = seq_diff(seq, next);
        if d < 0 {
            let overlap = (-d) as u64;
            if overlap >= payload.len() as u64 {
                self.duplicate_bytes += payload.len() as u64;
                return;
            }
            self.duplicate_bytes += overlap;
            self.deliver(&payload[overlap as usize..], sink);
        } else if d == 0 {
            self.deliver(payload, sink);
        } else {
            let key = d as u64;
            match self.held.get_mut(&key) {
                // A second copy of a segment already waiting: keep the longer one.
                Some(waiting) if waiting.len() >= payload.len() => {
                    self.duplicate_bytes += payload.len() as u64;
                }
                Some(waiting) => {
                    self.duplicate_bytes += waiting.len() as u64;
                    self.held_bytes += payload.len() - waiting.len();
                    *waiting = payload.to_vec();
                }
                None => {
                    self.held_bytes += payload.len();
                    self.held.insert(key, payload.to_vec());
                }
            }
            if self.held_bytes > MAX_HELD {
                self.skip_to_held(sink);
            }
            return;
        }
        self.drain(sink);
    }

    fn deliver(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Delivery<'_>)) {
        sink(Delivery::Data(bytes));
        self.delivered += bytes.len() as u64;
        self.next_seq = self.next_seq.map(|n| n.wrapping_add(bytes.len() as u32));
        // Held keys are offsets from the old next_seq; rebase them.
        if !self.held.is_empty() {
            let shift = bytes.len() as u64;
            let old = std::mem::take(&mut self.held);
            for (k, v) in old {
                if k >= shift {
                    self.held.insert(k - shift, v);
                } else if k + v.len() as u64 > shift {
                    let cut = (shift - k) as usize;
                    self.duplicate_bytes += cut as u64;
                    self.held.insert(0, v[cut..].to_vec());
                } else {
                    self.duplicate_bytes += v.len() as u64;
                }
            }
            self.held_bytes = self.held.values().map(Vec::len).sum();
        }
    }

    fn drain(&mut self, sink: &mut dyn FnMut(Delivery<'_>)) {
        while let Some(v) = self.held.remove(&0) {
            self.held_bytes -= v.len();
            self.deliver(&v, sink);
        }
    }

    /// Gives up on the hole in front of the held data: report it and continue after it.
    fn skip_to_held(&mut self, sink: &mut dyn FnMut(Delivery<'_>)) {
        let Some((&first, _)) = self.held.iter().next() else {
            return;
        };
        sink(Delivery::Gap(first));
        self.gap_bytes += first;
        self.next_seq = self.next_seq.map(|n| n.wrapping_add(first as u32));
        let old = std::mem::take(&mut self.held);
        self.held = old.into_iter().map(|(k, v)| (k - first, v)).collect();
        self.drain(sink);
    }

    /// At the end of the capture: report any hole that never filled and deliver what is held.
    pub fn flush(&mut self, sink: &mut dyn FnMut(Delivery<'_>)) {
        while !self.held.is_empty() {
            self.skip_to_held(sink);
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn collect(dir: &mut Direction, segs: &[(u32, &[u8])]) -> (Vec<u8>, u64) {
        let mut out = Vec::new();
        let mut gaps = 0;
        for (seq, p) in segs {
            dir.push(*seq, p, &mut |d| match d {
                Delivery::Data(b) => out.extend_from_slice(b),
                Delivery::Gap(n) => gaps += n,
            });
        }
        dir.flush(&mut |d| match d {
            Delivery::Data(b) => out.extend_from_slice(b),
            Delivery::Gap(n) => gaps += n,
        });
        (out, gaps)
    }

    #[test]
    fn in_order_out_of_order_and_retransmitted() {
        let mut d = Direction::default();
        d.syn(99);
        let (out, gaps) = collect(
            &mut d,
            &[
                (100, b"abc"),
                (106, b"ghi"),
                (103, b"def"),
                (103, b"def"),
                (104, b"efgh"),
            ],
        );
        assert_eq!(out, b"abcdefghi");
        assert_eq!(gaps, 0);
        assert_eq!(d.duplicate_bytes, 7);
        assert_eq!(d.delivered, 9);
        assert!(d.from_start);
    }

    #[test]
    fn a_retransmitted_segment_waiting_behind_a_hole_counts_once() {
        let mut d = Direction::default();
        d.syn(99);
        let (out, gaps) = collect(
            &mut d,
            &[(103, b"de"), (103, b"def"), (103, b"de"), (100, b"abc")],
        );
        assert_eq!(out, b"abcdef");
        assert_eq!(gaps, 0);
        // Every byte pushed is either delivered once or counted as a repeat.
        assert_eq!((d.delivered, d.duplicate_bytes), (6, 4));
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut d = Direction::default();
        d.syn(u32::MAX - 1);
        let (out, _) = collect(&mut d, &[(u32::MAX, b"ab"), (1, b"cd")]);
        assert_eq!(out, b"abcd");
    }

    #[test]
    fn a_hole_that_never_fills_is_a_gap() {
        let mut d = Direction::default();
        d.syn(0);
        let (out, gaps) = collect(&mut d, &[(1, b"ab"), (10, b"xyz")]);
        assert_eq!(out, b"abxyz");
        assert_eq!(gaps, 7);
        assert_eq!(d.gap_bytes, 7);
    }

    #[test]
    fn mid_stream_start_is_not_from_start() {
        let mut d = Direction::default();
        let (out, _) = collect(&mut d, &[(5000, b"hello")]);
        assert_eq!(out, b"hello");
        assert!(!d.from_start);
    }
}
