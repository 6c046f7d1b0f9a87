//! `spicebench record`: promote a run's capture into the recordings library, with its
//! expected analysis.

use std::path::Path;

use anyhow::Context;

use spicebench::check::recording::{run_metadata, CAPTURE, METADATA};
use spicebench::check::{CheckError, Recording};
use spicebench::results::{OutputDir, RunResult};

pub fn record(run_config: &Path, name: &str, recordings: &Path) -> anyhow::Result<u8> {
    anyhow::ensure!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "--name {name:?}: use letters, digits, '-', '_' and '.'"
    );
    let (run_dir, config) = OutputDir::of_configuration(run_config)
        .context("give the run directory and configuration, e.g. reports/drag/glz")?;
    let capture = run_dir.capture(&config);
    anyhow::ensure!(
        capture.exists(),
        "{} does not exist: was the run captured (not --no-capture)?",
        capture.display()
    );
    let run = RunResult::read(run_dir.result(&config))?;
    let rec = Recording {
        dir: recordings.join(name),
    };
    if rec.dir.exists() {
        return Err(CheckError::Exists(rec.dir).into());
    }
    std::fs::create_dir_all(&rec.dir).with_context(|| format!("creating {}", rec.dir.display()))?;
    std::fs::copy(&capture, rec.file(CAPTURE))
        .with_context(|| format!("copying {}", capture.display()))?;
    let now = spicebench::results::rfc3339(std::time::SystemTime::now());
    let versions = spicebench::lab::xspice::package_versions();
    std::fs::write(
        rec.file(METADATA),
        run_metadata(name, &run, &now, &versions),
    )
    .with_context(|| format!("writing {}", rec.file(METADATA).display()))?;
    let expected = rec.analyze()?;
    rec.write_expected(&expected)?;
    spicebench::outln!(
        "recorded {} ({} packets, {} connections); spicebench check now covers it",
        rec.dir.display(),
        expected.capture.as_ref().map_or(0, |c| c.packets),
        expected.channels.len()
    );
    Ok(0)
}
