//! The checks behind every fuzz target, kept apart from libFuzzer so that
//! `tests/wire_never_panics.rs` runs exactly the same code on stable (it includes this file with
//! `#[path]`). Each `check_*` function takes the raw fuzz input; it returns normally for any
//! input the parsers handle correctly and panics only when a parser panics or breaks one of the
//! properties asserted here (round trips, framing independent of chunking).
//!
//! Only `std` and `spicebench` may be used here: the integration test has no other dependency.
//!
//! # Input layouts
//! - `link`: link header (16 bytes), then `header.size` bytes of body, then whatever follows
//!   (the client's auth mechanism or the server's link result).
//! - `messages`: a two-byte [`Selector`], then one message body.
//! - `framer`: one byte seeding the chunk sizes, then a message stream.
//! - `scenario`: scenario text, invalid UTF-8 replaced.
//! - `emulator`: 14 bytes of link profile and seed, then 3-byte operations (see
//!   [`check_emulator`]).

use std::path::Path;

use spicebench::analyze::heads::DisplayLedger;
use spicebench::scenario::{Access, Scenario, ScenarioError, Step};
use spicebench::wire::channel::ChannelType;
use spicebench::wire::common::{self, Notify, Ping, SetAck};
use spicebench::wire::cursor::{self, CursorState};
use spicebench::wire::display::{
    self, DisplayInit, DisplayUpdate, ImageInfo, MonitorsConfig, StreamCreate, SurfaceCreate,
};
use spicebench::wire::inputs::{self, InputMessage};
use spicebench::wire::link::{self, LinkError, LinkHeader, LinkMess, LinkReply};
use spicebench::wire::main_channel::{self, MainInit, MouseMode};
use spicebench::wire::names::{self, Direction};
use spicebench::wire::pixels;
use spicebench::wire::{Framer, HeaderKind, RawMessage, WireError};

/// Bit of selector byte 0 marking a client → server message.
pub const CLIENT_TO_SERVER: u8 = 0x80;

/// Channels a message is tried on "as if it were every channel" (plus one unknown type, which
/// must parse as nothing rather than fail).
pub const CHANNELS: [ChannelType; 5] = [
    ChannelType::MAIN,
    ChannelType::DISPLAY,
    ChannelType::INPUTS,
    ChannelType::CURSOR,
    ChannelType(42),
];

/// The first two bytes of a `messages` input: which channel, direction and type the body is.
///
/// Byte 0 is the channel type, `| 0x80` for client → server. Byte 1 is the message type, except
/// that values 200..=255 stand for types 300..=355 (the display draw range), so every type the
/// protocol defines fits in one byte and a seed's hex dump still reads as the type number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selector {
    /// Channel the body arrived on.
    pub channel: ChannelType,
    /// Which way it went.
    pub direction: Direction,
    /// Message type.
    pub msg_type: u16,
}

impl Selector {
    /// Decodes the two selector bytes.
    pub fn decode(bytes: [u8; 2]) -> Self {
        Self {
            channel: ChannelType(bytes[0] & !CLIENT_TO_SERVER),
            direction: if bytes[0] & CLIENT_TO_SERVER != 0 {
                Direction::Up
            } else {
                Direction::Down
            },
            msg_type: match bytes[1] {
                b @ 200.. => u16::from(b) + 100,
                b => u16::from(b),
            },
        }
    }
}

