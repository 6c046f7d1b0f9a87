//! Finding the next message boundary after a capture hole in a SPICE stream.
//!
//! A hole that swallows a message header leaves the walk with no idea where the next message
//! starts. The bytes after the hole are searched for an offset at which [`CHAIN`] message
//! headers follow one another exactly: each of a type known for the channel and direction,
//! with a plausible size, the next one starting where the previous body ends. A mini header
//! of random bytes passes the type and size checks with a probability of about 5·10⁻⁶, so a
//! chain of three is, for practical purposes, a real boundary; a full header must also count
//! its serial up by one.

use crate::wire::names::{message_name, Direction};
use crate::wire::{ChannelType, DataHeader, HeaderKind};

/// Consecutive valid headers that make a boundary.
pub const CHAIN: usize = 3;
/// The largest body a resynchronised header may claim (a 4K screen as an uncompressed
/// bitmap is 33 MB).
pub const MAX_RESYNC_BODY: u32 = 40 << 20;

/// The search for a boundary over bytes that arrive in pieces. Offsets are ruled out once;
/// a candidate whose chain runs past the bytes so far stays pending. The first candidate
/// whose chain completes wins, even when an earlier one is still pending: a random header
/// passes the checks about once in 200,000 offsets and claims a body of up to
/// [`MAX_RESYNC_BODY`], so pending candidates are common, while a random chain of three is
/// not. A real boundary before a large message only completes once its body is in.
#[derive(Debug, Default, Clone)]
pub struct BoundarySearch {
    /// Offsets before this were examined.
    scan: usize,
    /// Candidates examined whose chain ran past the end of the data, in order.
    pending: Vec<usize>,
}

impl BoundarySearch {
    /// Looks for a boundary in `data` (all bytes since the search began; the caller appends).
    pub fn advance(
        &mut self,
        data: &[u8],
        kind: HeaderKind,
        channel: ChannelType,
        dir: Direction,
    ) -> Option<usize> {
        let valid = |h: &DataHeader| valid_header(h, channel, dir);
        let mut still = Vec::with_capacity(self.pending.len());
        for &k in &self.pending {
            match chain_at(data, k, kind, &valid) {
                Chain::Complete => return Some(k),
                Chain::Open(_) => still.push(k),
                Chain::Broken => {}
            }
        }
        self.pending = still;
        let len = kind.header_len();
        while self.scan + len <= data.len() {
            let k = self.scan;
            self.scan += 1;
            match chain_at(data, k, kind, &valid) {
                Chain::Complete => return Some(k),
                Chain::Open(_) => self.pending.push(k),
                Chain::Broken => {}
            }
        }
        None
    }

    /// At the end of the stream: the first pending candidate whose headers (fewer than
    /// [`CHAIN`], for a stream that ends soon after a hole) lead exactly to the last byte.
    pub fn at_end(
        &self,
        data: &[u8],
        kind: HeaderKind,
        channel: ChannelType,
        dir: Direction,
    ) -> Option<usize> {
        let valid = |h: &DataHeader| valid_header(h, channel, dir);
        self.pending
            .iter()
            .copied()
            .find(|&k| chain_at(data, k, kind, &valid) == Chain::Open(data.len()))
    }

    /// Forgets the first `n` bytes (the caller dropped them from its buffer).
    pub fn drop_front(&mut self, n: usize) {
        self.scan = self.scan.saturating_sub(n);
        self.pending.retain(|&k| k >= n);
        for k in &mut self.pending {
            *k -= n;
        }
    }
}

fn valid_header(h: &DataHeader, channel: ChannelType, dir: Direction) -> bool {
    h.size <= MAX_RESYNC_BODY && message_name(channel, dir, h.msg_type).is_some()
}

/// A chain of headers from one offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chain {
    /// [`CHAIN`] valid headers in a row.
    Complete,
    /// The headers so far are valid; the next one would start at this offset, past (or at)
    /// the end of the data.
    Open(usize),
    /// A header that is not valid, or out of sequence.
    Broken,
}

fn chain_at(data: &[u8], k: usize, kind: HeaderKind, valid: &dyn Fn(&DataHeader) -> bool) -> Chain {
    match walk_headers(data, k, kind, CHAIN, valid) {
        Walk { headers, .. } if headers == CHAIN => Chain::Complete,
        Walk {
            next: Some(next), ..
        } => Chain::Open(next),
        Walk { next: None, .. } => Chain::Broken,
    }
}

/// How far valid headers lead from an offset.
struct Walk {
    /// Valid headers one after the other.
    headers: usize,
    /// Where the next header would start, when the walk stopped because the data ended
    /// there (`None`: it stopped at a header that is not valid, or at `max`).
    next: Option<usize>,
}

