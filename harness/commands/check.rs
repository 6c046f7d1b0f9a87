//! `spicebench check`: re-analyse every recording, compare with its expected.json, one line
//! per recording (and one per moved metric); exit 1 on a regression.

use std::fmt::Write as _;
use std::path::Path;

use spicebench::check::recording::EXPECTED;
use spicebench::check::{compare, Recording, Tolerances};

pub fn check(recordings: &Path, tolerance_file: Option<&Path>, update: bool) -> anyhow::Result<u8> {
    let tolerances = match tolerance_file {
        Some(p) => Tolerances::load(p)?,
        None => Tolerances::default(),
    };
    let all = Recording::find_all(recordings)?;
    anyhow::ensure!(
        !all.is_empty(),
        "{} holds no recordings",
        recordings.display()
    );
    let mut rows = String::new();
    let mut failed = 0;
    for rec in &all {
        if !check_one(rec, &tolerances, update, &mut rows)? {
            failed += 1;
        }
    }
    spicebench::out!("{rows}");
    spicebench::outln!("check: {} passed, {} failed", all.len() - failed, failed);
    Ok(if failed == 0 { 0 } else { 1 })
}

/// Checks (or, with `update`, rewrites) one recording, its lines added to `rows`; whether it
/// passed. Only a failure to write an expected.json ends the whole check.
fn check_one(
    rec: &Recording,
    tolerances: &Tolerances,
    update: bool,
    rows: &mut String,
) -> anyhow::Result<bool> {
    let name = rec.name();
    let got = match rec.check_layout().and_then(|()| rec.analyze()) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(rows, "{name:<28} ERROR  {e}");
            return Ok(false);
        }
    };
    if update {
        rec.write_expected(&got)?;
        let _ = writeln!(rows, "{name:<28} updated {}", rec.file(EXPECTED).display());
        return Ok(true);
    }
    let diffs = match rec.expected() {
        Ok(expected) => compare(&expected, &got, tolerances),
        Err(e) => {
            let _ = writeln!(rows, "{name:<28} ERROR  {e}");
            return Ok(false);
        }
    };
    if diffs.is_empty() {
        let _ = writeln!(rows, "{name:<28} ok");
        return Ok(true);
    }
    let _ = writeln!(rows, "{name:<28} MOVED  {} metric(s)", diffs.len());
    let fmt = |v: Option<f64>| v.map_or("(absent)".to_string(), |v| format!("{v}"));
    for d in diffs {
        let _ = writeln!(
            rows,
            "    {:<64} expected {:>16}  got {:>16}  delta {:>12}  (tolerance {:.1} %)",
            d.metric,
            fmt(d.expected),
            fmt(d.got),
            fmt(d.delta()),
            d.tolerance * 100.0
        );
    }
    Ok(false)
}
