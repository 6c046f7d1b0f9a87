//! The serde types of a `spicebench.run/v2` result (which reads v1 too).
//!
//! Unknown fields are accepted on purpose (no `deny_unknown_fields`): later v1 writers may
//! add fields and older readers must keep working. Optional fields are omitted when absent.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::access::{ConfigTransport, ConfigViewer};
use super::channel::{Attribution, Channel, Leg};
use super::series_key::SeriesKey;
use super::transport::Transport;
use super::units::rfc3339;
use super::warning::Warning;
use super::SCHEMA;
use crate::scenario::ViewerKind;
use crate::wire::names::Direction;

/// One measured run of one configuration of one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// [`SCHEMA`] (`"spicebench.run/v2"`) when written; [`RunResult::read`] also takes
    /// [`super::SCHEMA_V1`] and upgrades it, and refuses anything else.
    pub schema: String,
    /// Which scenario was run.
    pub scenario: ScenarioInfo,
    /// Which configuration of the scenario's matrix was run.
    pub config: ConfigInfo,
    /// Wall-clock time of the run's epoch, RFC 3339 UTC with milliseconds. Every
    /// `*_s` offset in this document that does not name another origin counts from here.
    pub started_at: String,
    /// Length of the run from its epoch to the end of data, in seconds.
    pub duration_s: f64,
    /// The SPICE server the run talked to.
    pub server: ServerInfo,
    /// Traffic per SPICE channel, in connection order.
    pub channels: Vec<ChannelStats>,
    /// Traffic per (channel, direction, message type).
    pub messages: Vec<MessageStats>,
    /// Images carried in display draw commands, per image type.
    pub images: Vec<ImageStats>,
    /// Bytes over time, per channel and direction.
    pub timeline: Timeline,
    /// Input bursts the scenario played, so reports can mark them on the timeline.
    pub bursts: Vec<Burst>,
    /// Mean and peak throughput per timeline series over the measured interval.
    pub rates: Vec<Rate>,
    /// The measured interval `rates` (and `network`'s rates) are averaged over; absent when
    /// the session had no input. Additive: older files have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<MeasuredInterval>,
    /// Input-to-display latency and settle time.
    pub latency: Latency,
    /// What the input injector did and how well it kept its schedule.
    pub inputs: InputStats,
    /// Problems noticed during the run that did not stop it, each with a stable code.
    pub warnings: Vec<Warning>,
    /// The packet capture the wire numbers come from, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureInfo>,
    /// Bytes per transport (all flows of one kind added up), with the SSH overhead ratio.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transports: Vec<TransportStats>,
    /// What crosses the network: the outermost transport's wire bytes and rates, beside the
    /// SPICE payload it carries (from a capture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkStats>,
    /// Whether the input had its intended effect on the desktop, read back from the target's
    /// own X server (lab desktops only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<EffectCheck>,
    /// Whether the drags changed the screen where they pressed and released (content
    /// without a window to follow, e.g. shapes in LibreOffice Draw); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_check: Option<RegionCheck>,
    /// Per display channel: its heads (monitors) and the updates and bytes each carried, by
    /// the destination box of each update. Empty when no display channel could be read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub displays: Vec<DisplayHeads>,
    /// Video streams on the display channels. Absent when no display channel could be read
    /// (then streams are unknown, not zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streams: Option<StreamStats>,
    /// Image compression or video codecs switched mid-session by `prefer` steps (our own
    /// client), each with
    /// when the wire first showed an image of the asked-for kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preference_switches: Vec<PreferenceSwitch>,
    /// CPU time per component while idle and while the plan played, and how busy the
    /// machine was (live runs; absent in results of older versions and of `analyze`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<super::cpu::CpuUsage>,
}

/// Screen regions at the drags' ends, read from the target's X server before the first input
/// and after the settle: a drag that moved a shape changes both where it pressed (the shape
/// left) and where it released (the shape arrived).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionCheck {
    /// What was looked at, e.g. `shapes in LibreOffice Draw`.
    pub subject: String,
    /// One per drag end.
    pub regions: Vec<RegionChange>,
    /// Whether every region changed.
    pub ok: bool,
}

/// One square of the screen, centred on a drag's press or release point.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionChange {
    /// `"press"` or `"release"`.
    pub at: String,
    /// Centre, pixels `[x, y]`.
    pub point: [u32; 2],
    /// Side of the square in pixels.
    pub size: u32,
    /// Whether its pixels after the settle differ from before the first input; absent when
    /// the screen could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed: Option<bool>,
}

