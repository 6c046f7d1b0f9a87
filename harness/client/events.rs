//! What the client records while a session runs. Everything is timestamped in µs since the
//! session's [`Clock`](super::Clock) epoch and kept in arrival order.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::display_ledger::DisplayLedger;
use crate::journal::Journal;
use crate::results::{Warning, WarningCode};
use crate::wire::display::{ImageInfo, Rect};
use crate::wire::inputs::InputMessage;
use crate::wire::names::Direction;
use crate::wire::ChannelType;

/// One channel connection of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Channel type.
    pub channel_type: ChannelType,
    /// Channel id.
    pub channel_id: u8,
    /// Server address.
    pub server: SocketAddr,
    /// Our local address (to find the connection in a capture).
    pub local: SocketAddr,
}

/// One message sent or received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrafficRecord {
    /// When it was sent (after the write) or received (after the read that completed it).
    pub at_us: u64,
    /// Index into [`EventLog::channels`].
    pub channel: usize,
    /// Direction.
    pub direction: Direction,
    /// Message type.
    pub msg_type: u16,
    /// Header + body bytes on the SPICE stream (TCP payload, not wire bytes).
    pub bytes: u64,
}

/// One display message that changed the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRecord {
    /// Arrival time.
    pub at_us: u64,
    /// Message type.
    pub msg_type: u16,
    /// Target surface (`None` for stream frames).
    pub surface_id: Option<u32>,
    /// Changed area, when known.
    pub area: Option<Rect>,
    /// Images carried.
    pub images: Vec<ImageInfo>,
    /// Video frame bytes, for stream frames.
    pub stream_bytes: u64,
    /// The probe stamp colour it paints, when it paints the probe square ([`crate::probe`]).
    pub probe: Option<u32>,
}

/// One input message sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputRecord {
    /// When the script wanted it sent.
    pub scheduled_us: u64,
    /// When the write began: the input left the script. Pacing and latency count from here;
    /// what the kernel does after (on loopback it delivers to the receiver inside the write)
    /// is the network's time, not the script's.
    pub issued_us: u64,
    /// When the write returned.
    pub sent_us: u64,
    /// What was sent.
    pub message: InputMessage,
    /// Whether it was held back by motion-ack pacing (then `sent_us` is not a pacing sample).
    pub deferred: bool,
}

/// Everything a session recorded.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    /// Channel connections in link order; `TrafficRecord::channel` indexes this.
    pub channels: Vec<ChannelInfo>,
    /// Every message in both directions, link stage excluded.
    pub traffic: Vec<TrafficRecord>,
    /// Link-stage bytes per channel index: (down, up).
    pub link_bytes: Vec<(u64, u64)>,
    /// Display updates.
    pub updates: Vec<UpdateRecord>,
    /// Inputs sent by the script.
    pub inputs: Vec<InputRecord>,
    /// Times of display MARK messages (initial screen complete).
    pub marks: Vec<u64>,
    /// Motion acks received.
    pub motion_acks: Vec<u64>,
    /// SET_ACK windows per channel index; display's tells the server's bandwidth verdict
    /// (20 normal, 40 after its net test judged the link slow, §4.3).
    pub ack_windows: Vec<(usize, u32)>,
    /// Noteworthy things (server NOTIFY text, disconnect reasons), each with its code.
    pub notes: Vec<Warning>,
    /// Smallest round trip the kernel measured on any of the session's connections
    /// (TCP_INFO min_rtt), µs; read when the session closes.
    pub min_rtt_us: Option<u64>,
    /// Per display channel index: its heads and streams, by the rule the capture analysis
    /// uses too ([`crate::display_ledger`]).
    pub displays: BTreeMap<usize, DisplayLedger>,
    /// STREAM_CREATE arrivals on every display channel: (time µs, SpiceVideoCodecType), at
    /// most [`MAX_STREAM_CREATES`] (when a video preference took effect).
    pub stream_creates: Vec<(u64, u8)>,
    /// Whether `stream_creates` reached its limit (a note says so once).
    pub stream_creates_full: bool,
}

/// Stream creations kept with their times: a flapping stream makes a few a second.
pub const MAX_STREAM_CREATES: usize = 100_000;

/// The log shared by every task of a session.
///
/// Inputs have a lock of their own: the input thread runs under SCHED_FIFO and must not wait
/// for a channel reader that was preempted while recording an update.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    log: Arc<Mutex<EventLog>>,
    inputs: Journal<InputRecord>,
}

impl Recorder {
    /// Locks the log (its `inputs` stay empty: see [`Recorder::input`]). A panic in another
    /// holder must not lose the measurements, so a poisoned lock is recovered.
    pub fn lock(&self) -> MutexGuard<'_, EventLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The inputs sent, under their own lock.
    pub fn inputs(&self) -> &Journal<InputRecord> {
        &self.inputs
    }

    /// Adds a channel and returns its index.
    pub fn add_channel(&self, info: ChannelInfo, link_down: u64, link_up: u64) -> usize {
        let mut log = self.lock();
        log.channels.push(info);
        log.link_bytes.push((link_down, link_up));
        log.channels.len() - 1
    }

    /// Records one message.
    pub fn traffic(&self, rec: TrafficRecord) {
        self.lock().traffic.push(rec);
    }

    /// Feeds one server message of display channel `channel` to its ledger; `bytes` is
    /// header + body. Messages the ledger does not look at take no lock.
    pub fn display_message(
        &self,
        channel: usize,
        at_us: u64,
        msg_type: u16,
        body: &[u8],
        bytes: u64,
    ) {
        if DisplayLedger::concerns(msg_type) {
            let mut log = self.lock();
            let created = log
                .displays
                .entry(channel)
                .or_default()
                .on_message(msg_type, body, bytes);
            if let Some(codec) = created {
                if log.stream_creates.len() < MAX_STREAM_CREATES {
                    log.stream_creates.push((at_us, codec));
                } else if !log.stream_creates_full {
                    log.stream_creates_full = true;
                    log.notes.push(Warning::new(
                        WarningCode::StreamTimesFull,
                        format!(
                            "more than {MAX_STREAM_CREATES} streams were created: later ones \
                             are counted but their times are not kept, so a video codec \
                             switch after that cannot be marked"
                        ),
                    ));
                }
            }
        }
    }

    /// Records a note of kind `code`.
    pub fn note(&self, code: WarningCode, text: String) {
        self.lock().notes.push(Warning::new(code, text));
    }

    /// A copy of everything recorded so far.
    pub fn snapshot(&self) -> EventLog {
        let mut log = self.lock().clone();
        log.inputs = self.inputs.all();
        log
    }
}
