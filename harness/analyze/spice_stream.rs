//! A passive SPICE observer for one TCP connection (`spice-protocol.md` §9): reads the link
//! stage of both directions, then walks message headers, counting every message and taking
//! apart the display messages that carry images. It is fed in-order byte chunks with the time
//! each chunk arrived and never copies a body it does not need.

use std::collections::BTreeMap;

use super::resync::BoundarySearch;
use crate::display_ledger::DisplayLedger;
use crate::probe::probe_stamp;
use crate::wire::display::{self, DisplayUpdate};
use crate::wire::header::MAX_BODY;
use crate::wire::inputs::InputMessage;
use crate::wire::link::{self, common_cap, LinkError, LinkHeader, LinkMess, LinkReply};
use crate::wire::names::Direction;
use crate::wire::{inputs, main_channel, ChannelType, DataHeader, HeaderKind};

/// What the observer learned and counted; read it after feeding.
#[derive(Debug, Default, Clone)]
pub struct SpiceObservations {
    /// From the client's link message.
    pub link: Option<LinkMess>,
    /// Server's refusal, if the link failed.
    pub link_error: Option<String>,
    /// MAIN_INIT session id (main channel only).
    pub session_id: Option<u32>,
    /// Per (direction, message type): (count, header + body bytes).
    pub messages: BTreeMap<(Direction, u16), (u64, u64)>,
    /// Per image type code: (count, payload bytes).
    pub images: BTreeMap<u8, (u64, u64)>,
    /// Why the walk stopped trusting the stream, if it did.
    pub desync: Option<String>,
    /// Why the rest of the stream is opaque (SASL), if it is.
    pub opaque: Option<String>,
    /// Every time a capture hole cost the walk its place, and where it found it again.
    pub resyncs: Vec<Resync>,
    /// Messages whose header was seen but part of whose body fell in a capture hole: counted,
    /// their contents (images) not read.
    pub damaged_bodies: u64,
    /// Display ack window from SET_ACK.
    pub ack_window: Option<u32>,
    /// For a connection captured from its middle (no link message): the channel its message
    /// types say it is.
    pub guessed_channel: Option<ChannelType>,
    /// A display channel's per-head and stream accounting ([`super::heads`]).
    pub display: Option<DisplayLedger>,
}

impl SpiceObservations {
    /// Counts one message whose header was seen (its header and body bytes).
    fn count_message(&mut self, dir: Direction, kind: HeaderKind, header: &DataHeader) {
        let e = self.messages.entry((dir, header.msg_type)).or_default();
        e.0 += 1;
        e.1 += kind.header_len() as u64 + u64::from(header.size);
    }

    /// Counts a display update whose body could not be read (a capture hole took part of it).
    fn unread_update(&mut self, kind: HeaderKind, header: &DataHeader) {
        if display::is_update(header.msg_type) {
            let bytes = kind.header_len() as u64 + u64::from(header.size);
            self.ledger().on_update(None, bytes);
        }
    }

    fn ledger(&mut self) -> &mut DisplayLedger {
        self.display.get_or_insert_with(DisplayLedger::default)
    }
}

/// A capture hole that swallowed a message boundary, and how the walk recovered. Offsets count
/// the bytes of one direction's stream, holes included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resync {
    /// Direction of the stream.
    pub dir: Direction,
    /// Where the hole began.
    pub lost_at: u64,
    /// Bytes missing from the capture there.
    pub gap: u64,
    /// Where the next message boundary was found; `None` while still searching (or when the
    /// stream ended first).
    pub regained_at: Option<u64>,
    /// Captured bytes between the hole and that boundary, not parsed.
    pub skipped: u64,
}

/// A message that matters for latency, with its completion time (ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notable {
    /// An inputs-channel message from the client; `message` when its body parsed.
    Input {
        /// Completion time.
        at: u64,
        /// What it said.
        message: Option<InputMessage>,
    },
    /// A display update (draw, copy-bits, stream frame) from the server.
    DisplayUpdate {
        /// Completion time.
        at: u64,
        /// The probe stamp colour, when it paints the probe square ([`crate::probe`]).
        probe: Option<u32>,
    },
    /// Display MARK: the initial screen is complete.
    Mark(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    LinkHeader,
    LinkBody(u32),
    /// Client: waiting for the server's link reply to know what auth bytes follow.
    AwaitServerReply,
    AuthMechanism,
    Ticket,
    LinkResult,
    Messages,
    /// After a hole: searching the bytes that follow for the next message boundary.
    Resync,
    Stopped,
}

