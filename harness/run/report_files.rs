//! Writes a report directory: `index.html` plus `summary.md` and `summary.csv`, each atomically.
//! The contents come from the pure exporters; this module adds what they must not read
//! themselves (the clock, the machine) and does the I/O.
//!
//! A report is always built from results files read back from disk ([`read_results`]), so
//! the report a run writes after each configuration and `spicebench report` over the files
//! of several runs are the same code.

use std::path::{Path, PathBuf};

use crate::export::{csv_table, markdown_table, report_html, FailedRun, ReportOptions};
use crate::results::file::write_bytes_atomic;
use crate::results::output_dir::origin_of;
use crate::results::{rfc3339, OutputDir, ResultsError, RunResult};

/// Facts about this machine for the report's "what was run" section.
pub fn machine_info() -> Vec<(String, String)> {
    let mut info = Vec::new();
    if let Ok(n) = std::thread::available_parallelism() {
        info.push(("cores".to_string(), n.to_string()));
    }
    if let Ok(mem) = std::fs::read_to_string("/proc/meminfo") {
        if let Some(kb) = mem
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
        {
            info.push((
                "memory".to_string(),
                format!("{:.0} GiB", kb as f64 / 1_048_576.0),
            ));
        }
    }
    if let Ok(k) = std::fs::read_to_string("/proc/sys/kernel/osrelease") {
        info.push(("kernel".to_string(), k.trim().to_string()));
    }
    info.push((
        "spicebench".to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    ));
    info
}

/// [`write_bytes_atomic`] (a reader never sees half a file; on a failure the old file stays),
/// with the path in the error.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    write_bytes_atomic(path, text.as_bytes())
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// Reads `files` in order, each with its path, and gives configurations with the same name
/// distinct names ([`disambiguate`]).
pub fn read_results(files: &[PathBuf]) -> Result<Vec<(PathBuf, RunResult)>, ResultsError> {
    let mut results = Vec::new();
    for file in files {
        results.push((file.clone(), RunResult::read(file)?));
    }
    disambiguate(&mut results);
    Ok(results)
}

/// Writes the report files of `dir` (`index.html`, `summary.md`, `summary.csv`; the `failed`
/// configurations listed as failed in each); returns the HTML path.
pub fn write_report(
    dir: &OutputDir,
    results: &[RunResult],
    failed: &[FailedRun],
    title: &str,
    baseline: Option<&str>,
) -> std::io::Result<PathBuf> {
    let opts = ReportOptions {
        title: title.to_string(),
        baseline: baseline.map(str::to_string),
        generated_at: rfc3339(std::time::SystemTime::now()),
        machine: machine_info(),
        failed: failed.to_vec(),
    };
    let index = dir.index_html();
    write_atomic(&index, &report_html(results, &opts))?;
    write_atomic(
        &dir.summary_md(),
        &markdown_table(results, failed, baseline),
    )?;
    write_atomic(&dir.summary_csv(), &csv_table(results, failed))?;
    Ok(index)
}

/// Gives configurations with the same name (runs from different days or machines) distinct
/// names, using the run directory their result came from.
fn disambiguate(results: &mut [(PathBuf, RunResult)]) {
    let names: Vec<String> = results.iter().map(|(_, r)| r.config.name.clone()).collect();
    for (path, r) in results.iter_mut() {
        if names.iter().filter(|n| **n == r.config.name).count() < 2 {
            continue;
        }
        let origin = origin_of(path)
            .and_then(|p| p.file_name())
            .map_or("?".to_string(), |n| n.to_string_lossy().to_string());
        r.config.name = format!("{} ({origin})", r.config.name);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn same_names_from_two_runs_get_their_origin() {
        let r = |n: &str| {
            let mut r = RunResult::default();
            r.config.name = n.into();
            r
        };
        let mut v = vec![
            (PathBuf::from("reports/day1/runs/glz.json"), r("glz")),
            (PathBuf::from("reports/day2/runs/glz.json"), r("glz")),
            (PathBuf::from("reports/day2/runs/off.json"), r("off")),
        ];
        disambiguate(&mut v);
        let names: Vec<&str> = v.iter().map(|(_, r)| r.config.name.as_str()).collect();
        assert_eq!(names, ["glz (day1)", "glz (day2)", "off"]);
    }

    #[test]
    fn writes_all_three_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = RunResult::default();
        r.config.name = "glz".into();
        let index = write_report(&OutputDir::new(dir.path()), &[r], &[], "t", None).unwrap();
        let html = std::fs::read_to_string(index).unwrap();
        assert!(html.contains("glz"));
        assert!(dir.path().join("summary.md").exists());
        assert!(dir.path().join("summary.csv").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn a_failed_write_is_an_error_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // summary.md cannot be created: a directory is in its place.
        std::fs::create_dir(dir.path().join("summary.md")).unwrap();
        let out = OutputDir::new(dir.path());
        let e = write_report(&out, &[RunResult::default()], &[], "t", None).unwrap_err();
        assert!(e.to_string().contains("summary.md"), "{e}");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
    }
}
