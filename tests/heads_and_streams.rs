//! Per-head and stream accounting of `spicebench analyze` on real captures, against
//! Wireshark's SPICE dissector where it decodes the same thing.
//!
//! - `tests/data/xspice-two-heads.pcapng`: `spicebench run` against Xspice with two
//!   1920x1200 heads, an xterm dragged across x = 1920 and back.
//! - `tests/data/xspice-streams-mjpeg.pcapng`: `spicebench run` against Xspice with
//!   `XSPICE_STREAMING_VIDEO=all` and a looping ImageMagick animation, closed during the run
//!   (its streams end there).
//! - `recordings/*`: Xspice's default streaming setting with no video: no streams; and
//!   `recordings/sb-video-stream-all`: `scenarios/video.toml`'s animation with streaming
//!   `all`, an MJPEG stream.
//!
//! How the captures were made: `tests/data/README.md`. Needs tshark, like
//! `analyze_vs_tshark.rs`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::tshark::{fields, Occurrence};
use spicebench::results::{DisplayHeads, RunResult};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Display update message types (draws, COPY_BITS, stream frames), as `wire::display`.
fn is_update(t: u16) -> bool {
    matches!(t, 104 | 123 | 316 | 302..=313 | 318)
}

/// Every server → client message of the display connection `d` as tshark decodes it:
/// (type, body size).
fn tshark_display_messages(capture: &Path, r: &RunResult, d: &DisplayHeads) -> Vec<(u16, u64)> {
    let client = d.client.clone().expect("capture results name the client");
    let server = r
        .channels
        .iter()
        .find(|c| c.client.as_deref() == Some(client.as_str()))
        .map(|c| c.server.clone())
        .unwrap();
    let (sip, sport) = server.rsplit_once(':').unwrap();
    let (cip, cport) = client.rsplit_once(':').unwrap();
    let filter = format!(
        "ip.src == {sip} && tcp.srcport == {sport} && ip.dst == {cip} && tcp.dstport == {cport} \
         && spice.message_type"
    );
    let mut out = Vec::new();
    for row in fields(
        capture,
        Some(&filter),
        Occurrence::All,
        &["spice.message_type", "spice.message_size"],
    ) {
        let types: Vec<u16> = row[0].split(',').map(|v| v.parse().unwrap()).collect();
        let sizes: Vec<u64> = row[1].split(',').map(|v| v.parse().unwrap()).collect();
        assert_eq!(types.len(), sizes.len(), "one size per message: {row:?}");
        out.extend(types.into_iter().zip(sizes));
    }
    out
}

fn counts(messages: &[(u16, u64)]) -> BTreeMap<u16, u64> {
    let mut m = BTreeMap::new();
    for &(t, _) in messages {
        *m.entry(t).or_default() += 1;
    }
    m
}

/// The mini header our client negotiates with Xspice: 6 bytes before each body.
const MINI_HEADER: u64 = 6;

#[test]
fn two_heads_are_announced_and_both_carry_the_dragged_window() {
    let capture = root().join("tests/data/xspice-two-heads.pcapng");
    let r = common::analyze_json(&capture);
    assert_eq!(r.displays.len(), 1, "{:?}", r.displays);
    let d = &r.displays[0];
    assert!(d.announced, "MONITORS_CONFIG was seen");
    let layout: Vec<(u32, u32, u32, u32, u32)> = d
        .heads
        .iter()
        .map(|h| (h.id, h.x, h.y, h.width, h.height))
        .collect();
    assert_eq!(layout, [(0, 0, 0, 1920, 1200), (1, 1920, 0, 1920, 1200)]);
    // The same heads as tshark decodes them from MONITORS_CONFIG.
    let theirs = fields(
        &capture,
        Some("spice.display_head_id"),
        Occurrence::All,
        &[
            "spice.display_head_id",
            "spice.display_head_x",
            "spice.display_head_y",
            "spice.display_head_width",
            "spice.display_head_height",
        ],
    );
    assert_eq!(theirs.len(), 1, "one MONITORS_CONFIG: {theirs:?}");
    let col = |i: usize| -> Vec<u32> {
        theirs[0][i]
            .split(',')
            .map(|v| v.parse().unwrap())
            .collect()
    };
    let (ids, xs, ys, ws, hs) = (col(0), col(1), col(2), col(3), col(4));
    let tshark_layout: Vec<_> = (0..ids.len())
        .map(|i| (ids[i], xs[i], ys[i], ws[i], hs[i]))
        .collect();
    assert_eq!(layout, tshark_layout);

    // The window crossed x = 1920: both heads carried updates and bytes.
    for h in &d.heads {
        assert!(h.updates > 50 && h.bytes > 10_000, "head {h:?}");
    }
    // Shares add up exactly; an update on both heads counts on each.
    let head_bytes: u64 = d.heads.iter().map(|h| h.bytes).sum();
    assert_eq!(head_bytes + d.unattributed.bytes, d.update_bytes);
    let head_updates: u64 = d.heads.iter().map(|h| h.updates).sum();
    assert!(
        head_updates + d.unattributed.updates > d.updates,
        "some crossed the boundary"
    );

    // Updates and their bytes are tshark's update messages on that connection.
    let msgs = tshark_display_messages(&capture, &r, d);
    let updates: Vec<&(u16, u64)> = msgs.iter().filter(|(t, _)| is_update(*t)).collect();
    assert_eq!(d.updates, updates.len() as u64);
    assert_eq!(
        d.update_bytes,
        updates.iter().map(|(_, s)| s + MINI_HEADER).sum::<u64>()
    );
    assert_eq!(counts(&msgs).get(&317), Some(&1));
    // No video here.
    let s = r.streams.as_ref().unwrap();
    assert_eq!((s.created, s.frames), (0, 0));
}

