//! Fakes of the lab's parts (a target, a transport, a viewer) behind [`Backends`], and the
//! tests that drive [`run_configuration`] through its failures with them: a target that fails
//! to start, a transport that dies mid-run, a viewer that never connects, a signal
//! mid-measure. Each fake writes what happens to it in a shared journal, so a test can check
//! that everything started was stopped, once, in reverse order.
//!
//! Only the lab is faked. The phases, the events log, the summary and the result are the
//! real code, so these tests check the runner, not a copy of it.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{watch, Notify};

use super::backends::{Backends, LocalBoxFuture};
use super::configuration::{run_configuration, RunOptions};
use super::interrupt::Interrupt;
use super::matrix::until_signal;
use super::placement::Placement;
use super::progress::{LineProgress, Progress};
use super::target::{Endpoint, Health, Target};
use super::transport::{CapturePoint, Transport};
use super::viewer::{BoxFuture, Viewer, ViewerContext, ViewerReport};
use super::RunError;
use crate::lab::LabError;
use crate::plan::{Configuration, InputPlan};
use crate::results::OutputDir;
use crate::scenario::{Geometry, Route, Scenario, SshServer, ViewerKind};
use crate::secret::Secret;

/// What happened to the fakes, in order.
#[derive(Debug, Clone, Default)]
struct Journal(Arc<Mutex<Vec<&'static str>>>);

impl Journal {
    fn note(&self, what: &'static str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(what);
    }

    fn entries(&self) -> Vec<&'static str> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// How the fake lab misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Nothing goes wrong.
    None,
    /// The target does not start.
    TargetFailsToStart,
    /// The transport's process exits while the plan plays; the session breaks with it.
    TransportDiesMidRun,
    /// The viewer gives up connecting.
    ViewerNeverConnects,
    /// Playing never ends by itself: the test's signal ends it.
    HangsMidMeasure,
}

/// The fake lab: one fault, a journal, the flag a dying transport lowers, and the bell the
/// viewer rings when it starts playing.
struct FakeLab {
    fault: Fault,
    journal: Journal,
    transport_up: Arc<AtomicBool>,
    playing: Arc<Notify>,
}

impl FakeLab {
    fn new(fault: Fault) -> Self {
        Self {
            fault,
            journal: Journal::default(),
            transport_up: Arc::new(AtomicBool::new(true)),
            playing: Arc::new(Notify::new()),
        }
    }
}

struct FakeTarget {
    journal: Journal,
    endpoint: Endpoint,
    ticket: Secret,
}

impl Drop for FakeTarget {
    fn drop(&mut self) {
        self.journal.note("stop target");
    }
}

impl Target for FakeTarget {
    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
    fn ticket(&self) -> &Secret {
        &self.ticket
    }
    fn geometry(&self) -> Option<Geometry> {
        None
    }
    fn software(&self) -> Option<String> {
        Some("fake target".into())
    }
    fn health(&mut self) -> Health {
        Health::Running
    }
}

struct FakeTransport {
    journal: Journal,
    endpoint: Endpoint,
    up: Arc<AtomicBool>,
}

impl Drop for FakeTransport {
    fn drop(&mut self) {
        self.journal.note("stop transport");
    }
}

impl Transport for FakeTransport {
    fn open(&mut self) -> Result<(), LabError> {
        self.journal.note("open transport");
        Ok(())
    }
    fn route(&self) -> Route {
        Route::DIRECT
    }
    fn viewer_endpoint(&self) -> Endpoint {
        self.endpoint.clone()
    }
    fn capture_points(&self) -> Vec<CapturePoint> {
        Vec::new()
    }
    fn health(&mut self) -> Health {
        match self.up.load(Ordering::SeqCst) {
            true => Health::Running,
            false => Health::Exited("fake ssh exited with status 255".into()),
        }
    }
}

struct FakeViewer {
    journal: Journal,
    fault: Fault,
    transport_up: Arc<AtomicBool>,
    playing: Arc<Notify>,
    /// Kept so the updates channel stays open: a closed one reads as a broken session.
    updates: watch::Sender<Option<u64>>,
}

impl Drop for FakeViewer {
    fn drop(&mut self) {
        self.journal.note("stop viewer");
    }
}

impl Viewer for FakeViewer {
    fn play<'a>(
        &'a mut self,
        _plan: &'a InputPlan,
        _start_us: u64,
        _progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.journal.note("play");
        Box::pin(async move {
            match self.fault {
                Fault::TransportDiesMidRun => {
                    self.transport_up.store(false, Ordering::SeqCst);
                    Err("the display channel closed".into())
                }
                Fault::HangsMidMeasure => {
                    self.playing.notify_one();
                    std::future::pending().await
                }
                _ => Ok(()),
            }
        })
    }
    fn updates(&self) -> watch::Receiver<Option<u64>> {
        self.updates.subscribe()
    }
    fn events(&self) -> super::events_file::Appender {
        Box::new(|_| Ok(()))
    }
    fn failure(&self) -> Option<String> {
        None
    }
    fn finish(self: Box<Self>) -> BoxFuture<'static, ViewerReport> {
        self.journal.note("finish viewer");
        Box::pin(async move {
            // Dropped here, once finished, like a real viewer closing its session.
            drop(self);
            ViewerReport {
                version: "fake viewer 0".into(),
                ..ViewerReport::default()
            }
        })
    }
}

