//! Comparison bars: display throughput and latency percentiles per configuration.
//!
//! Bars are horizontal, one row per configuration with its name at the left: names of
//! any length stay horizontal and readable, and twenty configurations just make the
//! picture taller instead of crowding an axis. Each bar carries its value, so small bars
//! next to a large one are still readable. Bars take the configuration's colour; the
//! metric is told by shade (solid, lighter, lightest), explained in the legend.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::results::RunResult;

use super::compare::{summarize, ConfigSummary};
use super::format::{abbreviate, fixed_or, shown, tick};
use super::palette::Palette;
use super::plot::{
    axis_max, draw_legend, finite_max, font, legend_height, legend_width, placeholder, render,
    text, LegendEntry, Swatch, CAPTION_PX, CHAR_PX, DESC_PX, INK, LABEL_PX, X_TICKS,
};

/// Width of a bar chart, px.
pub const BARS_W: u32 = 1000;
/// Longest configuration name shown whole; longer ones get a middle ellipsis (the
/// summary table above the chart has them in full).
const NAME_CHARS: usize = 28;
/// Neutral colour of the legend's shade swatches.
const KEY_GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// One bar chart's content.
struct Bars<'a> {
    caption: &'a str,
    x_desc: &'a str,
    /// Metric names with their bar opacity.
    metrics: &'a [(&'a str, f64)],
    /// Per configuration: name and one value per metric.
    rows: Vec<(String, Vec<Option<f64>>)>,
    decimals: usize,
}

/// Mean and peak 1 s `display/down` MiB/s per configuration.
pub fn throughput_bars_svg(results: &[RunResult], palette: &Palette) -> String {
    let rows = summarize(results)
        .into_iter()
        .map(|s: ConfigSummary| (s.name, vec![s.mean_mib_s, s.peak_mib_s]))
        .collect();
    bars_svg(
        &Bars {
            caption: "display throughput, server → client",
            x_desc: "MiB/s",
            metrics: &[("mean", 0.95), ("peak (1 s)", 0.4)],
            rows,
            decimals: 3,
        },
        palette,
    )
}

/// Input-to-display latency p50, p90 and p99 (ms) per configuration.
pub fn latency_bars_svg(results: &[RunResult], palette: &Palette) -> String {
    let rows = summarize(results)
        .into_iter()
        .map(|s| (s.name, vec![s.p50_ms, s.p90_ms, s.p99_ms]))
        .collect();
    bars_svg(
        &Bars {
            caption: "input-to-display latency percentiles",
            x_desc: "latency (ms)",
            metrics: &[("p50", 0.95), ("p90", 0.6), ("p99", 0.3)],
            rows,
            decimals: 3,
        },
        palette,
    )
}

fn bars_svg(b: &Bars, palette: &Palette) -> String {
    let n = b.rows.len();
    let k = b.metrics.len().max(1);
    let row_px = (k as u32) * 14 + 18;
    let h = (90 + n as u32 * row_px).max(legend_height(k) + 60).max(200);
    if n == 0 {
        return placeholder(BARS_W, h, b.caption, "no configurations");
    }
    let names: Vec<String> = b
        .rows
        .iter()
        .map(|(n, _)| abbreviate(shown(n), NAME_CHARS))
        .collect();
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    // Room for the names, right-aligned against the axis, plus the rotated axis title.
    let label_w = ((longest as f64 * CHAR_PX) as u32 + 40).clamp(70, 320);
    let x_max = axis_max(
        finite_max(b.rows.iter().flat_map(|(_, v)| v.iter().flatten().copied())),
        0.2,
    );
    let legend: Vec<LegendEntry> = b
        .metrics
        .iter()
        .map(|(m, o)| LegendEntry::new(*m, KEY_GREY, Swatch::Fill(*o)))
        .collect();

    let legend_title = "bar (top to bottom)";
    let legend_w = legend_width(legend_title, &legend);
    render(BARS_W, h, b.caption, |root| {
        root.fill(&WHITE)?;
        let (plot, legend_area) = root.split_horizontally(BARS_W - legend_w);
        let mut chart = ChartBuilder::on(&plot)
            .caption(b.caption, font(CAPTION_PX))
            .margin(8)
            .margin_right(16)
            .x_label_area_size(44)
            .y_label_area_size(label_w)
            .build_cartesian_2d(0.0..x_max, 0.0..n as f64)?;
        chart
            .configure_mesh()
            .x_desc(b.x_desc)
            .y_desc("configuration")
            .x_labels(X_TICKS)
            .y_labels(0)
            .disable_y_mesh()
            .x_label_formatter(&|v| tick(*v, x_max, X_TICKS))
            .label_style(font(LABEL_PX).color(&INK))
            .axis_desc_style(font(DESC_PX).color(&INK))
            .max_light_lines(4)
            .light_line_style(RGBColor(0xf0, 0xf0, 0xf0))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()?;
        let slot = 0.74 / k as f64;
        for (i, ((full_name, values), name)) in b.rows.iter().zip(&names).enumerate() {
            let colour = palette.config(full_name);
            // Row 0 at the top.
            let centre = n as f64 - i as f64 - 0.5;
            let (px, py) = chart.backend_coord(&(0.0, centre));
            root.draw(&Text::new(
                name.clone(),
                (px - 8, py),
                text(LABEL_PX, INK, HPos::Right, VPos::Center),
            ))?;
            for (j, (v, (_, opacity))) in values.iter().zip(b.metrics).enumerate() {
                let top = centre + 0.37 - j as f64 * slot;
                let bottom = top - slot * 0.88;
                let label_y = (top + bottom) / 2.0;
                match v.filter(|v| v.is_finite()) {
                    Some(v) => {
                        let end = v.clamp(0.0, x_max);
                        chart.draw_series([
                            Rectangle::new(
                                [(0.0, bottom), (end, top)],
                                colour.mix(*opacity).filled(),
                            ),
                            Rectangle::new([(0.0, bottom), (end, top)], colour.stroke_width(1)),
                        ])?;
                        let (ex, ey) = chart.backend_coord(&(end, label_y));
                        root.draw(&Text::new(
                            fixed_or(Some(v), b.decimals, ""),
                            (ex + 5, ey),
                            text(LABEL_PX * 0.92, INK, HPos::Left, VPos::Center),
                        ))?;
                    }
                    None => {
                        let (ex, ey) = chart.backend_coord(&(0.0, label_y));
                        root.draw(&Text::new(
                            "n/a",
                            (ex + 5, ey),
                            text(LABEL_PX * 0.92, KEY_GREY, HPos::Left, VPos::Center),
                        ))?;
                    }
                }
            }
        }
        draw_legend(&legend_area, 40, legend_title, &legend)
    })
}
