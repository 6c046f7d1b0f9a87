//! Snapshot tests of the tables, structural tests of the SVG and HTML, and no-panic
//! tests over empty, odd and hostile results.

use std::path::Path;

use crate::analyze::{encode_histogram, latency_histogram};
use crate::results::*;

use super::*;

/// The three real results of the drag scenario (compression off, auto_glz, glz).
fn real() -> Vec<RunResult> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/results");
    ["off", "auto_glz", "glz"]
        .iter()
        .map(|n| RunResult::read(dir.join(format!("{n}.json"))).expect("fixture"))
        .collect()
}

/// A small result built in code, for snapshots that should not move when fixtures do.
fn small(name: &str, display: u64, p99: Option<f64>) -> RunResult {
    let mut h = latency_histogram();
    for v in [700, 900, 1_500, 9_000] {
        h.record(v).unwrap();
    }
    let mut r = RunResult {
        scenario: ScenarioInfo {
            name: "typing".into(),
            file: "scenarios/typing.toml".into(),
            description: None,
        },
        ..RunResult::default()
    };
    r.config.name = name.into();
    r.config.compression = name.into();
    r.channels.push(ChannelStats {
        channel: Channel::DISPLAY,
        transport: Transport::Spice,
        down: DirectionStats {
            payload_bytes: display,
            messages: 3,
            ..Default::default()
        },
        ..Default::default()
    });
    r.timeline = Timeline {
        unit: Some(TimelineUnit::Payload),
        bin_ms: 100,
        start: String::new(),
        start_offset_s: 0.0,
        series: vec![Series {
            key: SeriesKey::DISPLAY_DOWN,
            bytes: vec![0, display, 0],
        }],
    };
    r.rates.push(Rate {
        key: SeriesKey::DISPLAY_DOWN,
        mean_mib_s: display as f64 / 1_048_576.0 / 0.3,
        peak_1s_mib_s: display as f64 / 1_048_576.0,
    });
    r.latency.input_to_display = LatencySummary {
        source: "client".into(),
        count: if p99.is_some() { 4 } else { 0 },
        p50_ms: p99.map(|_| 0.9),
        p90_ms: p99.map(|_| 1.5),
        p99_ms: p99,
        p99_9_ms: p99,
        max_ms: p99,
        histogram: encode_histogram(&if p99.is_some() {
            h
        } else {
            latency_histogram()
        }),
        method: LatencyMethod::Probe,
    };
    r.latency.settle_ms = p99.map(|_| 120.0);
    r
}

/// The report's sentence comparing `r` with `base`, worked out from the two results: display
/// bytes as a ratio to two decimals, p99 difference to one.
fn versus(r: &RunResult, base: &RunResult) -> String {
    let ratio = r.display_down_bytes() as f64 / base.display_down_bytes() as f64;
    let p99 = |x: &RunResult| x.headline_latency().p99_ms.unwrap();
    format!(
        "{ratio:.2}× the display bytes of {}, p99 {:+.1} ms",
        base.config.name,
        p99(r) - p99(base)
    )
}

fn opts() -> ReportOptions {
    ReportOptions {
        title: "drag: compression modes".into(),
        baseline: None,
        generated_at: "2026-11-28T08:00:00Z".into(),
        machine: vec![("cpu".into(), "2 cores".into())],
        failed: Vec::new(),
    }
}

#[test]
fn markdown_snapshot_real() {
    insta::assert_snapshot!("markdown_real", markdown_table(&real(), &[], None));
}

#[test]
fn markdown_snapshot_baseline_glz() {
    insta::assert_snapshot!(
        "markdown_baseline_glz",
        markdown_table(&real(), &[], Some("glz"))
    );
}

#[test]
fn csv_snapshot_real() {
    insta::assert_snapshot!("csv_real", csv_table(&real(), &[]));
}

#[test]
fn csv_snapshot_missing_numbers() {
    let runs = [small("a|b", 0, None), small("=c,d", 2048, Some(9.0))];
    insta::assert_snapshot!("csv_missing", csv_table(&runs, &[]));
    insta::assert_snapshot!("markdown_missing", markdown_table(&runs, &[], None));
}

