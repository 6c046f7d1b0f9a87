//! One configuration of a scenario, in short phases over the three interfaces: start the
//! [`Target`](super::target::Target), start the [`Transport`](super::transport::Transport),
//! capture every leg, connect the [`Viewer`](super::viewer::Viewer), idle, play the plan,
//! settle, stop everything, and turn what was measured into a result.

use std::path::{Path, PathBuf};

use super::backends::Backends;
use super::capture::{start_capture, RunCapture};
use super::events_file::EventsFile;
use super::placement::Placement;
use super::progress::{Phase, Progress};
use super::summarize::{activity_warnings, input_warnings, summarize, summarize_screen, RunFacts};
use super::target::{Health, Target};
use super::transport::Transport;
use super::viewer::{wait_for_quiet, Viewer, ViewerContext, ViewerReport};
use super::wire_merge::merge_capture;
use super::RunError;
use crate::analyze::{bin_grid_start_ns, BIN_MS};
use crate::client::Clock;
use crate::lab::cpu;
use crate::plan::Configuration;
use crate::plan::{InputPlan, RunPlan};
use crate::results::{
    rfc3339, ConfigInfo, ConfigTransport, ConfigViewer, CpuUsage, EffectCheck, OutputDir,
    RegionChange, RegionCheck, RunResult, ScenarioInfo, ServerInfo, Warning, WarningCode,
};
use crate::scenario::Scenario;
use crate::wire::main_channel::mouse_mode;

/// Most characters of scenario text (the description) a result copies: a result describes
/// its run, it is not an archive of the scenario file.
const MAX_COPIED_CHARS: usize = 4096;

/// `text`, cut to `max` characters with a marker when longer.
fn clipped(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}… (cut at {max} characters)", &text[..at]),
        None => text.to_string(),
    }
}

/// Time from "script ready" to its first event, so the input thread is asleep on time.
const SCRIPT_LEAD_US: u64 = 200_000;

/// How to run configurations.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Capture the session with libpcap (loopback targets) and add wire numbers.
    pub capture: bool,
    /// The widest mode an output file may have (folders get the matching search bits).
    pub output_mode: u32,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            capture: true,
            output_mode: 0o600,
        }
    }
}

/// Narrows every file and folder under `dir` to `file_mode` (folders: plus the search bit
/// wherever it may read). The umask covers what spicebench creates; this covers what its
/// children create with a mode of their own (Xorg writes its log 0644).
pub fn restrict_outputs(dir: &Path, file_mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let dir_mode = file_mode | ((file_mode & 0o444) >> 2);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(meta) = e.path().symlink_metadata() else {
            continue;
        };
        // Links are not followed: they could point anywhere.
        if meta.file_type().is_symlink() {
            continue;
        }
        let allowed = if meta.is_dir() { dir_mode } else { file_mode };
        let mode = meta.permissions().mode() & 0o7777;
        if mode & !allowed != 0 {
            let _ =
                std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode & allowed));
        }
        if meta.is_dir() {
            restrict_outputs(&e.path(), file_mode);
        }
    }
}

/// What the measuring phases produced, before anything is stopped.
struct Measured {
    report: ViewerReport,
    effect: Option<EffectCheck>,
    region_check: Option<RegionCheck>,
    plan: InputPlan,
    start_us: u64,
    end_us: u64,
    /// The idle window before the plan: (start, end), µs since the epoch.
    idle: (u64, u64),
    /// Whether the target's desktop ran the input probe.
    probe_on_desktop: bool,
    settled: bool,
    played: Result<(), String>,
    /// The `prefer` steps as sent.
    switches: Vec<super::switches::SentSwitch>,
    /// CPU time per component while idle and while the plan played.
    cpu: CpuUsage,
}