/// What the parser a real observer would pick made of a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// SET_ACK.
    SetAck(SetAck),
    /// PING, or the PONG that echoes it.
    Ping(Ping),
    /// NOTIFY.
    Notify(Notify),
    /// DISCONNECTING: the reason code.
    Disconnecting(u32),
    /// MAIN_INIT.
    MainInit(MainInit),
    /// CHANNELS_LIST.
    ChannelsList(Vec<(ChannelType, u8)>),
    /// MOUSE_MODE.
    MouseMode(MouseMode),
    /// A display message run through `parse_update` (`None`: not an update).
    Update(Option<DisplayUpdate>),
    /// SURFACE_CREATE.
    SurfaceCreate(SurfaceCreate),
    /// STREAM_CREATE.
    StreamCreate(StreamCreate),
    /// MONITORS_CONFIG.
    MonitorsConfig(MonitorsConfig),
    /// STREAM_DESTROY: the stream id.
    StreamDestroy(u32),
    /// DISPLAY_INIT.
    DisplayInit(DisplayInit),
    /// INPUTS_INIT / KEY_MODIFIERS, either direction.
    Modifiers(u16),
    /// A client input message.
    Input(InputMessage),
    /// CURSOR_INIT / SET / MOVE.
    Cursor(CursorState),
    /// A type the wire module has no parser for (ACK, MARK, ...): nothing to check.
    NoParser,
}

/// Parses `body` with the parser an observer picks for this channel, direction and type.
pub fn parse_as(sel: Selector, body: &[u8]) -> Result<Parsed, WireError> {
    use Direction::{Down, Up};
    let t = sel.msg_type;
    // Types below 101 are common to every channel (§4).
    if t < 101 {
        return Ok(match (sel.direction, t) {
            (Down, common::server::SET_ACK) => Parsed::SetAck(SetAck::parse(body)?),
            (Down, common::server::PING) => Parsed::Ping(Ping::parse(body)?),
            (Down, common::server::NOTIFY) => Parsed::Notify(Notify::parse(body)?),
            (Down, common::server::DISCONNECTING) => {
                Parsed::Disconnecting(common::parse_disconnecting(body)?)
            }
            // A PONG carries the PING's id and timestamp in the same layout.
            (Up, common::client::PONG) => Parsed::Ping(Ping::parse(body)?),
            _ => Parsed::NoParser,
        });
    }
    Ok(match (sel.channel, sel.direction) {
        (ChannelType::MAIN, Down) => match t {
            main_channel::server::INIT => Parsed::MainInit(MainInit::parse(body)?),
            main_channel::server::CHANNELS_LIST => {
                Parsed::ChannelsList(main_channel::parse_channels_list(body)?)
            }
            main_channel::server::MOUSE_MODE => Parsed::MouseMode(MouseMode::parse(body)?),
            _ => Parsed::NoParser,
        },
        (ChannelType::DISPLAY, Down) => match t {
            _ if display::is_update(t) => Parsed::Update(display::parse_update(t, body)?),
            display::server::SURFACE_CREATE => Parsed::SurfaceCreate(SurfaceCreate::parse(body)?),
            display::server::STREAM_CREATE => Parsed::StreamCreate(StreamCreate::parse(body)?),
            display::server::MONITORS_CONFIG => {
                Parsed::MonitorsConfig(MonitorsConfig::parse(body)?)
            }
            display::server::STREAM_DESTROY => {
                Parsed::StreamDestroy(display::parse_stream_destroy(body)?)
            }
            _ => Parsed::NoParser,
        },
        (ChannelType::DISPLAY, Up) if t == display::client::INIT => {
            Parsed::DisplayInit(DisplayInit::parse(body)?)
        }
        (ChannelType::INPUTS, Down)
            if matches!(t, inputs::server::INIT | inputs::server::KEY_MODIFIERS) =>
        {
            Parsed::Modifiers(inputs::parse_modifiers(body)?)
        }
        (ChannelType::INPUTS, Up) if t == inputs::client::KEY_MODIFIERS => {
            Parsed::Modifiers(inputs::parse_modifiers(body)?)
        }
        (ChannelType::INPUTS, Up) => {
            InputMessage::parse(t, body)?.map_or(Parsed::NoParser, Parsed::Input)
        }
        (ChannelType::CURSOR, Down)
            if matches!(
                t,
                cursor::server::INIT | cursor::server::SET | cursor::server::MOVE
            ) =>
        {
            match cursor::parse_cursor(t, body)? {
                Some(state) => Parsed::Cursor(state),
                None => panic!("parse_cursor returned None for cursor type {t}"),
            }
        }
        _ => Parsed::NoParser,
    })
}

