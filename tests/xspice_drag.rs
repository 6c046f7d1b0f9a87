//! Against a real Xspice: the drag really moves the window (checked with xwininfo, not with
//! our client), costs more display bytes than idle, and the desktop's probe stamps nearly
//! every input, so nearly every input gets a causal latency sample.

mod common;

use std::time::Duration;

use spicebench::analyze::causal::{measure, LatencyEvidence};
use spicebench::client::{Clock, Session, SessionConfig};
use spicebench::lab::{Desktop, Xspice, XspiceConfig};
use spicebench::results::LatencyMethod;
use spicebench::run::summarize::latency_evidence;
use spicebench::wire::names::Direction;
use spicebench::wire::ChannelType;

fn display_bytes(log: &spicebench::client::EventLog, from_us: u64, to_us: u64) -> u64 {
    let display = log
        .channels
        .iter()
        .position(|c| c.channel_type == ChannelType::DISPLAY)
        .expect("a display channel");
    log.traffic
        .iter()
        .filter(|t| t.channel == display && t.direction == Direction::Down)
        .filter(|t| t.at_us >= from_us && t.at_us < to_us)
        .map(|t| t.bytes)
        .sum()
}

// The lab lock serialises whole tests across test threads; each test has its own runtime, so
// holding this std mutex across awaits cannot deadlock.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn title_bar_drag_moves_the_xterm_and_costs_more_than_idle() {
    let _lab = common::lab_lock();
    let dir = tempfile::tempdir().unwrap();
    {
        let xspice = Xspice::start(&XspiceConfig::default(), dir.path()).unwrap();
        let desktop = Desktop::start(&xspice.display(), 1024, 768, dir.path()).unwrap();
        let before = desktop.drag_window().expect("xterm frame");

        let clock = Clock::start();
        let session = Session::connect(
            &SessionConfig::new(xspice.addr(), xspice.ticket().expose()),
            clock,
        )
        .await
        .unwrap();
        assert_eq!(session.mouse_mode(), 2, "Xspice offers client mouse mode");

        // One second of idle, then a 2 s drag of the title bar by (300, 180) at 100 Hz.
        let idle_from = clock.now_us() + 200_000;
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        let idle_to = clock.now_us();
        let (x0, y0) = (before.x as u32 + 70, before.y as u32 + 8);
        let start = clock.now_us() + 100_000;
        let steps = common::drag_steps((x0, y0), (x0 + 300, y0 + 180), 2.0, 100, start);
        let end = steps.last().unwrap().at_us;
        let runner = session.script_runner();
        let report = tokio::task::spawn_blocking(move || runner.run(&steps))
            .await
            .unwrap();
        assert_eq!(report.error, None);
        assert_eq!(report.steps, 203);
        // Until the probe shows the last input (its state is where the drag ended), with a
        // hang guard: the display's reply to the last input is in.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (inputs, stamps, _) = latency_evidence(&session.recorder().snapshot());
            let last = inputs.last().and_then(|i| i.state);
            if last.is_some() && stamps.iter().any(|s| Some(s.state) == last) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the probe never showed the last input"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let max_unacked = session.input_gate().pacing_stats().max_unacked;
        let log = session.close().await;

        // Independent of our client: the X server says the window moved by the dragged distance.
        let after = desktop.drag_window().expect("xterm frame");
        assert_eq!(
            (after.x - before.x, after.y - before.y),
            (300, 180),
            "before {before:?}, after {after:?}"
        );

        // The drag repaints: more display bytes in its 2 s than in the idle second before,
        // and at least one display update for every input the probe answered during it.
        let idle = display_bytes(&log, idle_from, idle_to);
        let drag = display_bytes(&log, start, end);
        assert!(drag > idle, "drag {drag} B vs idle {idle} B");

        assert_eq!(log.inputs.len(), 203);
        let (inputs, stamps, others) = latency_evidence(&log);
        let out = measure(
            "client",
            &LatencyEvidence {
                inputs: &inputs,
                stamps: &stamps,
                updates: &others,
                planned_end: Some((x0 + 300, y0 + 180)),
                ..LatencyEvidence::default()
            },
        );
        // Every input is a position or a button at a known position: 203 stamps expected,
        // and the probe (a separate X client on the desktop) shows at least 95 % of them.
        let probe = out.probe.expect("the desktop's probe stamped the inputs");
        assert_eq!(probe.expected, 203);
        assert!(probe.answered >= 193, "{probe:?}");
        assert_eq!(probe.final_pointer, Some([x0 + 300, y0 + 180]), "{probe:?}");
        assert_eq!(out.headline.method, LatencyMethod::Probe);
        // One sample per answered stamp, none faster than the link allows.
        assert_eq!(out.headline.count, probe.answered, "{:?}", out.headline);
        assert_eq!(out.sanity.impossible_samples, 0, "{:?}", out.sanity);
        let updates_in_drag = log
            .updates
            .iter()
            .filter(|u| u.at_us >= start && u.at_us < end + 1_000_000)
            .count() as u64;
        assert!(
            updates_in_drag >= probe.answered,
            "{updates_in_drag} updates"
        );
        // The drag repaints the desktop, so the first-update-after comparison has samples too.
        let fallback = out.first_update_after.expect("fallback for comparison");
        assert!(fallback.count >= 150, "{fallback:?}");
        assert!(
            max_unacked <= 8,
            "{max_unacked} motion messages outstanding"
        );
        assert!(
            log.motion_acks.len() >= 40,
            "{} acks",
            log.motion_acks.len()
        );
    }
    common::assert_nothing_left(dir.path());
}