/// Runs one configuration over the parts `backends` starts and writes its result
/// (`runs/<config>.json` in `out`) atomically (and, with capture, `captures/<config>.pcapng`;
/// see [`OutputDir`]). Whatever ends it (a failure, or the future dropped at a signal), the
/// parts it started are dropped, so stopped, in reverse order.
pub async fn run_configuration(
    scenario: &Scenario,
    config: &Configuration,
    out: &OutputDir,
    options: &RunOptions,
    progress: &dyn Progress,
    backends: &dyn Backends,
) -> Result<(RunResult, PathBuf), RunError> {
    let planned = Planned {
        config,
        plan: plan_off_the_runtime(scenario, config).await?,
    };
    progress.phase(Phase::StartingTarget);
    let lab = out.lab(&config.name);
    // Made first, so the target can start on its server side; dropped last (locals drop in
    // reverse), after every part that runs inside it.
    let placement = Placement::for_route(config.route, config.seed)?;
    let mut target = backends.start_target(scenario, config, &lab, &placement)?;
    let mut transport = backends.start_transport(
        config.route,
        &scenario.access.ssh,
        &*target,
        &lab,
        &placement,
    )?;
    let mut warnings = transport.notes();
    let pcap = out.capture(&config.name);
    let capture = match options.capture {
        true => start_capture(
            &transport.capture_points(),
            &pcap,
            &placement,
            &mut warnings,
        )?,
        false => None,
    };
    transport.open()?;
    // On the timeline's bin grid: a later `spicebench analyze` of the capture then draws the
    // same bins and gives the same rates.
    let clock = Clock::start_on_grid(|ns| bin_grid_start_ns(ns, BIN_MS));
    let measured = measure(
        scenario,
        &planned,
        out,
        &mut *target,
        &mut *transport,
        clock,
        progress,
        backends,
    )
    .await?;
    // Stopped after the viewer closed, so the connections' ends are on the capture too.
    let capture = capture.map(RunCapture::stop).transpose()?;
    if let Some(reason) = measured
        .report
        .failure
        .clone()
        .or(measured.played.clone().err())
    {
        let hint = health_hint(&mut *target, &mut *transport);
        return Err(RunError::SessionDied { reason, hint });
    }
    let mut result = describe(scenario, config, &*target, &*transport, &measured, clock);
    // The lab stops before the analysis, which then has the machine to itself.
    drop(transport);
    drop(target);
    drop(placement);
    result.warnings.extend(warnings);
    let interval = summarize_measured(config, &measured, &mut result);
    if let Some(stats) = capture {
        progress.phase(Phase::Analyzing);
        merge_capture(&mut result, &pcap, stats, clock, interval)?;
    }
    let quiet_run = activity_warnings(&result);
    result.warnings.extend(quiet_run);
    let untrusted = input_warnings(&result);
    result.warnings.extend(untrusted);
    let path = out.result(&config.name);
    result
        .write_atomic(&path)
        .map_err(|source| RunError::Write {
            path: path.clone(),
            source,
        })?;
    Ok((result, path))
}

/// The configuration's plan, unrolled on a blocking thread: the async runtime's threads
/// stay free for the signal handler however long a (bounded) plan takes.
async fn plan_off_the_runtime(
    scenario: &Scenario,
    config: &Configuration,
) -> Result<RunPlan, RunError> {
    let scenario = scenario.clone();
    let seed = config.seed;
    tokio::task::spawn_blocking(move || crate::plan::run_plan(&scenario, seed))
        .await
        .map_err(|e| RunError::SessionDied {
            reason: format!("planning the inputs failed: {e}"),
            hint: String::new(),
        })
}

/// A configuration and its inputs, planned before anything starts.
struct Planned<'a> {
    config: &'a Configuration,
    plan: RunPlan,
}