/// Follows headers from `k`, each starting where the previous body ends, up to `max` of them:
/// each must parse, pass `valid`, and (full headers) count its serial up by one.
fn walk_headers(
    data: &[u8],
    k: usize,
    kind: HeaderKind,
    max: usize,
    valid: &dyn Fn(&DataHeader) -> bool,
) -> Walk {
    let len = kind.header_len();
    let (mut at, mut headers, mut serial) = (k, 0, None::<u64>);
    while headers < max {
        let Some(bytes) = at.checked_add(len).and_then(|end| data.get(at..end)) else {
            return Walk {
                headers,
                next: Some(at),
            };
        };
        let Ok(h) = DataHeader::parse(kind, bytes) else {
            break;
        };
        let in_sequence = match (serial, h.serial) {
            (Some(prev), Some(s)) => s == prev.wrapping_add(1),
            _ => true,
        };
        if !valid(&h) || !in_sequence {
            break;
        }
        headers += 1;
        serial = h.serial;
        at = at.saturating_add(len + h.size as usize);
    }
    Walk {
        headers,
        next: None,
    }
}

/// A guess at what a SPICE connection captured from its middle carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelGuess {
    pub channel: ChannelType,
    pub kind: HeaderKind,
    /// Valid headers in a row from the first boundary found: the evidence.
    pub headers: usize,
}

/// The channels a guess considers, most common first: a tie (a run of messages every channel
/// has, PING and such) goes to the earlier one.
const GUESS_ORDER: [ChannelType; 9] = [
    ChannelType::DISPLAY,
    ChannelType::INPUTS,
    ChannelType::CURSOR,
    ChannelType::MAIN,
    ChannelType::PLAYBACK,
    ChannelType::RECORD,
    ChannelType::USBREDIR,
    ChannelType::PORT,
    ChannelType::WEBDAV,
];

/// Guesses the channel and header kind of the server → client bytes `down` of a connection
/// whose start was not captured: the first offset where [`CHAIN`] headers follow one another
/// that some channel's message types explain, then, among those channels, the one whose
/// valid headers run longest from there. One pass over the bytes, whatever the number of
/// channels: each header's type is looked up once, as the set of channels that have it.
/// `None` when no chain is found.
pub fn guess_channel(down: &[u8]) -> Option<ChannelGuess> {
    for kind in [HeaderKind::Mini, HeaderKind::Full] {
        let len = kind.header_len();
        let mut k = 0;
        while k + len <= down.len() {
            let mask = chain_channels(down, k, kind);
            if mask != 0 {
                return GUESS_ORDER
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, &channel)| ChannelGuess {
                        channel,
                        kind,
                        headers: run_length(down, k, kind, channel, Direction::Down),
                    })
                    // The longest run; on a tie, the earlier channel of GUESS_ORDER.
                    .rev()
                    .max_by_key(|g| g.headers);
            }
            k += 1;
        }
    }
    None
}

/// Which channels of [`GUESS_ORDER`] (as bits) have server message type `t`.
fn down_channels_of(t: u16) -> u16 {
    static TABLE: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..1024u16)
            .map(|t| {
                GUESS_ORDER
                    .iter()
                    .enumerate()
                    .filter(|(_, &c)| message_name(c, Direction::Down, t).is_some())
                    .fold(0u16, |m, (i, _)| m | (1 << i))
            })
            .collect()
    });
    table.get(usize::from(t)).copied().unwrap_or(0)
}

/// The channels for which a complete chain of [`CHAIN`] headers starts at `k` (0: none, or
/// the chain runs past the data).
fn chain_channels(data: &[u8], k: usize, kind: HeaderKind) -> u16 {
    let mask = std::cell::Cell::new(u16::MAX);
    let valid = |h: &DataHeader| {
        mask.set(mask.get() & down_channels_of(h.msg_type));
        h.size <= MAX_RESYNC_BODY && mask.get() != 0
    };
    if walk_headers(data, k, kind, CHAIN, &valid).headers == CHAIN {
        mask.get()
    } else {
        0
    }
}

