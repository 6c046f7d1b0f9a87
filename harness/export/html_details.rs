//! The report's section for one configuration: its session, plots, channels,
//! transports, message and image breakdowns, heads and video streams, latency and input
//! figures.

use std::fmt::Write;

use crate::results::{
    Component, CpuUsage, CpuWindow, DirectionStats, LatencySummary, RunResult, StreamStats,
};

use super::format::{bytes_human, compression, fixed, fixed_or, grouped, shown};
use super::html_util::{esc, facts, figure, swatch, table, Cell};
use super::palette::Palette;
use super::svg_latency::{latency_cdf_svg, latency_histogram_svg};
use super::svg_timeline::timeline_svg;

/// Message types listed per configuration; the rest are summed into one row so a
/// chatty run does not bury the table of what matters.
pub const TOP_MESSAGES: usize = 12;

/// What an absent number prints as.
const ABSENT: &str = "—";

/// The `<section>` of `run`, with `id` as its anchor.
pub fn config_section(run: &RunResult, palette: &Palette, id: &str) -> String {
    let name = &run.config.name;
    let mut out = format!(
        "<section class=\"config\" id=\"{id}\">\n<h3>{}{}</h3>\n",
        swatch(palette.config(name)),
        esc(shown(name))
    );
    out.push_str(&session_facts(run));
    out.push_str(&figure(
        &timeline_svg(run, palette),
        "Stacked MiB/s per channel (top: server → client, bottom: client → server); \
         grey bands are input bursts.",
        "wide",
    ));
    out.push_str("<div class=\"pair\">\n");
    out.push_str(&figure(
        &latency_histogram_svg(run, palette),
        "Input-to-display latency, log-spaced bins (10 per decade).",
        "half",
    ));
    out.push_str(&figure(
        &latency_cdf_svg(run, palette),
        "Fraction of inputs displayed within a given latency.",
        "half",
    ));
    out.push_str("</div>\n");
    out.push_str("<h4>Channels</h4>\n");
    out.push_str(&channels_table(run));
    if !run.transports.is_empty() {
        out.push_str("<h4>Transports</h4>\n");
        out.push_str(&transports_table(run));
    }
    let _ = writeln!(out, "<h4>Messages (top {TOP_MESSAGES} by bytes)</h4>");
    out.push_str(&messages_table(run));
    out.push_str("<h4>Images in display draw commands</h4>\n");
    out.push_str(&images_table(run));
    if !run.displays.is_empty() {
        out.push_str("<h4>Heads</h4>\n");
        out.push_str(&heads_table(run));
    }
    if let Some(s) = run.streams.as_ref().filter(|s| s.created + s.frames > 0) {
        out.push_str("<h4>Video streams</h4>\n");
        out.push_str(&streams_table(s));
    }
    if !run.preference_switches.is_empty() {
        out.push_str("<h4>Preferences switched mid-session</h4>\n");
        out.push_str(&switches_table(run));
    }
    out.push_str("<h4>Latency and input</h4>\n");
    out.push_str(&latency_table(run));
    out.push_str(&inputs_facts(run));
    if let Some(cpu) = &run.cpu {
        out.push_str("<h4>CPU</h4>\n");
        out.push_str(&cpu_table(cpu));
    }
    out.push_str("</section>\n");
    out
}

fn session_facts(run: &RunResult) -> String {
    let c = &run.config;
    let mut pairs = vec![
        ("scenario", run.scenario.name.clone()),
        ("target", c.target.clone()),
        (
            "compression",
            compression(&c.compression, &c.compression_mechanism),
        ),
        (
            "geometry",
            c.geometry.clone().unwrap_or_else(|| ABSENT.into()),
        ),
        ("repeat, seed", format!("{}, {}", c.repeat_index, c.seed)),
        ("viewer", c.viewer.to_string()),
        ("client", clients(run)),
        ("server", run.server.address.clone()),
        (
            "mouse mode",
            run.server
                .mouse_mode
                .clone()
                .unwrap_or_else(|| ABSENT.into()),
        ),
        (
            "server net test",
            run.server
                .net_test
                .clone()
                .unwrap_or_else(|| "none seen".into()),
        ),
        ("started", run.started_at.clone()),
        (
            "duration",
            format!("{} s", fixed_or(Some(run.duration_s), 3, ABSENT)),
        ),
    ];
    if let Some(name) = &run.server.vm_name {
        let uuid = run.server.vm_uuid.as_deref().unwrap_or(ABSENT);
        pairs.push(("VM", format!("{name} ({uuid})")));
    }
    if let Some(cap) = &run.capture {
        pairs.push((
            "capture",
            format!(
                "{} ({} packets, {})",
                cap.file,
                grouped(cap.packets),
                bytes_human(cap.bytes)
            ),
        ));
    }
    facts(&pairs)
}

