//! The fuzz targets' checks, run deterministically in plain `cargo test` (no nightly, no
//! libFuzzer): every seed under `fuzz/seeds/<target>/` and 2,000 seeded mutations of each go
//! through the same `check_*` functions the fuzz targets call (`fuzz/src/lib.rs`, included
//! below). A mutation that panics fails the test with its input in hex.
//!
//! The unmutated seeds are real traffic cut from `shared/captures/xspice-remote-viewer.pcapng`
//! (see `fuzz/make_seeds.py`), so they must also parse, and parse as what they are: this is what
//! keeps "no panic" from passing with parsers that reject everything.
//!
//! `crash-*` seeds are inputs a fuzzer found to panic. They fail this test until the bug is
//! fixed, and then keep it fixed.

#[path = "../fuzz/src/lib.rs"]
mod oracle;

use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use oracle::{Parsed, Selector};
use spicebench::results::{Channel, Transport};
use spicebench::scenario::{Step, Target};
use spicebench::wire::channel::ChannelType;
use spicebench::wire::display::{self, image_type, DisplayUpdate};
use spicebench::wire::link::{self, common_cap, LinkHeader, LinkMess, LinkReply};
use spicebench::wire::names::{self, Direction};
use spicebench::wire::HeaderKind;

/// Mutations per seed. Enough to reach every length and offset check of the small seeds many
/// times over; the whole test stays within a few seconds in a debug build.
const MUTATIONS: usize = 2_000;
/// Large seeds (the 20 KB DRAW_COPY, 16 KB framer streams) get fewer mutations: each costs
/// time in proportion to its length, and most of their bytes are opaque image data.
const MUTATION_BYTES_PER_SEED: usize = 4 << 20;

/// Session id Xspice assigned in the capture (MAIN_INIT); every non-main link message quotes it.
const CAPTURE_SESSION_ID: u32 = 0xada3_2461;

fn seed_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target)
}