#[test]
fn an_animation_with_streaming_all_is_an_mjpeg_stream() {
    let capture = root().join("tests/data/xspice-streams-mjpeg.pcapng");
    let r = common::analyze_json(&capture);
    let s = r.streams.as_ref().expect("a display channel was read");
    assert_eq!(s.by_codec.len(), 1, "{s:?}");
    let mjpeg = &s.by_codec[0];
    assert_eq!((mjpeg.codec.as_str(), mjpeg.code), ("mjpeg", 1));
    assert!(mjpeg.streams > 0 && mjpeg.frames > 0 && mjpeg.bytes > mjpeg.data_bytes);
    assert!(mjpeg.data_bytes > 100_000, "{mjpeg:?}");

    let d = &r.displays[0];
    let msgs = tshark_display_messages(&capture, &r, d);
    let n = counts(&msgs);
    let get = |t: u16| n.get(&t).copied().unwrap_or(0);
    assert_eq!(
        s.frames,
        get(123) + get(316),
        "frames = STREAM_DATA(+SIZED) tshark sees"
    );
    assert_eq!(
        s.frame_bytes,
        msgs.iter()
            .filter(|(t, _)| matches!(t, 123 | 316))
            .map(|(_, size)| size + MINI_HEADER)
            .sum::<u64>()
    );
    assert_eq!(s.created, get(122));
    assert_eq!(mjpeg.streams, get(122));
    // The animation was closed during the run: every stream ended, each a flap.
    assert_eq!(get(126), 0);
    assert_eq!(s.destroyed, get(125));
    assert!(s.destroyed > 0);
    assert_eq!(s.flaps, s.destroyed);
    // Stream frames land on the one head (no MONITORS_CONFIG needed for that).
    assert_eq!(d.heads.len(), 1);
    assert_eq!(d.heads[0].bytes + d.unattributed.bytes, d.update_bytes);
}

#[test]
fn without_video_there_are_no_streams() {
    let mut checked = 0;
    for e in std::fs::read_dir(root().join("recordings"))
        .unwrap()
        .flatten()
    {
        let capture = e.path().join("capture.pcapng");
        // The video recording is the one that streams (checked in its own test).
        if !capture.exists() || e.file_name().to_string_lossy().contains("video") {
            continue;
        }
        let r = common::analyze_json(&capture);
        let s = r.streams.as_ref().expect("a display channel was read");
        assert_eq!(
            (s.created, s.frames, s.by_codec.len()),
            (0, 0, 0),
            "{capture:?}"
        );
        // tshark agrees: no stream message at all.
        let n = fields(
            &capture,
            Some("spice.message_type >= 122 && spice.message_type <= 126"),
            Occurrence::All,
            &["spice.message_type"],
        );
        let stream_msgs = n
            .iter()
            .flat_map(|row| row[0].split(','))
            .filter(|t| matches!(*t, "122" | "123" | "125" | "126" | "316"))
            .count();
        assert_eq!(stream_msgs, 0, "{capture:?}");
        // One head each, the whole screen, carrying every display update.
        for d in &r.displays {
            assert_eq!(d.heads.len(), 1, "{capture:?}");
            assert_eq!(d.heads[0].bytes + d.unattributed.bytes, d.update_bytes);
        }
        checked += 1;
    }
    assert!(checked >= 6, "{checked} recordings");
}

#[test]
fn the_video_recording_streams_mjpeg_frame_for_frame_with_tshark() {
    let capture = root().join("recordings/sb-video-stream-all/capture.pcapng");
    let r = common::analyze_json(&capture);
    let s = r.streams.as_ref().expect("a display channel was read");
    let n = fields(
        &capture,
        Some("spice.message_type == 123"),
        Occurrence::All,
        &["spice.message_type"],
    );
    let data_msgs = n
        .iter()
        .flat_map(|row| row[0].split(','))
        .filter(|t| *t == "123")
        .count() as u64;
    assert!(s.frames > 100, "{s:?}");
    assert_eq!(s.frames, data_msgs, "STREAM_DATA messages");
    assert_eq!(s.by_codec.len(), 1, "{s:?}");
    assert_eq!(s.by_codec[0].codec, "mjpeg");
}