#[test]
fn json_snapshot_small() {
    let runs = [
        small("off", 1_048_576, Some(9.0)),
        small("glz", 200_000, None),
    ];
    insta::assert_snapshot!("json_small", json(&runs));
}

#[test]
fn json_of_the_real_results_reads_back() {
    let runs = real();
    let back: Vec<RunResult> = serde_json::from_str(&json(&runs)).unwrap();
    assert_eq!(back, runs);
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn svgs_have_axes_with_units_and_legends() {
    let runs = real();
    let p = Palette::for_results(&runs);
    let t = timeline_svg(&runs[0], &p);
    assert!(t.starts_with("<svg"), "{}", &t[..80]);
    for s in [
        "time (s)",
        "MiB/s",
        "display",
        "inputs",
        "input burst",
        "server → client",
        "client → server",
    ] {
        assert!(t.contains(s), "timeline lacks {s}");
    }
    // Two bursts, shaded in both panels.
    assert!(count(&t, "<polygon") >= 8);
    let h = latency_histogram_svg(&runs[0], &p);
    let l = runs[0].headline_latency();
    let p50 = format!("p50 {:.3} ms", l.p50_ms.unwrap());
    let p99 = format!("p99 {:.3} ms", l.p99_ms.unwrap());
    for s in ["latency (ms)", "count", &p50, &p99] {
        assert!(h.contains(s), "histogram lacks {s}");
    }
    let c = latency_cdf_svg(&runs[0], &p);
    assert!(c.contains("fraction") && c.contains("latency (ms)"));
    let cc = latency_cdf_compare_svg(&runs, &p);
    for r in &runs {
        assert!(cc.contains(&format!("{} (", r.config.name)));
    }
    // The largest bar of each plot is labelled with its value.
    let peak = runs
        .iter()
        .flat_map(|r| &r.rates)
        .filter(|x| x.key == SeriesKey::DISPLAY_DOWN)
        .map(|x| x.peak_1s_mib_s)
        .fold(0.0, f64::max);
    let tb = throughput_bars_svg(&runs, &p);
    assert!(tb.contains("MiB/s") && tb.contains("peak (1 s)"));
    assert!(tb.contains(&format!("{peak:.3}")), "no label {peak:.3}");
    let worst = runs
        .iter()
        .filter_map(|r| r.headline_latency().p99_ms)
        .fold(0.0, f64::max);
    let lb = latency_bars_svg(&runs, &p);
    assert!(lb.contains("latency (ms)") && lb.contains("p99"));
    assert!(lb.contains(&format!("{worst:.3}")), "no label {worst:.3}");
    for r in &runs {
        assert!(tb.contains(&r.config.name) && lb.contains(&r.config.name));
    }
}

#[test]
fn transport_legs_are_lines_not_stacked() {
    let mut r = small("tunnel", 4096, Some(3.0));
    r.timeline.series.push(Series {
        key: SeriesKey::new(Channel::Transport(Transport::Ssh), Direction::Down),
        bytes: vec![0, 5000, 0],
    });
    let svg = timeline_svg(&r, &Palette::for_results(std::slice::from_ref(&r)));
    assert!(svg.contains("ssh leg"));
    assert!(svg.contains("<polyline"));
}

#[test]
fn report_has_every_part() {
    let runs = real();
    let html = report_html(&runs, &opts());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    // 3 comparison plots, then timeline, histogram and CDF per configuration.
    assert_eq!(count(&html, "<svg"), 3 + 3 * runs.len());
    assert_eq!(count(&html, "<svg"), count(&html, "</svg>"));
    for r in &runs {
        assert!(html.contains(&r.config.name));
    }
    for s in [
        "drag: compression modes",
        "Drag an xterm by its title bar",
        "scenarios/drag.toml",
        "2 cores",
        "2026-11-28T08:00:00Z",
        "high-bandwidth (display ack window 20)",
        &runs[0].server.address,
        "spicebench",
        "client",
        &versus(&runs[2], &runs[0]),
        "GLZ_RGB (102)",
        "DRAW_COPY",
        "keyboard channel is insecure",
        "time (s)",
        "latency (ms)",
        "fraction",
        "MiB/s",
    ] {
        assert!(html.contains(s), "report lacks {s}");
    }
    // Self-contained: no script, and nothing fetched (the SVG namespace is a name, not
    // a fetch).
    assert!(!html.contains("<script"), "no scripts in the report");
    for fetch in ["src=", "<link", "@import", "url(", "https://"] {
        assert!(
            !html.contains(fetch),
            "report refers to something outside: {fetch}"
        );
    }
    assert_eq!(
        count(&html, "http://"),
        count(&html, "xmlns=\"http://www.w3.org/2000/svg\"")
    );
}

#[test]
fn report_names_a_missing_baseline() {
    let mut o = opts();
    o.baseline = Some("glz".into());
    let html = report_html(&real(), &o);
    let at = html.find("the display bytes of").unwrap_or(0);
    let want = versus(&real()[0], &real()[2]);
    assert!(
        html.contains(&want),
        "the baseline sentence reads: {}",
        &html[at.saturating_sub(40)..(at + 60).min(html.len())]
    );
    o.baseline = Some("nope".into());
    let html = report_html(&real(), &o);
    assert!(html.contains("Baseline “nope” is not among the configurations"));
}

#[test]
fn hostile_strings_are_escaped_everywhere() {
    let evil = "<script>alert('x')</script>&\"";
    let mut r = small(evil, 1000, Some(2.0));
    r.scenario.name = evil.into();
    r.scenario.description = Some(evil.into());
    r.warnings
        .push(crate::results::Warning::new(WarningCode::Legacy, evil));
    r.server.net_test = Some(evil.into());
    r.channels[0].channel = Channel::Other(evil.into());
    r.timeline.series[0].key = SeriesKey::new(Channel::Other(evil.into()), Direction::Down);
    r.messages.push(MessageStats {
        channel: Channel::Other(evil.into()),
        direction: Direction::Up,
        msg_type: 0,
        name: evil.into(),
        count: 0,
        bytes: 0,
    });
    let mut o = opts();
    o.title = evil.into();
    o.machine.push((evil.into(), evil.into()));
    o.generated_at = evil.into();
    o.baseline = Some(evil.into());
    let html = report_html(&[r.clone()], &o);
    assert!(!html.contains("<script"), "unescaped script tag");
    assert!(html.contains("&lt;script&gt;"));
    let md = markdown_table(&[r.clone()], &[], None);
    // Every `<` and `>` of the name is backslash-escaped.
    assert!(!md
        .replace("\\<", "")
        .replace("\\>", "")
        .contains(['<', '>']));
    let csv = csv_table(&[r], &[]);
    assert!(csv.contains("\"<script>alert('x')</script>&\"\"\""));
}

/// Tiny deterministic generator: no extra dev-dependency for "many odd inputs".
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.next() as usize % xs.len()]
    }
}