/// The client ends seen on the channels, each once, in connection order.
fn clients(run: &RunResult) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for c in run.channels.iter().filter_map(|c| c.client.as_deref()) {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    if seen.is_empty() {
        ABSENT.to_string()
    } else {
        seen.join(", ")
    }
}

fn opt_count(v: Option<u64>) -> Cell {
    Cell::Num(v.map_or_else(|| ABSENT.to_string(), grouped))
}

fn direction_cells(d: &DirectionStats) -> [Cell; 4] {
    [
        Cell::Num(grouped(d.payload_bytes)),
        opt_count(d.wire_bytes),
        Cell::Num(grouped(d.messages)),
        opt_count(d.packets),
    ]
}

fn channels_table(run: &RunResult) -> String {
    if run.channels.is_empty() {
        return "<p class=\"note\">No channels recorded.</p>\n".to_string();
    }
    let rows: Vec<Vec<Cell>> = run
        .channels
        .iter()
        .map(|c| {
            let mut row = vec![
                Cell::Text(match &c.leg {
                    Some(leg) => format!("{} #{} ({leg} leg)", c.channel, c.channel_id),
                    None => format!("{} #{}", c.channel, c.channel_id),
                }),
                Cell::Text(c.transport.to_string()),
                Cell::Text(c.server.clone()),
            ];
            row.extend(direction_cells(&c.down));
            row.extend(direction_cells(&c.up));
            row
        })
        .collect();
    table(
        "wide",
        &[
            "channel",
            "transport",
            "server",
            "↓ payload B",
            "↓ wire B",
            "↓ messages",
            "↓ packets",
            "↑ payload B",
            "↑ wire B",
            "↑ messages",
            "↑ packets",
        ],
        &rows,
    )
}

/// Cores each component kept busy while idle and while the plan played, and the machine's
/// load: what each part costs, and whether they competed for the CPU.
fn cpu_table(cpu: &CpuUsage) -> String {
    let cores = |w: &CpuWindow, c: Component| {
        Cell::Num(fixed_or(w.component(c).map(|x| x.cores_used), 2, ABSENT))
    };
    let mut rows: Vec<Vec<Cell>> = cpu
        .active
        .components
        .iter()
        .map(|c| {
            vec![
                Cell::Text(component_label(c.component).into()),
                cores(&cpu.idle, c.component),
                cores(&cpu.active, c.component),
                Cell::Num(fixed_or(Some(c.cpu_s), 2, ABSENT)),
                Cell::Num(grouped(u64::from(c.processes))),
            ]
        })
        .collect();
    let machine = |w: &CpuWindow| {
        Cell::Num(fixed_or(
            Some(w.machine_busy * f64::from(cpu.cores)),
            2,
            ABSENT,
        ))
    };
    rows.push(vec![
        Cell::Text(format!("whole machine ({} cores)", cpu.cores)),
        machine(&cpu.idle),
        machine(&cpu.active),
        Cell::Text(String::new()),
        Cell::Text(String::new()),
    ]);
    table(
        "",
        &[
            "component",
            "cores used, idle",
            "cores used, playing",
            "CPU s, playing",
            "processes",
        ],
        &rows,
    )
}

/// What a component is, for people.
fn component_label(c: Component) -> &'static str {
    match c {
        Component::Server => "server (Xspice and its desktop)",
        Component::Viewer => "viewer (remote-viewer, its X server)",
        Component::SshClient => "ssh client",
        Component::SshServer => "sshd",
        Component::Spicebench => "spicebench (our client, capture)",
        Component::Link => "link emulator (spicebench's forwarding threads)",
    }
}