/// The input plan's intended effect, and what the desktop shows happened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EffectCheck {
    /// What was looked at, e.g. `window "xterm-spice"`.
    pub subject: String,
    /// How far the plan's drags should have moved it, pixels `[x, y]`.
    pub expected_move: [i64; 2],
    /// How far it moved (xwininfo before the plan and after the settle); absent when it could
    /// not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_move: Option<[i64; 2]>,
    /// Whether the two agree.
    pub ok: bool,
}

/// The traffic a network between viewer and server would carry: the SSH connection when SSH
/// carries the session (tunnel or X forwarding), else the SPICE connections themselves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkStats {
    /// `"ssh"`, `"spice"` or `"tls"`.
    pub transport: Transport,
    /// Its connections.
    pub flows: u64,
    /// Wire bytes server → client, whole capture.
    pub down_wire_bytes: u64,
    /// Wire bytes client → server, whole capture.
    pub up_wire_bytes: u64,
    /// Mean of both directions together over the measured interval, MiB/s.
    pub mean_mib_s: f64,
    /// Busiest 1-second window of both directions together inside the measured interval,
    /// MiB/s.
    pub peak_1s_mib_s: f64,
    /// TCP payload of the SPICE connections the viewer made (relay legs left out), both
    /// directions, whole capture.
    pub spice_payload_bytes: u64,
    /// `(down + up wire bytes) / spice_payload_bytes`; absent without SPICE payload (e.g.
    /// `ssh -X` captured without its SPICE leg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_to_spice: Option<f64>,
}

/// The capture behind a result's wire numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaptureInfo {
    /// Capture file (pcap or pcapng), as given.
    pub file: String,
    /// Packets read.
    pub packets: u64,
    /// Captured bytes read.
    pub bytes: u64,
    /// Packets the kernel dropped (live capture only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_dropped: Option<u64>,
    /// Packets the interface dropped (live capture only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_dropped: Option<u64>,
    /// Start of the analysed window, seconds since the Unix epoch, when one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_s: Option<f64>,
    /// End of the analysed window, seconds since the Unix epoch, when one was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_s: Option<f64>,
    /// Bytes of SPICE streams missing from the capture (holes in the TCP sequence).
    #[serde(default)]
    pub missing_bytes: u64,
    /// Captured SPICE bytes that could not be walked: between a hole and the next message
    /// boundary found after it.
    #[serde(default)]
    pub unparsed_bytes: u64,
}

/// All flows of one transport added up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransportStats {
    /// `"spice"`, `"tls"`, `"ssh"`, `"x11"` or `"unknown"`.
    pub transport: Transport,
    /// TCP connections.
    pub flows: u64,
    /// Wire bytes server → client.
    pub down_wire_bytes: u64,
    /// Wire bytes client → server.
    pub up_wire_bytes: u64,
    /// TCP payload bytes, both directions.
    pub payload_bytes: u64,
    /// For `ssh`: its wire bytes divided by the SPICE payload bytes of the plaintext legs
    /// (DESIGN.md, "Channel"); absent otherwise or when there is no SPICE leg.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead_ratio: Option<f64>,
}

impl RunResult {
    /// The input-to-display latency tables show: our client's own (`input_to_display`) when
    /// it has samples, else remote-viewer's end to end on the client's screen, else the
    /// capture's. Its `source` says which.
    pub fn headline_latency(&self) -> &LatencySummary {
        let l = &self.latency;
        if l.input_to_display.count > 0 {
            return &l.input_to_display;
        }
        l.end_to_end
            .as_ref()
            .filter(|e| e.count > 0)
            .or(l.capture.as_ref().filter(|c| c.count > 0))
            .unwrap_or(&l.input_to_display)
    }

    /// Whether any connection is known to be a display channel (inside TLS seen only by a
    /// capture, none is: display bytes are then unknown, not zero).
    pub fn has_display_channel(&self) -> bool {
        self.channels.iter().any(|c| c.channel == Channel::DISPLAY)
    }

    /// Display bytes received: server → client payload of every display channel, relay legs
    /// (which repeat bytes already counted) left out. The one definition every table,
    /// report and progress line uses.
    pub fn display_down_bytes(&self) -> u64 {
        self.channels
            .iter()
            .filter(|c| c.channel == Channel::DISPLAY && c.leg.is_none())
            .fold(0u64, |acc, c| acc.saturating_add(c.down.payload_bytes))
    }
}

impl Default for RunResult {
    /// An empty result that already carries the right schema string.
    fn default() -> Self {
        RunResult {
            schema: SCHEMA.to_string(),
            scenario: ScenarioInfo::default(),
            config: ConfigInfo::default(),
            started_at: String::new(),
            duration_s: 0.0,
            server: ServerInfo::default(),
            channels: Vec::new(),
            messages: Vec::new(),
            images: Vec::new(),
            timeline: Timeline::default(),
            bursts: Vec::new(),
            rates: Vec::new(),
            measured: None,
            latency: Latency::default(),
            inputs: InputStats::default(),
            warnings: Vec::new(),
            capture: None,
            transports: Vec::new(),
            network: None,
            effect: None,
            region_check: None,
            displays: Vec::new(),
            streams: None,
            preference_switches: Vec::new(),
            cpu: None,
        }
    }
}