/// The bytes held while searching for a boundary, with the moment each chunk arrived.
#[derive(Debug, Default)]
struct ResyncBuffer {
    /// Stream offset of `data[0]`.
    start: u64,
    data: Vec<u8>,
    /// (offset in `data`, arrival) of each chunk.
    chunks: Vec<(usize, Moment)>,
    search: BoundarySearch,
}

impl ResyncBuffer {
    fn starting_at(start: u64) -> Self {
        ResyncBuffer {
            start,
            ..ResyncBuffer::default()
        }
    }

    fn push(&mut self, data: &[u8], at: Moment) {
        self.chunks.push((self.data.len(), at));
        self.data.extend_from_slice(data);
    }

    /// Gives up the first `n` bytes; the chunk they cut keeps its arrival.
    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.data.len());
        self.data.drain(..n);
        self.start += n as u64;
        self.search.drop_front(n);
        let first_kept = self
            .chunks
            .partition_point(|&(o, _)| o <= n)
            .saturating_sub(1);
        self.chunks.drain(..first_kept);
        for c in &mut self.chunks {
            c.0 = c.0.saturating_sub(n);
        }
    }

    /// The held chunks from offset `k` on, each with its own arrival.
    fn replay_from(self, k: usize) -> Vec<(Vec<u8>, Moment)> {
        let ends = self
            .chunks
            .iter()
            .skip(1)
            .map(|&(o, _)| o)
            .chain([self.data.len()]);
        self.chunks
            .iter()
            .zip(ends)
            .filter(|&(_, end)| end > k)
            .map(|(&(start, at), end)| (self.data[start.max(k)..end].to_vec(), at))
            .collect()
    }
}

/// The most bytes held while searching; beyond it the front is given up as skipped.
const MAX_RESYNC_BUFFER: usize = 48 << 20;

#[derive(Debug)]
struct Side {
    stage: Stage,
    acc: Vec<u8>,
    /// Bytes still to skip of the current ticket or message body.
    skip: u64,
    /// The message whose body is being read, when it is kept.
    current: Option<DataHeader>,
    /// Bytes held while waiting for the other side (client after its link message).
    held: Vec<u8>,
    /// Stream offset of the next byte (holes included).
    offset: u64,
    /// Part of the current message's body fell in a hole: do not read it.
    damaged: bool,
    /// The search for a boundary, in [`Stage::Resync`].
    resync: ResyncBuffer,
    /// Chunks to walk again from a boundary just found.
    replay: Vec<(Vec<u8>, Moment)>,
}

impl Default for Side {
    fn default() -> Self {
        Self {
            stage: Stage::LinkHeader,
            acc: Vec::new(),
            skip: 0,
            current: None,
            held: Vec::new(),
            offset: 0,
            damaged: false,
            resync: ResyncBuffer::default(),
            replay: Vec::new(),
        }
    }
}

/// The observer for one connection.
#[derive(Debug)]
pub struct SpiceStream {
    up: Side,
    down: Side,
    server_reply: Option<LinkReply>,
    header: Option<HeaderKind>,
    /// Everything counted so far.
    pub obs: SpiceObservations,
    /// Whether messages completing now are counted (outside an analysis window they are
    /// parsed, to keep the walk in step, but not counted).
    pub counting: bool,
}

/// When a chunk arrived, and whether what completes in it is counted.
#[derive(Debug, Clone, Copy)]
struct Moment {
    ts_ns: u64,
    counting: bool,
}

/// Whether an inputs-channel message type is a user input (not KEY_MODIFIERS bookkeeping).
fn is_input(msg_type: u16) -> bool {
    use inputs::client::*;
    matches!(
        msg_type,
        KEY_DOWN
            | KEY_UP
            | KEY_SCANCODE
            | MOUSE_MOTION
            | MOUSE_POSITION
            | MOUSE_PRESS
            | MOUSE_RELEASE
    )
}

/// Client bytes that may arrive before the server's reply is seen; beyond this the capture is
/// inconsistent and the walk stops.
const MAX_HELD: usize = 64 * 1024;

fn desync(obs: &mut SpiceObservations, side: &mut Side, why: String) {
    if obs.desync.is_none() {
        obs.desync = Some(why);
    }
    side.stage = Stage::Stopped;
}

impl Default for SpiceStream {
    fn default() -> Self {
        Self {
            up: Side::default(),
            down: Side::default(),
            server_reply: None,
            header: None,
            obs: SpiceObservations::default(),
            counting: true,
        }
    }
}

