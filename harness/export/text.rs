//! Plain-text tables for the terminal: the one `spicebench run` ends with (a row per
//! configuration, its warnings under it) and the per-connection table of `spicebench
//! analyze`. Pure, like every exporter.

use crate::results::{mib, RunResult, SeriesKey};

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

/// How much of each configuration's warnings [`render`] prints under the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WarningDetail {
    /// The count, and the first line of each warning cut to [`SHORT_WIDTH`] characters, at
    /// most [`SHORT_MAX`] per configuration: the table stays readable with many warnings.
    #[default]
    Short,
    /// Every warning in full, every line (`--verbose`).
    Full,
}

/// Characters of a warning's first line the short form keeps.
pub const SHORT_WIDTH: usize = 100;
/// Warnings per configuration the short form lists.
pub const SHORT_MAX: usize = 5;

/// Renders the summary table: display bytes and rates, latency with where it comes from
/// (`client`: our client's clock; `xdamage`: remote-viewer, input → pixels on the client's
/// screen), what crosses the network, and `!N` for a configuration with N warnings (the
/// `info` notes not counted). The warnings follow the table, as much of them as `detail`
/// says, then heads and streams.
pub fn render(rows: &[Row<'_>], detail: WarningDetail) -> String {
    let name_of = |row: &Row<'_>| match row {
        Row::Done(r) => r.config.name.len(),
        Row::Failed { name, .. } | Row::NotRun(name) => name.len(),
    };
    let w = rows.iter().map(name_of).max().unwrap_or(0).max(16);
    let mut out = format!(
        "{:<w$} {:>12} {:>10} {:>10} {:>9} {:>9} {:>8} {:<20} {:>12} {:>10} {:>5}\n",
        "configuration",
        "display MiB",
        "mean MiB/s",
        "peak MiB/s",
        "p50 ms",
        "p99 ms",
        "samples",
        "latency",
        "network MiB",
        "net peak",
        "warn"
    );
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    for row in rows {
        match row {
            Row::Done(r) => {
                let rate = r.rates.iter().find(|r| r.key == SeriesKey::DISPLAY_DOWN);
                let lat = r.headline_latency();
                let net = r.network.as_ref();
                let display = if r.has_display_channel() {
                    format!("{:.3}", mib(r.display_down_bytes()))
                } else {
                    "-".to_string()
                };
                out.push_str(&format!(
                    "{:<w$} {:>12} {:>10} {:>10} {:>9} {:>9} {:>8} {:<20} {:>12} {:>10} {:>5}\n",
                    r.config.name,
                    display,
                    f(rate.map(|r| r.mean_mib_s)),
                    f(rate.map(|r| r.peak_1s_mib_s)),
                    f(lat.p50_ms),
                    f(lat.p99_ms),
                    lat.count,
                    lat.label(),
                    net.map_or("-".to_string(), |n| format!(
                        "{} {:.2}",
                        n.transport,
                        mib(n.down_wire_bytes.saturating_add(n.up_wire_bytes))
                    )),
                    f(net.map(|n| n.peak_1s_mib_s)),
                    warn_marker(serious(r).count()),
                ));
            }
            Row::Failed { name, error } => {
                out.push_str(&format!("{name:<w$} FAILED: {error}\n"));
            }
            Row::NotRun(name) => out.push_str(&format!("{name:<w$} not run (interrupted)\n")),
        }
    }
    out.push_str(&warnings_under_table(rows, detail));
    for row in rows {
        if let Row::Done(r) = row {
            let heads = heads_lines(r);
            if !heads.is_empty() {
                out.push_str(&format!("\n{}:\n{heads}", r.config.name));
            }
        }
    }
    out
}

/// The table's warning column: `!N`, or `-` for none.
fn warn_marker(n: usize) -> String {
    if n == 0 {
        "-".to_string()
    } else {
        format!("!{n}")
    }
}

/// A result's warnings that say a number means less than it seems (not the `info` notes,
/// which give context: the table marks and the short form lists only these).
fn serious(r: &RunResult) -> impl Iterator<Item = &crate::results::Warning> {
    r.warnings
        .iter()
        .filter(|w| w.severity != crate::results::Severity::Info)
}