/// Valid headers one after the other from `k` until one is not valid or the data ends.
fn run_length(
    data: &[u8],
    k: usize,
    kind: HeaderKind,
    channel: ChannelType,
    dir: Direction,
) -> usize {
    walk_headers(data, k, kind, usize::MAX, &|h| {
        valid_header(h, channel, dir)
    })
    .headers
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::display::server;
    use crate::wire::header::emit_message;

    fn stream(messages: &[(u16, usize)]) -> Vec<u8> {
        messages
            .iter()
            .flat_map(|&(t, n)| emit_message(HeaderKind::Mini, 0, t, &vec![0xA5; n]))
            .collect()
    }

    fn search(data: &[u8], kind: HeaderKind) -> Option<usize> {
        BoundarySearch::default().advance(data, kind, ChannelType::DISPLAY, Direction::Down)
    }

    #[test]
    fn the_first_chain_after_garbage_is_the_boundary() {
        let mut data = vec![0x17u8; 1000];
        let real = stream(&[
            (server::DRAW_COPY, 300),
            (server::DRAW_FILL, 40),
            (server::COPY_BITS, 29),
            (server::DRAW_COPY, 10),
        ]);
        data.extend(&real);
        assert_eq!(search(&data, HeaderKind::Mini), Some(1000));
    }

    #[test]
    fn a_chain_cut_by_the_end_of_data_waits_for_more() {
        let mut data = stream(&[(server::DRAW_COPY, 300), (server::DRAW_FILL, 40)]);
        let mut s = BoundarySearch::default();
        let (k, c, d) = (HeaderKind::Mini, ChannelType::DISPLAY, Direction::Down);
        assert_eq!(s.advance(&data, k, c, d), None);
        // At the end of the stream, two headers that lead exactly to the end will do.
        assert_eq!(s.at_end(&data, k, c, d), Some(0));
        // With the third header the chain is complete.
        data.extend(stream(&[(server::MARK, 0)]));
        assert_eq!(s.advance(&data, k, c, d), Some(0));
    }

    #[test]
    fn a_false_candidate_claiming_a_large_body_does_not_hide_the_real_boundary() {
        // A DRAW_COPY header claiming 1 MB, then garbage, then the real messages: the real
        // chain completes long before the false one's body would end.
        let mut data = emit_message(HeaderKind::Mini, 0, server::DRAW_COPY, &[])[..2].to_vec();
        data.extend(1_000_000u32.to_le_bytes());
        data.extend([0x17u8; 500]);
        data.extend(stream(&[
            (server::DRAW_COPY, 300),
            (server::DRAW_FILL, 40),
            (server::COPY_BITS, 29),
        ]));
        assert_eq!(search(&data, HeaderKind::Mini), Some(506));
    }

    #[test]
    fn types_of_another_channel_or_direction_are_no_boundary() {
        // DRAW_COPY (304) means nothing on the inputs channel.
        let data = stream(&[(304, 10), (304, 10), (304, 10)]);
        let mut s = BoundarySearch::default();
        let (k, c, d) = (HeaderKind::Mini, ChannelType::INPUTS, Direction::Up);
        assert_eq!(s.advance(&data, k, c, d), None);
        assert_eq!(s.at_end(&data, k, c, d), None);
    }

    #[test]
    fn full_headers_must_count_their_serials_up() {
        let msg = |serial, t| emit_message(HeaderKind::Full, serial, t, &[0u8; 8]);
        let good: Vec<u8> = [msg(7, 304), msg(8, 302), msg(9, 104)].concat();
        assert_eq!(search(&good, HeaderKind::Full), Some(0));
        let skipped: Vec<u8> = [msg(7, 304), msg(9, 302), msg(10, 104)].concat();
        assert_ne!(search(&skipped, HeaderKind::Full), Some(0));
    }

    #[test]
    fn a_run_of_display_messages_is_guessed_as_display() {
        let mut data = vec![0x5au8; 77];
        data.extend(stream(&[
            (server::DRAW_COPY, 300),
            (server::DRAW_FILL, 40),
            (server::COPY_BITS, 29),
            (server::DRAW_COPY, 10),
        ]));
        let g = guess_channel(&data).unwrap();
        assert_eq!(
            (g.channel, g.kind, g.headers),
            (ChannelType::DISPLAY, HeaderKind::Mini, 4)
        );
        // Random bytes are no channel.
        let noise: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        assert_eq!(guess_channel(&noise), None);
    }

    #[test]
    fn dropping_the_front_keeps_the_search_in_place() {
        let mut data = vec![0x17u8; 100];
        data.extend(stream(&[(server::DRAW_COPY, 300), (server::DRAW_FILL, 40)]));
        let mut s = BoundarySearch::default();
        let (k, c, d) = (HeaderKind::Mini, ChannelType::DISPLAY, Direction::Down);
        assert_eq!(s.advance(&data, k, c, d), None);
        s.drop_front(60);
        let mut rest = data[60..].to_vec();
        rest.extend(stream(&[(server::MARK, 0)]));
        assert_eq!(s.advance(&rest, k, c, d), Some(40));
    }
}