/// The scenario a run executed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScenarioInfo {
    /// The scenario's name as declared in its file.
    pub name: String,
    /// Path of the scenario file as given to spicebench.
    pub file: String,
    /// The scenario's free-text description, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One configuration of a scenario's matrix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigInfo {
    /// Configuration name, unique within the scenario; repeats get a suffix
    /// (e.g. `"auto_glz"`, `"auto_glz-r2"`).
    pub name: String,
    /// What was measured: `"xspice"` (started by spicebench) or `"external"` (a server
    /// spicebench was pointed at).
    pub target: String,
    /// How the viewer reached the server: `"direct"`, `"ssh-tunnel"` or `"ssh-x"` (results
    /// written before 0.2 say `"spice"` for direct). For `spicebench analyze`, what the capture
    /// shows: `"direct"`, `"ssh-tunnel"` (SSH, no X11), `"ssh-x"` (SSH and X11), `"tls"`.
    pub transport: ConfigTransport,
    /// Whether SSH compression (`ssh -C`) was on.
    #[serde(default)]
    pub ssh_compression: bool,
    /// Whether the viewer spoke TLS to the SPICE server (every channel).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls: bool,
    /// Image compression asked for, e.g. `"auto_glz"`.
    pub compression: String,
    /// How the compression was asked for: `"server-setting"` (the server was started with
    /// it) or `"client-preference"` (the client requested it over the wire).
    pub compression_mechanism: String,
    /// The viewer that showed the session: `"spicebench"` (our own client) or
    /// `"remote-viewer"` (results written before 0.2 carry the version here too); `"unknown"`
    /// from `spicebench analyze`.
    pub viewer: ConfigViewer,
    /// The viewer's name and version, e.g. `"remote-viewer 11.0"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewer_version: Option<String>,
    /// Desktop size as `WIDTHxHEIGHT` pixels (e.g. `"1024x768"`), when known: the whole
    /// screen, every head side by side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geometry: Option<String>,
    /// Heads spicebench set up on its Xspice (absent: one, or an external server's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heads: Option<u32>,
    /// The lab desktop's content (`"xterm"`, `"photo_window"`, `"lodraw"`, `"video"`), for
    /// Xspice targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desktop: Option<String>,
    /// Whether a compositing manager ran on the lab desktop.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub compositor: bool,
    /// The server knobs set beyond image compression, by their scenario keys (e.g.
    /// `"streaming_video": "all"`); for an external target only `video_codecs`, the client's
    /// preference. Knobs not listed were left at the server's default.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub server_settings: std::collections::BTreeMap<String, String>,
    /// The emulated link between the server's and the viewer's namespaces, for the `lan`
    /// transport: its profile and what it carried each way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<super::link::LinkInfo>,
    /// 0-based index of this repeat of the configuration.
    pub repeat_index: u32,
    /// Seed of the run's random input generation; the same seed replays the same inputs.
    pub seed: u64,
}

impl ConfigInfo {
    /// The transport with `-C` when SSH compression was on (`ssh-tunnel-C`), as in
    /// configuration names; results from before 0.2 (`"spice"`) read as `direct`.
    pub fn route_label(&self) -> String {
        let transport = match self.transport.route() {
            Some(route) => route.to_string(),
            None => self.transport.to_string(),
        };
        if self.ssh_compression {
            format!("{transport}-C")
        } else {
            transport
        }
    }

    /// The viewer's kind (`spicebench`, `remote-viewer`), when known; results from before 0.2
    /// carried its version in the same field (`"spicebench 0.1.0"`).
    pub fn viewer_kind(&self) -> Option<ViewerKind> {
        self.viewer.kind()
    }
}

/// The server side of the session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// `host:port` of the main channel (e.g. `"127.0.0.1:5930"`).
    pub address: String,
    /// Mouse mode in force once the session was up: `"client"` or `"server"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mouse_mode: Option<String>,
    /// Verdict of the server's network test (its ping exchange on the main channel),
    /// when one was seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_test: Option<String>,
    /// Server software and versions, when known (for the embedded Xspice: the Debian package
    /// versions of xserver-xspice and libspice-server1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    /// The VM's name as the server sent it (main channel NAME; QEMU's `-name`), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_name: Option<String>,
    /// The VM's UUID (main channel UUID), in 8-4-4-4-12 form, when the server sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_uuid: Option<String>,
}

