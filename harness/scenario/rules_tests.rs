//! Tests of the workload rules: the steps beyond `drag` and `pause` (`click`, `key`, `type`,
//! `wait_for`, `repeat`), `heads`, `[desktop]` and the server knob axes. Each error must name
//! the file, the line and the key, and say what to write instead.

use std::path::Path;
use std::time::Duration;

use super::schema::{Step, WaitCondition};
use super::workload::{DesktopContent, StreamingVideo, WanCompression};
use super::{Scenario, Target};

use super::parse_tests::{fails, parse};

/// An Xspice scenario: `target` lines go into `[target]` (line 4 on), then `rest`.
fn xspice(target: &str, rest: &str) -> String {
    format!("name = \"w\"\n[target]\nkind = \"xspice\"\n{target}\n{rest}")
}

/// One step table, written after an Xspice target with no extra keys (the step's `kind`
/// is on line 6).
fn one_step(body: &str) -> String {
    xspice("", &format!("[[steps]]\n{body}\n"))
}

#[test]
fn click_reads_point_button_and_count() {
    let s = parse(&one_step(
        "kind = \"click\"\nat = [100, 200]\nbutton = \"right\"\ncount = 2",
    ))
    .unwrap();
    let Step::Click(c) = &s.steps[0] else {
        panic!("{:?}", s.steps)
    };
    assert_eq!((c.at.x, c.at.y, c.count), (100, 200, 2));
    assert_eq!(c.button, super::Button::Right);
    fails(
        &one_step("kind = \"click\"\nat = [100, 200]\ncount = 4"),
        8,
        "steps[0].count",
        "must be between 1 and 3",
    );
    fails(
        &one_step("kind = \"click\"\nat = [2000, 10]"),
        7,
        "steps[0].at",
        "outside the target geometry 1024x768",
    );
    fails(
        &one_step("kind = \"click\""),
        5,
        "steps[0].at",
        "add at = [x, y]",
    );
}

#[test]
fn key_chords_name_unknown_and_repeated_keys() {
    let s = parse(&one_step("kind = \"key\"\nkeys = \"ctrl+shift+s\"")).unwrap();
    let Step::Key(keys) = &s.steps[0] else {
        panic!("{:?}", s.steps)
    };
    assert_eq!(keys.len(), 3);
    fails(
        &one_step("kind = \"key\"\nkeys = \"ctrl+hyper\""),
        7,
        "steps[0].keys",
        "unknown key `hyper` in \"ctrl+hyper\"; keys are joined by + from:",
    );
    fails(
        &one_step("kind = \"key\"\nkeys = \"a+a\""),
        7,
        "steps[0].keys",
        "`a` appears twice",
    );
}

#[test]
fn type_takes_printable_text_at_a_bounded_rate() {
    let s = parse(&one_step("kind = \"type\"\ntext = \"Hello, spice!\\n\"")).unwrap();
    assert!(matches!(&s.steps[0], Step::Type { rate_hz: 20, .. }));
    fails(
        &one_step("kind = \"type\"\ntext = \"\""),
        7,
        "steps[0].text",
        "the text is empty",
    );
    fails(
        &one_step("kind = \"type\"\ntext = \"é\""),
        7,
        "steps[0].text",
        "cannot type 'é'",
    );
    fails(
        &one_step("kind = \"type\"\ntext = \"x\"\nrate_hz = 41"),
        8,
        "steps[0].rate_hz",
        "must be between 1 and 40",
    );
}

#[test]
fn wait_for_needs_exactly_one_condition() {
    let s = parse(&one_step("kind = \"wait_for\"\nwindow = \"Draw\"")).unwrap();
    let Step::WaitFor(w) = &s.steps[0] else {
        panic!("{:?}", s.steps)
    };
    assert_eq!(w.condition, WaitCondition::Window("Draw".into()));
    assert_eq!(w.timeout, Duration::from_secs(30));
    assert_eq!(w.line, 5);
    fails(
        &one_step("kind = \"wait_for\"\nwindow = \"a\"\nquiet_ms = 10"),
        8,
        "steps[0].quiet_ms",
        "give either `window` or `quiet_ms`, not both",
    );
    fails(
        &one_step("kind = \"wait_for\"\ntimeout_s = 3"),
        5,
        "steps[0]",
        "needs window = \"part of a title\" or quiet_ms = 500",
    );
    fails(
        &one_step("kind = \"wait_for\"\nwindow = \"  \""),
        7,
        "steps[0].window",
        "the window title is empty",
    );
}

#[test]
fn an_external_target_cannot_wait_for_a_window() {
    let text = "name = \"w\"\n[target]\nkind = \"external\"\nuri = \"spice://127.0.0.1:5900\"\n\
                [[steps]]\nkind = \"wait_for\"\nwindow = \"Draw\"\n";
    // The step's table starts on line 5.
    fails(
        text,
        5,
        "steps",
        "wait_for window needs a desktop spicebench can look at",
    );
}

