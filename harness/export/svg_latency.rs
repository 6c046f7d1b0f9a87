//! Input-to-display latency pictures: one run's histogram and CDF, and every
//! configuration's CDF overlaid.
//!
//! Latencies span decades (sub-millisecond medians, tails of hundreds of ms), so the
//! latency axis is logarithmic, whole decades from the smallest to the largest sample,
//! and the histogram's bins are log-spaced (ten per decade) so each is equally wide on
//! screen.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::analyze::decode_histogram;
use crate::results::RunResult;

use super::format::{abbreviate, fixed, fixed_or, shown, tick};
use super::palette::Palette;
use super::plot::{
    axis_max, draw_legend, font, legend_height, legend_width, placeholder, render, text, Area,
    Drawn, LegendEntry, Swatch, CAPTION_PX, DESC_PX, INK, LABEL_PX, X_TICKS, Y_TICKS,
};

/// Width of a one-run latency picture, px: two fit side by side in the report.
pub const LATENCY_W: u32 = 540;
/// Height of a one-run latency picture, px.
pub const LATENCY_H: u32 = 320;
/// Width of the overlaid CDF, px.
pub const CDF_COMPARE_W: u32 = 1000;
/// Histogram bins per decade of latency.
const BINS_PER_DECADE: i32 = 10;
/// Smallest and largest decade drawn, as powers of ten of ms: 1 µs (the histogram's
/// lowest value) to 100 s (above its 60 s ceiling).
const DECADES: (i32, i32) = (-3, 5);

/// The samples of one run: (latency ms, count) per recorded bucket, ascending.
struct Samples {
    buckets: Vec<(f64, u64)>,
    total: u64,
}

impl Samples {
    /// Decodes the run's input-to-display histogram; `Err` says why there is nothing to
    /// draw.
    fn of(run: &RunResult) -> Result<Samples, String> {
        let h = decode_histogram(&run.latency.input_to_display.histogram)
            .map_err(|e| format!("latency histogram unreadable: {e}"))?;
        let buckets: Vec<(f64, u64)> = h
            .iter_recorded()
            .map(|v| (v.value_iterated_to() as f64 / 1000.0, v.count_at_value()))
            .filter(|&(_, c)| c > 0)
            .collect();
        let total = buckets.iter().fold(0u64, |a, &(_, c)| a.saturating_add(c));
        if total == 0 {
            return Err("no latency samples".to_string());
        }
        Ok(Samples { buckets, total })
    }

    /// Smallest and largest latency, ms.
    fn bounds(&self) -> (f64, f64) {
        let lo = self.buckets.first().map_or(1.0, |b| b.0);
        let hi = self.buckets.last().map_or(1.0, |b| b.0);
        (lo, hi)
    }

    /// CDF as step points from `x_lo` (fraction 0) to `x_hi` (fraction 1).
    fn cdf(&self, x_lo: f64, x_hi: f64) -> Vec<(f64, f64)> {
        let mut pts = vec![(x_lo, 0.0)];
        let mut seen = 0u64;
        for &(ms, c) in &self.buckets {
            let x = ms.clamp(x_lo, x_hi);
            let before = seen as f64 / self.total as f64;
            seen = seen.saturating_add(c);
            pts.push((x, before));
            pts.push((x, seen as f64 / self.total as f64));
        }
        pts.push((x_hi, 1.0));
        pts
    }
}

/// Whole decades (powers of ten, in ms) enclosing `lo..=hi`, at least one decade wide.
fn decades(lo: f64, hi: f64) -> (i32, i32) {
    let exp = |v: f64, f: fn(f64) -> f64| {
        if v.is_finite() && v > 0.0 {
            f(v.log10()).clamp(f64::from(DECADES.0), f64::from(DECADES.1)) as i32
        } else {
            DECADES.0
        }
    };
    let a = exp(lo, f64::floor);
    let b = exp(hi, f64::ceil).max(a + 1);
    (a, b)
}

/// The log axis over decades `d0..d1`, widened by 2 % at each end: plotters finds its
/// tick values by rounding logarithms, and at an exact power of ten the rounding can
/// fall on the wrong side and leave the first decade unlabelled.
fn log_range((d0, d1): (i32, i32)) -> std::ops::Range<f64> {
    10f64.powi(d0) * 0.98..10f64.powi(d1) * 1.02
}

/// Tick text of a power of ten in ms: `0.01`, `1`, `1000`.
fn decade_label(v: f64) -> String {
    let decimals = if v < 1.0 {
        (-v.log10()).round() as usize
    } else {
        0
    };
    fixed(v, decimals).unwrap_or_default()
}