fn odd_result(g: &mut Lcg, i: usize) -> RunResult {
    let floats = [
        0.0,
        -1.0,
        1e-12,
        0.5,
        3.0,
        1e9,
        1e300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let bytes = [0, 1, 1000, u64::MAX / 2, u64::MAX];
    let mut r = RunResult::default();
    r.config.name = match g.next() % 4 {
        0 => String::new(),
        1 => "x".repeat(200),
        _ => format!("cfg-{i}"),
    };
    r.duration_s = g.pick(&floats);
    r.timeline.bin_ms = [0, 1, 100, u32::MAX][g.next() as usize % 4];
    let bins = [0, 1, 3, 700, 2000][g.next() as usize % 5];
    for key in [
        "display/down",
        "inputs/up",
        "ssh/down",
        "weird/up",
        "/down",
        "tls/up",
    ] {
        if g.next().is_multiple_of(2) {
            let n = if g.next().is_multiple_of(3) {
                bins / 2
            } else {
                bins
            };
            r.timeline.series.push(Series {
                key: SeriesKey::try_from(key.to_string()).unwrap(),
                bytes: (0..n).map(|_| g.pick(&bytes)).collect(),
            });
        }
    }
    for _ in 0..(g.next() % 3) {
        r.bursts.push(Burst {
            start_s: g.pick(&floats),
            end_s: g.pick(&floats),
            events: 1,
        });
    }
    r.rates.push(Rate {
        key: SeriesKey::DISPLAY_DOWN,
        mean_mib_s: g.pick(&floats),
        peak_1s_mib_s: g.pick(&floats),
    });
    r.channels.push(ChannelStats {
        channel: Channel::DISPLAY,
        down: DirectionStats {
            payload_bytes: g.pick(&bytes),
            wire_bytes: Some(g.pick(&bytes)),
            messages: g.pick(&bytes),
            packets: None,
            retransmitted_bytes: None,
        },
        ..Default::default()
    });
    r.images.push(ImageStats {
        count: g.pick(&bytes),
        bytes: g.pick(&bytes),
        ..Default::default()
    });
    r.messages.push(MessageStats {
        channel: Channel::default(),
        direction: Direction::Down,
        msg_type: 0,
        name: String::new(),
        bytes: g.pick(&bytes),
        count: g.pick(&bytes),
    });
    let mut h = latency_histogram();
    for _ in 0..(g.next() % 4) {
        h.record(g.pick(&[1, 500, 60_000_000, 7])).unwrap();
    }
    let lat = &mut r.latency.input_to_display;
    lat.histogram = match g.next() % 4 {
        0 => "garbage%%".into(),
        1 => String::new(),
        _ => encode_histogram(&h),
    };
    lat.count = g.pick(&bytes);
    lat.p50_ms = Some(g.pick(&floats));
    lat.p99_ms = if g.next().is_multiple_of(2) {
        Some(g.pick(&floats))
    } else {
        None
    };
    r.latency.settle_ms = Some(g.pick(&floats));
    r
}

#[test]
fn nothing_panics_on_odd_results() {
    let mut g = Lcg(42);
    // Empty, one, and up to twenty configurations of odd results.
    for n in [0usize, 1, 2, 5, 20] {
        let runs: Vec<RunResult> = (0..n).map(|i| odd_result(&mut g, i)).collect();
        let html = report_html(&runs, &opts());
        assert_eq!(count(&html, "<svg"), count(&html, "</svg>"));
        if n > 0 {
            assert_eq!(count(&html, "<svg"), 3 + 3 * n);
        }
        assert!(!html.contains("NaN") && !html.contains("inf "));
        let _ = markdown_table(&runs, &[], Some("cfg-1"));
        let csv = csv_table(&runs, &[]);
        assert_eq!(csv.lines().count(), n + 1);
        let _ = json(&runs);
    }
    // A default result has nothing at all.
    let empty = RunResult::default();
    let html = report_html(std::slice::from_ref(&empty), &ReportOptions::default());
    assert!(html.contains("no timeline data") && html.contains("no latency samples"));
}

#[test]
fn twenty_configurations_get_twenty_colours_and_rows() {
    let runs: Vec<RunResult> = (0..20)
        .map(|i| {
            small(
                &format!("configuration-with-a-long-name-{i:02}"),
                1000 * (i + 1),
                Some(i as f64),
            )
        })
        .collect();
    let p = Palette::for_results(&runs);
    let bars = throughput_bars_svg(&runs, &p);
    // Names are shortened in the plot, but each row is there.
    let short = format::abbreviate(&runs[0].config.name, 28);
    assert_eq!(short, "configuration-…-long-name-00");
    for r in &runs {
        assert!(bars.contains(&format::abbreviate(&r.config.name, 28)));
    }
    let html = report_html(&runs, &opts());
    for r in &runs {
        assert!(html.contains(&r.config.name));
    }
}

/// Results of the two real captures with heads and streams (tests/data): two 1920x1200 heads
/// with an xterm dragged across them, and an MJPEG stream of an animation.
fn heads_and_streams() -> Vec<RunResult> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    [
        ("two-heads", "xspice-two-heads.pcapng"),
        ("streams", "xspice-streams-mjpeg.pcapng"),
    ]
    .iter()
    .map(|(name, file)| {
        let mut r = crate::analyze::analyze_file(&dir.join(file), Default::default())
            .expect("real capture");
        r.config.name = (*name).into();
        r
    })
    .collect()
}