#[test]
fn repeat_blocks_nest_and_are_bounded() {
    let text = one_step(
        "kind = \"repeat\"\ncount = 3\n[[steps.steps]]\nkind = \"click\"\nat = [5, 5]\n\
         [[steps.steps]]\nkind = \"pause\"\nduration_s = 0.1",
    );
    let s = parse(&text).unwrap();
    let Step::Repeat { count, steps } = &s.steps[0] else {
        panic!("{:?}", s.steps)
    };
    assert_eq!((*count, steps.len()), (3, 2));
    fails(
        &one_step(
            "kind = \"repeat\"\ncount = 0\n[[steps.steps]]\nkind = \"pause\"\nduration_s = 1",
        ),
        7,
        "steps[0].count",
        "must be between 1 and 10000",
    );
    fails(
        &one_step("kind = \"repeat\"\ncount = 2"),
        5,
        "steps[0].steps",
        "add the steps to repeat",
    );
    // A typo in a count is refused before anything runs.
    let huge = one_step(
        "kind = \"repeat\"\ncount = 10000\n[[steps.steps]]\nkind = \"drag\"\nfrom = [1, 1]\n\
         to = [9, 9]\nduration_s = 600\nrate_hz = 1000",
    );
    let e = parse(&huge).expect_err("2M events");
    assert!(
        e.to_string()
            .contains("more than the 2000000 one run may plan"),
        "{e}"
    );
    // Pauses send nothing, but unrolling 10^12 of them would keep the planner busy forever:
    // every unrolled step counts.
    let pauses = one_step(
        "kind = \"repeat\"\ncount = 10000\n[[steps.steps]]\nkind = \"repeat\"\ncount = 10000\n\
         [[steps.steps.steps]]\nkind = \"repeat\"\ncount = 10000\n[[steps.steps.steps.steps]]\n\
         kind = \"pause\"\nduration_s = 0.001",
    );
    let e = parse(&pauses).expect_err("10^12 unrolled pauses");
    assert!(
        e.to_string()
            .contains("100000000 input events and steps (repeats unrolled)"),
        "{e}"
    );
}

#[test]
fn heads_default_to_two_1920x1200_screens() {
    let s = parse(&xspice(
        "heads = 2",
        "[[steps]]\nkind = \"pause\"\nduration_s = 1\n",
    ))
    .unwrap();
    assert_eq!(s.target.heads(), 2);
    let g = s.target.geometry().expect("xspice geometry");
    assert_eq!((g.width, g.height), (3840, 1200));
    fails(
        &xspice("heads = 5", "[[steps]]\nkind = \"pause\"\nduration_s = 1\n"),
        4,
        "target.heads",
        "must be between 1 and 4",
    );
    // Points may address the second head.
    let on_second = xspice(
        "heads = 2",
        "[[steps]]\nkind = \"click\"\nat = [3000, 100]\n",
    );
    assert!(parse(&on_second).is_ok());
}

#[test]
fn desktop_content_and_compositor_axis() {
    let s = parse(&xspice(
        "",
        "[desktop]\ncontent = \"lodraw\"\ncompositor = [false, true]\n\
         [[steps]]\nkind = \"pause\"\nduration_s = 1\n",
    ))
    .unwrap();
    assert_eq!(s.desktop.content, DesktopContent::Lodraw);
    assert_eq!(s.desktop.compositor, vec![false, true]);
    fails(
        &xspice(
            "",
            "[desktop]\ncontent = \"browser\"\n[[steps]]\nkind = \"pause\"\nduration_s = 1\n",
        ),
        6,
        "desktop.content",
        "unknown variant `browser`, expected one of `xterm`, `photo_window`, `lodraw`, `video`",
    );
    let external =
        "name = \"w\"\n[target]\nkind = \"external\"\nuri = \"spice://127.0.0.1:5900\"\n\
                    [desktop]\ncontent = \"video\"\n[[steps]]\nkind = \"pause\"\nduration_s = 1\n";
    fails(external, 6, "desktop", "needs kind = \"xspice\"");
}

#[test]
fn knobs_are_axes_and_refuse_repeats_and_unknown_values() {
    let s = parse(&xspice(
        "streaming_video = [\"off\", \"all\"]\njpeg_wan_compression = \"never\"\n\
         video_codecs = [\"spice:mjpeg\", \"gstreamer:vp8\"]",
        "[[steps]]\nkind = \"pause\"\nduration_s = 1\n",
    ))
    .unwrap();
    let knobs = s.target.knobs();
    assert_eq!(
        knobs.streaming_video,
        vec![StreamingVideo::Off, StreamingVideo::All]
    );
    assert_eq!(knobs.jpeg_wan, vec![WanCompression::Never]);
    assert_eq!(knobs.video_codecs.len(), 2);
    fails(
        &xspice(
            "streaming_video = \"some\"",
            "[[steps]]\nkind = \"pause\"\nduration_s = 1\n",
        ),
        4,
        "target.streaming_video",
        "unknown variant `some`, expected one of `off`, `all`, `filter`",
    );
    fails(
        &xspice(
            "zlib_glz_wan_compression = [\"auto\", \"auto\"]",
            "[[steps]]\nkind = \"pause\"\nduration_s = 1\n",
        ),
        4,
        "target.zlib_glz_wan_compression[1]",
        "listed twice",
    );
    fails(
        &xspice(
            "streaming_video = []",
            "[[steps]]\nkind = \"pause\"\nduration_s = 1\n",
        ),
        4,
        "target.streaming_video",
        "the list is empty",
    );
}