impl Backends for FakeLab {
    fn start_target(
        &self,
        _scenario: &Scenario,
        _config: &Configuration,
        lab_dir: &Path,
        _placement: &Placement,
    ) -> Result<Box<dyn Target>, RunError> {
        if self.fault == Fault::TargetFailsToStart {
            self.journal.note("target failed");
            let log = lab_dir.join("xspice.log");
            return Err(LabError::exited("Xspice", "exit status: 1".into(), &log).into());
        }
        self.journal.note("start target");
        Ok(Box::new(FakeTarget {
            journal: self.journal.clone(),
            endpoint: Endpoint::loopback(5930),
            ticket: Secret::default(),
        }))
    }

    fn start_transport(
        &self,
        _route: Route,
        _ssh: &SshServer,
        target: &dyn Target,
        _lab_dir: &Path,
        _placement: &Placement,
    ) -> Result<Box<dyn Transport>, RunError> {
        self.journal.note("start transport");
        Ok(Box::new(FakeTransport {
            journal: self.journal.clone(),
            endpoint: target.endpoint().clone(),
            up: self.transport_up.clone(),
        }))
    }

    fn connect_viewer<'a>(
        &'a self,
        _kind: ViewerKind,
        _ctx: ViewerContext<'a>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn Viewer>, RunError>> {
        Box::pin(async move {
            if self.fault == Fault::ViewerNeverConnects {
                self.journal.note("viewer gave up");
                return Err(RunError::Viewer(
                    "the viewer did not connect within 0 s".into(),
                ));
            }
            self.journal.note("connect viewer");
            Ok(Box::new(FakeViewer {
                journal: self.journal.clone(),
                fault: self.fault,
                transport_up: self.transport_up.clone(),
                playing: self.playing.clone(),
                updates: watch::channel(None).0,
            }) as Box<dyn Viewer>)
        })
    }
}

/// A scenario of one short pause, with no idle time and the shortest settle.
fn scenario() -> Scenario {
    let text = "name = \"fake\"\nidle_before_s = 0\nsettle_timeout_s = 0.1\n\
                [target]\nkind = \"xspice\"\ncompression = [\"glz\"]\n\
                [[steps]]\nkind = \"pause\"\nduration_s = 0.05\n";
    match Scenario::parse(text, Path::new("fake.toml")) {
        Ok(s) => s,
        Err(e) => panic!("the test scenario is invalid: {e}"),
    }
}