#[test]
fn heads_and_streams_in_markdown_text_and_html() {
    let runs = heads_and_streams();
    let md = markdown_table(&runs, &[], None);
    // The per-head and stream tables follow the comparison table, after a blank line.
    let (_, extra) = md.split_once("\n\n").expect("heads table");
    insta::assert_snapshot!("markdown_heads_streams", extra);
    let text: String = runs
        .iter()
        .map(|r| format!("{}:\n{}", r.config.name, text::heads_lines(r)))
        .collect();
    insta::assert_snapshot!("text_heads_streams", text);
    let html = report_html(&runs, &opts());
    for s in [
        "<h4>Heads</h4>",
        "1920x1200+1920+0",
        "no head",
        "<h4>Video streams</h4>",
        "mjpeg",
        "flaps (created, then destroyed)",
    ] {
        assert!(html.contains(s), "report lacks {s}");
    }
    // A result without streams gets no stream section, one without displays no heads.
    let plain = report_html(&real(), &opts());
    assert!(!plain.contains("<h4>Video streams</h4>") && !plain.contains("<h4>Heads</h4>"));
}

#[test]
fn preference_switches_in_text_and_html() {
    use crate::results::PreferenceSwitch;
    let mut r = real().remove(0);
    r.preference_switches = vec![
        PreferenceSwitch {
            setting: "compression".into(),
            value: "glz".into(),
            line: 14,
            sent_s: 1.809,
            took_effect_s: Some(2.043),
            delay_ms: Some(234.4),
            first_seen: Some("GLZ_RGB".into()),
            other_before: 2,
            indistinct_from: None,
        },
        PreferenceSwitch {
            setting: "compression".into(),
            value: "quic".into(),
            line: 23,
            sent_s: 3.06,
            indistinct_from: Some("auto_glz".into()),
            ..Default::default()
        },
        PreferenceSwitch {
            setting: "video_codecs".into(),
            value: "gstreamer:vp8".into(),
            line: 30,
            sent_s: 4.0,
            ..Default::default()
        },
    ];
    let text = text::heads_lines(&r);
    for line in [
        "prefer compression = glz (line 14): sent at 1.809 s, on the wire at 2.043 s (234.4 ms later, first GLZ_RGB)",
        "prefer compression = quic (line 23): sent at 3.060 s, not visible on the wire (looks like auto_glz)",
        "prefer video_codecs = gstreamer:vp8 (line 30): sent at 4.000 s, never seen on the wire",
    ] {
        assert!(text.contains(line), "{text}");
    }
    let html = report_html(&[r], &opts());
    for s in [
        "<h4>Preferences switched mid-session</h4>",
        "compression = glz (line 14)",
        "GLZ_RGB",
        "never",
    ] {
        assert!(html.contains(s), "report lacks {s}");
    }
    // Without switches, no section.
    assert!(!report_html(&real(), &opts()).contains("Preferences switched"));
}