/// Connect, idle, play, settle, finish: everything that happens while the session is up.
#[allow(clippy::too_many_arguments)] // the phases' inputs, each used once
async fn measure(
    scenario: &Scenario,
    planned: &Planned<'_>,
    out: &OutputDir,
    target: &mut dyn Target,
    transport: &mut dyn Transport,
    clock: Clock,
    progress: &dyn Progress,
    backends: &dyn Backends,
) -> Result<Measured, RunError> {
    let (config, run_plan) = (planned.config, &planned.plan);
    progress.phase(Phase::Connecting);
    let mut viewer = backends
        .connect_viewer(
            config.viewer,
            ViewerContext {
                endpoint: transport.viewer_endpoint(),
                target,
                transport,
                clock,
                lab_dir: out.lab(&config.name),
            },
        )
        .await?;
    let events_path = out.events(&config.name);
    let events =
        EventsFile::start(viewer.events(), &events_path).map_err(|source| RunError::Write {
            path: events_path.clone(),
            source,
        })?;

    progress.phase(Phase::Idle);
    // Every part is up now (an ssh -X viewer's process included): whose processes are whose.
    let parts: Vec<_> = (target.processes().into_iter())
        .chain(transport.processes())
        .chain(viewer.processes())
        .collect();
    let idle_start = clock.now_us();
    let cpu_idle_start = cpu::snapshot(&parts, idle_start);
    tokio::time::sleep(scenario.idle_before).await;
    let idle = (idle_start, clock.now_us());
    let cpu_idle_end = cpu::snapshot(&parts, idle.1);
    let window_before = target.drag_window();
    let regions_before = region_probe(scenario, run_plan, &*target);
    let mut switches = Vec::new();
    let (plan, start_us, played, wait_failed) = play_segments(
        scenario,
        run_plan,
        &*target,
        &mut *viewer,
        clock,
        progress,
        &mut switches,
    )
    .await;
    progress.phase(Phase::Settling);
    let script_end_us = start_us + plan.duration.as_micros() as u64;
    let settled = match wait_failed {
        Some(_) => false,
        None => wait_for_quiet(&*viewer, clock, script_end_us, scenario.settle_timeout).await,
    };
    let end_us = clock.now_us();
    let cpu_end = cpu::snapshot(&parts, end_us);
    let hz = cpu::ticks_per_second();
    let cpu = CpuUsage {
        cores: cpu::cores(),
        idle: cpu::window(&cpu_idle_start, &cpu_idle_end, hz),
        active: cpu::window(&cpu_idle_end, &cpu_end, hz),
    };
    let effect = window_before.map(|before| {
        let after = target.drag_window();
        let title = target.drag_title().unwrap_or_default();
        effect_check(&plan, title, before, after, target.pointer_tolerance_px())
    });
    let region_check = regions_before.map(|before| region_check(before, &*target));
    let mut report = viewer.finish().await;
    // Whatever happened, what the viewer saw is on disk.
    if let Err(e) = events.finish().await {
        report.notes.push(Warning::new(
            WarningCode::EventsLogIncomplete,
            format!(
                "the events log {} is incomplete: {e}",
                events_path.display()
            ),
        ));
    }
    if let Some(e) = wait_failed {
        return Err(e.into());
    }
    Ok(Measured {
        report,
        effect,
        region_check,
        plan,
        start_us,
        end_us,
        idle,
        probe_on_desktop: target.desktop().is_some(),
        settled,
        played,
        switches,
        cpu,
    })
}

/// Plays the run's segments in order, each after its wait. Returns everything played as one
/// plan timed from the first segment's start, that start, how playing went, and the wait
/// that failed, if one did (nothing after it is played).
async fn play_segments(
    scenario: &Scenario,
    run_plan: &RunPlan,
    target: &dyn Target,
    viewer: &mut dyn Viewer,
    clock: Clock,
    progress: &dyn Progress,
    switches: &mut Vec<super::switches::SentSwitch>,
) -> (
    InputPlan,
    u64,
    Result<(), String>,
    Option<super::waits::WaitFailed>,
) {
    let file = scenario.source.display().to_string();
    let mut played_plan = InputPlan::default();
    let mut first_start: Option<u64> = None;
    for segment in run_plan.segments.iter().cloned() {
        if let Some(w) = &segment.wait {
            progress.phase(Phase::Waiting);
            if let Err(e) = super::waits::wait(w, &file, target, viewer, clock).await {
                return (
                    played_plan,
                    first_start.unwrap_or(clock.now_us()),
                    Ok(()),
                    Some(e),
                );
            }
        }
        if let Some(p) = segment.prefer {
            match viewer.prefer(&p.preference) {
                Ok(sent_us) => switches.push(super::switches::SentSwitch {
                    preference: p.preference,
                    line: p.line,
                    sent_us,
                }),
                Err(why) => {
                    let origin = first_start.unwrap_or(clock.now_us());
                    return (
                        played_plan,
                        origin,
                        Err(format!("{file}:{}: prefer: {why}", p.line)),
                        None,
                    );
                }
            }
        }
        if segment.inputs.events.is_empty() && segment.inputs.duration.is_zero() {
            continue;
        }
        let start = clock.now_us() + SCRIPT_LEAD_US;
        let origin = *first_start.get_or_insert(start);
        let played = viewer.play(&segment.inputs, start, progress).await;
        played_plan.append(
            &segment.inputs,
            std::time::Duration::from_micros(start - origin),
        );
        if played.is_err() {
            return (played_plan, origin, played, None);
        }
        // A viewer returns after the last event; a trailing pause still has to pass before
        // the next wait (or the settle) starts.
        let end = start
            .saturating_add(u64::try_from(segment.inputs.duration.as_micros()).unwrap_or(u64::MAX));
        let now = clock.now_us();
        if end > now {
            tokio::time::sleep(std::time::Duration::from_micros(end - now)).await;
        }
    }
    let origin = first_start.unwrap_or_else(|| clock.now_us());
    (played_plan, origin, Ok(()), None)
}