/// Traffic of one SPICE channel connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelStats {
    /// Channel name, e.g. `"main"`, `"display"`, `"inputs"`, `"cursor"` (`"type-N"` for a
    /// SPICE channel type without a name); for a connection no channel was read from, its
    /// transport (`"ssh"`, `"x11"`, `"tls"`, `"unknown"`).
    pub channel: Channel,
    /// SPICE channel type number (`SPICE_CHANNEL_*`).
    pub channel_type: u8,
    /// SPICE channel id (several channels of one type are told apart by it).
    pub channel_id: u8,
    /// `host:port` this channel connected to.
    pub server: String,
    /// What the connection carried, decided from its first bytes: `"spice"`, `"tls"`,
    /// `"ssh"`, `"x11"` or `"unknown"`; `"spice-tls"` for TLS a run knows is SPICE.
    pub transport: Transport,
    /// `host:port` of the client end, when known (from a capture, or the client's own socket).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// `"relay"` for a second plaintext leg of a channel already listed (the far side of an
    /// SSH tunnel captured on the same machine); such legs are left out of `messages`,
    /// `images`, the per-channel timeline and latency, so nothing is counted twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leg: Option<Leg>,
    /// How the channel of this connection is known when the capture cannot tell: `"client"`
    /// for a TLS connection of spicebench's own client, matched by its local socket (its bytes
    /// per channel are the client's plaintext counters, its wire bytes the capture's);
    /// `"guessed"` for a connection captured from its middle, named after the channel its
    /// message types fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
    /// Server → client traffic.
    pub down: DirectionStats,
    /// Client → server traffic.
    pub up: DirectionStats,
}

/// Traffic of one direction of one channel.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DirectionStats {
    /// TCP payload bytes of this connection in this direction, link stage included (for the
    /// client's own counters: the SPICE stream bytes it sent or received).
    pub payload_bytes: u64,
    /// Bytes on the wire including TCP/IP (and TLS) overhead; present only when a packet
    /// capture was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wire_bytes: Option<u64>,
    /// Number of SPICE messages.
    pub messages: u64,
    /// Captured packets (TCP segments, pure ACKs included); present only with a capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets: Option<u64>,
    /// TCP payload bytes of captured frames that repeated stream bytes already captured
    /// (retransmissions): on the wire, not in `payload_bytes`. Present only with a capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retransmitted_bytes: Option<u64>,
}

/// Count and volume of one message type on one channel and direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageStats {
    /// Channel name, as in [`ChannelStats::channel`].
    pub channel: Channel,
    /// `"down"` (server → client) or `"up"` (client → server).
    pub direction: Direction,
    /// SPICE message type number.
    #[serde(rename = "type")]
    pub msg_type: u16,
    /// Message name without prefix, e.g. `"DRAW_COPY"`; `"UNKNOWN_<n>"` if unknown.
    pub name: String,
    /// Number of messages.
    pub count: u64,
    /// Bytes of those messages, header plus body.
    pub bytes: u64,
}

/// Count and volume of one image type seen in display draw commands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageStats {
    /// Image type name without prefix, e.g. `"GLZ_RGB"`, `"BITMAP"`.
    #[serde(rename = "type")]
    pub image_type: String,
    /// SPICE image type code (`SPICE_IMAGE_TYPE_*`).
    pub code: u8,
    /// Number of images.
    pub count: u64,
    /// Encoded image bytes as carried in the messages.
    pub bytes: u64,
}

/// One display channel's heads and what each carried (the rule: `analyze::heads`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DisplayHeads {
    /// Display channel id.
    pub channel_id: u8,
    /// The viewer's address of the connection, as in [`ChannelStats::client`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Whether the heads come from a MONITORS_CONFIG message; `false`: none came, and the
    /// primary surface is reported as one head with id 0.
    pub announced: bool,
    /// Screen updates (draws, COPY_BITS, stream frames) on this channel.
    pub updates: u64,
    /// Header + body bytes of those updates.
    pub update_bytes: u64,
    /// The heads as last announced, in announcement order, each with what it carried.
    pub heads: Vec<HeadStats>,
    /// Updates attributed to no head, and their bytes: off-screen surfaces, boxes outside
    /// every head, stream frames of unknown streams, unparsable updates, and updates beyond
    /// the first 1024 that waited for the first MONITORS_CONFIG.
    pub unattributed: HeadTraffic,
}

