//! Input pacing accuracy against a real Xspice: how late each input leaves compared with its
//! schedule, at 125 events/s (target: p99 under 200 µs).
//!
//! Run as root (it starts Xorg): `cargo bench --bench pacing`. It plays an 8 s erratic drag of
//! the xterm at 125 events/s (1,000 motion events, planned by the scenario planner) and prints
//! the error distribution of every input sent at its scheduled slot (inputs held back by
//! motion-ack pacing are counted apart).

use std::path::Path;

use spicebench::analyze::latency::nearest_rank;
use spicebench::client::{Clock, Session, SessionConfig};
use spicebench::lab::{Desktop, Xspice, XspiceConfig};
use spicebench::run::summarize::pacing_errors_us;
use spicebench::run::viewer::native::schedule;
use spicebench::scenario::Scenario;

const RATE_HZ: u32 = 125;
const SECONDS: u32 = 8;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let xspice =
        Xspice::start(&XspiceConfig::default(), dir.path()).expect("start Xspice (run as root)");
    let desktop = Desktop::start(&xspice.display(), 1024, 768, dir.path()).expect("start desktop");
    let frame = desktop.drag_window().expect("xterm frame");
    let scenario = Scenario::parse(
        &format!(
            "name = \"pacing\"\n[target]\nkind = \"xspice\"\n[[steps]]\nkind = \"drag\"\n\
             from = [{}, {}]\npath = {{ kind = \"erratic\", step_px = 4 }}\n\
             duration_s = {SECONDS}\nrate_hz = {RATE_HZ}\n",
            frame.x + 70,
            frame.y + 8
        ),
        Path::new("pacing.toml"),
    )
    .expect("bench scenario");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let log = runtime.block_on(async {
        let clock = Clock::start();
        let session = Session::connect(
            &SessionConfig::new(xspice.addr(), xspice.ticket().expose()),
            clock,
        )
        .await
        .expect("connect");
        let steps = schedule(
            &spicebench::plan::input_plan(&scenario, scenario.seed),
            clock.now_us() + 300_000,
        );
        let runner = session.script_runner();
        let report = tokio::task::spawn_blocking(move || runner.run(&steps))
            .await
            .expect("input thread");
        assert_eq!(report.error, None);
        session.close().await
    });
    let errors = pacing_errors_us(&log);
    let held = log.inputs.len() - errors.len();
    let pct = |per_mille| nearest_rank(&errors, per_mille).unwrap_or(0);
    println!(
        "pacing at {RATE_HZ} events/s against Xspice: {} inputs on schedule, {held} held back by motion acks",
        errors.len()
    );
    println!(
        "send error (sent - scheduled): p50 {} µs, p90 {} µs, p99 {} µs, max {} µs  [target: p99 < 200 µs]",
        pct(500),
        pct(900),
        pct(990),
        errors.last().copied().unwrap_or(0)
    );
    drop(desktop);
    drop(xspice);
}
