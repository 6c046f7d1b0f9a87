//! The capture analyser: TCP flows from packets, each flow's transport and SPICE channel, and
//! everything counted per flow, streaming (memory grows with flows and capture duration, not
//! with capture size).
//!
//! One [`Analyzer`] serves live captures, recorded files and in-memory test input alike: it
//! only ever sees [`Packet`]s.

use std::collections::HashMap;
use std::net::SocketAddr;

use super::flow_hash::FlowHash;
use super::reassembly::{self, Delivery};
use super::resync::guess_channel;
use super::spice_stream::{Notable, SpiceStream};
use super::ssh_hold::{HoldTracker, Seen};
use super::transport::Transport;
use crate::capture::{decode_tcp, Packet};
use crate::probe::stamp::decode;
use crate::probe::{PointerModel, Stamp, StampedInput};
use crate::wire::names::Direction;

/// How to analyse.
#[derive(Debug, Clone, Copy)]
pub struct AnalyzeOptions {
    /// Timeline bin width.
    pub bin_ms: u32,
    /// Count only what happens at or after this time (ns since the Unix epoch).
    pub from_ns: Option<u64>,
    /// Count only what happens before this time.
    pub to_ns: Option<u64>,
    /// Start of the timeline (ns since the Unix epoch); default: the start of the bin of
    /// wall time (`bin_ms` since the Unix epoch) that holds the first counted packet. A live
    /// run anchors it at its own epoch, which lies on that grid of bins too, so client and
    /// capture timelines line up and a later analysis of the capture draws the same bins.
    pub t0_ns: Option<u64>,
    /// The interval rates are averaged over when the capture shows no input of its own
    /// (SPICE inside TLS), ns since the Unix epoch. A live run passes its own. A capture that
    /// shows inputs always takes its interval from its own times (`analyze::interval`).
    pub fallback_measured_ns: Option<(u64, u64)>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            bin_ms: super::timeline::BIN_MS,
            from_ns: None,
            to_ns: None,
            t0_ns: None,
            fallback_measured_ns: None,
        }
    }
}

/// Per-direction counters of one flow.
#[derive(Debug, Clone, Copy, Default)]
pub struct DirCounters {
    /// TCP segments.
    pub packets: u64,
    /// Frame bytes on the wire.
    pub wire_bytes: u64,
    /// TCP payload bytes of the stream, each byte once (as the IP header states; a frame's
    /// bytes that repeat stream bytes already captured are in `retransmitted_bytes`).
    pub payload_bytes: u64,
    /// TCP payload bytes of frames that repeated stream bytes already captured
    /// (retransmissions, overlaps): `payload_bytes + retransmitted_bytes` is what the frames'
    /// IP headers state in all.
    pub retransmitted_bytes: u64,
}

/// Timelines cover at most a day: a capture with a bogus far-future timestamp must not make
/// the analyser allocate bins up to it. Bytes beyond are still counted, just not binned.
pub const MAX_TIMELINE_NS: u64 = 86_400 * 1_000_000_000;

/// The most timeline bins of width `bin_ms` (see [`MAX_TIMELINE_NS`]).
pub fn max_timeline_bins(bin_ms: u32) -> usize {
    (MAX_TIMELINE_NS / (u64::from(bin_ms.max(1)) * 1_000_000)) as usize
}

/// A second leg of a channel must start within this long of the first leg's last packet.
const RELAY_WINDOW_NS: u64 = 5_000_000_000;

/// Bytes a flow buffers while its transport is undecided.
const DETECT_LIMIT: usize = 64 * 1024;
/// Bytes a flow captured from its middle buffers while looking for SPICE message boundaries:
/// one large image message may have to pass first.
const MID_STREAM_LIMIT: usize = 4 << 20;
/// Valid headers in a row that make a mid-stream connection SPICE: twice the chain that
/// regains step after a hole, since here nothing else says the connection is SPICE at all.
const GUESS_EVIDENCE: usize = 2 * super::resync::CHAIN;