/// One head (monitor) of a display channel and what it carried.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HeadStats {
    /// Monitor id.
    pub id: u32,
    /// Left edge on the primary surface, pixels.
    pub x: u32,
    /// Top edge, pixels.
    pub y: u32,
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// Updates whose destination box intersects this head (an update on two heads counts
    /// once on each).
    pub updates: u64,
    /// This head's share of those updates' message bytes, split by intersected area; the
    /// shares of all heads plus `unattributed.bytes` add up to `update_bytes` exactly.
    pub bytes: u64,
}

/// Updates and their bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadTraffic {
    /// Updates.
    pub updates: u64,
    /// Header + body bytes.
    pub bytes: u64,
}

/// Video streams (STREAM_CREATE … STREAM_DESTROY) on all display channels of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamStats {
    /// STREAM_CREATE messages.
    pub created: u64,
    /// Streams ended: one per STREAM_DESTROY, and one per live stream a STREAM_DESTROY_ALL
    /// ended.
    pub destroyed: u64,
    /// Streams whose creation and end were both seen: video detection that switched a
    /// region to a stream and back.
    pub flaps: u64,
    /// STREAM_DATA and STREAM_DATA_SIZED messages.
    pub frames: u64,
    /// Header + body bytes of those frames.
    pub frame_bytes: u64,
    /// Per video codec, in codec order.
    pub by_codec: Vec<CodecStats>,
}

/// Streams and frames of one video codec.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodecStats {
    /// `"mjpeg"`, `"vp8"`, `"h264"`, `"vp9"`, `"h265"`, `"unknown_<n>"`, or `"unknown"` for
    /// frames of a stream whose STREAM_CREATE was not seen.
    pub codec: String,
    /// SpiceVideoCodecType code (0 for `"unknown"`).
    pub code: u8,
    /// Streams created with this codec.
    pub streams: u64,
    /// Frames.
    pub frames: u64,
    /// Header + body bytes of the frames.
    pub bytes: u64,
    /// Encoded video bytes in them (`data_size`).
    pub data_bytes: u64,
}

/// Bytes per fixed-width time bin for each (channel, direction).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// What the bins count: `"payload"` (SPICE stream bytes from the client's counters) or
    /// `"wire"` (captured frame bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<TimelineUnit>,
    /// Width of one bin in milliseconds.
    pub bin_ms: u32,
    /// Wall-clock start of bin 0, RFC 3339 UTC with milliseconds.
    pub start: String,
    /// Start of bin 0 in seconds after `started_at`.
    pub start_offset_s: f64,
    /// One series per key, sorted by key; all have the same number of bins.
    pub series: Vec<Series>,
}

/// What a timeline's bins count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimelineUnit {
    /// `payload`: SPICE stream bytes, from the client's own counters.
    Payload,
    /// `wire`: captured frame bytes.
    Wire,
}

impl Timeline {
    /// Fills `start` from the run's wall-clock epoch and `start_offset_s`.
    ///
    /// The analysis that builds a timeline only sees microseconds since the run's epoch,
    /// so the wall-clock time has to be attached afterwards by whoever knows it.
    pub fn anchor(&mut self, started_at: SystemTime) {
        let offset = Duration::try_from_secs_f64(self.start_offset_s).unwrap_or(Duration::ZERO);
        let start = started_at.checked_add(offset).unwrap_or(started_at);
        self.start = rfc3339(start);
    }

    /// Number of bins (that of the first series; all series have the same length).
    pub fn bins(&self) -> usize {
        self.series.first().map_or(0, |s| s.bytes.len())
    }
}

/// Bytes per bin of one (channel, direction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// `"<channel>/<direction>"`, e.g. `"display/down"`, `"inputs/up"`.
    pub key: SeriesKey,
    /// Bytes (message header + body) of the messages timestamped within each bin, bin 0
    /// first.
    pub bytes: Vec<u64>,
}

/// A `prefer` step as it went: asked for, sent, and first seen on the wire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PreferenceSwitch {
    /// Which preference: `compression` (PREFERRED_COMPRESSION) or `video_codecs`
    /// (PREFERRED_VIDEO_CODEC_TYPE).
    pub setting: String,
    /// What was asked for, as the scenario spells it (`glz`, `gstreamer:vp8`).
    pub value: String,
    /// The step's line in the scenario file.
    pub line: usize,
    /// When the request left the client, on the bursts' clock (seconds).
    pub sent_s: f64,
    /// When the wire first showed it (same clock): an image of that compression, or a stream
    /// created with one of those codecs. Absent when nothing did before the next switch or
    /// the end of the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub took_effect_s: Option<f64>,
    /// `took_effect_s − sent_s`, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<f64>,
    /// What showed it: the image type (`GLZ_RGB`, `QUIC`, …) or the stream's codec (`vp8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// Images of other types (or streams of other codecs) that came after the request and
    /// before that: how long the old setting still drew.
    #[serde(default)]
    pub other_before: u64,
    /// The setting before, when every kind of image (or codec) this one sends could also
    /// come from that one: the wire cannot show the moment, and `took_effect_s` stays absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indistinct_from: Option<String>,
}

