//! One configuration of a scenario: start the target, connect, idle, play the input plan, wait
//! for the display to settle, and turn what was recorded into a result.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::events_file::EventsFile;
use super::progress::{Phase, Progress};
use super::summarize::{summarize, RunFacts, QUIET_US};
use super::wire_merge::merge_capture;
use crate::analyze::{analyze_file, AnalyzeOptions};
use crate::capture::{
    CaptureError, CaptureHandle, LiveCapture, DEFAULT_BUFFER_BYTES, DEFAULT_SNAPLEN,
};
use crate::client::{ClientError, PointerStep, ScheduledStep, Session, SessionConfig};
use crate::lab::{Desktop, LabError, Xspice, XspiceConfig};
use crate::results::{rfc3339, ConfigInfo, RunResult, ScenarioInfo, ServerInfo};
use crate::scenario::{Configuration, InputPlan, PasswordError, PointerAction, Scenario, Target};
use crate::wire::main_channel::mouse_mode;

/// Why a configuration could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The lab could not start the target.
    #[error("starting the target: {0}")]
    Lab(#[from] LabError),
    /// The client could not connect or link.
    #[error("{0}")]
    Client(#[from] ClientError),
    /// The password source failed.
    #[error("{0}")]
    Password(#[from] PasswordError),
    /// The session broke during the measurement.
    #[error("the session ended during the run: {reason}{hint}")]
    SessionDied {
        /// What closed.
        reason: String,
        /// What the lab knows (e.g. Xspice exited).
        hint: String,
    },
    /// Capturing or reading the capture failed.
    #[error("capture: {0}")]
    Capture(#[from] CaptureError),
    /// The live capture lacks privilege.
    #[error("capture: {0}; or measure without wire numbers: spicebench run --no-capture")]
    CapturePermission(CaptureError),
    /// Writing results failed.
    #[error("writing {path}: {source}")]
    Write {
        /// File.
        path: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
}

/// Time from "script ready" to its first event, so the input thread is asleep on time.
const SCRIPT_LEAD_US: u64 = 200_000;

/// Where a configuration's files go.
pub fn result_path(out_dir: &Path, config: &Configuration) -> PathBuf {
    out_dir.join("runs").join(format!("{}.json", config.name))
}

/// The target as started for one configuration: kept alive until the session is closed.
struct Target_ {
    addr: String,
    password: String,
    preferred_compression: Option<u8>,
    mechanism: &'static str,
    geometry: Option<String>,
    xspice: Option<Xspice>,
    desktop: Option<Desktop>,
}

fn start_target(
    scenario: &Scenario,
    config: &Configuration,
    lab_dir: &Path,
) -> Result<Target_, RunError> {
    match &scenario.target {
        Target::Xspice { geometry, .. } => {
            // Children are started from this (long-lived) thread on purpose: their parent-
            // death signal fires when the starting *thread* exits.
            let xspice = Xspice::start(
                &XspiceConfig {
                    width: geometry.width,
                    height: geometry.height,
                    image_compression: config.compression.as_str().to_string(),
                    ..XspiceConfig::default()
                },
                lab_dir,
            )?;
            let desktop =
                Desktop::start(xspice.display(), geometry.width, geometry.height, lab_dir)?;
            Ok(Target_ {
                addr: xspice.addr(),
                password: String::new(),
                preferred_compression: None,
                mechanism: "server-setting",
                geometry: Some(geometry.to_string()),
                xspice: Some(xspice),
                desktop: Some(desktop),
            })
        }
        Target::External {
            uri,
            password,
            geometry,
            ..
        } => Ok(Target_ {
            addr: if uri.host.contains(':') {
                format!("[{}]:{}", uri.host, uri.port)
            } else {
                format!("{}:{}", uri.host, uri.port)
            },
            password: password.resolve()?.unwrap_or_default(),
            preferred_compression: Some(config.compression.wire_code()),
            mechanism: "client-preference",
            geometry: geometry.map(|g| g.to_string()),
            xspice: None,
            desktop: None,
        }),
    }
}

/// Converts the plan to timed pointer steps starting at `start_us`.
pub fn schedule(plan: &InputPlan, start_us: u64) -> Vec<ScheduledStep> {
    let mut held: u16 = 0;
    plan.events
        .iter()
        .map(|e| {
            let at_us = start_us + e.at.as_micros() as u64;
            let step = match e.action {
                PointerAction::MoveTo { x, y, buttons } => PointerStep::MoveTo { x, y, buttons },
                PointerAction::Press { button, .. } => {
                    held |= button.mask();
                    PointerStep::Press {
                        button: button.spice_code(),
                        buttons: held,
                    }
                }
                PointerAction::Release { button, .. } => {
                    held &= !button.mask();
                    PointerStep::Release {
                        button: button.spice_code(),
                        buttons: held,
                    }
                }
            };
            ScheduledStep { at_us, step }
        })
        .collect()
}

/// How to run configurations.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Capture the session with libpcap (loopback targets) and add wire numbers.
    pub capture: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self { capture: true }
    }
}

/// Where a configuration's capture goes.
pub fn capture_path(out_dir: &Path, config: &Configuration) -> PathBuf {
    out_dir
        .join("captures")
        .join(format!("{}.pcapng", config.name))
}

/// Starts the live capture of the session to `addr`, before the client links so every link
/// message is on it. Only loopback targets are captured so far (the interface is `lo`).
fn start_capture(
    addr: &str,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<Option<CaptureHandle>, RunError> {
    let Ok(sock) = addr.parse::<std::net::SocketAddr>() else {
        warnings.push(format!(
            "no capture: `{addr}` is not an IP address and port"
        ));
        return Ok(None);
    };
    if !sock.ip().is_loopback() {
        warnings.push(format!(
            "no capture: {addr} is not on loopback; only loopback targets are captured so far"
        ));
        return Ok(None);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| RunError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let live = LiveCapture::open(
        "lo",
        &format!("tcp port {}", sock.port()),
        DEFAULT_SNAPLEN,
        DEFAULT_BUFFER_BYTES,
    )
    .map_err(|e| match e {
        CaptureError::Permission { .. } => RunError::CapturePermission(e),
        e => RunError::Capture(e),
    })?;
    Ok(Some(live.spawn_to_file(path)?))
}

/// Runs one configuration and writes `OUT/runs/<config>.json` atomically (and, with capture,
/// `OUT/captures/<config>.pcapng`).
pub async fn run_configuration(
    scenario: &Scenario,
    config: &Configuration,
    out_dir: &Path,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<(RunResult, PathBuf), RunError> {
    progress.phase(Phase::StartingTarget);
    // Absolute, because the lab runs tools in other working directories.
    let lab_dir = std::path::absolute(out_dir.join("lab").join(&config.name))
        .unwrap_or_else(|_| out_dir.join("lab").join(&config.name));
    let mut target = start_target(scenario, config, &lab_dir)?;
    let mut warnings = Vec::new();
    let pcap = capture_path(out_dir, config);
    let capture = if options.capture {
        start_capture(&target.addr, &pcap, &mut warnings)?
    } else {
        None
    };
    let clock = crate::client::Clock::start();
    progress.phase(Phase::Connecting);
    let session = Session::connect(
        &SessionConfig {
            preferred_compression: target.preferred_compression,
            ..SessionConfig::new(target.addr.clone(), target.password.clone())
        },
        clock,
    )
    .await?;
    let events = EventsFile::start(
        session.recorder().clone(),
        &out_dir
            .join("events")
            .join(format!("{}.jsonl", config.name)),
    )
    .map_err(|source| RunError::Write {
        path: out_dir.join("events"),
        source,
    })?;

    progress.phase(Phase::Idle);
    tokio::time::sleep(scenario.idle_before).await;
    let plan = scenario.input_plan_with_seed(config.seed);
    let start_us = clock.now_us() + SCRIPT_LEAD_US;
    let steps = schedule(&plan, start_us);
    let runner = session.script_runner();
    let total = steps.len() as u64;
    let report = {
        let thread_runner = runner.clone();
        let mut handle = tokio::task::spawn_blocking(move || thread_runner.run(&steps));
        // If this future is dropped (Ctrl-C), stop the thread before its next step.
        let mut guard = CancelOnDrop(Some(runner));
        let r = loop {
            tokio::select! {
                r = &mut handle => break r,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {
                    let sent = session.recorder().lock().inputs.len() as u64;
                    progress.phase(Phase::Inputs { sent, total });
                }
            }
        };
        guard.0.take();
        r.unwrap_or_default()
    };
    progress.phase(Phase::Settling);
    let script_end_us = start_us + plan.duration.as_micros() as u64;

    // Settle: wait for 300 ms without display updates, at most settle_timeout.
    let settle_deadline = clock.now_us() + scenario.settle_timeout.as_micros() as u64;
    loop {
        if session.failure().is_some() {
            break;
        }
        let now = clock.now_us();
        let last_update = session
            .recorder()
            .lock()
            .updates
            .last()
            .map_or(0, |u| u.at_us);
        if now.saturating_sub(last_update.max(script_end_us)) >= QUIET_US || now >= settle_deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let end_us = clock.now_us();
    let failure = session.failure().or(report.error.clone());
    let mouse = session.mouse_mode();
    let server = session.server().to_string();
    let compression_note = session.compression_note().map(str::to_string);
    let (_, max_unacked) = session.input_gate().pacing_stats();
    let log = session.close().await;
    // Whatever happened, what the client saw is on disk.
    let events_written = events.finish().await;
    // Stopped after the close so the connections' ends are on the capture too.
    let capture_stats = match capture {
        Some(handle) => Some(handle.stop()?),
        None => None,
    };
    if let Some(reason) = failure {
        let hint = match target.xspice.as_mut() {
            Some(x) => {
                if x.is_running() {
                    String::new()
                } else {
                    format!(" (Xspice exited; its log is {})", x.log().display())
                }
            }
            None => String::new(),
        };
        return Err(RunError::SessionDied { reason, hint });
    }
    let server_software = target
        .xspice
        .as_ref()
        .map(|_| crate::lab::xspice::package_versions())
        .filter(|v| !v.is_empty());
    drop(target.desktop.take());
    drop(target.xspice.take());

    let mut result = RunResult {
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            file: scenario.source.display().to_string(),
            description: scenario.description.clone(),
        },
        config: ConfigInfo {
            name: config.name.clone(),
            target: scenario.target.kind_name().to_string(),
            transport: "spice".into(),
            compression: config.compression.as_str().to_string(),
            compression_mechanism: target.mechanism.to_string(),
            viewer: format!("spicebench {}", env!("CARGO_PKG_VERSION")),
            geometry: target.geometry.clone(),
            repeat_index: config.repeat_index.saturating_sub(1),
            seed: config.seed,
        },
        started_at: rfc3339(clock.wall_at_epoch()),
        server: ServerInfo {
            address: server,
            mouse_mode: Some(
                if mouse == mouse_mode::CLIENT {
                    "client"
                } else {
                    "server"
                }
                .into(),
            ),
            net_test: None,
            software: server_software,
        },
        ..RunResult::default()
    };
    if mouse != mouse_mode::CLIENT {
        result.warnings.push(
            "server mouse mode: pointer positions are relative and subject to the guest's \
             pointer acceleration"
                .into(),
        );
    }
    result.warnings.extend(compression_note);
    result
        .warnings
        .extend(log.notes.iter().map(|n| format!("note: {n}")));
    let facts = RunFacts {
        bursts: plan
            .bursts
            .iter()
            .map(|b| {
                (
                    start_us + b.start.as_micros() as u64,
                    start_us + b.end.as_micros() as u64,
                    b.events as u64,
                )
            })
            .collect(),
        end_us,
        max_unacked_motion: u64::from(max_unacked),
        compression: config.compression.as_str().to_string(),
    };
    result.warnings.extend(warnings);
    if let Err(e) = events_written {
        result
            .warnings
            .push(format!("the events log is incomplete: {e}"));
    }
    let interval = summarize(&log, &facts, &mut result);
    result.timeline.anchor(clock.wall_at_epoch());
    if let Some(stats) = capture_stats {
        progress.phase(Phase::Analyzing);
        let epoch_ns = clock
            .wall_at_epoch()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let wire = analyze_file(
            &pcap,
            AnalyzeOptions {
                t0_ns: Some(epoch_ns),
                ..AnalyzeOptions::default()
            },
        )?;
        merge_capture(&mut result, wire, stats, interval);
    }
    let path = result_path(out_dir, config);
    result
        .write_atomic(&path)
        .map_err(|source| RunError::Write {
            path: path.clone(),
            source,
        })?;
    Ok((result, path))
}

struct CancelOnDrop(Option<crate::client::ScriptRunner>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            r.cancel();
        }
    }
}
