//! The HTML report: one self-contained `index.html` comparing the configurations of a
//! run (inline CSS and SVG; no script, no font, no network).

use std::fmt::Write;

use crate::results::{RunResult, SCHEMA};

use super::compare::{baseline_index, relatives, summarize, viewer_pairs};
use super::format::{compression, fixed_or, grouped, shown};
use super::html_details::config_section;
use super::html_util::{esc, facts, figure, swatch, table, Cell, CSS};
use super::palette::Palette;
use super::svg_bars::{latency_bars_svg, throughput_bars_svg};
use super::svg_latency::latency_cdf_compare_svg;

/// What the caller knows that results do not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// Page title and heading.
    pub title: String,
    /// Configuration the others are compared with; the first one when `None` or when no
    /// configuration has that name (the report then says so).
    pub baseline: Option<String>,
    /// When the report was made, as the caller wants it shown (exporters read no clock).
    pub generated_at: String,
    /// The measuring machine, as (label, value) pairs in display order (e.g. `("cpu",
    /// "2 cores")`).
    pub machine: Vec<(String, String)>,
    /// Configurations that produced no result, with why.
    pub failed: Vec<super::FailedRun>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            title: "spicebench report".to_string(),
            baseline: None,
            generated_at: String::new(),
            machine: Vec::new(),
            failed: Vec::new(),
        }
    }
}

/// What an absent number prints as.
const ABSENT: &str = "—";

/// The report as one HTML document: what was run (scenario, machine, configurations,
/// server and client), a summary table with each configuration against the baseline,
/// comparison plots, a section per configuration, and warnings with server verdicts.
/// All text from `results` and `opts` is escaped.
pub fn report_html(results: &[RunResult], opts: &ReportOptions) -> String {
    let palette = Palette::for_results(results);
    let mut out = String::with_capacity(64 * 1024 + results.len() * 96 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
         <h1>{title}</h1>\n",
        title = esc(&opts.title)
    );
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} configuration{}{}</p>",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        if opts.generated_at.is_empty() {
            String::new()
        } else {
            format!(" · generated {}", esc(&opts.generated_at))
        }
    );
    if !opts.failed.is_empty() {
        out.push_str(&failed(&opts.failed));
    }
    if results.is_empty() {
        out.push_str("<p class=\"note\">No results to report.</p>\n");
    } else {
        out.push_str(&contents(results));
        out.push_str(&what_was_run(results, opts, &palette));
        out.push_str(&summary(results, opts, &palette));
        out.push_str(&network(results, opts, &palette));
        out.push_str(&viewers(results));
        out.push_str(&comparison(results, &palette));
        out.push_str("<h2 id=\"details\">Per configuration</h2>\n");
        for (i, r) in results.iter().enumerate() {
            out.push_str(&config_section(r, &palette, &format!("cfg-{i}")));
        }
        out.push_str(&warnings(results, &palette));
    }
    let _ = write!(
        out,
        "<footer>spicebench · results schema {SCHEMA}</footer>\n</main>\n</body>\n</html>\n"
    );
    out
}

/// The configurations that failed, first thing on the page.
fn failed(failed: &[super::FailedRun]) -> String {
    let mut out = String::from(
        "<h2 id=\"failed\">Failed configurations</h2>\n<table class=\"wide\"><thead><tr>\
         <th>configuration</th><th>error</th></tr></thead><tbody>\n",
    );
    for f in failed {
        let _ = writeln!(
            out,
            "<tr class=\"failed\"><td>{}</td><td class=\"warn\">FAILED: {}</td></tr>",
            esc(shown(&f.name)),
            esc(&f.error)
        );
    }
    out.push_str("</tbody></table>\n");
    out
}