/// The run's latency histogram as an SVG: x "latency (ms)" on a log scale, y "count",
/// bars in the configuration's colour, dashed lines at p50 and p99.
pub fn latency_histogram_svg(run: &RunResult, palette: &Palette) -> String {
    let caption = format!(
        "{} · latency histogram",
        abbreviate(shown(&run.config.name), 36)
    );
    let samples = match Samples::of(run) {
        Ok(s) => s,
        Err(why) => return placeholder(LATENCY_W, LATENCY_H, &caption, &why),
    };
    let (lo, hi) = samples.bounds();
    let (d0, d1) = decades(lo, hi);
    let bins = ((d1 - d0) * BINS_PER_DECADE) as usize;
    let mut counts = vec![0u64; bins];
    for &(ms, c) in &samples.buckets {
        let pos = (ms.max(1e-9).log10() - f64::from(d0)) * f64::from(BINS_PER_DECADE);
        let i = (pos.floor().max(0.0) as usize).min(bins - 1);
        counts[i] = counts[i].saturating_add(c);
    }
    let edge = |i: usize| 10f64.powf(f64::from(d0) + i as f64 / f64::from(BINS_PER_DECADE));
    let y_max = axis_max(counts.iter().copied().max().unwrap_or(0) as f64, 0.15);
    let colour = palette.config(&run.config.name);
    let lat = &run.latency.input_to_display;
    let marks = [("p50", lat.p50_ms), ("p99", lat.p99_ms)];

    render(LATENCY_W, LATENCY_H, &caption, |root| {
        root.fill(&WHITE)?;
        let mut chart = latency_chart(root, &caption, log_range((d0, d1)), 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc("latency (ms)")
            .y_desc("count")
            .x_labels(X_TICKS)
            .y_labels(Y_TICKS)
            .x_label_formatter(&|v| decade_label(*v))
            .y_label_formatter(&|v| tick(*v, y_max, Y_TICKS))
            .label_style(font(LABEL_PX).color(&INK))
            .axis_desc_style(font(DESC_PX).color(&INK))
            .light_line_style(RGBColor(0xf0, 0xf0, 0xf0))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
            .draw()?;
        chart.draw_series(
            counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| {
                    Rectangle::new(
                        [(edge(i), 0.0), (edge(i + 1), c as f64)],
                        colour.mix(0.8).filled(),
                    )
                }),
        )?;
        for (i, (name, v)) in marks.iter().enumerate() {
            let Some(v) = v.filter(|v| v.is_finite() && *v > 0.0) else {
                continue;
            };
            let v = v.clamp(10f64.powi(d0), 10f64.powi(d1));
            chart.draw_series(DashedLineSeries::new(
                [(v, 0.0), (v, y_max)],
                5,
                4,
                INK.stroke_width(1),
            ))?;
            // p50's label to the left of its line and p99's to the right, so the two
            // never collide however close the percentiles are.
            let (h, dx) = if i == 0 {
                (HPos::Right, -4)
            } else {
                (HPos::Left, 4)
            };
            let (px, py) = chart.backend_coord(&(v, y_max));
            root.draw(&Text::new(
                format!("{name} {} ms", fixed_or(Some(v), 3, "")),
                (px + dx, py + 4),
                text(LABEL_PX, INK, h, VPos::Top),
            ))?;
        }
        Ok(())
    })
}

/// The run's latency CDF as an SVG: x "latency (ms)" on a log scale, y "fraction" of
/// samples at or below, in the configuration's colour.
pub fn latency_cdf_svg(run: &RunResult, palette: &Palette) -> String {
    let caption = format!("{} · latency CDF", abbreviate(shown(&run.config.name), 36));
    let samples = match Samples::of(run) {
        Ok(s) => s,
        Err(why) => return placeholder(LATENCY_W, LATENCY_H, &caption, &why),
    };
    let (lo, hi) = samples.bounds();
    let (d0, d1) = decades(lo, hi);
    let colour = palette.config(&run.config.name);
    render(LATENCY_W, LATENCY_H, &caption, |root| {
        root.fill(&WHITE)?;
        draw_cdfs(root, &caption, (d0, d1), &[(&samples, colour)])
    })
}

