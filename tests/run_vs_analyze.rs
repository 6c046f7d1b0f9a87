//! A run and a later `spicebench analyze` of the run's own capture measure over one interval
//! by one rule (`analyze/interval.rs`), so they report exactly the same wire rates (mean and
//! peak) and the same measured interval (issue 19). Starts a real Xspice.

mod common;

use std::process::Command;
use std::time::UNIX_EPOCH;

use spicebench::results::{IntervalSource, MeasuredInterval, RunResult, SeriesKey, TimelineUnit};

/// The interval as µs since the Unix epoch: `started_at` (ms, exact since a run's epoch and an
/// analysis's first bin lie on the 100 ms bin grid) plus the offsets.
fn absolute_us(started_at: &str, m: &MeasuredInterval) -> (u64, u64) {
    let start = humantime::parse_rfc3339(started_at)
        .unwrap_or_else(|e| panic!("started_at {started_at:?}: {e}"))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64;
    let (from, to) = m.us();
    (start + from, start + to)
}

#[test]
fn analyze_of_a_runs_capture_gives_the_runs_wire_rates_and_interval() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, common::drag_scenario("same-window", &["glz"])).unwrap();
    let out = dir.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_spicebench"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let r = RunResult::read(out.join("runs/glz.json")).unwrap();
    let a = common::analyze_json(&out.join("captures/glz.pcapng"));

    // The run's rates are the wire's: nothing dropped, so the capture's timeline was kept.
    assert_eq!(r.capture.as_ref().unwrap().kernel_dropped, Some(0));
    assert_eq!(r.timeline.unit, Some(TimelineUnit::Wire));

    // One interval: the capture's own times, in the run and in the analysis alike.
    let (rm, am) = (r.measured.unwrap(), a.measured.unwrap());
    assert_eq!(
        (rm.source, am.source),
        (IntervalSource::Capture, IntervalSource::Capture)
    );
    let interval = absolute_us(&r.started_at, &rm);
    assert_eq!(interval, absolute_us(&a.started_at, &am));
    // It covers the 1.5 s drag and ends within the run.
    assert!(rm.to_s - rm.from_s >= 1.5, "{rm:?}");
    assert!(
        am.to_s <= a.duration_s + 1e-6,
        "{am:?} in {} s",
        a.duration_s
    );

    // Exactly the same rates, display first (the run's headline), then every series and the
    // network's.
    let display = |x: &RunResult| {
        x.rates
            .iter()
            .find(|k| k.key == SeriesKey::DISPLAY_DOWN)
            .map(|k| (k.mean_mib_s, k.peak_1s_mib_s))
            .expect("a display/down rate")
    };
    let (mean, peak) = display(&r);
    assert!(mean > 0.0 && peak >= mean, "{mean} {peak}");
    assert_eq!(display(&r), display(&a));
    assert_eq!(r.rates, a.rates);
    let network = |x: &RunResult| {
        let n = x.network.as_ref().expect("network");
        (n.mean_mib_s, n.peak_1s_mib_s)
    };
    assert_eq!(network(&r), network(&a));
}