/// Runs every body parser in the wire module on `body` (the type-dependent ones with
/// `msg_type`), checking parse → emit → reparse for each codec that can emit.
pub fn every_parser(msg_type: u16, body: &[u8]) {
    if let Ok(s) = SetAck::parse(body) {
        let emitted = s.emit();
        assert_eq!(emitted, body[..8], "SET_ACK emit differs from its input");
        assert_eq!(SetAck::parse(&emitted), Ok(s));
    }
    if let Ok(p) = Ping::parse(body) {
        assert_eq!(p.payload_len, body.len() - 12, "PING padding miscounted");
        let pong = p.pong();
        assert_eq!(pong, body[..12], "PONG does not echo the PING");
        let back = Ping::parse(&pong).expect("a PONG parses as a PING");
        assert_eq!(
            (back.id, back.timestamp, back.payload_len),
            (p.id, p.timestamp, 0)
        );
    }
    let _ = Notify::parse(body);
    let _ = common::parse_disconnecting(body);

    if let Ok(init) = MainInit::parse(body) {
        let emitted = init.emit();
        assert_eq!(emitted, body[..32], "MAIN_INIT emit differs from its input");
        assert_eq!(MainInit::parse(&emitted), Ok(init));
    }
    if let Ok(list) = main_channel::parse_channels_list(body) {
        let emitted = main_channel::emit_channels_list(&list);
        assert_eq!(
            emitted,
            body[..4 + 2 * list.len()],
            "CHANNELS_LIST emit differs from its input"
        );
        assert_eq!(main_channel::parse_channels_list(&emitted), Ok(list));
    }
    let _ = MouseMode::parse(body);

    if let Ok(Some(m)) = InputMessage::parse(msg_type, body) {
        assert_eq!(m.msg_type(), msg_type, "input parsed as another type");
        let emitted = m.emit();
        assert_eq!(
            emitted,
            body[..emitted.len()],
            "input emit differs from its input"
        );
        assert_eq!(InputMessage::parse(msg_type, &emitted), Ok(Some(m)));
    }
    let _ = inputs::parse_modifiers(body);

    check_update(msg_type, body);
    if let Ok(init) = DisplayInit::parse(body) {
        let emitted = init.emit();
        assert_eq!(
            emitted,
            body[..14],
            "DISPLAY_INIT emit differs from its input"
        );
        assert_eq!(DisplayInit::parse(&emitted), Ok(init));
    }
    let _ = SurfaceCreate::parse(body).map(|s| s.is_primary());
    let _ = StreamCreate::parse(body).map(|s| s.dest.area());
    if let Ok(m) = MonitorsConfig::parse(body) {
        let emitted = m.emit();
        let len = 4 + m.heads.len() * display::Head::LEN;
        assert_eq!(
            emitted,
            body[..len],
            "MONITORS_CONFIG emit differs from its input"
        );
        assert_eq!(MonitorsConfig::parse(&emitted), Ok(m.clone()));
        for h in &m.heads {
            let _ = h.rect().area();
        }
    }
    let _ = display::parse_stream_destroy(body);
    let _ = display::parse_surface_destroy(body);
    check_ledger(msg_type, body);
    // Images are reached through offsets inside the body: try the start and wherever the first
    // and last words point, which is where mutated offsets land.
    for offset in [
        0,
        word_at(body, 0),
        word_at(body, body.len().saturating_sub(4)),
    ] {
        if let Ok(image) = display::parse_image(body, offset) {
            check_image(body, offset, &image);
        }
    }

    let _ = cursor::parse_cursor(msg_type, body);
    for direction in [Direction::Down, Direction::Up] {
        for channel in CHANNELS {
            let _ = names::message_name(channel, direction, msg_type);
        }
    }
}

