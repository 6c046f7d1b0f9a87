//! The configuration matrix of a scenario: each configuration in turn, a progress line each,
//! results written after every configuration, and an interrupted sweep that keeps what it
//! finished and says what it did not.

use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

use super::backends::Lab;
use super::configuration::{run_configuration, RunOptions};
use super::interrupt::{Interrupt, Interrupts};
use super::progress::Progress;
use super::report_files::{read_results, write_report};
use crate::export::FailedRun;
use crate::plan::Configuration;
use crate::results::{mib, OutputDir, RunResult};
use crate::scenario::Scenario;

/// What happened to each configuration.
#[derive(Debug, Default)]
pub struct MatrixOutcome {
    /// Measured configurations, with their result file.
    pub done: Vec<(Configuration, RunResult, PathBuf)>,
    /// Configurations that failed, with the error text.
    pub failed: Vec<(Configuration, String)>,
    /// Configurations not started because the sweep was interrupted.
    pub not_run: Vec<Configuration>,
    /// The signal that ended the sweep early, if one did.
    pub interrupted: Option<Interrupt>,
    /// Why the report could not be written, if it could not (the last attempt's error).
    pub report_error: Option<String>,
}

/// Runs `configs` of `scenario`, writing into `out`, calling `progress` with one line per
/// event. A signal in `interrupts` (SIGINT, SIGTERM, SIGHUP) stops the current configuration
/// (its processes are stopped, its capture closed) and the sweep. The report is rewritten
/// after every configuration, failed ones included, so an interrupted sweep keeps one.
pub async fn run_matrix(
    scenario: &Scenario,
    configs: &[Configuration],
    out: &OutputDir,
    options: &RunOptions,
    progress: &dyn Progress,
    interrupts: &mut Interrupts,
) -> MatrixOutcome {
    let line = |text: String| progress.line(&text);
    let lab = Lab::new(interrupts.cancel());
    let mut outcome = MatrixOutcome::default();
    let total = configs.len();
    for (i, config) in configs.iter().enumerate() {
        if outcome.interrupted.is_some() {
            outcome.not_run.push(config.clone());
            continue;
        }
        let started = Instant::now();
        line(format!(
            "[{}/{}] {}: starting ({} target, compression {}, {}, viewer {})",
            i + 1,
            total,
            config.name,
            scenario.target.kind_name(),
            config.compression,
            config.route.label(),
            config.viewer
        ));
        progress.config_started(i, total, &config.name);
        let run = run_configuration(scenario, config, out, options, progress, &lab);
        let result = until_signal(run, interrupts.next()).await;
        match result {
            Err(signal) => {
                outcome.interrupted = Some(signal);
                line(format!(
                    "[{}/{}] {}: {signal}; its processes were stopped",
                    i + 1,
                    total,
                    config.name
                ));
                outcome.not_run.push(config.clone());
            }
            Ok(Ok((r, path))) => {
                let display = r.display_down_bytes();
                let lat = r.headline_latency();
                line(format!(
                    "[{}/{}] {}: done in {:.1} s: display {:.2} MiB, {} latency samples ({}), p50 {} → {}",
                    i + 1,
                    total,
                    config.name,
                    started.elapsed().as_secs_f64(),
                    mib(display),
                    lat.count,
                    lat.label(),
                    lat.p50_ms.map_or("-".into(), |v| format!("{v:.1} ms")),
                    path.display()
                ));
                outcome.done.push((config.clone(), r, path));
            }
            // A start-up the signal stopped midway ends in an error too: it is the signal.
            Ok(Err(_)) if interrupts.received().is_some() => {
                let signal = interrupts.received().unwrap_or(Interrupt::Int);
                outcome.interrupted = Some(signal);
                line(format!(
                    "[{}/{}] {}: {signal}; its processes were stopped",
                    i + 1,
                    total,
                    config.name
                ));
                outcome.not_run.push(config.clone());
            }
            Ok(Err(e)) => {
                line(format!(
                    "[{}/{}] {}: FAILED after {:.1} s: {e}",
                    i + 1,
                    total,
                    config.name,
                    started.elapsed().as_secs_f64()
                ));
                outcome.failed.push((config.clone(), e.to_string()));
            }
        }
        write_matrix_report(scenario, out, &mut outcome, &line);
        super::configuration::restrict_outputs(out.root(), options.output_mode);
        progress.config_finished();
    }
    if outcome.interrupted.is_some() {
        // Once more with every configuration the signal kept from running listed.
        write_matrix_report(scenario, out, &mut outcome, &line);
        super::configuration::restrict_outputs(out.root(), options.output_mode);
    }
    outcome
}

/// Runs `run` to its end, or until `signal` comes first. The signal drops `run`, and with it
/// every part it started, which stop as they drop (their processes stopped, the capture
/// closed).
pub async fn until_signal<T>(
    run: impl Future<Output = T>,
    signal: impl Future<Output = Interrupt>,
) -> Result<T, Interrupt> {
    tokio::select! {
        r = run => Ok(r),
        s = signal => Err(s),
    }
}

/// Rewrites the report from everything so far: measured configurations, failed ones, and
/// those a signal kept from running (listed with the signal, so an interrupted sweep leaves
/// a report that says what it did not measure, even before its first result). The measured
/// ones are read back from their results files, as `spicebench report` reads them.
fn write_matrix_report(
    scenario: &Scenario,
    out: &OutputDir,
    outcome: &mut MatrixOutcome,
    line: &dyn Fn(String),
) {
    if outcome.done.is_empty() && outcome.failed.is_empty() && outcome.not_run.is_empty() {
        return;
    }
    let files: Vec<PathBuf> = outcome.done.iter().map(|(_, _, p)| p.clone()).collect();
    let results: Vec<RunResult> = match read_results(&files) {
        Ok(read) => read.into_iter().map(|(_, r)| r).collect(),
        Err(e) => {
            line(format!("could not write the report: {e}"));
            outcome.report_error = Some(e.to_string());
            return;
        }
    };
    let not_run = outcome
        .interrupted
        .map(|signal| format!("not run: {signal}"));
    let failed: Vec<FailedRun> = outcome
        .failed
        .iter()
        .map(|(c, e)| FailedRun {
            name: c.name.clone(),
            error: e.clone(),
        })
        .chain(outcome.not_run.iter().map(|c| FailedRun {
            name: c.name.clone(),
            error: not_run.clone().unwrap_or_else(|| "not run".into()),
        }))
        .collect();
    let title = format!(
        "{} on {}: {} configuration(s)",
        scenario.name,
        scenario.target.kind_name(),
        results.len() + failed.len()
    );
    match write_report(out, &results, &failed, &title, None) {
        Ok(index) => {
            outcome.report_error = None;
            line(format!("report: {}", index.display()));
        }
        Err(e) => {
            line(format!("could not write the report: {e}"));
            outcome.report_error = Some(e.to_string());
        }
    }
}
