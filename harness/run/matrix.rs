//! The configuration matrix of a scenario: each configuration in turn, a progress line each,
//! results written after every configuration, and an interrupted sweep that keeps what it
//! finished and says what it did not.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::configuration::{run_configuration, RunOptions};
use super::progress::Progress;
use super::report_files::write_report;
use crate::results::{mib, RunResult};
use crate::scenario::{Configuration, Scenario};

/// What happened to each configuration.
#[derive(Debug, Default)]
pub struct MatrixOutcome {
    /// Measured configurations, with their result file.
    pub done: Vec<(Configuration, RunResult, PathBuf)>,
    /// Configurations that failed, with the error text.
    pub failed: Vec<(Configuration, String)>,
    /// Configurations not started because the sweep was interrupted.
    pub not_run: Vec<Configuration>,
    /// Whether Ctrl-C ended the sweep.
    pub interrupted: bool,
}

/// Runs `configs` of `scenario`, writing into `out_dir`, calling `progress` with one line per
/// event. Ctrl-C stops the current configuration (its processes are stopped) and the sweep.
pub async fn run_matrix(
    scenario: &Scenario,
    configs: &[Configuration],
    out_dir: &Path,
    options: &RunOptions,
    progress: &dyn Progress,
) -> MatrixOutcome {
    let line = |text: String| progress.line(&text);
    let mut outcome = MatrixOutcome::default();
    let total = configs.len();
    for (i, config) in configs.iter().enumerate() {
        if outcome.interrupted {
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
        let result = tokio::select! {
            r = run_configuration(scenario, config, out_dir, options, progress) => Some(r),
            _ = tokio::signal::ctrl_c() => None,
        };
        match result {
            None => {
                outcome.interrupted = true;
                line(format!(
                    "[{}/{}] {}: interrupted; its processes were stopped",
                    i + 1,
                    total,
                    config.name
                ));
                outcome.not_run.push(config.clone());
            }
            Some(Ok((r, path))) => {
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
                    lat.source,
                    lat.p50_ms.map_or("-".into(), |v| format!("{v:.1} ms")),
                    path.display()
                ));
                outcome.done.push((config.clone(), r, path));
                // Rewritten after every configuration so an interrupted sweep keeps a report.
                let results: Vec<RunResult> =
                    outcome.done.iter().map(|(_, r, _)| r.clone()).collect();
                let title = format!(
                    "{} on {}: {} configuration(s)",
                    scenario.name,
                    scenario.target.kind_name(),
                    results.len()
                );
                match write_report(out_dir, &results, &title, None) {
                    Ok(index) => line(format!("report: {}", index.display())),
                    Err(e) => line(format!(
                        "could not write the report in {}: {e}",
                        out_dir.display()
                    )),
                }
            }
            Some(Err(e)) => {
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
        progress.config_finished();
    }
    outcome
}