/// Runs the scenario's one configuration over `lab` into a fresh folder, until it ends or
/// the lab's viewer starts playing and the test "signals" (`signal_mid_measure`).
async fn run_over(
    lab: &FakeLab,
    signal_mid_measure: bool,
) -> (
    Result<Result<std::path::PathBuf, RunError>, Interrupt>,
    tempfile::TempDir,
) {
    let scenario = scenario();
    let config = crate::plan::configurations(&scenario)[0].clone();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = OutputDir::new(dir.path());
    let options = RunOptions {
        capture: false,
        ..RunOptions::default()
    };
    let progress = LineProgress { quiet: true };
    let run = run_configuration(&scenario, &config, &out, &options, &progress, lab);
    let playing = lab.playing.clone();
    let signal = async move {
        if !signal_mid_measure {
            std::future::pending::<()>().await;
        }
        playing.notified().await;
        Interrupt::Int
    };
    let outcome = until_signal(run, signal).await;
    (outcome.map(|r| r.map(|(_, path)| path)), dir)
}

/// What the fakes record of a session that ran to its end: every part started, then stopped
/// in reverse.
const WHOLE_SESSION: [&str; 9] = [
    "start target",
    "start transport",
    "open transport",
    "connect viewer",
    "play",
    "finish viewer",
    "stop viewer",
    "stop transport",
    "stop target",
];

/// The error of a run that was expected to fail (not interrupted).
fn failure<T: std::fmt::Debug>(outcome: Result<Result<T, RunError>, Interrupt>) -> RunError {
    match outcome {
        Ok(Err(e)) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_run_over_fakes_writes_its_result_and_stops_everything_in_reverse() {
    let lab = FakeLab::new(Fault::None);
    let (outcome, _dir) = run_over(&lab, false).await;
    let path = match outcome {
        Ok(Ok(path)) => path,
        other => panic!("the run failed: {other:?}"),
    };
    assert!(path.is_file(), "{}", path.display());
    assert_eq!(lab.journal.entries(), WHOLE_SESSION);
}

#[tokio::test]
async fn a_target_that_fails_to_start_is_the_error_and_nothing_else_starts() {
    let lab = FakeLab::new(Fault::TargetFailsToStart);
    let (outcome, dir) = run_over(&lab, false).await;
    let err = failure(outcome);
    assert!(
        matches!(err, RunError::Lab(LabError::Exited { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("Xspice"), "{err}");
    assert_eq!(lab.journal.entries(), ["target failed"]);
    assert!(!OutputDir::new(dir.path()).result("glz").exists());
}

#[tokio::test]
async fn a_transport_that_dies_mid_run_is_named_and_everything_stops() {
    let lab = FakeLab::new(Fault::TransportDiesMidRun);
    let (outcome, _dir) = run_over(&lab, false).await;
    let err = failure(outcome);
    match &err {
        RunError::SessionDied { reason, hint } => {
            assert_eq!(reason, "the display channel closed");
            // The transport's health says why: the cause, not only the symptom.
            assert_eq!(hint, " (fake ssh exited with status 255)");
        }
        other => panic!("expected SessionDied, got {other}"),
    }
    assert_eq!(lab.journal.entries(), WHOLE_SESSION);
}

#[tokio::test]
async fn a_viewer_that_never_connects_is_the_error_and_the_lab_stops() {
    let lab = FakeLab::new(Fault::ViewerNeverConnects);
    let (outcome, _dir) = run_over(&lab, false).await;
    let err = failure(outcome);
    assert!(matches!(err, RunError::Viewer(_)), "{err}");
    assert!(err.to_string().contains("did not connect"), "{err}");
    assert_eq!(
        lab.journal.entries(),
        [
            "start target",
            "start transport",
            "open transport",
            "viewer gave up",
            "stop transport",
            "stop target",
        ]
    );
}

#[tokio::test]
async fn a_signal_mid_measure_stops_the_viewer_transport_and_target_in_reverse() {
    let lab = FakeLab::new(Fault::HangsMidMeasure);
    let (outcome, dir) = run_over(&lab, true).await;
    assert!(matches!(outcome, Err(Interrupt::Int)), "{outcome:?}");
    assert_eq!(
        lab.journal.entries(),
        [
            "start target",
            "start transport",
            "open transport",
            "connect viewer",
            "play",
            "stop viewer",
            "stop transport",
            "stop target",
        ]
    );
    // No result for a configuration the signal cut short; its events log was started.
    let out = OutputDir::new(dir.path());
    assert!(!out.result("glz").exists());
    assert!(out.events("glz").exists());
}