impl SpiceStream {
    /// The observer of a connection captured from its middle, whose server → client bytes
    /// look like `channel`'s messages with `kind` headers: both directions look for their
    /// first message boundary, and are walked from there.
    pub fn mid_stream(channel: ChannelType, kind: HeaderKind) -> Self {
        let mut s = SpiceStream {
            header: Some(kind),
            ..SpiceStream::default()
        };
        s.obs.guessed_channel = Some(channel);
        for (dir, side) in [(Direction::Up, &mut s.up), (Direction::Down, &mut s.down)] {
            side.stage = Stage::Resync;
            // Joining the stream is a search like the one after a hole, of no missing bytes.
            s.obs.resyncs.push(Resync {
                dir,
                lost_at: 0,
                gap: 0,
                regained_at: None,
                skipped: 0,
            });
        }
        s
    }

    /// The channel type the walk reads messages as: the link message's, or the guess.
    fn channel_type(obs: &SpiceObservations) -> Option<ChannelType> {
        obs.link
            .as_ref()
            .map(|l| l.channel_type)
            .or(obs.guessed_channel)
    }

    /// The channel this connection carries, once its link message was seen.
    pub fn channel(&self) -> Option<(ChannelType, u8)> {
        self.obs
            .link
            .as_ref()
            .map(|l| (l.channel_type, l.channel_id))
    }

    /// Feeds in-order bytes of one direction that completed at `ts_ns`.
    pub fn feed(
        &mut self,
        dir: Direction,
        ts_ns: u64,
        data: &[u8],
        notable: &mut dyn FnMut(Notable),
    ) {
        let at = Moment {
            ts_ns,
            counting: self.counting,
        };
        self.feed_at(dir, at, data, notable);
    }

    fn feed_at(
        &mut self,
        dir: Direction,
        at: Moment,
        mut data: &[u8],
        notable: &mut dyn FnMut(Notable),
    ) {
        while !data.is_empty() {
            // The search keeps `offset` itself: it may move it back to a boundary it found.
            let resyncing = self.side(dir).stage == Stage::Resync;
            let used = self.step(dir, at, data, notable);
            if !resyncing {
                self.side(dir).offset += used as u64;
            }
            self.walk_replay(dir, notable);
            if used == 0 {
                return;
            }
            data = &data[used..];
        }
    }

    /// Walks the bytes from a boundary the search just found, with their own arrival times.
    fn walk_replay(&mut self, dir: Direction, notable: &mut dyn FnMut(Notable)) {
        let replay = std::mem::take(&mut self.side(dir).replay);
        for (bytes, moment) in replay {
            self.feed_at(dir, moment, &bytes, notable);
        }
    }

    /// The end of the capture: a search still open takes a boundary whose headers lead
    /// exactly to the last byte (a stream that ended soon after its hole).
    pub fn end(&mut self, notable: &mut dyn FnMut(Notable)) {
        let (Some(kind), Some(channel)) = (self.header, Self::channel_type(&self.obs)) else {
            return;
        };
        for dir in [Direction::Up, Direction::Down] {
            let side = match dir {
                Direction::Up => &mut self.up,
                Direction::Down => &mut self.down,
            };
            if side.stage != Stage::Resync {
                continue;
            }
            let buf = &side.resync;
            if let Some(k) = buf.search.at_end(&buf.data, kind, channel, dir) {
                Self::regain(&mut self.obs, side, dir, k);
                self.walk_replay(dir, notable);
            }
        }
    }

    fn side(&mut self, dir: Direction) -> &mut Side {
        match dir {
            Direction::Up => &mut self.up,
            Direction::Down => &mut self.down,
        }
    }

