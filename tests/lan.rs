//! `spicebench run` over the `lan` transport, against a real Xspice: the server side in one
//! network namespace, the viewer side in another, the emulated link between them. The run
//! must see the link's physics (a round trip of at least twice the one-way delay), record
//! the link in its results, capture what crossed it, and leave nothing behind.
//!
//! Needs root, iproute2 (`ip`), `/dev/net/tun` and what `.ci/run` installs for Xspice.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use spicebench::lab::netns;
use spicebench::results::{Component, ConfigTransport, RunResult, WarningCode};
use spicebench::scenario::TransportKind;

/// One way, milliseconds.
const DELAY_MS: u32 = 10;

/// A short glz drag over lan with `DELAY_MS` each way, shown by `viewer`.
fn scenario(dir: &Path, viewer: &str) -> PathBuf {
    let text = format!(
        "{}\n[access]\ntransports = [\"lan\"]\nviewers = [\"{viewer}\"]\n[access.lan]\n\
         rate = \"100mbit\"\ndelay_ms = {DELAY_MS}\n",
        common::drag_scenario("lan", &["glz"])
    );
    let path = dir.join(format!("lan-{viewer}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `scenario` into `out` and returns its one result, the run's PID and the capture.
fn run(scenario: &Path, out: &Path) -> (RunResult, u32, PathBuf) {
    let child = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args(["run", scenario.to_str().unwrap(), "--out"])
        .arg(out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let done = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "stderr:\n{stderr}");
    let runs: Vec<PathBuf> = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let result = RunResult::read(&runs[0]).unwrap();
    let capture = out.join(format!("captures/{}.pcapng", result.config.name));
    (result, pid, capture)
}

/// The run over lan with `viewer`: the route, the link, the bytes, the round trip, the
/// cleanup.
fn lan_run(viewer: &str) {
    let _lab = common::lab_lock();
    let homes_before = common::lab_homes();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (r, pid, capture) = run(&scenario(dir.path(), viewer), &out);

    assert_eq!(
        r.config.transport,
        ConfigTransport::Access(TransportKind::Lan)
    );
    assert!(r.config.name.contains(".lan"), "{}", r.config.name);
    let link = r.config.link.as_ref().expect("config.link");
    assert_eq!(link.delay_ms, f64::from(DELAY_MS));
    assert_eq!(link.rate_bits_per_second, Some(100_000_000));
    let (up, down) = (link.up.unwrap(), link.down.unwrap());
    assert!(
        down.bytes_out > up.bytes_out && up.packets_out > 0,
        "{link:?}"
    );
    assert_eq!(down.queue_drops + down.lost + up.queue_drops + up.lost, 0);
    assert!(
        r.server.address.starts_with("10.99."),
        "{}",
        r.server.address
    );

    // What crossed the link, as the capture on the server's side saw it, against what our
    // client counted (remote-viewer counts nothing itself: the result is the capture's).
    let display = r.display_down_bytes();
    assert!(display > 0);
    let captured = common::analyze_json(&capture).display_down_bytes();
    let off = (captured as f64 - display as f64).abs() / display as f64;
    assert!(off < 0.02, "capture {captured} vs result {display}");
    assert!(
        !r.warnings
            .iter()
            .any(|w| w.code == WarningCode::CaptureUndercount),
        "{:?}",
        r.warnings
    );
    // The link's IP bytes carry every TCP payload byte the capture saw down.
    assert!(down.bytes_out >= captured, "{down:?} vs {captured}");

    // Physics, not speed: an input travels the delay up, its update the delay down. Our
    // client times it itself; remote-viewer's is timed on its screen (end to end).
    let on_viewer = r.latency.end_to_end.as_ref().and_then(|l| l.p50_ms);
    let p50 = (r.latency.input_to_display.p50_ms.or(on_viewer)).expect("latency p50");
    assert!(p50 >= 2.0 * f64::from(DELAY_MS), "p50 {p50} ms");
    eprintln!(
        "lan {viewer}: p50 {p50:.1} ms at {DELAY_MS} ms one way; display bytes result \
         {display}, capture {captured}; link down {} B in {} packets",
        down.bytes_out, down.packets_out
    );

    // The link's forwarding threads are a component of their own.
    let cpu = r.cpu.as_ref().expect("cpu");
    let link_cpu = cpu
        .active
        .components
        .iter()
        .find(|c| c.component == Component::Link);
    let link_cpu = link_cpu.expect("link component");
    assert_eq!(link_cpu.processes, 2, "{link_cpu:?}");
    eprintln!(
        "link threads: {:.3} cores while the plan played",
        link_cpu.cores_used
    );

    // Nothing left: the run's namespaces (and their TUN devices), processes, lab homes.
    let left: Vec<String> = netns::owned_names()
        .into_iter()
        .filter(|n| netns::owner_of(n).is_some_and(|o| o.pid() == pid))
        .collect();
    assert!(left.is_empty(), "namespaces left: {left:?}");
    common::assert_lab_clean(dir.path(), &homes_before);
}

#[test]
fn our_client_over_lan_sees_the_round_trip_and_the_capture_sees_its_bytes() {
    lan_run("spicebench");
}

#[test]
fn remote_viewer_over_lan_sees_the_round_trip() {
    lan_run("remote-viewer");
}