fn contents(results: &[RunResult]) -> String {
    let mut out = String::from(
        "<nav><ul><li><a href=\"#run\">What was run</a></li>\
         <li><a href=\"#summary\">Summary</a></li>\
         <li><a href=\"#network\">Network</a></li>\
         <li><a href=\"#comparison\">Comparison plots</a></li>",
    );
    for (i, r) in results.iter().enumerate() {
        let _ = write!(
            out,
            "<li><a href=\"#cfg-{i}\">{}</a></li>",
            esc(shown(&r.config.name))
        );
    }
    out.push_str("<li><a href=\"#warnings\">Warnings and verdicts</a></li></ul></nav>\n");
    out
}

fn what_was_run(results: &[RunResult], opts: &ReportOptions, palette: &Palette) -> String {
    let mut out = String::from("<h2 id=\"run\">What was run</h2>\n");
    // Usually one scenario; a report mixing several lists each once.
    let mut seen: Vec<&crate::results::ScenarioInfo> = Vec::new();
    for r in results {
        if !seen.contains(&&r.scenario) {
            seen.push(&r.scenario);
        }
    }
    for s in seen {
        let _ = writeln!(
            out,
            "<h3>Scenario {}</h3>\n<p>{}</p>",
            esc(shown(&s.name)),
            esc(s.description.as_deref().unwrap_or("(no description)"))
        );
        out.push_str(&facts(&[("scenario file", s.file.clone())]));
    }
    if !opts.machine.is_empty() {
        out.push_str("<h3>Machine</h3>\n");
        let pairs: Vec<(&str, String)> = opts
            .machine
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        out.push_str(&facts(&pairs));
    }
    out.push_str("<h3>Configurations, server and client</h3>\n");
    let rows: Vec<Vec<Cell>> = results
        .iter()
        .map(|r| {
            let c = &r.config;
            vec![
                Cell::Html(format!(
                    "{}{}",
                    swatch(palette.config(&c.name)),
                    esc(shown(&c.name))
                )),
                Cell::Text(c.target.clone()),
                Cell::Text(compression(&c.compression, &c.compression_mechanism)),
                Cell::Text(c.geometry.clone().unwrap_or_else(|| ABSENT.into())),
                Cell::Text(c.route_label()),
                Cell::Text(
                    c.viewer_version
                        .clone()
                        .unwrap_or_else(|| c.viewer.to_string()),
                ),
                Cell::Text(match &r.server.software {
                    Some(sw) => format!("{} ({sw})", r.server.address),
                    None => r.server.address.clone(),
                }),
                Cell::Text(r.server.mouse_mode.clone().unwrap_or_else(|| ABSENT.into())),
                Cell::Text(
                    r.server
                        .net_test
                        .clone()
                        .unwrap_or_else(|| "none seen".into()),
                ),
                Cell::Text(r.started_at.clone()),
                Cell::Num(format!("{} s", fixed_or(Some(r.duration_s), 2, ABSENT))),
            ]
        })
        .collect();
    out.push_str(&table(
        "wide",
        &[
            "configuration",
            "target",
            "compression (how)",
            "geometry",
            "transport",
            "viewer",
            "server",
            "mouse mode",
            "server net test",
            "started",
            "duration",
        ],
        &rows,
    ));
    out
}