/// The per-head ledger takes any body as its type and as the layout messages around it, and
/// its shares still add up: heads plus unattributed is every update byte.
fn check_ledger(msg_type: u16, body: &[u8]) {
    let mut ledger = DisplayLedger::default();
    for t in [
        display::server::SURFACE_CREATE,
        display::server::MONITORS_CONFIG,
        display::server::STREAM_CREATE,
        msg_type,
        display::server::STREAM_DATA,
        display::server::STREAM_DATA_SIZED,
        display::server::STREAM_DESTROY,
        display::server::STREAM_DESTROY_ALL,
    ] {
        ledger.on_message(t, body, body.len() as u64 + 6);
    }
    let d = ledger.heads(0, None);
    let heads: u64 = d.heads.iter().map(|h| h.bytes).sum();
    assert_eq!(heads + d.unattributed.bytes, d.update_bytes, "{d:?}");
    let s = ledger.streams().stats();
    assert!(s.flaps <= s.destroyed && s.frames <= d.updates, "{s:?}");
}

fn word_at(body: &[u8], at: usize) -> u32 {
    body.get(at..at + 4)
        .map_or(0, |w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// `parse_update` must answer `Some` exactly for update types, and every image it reports must
/// fit in the body it came from.
fn check_update(msg_type: u16, body: &[u8]) {
    match display::parse_update(msg_type, body) {
        Ok(None) => assert!(!display::is_update(msg_type), "update type gave None"),
        Ok(Some(update)) => {
            assert!(
                display::is_update(msg_type),
                "non-update type gave an update"
            );
            if let DisplayUpdate::Draw {
                msg_type: t,
                area,
                images,
                ..
            } = &update
            {
                assert_eq!(*t, msg_type);
                let _ = area.area();
                for image in images {
                    assert!(image.payload_bytes <= body.len() as u64, "{image:?}");
                    let _ = names::image_type_name(image.code);
                }
            }
        }
        Err(_) => {}
    }
    check_pixels(msg_type, body);
}

/// Reading a pixel never panics; a colour read is 24 bits and comes from a box that covers the
/// point; a probe stamp is a colour some message paints at the square's centre.
fn check_pixels(msg_type: u16, body: &[u8]) {
    let (cx, cy) = spicebench::probe::stamp::sample_point();
    for (x, y) in [
        (cx, cy),
        (0, 0),
        (1010, 767),
        (i32::MAX, i32::MIN),
        (-1, -1),
    ] {
        if let Ok(Some(p)) = pixels::colour_at(msg_type, body, x, y) {
            assert!(p.colour <= 0x00ff_ffff, "{p:?}");
            assert!(p.area.contains(x, y), "{p:?} does not cover ({x}, {y})");
        }
    }
    if let Some(colour) = spicebench::probe::probe_stamp(msg_type, body) {
        let at = pixels::colour_at(msg_type, body, cx, cy).ok().flatten();
        assert_eq!(at.map(|p| p.colour), Some(colour));
    }
}

fn check_image(body: &[u8], offset: u32, image: &ImageInfo) {
    // Descriptor (18 bytes) at `offset`, then at least the payload it declares.
    assert!(
        image.payload_bytes + u64::from(offset) + 18 <= body.len() as u64,
        "image at {offset} claims {} bytes of a {}-byte body",
        image.payload_bytes,
        body.len()
    );
}

/// `messages` target: selector + body → the observer's parser, then every parser.
pub fn check_message(data: &[u8]) -> Option<Result<Parsed, WireError>> {
    let (sel, body) = match data {
        [a, b, body @ ..] => (Selector::decode([*a, *b]), body),
        _ => return None,
    };
    let parsed = parse_as(sel, body);
    every_parser(sel.msg_type, body);
    Some(parsed)
}

/// `link` target: header, link message or reply, then the trailing link result.
pub fn check_link(data: &[u8]) -> Result<LinkHeader, WireError> {
    let (head, after) = data.split_at(data.len().min(link::HEADER_LEN));
    let header = LinkHeader::parse(head);
    // Without a valid header, still try the bodies so the fuzzer is not stuck behind `REDQ`.
    let body_len = match &header {
        Ok(h) => {
            assert_eq!(h.major, link::VERSION_MAJOR);
            assert!(h.size <= link::MAX_LINK_BODY);
            after.len().min(h.size as usize)
        }
        Err(_) => after.len(),
    };
    let (body, trailer) = after.split_at(body_len);

    if let Ok(m) = LinkMess::parse(body) {
        let _ = m.channel_type.name();
        let emitted = m.emit();
        check_emitted_link(&emitted, link::LINK_MESS_LEN);
        assert_eq!(LinkMess::parse(&emitted[link::HEADER_LEN..]), Ok(m));
    }
    if let Ok(r) = LinkReply::parse(body) {
        assert_eq!(r.pub_key.len(), link::PUB_KEY_LEN);
        let emitted = r.emit();
        check_emitted_link(&emitted, link::LINK_REPLY_LEN);
        assert_eq!(LinkReply::parse(&emitted[link::HEADER_LEN..]), Ok(r));
    }
    for bytes in [trailer, data] {
        if let Ok(Some(e)) = link::parse_link_result(bytes) {
            // Only a non-zero code is an error, and it maps back to the same value.
            let code = word_at(bytes, 0);
            assert_ne!(code, 0, "link result 0 is success, not {e:?}");
            assert_eq!(LinkError::from_code(code), Some(e));
            assert!(!e.name().is_empty() && !e.advice().is_empty());
        }
    }
    header
}

/// An emitted link message must carry a header that describes it; when it is small enough for
/// a peer to accept, our own header parser must accept it too.
fn check_emitted_link(emitted: &[u8], fixed_len: usize) {
    assert_eq!(&emitted[..4], &link::MAGIC);
    let size = word_at(emitted, 12);
    assert_eq!(size as usize, emitted.len() - link::HEADER_LEN);
    assert!(size as usize >= fixed_len);
    if size <= link::MAX_LINK_BODY {
        let h = LinkHeader::parse(emitted).expect("emitted link header reparses");
        assert_eq!(h.size, size);
    }
}

/// What a [`Framer`] made of a stream.
#[derive(Debug, PartialEq)]
pub struct Framed {
    /// Messages popped, in order.
    pub messages: Vec<RawMessage>,
    /// The error that stopped framing, if any.
    pub error: Option<WireError>,
    /// Bytes left in the framer (only comparable when there was no error).
    pub pending: usize,
}

/// Pushes `chunks` one at a time into a fresh framer, popping until `None` or an error after
/// each push, as the client's read loop does.
pub fn frame<'a>(kind: HeaderKind, chunks: impl IntoIterator<Item = &'a [u8]>) -> Framed {
    let mut f = Framer::new(kind);
    let mut messages = Vec::new();
    for chunk in chunks {
        f.push(chunk);
        loop {
            match f.pop() {
                Ok(Some(m)) => {
                    assert_eq!(m.body.len(), m.header.size as usize);
                    assert_eq!(m.header.serial.is_some(), kind == HeaderKind::Full);
                    messages.push(m);
                }
                Ok(None) => break,
                Err(e) => {
                    return Framed {
                        messages,
                        error: Some(e),
                        pending: f.pending(),
                    }
                }
            }
        }
    }
    Framed {
        messages,
        error: None,
        pending: f.pending(),
    }
}

/// Cuts `stream` into pieces whose sizes come from a xorshift seeded by `seed`: mostly smaller
/// than a header (to split headers and bodies at every point), sometimes empty, sometimes large.
pub fn chunks(stream: &[u8], seed: u8) -> Vec<&[u8]> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(seed);
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let n = match state % 8 {
            0 => 0,
            1 => (state >> 8) as usize % 4096,
            _ => (state >> 8) as usize % 24,
        };
        let (head, tail) = rest.split_at(n.min(rest.len()));
        out.push(head);
        rest = tail;
    }
    out
}