    /// The stream lost `bytes` (a capture hole). Inside a message body whose header was seen,
    /// the walk stays in step: the body is skipped, the message counted, its contents not read.
    /// A hole that swallows a header sends the walk looking for the next boundary
    /// ([`super::resync`]); in the link stage it stops the walk.
    pub fn gap(&mut self, dir: Direction, bytes: u64) {
        let counting = self.counting;
        let kind = self.header;
        let (obs, side) = match dir {
            Direction::Up => (&mut self.obs, &mut self.up),
            Direction::Down => (&mut self.obs, &mut self.down),
        };
        let lost_at = side.offset;
        side.offset += bytes;
        match side.stage {
            Stage::Stopped => {}
            Stage::Messages if side.current.is_some() && bytes < side.skip => {
                side.skip -= bytes;
                if !side.damaged {
                    side.damaged = true;
                    obs.damaged_bodies += 1;
                }
            }
            Stage::Messages => {
                if let (Some(header), Some(kind)) = (side.current.take(), kind) {
                    // Its header and size were seen: it was on the wire in full.
                    if counting {
                        obs.count_message(dir, kind, &header);
                        if dir == Direction::Down
                            && Self::channel_type(obs) == Some(ChannelType::DISPLAY)
                        {
                            obs.unread_update(kind, &header);
                        }
                    }
                    if !side.damaged {
                        obs.damaged_bodies += 1;
                    }
                }
                side.acc.clear();
                side.skip = 0;
                side.damaged = false;
                side.stage = Stage::Resync;
                side.resync = ResyncBuffer::starting_at(side.offset);
                obs.resyncs.push(Resync {
                    dir,
                    lost_at,
                    gap: bytes,
                    regained_at: None,
                    skipped: 0,
                });
            }
            Stage::Resync => {
                // Held bytes cannot chain across a new hole: they are skipped.
                let held =
                    std::mem::replace(&mut side.resync, ResyncBuffer::starting_at(side.offset));
                if let Some(r) = obs.resyncs.iter_mut().rev().find(|r| r.dir == dir) {
                    r.skipped += held.data.len() as u64;
                    r.gap += bytes;
                }
            }
            _ => desync(
                obs,
                side,
                format!(
                    "{bytes} bytes missing from the capture ({}) before the link stage ended",
                    dir.as_str()
                ),
            ),
        }
    }

    /// Takes up to `need` bytes into the side's accumulator; true when it holds `need`.
    fn fill(side: &mut Side, need: usize, data: &[u8], used: &mut usize) -> bool {
        let take = (need - side.acc.len()).min(data.len());
        side.acc.extend_from_slice(&data[..take]);
        *used = take;
        side.acc.len() == need
    }

    /// Consumes a prefix of `data`; returns how many bytes (0 means: stop feeding).
    fn step(
        &mut self,
        dir: Direction,
        at: Moment,
        data: &[u8],
        notable: &mut dyn FnMut(Notable),
    ) -> usize {
        let ts_ns = at.ts_ns;
        let obs = &mut self.obs;
        let side = match dir {
            Direction::Up => &mut self.up,
            Direction::Down => &mut self.down,
        };
        let mut used = 0;
        match side.stage {
            Stage::Stopped => data.len(),
            Stage::LinkHeader => {
                if Self::fill(side, link::HEADER_LEN, data, &mut used) {
                    match LinkHeader::parse(&side.acc) {
                        Ok(h) => {
                            side.acc.clear();
                            side.stage = Stage::LinkBody(h.size);
                        }
                        Err(e) => desync(obs, side, format!("link header: {e}")),
                    }
                }
                used
            }
            Stage::LinkBody(size) => {
                if !Self::fill(side, size as usize, data, &mut used) {
                    return used;
                }
                let body = std::mem::take(&mut side.acc);
                match dir {
                    Direction::Up => match LinkMess::parse(&body) {
                        Ok(m) => {
                            obs.link = Some(m);
                            side.stage = Stage::AwaitServerReply;
                        }
                        Err(e) => desync(obs, side, format!("client link message: {e}")),
                    },
                    Direction::Down => match LinkReply::parse(&body) {
                        Ok(r) => {
                            if let Some(err) = LinkError::from_code(r.error) {
                                obs.link_error = Some(err.name());
                                side.stage = Stage::Stopped;
                            } else {
                                side.stage = Stage::LinkResult;
                            }
                            self.server_reply = Some(r);
                            self.resume_client(ts_ns, notable);
                        }
                        Err(e) => desync(obs, side, format!("server link reply: {e}")),
                    },
                }
                used
            }
            Stage::AwaitServerReply => {
                if side.held.len() + data.len() > MAX_HELD {
                    desync(
                        obs,
                        side,
                        "client sent more than 64 KiB before the server's link reply".into(),
                    );
                    return data.len();
                }
                side.held.extend_from_slice(data);
                data.len()
            }
            Stage::AuthMechanism => {
                if Self::fill(side, 4, data, &mut used) {
                    let mech =
                        u32::from_le_bytes([side.acc[0], side.acc[1], side.acc[2], side.acc[3]]);
                    side.acc.clear();
                    if mech == link::auth_mechanism::SASL {
                        obs.opaque = Some("SASL authentication; the rest is not parsed".into());
                        side.stage = Stage::Stopped;
                        self.down.stage = Stage::Stopped;
                    } else {
                        side.stage = Stage::Ticket;
                        side.skip = link::TICKET_LEN as u64;
                    }
                }
                used
            }
            Stage::Ticket => {
                let take = (side.skip as usize).min(data.len());
                side.skip -= take as u64;
                if side.skip == 0 {
                    side.stage = Stage::Messages;
                }
                take
            }
            Stage::LinkResult => {
                if Self::fill(side, 4, data, &mut used) {
                    let code =
                        u32::from_le_bytes([side.acc[0], side.acc[1], side.acc[2], side.acc[3]]);
                    side.acc.clear();
                    match LinkError::from_code(code) {
                        Some(err) => {
                            obs.link_error = Some(err.name());
                            side.stage = Stage::Stopped;
                        }
                        None => side.stage = Stage::Messages,
                    }
                }
                used
            }
            Stage::Messages => {
                let Some(kind) = self.header else {
                    desync(obs, side, "message before both link messages".into());
                    return data.len();
                };
                let channel = Self::channel_type(obs).unwrap_or(ChannelType(0));
                Self::message_step(obs, side, kind, channel, dir, at, data, notable)
            }
            Stage::Resync => {
                let (Some(kind), Some(channel)) = (self.header, Self::channel_type(obs)) else {
                    desync(obs, side, "capture hole before the link stage ended".into());
                    return data.len();
                };
                Self::resync_step(obs, side, kind, channel, dir, at, data);
                data.len()
            }
        }
    }

