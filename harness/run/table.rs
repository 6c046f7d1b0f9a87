//! The table `spicebench run` ends with: one row per configuration.

use crate::results::{mib, RunResult};

/// One row: a result, or why the configuration failed.
pub enum Row<'a> {
    /// A measured configuration.
    Done(&'a RunResult),
    /// A configuration that failed.
    Failed {
        /// Configuration name.
        name: &'a str,
        /// Error text.
        error: &'a str,
    },
    /// A configuration never started (interrupted sweep).
    NotRun(&'a str),
}

fn display_down(r: &RunResult) -> u64 {
    r.channels
        .iter()
        .filter(|c| c.channel == "display")
        .map(|c| c.down.payload_bytes)
        .sum()
}

/// Renders the summary table.
pub fn render(rows: &[Row<'_>]) -> String {
    let mut out = format!(
        "{:<16} {:>12} {:>10} {:>10} {:>9} {:>9} {:>8}\n",
        "configuration", "display MiB", "mean MiB/s", "peak MiB/s", "p50 ms", "p99 ms", "samples"
    );
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    for row in rows {
        match row {
            Row::Done(r) => {
                let rate = r.rates.iter().find(|r| r.key == "display/down");
                let lat = &r.latency.input_to_display;
                out.push_str(&format!(
                    "{:<16} {:>12.3} {:>10} {:>10} {:>9} {:>9} {:>8}\n",
                    r.config.name,
                    mib(display_down(r)),
                    f(rate.map(|r| r.mean_mib_s)),
                    f(rate.map(|r| r.peak_1s_mib_s)),
                    f(lat.p50_ms),
                    f(lat.p99_ms),
                    lat.count
                ));
            }
            Row::Failed { name, error } => {
                out.push_str(&format!("{name:<16} FAILED: {error}\n"));
            }
            Row::NotRun(name) => out.push_str(&format!("{name:<16} not run (interrupted)\n")),
        }
    }
    out
}