/// One burst of input events, relative to the timeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Burst {
    /// First event of the burst, seconds after the start of timeline bin 0.
    pub start_s: f64,
    /// Last event of the burst, seconds after the start of timeline bin 0.
    pub end_s: f64,
    /// Number of input events in the burst.
    pub events: u64,
}

/// The measured interval: first input → end of settle (`analyze::interval` has the rule).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeasuredInterval {
    /// Start (the first input), s after `started_at`.
    pub from_s: f64,
    /// End (the end of settle, or of data), s after `started_at`.
    pub to_s: f64,
    /// Whose times it was taken from: those of the clock the rates' bytes were counted on.
    pub source: IntervalSource,
}

impl MeasuredInterval {
    /// The interval `(from, to)` in µs after `started_at`.
    pub fn from_us((from, to): (u64, u64), source: IntervalSource) -> Self {
        Self {
            from_s: from as f64 / 1e6,
            to_s: to as f64 / 1e6,
            source,
        }
    }

    /// `(from, to)` in µs after `started_at` (rounded; negative or corrupt values give 0).
    pub fn us(&self) -> (u64, u64) {
        // `as` saturates and maps NaN to 0, so a corrupt file cannot panic here.
        let us = |s: f64| (s * 1e6).round() as u64;
        (us(self.from_s), us(self.to_s))
    }
}

/// Where a measured interval's times come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalSource {
    /// spicebench's own client: when it began writing each input, when it read each update.
    Client,
    /// remote-viewer: XTest injections and XDamage reports on the client's screen.
    Xdamage,
    /// Packet timestamps: inputs-channel and display-channel messages on the wire.
    Capture,
}

/// Throughput of one timeline series over the measured interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// The series key, as in [`Series::key`].
    pub key: SeriesKey,
    /// Mean over the measured interval, MiB/s (1 MiB = 1,048,576 bytes).
    pub mean_mib_s: f64,
    /// Largest rate over any 1-second sliding window inside the measured interval, MiB/s.
    pub peak_1s_mib_s: f64,
}

/// Latency measurements.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Input sent → first display update received after it.
    pub input_to_display: LatencySummary,
    /// Last input of the scenario's final burst → display quiet, in milliseconds; absent
    /// when the display never went quiet before the end of data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_ms: Option<f64>,
    /// The same input-to-display latency measured from a packet capture, when one was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<LatencySummary>,
    /// End to end on the client's screen (remote-viewer): XTest event injected → the viewer's
    /// window showing the probe stamp of that input (`method: "probe"`), or, without a
    /// probe, the first XDamage report after it (`source: "xdamage"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end: Option<LatencySummary>,
    /// The first-update-after distribution (probe frames left out) when `input_to_display`
    /// comes from the probe: what the fallback would have said, for comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_update_after: Option<LatencySummary>,
    /// What the probe showed, when the target had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeStats>,
    /// How far the first-update-after method can be trusted on this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanity: Option<LatencySanity>,
}

impl LatencySummary {
    /// Where its timestamps come from and how inputs were matched, for tables:
    /// `client probe`, `capture first-update`, ...
    pub fn label(&self) -> String {
        let method = match self.method {
            LatencyMethod::Probe => "probe",
            LatencyMethod::FirstUpdateAfter => "first-update",
        };
        format!("{} {method}", self.source)
    }
}

/// How a latency distribution was measured (`docs/latency.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyMethod {
    /// Each input to the first display update after it, whatever caused that update. Files
    /// written before the probe existed carry no method and mean this one.
    #[default]
    FirstUpdateAfter,
    /// Each input to the first frame whose probe stamp shows its effect (causal).
    Probe,
}

impl LatencyMethod {
    /// The name used in results and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstUpdateAfter => "first_update_after",
            Self::Probe => "probe",
        }
    }
}

/// What the on-screen probe showed during a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProbeStats {
    /// Probe frames received (stamps, repaints included).
    pub stamps: u64,
    /// Inputs that should have changed the stamp (pointer inputs with a known position).
    pub expected: u64,
    /// Of those, inputs whose effect a stamp showed.
    pub answered: u64,
    /// Expected inputs no stamp ever showed.
    pub missing: u64,
    /// Stamps that showed no input of the run (another program painting the corner).
    pub foreign_stamps: u64,
    /// The pointer as the last stamp showed it: `[x, y]`; absent without stamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_pointer: Option<[u32; 2]>,
    /// Where the plan leaves the pointer: `[x, y]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_end: Option<[u32; 2]>,
}

