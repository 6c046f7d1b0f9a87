//! `spicebench report`: one HTML report (plus Markdown and CSV tables) from results files of
//! any runs, read as a run reads its own for its report.

use std::path::PathBuf;

use anyhow::Context;

use spicebench::results::output_dir::{json_files, results_folder};
use spicebench::results::OutputDir;
use spicebench::run::report_files::{read_results, write_report};

pub fn report(
    inputs: &[PathBuf],
    out: Option<PathBuf>,
    baseline: Option<String>,
    title: &str,
) -> anyhow::Result<u8> {
    let results = read_results(&result_files(inputs)?)?;
    let names: Vec<String> = results.iter().map(|(_, r)| r.config.name.clone()).collect();
    if let Some(b) = &baseline {
        anyhow::ensure!(
            names.contains(b),
            "--baseline {b}: no such configuration; the results hold: {}",
            names.join(", ")
        );
    }
    let out = out.unwrap_or_else(|| PathBuf::from("reports").join("report"));
    let runs: Vec<_> = results.into_iter().map(|(_, r)| r).collect();
    let index = write_report(
        &OutputDir::new(&out),
        &runs,
        &[],
        title,
        baseline.as_deref(),
    )
    .with_context(|| format!("writing the report in {}", out.display()))?;
    spicebench::outln!(
        "report: {} ({} configurations)",
        index.display(),
        runs.len()
    );
    Ok(0)
}

/// Results files named on the command line, directories expanded to the JSON files they hold.
fn result_files(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if !input.is_dir() {
            files.push(input.clone());
            continue;
        }
        let dir = results_folder(input);
        let found = json_files(&dir).with_context(|| format!("reading {}", dir.display()))?;
        anyhow::ensure!(
            !found.is_empty(),
            "{} holds no results files (*.json)",
            dir.display()
        );
        files.extend(found);
    }
    Ok(files)
}