    /// Holds `data` and searches the held bytes for a boundary; once found, the walk resumes
    /// there (the chunks from the boundary on are replayed with their own arrival times).
    fn resync_step(
        obs: &mut SpiceObservations,
        side: &mut Side,
        kind: HeaderKind,
        channel: ChannelType,
        dir: Direction,
        at: Moment,
        data: &[u8],
    ) {
        let buf = &mut side.resync;
        buf.push(data, at);
        if let Some(k) = buf.search.advance(&buf.data, kind, channel, dir) {
            Self::regain(obs, side, dir, k);
            return;
        }
        if buf.data.len() > MAX_RESYNC_BUFFER {
            // Too long without a boundary: give up the front as skipped.
            let drop = buf.data.len() - MAX_RESYNC_BUFFER / 2;
            buf.drop_front(drop);
            if let Some(r) = obs.resyncs.iter_mut().rev().find(|r| r.dir == dir) {
                r.skipped += drop as u64;
            }
        }
        side.offset = buf.start + buf.data.len() as u64;
    }

    /// The boundary is at offset `k` of the held bytes: back to walking messages from there.
    fn regain(obs: &mut SpiceObservations, side: &mut Side, dir: Direction, k: usize) {
        let buf = std::mem::take(&mut side.resync);
        let boundary = buf.start + k as u64;
        if let Some(r) = obs.resyncs.iter_mut().rev().find(|r| r.dir == dir) {
            r.skipped += k as u64;
            r.regained_at = Some(boundary);
        }
        side.stage = Stage::Messages;
        side.current = None;
        side.acc.clear();
        side.skip = 0;
        side.offset = boundary;
        side.replay = buf.replay_from(k);
    }

    /// Once the server's reply is known, decide the client's auth bytes and replay what the
    /// client sent meanwhile.
    fn resume_client(&mut self, ts_ns: u64, notable: &mut dyn FnMut(Notable)) {
        let (Some(reply), Some(mess)) = (&self.server_reply, &self.obs.link) else {
            return;
        };
        self.header = Some(HeaderKind::negotiate(
            mess.common_caps.has(common_cap::MINI_HEADER),
            reply.common_caps.has(common_cap::MINI_HEADER),
        ));
        if self.up.stage != Stage::AwaitServerReply {
            return;
        }
        if reply.error != 0 {
            self.up.stage = Stage::Stopped;
            return;
        }
        let selection = mess.common_caps.has(common_cap::PROTOCOL_AUTH_SELECTION)
            && reply.common_caps.has(common_cap::PROTOCOL_AUTH_SELECTION);
        if selection {
            self.up.stage = Stage::AuthMechanism;
        } else {
            self.up.stage = Stage::Ticket;
            self.up.skip = link::TICKET_LEN as u64;
        }
        let held = std::mem::take(&mut self.up.held);
        self.feed(Direction::Up, ts_ns, &held, notable);
    }