/// Each configuration with warnings, its name, count and warnings as `detail` says; nothing
/// when none has any. The short form leaves the `info` notes out (saying how many) and cuts
/// long warnings; a line then says how to see everything.
fn warnings_under_table(rows: &[Row<'_>], detail: WarningDetail) -> String {
    let shown = |r: &'_ RunResult| -> usize {
        match detail {
            WarningDetail::Full => r.warnings.len(),
            WarningDetail::Short => serious(r).count(),
        }
    };
    let done: Vec<&RunResult> = rows
        .iter()
        .filter_map(|row| match row {
            Row::Done(r) => Some(*r),
            _ => None,
        })
        .collect();
    let notes_hidden: usize = done.iter().map(|r| r.warnings.len() - shown(r)).sum();
    let mut out = String::new();
    let mut cut = false;
    for r in done.into_iter().filter(|r| shown(r) > 0) {
        let n = shown(r);
        out.push_str(&format!(
            "\n! {}: {n} warning{}\n",
            r.config.name,
            if n == 1 { "" } else { "s" }
        ));
        match detail {
            WarningDetail::Full => {
                for w in &r.warnings {
                    // Later lines of a warning line up under its first.
                    let text = terminal_safe(&w.text).replace('\n', "\n    ");
                    out.push_str(&format!("  - {text}\n"));
                }
            }
            WarningDetail::Short => {
                for w in serious(r).take(SHORT_MAX) {
                    let (line, shortened) = first_line(&w.text, SHORT_WIDTH);
                    cut |= shortened;
                    out.push_str(&format!("  - {line}\n"));
                }
                if n > SHORT_MAX {
                    cut = true;
                    out.push_str(&format!("  … and {} more\n", n - SHORT_MAX));
                }
            }
        }
    }
    if notes_hidden > 0 {
        out.push_str(&format!(
            "\n({notes_hidden} note{} on the configurations' context not shown: --verbose prints them)\n",
            if notes_hidden == 1 { "" } else { "s" }
        ));
    }
    if cut {
        out.push_str("(shortened: --verbose prints every warning in full; the results' JSON holds them too)\n");
    }
    out
}

/// The first line of `w`, at most `width` characters (an ellipsis replaces the rest), and
/// whether anything was left out.
fn first_line(w: &str, width: usize) -> (String, bool) {
    let safe = terminal_safe(w);
    let line = safe.lines().next().unwrap_or("");
    let mut more = line.len() < safe.trim_end().len();
    let mut out: String = line.chars().take(width).collect();
    if line.chars().count() > width {
        out.pop();
        out.push('…');
        more = true;
    } else if more {
        out.push_str(" …");
    }
    (out, more)
}

/// Warnings quote what servers and captures said (a server notice is the server's own text):
/// control characters other than line breaks are shown escaped, so none reaches the terminal
/// as an escape sequence.
fn terminal_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push('\n'),
            '\r' => {}
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// Per display channel, one line per head (updates, MiB) and the updates no head took; then
/// the video streams per codec, when there were any; then each preference switched
/// mid-session and when the wire showed it.
pub fn heads_lines(r: &RunResult) -> String {
    let mut out = String::new();
    for d in &r.displays {
        for h in &d.heads {
            out.push_str(&format!(
                "display #{} head {} {}x{}+{}+{}: {} updates, {:.3} MiB\n",
                d.channel_id,
                h.id,
                h.width,
                h.height,
                h.x,
                h.y,
                h.updates,
                mib(h.bytes)
            ));
        }
        if d.unattributed.updates > 0 {
            out.push_str(&format!(
                "display #{} no head: {} updates, {:.3} MiB\n",
                d.channel_id,
                d.unattributed.updates,
                mib(d.unattributed.bytes)
            ));
        }
    }
    if let Some(s) = r.streams.as_ref().filter(|s| s.created + s.frames > 0) {
        out.push_str(&format!(
            "streams: {} created, {} destroyed, {} flaps",
            s.created, s.destroyed, s.flaps
        ));
        for c in &s.by_codec {
            out.push_str(&format!(
                "; {} ×{} streams, {} frames ({:.3} MiB)",
                c.codec,
                c.streams,
                c.frames,
                mib(c.bytes)
            ));
        }
        out.push('\n');
    }
    for s in &r.preference_switches {
        out.push_str(&format!(
            "prefer {} = {} (line {}): sent at {:.3} s, {}\n",
            s.setting,
            s.value,
            s.line,
            s.sent_s,
            match (s.took_effect_s, &s.indistinct_from) {
                (Some(at), _) => format!(
                    "on the wire at {at:.3} s ({:.1} ms later, first {})",
                    s.delay_ms.unwrap_or_default(),
                    s.first_seen.as_deref().unwrap_or("?")
                ),
                (None, Some(old)) => format!("not visible on the wire (looks like {old})"),
                (None, None) => "never seen on the wire".to_string(),
            }
        ));
    }
    out
}