fn summary(results: &[RunResult], opts: &ReportOptions, palette: &Palette) -> String {
    let summaries = summarize(results);
    let wanted = opts.baseline.as_deref();
    let rel = relatives(&summaries, wanted);
    let mut out = String::from("<h2 id=\"summary\">Summary</h2>\n");
    let base = baseline_index(&summaries, wanted).unwrap_or(0);
    if let Some(w) = wanted.filter(|w| !summaries.iter().any(|s| s.name == *w)) {
        let _ = writeln!(
            out,
            "<p class=\"warn\">Baseline “{}” is not among the configurations; comparing with “{}”.</p>",
            esc(w),
            esc(&summaries[base].name)
        );
    }
    out.push_str(
        "<p class=\"note\">Display = SPICE payload bytes server → client on the display \
         channel(s); rates are over the measured interval (first input to end of settle); \
         latency is input sent → first display update after it on spicebench's own client \
         (<i>client</i>), or input injected → first change of remote-viewer's pixels on the \
         client's screen (<i>xdamage</i>).</p>\n",
    );
    out.push_str(
        "<table class=\"wide\"><thead><tr><th>configuration</th><th>compression</th>\
         <th>transport</th><th>viewer</th>\
         <th>display MiB</th><th>mean MiB/s</th><th>peak MiB/s</th><th>p50 ms</th>\
         <th>p90 ms</th><th>p99 ms</th><th>samples</th><th>latency from</th><th>settle ms</th>\
         <th>vs baseline</th></tr></thead><tbody>\n",
    );
    for (i, (s, r)) in summaries.iter().zip(&rel).enumerate() {
        let num = |v: Option<f64>, d| format!("<td class=\"n\">{}</td>", fixed_or(v, d, ABSENT));
        let _ = writeln!(
            out,
            "<tr{}><td><a href=\"#cfg-{i}\">{}{}</a></td><td>{}</td><td>{}</td><td>{}</td>{}{}{}{}{}{}<td class=\"n\">{}</td><td>{}</td>{}<td>{}</td></tr>",
            if r.is_baseline { " class=\"base\"" } else { "" },
            swatch(palette.config(&s.name)),
            esc(shown(&s.name)),
            esc(&s.compression),
            esc(&s.route),
            esc(&s.viewer),
            num(Some(s.display_mib()), 3),
            num(s.mean_mib_s, 3),
            num(s.peak_mib_s, 3),
            num(s.p50_ms, 3),
            num(s.p90_ms, 3),
            num(s.p99_ms, 3),
            grouped(s.samples),
            esc(&s.latency_source),
            num(s.settle_ms, 3),
            esc(&r.describe()),
        );
    }
    out.push_str("</tbody></table>\n");
    out
}

/// What crosses the network per configuration: the outermost transport's wire bytes and
/// rates beside the SPICE payload it carries, and each against the baseline's.
fn network(results: &[RunResult], opts: &ReportOptions, palette: &Palette) -> String {
    let summaries = summarize(results);
    let mut out = String::from("<h2 id=\"network\">What crosses the network</h2>\n");
    if summaries.iter().all(|s| s.network.is_none()) {
        out.push_str(
            "<p class=\"note\">No configuration was captured, so there are no wire numbers.</p>\n",
        );
        return out;
    }
    out.push_str(
        "<p class=\"note\">Wire bytes (both directions, whole session) of the connection a \
         network between viewer and server would carry: the SSH connection for ssh-tunnel and \
         ssh-x, the SPICE connections for direct. Rates are over the measured interval.</p>\n\
         <table class=\"wide\"><thead><tr><th>configuration</th><th>transport</th>\
         <th>on the network</th><th>wire MiB</th><th>mean MiB/s</th><th>peak MiB/s</th>\
         <th>SPICE payload MiB</th><th>wire ÷ SPICE</th><th>wire vs baseline</th>\
         </tr></thead><tbody>\n",
    );
    let base = baseline_index(&summaries, opts.baseline.as_deref()).unwrap_or(0);
    let base_wire = summaries[base].network.as_ref().map(|n| n.wire_bytes);
    for (i, s) in summaries.iter().enumerate() {
        let num = |v: Option<f64>, d| format!("<td class=\"n\">{}</td>", fixed_or(v, d, ABSENT));
        let Some(n) = &s.network else {
            let _ = writeln!(
                out,
                "<tr><td><a href=\"#cfg-{i}\">{}{}</a></td><td>{}</td><td colspan=\"7\">not captured</td></tr>",
                swatch(palette.config(&s.name)),
                esc(shown(&s.name)),
                esc(&s.route)
            );
            continue;
        };
        let vs = match base_wire {
            _ if i == base => "baseline".to_string(),
            Some(b) if b > 0 => format!("{:.2}×", n.wire_bytes as f64 / b as f64),
            _ => ABSENT.to_string(),
        };
        let _ = writeln!(
            out,
            "<tr{}><td><a href=\"#cfg-{i}\">{}{}</a></td><td>{}</td><td>{}</td>{}{}{}{}{}<td>{}</td></tr>",
            if i == base { " class=\"base\"" } else { "" },
            swatch(palette.config(&s.name)),
            esc(shown(&s.name)),
            esc(&s.route),
            esc(n.transport.as_str()),
            num(Some(n.wire_mib()), 3),
            num(n.mean_mib_s, 3),
            num(n.peak_mib_s, 3),
            num(Some(crate::results::mib(n.spice_payload_bytes)), 3),
            num(n.ratio_to_spice, 2),
            esc(&vs),
        );
    }
    out.push_str("</tbody></table>\n");
    out
}