/// Checks on the first-update-after method: the idle screen's own update rate, how many
/// samples chance alone would explain, and samples faster than the network allows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySanity {
    /// Length of the idle window measured (the scenario's `idle_before`), seconds.
    pub idle_s: f64,
    /// Redraws during it: display updates (probe frames left out), those less than 16 ms
    /// after the previous one counted as the same redraw (one redraw is often several
    /// messages).
    pub idle_updates: u64,
    /// Their rate, redraws per second: 0 on a quiet screen.
    pub idle_updates_per_s: f64,
    /// Inputs the checks cover.
    #[serde(default)]
    pub inputs: u64,
    /// How many of the run's inputs would get a first-update-after sample from idle updates
    /// alone, with no effect of their own (expected value: an idle update within the 1 s
    /// horizon after each input).
    pub chance_samples: f64,
    /// The median first-update-after latency that idle updates alone would produce
    /// (ln 2 ÷ the idle rate), ms; absent on a quiet screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chance_p50_ms: Option<f64>,
    /// Whether the first-update-after samples look like chance: the screen was not quiet
    /// and their median is at least half the chance median.
    #[serde(default)]
    pub likely_chance: bool,
    /// First-update-after samples shorter than `floor_ms`: physically impossible, so the
    /// update was on its way before the input left.
    pub impossible_samples: u64,
    /// Half the smallest round trip the kernel measured on the session's connections
    /// (TCP_INFO min_rtt), ms; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_ms: Option<f64>,
}

/// Distribution of one latency, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Where the timestamps come from: `"client"` (spicebench's own clock at send and
    /// receive) or `"capture"` (packet timestamps).
    pub source: String,
    /// Number of samples.
    pub count: u64,
    /// Median, ms; absent when `count` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    /// 90th percentile, ms; absent when `count` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p90_ms: Option<f64>,
    /// 99th percentile, ms; absent when `count` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
    /// 99.9th percentile, ms; absent when `count` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_9_ms: Option<f64>,
    /// Largest sample, ms; absent when `count` is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<f64>,
    /// All samples as an HdrHistogram in µs (1 µs .. 60 s, 3 significant digits),
    /// V2-serialized (uncompressed) and base64-encoded with the standard alphabet.
    pub histogram: String,
    /// How the samples were measured.
    #[serde(default)]
    pub method: LatencyMethod,
}