/// One TCP connection.
#[derive(Debug)]
pub struct Flow {
    /// Client end (the SYN sender, or a guess when the start was not captured).
    pub client: SocketAddr,
    /// Server end.
    pub server: SocketAddr,
    /// First packet time.
    pub first_ns: u64,
    /// Last packet time.
    pub last_ns: u64,
    /// Whether the SYN was captured.
    pub syn_seen: bool,
    /// Up (client → server) and down counters, index by [`dir_index`].
    pub counters: [DirCounters; 2],
    /// Wire bytes per timeline bin with traffic, per direction: (bin index, bytes), in arrival
    /// order (a reordered capture may repeat an index).
    pub bins: [Vec<(u32, u64)>; 2],
    /// What it carries, once decided.
    pub transport: Option<Transport>,
    /// The SPICE observer, for SPICE flows.
    pub spice: Option<SpiceStream>,
    /// Bytes lost to capture gaps.
    pub gap_bytes: u64,
    /// A second plaintext leg of a SPICE connection already seen (the far side of a tunnel
    /// or proxy): listed, but left out of per-channel totals, images and latency.
    pub relay: bool,
    /// Whether the (session, channel) key of this flow was registered.
    keyed: bool,
    handshake: Handshake,
    streams: [reassembly::Direction; 2],
    early: [Vec<(u64, Vec<u8>)>; 2],
    /// Buffered bytes at which a flow captured from its middle is next tried as SPICE.
    next_guess_at: usize,
    closed: bool,
}

/// The first 8 bytes (or fewer) of buffered chunks: enough for [`Transport::detect`].
fn first_bytes(chunks: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (_, chunk) in chunks {
        b.extend_from_slice(chunk);
        if b.len() >= 8 {
            break;
        }
    }
    b.truncate(8);
    b
}

/// What a packet of `flow` tells the [`ssh_hold`](super::ssh_hold) detector: server data
/// arriving on a relay leg (sshd's side of a tunnel), a client packet or sshd's data on an
/// SSH connection. Capture time order is packet order, so this is decided per packet, as
/// the flow is known at that moment.
fn hold_evidence(flow: &Flow, dir: Direction, data: bool, ts: u64) -> Option<Seen> {
    match (flow.transport, dir) {
        (Some(Transport::Ssh), Direction::Up) => Some(Seen::ClientPacket(ts)),
        (Some(Transport::Ssh), Direction::Down) if data => Some(Seen::SshdData(ts)),
        (Some(Transport::Spice), Direction::Down) if data && flow.relay => {
            Some(Seen::ServerData(ts))
        }
        _ => None,
    }
}

/// 0 for up, 1 for down.
pub fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Up => 0,
        Direction::Down => 1,
    }
}

/// What one session's flows show about latency, times in ns: its inputs with the probe
/// stamps they should cause, the probe frames, the other display updates, the display MARK.
#[derive(Debug, Default)]
pub struct SessionEvidence {
    model: PointerModel,
    /// Inputs in capture order.
    pub inputs: Vec<StampedInput>,
    /// Probe frames in capture order.
    pub stamps: Vec<Stamp>,
    /// Other display updates.
    pub updates: Vec<u64>,
    /// When the initial screen was complete.
    pub mark: Option<u64>,
}

/// How far a flow's TCP handshake got, for its round trip.
#[derive(Debug, Clone, Copy, Default)]
struct Handshake {
    syn_ns: Option<u64>,
    syn_ack_seen: bool,
    /// SYN → the client's ACK of the SYN/ACK: one full round trip from any vantage point.
    rtt_ns: Option<u64>,
}