fn transports_table(run: &RunResult) -> String {
    let rows: Vec<Vec<Cell>> = run
        .transports
        .iter()
        .map(|t| {
            vec![
                Cell::Text(t.transport.to_string()),
                Cell::Num(grouped(t.flows)),
                Cell::Num(grouped(t.down_wire_bytes)),
                Cell::Num(grouped(t.up_wire_bytes)),
                Cell::Num(grouped(t.payload_bytes)),
                Cell::Num(fixed_or(t.overhead_ratio, 3, ABSENT)),
            ]
        })
        .collect();
    table(
        "",
        &[
            "transport",
            "flows",
            "↓ wire B",
            "↑ wire B",
            "payload B",
            "overhead ratio",
        ],
        &rows,
    )
}

/// `part` as a percentage of `whole`, one decimal; absent when `whole` is 0.
fn share(part: u64, whole: u64) -> Cell {
    Cell::Num(if whole == 0 {
        ABSENT.to_string()
    } else {
        format!(
            "{} %",
            fixed_or(Some(part as f64 * 100.0 / whole as f64), 1, ABSENT)
        )
    })
}

fn messages_table(run: &RunResult) -> String {
    if run.messages.is_empty() {
        return "<p class=\"note\">No messages recorded.</p>\n".to_string();
    }
    let total = run
        .messages
        .iter()
        .fold(0u64, |a, m| a.saturating_add(m.bytes));
    let mut sorted: Vec<_> = run.messages.iter().collect();
    // Ties broken by channel, direction and type so the order is stable across runs.
    sorted.sort_by(|a, b| {
        b.bytes.cmp(&a.bytes).then_with(|| {
            // By the channel's name and the direction's, as when both were texts.
            (a.channel.name(), a.direction.as_str(), a.msg_type).cmp(&(
                b.channel.name(),
                b.direction.as_str(),
                b.msg_type,
            ))
        })
    });
    let mut rows: Vec<Vec<Cell>> = sorted
        .iter()
        .take(TOP_MESSAGES)
        .map(|m| {
            vec![
                Cell::Text(format!("{}/{}", m.channel, m.direction)),
                Cell::Text(format!("{} ({})", m.name, m.msg_type)),
                Cell::Num(grouped(m.count)),
                Cell::Num(grouped(m.bytes)),
                share(m.bytes, total),
            ]
        })
        .collect();
    let rest = &sorted[sorted.len().min(TOP_MESSAGES)..];
    if !rest.is_empty() {
        let count = rest.iter().fold(0u64, |a, m| a.saturating_add(m.count));
        let bytes = rest.iter().fold(0u64, |a, m| a.saturating_add(m.bytes));
        rows.push(vec![
            Cell::Text(String::new()),
            Cell::Text(format!("{} other types", rest.len())),
            Cell::Num(grouped(count)),
            Cell::Num(grouped(bytes)),
            share(bytes, total),
        ]);
    }
    table(
        "",
        &["channel/dir", "message (type)", "count", "bytes", "share"],
        &rows,
    )
}

fn images_table(run: &RunResult) -> String {
    if run.images.is_empty() {
        return "<p class=\"note\">No images in draw commands.</p>\n".to_string();
    }
    let total = run
        .images
        .iter()
        .fold(0u64, |a, i| a.saturating_add(i.bytes));
    let mut sorted: Vec<_> = run.images.iter().collect();
    sorted.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.code.cmp(&b.code)));
    let rows: Vec<Vec<Cell>> = sorted
        .iter()
        .map(|i| {
            let mean = (i.count > 0).then(|| i.bytes / i.count);
            vec![
                Cell::Text(format!("{} ({})", i.image_type, i.code)),
                Cell::Num(grouped(i.count)),
                Cell::Num(grouped(i.bytes)),
                opt_count(mean),
                share(i.bytes, total),
            ]
        })
        .collect();
    table(
        "",
        &[
            "image type (code)",
            "count",
            "bytes",
            "bytes/image",
            "share",
        ],
        &rows,
    )
}

/// Per display channel and head: geometry, updates, bytes and share of the channel's update
/// bytes; the updates no head took follow each channel's heads.
fn heads_table(run: &RunResult) -> String {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for d in &run.displays {
        let channel = format!("display #{}", d.channel_id);
        for h in &d.heads {
            rows.push(vec![
                Cell::Text(channel.clone()),
                Cell::Text(format!(
                    "{}{}",
                    h.id,
                    if d.announced {
                        ""
                    } else {
                        " (primary surface)"
                    }
                )),
                Cell::Text(format!("{}x{}+{}+{}", h.width, h.height, h.x, h.y)),
                Cell::Num(grouped(h.updates)),
                Cell::Num(grouped(h.bytes)),
                share(h.bytes, d.update_bytes),
            ]);
        }
        rows.push(vec![
            Cell::Text(channel),
            Cell::Text("no head".into()),
            Cell::Text(ABSENT.into()),
            Cell::Num(grouped(d.unattributed.updates)),
            Cell::Num(grouped(d.unattributed.bytes)),
            share(d.unattributed.bytes, d.update_bytes),
        ]);
    }
    let mut out = table(
        "",
        &["channel", "head", "geometry", "updates", "bytes", "share"],
        &rows,
    );
    out.push_str(
        "<p class=\"note\">An update counts on every head its box meets; its bytes are split \
         by the area it covers on each.</p>\n",
    );
    out
}