/// Two configurations, one clean and one with three warnings: a long one, one of two lines,
/// and one with the characters each format must defuse.
fn with_warnings() -> Vec<RunResult> {
    let clean = small("auto_glz", 2048, Some(9.0));
    let mut warned = small("ssh-tunnel", 0, None);
    warned.warnings = vec![
        Warning::new(
            WarningCode::NoLatencySamples,
            format!(
                "no latency sample: no display update followed any input within 1 s{}",
                " (and the rest of a long explanation)".repeat(4)
            ),
        ),
        Warning::new(
            WarningCode::CaptureUndercount,
            "display channel: 0 bytes\nsecond line, detail",
        ),
        Warning::new(
            WarningCode::ServerNotice,
            "server notice: \"a, b | c\" \u{1b}[31mred",
        ),
    ];
    vec![clean, warned]
}

#[test]
fn warnings_in_terminal_table_markdown_and_csv() {
    let runs = with_warnings();
    let rows: Vec<text::Row<'_>> = runs.iter().map(text::Row::Done).collect();
    let short = text::render(&rows, text::WarningDetail::Short);
    insta::assert_snapshot!("text_warnings_short", short);
    let full = text::render(&rows, text::WarningDetail::Full);
    insta::assert_snapshot!("text_warnings_full", full);
    // The clean configuration is marked `-`, the other `!2` (its server notice is an `info`
    // note, listed only in full); the terminal never gets ESC.
    let line = |t: &str, name: &str| t.lines().find(|l| l.starts_with(name)).unwrap().to_owned();
    assert!(line(&short, "auto_glz").ends_with(" -"));
    assert!(line(&short, "ssh-tunnel").ends_with(" !2"));
    assert!(
        full.contains("server notice: \"a, b | c\" \\u{1b}[31mred"),
        "{full}"
    );
    assert!(!short.contains('\u{1b}') && !full.contains('\u{1b}'));
    // Short: first lines only, cut; full: every word of every warning.
    assert!(!short.contains("second line") && full.contains("second line, detail"));
    assert!(full.contains(&runs[1].warnings[0].text));
    insta::assert_snapshot!("markdown_warnings", markdown_table(&runs, &[], None));
    let csv = csv_table(&runs, &[]);
    insta::assert_snapshot!("csv_warnings", csv);
    // One record per configuration (the two-line warning stays inside its quotes): the
    // warnings columns read back as the count and the warnings joined by " | ".
    let records = csv_records(&csv);
    assert_eq!(records.len(), 3);
    let col = |name: &str| {
        crate::export::csv::CSV_HEADER
            .iter()
            .position(|h| *h == name)
            .unwrap()
    };
    assert_eq!(records[1][col("warnings")], "0");
    assert_eq!(records[1][col("warning_text")], "");
    assert_eq!(records[2][col("warnings")], "3");
    // Every warning, joined; only the escape character is dropped.
    assert_eq!(
        records[2][col("warning_text")],
        runs[1]
            .warnings
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(crate::export::csv::WARNING_SEPARATOR)
            .replace('\u{1b}', "")
    );
}

