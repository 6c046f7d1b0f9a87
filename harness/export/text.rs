//! Plain-text tables for the terminal: the one `spicebench run` ends with (a row per
//! configuration) and the per-connection table of `spicebench analyze`. Pure, like every
//! exporter.

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

/// Renders the summary table: display bytes and rates, latency with where it comes from
/// (`client`: our client's clock; `xdamage`: remote-viewer, input → pixels on the client's
/// screen), and what crosses the network.
pub fn render(rows: &[Row<'_>]) -> String {
    let name_of = |row: &Row<'_>| match row {
        Row::Done(r) => r.config.name.len(),
        Row::Failed { name, .. } | Row::NotRun(name) => name.len(),
    };
    let w = rows.iter().map(name_of).max().unwrap_or(0).max(16);
    let mut out = format!(
        "{:<w$} {:>12} {:>10} {:>10} {:>9} {:>9} {:>8} {:<20} {:>12} {:>10}\n",
        "configuration",
        "display MiB",
        "mean MiB/s",
        "peak MiB/s",
        "p50 ms",
        "p99 ms",
        "samples",
        "latency",
        "network MiB",
        "net peak"
    );
    let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    for row in rows {
        match row {
            Row::Done(r) => {
                let rate = r.rates.iter().find(|r| r.key == "display/down");
                let lat = r.headline_latency();
                let net = r.network.as_ref();
                let display = if r.has_display_channel() {
                    format!("{:.3}", mib(r.display_down_bytes()))
                } else {
                    "-".to_string()
                };
                out.push_str(&format!(
                    "{:<w$} {:>12} {:>10} {:>10} {:>9} {:>9} {:>8} {:<20} {:>12} {:>10}\n",
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
                ));
            }
            Row::Failed { name, error } => {
                out.push_str(&format!("{name:<w$} FAILED: {error}\n"));
            }
            Row::NotRun(name) => out.push_str(&format!("{name:<w$} not run (interrupted)\n")),
        }
    }
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
