//! In-order TCP byte streams from captured segments, one direction at a time.
//!
//! Enough reassembly to read SPICE link messages and walk message headers: segments are
//! delivered in sequence order; retransmitted bytes are dropped (and counted); segments that
//! arrive ahead of a hole wait. A hole is declared lost from the capture — the stream jumps
//! over it and reports a gap, so the caller can find its place again instead of reading
//! garbage — as soon as the receiver acknowledges bytes past it (it got them; the capture did
//! not), or when more than [`MAX_HELD`] bytes wait behind it, or at the end of the capture.
//!
//! Positions are 64-bit offsets from the stream's first byte, so held segments keep their key
//! while the stream moves on and sequence numbers may wrap.

use std::collections::BTreeMap;

/// Bytes held ahead of a hole before the hole is declared a gap (for captures that miss the
/// receiver's acknowledgements too).
pub const MAX_HELD: usize = 4 << 20;

/// What [`Direction::push`] hands to the consumer, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery<'a> {
    /// The next bytes of the stream, complete at `ts_ns` (for bytes that waited behind a hole
    /// the capture lost, their own arrival: the receiver had the hole's bytes before).
    Data { bytes: &'a [u8], ts_ns: u64 },
    /// `n` bytes of the stream were never captured.
    Gap(u64),
}

