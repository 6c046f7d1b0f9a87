//! The seed's workloads through `spicebench run`, as a user runs them, against a real Xspice:
//! LibreOffice Draw's shapes really move (the screen changes where they were and where they
//! went) at a small fraction of the large window's display traffic; a window dragged across
//! two heads makes both carry updates; `streaming_video = "all"` turns an animation into
//! video stream frames with their codec and `"off"` does not; and a window that never
//! appears fails the run with the file, line and the windows that were there. Short variants
//! of `scenarios/desktop.toml` and `scenarios/video.toml`; `scenarios/lodraw.toml` as
//! shipped (one compression).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use spicebench::results::{RunResult, SeriesKey};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The lab, held for one test: its lock, what was in /tmp before, and the test's folder.
struct Lab {
    _lock: std::sync::MutexGuard<'static, ()>,
    homes: Vec<PathBuf>,
    dir: tempfile::TempDir,
}

impl Lab {
    fn take() -> Self {
        let lock = common::lab_lock();
        Self {
            _lock: lock,
            homes: common::lab_homes(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Nothing the test's runs started is left: processes, lab users' processes and files.
    fn assert_clean(&self) {
        common::assert_lab_clean(self.dir.path(), &self.homes);
    }
}

/// Runs `spicebench run scenario --out out extra…` and returns its stderr; panics with both
/// outputs unless it succeeded.
fn run(scenario: &Path, out: &Path, extra: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        o.status.success(),
        "stdout:\n{}\nstderr:\n{stderr}",
        String::from_utf8_lossy(&o.stdout)
    );
    stderr
}

/// Display bytes (down) in the timeline bins that overlap the input bursts, and the bursts'
/// total length in seconds: what the drags themselves cost.
fn display_during_bursts(r: &RunResult) -> (u64, f64) {
    let series = r
        .timeline
        .series
        .iter()
        .find(|s| s.key == SeriesKey::DISPLAY_DOWN)
        .expect("a display/down series");
    let bin_s = f64::from(r.timeline.bin_ms) / 1000.0;
    let mut bytes = 0;
    let mut seconds = 0.0;
    for b in &r.bursts {
        let first = (b.start_s / bin_s).floor() as usize;
        let last = (b.end_s / bin_s).ceil() as usize;
        bytes += series.bytes[first.min(series.bytes.len())..last.min(series.bytes.len())]
            .iter()
            .sum::<u64>();
        seconds += b.end_s - b.start_s;
    }
    (bytes, seconds)
}

/// Two 1920x1200 heads, the large photo-and-text window dragged from the first head well
/// into the second.
const TWO_HEAD_DRAG: &str = r#"name = "two-heads"
seed = 3
idle_before_s = 0.5
settle_timeout_s = 3.0

[target]
kind = "xspice"
heads = 2
compression = ["auto_glz"]

[desktop]
content = "photo_window"

[[steps]]
kind = "wait_for"
window = "spicebench-photo"
timeout_s = 30

[[steps]]
kind = "drag"
from = [400, 68]
to = [2600, 300]
duration_s = 1.5
rate_hz = 60
"#;

#[test]
fn draw_shapes_move_at_a_fraction_of_the_large_windows_traffic_and_both_heads_update() {
    let lab = Lab::take();
    let dir = &lab.dir;
    let lodraw_scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/lodraw.toml");
    let lodraw_out = dir.path().join("lodraw");
    run(
        &lodraw_scenario,
        &lodraw_out,
        &["--compression", "auto_glz"],
    );
    let draw = RunResult::read(lodraw_out.join("runs/auto_glz.json")).unwrap();

    // The shapes moved: the screen changed at every drag's press and release point.
    let check = draw.region_check.as_ref().expect("a region check for Draw");
    assert_eq!(check.regions.len(), 6, "{check:?}");
    assert!(check.ok, "{check:?}");
    assert!(
        check.regions.iter().all(|r| r.changed == Some(true)),
        "{check:?}"
    );
    // Three drags at 60 Hz of 1.0, 1.2 and 1.0 s: n moves plus move, press and release each.
    assert_eq!(draw.inputs.sent, 63 + 75 + 63);
    let (draw_bytes, draw_s) = display_during_bursts(&draw);
    assert!(
        draw_bytes > 0,
        "no display traffic while shapes were dragged"
    );

    let heads_scenario = write(dir.path(), "heads.toml", TWO_HEAD_DRAG);
    let heads_out = dir.path().join("heads");
    run(&heads_scenario, &heads_out, &[]);
    let large = RunResult::read(heads_out.join("runs/auto_glz.json")).unwrap();
    assert_eq!(large.config.heads, Some(2));
    assert_eq!(large.config.geometry.as_deref(), Some("3840x1200"));
    let [display] = large.displays.as_slice() else {
        panic!("one display channel expected: {:?}", large.displays)
    };
    assert!(display.announced, "Xspice announced its heads: {display:?}");
    let [left, right] = display.heads.as_slice() else {
        panic!("two heads expected: {display:?}")
    };
    assert_eq!(
        (left.x, left.width, left.height),
        (0, 1920, 1200),
        "{left:?}"
    );
    assert_eq!(
        (right.x, right.width, right.height),
        (1920, 1920, 1200),
        "{right:?}"
    );
    for head in [left, right] {
        assert!(head.updates > 0 && head.bytes > 0, "{head:?}");
    }
    // The window crossed from the first head to the second: the drag window moved there.
    let effect = large
        .effect
        .as_ref()
        .expect("the window's move was checked");
    assert!(effect.ok, "{effect:?}");

    // Draw's shape drags cost far less per second of dragging than the large window's.
    let (large_bytes, large_s) = display_during_bursts(&large);
    let draw_rate = draw_bytes as f64 / draw_s;
    let large_rate = large_bytes as f64 / large_s;
    eprintln!("display while dragging: Draw {draw_rate:.0} B/s, large window {large_rate:.0} B/s");
    assert!(
        draw_rate * 3.0 < large_rate,
        "Draw {draw_rate:.0} B/s vs large window {large_rate:.0} B/s"
    );
    lab.assert_clean();
}

/// The animation window under a streaming setting, watched for a few seconds.
fn video_scenario(streaming: &str) -> String {
    format!(
        r#"name = "video"
seed = 1
idle_before_s = 0.0
settle_timeout_s = 0.5

[target]
kind = "xspice"
compression = ["auto_glz"]
streaming_video = {streaming}
video_codecs = "spice:mjpeg"

[desktop]
content = "video"

[[steps]]
kind = "wait_for"
window = "spicebench-video"
timeout_s = 30

[[steps]]
kind = "pause"
duration_s = 3.0
"#
    )
}

#[test]
fn streaming_all_sends_mjpeg_frames_and_off_sends_none() {
    let lab = Lab::take();
    let dir = &lab.dir;
    let scenario = write(dir.path(), "v.toml", &video_scenario("[\"off\", \"all\"]"));
    let out = dir.path().join("out");
    run(&scenario, &out, &[]);
    let all = RunResult::read(out.join("runs/auto_glz.stream-all.json")).unwrap();
    let off = RunResult::read(out.join("runs/auto_glz.stream-off.json")).unwrap();
    for (r, value) in [(&all, "all"), (&off, "off")] {
        let settings = &r.config.server_settings;
        assert_eq!(
            settings.get("streaming_video").map(String::as_str),
            Some(value)
        );
    }
    let streams = all.streams.as_ref().expect("stream counts");
    assert!(streams.created >= 1, "{streams:?}");
    // 25 frames/s for 3 s, less the detection time before the stream starts.
    assert!(streams.frames >= 20, "{streams:?}");
    let [mjpeg] = streams.by_codec.as_slice() else {
        panic!("one codec expected: {streams:?}")
    };
    assert_eq!(mjpeg.codec, "mjpeg");
    assert_eq!(mjpeg.frames, streams.frames);
    assert!(
        mjpeg.data_bytes > 0 && mjpeg.bytes > mjpeg.data_bytes,
        "{mjpeg:?}"
    );
    let none = off.streams.clone().unwrap_or_default();
    assert_eq!((none.created, none.frames), (0, 0), "{none:?}");
    // Without streams every frame is an image: more display bytes than the video stream.
    assert!(off.display_down_bytes() > all.display_down_bytes());
    lab.assert_clean();
}

#[test]
fn a_window_that_never_appears_fails_with_the_line_and_the_windows_on_screen() {
    let lab = Lab::take();
    let dir = &lab.dir;
    let scenario = write(
        dir.path(),
        "w.toml",
        "name = \"w\"\nidle_before_s = 0\n[target]\nkind = \"xspice\"\n\
         [[steps]]\nkind = \"wait_for\"\nwindow = \"no-such-window\"\ntimeout_s = 1.5\n",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    let want = format!(
        "{}:5: wait_for: no window titled \"…no-such-window…\" appeared within 1.5 s",
        scenario.display()
    );
    assert!(stderr.contains(&want), "{stderr}");
    assert!(stderr.contains("\"xterm-spice\""), "{stderr}");
    assert!(stderr.contains("Raise timeout_s"), "{stderr}");
    lab.assert_clean();
}

#[test]
fn an_external_server_switches_compression_mid_session_and_results_mark_when_the_wire_showed_it() {
    let lab = Lab::take();
    let dir = &lab.dir;
    // An external server (a lab Xspice with its desktop, set to auto_glz): the client asks
    // for off when it connects, then for glz, then for quic, each between two drags of the
    // xterm (which make the server draw). One session, no restart.
    let xspice = common::server_with_ticket(dir.path(), "pw");
    let desktop =
        spicebench::lab::Desktop::start(&xspice.display(), 1024, 768, dir.path()).unwrap();
    write(dir.path(), "ticket", "pw");
    let drag = |from: [u32; 2], to: [u32; 2]| {
        format!(
            "[[steps]]\nkind = \"drag\"\nfrom = [{}, {}]\nto = [{}, {}]\nduration_s = 1.0\nrate_hz = 60\n",
            from[0], from[1], to[0], to[1]
        )
    };
    let text = format!(
        "name = \"sweep\"\nseed = 7\nidle_before_s = 0.5\nsettle_timeout_s = 3.0\n\
         [target]\nkind = \"external\"\nuri = \"spice://127.0.0.1:{}\"\n\
         password_file = \"ticket\"\ncompression = [\"off\"]\n{}\
         [[steps]]\nkind = \"prefer\"\ncompression = \"glz\"\n{}\
         [[steps]]\nkind = \"prefer\"\ncompression = \"quic\"\n{}",
        xspice.port(),
        drag([120, 58], [420, 238]),
        drag([420, 238], [120, 58]),
        drag([120, 58], [420, 238]),
    );
    let scenario = write(dir.path(), "sweep.toml", &text);
    let out = dir.path().join("out");
    run(&scenario, &out, &[]);
    let r = RunResult::read(out.join("runs/off.json")).unwrap();
    let [glz, quic] = r.preference_switches.as_slice() else {
        panic!("two switches expected: {:?}", r.preference_switches)
    };
    assert_eq!(r.config.compression_mechanism, "client-preference");
    assert_eq!(
        (glz.setting.as_str(), glz.value.as_str(), glz.line),
        ("compression", "glz", 16)
    );
    assert_eq!((quic.value.as_str(), quic.line), ("quic", 25));
    assert_eq!(glz.first_seen.as_deref(), Some("GLZ_RGB"), "{glz:?}");
    assert_eq!(quic.first_seen.as_deref(), Some("QUIC"), "{quic:?}");
    // Each took effect after it was sent, during the drag that followed it.
    for (s, burst) in [(glz, &r.bursts[1]), (quic, &r.bursts[2])] {
        let at = s.took_effect_s.expect("took effect");
        assert!(
            at > s.sent_s && at >= burst.start_s && at <= burst.end_s + 1.0,
            "{s:?} {burst:?}"
        );
    }
    // All three kinds are on the wire: the first drag's BITMAPs, then GLZ, then QUIC.
    for kind in ["BITMAP", "GLZ_RGB", "QUIC"] {
        assert!(
            r.images.iter().any(|i| i.image_type == kind && i.count > 0),
            "{kind}: {:?}",
            r.images
        );
    }
    drop(desktop);
    drop(xspice);
    lab.assert_clean();
}

/// Types a command into the xterm that opens a second xterm with a title of shifted and
/// unshifted characters, then waits for that window: the keys arrived, in order, with shift.
const TYPE_INTO_XTERM: &str = r#"name = "type"
seed = 1
idle_before_s = 0.3
settle_timeout_s = 2.0

[target]
kind = "xspice"

[[steps]]
kind = "click"               # twm gives the pointer's window the focus
at = [300, 200]

[[steps]]
kind = "type"
text = "xterm -T 'typed-OK_42' &\n"
rate_hz = 30

[[steps]]
kind = "wait_for"
window = "typed-OK_42"
timeout_s = 15
"#;

#[test]
fn typed_keys_reach_the_desktop_through_both_viewers() {
    let lab = Lab::take();
    let dir = &lab.dir;
    let scenario = write(dir.path(), "type.toml", TYPE_INTO_XTERM);
    let out = dir.path().join("out");
    // The run succeeds only if the wait saw the new window within its timeout.
    run(&scenario, &out, &["--viewers", "spicebench,remote-viewer"]);
    for name in ["auto_glz.spicebench", "auto_glz.remote-viewer"] {
        let r = RunResult::read(out.join(format!("runs/{name}.json"))).unwrap();
        // A click (move, press, release), 25 characters with a press and a release each,
        // and shift around the 5 shifted ones (T, O, K, _, &).
        assert_eq!(r.inputs.sent, 3 + 25 * 2 + 5 * 2, "{name}");
    }
    lab.assert_clean();
}

#[test]
fn a_video_codec_preference_mid_session_shows_in_the_next_stream() {
    let lab = Lab::take();
    let dir = &lab.dir;
    // The server may use MJPEG (first) or VP8; the client asks for VP8 while an MJPEG stream
    // runs, then moves the video window, which ends that stream and starts a new one.
    let text = r#"name = "vsweep"
seed = 1
idle_before_s = 0.0
settle_timeout_s = 0.5

[target]
kind = "xspice"
compression = ["auto_glz"]
streaming_video = "all"
video_codecs = "spice:mjpeg;gstreamer:vp8"

[desktop]
content = "video"

[[steps]]
kind = "wait_for"
window = "spicebench-video"

[[steps]]
kind = "pause"
duration_s = 2.0

[[steps]]
kind = "prefer"
video_codecs = "gstreamer:vp8"

[[steps]]
kind = "drag"                # the video window's title bar
from = [360, 209]
to = [560, 309]
duration_s = 0.5
rate_hz = 30

[[steps]]
kind = "pause"
duration_s = 3.0
"#;
    let scenario = write(dir.path(), "vsweep.toml", text);
    let out = dir.path().join("out");
    run(&scenario, &out, &[]);
    let r = RunResult::read(out.join("runs/auto_glz.json")).unwrap();
    let [switch] = r.preference_switches.as_slice() else {
        panic!("one switch expected: {:?}", r.preference_switches)
    };
    assert_eq!(
        (switch.setting.as_str(), switch.value.as_str(), switch.line),
        ("video_codecs", "gstreamer:vp8", 23)
    );
    assert_eq!(switch.first_seen.as_deref(), Some("vp8"), "{switch:?}");
    assert!(switch.took_effect_s.unwrap() > switch.sent_s, "{switch:?}");
    let streams = r.streams.as_ref().expect("stream counts");
    let frames_of = |codec: &str| {
        streams
            .by_codec
            .iter()
            .find(|c| c.codec == codec)
            .map_or(0, |c| c.frames)
    };
    // MJPEG before the switch, VP8 after it.
    assert!(
        frames_of("mjpeg") > 0 && frames_of("vp8") > 0,
        "{streams:?}"
    );
    lab.assert_clean();
}

#[test]
fn a_compositor_multiplies_the_large_windows_display_traffic() {
    let lab = Lab::take();
    let dir = &lab.dir;
    let text = TWO_HEAD_DRAG.replace(
        "content = \"photo_window\"",
        "content = \"photo_window\"\ncompositor = [false, true]",
    );
    let scenario = write(dir.path(), "compositor.toml", &text);
    let out = dir.path().join("out");
    run(&scenario, &out, &[]);
    let plain = RunResult::read(out.join("runs/auto_glz.no-compositor.json")).unwrap();
    let composited = RunResult::read(out.join("runs/auto_glz.compositor.json")).unwrap();
    assert!(!plain.config.compositor && composited.config.compositor);
    // Both moved the window as planned; with picom every move repaints the whole window
    // instead of copying it (measured here: 22× with auto_glz).
    for r in [&plain, &composited] {
        assert!(r.effect.as_ref().is_some_and(|e| e.ok), "{:?}", r.effect);
    }
    let (plain_bytes, _) = display_during_bursts(&plain);
    let (composited_bytes, _) = display_during_bursts(&composited);
    assert!(
        composited_bytes > 3 * plain_bytes,
        "compositor {composited_bytes} B vs none {plain_bytes} B while dragging"
    );
    lab.assert_clean();
}
