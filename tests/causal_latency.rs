//! Latency you can trust, against the real lab: the desktop's probe stamps every input, so
//! nearly every input of a drag gets a causal sample; `spicebench analyze` finds the same
//! samples in the run's capture alone; and on a screen that is never quiet (a blinking
//! cursor), a drag that misses every window is called what it is: the first-update-after
//! samples are chance, the drag had no effect, and the warnings say both.
//!
//! Needs root and the packages `.ci/run` installs (Xspice, twm, xterm, tshark's libpcap).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use spicebench::results::{LatencyMethod, RunResult, WarningCode};

fn spicebench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_spicebench"))
}

fn run(dir: &Path, name: &str, text: &str) -> (RunResult, PathBuf) {
    let scenario = dir.join(format!("{name}.toml"));
    std::fs::write(&scenario, text).unwrap();
    let out = dir.join(name);
    let r = spicebench()
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let result = RunResult::read(out.join("runs/auto_glz.json")).unwrap();
    (result, out)
}

#[test]
fn a_drag_gets_a_causal_sample_per_input_and_the_capture_alone_gives_the_same() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let (live, out) = run(
        dir.path(),
        "drag",
        &common::drag_scenario("drag", &["auto_glz"]),
    );
    let lat = &live.latency;
    let probe = lat.probe.clone().expect("the lab's desktop runs the probe");
    // Every input is a position, or a press or release at a known position: each one should
    // change the stamp (153 for this drag).
    assert_eq!(probe.expected, live.inputs.sent, "{probe:?}");
    assert_eq!(probe.expected, 153);
    assert!(probe.answered * 100 >= probe.expected * 95, "{probe:?}");
    assert_eq!(probe.final_pointer, Some([420, 238]));
    assert_eq!(probe.planned_end, probe.final_pointer);
    assert_eq!(probe.foreign_stamps, 0);
    let causal = &lat.input_to_display;
    assert_eq!(causal.method, LatencyMethod::Probe);
    assert_eq!(causal.count, probe.answered);
    // The lab's desktop is still while idle: nothing to mistake for a response.
    let sanity = lat.sanity.clone().expect("sanity checks");
    assert_eq!(sanity.idle_updates, 0, "{sanity:?}");
    assert!(!sanity.likely_chance);
    let fallback = lat.first_update_after.clone().expect("the comparison");
    assert!(fallback.count > 0);
    assert!(live.effect.as_ref().is_some_and(|e| e.ok));
    for w in &live.warnings {
        assert!(
            !matches!(
                w.code,
                WarningCode::ProbeInputsLost
                    | WarningCode::ProbeEndMismatch
                    | WarningCode::IdleUpdates
            ),
            "{w}"
        );
    }

    // The capture alone, with no events log: the analyser reads the inputs' positions and
    // the stamps off the wire and matches them with the same rule.
    let capture = out.join("captures/auto_glz.pcapng");
    let wire = common::analyze_json(&capture);
    let wire_lat = &wire.latency.input_to_display;
    assert_eq!(wire_lat.method, LatencyMethod::Probe, "{wire_lat:?}");
    assert_eq!(
        wire.latency.probe.as_ref().map(|p| p.answered),
        Some(probe.answered)
    );
    // The same inputs answered by the same frames, each timed later on the wire than the
    // client began writing it and earlier than the client read its answer: every wire
    // sample is at most its live one, so every percentile is too (whatever the machine's
    // speed).
    for (live_ms, wire_ms) in [
        (causal.p50_ms, wire_lat.p50_ms),
        (causal.p90_ms, wire_lat.p90_ms),
        (causal.max_ms, wire_lat.max_ms),
    ] {
        let (l, w) = (live_ms.unwrap(), wire_ms.unwrap());
        assert!(w <= l, "live {l} ms, capture {w} ms");
    }
    assert_eq!(wire_lat.count, causal.count);
    // The run's own capture numbers say the same.
    assert_eq!(lat.capture.as_ref().map(|c| c.count), Some(wire_lat.count));
    common::assert_lab_clean(dir.path(), &homes);
}

#[test]
fn a_drag_that_misses_on_a_blinking_screen_is_flagged_as_chance_and_no_effect() {
    let _lab = common::lab_lock();
    let homes = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    // Two seconds of idle with the blinking terminal, then a drag over the bare background.
    let text = common::drag_scenario("miss", &["auto_glz"])
        .replace("idle_before_s = 0.5", "idle_before_s = 2.0")
        .replace(
            "compression = [\"auto_glz\"]",
            "compression = [\"auto_glz\"]\nidle_activity = \"blinking_cursor\"",
        )
        .replace("from = [120, 58]", "from = [600, 450]")
        .replace("to = [420, 238]", "to = [800, 600]");
    let (r, _) = run(dir.path(), "miss", &text);
    let lat = &r.latency;
    // The idle screen blinked four times a second.
    let sanity = lat.sanity.clone().unwrap();
    assert!(
        (3.0..=5.0).contains(&sanity.idle_updates_per_s),
        "{sanity:?}"
    );
    // The fallback still "measured" nearly every input, at the pace of the blinking: chance.
    let fallback = lat.first_update_after.clone().unwrap();
    assert!(fallback.count > 100, "{fallback:?}");
    assert!(sanity.likely_chance, "{sanity:?} {fallback:?}");
    // The probe shows the pointer went where the plan said: the input arrived...
    let probe = lat.probe.clone().unwrap();
    assert_eq!(probe.final_pointer, Some([800, 600]));
    assert_eq!(lat.input_to_display.method, LatencyMethod::Probe);
    // ...and had no effect: the window did not move.
    let effect = r.effect.clone().unwrap();
    assert!(!effect.ok);
    assert_eq!(effect.observed_move, Some([0, 0]));
    let codes: Vec<WarningCode> = r.warnings.iter().map(|w| w.code).collect();
    assert!(
        codes.contains(&WarningCode::IdleUpdates),
        "{:?}",
        r.warnings
    );
    assert!(codes.contains(&WarningCode::DragMissed), "{:?}", r.warnings);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.text.contains("its samples look like chance")),
        "{:?}",
        r.warnings
    );
    common::assert_lab_clean(dir.path(), &homes);
}
