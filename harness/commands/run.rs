//! `spicebench run`: the scenario's matrix (with the axes given on the command line), a
//! progress display, the final table, and the exit status: 1 when a configuration failed,
//! the report could not be written, or (`--strict`) a result carries a warning worse than a
//! note (severity `warning` or `untrusted`, decided by its code); a signal's own status when
//! one stopped the sweep.

use std::path::{Path, PathBuf};

use anyhow::Context;

use spicebench::export::text::{render, Row, WarningDetail};
use spicebench::results::OutputDir;
use spicebench::run::{run_matrix, MatrixOutcome, RunOptions};
use spicebench::scenario::{AccessError, CompressionError, MatrixOverride, Scenario};

use crate::bar_progress;

/// Matrix axes given on the command line.
pub struct Axes {
    pub compression: Option<String>,
    pub transports: Option<String>,
    pub viewers: Option<String>,
}

/// What the terminal shows.
pub struct Show {
    /// Only the final table.
    pub quiet: bool,
    /// Every warning in full.
    pub verbose: bool,
    /// Exit 1 on any warning.
    pub strict: bool,
}

pub async fn run(
    path: PathBuf,
    out: Option<PathBuf>,
    axes: Axes,
    show: Show,
    options: &RunOptions,
) -> anyhow::Result<u8> {
    // The file's rules apply to the axes given on the command line too.
    let scenario = Scenario::load(&path)?.with_overrides(overrides(axes)?)?;
    // Before anything is created or started: a lab that cannot start should not leave an
    // output tree or a lab folder behind.
    spicebench::run::preflight::check(&scenario.target, &scenario.access, options.capture)?;
    let out = OutputDir::new(out.unwrap_or_else(|| PathBuf::from("reports").join(&scenario.name)));
    check_writable(out.root())?;
    // Before the first configuration: a signal from now on stops the sweep cleanly.
    let mut interrupts = spicebench::run::interrupt::Interrupts::install()
        .context("installing the SIGINT/SIGTERM/SIGHUP handlers")?;
    let configs = spicebench::plan::configurations(&scenario);
    if !show.quiet {
        spicebench::errln!(
            "spicebench: scenario `{}` from {}: {} configuration(s), results in {}",
            scenario.name,
            path.display(),
            configs.len(),
            out.runs().display()
        );
    }
    let progress: Box<dyn spicebench::run::progress::Progress> = if show.quiet {
        Box::new(spicebench::run::progress::LineProgress { quiet: true })
    } else {
        Box::new(bar_progress::BarProgress::new(configs.len()))
    };
    let outcome = run_matrix(
        &scenario,
        &configs,
        &out,
        options,
        &*progress,
        &mut interrupts,
    )
    .await;
    Ok(finish(&outcome, &out, &show))
}

/// `--compression`, `--transports`, `--viewers`, parsed; each error names its flag (the
/// rules against the scenario are [`Scenario::with_overrides`]'s).
fn overrides(axes: Axes) -> anyhow::Result<MatrixOverride> {
    let compression = |l: String| {
        let duplicate = |name: &str| CompressionError::Duplicate { name: name.into() };
        parse_list(&l, duplicate, CompressionError::Empty)
    };
    Ok(MatrixOverride {
        compression: (axes.compression.map(compression).transpose()).context("--compression")?,
        routes: (axes.transports.map(|l| access_list(&l)).transpose()).context("--transports")?,
        viewers: (axes.viewers.map(|l| access_list(&l)).transpose()).context("--viewers")?,
    })
}

/// `--transports` or `--viewers`.
fn access_list<T: std::str::FromStr<Err = AccessError> + PartialEq>(
    s: &str,
) -> Result<Vec<T>, AccessError> {
    parse_list(
        s,
        |name| AccessError::Duplicate(name.into()),
        AccessError::Empty,
    )
}

