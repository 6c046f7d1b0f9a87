//! The comparison table as CSV (RFC 4180, `\n` line ends), for spreadsheets and scripts.

use crate::results::RunResult;

use super::compare::{relatives, summarize};
use super::format::fixed_or;
use super::FailedRun;

/// Column names, in order.
pub const CSV_HEADER: [&str; 26] = [
    "configuration",
    "status",
    "compression",
    "transport",
    "viewer",
    "display_bytes",
    "display_mib",
    "mean_mib_s",
    "peak_mib_s",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "samples",
    "latency_source",
    "settle_ms",
    "network_transport",
    "network_wire_bytes",
    "network_mean_mib_s",
    "network_peak_mib_s",
    "network_ratio_to_spice",
    "baseline",
    "display_ratio",
    "p99_delta_ms",
    "warnings",
    "warning_text",
    "error",
];

/// Between two warnings in `warning_text`: one field keeps the table one column per figure.
/// A warning quoting a server's own text could hold ` | ` too; `warnings` gives the count,
/// and the results' JSON the list.
pub const WARNING_SEPARATOR: &str = " | ";

/// Header row plus one row per configuration. The baseline is the first configuration;
/// `display_ratio` and `p99_delta_ms` compare each row with it (the baseline's own row
/// has ratio 1 and delta 0). A missing number is an empty field, never `NaN` or `0`.
/// Decimals are fixed: 6 for MiB and MiB/s, 3 for milliseconds, 4 for the ratio. `status` is
/// `ok`, or `failed` for each of `failed` (appended, with only `configuration` and `error`).
/// `warnings` counts a configuration's warnings and `warning_text` holds them all, joined by
/// [`WARNING_SEPARATOR`] (empty when there are none).
pub fn csv_table(results: &[RunResult], failed: &[FailedRun]) -> String {
    let summaries = summarize(results);
    let rel = relatives(&summaries, None);
    let mut out = CSV_HEADER.join(",");
    out.push('\n');
    for ((s, r), run) in summaries.iter().zip(&rel).zip(results) {
        let net = s.network.as_ref();
        let row = [
            field(&s.name),
            "ok".to_string(),
            field(&s.compression),
            field(&s.route),
            field(&s.viewer),
            s.display_bytes.to_string(),
            fixed_or(Some(s.display_mib()), 6, ""),
            fixed_or(s.mean_mib_s, 6, ""),
            fixed_or(s.peak_mib_s, 6, ""),
            fixed_or(s.p50_ms, 3, ""),
            fixed_or(s.p90_ms, 3, ""),
            fixed_or(s.p99_ms, 3, ""),
            s.samples.to_string(),
            field(&s.latency_source),
            fixed_or(s.settle_ms, 3, ""),
            net.map_or(String::new(), |n| field(n.transport.as_str())),
            net.map_or(String::new(), |n| n.wire_bytes.to_string()),
            fixed_or(net.and_then(|n| n.mean_mib_s), 6, ""),
            fixed_or(net.and_then(|n| n.peak_mib_s), 6, ""),
            fixed_or(net.and_then(|n| n.ratio_to_spice), 4, ""),
            field(&r.baseline),
            fixed_or(r.display_ratio, 4, ""),
            fixed_or(r.p99_delta_ms, 3, ""),
            run.warnings.len().to_string(),
            field(
                &run.warnings
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(WARNING_SEPARATOR),
            ),
            String::new(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    for f in failed {
        let mut row = vec![field(&f.name), "failed".to_string()];
        row.extend(std::iter::repeat_n(String::new(), CSV_HEADER.len() - 3));
        row.push(field(&f.error));
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// A text field: quoted when it holds a separator, quote or line break (quotes
/// doubled, per RFC 4180), and prefixed with `'` when a spreadsheet would read it as a
/// formula (`=`, `+`, `-`, `@`): names come from scenario files anyone can write. Control
/// characters other than tab and line breaks are dropped: warnings quote servers' own text,
/// and `cat summary.csv` must not hand a terminal an escape sequence.
fn field(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_defused() {
        assert_eq!(field("auto_glz"), "auto_glz");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("red \u{1b}[31m"), "red [31m");
    }

    #[test]
    fn empty_input_is_just_the_header() {
        assert_eq!(csv_table(&[], &[]), format!("{}\n", CSV_HEADER.join(",")));
        let failed = [FailedRun {
            name: "off".into(),
            error: "boom, really".into(),
        }];
        let t = csv_table(&[], &failed);
        let row = t.lines().nth(1).unwrap();
        assert!(row.starts_with("off,failed,"), "{row}");
        assert!(row.ends_with(",\"boom, really\""), "{row}");
        assert_eq!(row.matches(',').count(), CSV_HEADER.len());
    }
}