/// The per-connection table `spicebench analyze` prints: one row per TCP flow.
pub fn render_flows(r: &RunResult) -> String {
    let mut out = format!(
        "{:<44} {:<9} {:<9} {:>8} {:>12} {:>12} {:>8} {:>11} {:>11} {:>8}\n",
        "flow (client → server)",
        "transport",
        "channel",
        "down pkt",
        "down wire B",
        "down pay. B",
        "up pkt",
        "up wire B",
        "up pay. B",
        "messages"
    );
    for c in &r.channels {
        let flow = format!("{} → {}", c.client.as_deref().unwrap_or("?"), c.server);
        let n = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
        out.push_str(&format!(
            "{:<44} {:<9} {:<9} {:>8} {:>12} {:>12} {:>8} {:>11} {:>11} {:>8}\n",
            flow,
            c.transport,
            c.channel,
            n(c.down.packets),
            n(c.down.wire_bytes),
            c.down.payload_bytes,
            n(c.up.packets),
            n(c.up.wire_bytes),
            c.up.payload_bytes,
            c.down.messages + c.up.messages
        ));
    }
    if !r.images.is_empty() {
        out.push_str("\nimages:");
        for i in &r.images {
            out.push_str(&format!(
                " {} ×{} ({:.3} MiB)",
                i.image_type,
                i.count,
                mib(i.bytes)
            ));
        }
        out.push('\n');
    }
    out.push_str(&heads_lines(r));
    for t in &r.transports {
        if let Some(ratio) = t.overhead_ratio {
            out.push_str(&format!(
                "\n{} overhead: {:.3}× the SPICE payload of the plaintext legs\n",
                t.transport, ratio
            ));
        }
    }
    let lat = &r.latency.input_to_display;
    out.push_str(&format!(
        "\ninput-to-display latency ({}): {} samples",
        lat.label(),
        lat.count
    ));
    if let (Some(p50), Some(p99)) = (lat.p50_ms, lat.p99_ms) {
        out.push_str(&format!(", p50 {p50:.2} ms, p99 {p99:.2} ms"));
    }
    out.push('\n');
    if let Some(p) = &r.latency.probe {
        out.push_str(&format!(
            "probe: {} stamps; {} of {} pointer inputs shown, {} never\n",
            p.stamps, p.answered, p.expected, p.missing
        ));
    }
    if let Some(f) = &r.latency.first_update_after {
        if let (Some(p50), Some(p99)) = (f.p50_ms, f.p99_ms) {
            out.push_str(&format!(
                "first update after each input, for comparison: {} samples, p50 {p50:.2} ms, \
                 p99 {p99:.2} ms\n",
                f.count
            ));
        }
    }
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_is_cut_on_characters_and_says_so() {
        assert_eq!(first_line("short", 10), ("short".to_string(), false));
        assert_eq!(first_line("one\ntwo", 10), ("one …".to_string(), true));
        // Multi-byte characters are cut whole, never mid-character.
        assert_eq!(first_line("ééééé", 3), ("éé…".to_string(), true));
        assert_eq!(first_line("", 3), (String::new(), false));
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb\r\nc"), "a\\u{1b}[2Jb\nc");
    }

    #[test]
    fn notes_are_not_counted_and_only_the_full_form_lists_them() {
        use crate::results::{Warning, WarningCode};
        let mut r = RunResult {
            warnings: vec![
                Warning::new(
                    WarningCode::ServerNotice,
                    "note: server notice on main: keyboard channel is insecure",
                ),
                Warning::new(WarningCode::KernelDropped, "the kernel dropped 12 packets"),
            ],
            ..RunResult::default()
        };
        let short = render(&[Row::Done(&r)], WarningDetail::Short);
        assert!(short.lines().nth(1).unwrap().ends_with(" !1"), "{short}");
        assert!(
            short.contains("1 warning\n  - the kernel dropped 12 packets"),
            "{short}"
        );
        assert!(!short.contains("keyboard channel"), "{short}");
        assert!(
            short.contains("(1 note on the configurations' context not shown"),
            "{short}"
        );
        let full = render(&[Row::Done(&r)], WarningDetail::Full);
        assert!(full.contains("2 warnings"), "{full}");
        assert!(
            full.contains("keyboard channel") && !full.contains("not shown"),
            "{full}"
        );
        // Notes alone: no mark, nothing listed but the count of hidden notes.
        r.warnings.truncate(1);
        let quiet = render(&[Row::Done(&r)], WarningDetail::Short);
        assert!(quiet.lines().nth(1).unwrap().ends_with(" -"), "{quiet}");
        assert!(!quiet.contains("! "), "{quiet}");
    }

    #[test]
    fn no_warnings_no_section() {
        let r = RunResult::default();
        let t = render(&[Row::Done(&r)], WarningDetail::Short);
        assert_eq!(t.lines().count(), 2, "{t}");
        assert!(t.lines().nth(1).unwrap().ends_with(" -"));
    }
}