/// The analyser.
#[derive(Debug)]
pub struct Analyzer {
    opts: AnalyzeOptions,
    /// Flows in order of first packet.
    pub flows: Vec<Flow>,
    index: HashMap<(SocketAddr, SocketAddr), usize, FlowHash>,
    /// Start of the timeline (the given one, else the start of the first counted packet's bin
    /// on the grid of [`super::timeline::bin_grid_start_ns`]), ns.
    pub t0_ns: Option<u64>,
    /// Last counted packet, ns.
    pub t_end_ns: u64,
    /// Frames read.
    pub packets: u64,
    /// Captured bytes read.
    pub bytes: u64,
    /// Frames that were not TCP (or not decodable).
    pub non_tcp: u64,
    sessions: HashMap<u32, SessionEvidence, FlowHash>,
    /// First flow of each (session, channel type, channel id): later ones are relay legs.
    legs: HashMap<(u32, u8, u8), usize, FlowHash>,
    /// Whether sshd held the server's data for the client's next packet (tunnels).
    pub ssh_hold: HoldTracker,
}

impl Analyzer {
    /// A fresh analyser.
    pub fn new(opts: AnalyzeOptions) -> Self {
        Self {
            opts,
            flows: Vec::new(),
            index: HashMap::default(),
            t0_ns: opts.t0_ns,
            t_end_ns: 0,
            packets: 0,
            bytes: 0,
            non_tcp: 0,
            sessions: HashMap::default(),
            legs: HashMap::default(),
            ssh_hold: HoldTracker::default(),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &AnalyzeOptions {
        &self.opts
    }

    /// The latency evidence of the session with the most inputs (the one a run measured),
    /// and how many other sessions had inputs too.
    pub fn measured_session(&self) -> Option<(u32, &SessionEvidence, usize)> {
        let with_inputs = self
            .sessions
            .values()
            .filter(|s| !s.inputs.is_empty())
            .count();
        self.sessions
            .iter()
            .max_by_key(|(id, s)| (s.inputs.len(), s.stamps.len() + s.updates.len(), **id))
            .map(|(id, s)| (*id, s, with_inputs.saturating_sub(1)))
    }

    /// The smallest TCP handshake round trip of the first-leg SPICE flows, ns.
    pub fn min_handshake_rtt_ns(&self) -> Option<u64> {
        self.flows
            .iter()
            .filter(|f| f.spice.is_some() && !f.relay)
            .filter_map(|f| f.handshake.rtt_ns)
            .min()
    }

    fn in_window(&self, ts: u64) -> bool {
        self.opts.from_ns.is_none_or(|f| ts >= f) && self.opts.to_ns.is_none_or(|t| ts < t)
    }

    /// Analyses one frame.
    pub fn feed(&mut self, p: &Packet<'_>) {
        self.packets += 1;
        self.bytes += p.data.len() as u64;
        let Some(seg) = decode_tcp(p.link, p.data) else {
            self.non_tcp += 1;
            return;
        };
        let counted = self.in_window(p.ts_ns);
        if counted {
            // Timestamps earlier than the first counted packet's bin land in bin 0.
            let grid = super::timeline::bin_grid_start_ns(p.ts_ns, self.opts.bin_ms);
            self.t0_ns.get_or_insert(grid);
            self.t_end_ns = self.t_end_ns.max(p.ts_ns);
        }

        let (fi, dir) = self.flow_for(&seg, p.ts_ns);
        let bin_ns = u64::from(self.opts.bin_ms.max(1)) * 1_000_000;
        let t0 = self.t0_ns.unwrap_or(p.ts_ns);
        let flow = &mut self.flows[fi];
        flow.last_ns = flow.last_ns.max(p.ts_ns);
        let di = dir_index(dir);
        if counted {
            let c = &mut flow.counters[di];
            c.packets += 1;
            c.wire_bytes += u64::from(p.wire_len);
            // Split into new and repeated stream bytes once the stream has seen the payload.
            c.payload_bytes += u64::from(seg.payload_len);
            let bin = (p.ts_ns.saturating_sub(t0) / bin_ns) as usize;
            // Sparse: one entry per bin with traffic, so memory follows activity, not the
            // span of the capture (a bogus far-future timestamp costs one entry).
            if bin < max_timeline_bins(self.opts.bin_ms) {
                let bins = &mut flow.bins[di];
                match bins.last_mut() {
                    Some((last, bytes)) if *last as usize == bin => *bytes += u64::from(p.wire_len),
                    _ => bins.push((bin as u32, u64::from(p.wire_len))),
                }
            }
        }
        if counted {
            if let Some(seen) = hold_evidence(flow, dir, seg.payload_len > 0, p.ts_ns) {
                self.ssh_hold.see(seen);
            }
        }
        if seg.syn {
            flow.streams[di].syn(seg.seq);
        }
        let hs = &mut flow.handshake;
        match (seg.syn, seg.ack_flag, dir) {
            (true, false, Direction::Up) => hs.syn_ns = Some(p.ts_ns),
            (true, true, Direction::Down) => hs.syn_ack_seen = true,
            (false, true, Direction::Up) if hs.syn_ack_seen && hs.rtt_ns.is_none() => {
                hs.rtt_ns = hs.syn_ns.map(|s| p.ts_ns.saturating_sub(s));
            }
            _ => {}
        }
        if seg.fin || seg.rst {
            flow.closed = true;
        }
        if seg.ack_flag {
            // What the receiver acknowledges tells the other direction's holes from delays.
            let back = dir.reverse();
            let mut stream = std::mem::take(&mut self.flows[fi].streams[dir_index(back)]);
            stream.ack(seg.ack, &mut |d| self.delivery(fi, back, d, counted));
            self.flows[fi].streams[dir_index(back)] = stream;
        }
        if seg.payload.is_empty() {
            return;
        }
        // Take the stream out so its in-order slices can go straight to the observer.
        let mut stream = std::mem::take(&mut self.flows[fi].streams[di]);
        let duplicates_before = stream.duplicate_bytes;
        stream.push(seg.seq, seg.payload, p.ts_ns, &mut |d| {
            self.delivery(fi, dir, d, counted)
        });
        let repeated = stream.duplicate_bytes - duplicates_before;
        let flow = &mut self.flows[fi];
        flow.streams[di] = stream;
        if counted && repeated > 0 {
            let c = &mut flow.counters[di];
            let moved = repeated.min(c.payload_bytes);
            c.payload_bytes -= moved;
            c.retransmitted_bytes += moved;
        }
    }

    fn delivery(&mut self, fi: usize, dir: Direction, d: Delivery<'_>, counted: bool) {
        match d {
            Delivery::Data { bytes, ts_ns } => self.deliver(fi, dir, ts_ns, bytes, counted),
            Delivery::Gap(gap) => {
                self.flows[fi].gap_bytes += gap;
                if let Some(s) = self.flows[fi].spice.as_mut() {
                    s.gap(dir, gap);
                }
            }
        }
    }

    fn flow_for(&mut self, seg: &crate::capture::TcpSegment<'_>, ts: u64) -> (usize, Direction) {
        let fwd = (seg.src, seg.dst);
        let rev = (seg.dst, seg.src);
        let new_connection = seg.syn && !seg.ack_flag;
        if let Some(&i) = self.index.get(&fwd).or_else(|| self.index.get(&rev)) {
            let f = &self.flows[i];
            // A SYN on a 4-tuple that already carried a connection starts a new one.
            let reused =
                new_connection && (f.closed || f.counters.iter().any(|c| c.payload_bytes > 0));
            if !reused {
                let dir = if f.client == seg.src {
                    Direction::Up
                } else {
                    Direction::Down
                };
                return (i, dir);
            }
        }
        // The SYN sender is the client; without a SYN, guess the lower port is the server's.
        let (client, server) = if new_connection {
            (seg.src, seg.dst)
        } else if seg.syn && seg.ack_flag {
            (seg.dst, seg.src)
        } else if seg.src.port() >= seg.dst.port() {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let flow = Flow {
            client,
            server,
            first_ns: ts,
            last_ns: ts,
            syn_seen: seg.syn,
            counters: Default::default(),
            bins: Default::default(),
            transport: None,
            spice: None,
            gap_bytes: 0,
            relay: false,
            keyed: false,
            handshake: Handshake::default(),
            streams: Default::default(),
            early: Default::default(),
            next_guess_at: 8 << 10,
            closed: false,
        };
        self.flows.push(flow);
        let i = self.flows.len() - 1;
        self.index.insert((client, server), i);
        self.index.remove(&(server, client));
        let dir = if client == seg.src {
            Direction::Up
        } else {
            Direction::Down
        };
        (i, dir)
    }

    fn deliver(&mut self, fi: usize, dir: Direction, ts: u64, bytes: &[u8], counted: bool) {
        let flow = &mut self.flows[fi];
        if flow.transport.is_none() {
            flow.early[dir_index(dir)].push((ts, bytes.to_vec()));
            self.decide(fi, false);
            return;
        }
        self.observe(fi, dir, ts, bytes, counted);
    }

    /// Decides what flow `fi` carries from its first buffered bytes — at the end of the
    /// capture (`at_end`) whatever they are by then — and walks the buffered chunks, both
    /// directions, in arrival order. The one rule for flows decided early and late.
    fn decide(&mut self, fi: usize, at_end: bool) {
        let flow = &mut self.flows[fi];
        let (c, s) = (first_bytes(&flow.early[0]), first_bytes(&flow.early[1]));
        let total: usize = flow.early.iter().flatten().map(|(_, b)| b.len()).sum();
        let spice = if flow.syn_seen {
            let Some(t) = super::transport::detect(&c, &s)
                .or((at_end || total > DETECT_LIMIT).then_some(Transport::Unknown))
            else {
                return;
            };
            flow.transport = Some(t);
            (t == Transport::Spice).then(SpiceStream::default)
        } else {
            // Captured from its middle: SPICE if its server's bytes walk as some channel's
            // messages (the first bytes decide nothing: no link message, no greeting).
            if !at_end && total <= MID_STREAM_LIMIT && total < flow.next_guess_at {
                return;
            }
            // Each try scans everything buffered: try again only once it doubled.
            flow.next_guess_at = total.saturating_mul(2);
            let down: Vec<u8> = flow.early[1].iter().flat_map(|(_, b)| b.clone()).collect();
            match guess_channel(&down) {
                Some(g) if g.headers >= GUESS_EVIDENCE => {
                    flow.transport = Some(Transport::Spice);
                    Some(SpiceStream::mid_stream(g.channel, g.kind))
                }
                _ if at_end || total > MID_STREAM_LIMIT => {
                    let t = super::transport::detect(&c, &s).unwrap_or(Transport::Unknown);
                    // "REDQ" without the connection's start is something else's bytes.
                    flow.transport = Some(if t == Transport::Spice {
                        Transport::Unknown
                    } else {
                        t
                    });
                    None
                }
                _ => return,
            }
        };
        flow.spice = spice;
        let mut early: Vec<(u64, Direction, Vec<u8>)> = Vec::new();
        for (d, v) in [Direction::Up, Direction::Down]
            .into_iter()
            .zip(std::mem::take(&mut flow.early))
        {
            early.extend(v.into_iter().map(|(ts, b)| (ts, d, b)));
        }
        // Stable: chunks of one direction keep their stream order on equal timestamps.
        early.sort_by_key(|(ts, _, _)| *ts);
        for (ts, d, b) in early {
            let counted = self.in_window(ts);
            self.observe(fi, d, ts, &b, counted);
        }
    }

    fn observe(&mut self, fi: usize, dir: Direction, ts: u64, bytes: &[u8], counted: bool) {
        let Some(spice) = self.flows[fi].spice.as_mut() else {
            return;
        };
        let mut notes: Vec<Notable> = Vec::new();
        spice.counting = counted;
        spice.feed(dir, ts, bytes, &mut |n| notes.push(n));
        self.register_leg(fi);
        if counted {
            self.take_notes(fi, notes);
        }
    }

    /// Adds what a flow's SPICE walk found for latency to its session's evidence.
    fn take_notes(&mut self, fi: usize, notes: Vec<Notable>) {
        if notes.is_empty() || self.flows[fi].relay {
            return;
        }
        let Some(spice) = self.flows[fi].spice.as_ref() else {
            return;
        };
        let Some(session) = spice.obs.link.as_ref().map(|l| l.connection_id) else {
            return;
        };
        let s = self.sessions.entry(session).or_default();
        for n in notes {
            match n {
                Notable::Input { at, message } => {
                    let state = message.and_then(|m| s.model.apply(&m));
                    s.inputs.push(StampedInput { sent: at, state });
                }
                Notable::DisplayUpdate { at, probe } => match probe {
                    Some(colour) => s.stamps.push(Stamp {
                        at,
                        state: decode(colour),
                    }),
                    None => s.updates.push(at),
                },
                Notable::Mark(at) => {
                    s.mark.get_or_insert(at);
                }
            }
        }
    }

    /// Once a flow's session and channel are known, decides whether it is the first leg of
    /// that channel or a relay leg. Main flows are keyed by MAIN_INIT's session id (their link
    /// carries 0), the others by their link's connection id, which is that same session id.
    fn register_leg(&mut self, fi: usize) {
        let flow = &self.flows[fi];
        if flow.keyed {
            return;
        }
        let Some(spice) = flow.spice.as_ref() else {
            return;
        };
        let Some(link) = spice.obs.link.as_ref() else {
            return;
        };
        let session = if link.channel_type == crate::wire::ChannelType::MAIN {
            match spice.obs.session_id {
                Some(id) => id,
                None => return,
            }
        } else {
            link.connection_id
        };
        let key = (session, link.channel_type.0, link.channel_id);
        let first = *self.legs.entry(key).or_insert(fi);
        // A relay leg runs alongside the first one. A later connection with the same session
        // id after the first ended (a reconnect, or a capture replayed shifted in time) is a
        // connection of its own.
        let overlaps = first != fi && {
            let (a, b) = (&self.flows[first], &self.flows[fi]);
            // The far leg opens while the near one is linking, so the near one was active
            // moments before; one that ended (or fell silent long) before is another session.
            let ended_before = a.closed && a.last_ns < b.first_ns;
            !ended_before && a.last_ns.saturating_add(RELAY_WINDOW_NS) >= b.first_ns
        };
        if first != fi && !overlaps {
            self.legs.insert(key, fi);
        }
        // Of two legs of one channel, the viewer's own started first: it connected, and only
        // then did the relay (sshd, a proxy) open its connection onwards. Main flows register
        // when MAIN_INIT arrives, which the far leg sees first, so the order of registering
        // is not the order of connecting.
        let started_first = overlaps && self.flows[fi].first_ns < self.flows[first].first_ns;
        if started_first {
            self.flows[first].relay = true;
            self.legs.insert(key, fi);
        }
        let flow = &mut self.flows[fi];
        flow.keyed = true;
        flow.relay = overlaps && !started_first;
    }

    /// Ends the analysis: flushes held segments and decides undecided flows.
    pub fn finish(&mut self) {
        for fi in 0..self.flows.len() {
            for dir in [Direction::Up, Direction::Down] {
                let di = dir_index(dir);
                let ts = self.flows[fi].last_ns;
                let counted = self.in_window(ts);
                let mut stream = std::mem::take(&mut self.flows[fi].streams[di]);
                stream.flush(&mut |d| self.delivery(fi, dir, d, counted));
                self.flows[fi].streams[di] = stream;
            }
            if self.flows[fi].transport.is_none() {
                // Too short to have been decided while reading.
                self.decide(fi, true);
            }
            if let Some(spice) = self.flows[fi].spice.as_mut() {
                // Each walked chunk carries whether it was in the window.
                let mut notes = Vec::new();
                spice.end(&mut |n| notes.push(n));
                self.take_notes(fi, notes);
            }
        }
    }
}