/// Configurations that differ only in the viewer, side by side.
fn viewers(results: &[RunResult]) -> String {
    let pairs = viewer_pairs(results);
    if pairs.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<h3 id=\"viewers\">spicebench's client and remote-viewer side by side</h3>\n\
         <p class=\"note\">Same scenario, compression and transport; ratios are remote-viewer \
         over spicebench. The mean is over the measured interval (the drags), the bytes over the \
         whole session (initial screen included). Where they differ, the remote-viewer \
         configuration's warnings say why.</p>\n\
         <table><thead><tr><th>spicebench</th><th>remote-viewer</th><th>display bytes \
         ratio</th><th>mean display MiB/s ratio</th></tr></thead><tbody>\n",
    );
    for p in &pairs {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(shown(&p.native)),
            esc(shown(&p.remote_viewer)),
            fixed_or(p.display_ratio, 3, ABSENT),
            fixed_or(p.mean_ratio, 3, ABSENT),
        );
    }
    out.push_str("</tbody></table>\n");
    out
}

fn comparison(results: &[RunResult], palette: &Palette) -> String {
    let mut out = String::from("<h2 id=\"comparison\">Comparison plots</h2>\n");
    out.push_str(&figure(
        &throughput_bars_svg(results, palette),
        "Mean and peak (busiest 1 s window) display MiB/s per configuration.",
        "wide",
    ));
    out.push_str(&figure(
        &latency_bars_svg(results, palette),
        "Input-to-display latency percentiles per configuration.",
        "wide",
    ));
    out.push_str(&figure(
        &latency_cdf_compare_svg(results, palette),
        "Latency CDF of every configuration (log latency axis); further left is faster.",
        "wide",
    ));
    out
}

fn warnings(results: &[RunResult], palette: &Palette) -> String {
    let mut out = String::from("<h2 id=\"warnings\">Warnings and server verdicts</h2>\n");
    for r in results {
        let _ = writeln!(
            out,
            "<h4>{}{}</h4>\n<ul class=\"warnings\">",
            swatch(palette.config(&r.config.name)),
            esc(shown(&r.config.name))
        );
        let verdict = r.server.net_test.as_deref().unwrap_or("none seen");
        let _ = writeln!(out, "<li>server network test: {}</li>", esc(verdict));
        if let Some(cap) = &r.capture {
            let dropped = cap
                .kernel_dropped
                .unwrap_or(0)
                .saturating_add(cap.interface_dropped.unwrap_or(0));
            if dropped > 0 {
                let _ = writeln!(
                    out,
                    "<li>capture dropped {} packets: wire numbers are low</li>",
                    grouped(dropped)
                );
            }
        }
        if r.warnings.is_empty() {
            out.push_str("<li>no warnings</li>\n");
        }
        for w in &r.warnings {
            // The code is what docs/warnings.md explains; a title gives its severity.
            let _ = writeln!(
                out,
                "<li>{} <code title=\"{}\">{}</code></li>",
                esc(&w.text),
                w.severity,
                w.code
            );
        }
        out.push_str("</ul>\n");
    }
    out
}