/// Compares how far the plan should have moved the lab's drag window with how far it did.
/// Whether the drags moved the window by the plan's displacement, give or take `tolerance`
/// pixels per axis (a tablet's position scaling rounds).
fn effect_check(
    plan: &InputPlan,
    title: &str,
    before: crate::lab::x11::WindowGeometry,
    after: Option<crate::lab::x11::WindowGeometry>,
    tolerance: u32,
) -> EffectCheck {
    let (ex, ey) = plan.drag_displacement();
    let observed = after.map(|a| {
        [
            i64::from(a.x) - i64::from(before.x),
            i64::from(a.y) - i64::from(before.y),
        ]
    });
    EffectCheck {
        subject: format!("window \"{title}\""),
        expected_move: [ex, ey],
        observed_move: observed,
        ok: observed.is_some_and(|[x, y]| {
            x.abs_diff(ex) <= u64::from(tolerance) && y.abs_diff(ey) <= u64::from(tolerance)
        }),
    }
}

/// Side of the squares [`region_probe`] reads at each drag end: about a shape handle's size,
/// small enough to lie inside the document's shapes.
const REGION_SIZE: u32 = 16;

/// The squares at the drags' press and release points with their pixels now, when the
/// desktop's content has no window to follow (LibreOffice Draw's shapes).
fn region_probe(
    scenario: &Scenario,
    run_plan: &RunPlan,
    target: &dyn Target,
) -> Option<Vec<(RegionChange, Option<Vec<u8>>)>> {
    let desktop = target.desktop()?;
    if scenario.desktop.content != crate::scenario::DesktopContent::Lodraw {
        return None;
    }
    let plan = run_plan.merged();
    let mut regions = Vec::new();
    // Clicks press and release at one point: only drags move a shape.
    for (press, release) in plan.drag_ends().into_iter().filter(|(p, r)| p != r) {
        for (at, (x, y)) in [("press", press), ("release", release)] {
            let half = REGION_SIZE / 2;
            let pixels = desktop.region_pixels(
                x.saturating_sub(half),
                y.saturating_sub(half),
                REGION_SIZE,
                REGION_SIZE,
            );
            regions.push((
                RegionChange {
                    at: at.to_string(),
                    point: [x, y],
                    size: REGION_SIZE,
                    changed: None,
                },
                pixels,
            ));
        }
    }
    Some(regions)
}

/// Reads the squares again and says which changed.
fn region_check(before: Vec<(RegionChange, Option<Vec<u8>>)>, target: &dyn Target) -> RegionCheck {
    let desktop = target.desktop();
    let regions: Vec<RegionChange> = before
        .into_iter()
        .map(|(mut region, pixels)| {
            let [x, y] = region.point;
            let half = region.size / 2;
            let after = desktop.and_then(|d| {
                d.region_pixels(
                    x.saturating_sub(half),
                    y.saturating_sub(half),
                    region.size,
                    region.size,
                )
            });
            region.changed = match (pixels, after) {
                (Some(a), Some(b)) => Some(a != b),
                _ => None,
            };
            region
        })
        .collect();
    RegionCheck {
        subject: "shapes in LibreOffice Draw".into(),
        ok: !regions.is_empty() && regions.iter().all(|r| r.changed == Some(true)),
        regions,
    }
}