fn switches_table(run: &RunResult) -> String {
    let rows: Vec<Vec<Cell>> = run
        .preference_switches
        .iter()
        .map(|s| {
            vec![
                Cell::Text(format!("{} = {} (line {})", s.setting, s.value, s.line)),
                Cell::Num(fixed_or(Some(s.sent_s), 3, ABSENT)),
                Cell::Num(fixed_or(s.took_effect_s, 3, "never")),
                Cell::Num(fixed_or(s.delay_ms, 1, ABSENT)),
                Cell::Text(s.first_seen.clone().unwrap_or_else(|| ABSENT.into())),
                Cell::Num(grouped(s.other_before)),
            ]
        })
        .collect();
    let mut out = table(
        "",
        &[
            "asked for",
            "sent s",
            "on the wire s",
            "after ms",
            "shown by",
            "old kind before",
        ],
        &rows,
    );
    out.push_str(
        "<p class=\"note\">A switch is on the wire at the first image of the asked-for \
         compression (or stream of an asked-for codec) after it; the delay includes the time \
         until the screen next changed.</p>\n",
    );
    out
}

fn streams_table(s: &StreamStats) -> String {
    let rows: Vec<Vec<Cell>> = s
        .by_codec
        .iter()
        .map(|c| {
            vec![
                Cell::Text(c.codec.clone()),
                Cell::Num(grouped(c.streams)),
                Cell::Num(grouped(c.frames)),
                Cell::Num(grouped(c.bytes)),
                Cell::Num(grouped(c.data_bytes)),
            ]
        })
        .collect();
    let mut out = facts(&[
        ("created", grouped(s.created)),
        ("destroyed", grouped(s.destroyed)),
        ("flaps (created, then destroyed)", grouped(s.flaps)),
        ("frames", grouped(s.frames)),
    ]);
    out.push_str(&table(
        "",
        &["codec", "streams", "frames", "bytes", "video bytes"],
        &rows,
    ));
    out
}

fn latency_row(what: &str, l: &LatencySummary) -> Vec<Cell> {
    let ms = |v: Option<f64>| Cell::Num(fixed_or(v, 3, ABSENT));
    vec![
        Cell::Text(format!("{what} ({})", l.source)),
        Cell::Num(grouped(l.count)),
        ms(l.p50_ms),
        ms(l.p90_ms),
        ms(l.p99_ms),
        ms(l.p99_9_ms),
        ms(l.max_ms),
    ]
}

fn latency_table(run: &RunResult) -> String {
    let mut rows = vec![latency_row(
        "input → display",
        &run.latency.input_to_display,
    )];
    if let Some(c) = &run.latency.capture {
        rows.push(latency_row("input → display", c));
    }
    let mut out = table(
        "",
        &[
            "measure (clock)",
            "samples",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms",
        ],
        &rows,
    );
    let settle = match run.latency.settle_ms.and_then(|v| fixed(v, 3)) {
        Some(v) => format!("{v} ms"),
        None => "never (the display did not go quiet before the end of data)".into(),
    };
    let _ = writeln!(out, "<p class=\"note\">Settle time: {}</p>", esc(&settle));
    out
}

fn inputs_facts(run: &RunResult) -> String {
    let i = &run.inputs;
    let us = |v: Option<f64>| format!("{} µs", fixed_or(v, 0, ABSENT));
    facts(&[
        ("inputs sent", grouped(i.sent)),
        ("of which motion", grouped(i.motion)),
        ("motion acks", grouped(i.motion_acks)),
        ("most unacked motion", grouped(i.max_unacked_motion)),
        ("pacing error p50", us(i.pacing_error_p50_us)),
        ("pacing error p99", us(i.pacing_error_p99_us)),
    ])
}
