//! `spicebench analyze`: a capture file → the results model, as a table or JSON.

use std::path::Path;

use anyhow::Context;

use crate::cli::Format;

pub fn analyze(
    capture: &Path,
    from: Option<f64>,
    to: Option<f64>,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<u8> {
    let opts = spicebench::analyze::AnalyzeOptions {
        from_ns: epoch_ns("--from", from)?,
        to_ns: epoch_ns("--to", to)?,
        ..Default::default()
    };
    if let (Some(f), Some(t)) = (opts.from_ns, opts.to_ns) {
        anyhow::ensure!(f < t, "--from must be earlier than --to");
    }
    // The capture's own errors name the file.
    let mut result = spicebench::analyze::analyze_file(capture, opts)?;
    let untrusted = spicebench::analyze::causal::latency_warnings(&result.latency);
    result.warnings.extend(untrusted);
    let text = match format {
        Format::Table => spicebench::export::text::render_flows(&result),
        Format::Json => serde_json::to_string_pretty(&result)? + "\n",
    };
    match out {
        Some(path) => spicebench::results::file::write_bytes_atomic(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => spicebench::out!("{text}"),
    }
    Ok(0)
}

/// `--from`/`--to` seconds since the epoch → nanoseconds.
fn epoch_ns(flag: &str, secs: Option<f64>) -> anyhow::Result<Option<u64>> {
    match secs {
        None => Ok(None),
        Some(s) if s.is_finite() && s >= 0.0 => Ok(Some((s * 1e9) as u64)),
        Some(s) => {
            anyhow::bail!("{flag} {s}: give seconds since the Unix epoch, e.g. 1764316800.5")
        }
    }
}