/// What the lab knows about a broken session (e.g. Xspice exited), as a suffix.
fn health_hint(target: &mut dyn Target, transport: &mut dyn Transport) -> String {
    [target.health(), transport.health()]
        .into_iter()
        .filter_map(|h| match h {
            Health::Exited(why) => Some(format!(" ({why})")),
            Health::Running => None,
        })
        .collect()
}

/// The result's description of what was run.
fn describe(
    scenario: &Scenario,
    config: &Configuration,
    target: &dyn Target,
    transport: &dyn Transport,
    measured: &Measured,
    clock: Clock,
) -> RunResult {
    let protocol = measured.report.protocol.as_ref();
    let route = transport.route();
    let mut result = RunResult {
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            file: scenario.source.display().to_string(),
            description: scenario
                .description
                .as_deref()
                .map(|d| clipped(d, MAX_COPIED_CHARS)),
        },
        config: ConfigInfo {
            name: config.name.clone(),
            target: scenario.target.kind_name().to_string(),
            transport: ConfigTransport::Access(route.kind()),
            ssh_compression: route.transport.ssh_compression(),
            tls: target.tls().is_some(),
            compression: config.compression.as_str().to_string(),
            compression_mechanism: target.compression_mechanism().as_str().to_string(),
            viewer: ConfigViewer::Kind(config.viewer),
            viewer_version: Some(measured.report.version.clone()),
            geometry: target.geometry().map(|g| g.to_string()),
            heads: Some(scenario.target.heads()).filter(|h| *h > 1),
            desktop: target
                .desktop()
                .map(|_| scenario.desktop.content.as_str().to_string()),
            compositor: config.compositor,
            server_settings: config
                .knobs
                .settings()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            link: transport.link(),
            repeat_index: config.repeat_index.saturating_sub(1),
            seed: config.seed,
        },
        started_at: rfc3339(clock.wall_at_epoch()),
        server: ServerInfo {
            address: protocol.map_or_else(|| target.endpoint().to_string(), |p| p.server.clone()),
            mouse_mode: protocol.map(|p| {
                if p.mouse_mode == mouse_mode::CLIENT {
                    "client".to_string()
                } else {
                    "server".to_string()
                }
            }),
            net_test: None,
            software: target.software(),
            vm_name: protocol.and_then(|p| p.vm_name.clone()),
            vm_uuid: protocol.and_then(|p| p.vm_uuid.clone()),
        },
        ..RunResult::default()
    };
    if target
        .tls()
        .is_some_and(|t| t.trust == crate::client::TlsTrust::InsecureSkipVerify)
    {
        result.warnings.push(Warning::new(
            WarningCode::TlsUnverified,
            "the server's TLS certificate was not checked (insecure_skip_verify): the session \
             may not have reached the server you meant",
        ));
    }
    if protocol.is_some_and(|p| p.mouse_mode != mouse_mode::CLIENT) {
        result.warnings.push(Warning::new(
            WarningCode::ServerMouseMode,
            "server mouse mode: pointer positions are relative and subject to the guest's \
             pointer acceleration",
        ));
    }
    if !measured.settled {
        result.warnings.push(Warning::new(
            WarningCode::NotSettled,
            "the display never went quiet before settle_timeout_s: settle time and rates cover \
             only what was seen",
        ));
    }
    result
        .warnings
        .extend(measured.report.notes.iter().cloned());
    if let Some(e) = measured.effect.clone() {
        if !e.ok {
            let got = e
                .observed_move
                .map_or("could not be read".to_string(), |[x, y]| {
                    format!("moved ({x}, {y})")
                });
            result.warnings.push(Warning::new(
                WarningCode::DragMissed,
                format!(
                    "the input did not have its intended effect: the drags should have moved \
                     the {} by ({}, {}), but it {got}; did the drag miss the title bar?",
                    e.subject, e.expected_move[0], e.expected_move[1]
                ),
            ));
        }
        result.effect = Some(e);
    }
    if let Some(r) = measured.region_check.clone() {
        if !r.ok {
            let unchanged: Vec<String> = r
                .regions
                .iter()
                .filter(|x| x.changed != Some(true))
                .map(|x| format!("{} at ({}, {})", x.at, x.point[0], x.point[1]))
                .collect();
            result.warnings.push(Warning::new(
                WarningCode::RegionUnchanged,
                format!(
                    "the input did not have its intended effect: the screen did not change at \
                     {} (did a drag miss its shape, or did the document not open where the \
                     steps expect?)",
                    unchanged.join(", ")
                ),
            ));
        }
        result.region_check = Some(r);
    }
    result
        .warnings
        .extend(cpu::saturation_warning(&measured.cpu));
    result.cpu = Some(measured.cpu.clone());
    result
}