/// What the input injector did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputStats {
    /// Input messages sent on the inputs channel, of all kinds.
    pub sent: u64,
    /// Of those, mouse motion or position messages.
    pub motion: u64,
    /// Motion acknowledgements received from the server.
    pub motion_acks: u64,
    /// Most motion messages that were sent but not yet acknowledged at any one time.
    pub max_unacked_motion: u64,
    /// Median of |actual send time − scheduled send time|, µs; absent if nothing was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pacing_error_p50_us: Option<f64>,
    /// 99th percentile of the same pacing error, µs; absent if nothing was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pacing_error_p99_us: Option<f64>,
    /// Whether the input thread ran under SCHED_FIFO; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realtime: Option<bool>,
    /// Planned pointer moves never sent because a newer one replaced them while the
    /// server's motion acks were awaited (the pointer went straight to the newer target).
    #[serde(default)]
    pub merged_motion: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn sample() -> RunResult {
        RunResult {
            scenario: ScenarioInfo {
                name: "typing".into(),
                file: "scenarios/typing.toml".into(),
                description: Some("type into xterm".into()),
            },
            config: ConfigInfo {
                name: "auto_glz-r2".into(),
                target: "xspice".into(),
                transport: ConfigTransport::Seen(Transport::Spice),
                compression: "auto_glz".into(),
                compression_mechanism: "server-setting".into(),
                viewer: ConfigViewer::Kind(ViewerKind::Native),
                viewer_version: Some("spicebench 0.1.0".into()),
                ssh_compression: false,
                tls: false,
                geometry: Some("1024x768".into()),
                repeat_index: 1,
                seed: 42,
                ..ConfigInfo::default()
            },
            started_at: "2024-05-01T12:00:00.250Z".into(),
            duration_s: 12.5,
            server: ServerInfo {
                address: "127.0.0.1:5930".into(),
                mouse_mode: Some("client".into()),
                net_test: None,
                software: None,
                vm_name: None,
                vm_uuid: None,
            },
            channels: vec![ChannelStats {
                channel: Channel::DISPLAY,
                channel_type: 2,
                channel_id: 0,
                server: "127.0.0.1:5930".into(),
                transport: Transport::Spice,
                client: None,
                leg: None,
                attribution: None,
                down: DirectionStats {
                    payload_bytes: 1000,
                    wire_bytes: Some(1200),
                    messages: 10,
                    packets: Some(12),
                    retransmitted_bytes: Some(0),
                },
                up: DirectionStats {
                    payload_bytes: 50,
                    wire_bytes: None,
                    messages: 2,
                    packets: None,
                    retransmitted_bytes: None,
                },
            }],
            messages: vec![MessageStats {
                channel: Channel::DISPLAY,
                direction: Direction::Down,
                msg_type: 304,
                name: "DRAW_COPY".into(),
                count: 3,
                bytes: 900,
            }],
            images: vec![ImageStats {
                image_type: "GLZ_RGB".into(),
                code: 104,
                count: 3,
                bytes: 800,
            }],
            timeline: Timeline {
                unit: Some(TimelineUnit::Wire),
                bin_ms: 100,
                start: "2024-05-01T12:00:01.250Z".into(),
                start_offset_s: 1.0,
                series: vec![Series {
                    key: SeriesKey::DISPLAY_DOWN,
                    bytes: vec![0, 1000, 0],
                }],
            },
            bursts: vec![Burst {
                start_s: 0.1,
                end_s: 0.2,
                events: 4,
            }],
            rates: vec![Rate {
                key: SeriesKey::DISPLAY_DOWN,
                mean_mib_s: 0.5,
                peak_1s_mib_s: 1.0,
            }],
            latency: Latency {
                input_to_display: LatencySummary {
                    source: "client".into(),
                    count: 1,
                    p50_ms: Some(3.0),
                    p90_ms: Some(3.0),
                    p99_ms: Some(3.0),
                    p99_9_ms: Some(3.0),
                    max_ms: Some(3.0),
                    histogram: "HISTEwAAAAA=".into(),
                    method: LatencyMethod::Probe,
                },
                settle_ms: Some(120.0),
                probe: Some(ProbeStats {
                    stamps: 5,
                    expected: 4,
                    answered: 4,
                    final_pointer: Some([10, 20]),
                    planned_end: Some([10, 20]),
                    ..ProbeStats::default()
                }),
                ..Latency::default()
            },
            inputs: InputStats {
                sent: 4,
                motion: 3,
                motion_acks: 0,
                max_unacked_motion: 3,
                pacing_error_p50_us: Some(80.0),
                pacing_error_p99_us: Some(400.0),
                realtime: Some(true),
                merged_motion: 0,
            },
            warnings: vec![Warning::new(
                crate::results::WarningCode::NoCapture,
                "no capture",
            )],
            capture: None,
            transports: Vec::new(),
            ..RunResult::default()
        }
    }

    #[test]
    fn json_round_trip_is_lossless() {
        let run = sample();
        let json = serde_json::to_string_pretty(&run).unwrap();
        let back: RunResult = serde_json::from_str(&json).unwrap();
        assert_eq!(back, run);
    }

    #[test]
    fn renamed_and_optional_fields_serialize_as_documented() {
        let v = serde_json::to_value(sample()).unwrap();
        assert_eq!(v["schema"], "spicebench.run/v2");
        assert_eq!(v["warnings"][0]["code"], "no_capture");
        assert_eq!(v["messages"][0]["type"], 304);
        assert_eq!(v["images"][0]["type"], "GLZ_RGB");
        assert!(v["messages"][0].get("msg_type").is_none());
        assert_eq!(v["channels"][0]["down"]["wire_bytes"], 1200);
        assert!(v["channels"][0]["up"].get("wire_bytes").is_none());
        assert!(v["server"].get("net_test").is_none());
        assert!(v["latency"].get("capture").is_none());
    }

    #[test]
    fn unknown_fields_and_missing_optionals_are_accepted() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["added_in_v1_1"] = serde_json::json!({"x": 1});
        v["server"]["future"] = serde_json::json!(true);
        v["server"].as_object_mut().unwrap().remove("mouse_mode");
        let back: RunResult = serde_json::from_value(v).unwrap();
        assert_eq!(back.server.mouse_mode, None);
        assert_eq!(back.server.address, "127.0.0.1:5930");
    }

    #[test]
    fn anchor_adds_the_offset_to_the_epoch() {
        let mut t = Timeline {
            start_offset_s: 1.5,
            ..Timeline::default()
        };
        t.anchor(UNIX_EPOCH + Duration::from_millis(250));
        assert_eq!(t.start, "1970-01-01T00:00:01.750Z");
        // A corrupt offset must not panic; it falls back to the epoch itself.
        t.start_offset_s = f64::NAN;
        t.anchor(UNIX_EPOCH);
        assert_eq!(t.start, "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn bins_reads_the_series_length() {
        assert_eq!(Timeline::default().bins(), 0);
        assert_eq!(sample().timeline.bins(), 3);
    }
}