/// `framer` target: both header kinds; framing must not depend on how the bytes arrive, every
/// byte must be accounted for, and every message is parsed as if on every channel.
pub fn check_framer(data: &[u8]) -> Vec<Framed> {
    let Some((&seed, stream)) = data.split_first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for kind in [HeaderKind::Mini, HeaderKind::Full] {
        let whole = frame(kind, [stream]);
        let chunked = frame(kind, chunks(stream, seed));
        assert_eq!(
            whole.messages, chunked.messages,
            "{kind:?}: chunking changed the messages"
        );
        assert_eq!(
            whole.error, chunked.error,
            "{kind:?}: chunking changed the error"
        );
        let used: usize = whole.messages.iter().map(|m| m.stream_len(kind)).sum();
        if whole.error.is_none() {
            assert_eq!(whole.pending, chunked.pending);
            assert_eq!(used + whole.pending, stream.len(), "{kind:?}: bytes lost");
        } else {
            assert!(used + kind.header_len() <= stream.len());
        }
        for m in &whole.messages {
            for channel in CHANNELS {
                for direction in [Direction::Down, Direction::Up] {
                    let sel = Selector {
                        channel,
                        direction,
                        msg_type: m.msg_type(),
                    };
                    let _ = parse_as(sel, &m.body);
                }
            }
            every_parser(m.msg_type(), &m.body);
        }
        out.push(whole);
    }
    out
}