/// A minimal RFC 4180 reader, to check the CSV reads back as written.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    records
}

#[test]
fn cpu_per_component_in_html_only_when_measured() {
    let part = |component, cpu_s, processes| ComponentCpu {
        component,
        cpu_s,
        cores_used: cpu_s / 4.0,
        processes,
    };
    let window = |busy, server| CpuWindow {
        duration_s: 4.0,
        machine_busy: busy,
        components: vec![
            part(Component::Server, server, 5),
            part(Component::Viewer, 1.2, 3),
            part(Component::Spicebench, 0.4, 1),
        ],
    };
    let mut r = real().remove(0);
    r.cpu = Some(CpuUsage {
        cores: 2,
        idle: window(0.1, 0.2),
        active: window(0.95, 3.6),
    });
    let html = report_html(&[r], &opts());
    for s in [
        "<h4>CPU</h4>",
        "server (Xspice and its desktop)",
        "viewer (remote-viewer, its X server)",
        "whole machine (2 cores)",
        // Server: 0.2 s idle and 3.6 s playing over 4 s; the machine 0.95 × 2 cores.
        ">0.05<",
        ">0.90<",
        ">3.60<",
        ">1.90<",
    ] {
        assert!(html.contains(s), "report lacks {s}");
    }
    assert!(!report_html(&real(), &opts()).contains("<h4>CPU</h4>"));
}