/// A flag's list such as `off,glz`: comma-separated, spaces and empty items ignored, each
/// item at most once (two configurations would get one name), at least one.
fn parse_list<T: std::str::FromStr<Err = E> + PartialEq, E>(
    s: &str,
    duplicate: impl Fn(&str) -> E,
    empty: E,
) -> Result<Vec<T>, E> {
    let mut list: Vec<T> = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let v = item.parse()?;
        if list.contains(&v) {
            return Err(duplicate(item));
        }
        list.push(v);
    }
    if list.is_empty() {
        return Err(empty);
    }
    Ok(list)
}

/// Fails unless `out` can hold a run's files: created if needed, and a file can be written
/// in it (checked once, before anything starts, rather than per configuration).
fn check_writable(out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| {
        format!(
            "creating the output directory {}; choose another with --out",
            out.display()
        )
    })?;
    let probe = out.join(".spicebench-write-test");
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "the output directory {} is not writable; choose another with --out",
            out.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Prints the final table and what went wrong; returns the exit status.
fn finish(outcome: &MatrixOutcome, out: &OutputDir, show: &Show) -> u8 {
    let detail = if show.verbose {
        WarningDetail::Full
    } else {
        WarningDetail::Short
    };
    print_outcome(outcome, detail);
    if spicebench::console::stdout_lost() {
        spicebench::errln!(
            "note: standard output was closed, so the table was not shown; it is in {}",
            out.summary_md().display()
        );
    }
    if let Some(e) = &outcome.report_error {
        spicebench::errln!("error: the report was not written: {e}");
    }
    // Notes (severity `info`) give context and do not fail --strict: a server in server
    // mouse mode is not a number to distrust.
    let warned = outcome
        .done
        .iter()
        .filter(|(_, r, _)| r.warnings.iter().any(|w| w.is_problem()))
        .count();
    if show.strict && warned > 0 {
        spicebench::errln!(
            "--strict: {warned} configuration(s) carry warnings of severity `warning` or \
             `untrusted` (see their results' warnings; docs/warnings.md explains each code)"
        );
    }
    match outcome.interrupted {
        Some(signal) => signal.exit_code(),
        None if !outcome.failed.is_empty() || outcome.report_error.is_some() => 1,
        None if show.strict && warned > 0 => 1,
        None => 0,
    }
}

fn print_outcome(outcome: &MatrixOutcome, detail: WarningDetail) {
    let mut rows: Vec<Row<'_>> = Vec::new();
    rows.extend(outcome.done.iter().map(|(_, r, _)| Row::Done(r)));
    rows.extend(outcome.failed.iter().map(|(c, e)| Row::Failed {
        name: &c.name,
        error: e,
    }));
    rows.extend(outcome.not_run.iter().map(|c| Row::NotRun(&c.name)));
    spicebench::outln!("{}", render(&rows, detail));
    if let Some(signal) = outcome.interrupted {
        spicebench::errln!(
            "{signal}: {} configuration(s) finished and kept, {} not run",
            outcome.done.len(),
            outcome.not_run.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spicebench::scenario::{Compression, Route, ViewerKind};

    #[test]
    fn flag_lists_parse_and_refuse_duplicates() {
        assert_eq!(
            access_list("spicebench, remote-viewer"),
            Ok(vec![ViewerKind::Native, ViewerKind::RemoteViewer])
        );
        assert_eq!(access_list::<ViewerKind>(" , "), Err(AccessError::Empty));
        assert_eq!(
            access_list::<Route>("ssh-x,ssh-x"),
            Err(AccessError::Duplicate("ssh-x".into()))
        );
    }

    #[test]
    fn compression_list_parses_cli_flag() {
        let parse = |l| {
            let duplicate = |name: &str| CompressionError::Duplicate { name: name.into() };
            parse_list::<Compression, _>(l, duplicate, CompressionError::Empty)
        };
        assert_eq!(
            parse("off, glz,"),
            Ok(vec![Compression::Off, Compression::Glz])
        );
        assert_eq!(parse(" , "), Err(CompressionError::Empty));
        assert_eq!(
            parse("glz,glz"),
            Err(CompressionError::Duplicate { name: "glz".into() })
        );
        let e = parse("off,zstd").unwrap_err();
        assert!(e.to_string().contains("`zstd`"), "{e}");
        assert!(e.to_string().contains("auto_lz"), "{e}");
    }
}