/// Every seed of a target, sorted by name so mutations are the same on every machine.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = seed_dir(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// SplitMix64: tiny, fixed-seed, and identical on every platform, which is all mutation needs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`); the modulo bias is irrelevant here.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One to three stacked mutations of `data`: bit flips, truncation, insertion, deletion,
/// length-field smashing and splicing with another seed of the same target.
fn mutate(rng: &mut Rng, data: &[u8], others: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..1 + rng.below(3) {
        match rng.below(7) {
            0 if !out.is_empty() => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(out.len());
                    out[i] ^= 1 << rng.below(8);
                }
            }
            1 => {
                let len = rng.below(out.len() + 1);
                out.truncate(len);
            }
            2 => {
                let at = rng.below(out.len() + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                out.splice(at..at, bytes);
            }
            3 if !out.is_empty() => {
                let at = rng.below(out.len());
                let n = (1 + rng.below(16)).min(out.len() - at);
                out.drain(at..at + n);
            }
            // Lengths, counts and offsets are u32 (sometimes u16) fields: the values that break
            // bounds arithmetic are 0, all ones, and just past what the body holds.
            4 | 5 => {
                let value: u32 = match rng.below(5) {
                    0 => 0,
                    1 => u32::MAX,
                    2 => 0x8000_0000,
                    3 => out.len() as u32 + 1,
                    _ => 0xFFFF,
                };
                let width = if rng.below(4) == 0 { 2 } else { 4 };
                if out.len() >= width {
                    let at = rng.below(out.len() - width + 1);
                    out[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
                }
            }
            _ => {
                let (_, other) = &others[rng.below(others.len())];
                let cut = rng.below(out.len() + 1);
                let from = rng.below(other.len() + 1);
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
        }
    }
    out
}

/// Runs `check` on every seed of `target` and on its mutations, failing with the offending
/// input in hex. Returns the seeds for the caller's assertions on real traffic.
fn fuzz_deterministically(target: &str, check: impl Fn(&[u8])) -> Vec<(String, Vec<u8>)> {
    let seeds = seeds(target);
    let mut rng = Rng(0x5EED_0000 ^ target.len() as u64);
    for (name, seed) in &seeds {
        run_one(target, name, None, seed, &check);
        let count = MUTATIONS.min(MUTATION_BYTES_PER_SEED / seed.len().max(1));
        for i in 0..count {
            let input = mutate(&mut rng, seed, &seeds);
            run_one(target, name, Some(i), &input, &check);
        }
    }
    seeds
}

fn run_one(target: &str, name: &str, mutation: Option<usize>, input: &[u8], check: impl Fn(&[u8])) {
    if panic::catch_unwind(AssertUnwindSafe(|| check(input))).is_err() {
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        panic!(
            "{target}: seed {name}, mutation {mutation:?} panicked (message above); \
             input ({} bytes): {hex}",
            input.len()
        );
    }
}

/// Seeds cut from the capture or built from the protocol's layouts, as opposed to `crash-*`
/// inputs a fuzzer found: those only have to not panic.
fn is_traffic(name: &str) -> bool {
    !name.starts_with("crash-")
}

/// Channel and direction from a seed name such as `display-s2c-...` (see `make_seeds.py`).
fn channel_of(name: &str) -> (ChannelType, Direction) {
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_prefix("synthetic-").unwrap_or(stem);
    let stem = stem.strip_prefix("recorded-").unwrap_or(stem);
    let mut parts = stem.split('-');
    let channel = match parts.next() {
        Some("main") => ChannelType::MAIN,
        Some("display") => ChannelType::DISPLAY,
        Some("inputs") => ChannelType::INPUTS,
        Some("cursor") => ChannelType::CURSOR,
        other => panic!("seed {name}: unknown channel {other:?}"),
    };
    let direction = match parts.next() {
        Some("c2s") => Direction::Up,
        Some("s2c") => Direction::Down,
        other => panic!("seed {name}: unknown direction {other:?}"),
    };
    (channel, direction)
}

#[test]
fn link_stage_never_panics_and_real_links_parse() {
    let seeds = fuzz_deterministically("link", |d| {
        let _ = oracle::check_link(d);
    });
    let mut channels = BTreeSet::new();
    for (name, data) in seeds.iter().filter(|(n, _)| is_traffic(n)) {
        let (channel, direction) = channel_of(name);
        let header = oracle::check_link(data).unwrap_or_else(|e| panic!("{name}: {e}"));
        let end = link::HEADER_LEN + header.size as usize;
        let body = &data[link::HEADER_LEN..end];
        assert_eq!(header, LinkHeader::parse(data).unwrap());
        if direction == Direction::Up {
            let m = LinkMess::parse(body).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(m.channel_type, channel, "{name}");
            assert_eq!(m.channel_id, 0, "{name}");
            let session = if channel == ChannelType::MAIN {
                0
            } else {
                CAPTURE_SESSION_ID
            };
            assert_eq!(m.connection_id, session, "{name}");
            assert!(m.common_caps.has(common_cap::MINI_HEADER), "{name}");
            // remote-viewer emits its link message in the canonical layout: byte-identical.
            assert_eq!(m.emit(), data[..end], "{name}");
            // Then the auth mechanism: RSA ticket.
            assert_eq!(
                data[end..],
                link::auth_mechanism::SPICE.to_le_bytes(),
                "{name}"
            );
            channels.insert(m.channel_type);
        } else {
            let r = LinkReply::parse(body).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(r.error, 0, "{name}");
            assert_eq!(
                &r.pub_key[..3],
                &[0x30, 0x81, 0x9f],
                "{name}: not a DER RSA key"
            );
            assert!(r.common_caps.has(common_cap::AUTH_SPICE), "{name}");
            assert!(r.common_caps.has(common_cap::MINI_HEADER), "{name}");
            assert_eq!(r.emit(), data[..end], "{name}");
            assert_eq!(link::parse_link_result(&data[end..]), Ok(None), "{name}");
        }
    }
    let all = [
        ChannelType::MAIN,
        ChannelType::DISPLAY,
        ChannelType::INPUTS,
        ChannelType::CURSOR,
    ];
    assert_eq!(
        channels,
        BTreeSet::from(all),
        "a channel's link seed is missing"
    );
}

/// What a real (unmutated) message seed must parse as.
fn expect_real(name: &str, sel: Selector, parsed: &Parsed) {
    use display::server as ds;
    let t = sel.msg_type;
    match parsed {
        Parsed::Update(Some(DisplayUpdate::Draw {
            msg_type,
            area,
            images,
            ..
        })) => {
            assert_eq!(*msg_type, t, "{name}");
            assert!(area.area() > 0, "{name}: empty area {area:?}");
            match t {
                ds::DRAW_COPY => {
                    assert!(!images.is_empty(), "{name}: DRAW_COPY without an image");
                    for image in images {
                        assert!(image.width > 0 && image.height > 0, "{name}: {image:?}");
                        assert!(image.payload_bytes > 0, "{name}: {image:?}");
                        let expected = if name.contains("-lz_rgb") {
                            image_type::LZ_RGB
                        } else if name.contains("-bitmap") {
                            image_type::BITMAP
                        } else {
                            image_type::GLZ_RGB
                        };
                        assert_eq!(image.code, expected, "{name}");
                    }
                }
                ds::DRAW_FILL | ds::COPY_BITS => assert!(images.is_empty(), "{name}"),
                _ => panic!("{name}: unexpected draw type {t}"),
            }
        }
        Parsed::Update(Some(DisplayUpdate::StreamFrame { data_size, .. })) => {
            assert!(*data_size > 1000, "{name}: an MJPEG frame")
        }
        Parsed::Update(other) => panic!("{name}: no draw: {other:?}"),
        Parsed::SetAck(s) => assert!(s.window > 0, "{name}: {s:?}"),
        Parsed::Ping(p) => assert_eq!(p.payload_len, 0, "{name}"),
        Parsed::Notify(n) => assert_eq!(n.message, "keyboard channel is insecure", "{name}"),
        Parsed::MainInit(init) => assert_eq!(init.session_id, CAPTURE_SESSION_ID, "{name}"),
        Parsed::ChannelsList(list) => assert_eq!(
            list,
            &[
                (ChannelType::DISPLAY, 0),
                (ChannelType::CURSOR, 0),
                (ChannelType::INPUTS, 0)
            ],
            "{name}"
        ),
        Parsed::MouseMode(m) => assert_eq!(m.supported, 3, "{name}"),
        Parsed::SurfaceCreate(s) => {
            assert!(s.is_primary(), "{name}");
            assert_eq!((s.width, s.height), (1024, 768), "{name}");
        }
        Parsed::DisplayInit(d) => assert_eq!(d.pixmap_cache_size, 20 << 20, "{name}"),
        Parsed::Modifiers(m) => assert_eq!(*m, 0, "{name}: LEDs were off in the capture"),
        Parsed::Input(m) => assert_eq!(m.msg_type(), t, "{name}"),
        Parsed::Cursor(c) => assert!(c.visible, "{name}"),
        // The Xspice captures with two heads and with MJPEG streams (tests/data).
        Parsed::MonitorsConfig(m) => {
            let sizes: Vec<_> = m.heads.iter().map(|h| (h.x, h.width, h.height)).collect();
            if name.contains("two-heads") {
                assert_eq!(sizes, [(0, 1920, 1200), (1920, 1920, 1200)], "{name}");
            } else {
                assert_eq!(sizes, [(0, 1024, 768)], "{name}");
            }
        }
        Parsed::StreamCreate(s) => {
            assert_eq!((s.codec_type, s.dest.size()), (1, (320, 240)), "{name}")
        }
        Parsed::StreamDestroy(id) => assert!((48..=49).contains(id), "{name}"),
        // Not in any capture; a seed that parses as one is mislabelled.
        Parsed::Disconnecting(_) => panic!("{name}: {parsed:?}"),
        Parsed::NoParser => {
            let known = names::message_name(sel.channel, sel.direction, t);
            assert!(
                known.is_some(),
                "{name}: type {t} unknown on {}",
                sel.channel
            );
        }
    }
}

#[test]
fn message_bodies_never_panic_and_real_ones_parse_as_their_type() {
    let seeds = fuzz_deterministically("messages", |d| {
        let _ = oracle::check_message(d);
    });
    let mut types = BTreeSet::new();
    for (name, data) in seeds.iter().filter(|(n, _)| is_traffic(n)) {
        let sel = Selector::decode([data[0], data[1]]);
        assert_eq!((sel.channel, sel.direction), channel_of(name), "{name}");
        let parsed = oracle::check_message(data)
            .expect("seeds have a selector")
            .unwrap_or_else(|e| panic!("{name}: real message does not parse: {e}"));
        expect_real(name, sel, &parsed);
        types.insert((sel.channel.0, sel.msg_type));
        // The probe's stamp reads as its colour; the uncompressed copy at the screen's bottom
        // edge reads where it paints and is no stamp.
        let body = &data[2..];
        if name.contains("probe-stamp") {
            assert_eq!(
                spicebench::probe::probe_stamp(sel.msg_type, body),
                Some(0x0007_8074),
                "{name}"
            );
        }
        if name.contains("DRAW_COPY-bitmap") {
            let painted = spicebench::wire::pixels::colour_at(sel.msg_type, body, 1010, 767);
            assert_eq!(
                painted.unwrap().map(|p| p.colour),
                Some(0x00ff_ffff),
                "{name}"
            );
            assert_eq!(spicebench::probe::probe_stamp(sel.msg_type, body), None);
        }
    }
    // The kinds of message the brief asks seeds for must all be there.
    for want in [
        (2, display::server::DRAW_COPY),
        (2, display::server::DRAW_FILL),
        (2, display::server::COPY_BITS),
        (2, display::server::SURFACE_CREATE),
        (2, display::server::MONITORS_CONFIG),
        (2, display::server::STREAM_CREATE),
        (2, display::server::STREAM_DATA),
        (2, display::server::STREAM_DESTROY),
        (2, 3),
        (1, 4),
        (1, 103),
        (1, 104),
        (4, 101),
        (2, display::client::INIT),
        (3, 112),
    ] {
        assert!(
            types.contains(&want),
            "no seed for (channel, type) {want:?}"
        );
    }
}

#[test]
fn framer_never_panics_and_real_streams_frame_cleanly() {
    let seeds = fuzz_deterministically("framer", |d| {
        let _ = oracle::check_framer(d);
    });
    for (name, data) in seeds.iter().filter(|(n, _)| is_traffic(n)) {
        let (channel, direction) = channel_of(name);
        let kind = if name.contains("full-header") {
            HeaderKind::Full
        } else {
            HeaderKind::Mini
        };
        let framed = oracle::check_framer(data);
        let f = &framed[usize::from(kind == HeaderKind::Full)];
        assert_eq!(f.error, None, "{name}: real stream failed to frame");
        assert!(!f.messages.is_empty(), "{name}");
        for m in &f.messages {
            let sel = Selector {
                channel,
                direction,
                msg_type: m.msg_type(),
            };
            assert!(
                names::message_name(channel, direction, sel.msg_type).is_some(),
                "{name}: unknown type {}",
                sel.msg_type
            );
            let parsed = oracle::parse_as(sel, &m.body)
                .unwrap_or_else(|e| panic!("{name}: type {} does not parse: {e}", sel.msg_type));
            if (channel, direction) == (ChannelType::DISPLAY, Direction::Down)
                && display::is_update(sel.msg_type)
            {
                assert!(matches!(parsed, Parsed::Update(Some(_))), "{name}");
            }
        }
        if name == "display-s2c-drag.bin" {
            let types: BTreeSet<u16> = f.messages.iter().map(|m| m.msg_type()).collect();
            for t in [
                display::server::COPY_BITS,
                display::server::DRAW_FILL,
                display::server::DRAW_COPY,
            ] {
                assert!(types.contains(&t), "{name}: no type {t} in the drag");
            }
            // Cut on message boundaries: nothing left over.
            assert_eq!(f.pending, 0, "{name}");
        }
    }
}

#[test]
fn framing_does_not_depend_on_chunking() {
    // A direct check of the property `check_framer` asserts, on the largest real stream and
    // every chunking seed, so a regression shows here with a plain message.
    let (_, data) = seeds("framer")
        .into_iter()
        .find(|(n, _)| n == "display-s2c-drag.bin")
        .expect("drag seed");
    let stream = &data[1..];
    let whole = oracle::frame(HeaderKind::Mini, [stream]);
    for seed in 0..=255u8 {
        let pieces = oracle::chunks(stream, seed);
        assert_eq!(pieces.concat(), stream);
        assert_eq!(
            oracle::frame(HeaderKind::Mini, pieces),
            whole,
            "seed {seed}"
        );
    }
}

#[test]
fn scenario_parser_never_panics_and_seeds_validate() {
    let seeds = fuzz_deterministically("scenario", |d| {
        let _ = oracle::check_scenario(d);
    });
    for (name, data) in seeds.iter().filter(|(n, _)| is_traffic(n)) {
        let s = oracle::check_scenario(data).unwrap_or_else(|e| panic!("{name}: {e}"));
        match name.as_str() {
            "drag.toml" => {
                assert_eq!(s.name, "drag");
                assert_eq!(s.steps.len(), 3);
                assert!(matches!(s.target, Target::Xspice { .. }));
            }
            "synthetic-external.toml" => {
                assert_eq!(s.repeat, 2);
                assert!(matches!(s.target, Target::External { .. }));
                assert_eq!(spicebench::plan::configurations(&s).len(), 4);
            }
            "synthetic-steps.toml" => {
                assert_eq!(s.target.heads(), 2);
                assert!(matches!(s.steps[0], Step::Repeat { count: 3, .. }));
                assert!(matches!(s.steps[1], Step::Prefer(_)));
            }
            // A copy of a shipped scenario: it reads as the original does.
            other => {
                let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("scenarios")
                    .join(other);
                let original = spicebench::scenario::Scenario::load(&shipped)
                    .unwrap_or_else(|e| panic!("unexpected scenario seed {other}: {e}"));
                assert_eq!(s.name, original.name, "{other}");
                assert_eq!(s.steps, original.steps, "{other}");
                assert_eq!(
                    spicebench::plan::configurations(&s).len(),
                    spicebench::plan::configurations(&original).len(),
                    "{other}"
                );
            }
        }
    }
}

#[test]
fn proc_text_never_panics_and_real_lines_parse() {
    let seeds = fuzz_deterministically("proc", |d| {
        let _ = oracle::check_proc(d);
    });
    for (name, data) in seeds.iter().filter(|(n, _)| is_traffic(n)) {
        let (stat, machine) = oracle::check_proc(data);
        match name.split('-').next() {
            Some("machine") => {
                let m = machine.unwrap_or_else(|| panic!("{name}: no machine counters"));
                assert!(m.busy > 0 && m.total > m.busy, "{name}: {m:?}");
            }
            Some("stat" | "synthetic") => {
                let s = stat.unwrap_or_else(|| panic!("{name}: no process fields"));
                assert!(s.ppid > 0 || name == "stat-init.txt", "{name}: {s:?}");
            }
            other => panic!("unexpected proc seed {name} ({other:?})"),
        }
    }
}

#[test]
fn capture_files_never_panic_and_real_ones_attribute_channels() {
    let seeds = fuzz_deterministically("capture", |d| {
        let _ = oracle::check_capture(d);
    });
    assert!(seeds.len() >= 2, "pcap and pcapng seeds");
    for (name, data) in seeds.iter().filter(|(n, _)| n.starts_with("sample")) {
        let r = oracle::check_capture(data).unwrap_or_else(|| panic!("{name}: not readable"));
        // The first 20 packets hold the main channel's link and the other three channels' SYNs.
        assert!(
            r.channels
                .iter()
                .any(|c| c.channel == Channel::MAIN && c.transport == Transport::Spice),
            "{name}: {:?}",
            r.channels
        );
    }
}

#[test]
fn resync_never_panics_and_real_streams_are_guessed() {
    let seeds = fuzz_deterministically("resync", |d| {
        let _ = oracle::check_resync(d);
    });
    // The display streams are display channels: their draw messages exist nowhere else.
    for (name, data) in seeds.iter().filter(|(n, _)| n.starts_with("display-s2c")) {
        let g = oracle::check_resync(data).unwrap_or_else(|| panic!("{name}: no guess"));
        assert_eq!(
            (g.channel, g.kind),
            (ChannelType::DISPLAY, HeaderKind::Mini),
            "{name}"
        );
        // The head holds the first screen's header and the start of its body.
        assert!(g.headers >= 4, "{name}: {g:?}");
    }
}

#[test]
fn the_link_emulator_never_panics_and_keeps_its_promises() {
    let seeds = fuzz_deterministically("emulator", |d| {
        let _ = oracle::check_emulator(d);
    });
    assert_eq!(seeds.len(), 3);
    for (name, data) in &seeds {
        let c = oracle::check_emulator(data);
        assert!(c.packets_out > 0, "{name}: nothing delivered: {c:?}");
        match name.as_str() {
            "rate-8mbit-queue5.bin" => assert!(c.queue_drops > 0, "{name}: {c:?}"),
            "lossy-jitter-backwards.bin" => assert!(c.lost > 0, "{name}: {c:?}"),
            _ => assert_eq!(c.queue_drops + c.lost, 0, "{name}: {c:?}"),
        }
    }
}