/// The viewer's own numbers: protocol events (our client) or screen events (remote-viewer).
/// Returns the measured interval (first input → end of settle, µs since the epoch).
fn summarize_measured(
    config: &Configuration,
    measured: &Measured,
    result: &mut RunResult,
) -> Option<(u64, u64)> {
    let at = |d: std::time::Duration| measured.start_us + d.as_micros() as u64;
    let protocol = measured.report.protocol.as_ref();
    let facts = RunFacts {
        bursts: measured
            .plan
            .bursts
            .iter()
            .map(|b| (at(b.start), at(b.end), b.events as u64))
            .collect(),
        end_us: measured.end_us,
        max_unacked_motion: protocol.map_or(0, |p| u64::from(p.max_unacked_motion)),
        merged_motion: protocol.map_or(0, |p| p.merged_motion),
        compression: config.compression.as_str().to_string(),
        realtime: protocol.and_then(|p| p.realtime),
        idle: Some(measured.idle),
        planned_end: measured.plan.final_position(),
        probe_expected: measured.probe_on_desktop,
    };
    if let Some(p) = protocol {
        result
            .warnings
            .extend(p.log.notes.iter().map(|n| n.clone().prefixed("note: ")));
        result.preference_switches = super::switches::mark(
            &measured.switches,
            Some(config.compression),
            &p.log.updates,
            &p.log.stream_creates,
        );
        let warnings: Vec<Warning> = measured
            .switches
            .iter()
            .zip(&result.preference_switches)
            .filter(|(_, mark)| mark.took_effect_s.is_none())
            .map(|(sent, mark)| super::switches::never_seen(sent, mark))
            .collect();
        result.warnings.extend(warnings);
        return summarize(&p.log, &facts, result);
    }
    measured
        .report
        .screen
        .as_ref()
        .and_then(|screen| summarize_screen(screen, &facts, result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_clipped_on_a_character_boundary() {
        assert_eq!(clipped("short", 10), "short");
        let long = "é".repeat(5000);
        let c = clipped(&long, MAX_COPIED_CHARS);
        assert!(c.starts_with(&"é".repeat(MAX_COPIED_CHARS)));
        assert!(c.ends_with("… (cut at 4096 characters)"));
    }

    #[test]
    fn a_drag_lands_within_the_pointer_devices_tolerance() {
        let text = "name = \"t\"\n[target]\nkind = \"xspice\"\ncompression = [\"glz\"]\n\
                    [[steps]]\nkind = \"drag\"\nfrom = [100, 60]\nto = [400, 260]\n\
                    duration_s = 1.0\nrate_hz = 50\nbutton = \"left\"\n";
        let scenario = Scenario::parse(text, std::path::Path::new("t.toml")).expect("valid");
        let plan = crate::plan::input_plan(&scenario, 1);
        let at = |x, y| crate::lab::x11::WindowGeometry {
            x,
            y,
            width: 484,
            height: 335,
        };
        let check =
            |after, tolerance| effect_check(&plan, "xterm", at(50, 50), Some(after), tolerance).ok;
        assert!(check(at(350, 250), 0));
        // A tablet's rounding: one pixel short on each axis.
        assert!(!check(at(349, 249), 0));
        assert!(check(at(349, 249), 2));
        assert!(!check(at(340, 250), 2), "ten pixels short is a missed drag");
        assert!(!effect_check(&plan, "xterm", at(50, 50), None, 2).ok);
    }
}