/// Every configuration's latency CDF on one log axis, one line per configuration in its
/// colour, legend to the right with each one's sample count. Runs without samples are
/// listed in the legend as such rather than silently left out.
pub fn latency_cdf_compare_svg(results: &[RunResult], palette: &Palette) -> String {
    let caption = "input-to-display latency, all configurations";
    let decoded: Vec<(&RunResult, Result<Samples, String>)> =
        results.iter().map(|r| (r, Samples::of(r))).collect();
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for s in decoded.iter().filter_map(|(_, s)| s.as_ref().ok()) {
        let (a, b) = s.bounds();
        lo = lo.min(a);
        hi = hi.max(b);
    }
    let h = 360.max(legend_height(results.len()) + 40);
    if hi <= 0.0 {
        return placeholder(CDF_COMPARE_W, h, caption, "no latency samples");
    }
    let (d0, d1) = decades(lo, hi);
    let mut legend = Vec::new();
    let mut lines = Vec::new();
    for (r, s) in &decoded {
        let colour = palette.config(&r.config.name);
        match s {
            Ok(s) => {
                legend.push(
                    LegendEntry::new(shown(&r.config.name), colour, Swatch::Line)
                        .with_suffix(format!(" ({})", s.total)),
                );
                lines.push((s, colour));
            }
            Err(_) => legend.push(
                LegendEntry::new(shown(&r.config.name), colour, Swatch::Dashed)
                    .with_suffix(" (none)"),
            ),
        }
    }
    let title = "configuration (samples)";
    let legend_w = legend_width(title, &legend);
    render(CDF_COMPARE_W, h, caption, |root| {
        root.fill(&WHITE)?;
        let (plot, legend_area) = root.split_horizontally(CDF_COMPARE_W - legend_w);
        draw_cdfs(&plot, caption, (d0, d1), &lines)?;
        draw_legend(&legend_area, 40, title, &legend)
    })
}

type LogChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<
        plotters::coord::combinators::LogCoord<f64>,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// A chart with a log latency axis and a linear y axis, laid out like every other
/// latency chart.
fn latency_chart<'a, 'b>(
    area: &'a Area<'b>,
    caption: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<LogChart<'a, 'b>, Box<dyn std::error::Error>> {
    Ok(ChartBuilder::on(area)
        .caption(caption, font(CAPTION_PX))
        .margin(8)
        .margin_right(18)
        .x_label_area_size(44)
        .y_label_area_size(62)
        .build_cartesian_2d(x.log_scale(), y)?)
}

/// CDF lines over decades `d0..d1`, with light guides at 0.5, 0.9 and 0.99.
fn draw_cdfs(
    area: &Area,
    caption: &str,
    (d0, d1): (i32, i32),
    lines: &[(&Samples, RGBColor)],
) -> Drawn {
    let range = log_range((d0, d1));
    let (x_lo, x_hi) = (range.start, range.end);
    let mut chart = latency_chart(area, caption, range, 0.0..1.05)?;
    chart
        .configure_mesh()
        .x_desc("latency (ms)")
        .y_desc("fraction")
        .x_labels(X_TICKS)
        .y_labels(Y_TICKS)
        .x_label_formatter(&|v| decade_label(*v))
        .y_label_formatter(&|v| tick(*v, 1.0, 5))
        .label_style(font(LABEL_PX).color(&INK))
        .axis_desc_style(font(DESC_PX).color(&INK))
        .light_line_style(RGBColor(0xf0, 0xf0, 0xf0))
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
        .draw()?;
    for (q, name) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")] {
        chart.draw_series(DashedLineSeries::new(
            [(x_lo, q), (x_hi, q)],
            4,
            4,
            RGBColor(0xaa, 0xaa, 0xaa).stroke_width(1),
        ))?;
        // backend_coord is in whole-picture pixels; `area` may be a part of it.
        let (px, py) = chart.backend_coord(&(x_lo, q));
        let (bx, by) = area.get_base_pixel();
        area.draw(&Text::new(
            name,
            (px - bx + 4, py - by - 2),
            text(
                LABEL_PX * 0.9,
                RGBColor(0x88, 0x88, 0x88),
                HPos::Left,
                VPos::Bottom,
            ),
        ))?;
    }
    for (s, colour) in lines {
        chart.draw_series(LineSeries::new(s.cdf(x_lo, x_hi), colour.stroke_width(2)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_enclose_the_samples() {
        assert_eq!(decades(0.7, 28.5), (-1, 2));
        assert_eq!(decades(1.0, 1.0), (0, 1));
        assert_eq!(decades(0.0, f64::NAN), (-3, -2));
        assert_eq!(decades(1e-9, 1e12), (-3, 5));
        assert_eq!(decade_label(0.01), "0.01");
        assert_eq!(decade_label(1000.0), "1000");
    }
}