/// `scenario` target: lossy UTF-8 → `Scenario::parse`, then what a run derives from it.
pub fn check_scenario(data: &[u8]) -> Result<Scenario, ScenarioError> {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("fuzz.toml");
    let result = Scenario::parse(&text, path);
    match &result {
        Ok(s) => {
            assert_eq!(s.source, path);
            assert!(!s.steps.is_empty(), "a valid scenario has steps");
            let runs = spicebench::plan::configurations(s);
            // Every (transport, viewer) pair the file lists can run: the ones that cannot are
            // refused when it loads.
            let access = &s.access;
            let pairs = access.routes.len() * access.viewers.len();
            assert!(access.routes.iter().all(|r| access
                .viewers
                .iter()
                .all(|v| Access::refusal(*r, *v).is_none())));
            assert_eq!(
                runs.len(),
                s.target.compression().len()
                    * spicebench::plan::knob_combinations(s.target.knobs()).len()
                    * s.desktop.compositor.len()
                    * pairs
                    * s.repeat as usize
            );
            // Expanding a 600 s × 1000 Hz drag is legal but slow; fuzz iterations stay fast by
            // expanding only plans of modest size.
            let drags = s.steps.iter().filter(|st| matches!(st, Step::Drag(_)));
            let estimate: f64 = drags
                .clone()
                .map(|st| match st {
                    Step::Drag(d) => d.duration.as_secs_f64() * f64::from(d.rate_hz) + 3.0,
                    _ => 0.0,
                })
                .sum();
            // Only plans of drags and pauses: other steps make bursts of their own.
            let simple = s
                .steps
                .iter()
                .all(|st| matches!(st, Step::Drag(_) | Step::Pause(_)));
            if simple && estimate <= 20_000.0 {
                let plan = spicebench::plan::input_plan(s, s.seed);
                assert_eq!(plan.bursts.len(), drags.count());
                let in_bursts: usize = plan.bursts.iter().map(|b| b.events).sum();
                assert_eq!(in_bursts, plan.events.len());
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("fuzz.toml"),
                "error does not name the file: {msg}"
            );
            if let Some(line) = e.line() {
                let lines = 1 + text.bytes().filter(|&b| b == b'\n').count();
                assert!((1..=lines).contains(&line), "line {line} of {lines}: {msg}");
            }
            let _ = e.key();
        }
    }
    result
}

