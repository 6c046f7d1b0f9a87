//! The comparison table as GitHub-flavoured Markdown, for tickets and docs.

use crate::results::RunResult;

use super::compare::{relatives, summarize};
use super::format::fixed_or;
use super::FailedRun;

/// What a missing number prints as: visible, and not mistakable for zero.
const ABSENT: &str = "—";

/// One row per configuration: name, compression, transport, viewer, display bytes and MiB,
/// mean and peak display MiB/s, latency p50/p90/p99 ms with its samples and source, settle
/// ms, what crosses the network (transport and wire MiB), and a sentence comparing it with
/// `baseline` (a configuration name; the first configuration when `None` or unknown), and
/// its warnings (`⚠ N`, or `none`).
/// Right-aligned numeric columns; ends with a newline. `failed` configurations follow, each a
/// row that says FAILED and why. When results carry warnings, a list of them per
/// configuration follows; when they have heads, a table of per-head updates and bytes; when
/// they have video streams, one of streams per codec.
pub fn markdown_table(
    results: &[RunResult],
    failed: &[FailedRun],
    baseline: Option<&str>,
) -> String {
    let summaries = summarize(results);
    let rel = relatives(&summaries, baseline);
    let mut out = String::from(
        "| configuration | compression | transport | viewer | display bytes | display MiB \
         | mean MiB/s | peak MiB/s | p50 ms | p90 ms | p99 ms | samples | latency from \
         | settle ms | network | network MiB | vs baseline | warnings |\n\
         | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- \
         | ---: | --- | ---: | --- | --- |\n",
    );
    for ((s, r), run) in summaries.iter().zip(&rel).zip(results) {
        let net = s.network.as_ref();
        let cells = [
            cell(&s.name),
            cell(&s.compression),
            cell(&s.route),
            cell(&s.viewer),
            s.display_bytes.to_string(),
            fixed_or(Some(s.display_mib()), 3, ABSENT),
            fixed_or(s.mean_mib_s, 3, ABSENT),
            fixed_or(s.peak_mib_s, 3, ABSENT),
            fixed_or(s.p50_ms, 3, ABSENT),
            fixed_or(s.p90_ms, 3, ABSENT),
            fixed_or(s.p99_ms, 3, ABSENT),
            s.samples.to_string(),
            cell(&s.latency_source),
            fixed_or(s.settle_ms, 3, ABSENT),
            net.map_or(ABSENT.to_string(), |n| cell(n.transport.as_str())),
            fixed_or(net.map(|n| n.wire_mib()), 3, ABSENT),
            cell(&r.describe()),
            warn_marker(run.warnings.len()),
        ];
        out.push_str("| ");
        out.push_str(&cells.join(" | "));
        out.push_str(" |\n");
    }
    for f in failed {
        let mut cells = vec![cell(&f.name)];
        cells.extend(std::iter::repeat_n(ABSENT.to_string(), 15));
        cells.push(format!("FAILED: {}", cell(&f.error)));
        cells.push(ABSENT.to_string());
        out.push_str("| ");
        out.push_str(&cells.join(" | "));
        out.push_str(" |\n");
    }
    out.push_str(&warnings_list(results));
    out.push_str(&heads_table(results));
    out.push_str(&streams_table(results));
    out
}

/// The summary table's warnings cell: `⚠ N` stands out in a rendered table and in the raw
/// text alike.
fn warn_marker(n: usize) -> String {
    if n == 0 {
        "none".to_string()
    } else {
        format!("⚠ {n}")
    }
}

/// Each configuration that carries warnings, with every warning in full (a warning's line
/// breaks become spaces, so each stays one list item) and its code, which
/// `docs/warnings.md` explains. Nothing when none has any.
fn warnings_list(results: &[RunResult]) -> String {
    let warned: Vec<&RunResult> = results.iter().filter(|r| !r.warnings.is_empty()).collect();
    if warned.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n**Warnings**\n");
    for r in warned {
        out.push_str(&format!(
            "\n- {} (⚠ {}):\n",
            cell(&r.config.name),
            r.warnings.len()
        ));
        for w in &r.warnings {
            out.push_str(&format!("  - {} (`{}`)\n", cell(&w.text), w.code));
        }
    }
    out
}

/// Per configuration, display channel and head: geometry, updates and bytes, then the
/// updates no head took. Nothing when no result has heads.
fn heads_table(results: &[RunResult]) -> String {
    if results.iter().all(|r| r.displays.is_empty()) {
        return String::new();
    }
    let mut out = String::from(
        "\n| configuration | display | head | geometry | updates | bytes |\n\
         | --- | --- | --- | --- | ---: | ---: |\n",
    );
    for r in results {
        let name = cell(&r.config.name);
        for d in &r.displays {
            for h in &d.heads {
                out.push_str(&format!(
                    "| {name} | #{} | {} | {}x{}+{}+{} | {} | {} |\n",
                    d.channel_id, h.id, h.width, h.height, h.x, h.y, h.updates, h.bytes
                ));
            }
            out.push_str(&format!(
                "| {name} | #{} | no head | {ABSENT} | {} | {} |\n",
                d.channel_id, d.unattributed.updates, d.unattributed.bytes
            ));
        }
    }
    out
}

/// Per configuration and video codec: streams, frames and bytes, with the creations,
/// destructions and flaps. Nothing when no result has a stream.
fn streams_table(results: &[RunResult]) -> String {
    let with: Vec<(&RunResult, &crate::results::StreamStats)> = results
        .iter()
        .filter_map(|r| Some((r, r.streams.as_ref()?)))
        .filter(|(_, s)| s.created + s.frames > 0)
        .collect();
    if with.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\n| configuration | created | destroyed | flaps | codec | streams | frames | bytes |\n\
         | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |\n",
    );
    for (r, s) in with {
        for c in &s.by_codec {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                cell(&r.config.name),
                s.created,
                s.destroyed,
                s.flaps,
                cell(&c.codec),
                c.streams,
                c.frames,
                c.bytes
            ));
        }
    }
    out
}

/// Text from results made safe for one table cell: a `|` would end the cell and a
/// newline the row; `\`, `*`, `` ` ``, `<`, `[` and friends would turn names into
/// markup (or raw HTML, which renderers such as GitHub's pass through partly).
///
/// `_` between two letters or digits is left alone: GFM never reads an intraword
/// underscore as emphasis, and `auto_glz` stays greppable in the raw text.
fn cell(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let word = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric())
    };
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '_' if word(i.checked_sub(1)) && word(Some(i + 1)) => out.push('_'),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_inject_markup() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(cell("<script>"), "\\<script\\>");
        assert_eq!(cell("auto_glz"), "auto_glz");
        assert_eq!(cell("_x_"), "\\_x\\_");
    }

    #[test]
    fn failed_configurations_get_a_row_with_their_error() {
        let failed = [FailedRun {
            name: "off".into(),
            error: "Xspice exited | badly".into(),
        }];
        let t = markdown_table(&[], &failed, None);
        let row = t.lines().nth(2).unwrap();
        assert!(row.starts_with("| off | — |"), "{row}");
        assert!(
            row.ends_with("| FAILED: Xspice exited \\| badly | — |"),
            "{row}"
        );
        // As many cells as the header.
        assert_eq!(
            row.matches(" | ").count(),
            t.lines().next().unwrap().matches(" | ").count()
        );
    }

    #[test]
    fn empty_input_is_just_the_header() {
        let t = markdown_table(&[], &[], None);
        assert_eq!(t.lines().count(), 2);
    }
}