#[test]
fn an_external_target_refuses_knobs_only_its_server_can_set() {
    let text = |knob: &str| {
        format!(
            "name = \"w\"\n[target]\nkind = \"external\"\nuri = \"spice://127.0.0.1:5900\"\n{knob}\n\
             [[steps]]\nkind = \"pause\"\nduration_s = 1\n"
        )
    };
    fails(
        &text("streaming_video = \"all\""),
        5,
        "target.streaming_video",
        "set it where the server runs (QEMU -spice streaming-video=…",
    );
    fails(
        &text("playback_compression = false"),
        5,
        "target.playback_compression",
        "remove it here",
    );
    // The client can ask for video codecs.
    let s = parse(&text("video_codecs = \"gstreamer:vp8\"")).unwrap();
    assert!(matches!(s.target, Target::External { .. }));
    assert_eq!(s.target.knobs().video_codecs.len(), 1);
}

#[test]
fn prefer_names_a_compression_and_needs_our_own_client() {
    let text = xspice(
        "",
        "[[steps]]\nkind = \"prefer\"\ncompression = \"glz\"\n\
         [[steps]]\nkind = \"click\"\nat = [5, 5]\n\
         [[steps]]\nkind = \"prefer\"\ncompression = \"quic\"\n",
    );
    let s = parse(&text).unwrap();
    assert_eq!(
        s.steps[0],
        Step::Prefer(super::Prefer {
            preference: super::Preference::Compression(super::Compression::Glz),
            line: 5
        })
    );
    fails(
        &one_step("kind = \"prefer\"\ncompression = \"zip\""),
        7,
        "steps[0].compression",
        "unknown variant `zip`",
    );
    fails(
        &one_step("kind = \"prefer\""),
        5,
        "steps[0]",
        "needs compression = \"glz\" (an image compression) or video_codecs",
    );
    fails(
        &one_step("kind = \"prefer\"\ncompression = \"glz\"\nvideo_codecs = \"spice:mjpeg\""),
        8,
        "steps[0].video_codecs",
        "give either `compression` or `video_codecs`, not both",
    );
    fails(
        &one_step("kind = \"prefer\"\nvideo_codecs = \"spice:vp8\""),
        7,
        "steps[0].video_codecs",
        "spice-server's own encoder only does mjpeg",
    );
    let codecs = parse(&one_step(
        "kind = \"prefer\"\nvideo_codecs = \"gstreamer:vp8;spice:mjpeg\"",
    ))
    .unwrap();
    let Step::Prefer(p) = &codecs.steps[0] else {
        panic!("{:?}", codecs.steps)
    };
    assert_eq!(p.preference.key(), "video_codecs");
    assert_eq!(p.preference.value(), "gstreamer:vp8;spice:mjpeg");
    let with_remote_viewer = xspice(
        "",
        "[access]\nviewers = [\"remote-viewer\"]\n[[steps]]\nkind = \"prefer\"\ncompression = \"glz\"\n",
    );
    fails(
        &with_remote_viewer,
        7,
        "steps",
        "a prefer step is sent by spicebench's own client",
    );
}

#[test]
fn remote_viewer_cannot_show_two_heads() {
    let text = xspice(
        "heads = 2",
        "[access]\nviewers = [\"spicebench\", \"remote-viewer\"]\n\
         [[steps]]\nkind = \"pause\"\nduration_s = 1\n",
    );
    fails(
        &text,
        3,
        "target",
        "remote-viewer shows each head in a window of its own",
    );
    // The same scenario with our client alone loads, and refuses remote-viewer given later.
    let ours = parse(&xspice(
        "heads = 2",
        "[[steps]]\nkind = \"pause\"\nduration_s = 1\n",
    ))
    .unwrap();
    assert!(ours
        .viewer_refusal(super::ViewerKind::RemoteViewer)
        .is_some_and(|w| w.message().contains("viewers = [\"spicebench\"]")));
    assert_eq!(ours.viewer_refusal(super::ViewerKind::Native), None);
}

#[test]
fn every_shipped_scenario_and_scenario_seed_loads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut loaded = 0;
    for dir in ["scenarios", "fuzz/seeds/scenario"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml") {
                Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
                loaded += 1;
            }
        }
    }
    // Six shipped scenarios, their copies, and two synthetic seeds.
    assert!(loaded >= 14, "{loaded}");
}
