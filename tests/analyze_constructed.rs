//! A capture built by hand, frame by frame, with timestamps chosen so that every latency
//! sample can be worked out on paper: the oracle for the capture analyser's latency that
//! neither a recording nor the analyser's own output provides.
//!
//! One session (main, display, inputs on 127.0.0.1:5900) whose link stages are made with
//! the protocol's own layouts; then, with t = 1 s after the start:
//!
//! | input (MOUSE_POSITION) | display updates after it | sample |
//! |---|---|---|
//! | t + 0 ms | t + 3 ms | 3.0 ms |
//! | t + 10 ms | t + 12.5 ms | 2.5 ms |
//! | t + 20 ms | one at exactly t + 20 ms (not after it), then t + 25.5 ms | 5.5 ms |
//! | t + 30 ms | t + 40 ms, t + 50 ms | 10.0 ms |
//!
//! and one idle update at t − 500 ms, before any input, which answers nothing. Sorted
//! samples 2.5, 3.0, 5.5, 10.0: nearest-rank p50 3.0 ms, p90 and max 10.0 ms.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;

use etherparse::PacketBuilder;
use spicebench::capture::{LinkType, PcapngWriter};
use spicebench::client::caps;
use spicebench::results::Channel;
use spicebench::wire::header::emit_message;
use spicebench::wire::inputs::{self, InputMessage};
use spicebench::wire::link::{LinkMess, LinkReply};
use spicebench::wire::main_channel::{self, MainInit};
use spicebench::wire::{display, ChannelType, HeaderKind};

const T0_NS: u64 = 1_800_000_000_000_000_000;
const MS: u64 = 1_000_000;
const SERVER_PORT: u16 = 5900;
const SESSION: u32 = 0x5eed;

/// One TCP connection's two sequence counters, and the frames it produced.
struct Conn {
    client_port: u16,
    seq: [u32; 2],
}

#[derive(Clone, Copy)]
enum Side {
    Client,
    Server,
}

struct Capture {
    frames: Vec<(u64, Vec<u8>)>,
}