/// A capture file (pcap or pcapng bytes) read and analysed end to end, as `spicebench
/// analyze` does: never a panic, and the result accounts for no more packets than were read.
pub fn check_capture(data: &[u8]) -> Option<spicebench::results::RunResult> {
    use spicebench::analyze::{analyze_source, capture_result::capture_result, AnalyzeOptions};
    let mut source = spicebench::capture::from_reader(
        std::io::Cursor::new(data.to_vec()),
        std::path::Path::new("fuzz-input"),
    )
    .ok()?;
    let (analyzer, _cut) = analyze_source(source.as_mut(), AnalyzeOptions::default()).ok()?;
    let r = capture_result(&analyzer, spicebench::results::CaptureInfo::default());
    let counted: u64 = r
        .channels
        .iter()
        .map(|c| c.down.packets.unwrap_or(0) + c.up.packets.unwrap_or(0))
        .sum();
    assert!(
        counted <= analyzer.packets,
        "{counted} counted of {} read",
        analyzer.packets
    );
    Some(r)
}

/// `resync`: byte 0 seeds chunk sizes and a hole, the rest is a server → client message
/// stream (or anything). The channel guess, the incremental boundary search and a mid-stream
/// walk with a hole must not panic, and what they report must lie inside the data: a guess
/// rests on a whole chain; a boundary found has a header's room before the data's end; a walk
/// regains step nowhere past the stream's end. Returns the guess.
pub fn check_resync(data: &[u8]) -> Option<spicebench::analyze::resync::ChannelGuess> {
    use spicebench::analyze::resync::{guess_channel, BoundarySearch, CHAIN};
    use spicebench::analyze::spice_stream::SpiceStream;
    let (&seed, stream) = data.split_first()?;
    let guess = guess_channel(stream);
    if let Some(g) = guess {
        assert!(
            g.headers >= CHAIN,
            "{g:?} rests on fewer than {CHAIN} headers"
        );
    }
    let (channel, kind) = guess.map_or((ChannelType::DISPLAY, HeaderKind::Mini), |g| {
        (g.channel, g.kind)
    });
    let chunk = usize::from(seed % 61) + 1;
    let mut search = BoundarySearch::default();
    for end in (chunk..stream.len() + chunk).step_by(chunk) {
        let so_far = &stream[..end.min(stream.len())];
        if let Some(k) = search.advance(so_far, kind, channel, Direction::Down) {
            assert!(
                k + kind.header_len() <= so_far.len(),
                "boundary {k} of {}",
                so_far.len()
            );
            break;
        }
    }
    let mut walk = SpiceStream::mid_stream(channel, kind);
    let hole = u64::from(seed >> 4) * 97;
    let mut ignore = |_| {};
    for (i, piece) in stream.chunks(chunk).enumerate() {
        if i == 1 && hole > 0 {
            walk.gap(Direction::Down, hole);
        }
        walk.feed(Direction::Down, i as u64, piece, &mut ignore);
    }
    walk.end(&mut ignore);
    let total = stream.len() as u64 + hole;
    for r in &walk.obs.resyncs {
        assert!(
            r.regained_at.is_none_or(|at| at <= total),
            "{r:?} past {total}"
        );
    }
    guess
}

/// `proc`: the bytes as a `/proc/<pid>/stat` line and as `/proc/stat`, read as the CPU
/// accounting reads them: never a panic, and what they give is consistent (busy ticks never
/// above all ticks). Returns both.
pub fn check_proc(
    data: &[u8],
) -> (
    Option<spicebench::lab::cpu::ProcStat>,
    Option<spicebench::lab::cpu::MachineTicks>,
) {
    use spicebench::lab::cpu::{parse_machine, parse_stat};
    let text = String::from_utf8_lossy(data);
    let machine = parse_machine(&text);
    if let Some(m) = machine {
        assert!(m.busy <= m.total, "{m:?}");
    }
    (parse_stat(&text), machine)
}

