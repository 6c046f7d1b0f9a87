//! Input pacing accuracy against a real Xspice: how late each input leaves compared with its
//! schedule, at 125 events/s (target: p99 under 200 µs).
//!
//! Run as root (it starts Xorg): `cargo bench --bench pacing`. It drags the xterm back and
//! forth for 8 s (1,000 motion events) and prints the error distribution of every input that
//! was sent at its scheduled slot (inputs held back by motion-ack pacing are counted apart).

use std::time::Duration;

use spicebench::client::{
    Clock, MousePreference, PointerStep, ScheduledStep, Session, SessionConfig,
};
use spicebench::lab::{Desktop, Xspice, XspiceConfig};

const RATE_HZ: u64 = 125;
const EVENTS: u64 = 1_000;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let xspice =
        Xspice::start(&XspiceConfig::default(), dir.path()).expect("start Xspice (run as root)");
    let desktop = Desktop::start(xspice.display(), 1024, 768, dir.path()).expect("start desktop");
    let frame = desktop.drag_window().expect("xterm frame");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let log = runtime.block_on(async {
        let clock = Clock::start();
        let session = Session::connect(
            &SessionConfig {
                addr: xspice.addr(),
                password: String::new(),
                preferred_compression: None,
                mouse: MousePreference::Client,
                timeout: Duration::from_secs(10),
            },
            clock,
        )
        .await
        .expect("connect");
        let (x0, y0) = (frame.x as u32 + 70, frame.y as u32 + 8);
        let interval = 1_000_000 / RATE_HZ;
        let start = clock.now_us() + 300_000;
        let mut steps = vec![
            ScheduledStep {
                at_us: start,
                step: PointerStep::MoveTo {
                    x: x0,
                    y: y0,
                    buttons: 0,
                },
            },
            ScheduledStep {
                at_us: start + interval,
                step: PointerStep::Press {
                    button: 1,
                    buttons: 1,
                },
            },
        ];
        for i in 1..=EVENTS {
            // Back and forth over 400 px so the window stays on screen.
            let phase = i % 200;
            let dx = if phase < 100 {
                phase * 4
            } else {
                (200 - phase) * 4
            };
            steps.push(ScheduledStep {
                at_us: start + (i + 1) * interval,
                step: PointerStep::MoveTo {
                    x: x0 + dx as u32,
                    y: y0 + (dx / 4) as u32,
                    buttons: 1,
                },
            });
        }
        steps.push(ScheduledStep {
            at_us: start + (EVENTS + 2) * interval,
            step: PointerStep::Release {
                button: 1,
                buttons: 0,
            },
        });
        let runner = session.script_runner();
        let report = tokio::task::spawn_blocking(move || runner.run(&steps))
            .await
            .expect("input thread");
        assert_eq!(report.error, None);
        session.close().await
    });
    let mut errors: Vec<u64> = log
        .inputs
        .iter()
        .filter(|i| !i.deferred)
        .map(|i| i.sent_us.saturating_sub(i.scheduled_us))
        .collect();
    let deferred = log.inputs.len() - errors.len();
    errors.sort_unstable();
    let pct =
        |p: f64| errors[((p * errors.len() as f64).ceil() as usize).clamp(1, errors.len()) - 1];
    println!(
        "pacing at {RATE_HZ} events/s against Xspice: {} inputs on schedule, {deferred} held back by motion acks",
        errors.len()
    );
    println!(
        "send error (sent - scheduled): p50 {} µs, p90 {} µs, p99 {} µs, max {} µs  [target: p99 < 200 µs]",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        errors.last().copied().unwrap_or(0)
    );
    drop(desktop);
    drop(xspice);
}