/// One direction of a TCP connection.
#[derive(Debug, Default)]
pub struct Direction {
    /// Sequence number of the byte at offset `next`, once known.
    next_seq: Option<u32>,
    /// Offset of the next byte to deliver.
    next: u64,
    /// Segments ahead of a hole: offset → (bytes, arrival).
    held: BTreeMap<u64, (Vec<u8>, u64)>,
    held_bytes: usize,
    /// The furthest offset the receiver acknowledged.
    acked: u64,
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
        *self = Direction {
            next_seq: Some(seq.wrapping_add(1)),
            from_start: true,
            ..Direction::default()
        };
    }

    /// The stream offset of sequence number `seq`, relative to the next byte expected.
    fn offset_of(&self, seq: u32, next_seq: u32) -> Option<u64> {
        self.next.checked_add_signed(seq_diff(seq, next_seq))
    }

    /// Feeds one segment's payload, captured at `ts_ns`; calls `sink` with what is now in
    /// order.
    pub fn push(
        &mut self,
        seq: u32,
        payload: &[u8],
        ts_ns: u64,
        sink: &mut dyn FnMut(Delivery<'_>),
    ) {
        if payload.is_empty() {
            return;
        }
        // Mid-stream start: take this segment as the beginning.
        let next_seq = *self.next_seq.get_or_insert(seq);
        let Some(off) = self.offset_of(seq, next_seq) else {
            // Before the first byte of the stream: nothing to deliver.
            self.duplicate_bytes += payload.len() as u64;
            return;
        };
        let end = off + payload.len() as u64;
        if end <= self.next {
            self.duplicate_bytes += payload.len() as u64;
            return;
        }
        if off <= self.next {
            let overlap = (self.next - off) as usize;
            self.duplicate_bytes += overlap as u64;
            self.deliver(&payload[overlap..], ts_ns, sink);
            self.drain(ts_ns, sink);
            return;
        }
        self.hold(off, payload, ts_ns);
        if self.acked > self.next {
            self.skip_acknowledged(sink);
        } else if self.held_bytes > MAX_HELD {
            self.skip_to_held(sink);
        }
    }

    /// The receiver acknowledged sequence number `ack` (the other direction's ACK field):
    /// a hole below it was received and only the capture lost it.
    pub fn ack(&mut self, ack: u32, sink: &mut dyn FnMut(Delivery<'_>)) {
        let Some(next_seq) = self.next_seq else {
            return;
        };
        let Some(acked) = self.offset_of(ack, next_seq) else {
            return;
        };
        // Old or wrapped-around values must not move the mark back.
        self.acked = self.acked.max(acked);
        // Only with something waiting: a hole in the capture's order, not just an
        // acknowledgement captured before the data it covers.
        if self.acked > self.next && !self.held.is_empty() {
            self.skip_acknowledged(sink);
        }
    }

    /// Declares the acknowledged part of the hole in front of the held data lost; the rest
    /// of the hole may still come (reordered, or retransmitted).
    fn skip_acknowledged(&mut self, sink: &mut dyn FnMut(Delivery<'_>)) {
        let Some(&first) = self.held.keys().next() else {
            return;
        };
        let to = first.min(self.acked);
        self.jump(to, sink);
    }

    /// Reports the bytes up to offset `to` lost and delivers what waited from there on.
    fn jump(&mut self, to: u64, sink: &mut dyn FnMut(Delivery<'_>)) {
        let gap = to - self.next;
        sink(Delivery::Gap(gap));
        self.gap_bytes += gap;
        self.next = to;
        self.next_seq = self.next_seq.map(|n| n.wrapping_add(gap as u32));
        self.drain_at(None, sink);
    }

    fn hold(&mut self, off: u64, payload: &[u8], ts_ns: u64) {
        match self.held.get_mut(&off) {
            // A second copy of a segment already waiting: keep the longer one.
            Some((waiting, _)) if waiting.len() >= payload.len() => {
                self.duplicate_bytes += payload.len() as u64;
            }
            Some((waiting, at)) => {
                self.duplicate_bytes += waiting.len() as u64;
                self.held_bytes += payload.len() - waiting.len();
                *waiting = payload.to_vec();
                *at = ts_ns;
            }
            None => {
                self.held_bytes += payload.len();
                self.held.insert(off, (payload.to_vec(), ts_ns));
            }
        }
    }

    fn deliver(&mut self, bytes: &[u8], ts_ns: u64, sink: &mut dyn FnMut(Delivery<'_>)) {
        sink(Delivery::Data { bytes, ts_ns });
        self.delivered += bytes.len() as u64;
        self.next += bytes.len() as u64;
        self.next_seq = self.next_seq.map(|n| n.wrapping_add(bytes.len() as u32));
    }

    /// Delivers the held segments the stream has reached, as complete at `ts_ns` (`None`: at
    /// their own arrival).
    fn drain_at(&mut self, ts_ns: Option<u64>, sink: &mut dyn FnMut(Delivery<'_>)) {
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() > self.next {
                break;
            }
            let (off, (bytes, arrived)) = entry.remove_entry();
            self.held_bytes -= bytes.len();
            let overlap = (self.next - off).min(bytes.len() as u64) as usize;
            self.duplicate_bytes += overlap as u64;
            if overlap < bytes.len() {
                self.deliver(&bytes[overlap..], ts_ns.unwrap_or(arrived), sink);
            }
        }
    }

    fn drain(&mut self, ts_ns: u64, sink: &mut dyn FnMut(Delivery<'_>)) {
        if !self.held.is_empty() {
            self.drain_at(Some(ts_ns), sink);
        }
    }

    /// Gives up on the hole in front of the held data: report it and continue after it.
    fn skip_to_held(&mut self, sink: &mut dyn FnMut(Delivery<'_>)) {
        if let Some(&first) = self.held.keys().next() {
            self.jump(first, sink);
        }
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
            dir.push(*seq, p, 0, &mut |d| match d {
                Delivery::Data { bytes, .. } => out.extend_from_slice(bytes),
                Delivery::Gap(n) => gaps += n,
            });
        }
        dir.flush(&mut |d| match d {
            Delivery::Data { bytes, .. } => out.extend_from_slice(bytes),
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
    fn an_acknowledgement_past_a_hole_declares_it_lost_at_once() {
        let mut d = Direction::default();
        d.syn(0);
        let got = std::cell::RefCell::new(Vec::new());
        let mut sink = |x: Delivery<'_>| {
            got.borrow_mut().push(match x {
                Delivery::Data { bytes, ts_ns } => format!("{}@{ts_ns}", bytes.len()),
                Delivery::Gap(n) => format!("gap {n}"),
            })
        };
        d.push(1, b"ab", 10, &mut sink);
        // Bytes 3..10 are never captured; 10.. waits behind them.
        d.push(10, b"xyz", 20, &mut sink);
        d.push(13, b"uv", 30, &mut sink);
        // An acknowledgement that does not reach past the hole proves nothing.
        d.ack(3, &mut sink);
        assert_eq!(*got.borrow(), ["2@10"]);
        // The receiver acknowledges byte 12: it had the hole's bytes; the held segments are
        // delivered as complete at their own arrival.
        d.ack(12, &mut sink);
        assert_eq!(*got.borrow(), ["2@10", "gap 7", "3@20", "2@30"]);
        // Later segments behind a new hole past the acknowledged mark wait again.
        d.push(20, b"q", 40, &mut sink);
        assert_eq!(got.borrow().len(), 4);
        // A segment behind a hole the receiver has already acknowledged is not held at all.
        d.ack(25, &mut sink);
        assert_eq!(got.borrow()[4..], ["gap 5", "1@40"]);
        // Past the acknowledged mark the hole may still fill: only its acknowledged part is
        // declared lost at once.
        d.push(30, b"r", 50, &mut sink);
        assert_eq!(got.borrow()[6..], ["gap 4"]);
        d.flush(&mut sink);
        assert_eq!(got.borrow()[7..], ["gap 5", "1@50"]);
        assert_eq!(d.gap_bytes, 21);
    }

    #[test]
    fn a_filled_hole_delivers_what_waited_when_it_fills() {
        let mut d = Direction::default();
        d.syn(0);
        let got = std::cell::RefCell::new(Vec::new());
        let mut sink = |x: Delivery<'_>| {
            if let Delivery::Data { bytes, ts_ns } = x {
                got.borrow_mut().push((bytes.to_vec(), ts_ns));
            }
        };
        d.push(4, b"def", 10, &mut sink);
        d.push(1, b"abc", 20, &mut sink);
        assert_eq!(
            *got.borrow(),
            [(b"abc".to_vec(), 20), (b"def".to_vec(), 20)]
        );
    }

    #[test]
    fn mid_stream_start_is_not_from_start() {
        let mut d = Direction::default();
        let (out, _) = collect(&mut d, &[(5000, b"hello")]);
        assert_eq!(out, b"hello");
        assert!(!d.from_start);
    }
}