/// `emulator`: the link emulator ([`spicebench::link::Direction`]) driven by bytes: never a
/// panic, whatever the profile, packet sizes or times (also going backwards), and its
/// promises hold: packets come out whole and in the order pushed, none before the link's
/// delay after it was pushed, and every pushed packet is counted once (delivered, dropped by
/// the queue, or lost). Returns the counters.
///
/// Layout: byte 0 the rate (0: none, else `2^(b % 40)` bit/s); bytes 1–2 the delay in ms
/// (little-endian); byte 3 the jitter in ms; byte 4 the loss, `b / 200` (so above 1 too);
/// byte 5 the queue (`b % 3`: `b / 3` packets, `(b / 3) * 97` bytes, unlimited); bytes 6–13 the
/// seed. Then each 3 bytes: byte 0 bit 0 picks push (0) or pop (1), the rest of it times 37
/// (mod 70,000) is a pushed packet's length; bytes 1–2 move the time by an i16 in 100 µs
/// steps.
pub fn check_emulator(data: &[u8]) -> spicebench::link::Counters {
    use spicebench::link::{Direction, Fate, LinkProfile, QueueLimit, Rate};
    use std::collections::VecDeque;
    use std::time::Duration;

    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let rate = match byte(0) {
        0 => None,
        b => Rate::from_bits_per_second(1u64 << (b % 40)),
    };
    let delay = Duration::from_millis(u64::from(u16::from_le_bytes([byte(1), byte(2)])));
    let limit = u64::from(byte(5) / 3);
    let profile = LinkProfile {
        rate,
        delay,
        jitter: Duration::from_millis(u64::from(byte(3))),
        loss: f64::from(byte(4)) / 200.0,
        queue: match byte(5) % 3 {
            0 => QueueLimit::Packets(limit),
            1 => QueueLimit::Bytes(limit * 97),
            _ => QueueLimit::Unlimited,
        },
    };
    let seed = u64::from_le_bytes(std::array::from_fn(|i| byte(6 + i)));
    let mut link = Direction::new(profile, seed);
    // What must come out, in order, and the latest time seen when each was pushed.
    let mut expected: VecDeque<Vec<u8>> = VecDeque::new();
    let mut now = Duration::ZERO;
    let mut latest = Duration::ZERO;
    let mut pushed: u64 = 0;
    let mut last_due = Duration::ZERO;
    for op in data.get(14..).unwrap_or_default().chunks(3) {
        let step = i16::from_le_bytes([
            op.get(1).copied().unwrap_or(0),
            op.get(2).copied().unwrap_or(0),
        ]);
        let delta = Duration::from_micros(u64::from(step.unsigned_abs()) * 100);
        now = if step < 0 {
            now.saturating_sub(delta)
        } else {
            now.saturating_add(delta)
        };
        latest = latest.max(now);
        if op[0] & 1 == 0 {
            let len = (usize::from(op[0] >> 1) * 37) % 70_000;
            let packet: Vec<u8> = (0..len)
                .map(|i| (pushed as u8).wrapping_add(i as u8))
                .collect();
            pushed += 1;
            match link.push(packet.clone(), now) {
                Fate::Due(due) => {
                    assert!(
                        due >= latest.saturating_add(delay),
                        "due {due:?} before the delay"
                    );
                    assert!(
                        due >= last_due,
                        "due {due:?} before its predecessor's {last_due:?}"
                    );
                    last_due = due;
                    expected.push_back(packet);
                }
                Fate::QueueFull | Fate::Lost => {}
            }
        } else {
            while let Some(out) = link.pop_due(now) {
                assert_eq!(Some(out), expected.pop_front(), "out of order or altered");
            }
            if let Some(due) = link.next_due() {
                assert!(
                    due > latest,
                    "a packet due at {due:?} was not popped at {latest:?}"
                );
            }
        }
    }
    while let Some(out) = link.pop_due(Duration::MAX) {
        assert_eq!(Some(out), expected.pop_front(), "out of order or altered");
    }
    assert!(
        expected.is_empty(),
        "{} packets never came out",
        expected.len()
    );
    let c = link.counters();
    assert_eq!(c.packets_in, pushed);
    assert_eq!(
        c.packets_in,
        c.packets_out + c.queue_drops + c.lost,
        "{c:?}"
    );
    assert_eq!(
        c.bytes_in,
        c.bytes_out + c.queue_drop_bytes + c.lost_bytes,
        "{c:?}"
    );
    c
}