impl Capture {
    fn segment(&mut self, at_ns: u64, c: &mut Conn, from: Side, flags: &str, payload: &[u8]) {
        let (si, ri) = match from {
            Side::Client => (0, 1),
            Side::Server => (1, 0),
        };
        let (sport, dport) = match from {
            Side::Client => (c.client_port, SERVER_PORT),
            Side::Server => (SERVER_PORT, c.client_port),
        };
        let ip = Ipv4Addr::LOCALHOST.octets();
        let mut b = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4(ip, ip, 64)
            .tcp(sport, dport, c.seq[si], 65_535);
        if flags.contains('S') {
            b = b.syn();
        }
        if flags.contains('A') {
            b = b.ack(c.seq[ri]);
        }
        if !payload.is_empty() {
            b = b.psh();
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        self.frames.push((at_ns, out));
        let used = payload.len() as u32 + u32::from(flags.contains('S'));
        c.seq[si] = c.seq[si].wrapping_add(used);
    }

    /// Handshake and link stage of one channel, from `at_ns` on, 10 µs a frame.
    fn open(&mut self, at_ns: u64, client_port: u16, channel: ChannelType, id: u32) -> Conn {
        let mut c = Conn {
            client_port,
            seq: [1_000 * u32::from(client_port), 7_000_000],
        };
        let mess = LinkMess {
            connection_id: id,
            channel_type: channel,
            channel_id: 0,
            common_caps: caps::common(),
            channel_caps: caps::channel(channel),
        };
        let reply = LinkReply {
            error: 0,
            pub_key: vec![0x30; 162],
            common_caps: caps::common(),
            channel_caps: caps::channel(channel),
        };
        let steps: [(Side, &str, Vec<u8>); 7] = [
            (Side::Client, "S", Vec::new()),
            (Side::Server, "SA", Vec::new()),
            (Side::Client, "A", mess.emit()),
            (Side::Server, "A", reply.emit()),
            // The auth mechanism (SPICE), then the encrypted ticket.
            (Side::Client, "A", 1u32.to_le_bytes().to_vec()),
            (Side::Client, "A", vec![0xab; 128]),
            (Side::Server, "A", 0u32.to_le_bytes().to_vec()),
        ];
        for (i, (side, flags, payload)) in steps.into_iter().enumerate() {
            self.segment(at_ns + i as u64 * 10_000, &mut c, side, flags, &payload);
        }
        c
    }

    fn write(&self, path: &Path) {
        let file = std::fs::File::create(path).unwrap();
        let mut w = PcapngWriter::new(file, &[(LinkType::Ethernet, 262_144, "lo")]).unwrap();
        let mut frames = self.frames.clone();
        frames.sort_by_key(|(t, _)| *t);
        for (t, f) in &frames {
            w.write_packet(0, *t, f.len() as u32, f).unwrap();
        }
        w.flush().unwrap();
    }
}

fn msg(msg_type: u16, body: &[u8]) -> Vec<u8> {
    emit_message(HeaderKind::Mini, 0, msg_type, body)
}

#[test]
fn latency_samples_of_a_hand_built_capture_are_the_ones_worked_out_by_hand() {
    let mut cap = Capture { frames: Vec::new() };
    let mut main = cap.open(T0_NS, 40_001, ChannelType::MAIN, 0);
    let init = MainInit {
        session_id: SESSION,
        display_channels_hint: 1,
        supported_mouse_modes: 3,
        current_mouse_mode: 2,
        agent_connected: 0,
        agent_tokens: 0,
        multi_media_time: 0,
        ram_hint: 0,
    };
    cap.segment(
        T0_NS + 100 * MS,
        &mut main,
        Side::Server,
        "A",
        &msg(main_channel::server::INIT, &init.emit()),
    );
    let mut disp = cap.open(T0_NS + 200 * MS, 40_002, ChannelType::DISPLAY, SESSION);
    let mut inp = cap.open(T0_NS + 300 * MS, 40_003, ChannelType::INPUTS, SESSION);

    let t = T0_NS + 1_000 * MS;
    // A solid fill of an 8×8 box away from the probe square: an update, no stamp.
    let fill = {
        let mut b = Vec::new();
        b.extend(0u32.to_le_bytes()); // surface
        for v in [100u32, 100, 108, 108] {
            b.extend(v.to_le_bytes()); // box: top, left, bottom, right
        }
        b.push(0); // clip: none
        b.extend([0u8; 20]); // brush, rop and mask, unread for timing
        b
    };
    let update = |cap: &mut Capture, disp: &mut Conn, at: u64| {
        cap.segment(
            at,
            disp,
            Side::Server,
            "A",
            &msg(display::server::DRAW_FILL, &fill),
        );
    };
    update(&mut cap, &mut disp, t - 500 * MS);
    for (i, at) in [0, 10, 20, 30].into_iter().enumerate() {
        let position = InputMessage::Position {
            x: 200 + i as u32,
            y: 200,
            buttons: 0,
            display_id: 0,
        };
        cap.segment(
            t + at * MS,
            &mut inp,
            Side::Client,
            "A",
            &msg(inputs::client::MOUSE_POSITION, &position.emit()),
        );
    }
    for at_us in [3_000, 12_500, 20_000, 25_500, 40_000, 50_000] {
        update(&mut cap, &mut disp, t + at_us * 1_000);
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("constructed.pcapng");
    cap.write(&path);
    let r = common::analyze_json(&path);
    let mut names: Vec<String> = r.channels.iter().map(|c| c.channel.name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["display", "inputs", "main"], "{:?}", r.warnings);
    let l = &r.latency.input_to_display;
    assert_eq!(
        (l.count, l.p50_ms, l.p90_ms, l.max_ms),
        (4, Some(3.0), Some(10.0), Some(10.0)),
        "{l:?} {:?}",
        r.warnings
    );
    let sent = |channel: Channel, ty: u16| {
        r.messages
            .iter()
            .find(|m| m.channel == channel && m.msg_type == ty)
            .map(|m| m.count)
    };
    assert_eq!(
        sent(Channel::INPUTS, inputs::client::MOUSE_POSITION),
        Some(4)
    );
    assert_eq!(sent(Channel::DISPLAY, display::server::DRAW_FILL), Some(7));
}