    /// Whether a message's body is needed (images, session id, ack window), not just counted.
    fn keep_body(channel: ChannelType, dir: Direction, msg_type: u16) -> bool {
        match (channel, dir) {
            (ChannelType::DISPLAY, Direction::Down) => {
                DisplayLedger::concerns(msg_type)
                    || msg_type == crate::wire::common::server::SET_ACK
            }
            (ChannelType::MAIN, Direction::Down) => msg_type == main_channel::server::INIT,
            // Inputs are small; their positions say which probe stamp to expect.
            (ChannelType::INPUTS, Direction::Up) => is_input(msg_type),
            _ => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn message_step(
        obs: &mut SpiceObservations,
        side: &mut Side,
        kind: HeaderKind,
        channel: ChannelType,
        dir: Direction,
        at: Moment,
        data: &[u8],
        notable: &mut dyn FnMut(Notable),
    ) -> usize {
        let mut used = 0;
        let Some(header) = side.current else {
            // Reading a header.
            if !Self::fill(side, kind.header_len(), data, &mut used) {
                return used;
            }
            let header = match DataHeader::parse(kind, &side.acc) {
                Ok(h) => h,
                Err(e) => {
                    desync(obs, side, format!("message header: {e}"));
                    return data.len();
                }
            };
            side.acc.clear();
            if header.size > MAX_BODY {
                desync(
                    obs,
                    side,
                    format!(
                        "{} message {} claims {} bytes: the header walk is out of step",
                        dir.as_str(),
                        header.msg_type,
                        header.size
                    ),
                );
                return data.len();
            }
            side.current = Some(header);
            side.skip = u64::from(header.size);
            if header.size == 0 {
                Self::complete(obs, side, kind, channel, dir, at, notable);
            }
            return used;
        };
        // Reading a body: keep it or skip it.
        let take = (side.skip as usize).min(data.len());
        if Self::keep_body(channel, dir, header.msg_type) {
            side.acc.extend_from_slice(&data[..take]);
        }
        side.skip -= take as u64;
        if side.skip == 0 {
            Self::complete(obs, side, kind, channel, dir, at, notable);
        }
        take
    }

    fn complete(
        obs: &mut SpiceObservations,
        side: &mut Side,
        kind: HeaderKind,
        channel: ChannelType,
        dir: Direction,
        at: Moment,
        notable: &mut dyn FnMut(Notable),
    ) {
        let Some(header) = side.current.take() else {
            return;
        };
        let body = std::mem::take(&mut side.acc);
        let t = header.msg_type;
        let ts_ns = at.ts_ns;
        // Outside the analysis window the walk only keeps its place in the stream.
        let mut ignore = |_: Notable| {};
        let notable: &mut dyn FnMut(Notable) = if at.counting { notable } else { &mut ignore };
        if at.counting {
            obs.count_message(dir, kind, &header);
        }
        if std::mem::take(&mut side.damaged) {
            // Part of the body is missing: its arrival still counts, its contents cannot.
            match (channel, dir) {
                (ChannelType::DISPLAY, Direction::Down) if display::is_update(t) => {
                    if at.counting {
                        obs.unread_update(kind, &header);
                    }
                    notable(Notable::DisplayUpdate {
                        at: ts_ns,
                        probe: None,
                    })
                }
                (ChannelType::INPUTS, Direction::Up) if is_input(t) => notable(Notable::Input {
                    at: ts_ns,
                    message: None,
                }),
                _ => {}
            }
            return;
        }
        match (channel, dir) {
            (ChannelType::DISPLAY, Direction::Down) => {
                if t == crate::wire::common::server::SET_ACK {
                    obs.ack_window = crate::wire::common::SetAck::parse(&body)
                        .ok()
                        .map(|s| s.window);
                } else if t == display::server::MARK {
                    notable(Notable::Mark(ts_ns));
                } else if display::is_update(t) {
                    notable(Notable::DisplayUpdate {
                        at: ts_ns,
                        probe: probe_stamp(t, &body),
                    });
                    if at.counting {
                        let update = display::parse_update(t, &body).ok().flatten();
                        if let Some(DisplayUpdate::Draw { images, .. }) = &update {
                            for img in images {
                                let e = obs.images.entry(img.code).or_default();
                                e.0 += 1;
                                e.1 += img.payload_bytes;
                            }
                        }
                        let bytes = kind.header_len() as u64 + u64::from(header.size);
                        obs.ledger().on_update(update.as_ref(), bytes);
                    }
                } else {
                    obs.ledger().on_layout(t, &body, at.counting);
                }
            }
            (ChannelType::MAIN, Direction::Down) if t == main_channel::server::INIT => {
                obs.session_id = main_channel::MainInit::parse(&body)
                    .ok()
                    .map(|i| i.session_id);
            }
            (ChannelType::INPUTS, Direction::Up) if is_input(t) => {
                notable(Notable::Input {
                    at: ts_ns,
                    message: InputMessage::parse(t, &body).ok().flatten(),
                });
            }
            _ => {}
        }
        // Keep the allocation for the next kept body, unless a full-screen image made it large:
        // a connection must not hold megabytes for its whole life.
        if body.capacity() <= 256 * 1024 {
            side.acc = body;
            side.acc.clear();
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn stream(path: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/data/streams/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap_or_default()
    }

    /// Feeds a recorded conversation (client and server streams, alternating in the order they
    /// were captured is not needed: the observer holds client bytes until the reply is seen).
    fn observe(client: &[u8], server: &[u8], chunk: usize) -> (SpiceStream, Vec<Notable>) {
        let mut s = SpiceStream::default();
        let mut notes = Vec::new();
        let mut ts = 0;
        // Client link message first, then everything else interleaved in chunks.
        let (c0, c1) = client.split_at(client.len().min(16 + 26));
        s.feed(Direction::Up, ts, c0, &mut |n| notes.push(n));
        let (mut ci, mut si) = (0, 0);
        while ci < c1.len() || si < server.len() {
            ts += 1;
            let se = (si + chunk).min(server.len());
            s.feed(Direction::Down, ts, &server[si..se], &mut |n| notes.push(n));
            si = se;
            let ce = (ci + chunk).min(c1.len());
            s.feed(Direction::Up, ts, &c1[ci..ce], &mut |n| notes.push(n));
            ci = ce;
        }
        (s, notes)
    }

    /// The real display stream's messages as (start, end, type), offsets in the stream.
    fn framed(server: &[u8]) -> Vec<(usize, usize, u16)> {
        const LINK: usize = 16 + 186 + 4;
        let mut out = Vec::new();
        let mut at = LINK;
        while at + 6 <= server.len() {
            let h = DataHeader::parse(HeaderKind::Mini, &server[at..at + 6]).unwrap();
            let end = at + 6 + h.size as usize;
            out.push((at, end, h.msg_type));
            at = end;
        }
        assert_eq!(at, server.len());
        out
    }

    /// Feeds the display conversation with `hole` (a range of the server stream) missing.
    fn observe_with_hole(hole: std::ops::Range<usize>) -> SpiceStream {
        let (c, sv) = (stream("display.c2s"), stream("display.s2c"));
        let mut s = SpiceStream::default();
        let mut ignore = |_: Notable| {};
        s.feed(Direction::Up, 0, &c, &mut ignore);
        for chunk in sv[..hole.start].chunks(1460) {
            s.feed(Direction::Down, 1, chunk, &mut ignore);
        }
        s.gap(Direction::Down, hole.len() as u64);
        for chunk in sv[hole.end..].chunks(1460) {
            s.feed(Direction::Down, 2, chunk, &mut ignore);
        }
        s
    }

    fn down_counts(s: &SpiceStream) -> BTreeMap<u16, u64> {
        s.obs
            .messages
            .iter()
            .filter(|((d, _), _)| *d == Direction::Down)
            .map(|((_, t), (n, _))| (*t, *n))
            .collect()
    }

    #[test]
    fn a_hole_inside_a_body_keeps_the_walk_in_step() {
        let sv = stream("display.s2c");
        let messages = framed(&sv);
        // The largest message (the first full screen) loses 1000 bytes from its middle.
        let &(start, end, _) = messages.iter().max_by_key(|(s, e, _)| e - s).unwrap();
        let mid = (start + end) / 2;
        let s = observe_with_hole(mid..mid + 1000);
        let mut all = BTreeMap::new();
        for &(_, _, t) in &messages {
            *all.entry(t).or_insert(0u64) += 1;
        }
        assert_eq!(down_counts(&s), all);
        assert!(s.obs.resyncs.is_empty());
        assert_eq!(s.obs.damaged_bodies, 1);
        assert_eq!(s.obs.desync, None);
    }

    #[test]
    fn after_a_hole_that_swallows_headers_every_later_message_is_counted() {
        let sv = stream("display.s2c");
        let messages = framed(&sv);
        for (from, to) in [(3, 4), (5, 40), (10, messages.len() - 10)] {
            // From the middle of message `from` to the middle of message `to`.
            let mid = |(s, e, _): (usize, usize, u16)| (s + e) / 2;
            let hole = mid(messages[from])..mid(messages[to]).max(mid(messages[from]) + 7);
            let s = observe_with_hole(hole.clone());
            // Independent of the walker: the framing of the clean stream says which messages
            // a walker that regains step at the first boundary after the hole must count.
            let mut want = BTreeMap::new();
            for &(start, _, t) in &messages {
                if start + 6 <= hole.start || start >= hole.end {
                    *want.entry(t).or_insert(0u64) += 1;
                }
            }
            assert_eq!(down_counts(&s), want, "hole {hole:?}");
            let r = s.obs.resyncs.first().copied().unwrap();
            let boundary = messages.iter().find(|m| m.0 >= hole.end).unwrap().0;
            assert_eq!(r.regained_at, Some(boundary as u64), "hole {hole:?}");
            assert_eq!(r.lost_at, hole.start as u64);
            assert_eq!(r.gap, hole.len() as u64);
            assert_eq!(r.skipped, (boundary - hole.end) as u64);
            assert_eq!(s.obs.desync, None);
        }
    }

    #[test]
    fn walks_the_real_display_stream_to_the_last_byte() {
        let (c, sv) = (stream("display.c2s"), stream("display.s2c"));
        assert!(!c.is_empty() && !sv.is_empty(), "test streams missing");
        for chunk in [1, 7, 1460, 65536] {
            let (s, notes) = observe(&c, &sv, chunk);
            assert_eq!(s.obs.desync, None, "chunk {chunk}");
            assert_eq!(s.channel(), Some((ChannelType::DISPLAY, 0)));
            assert_eq!(s.obs.ack_window, Some(20));
            // Every byte after the link stage is in some message (header walk ends exactly).
            let down: u64 = s
                .obs
                .messages
                .iter()
                .filter(|((d, _), _)| *d == Direction::Down)
                .map(|(_, (_, b))| b)
                .sum();
            assert_eq!(down, sv.len() as u64 - 16 - 186 - 4, "chunk {chunk}");
            let up: u64 = s
                .obs
                .messages
                .iter()
                .filter(|((d, _), _)| *d == Direction::Up)
                .map(|(_, (_, b))| b)
                .sum();
            assert_eq!(up, c.len() as u64 - 16 - 26 - 4 - 128);
            assert!(s.obs.images.contains_key(&display::image_type::GLZ_RGB));
            assert!(s.obs.images.contains_key(&display::image_type::LZ_RGB));
            assert!(notes
                .iter()
                .any(|n| matches!(n, Notable::DisplayUpdate { .. })));
        }
    }

    #[test]
    fn main_stream_gives_session_id_and_inputs_are_notable() {
        let (s, _) = observe(&stream("main.c2s"), &stream("main.s2c"), 999);
        assert_eq!(s.obs.desync, None);
        assert_eq!(s.obs.session_id, Some(0xada3_2461));
        let (i, notes) = observe(&stream("inputs.c2s"), &stream("inputs.s2c"), 999);
        assert_eq!(i.channel(), Some((ChannelType::INPUTS, 0)));
        assert_eq!(
            i.obs.link.as_ref().map(|l| l.connection_id),
            Some(0xada3_2461)
        );
        // remote-viewer sent only KEY_MODIFIERS on inputs in this capture: not an input event.
        assert!(notes.is_empty());
    }

    #[test]
    fn garbage_after_the_link_stage_is_a_desync_not_a_panic() {
        let mut c = stream("cursor.c2s");
        let sv = stream("cursor.s2c");
        c.extend([0xff; 64]);
        let (s, _) = observe(&c, &sv, 13);
        assert!(s.obs.desync.is_some());
    }

    #[test]
    fn refused_link_is_recorded() {
        let c = stream("main.c2s");
        let mut reply = LinkReply {
            error: 7,
            pub_key: vec![],
            common_caps: link::Caps::default(),
            channel_caps: link::Caps::default(),
        }
        .emit();
        reply.truncate(16 + 178);
        let (s, _) = observe(&c[..42], &reply, 50);
        assert_eq!(s.obs.link_error.as_deref(), Some("PERMISSION_DENIED"));
    }
}
