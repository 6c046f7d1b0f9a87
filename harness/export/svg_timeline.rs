//! One run's traffic over time: MiB/s per channel, stacked, with input bursts shaded.
//!
//! Two panels share the time axis: server → client on top (where image compression
//! shows) and client → server below (input traffic, orders of magnitude smaller, which
//! would be invisible on the same scale). Transport legs (`ssh/down` and the like: flows
//! a capture could only name by transport) are drawn as lines over the stack rather than
//! stacked, because a tunnel leg carries the same bytes as the channels inside it.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::results::{Channel, Direction, RunResult, TimelineUnit, MIB};

use super::format::{abbreviate, shown, tick};
use super::palette::{is_transport, Palette};
use super::plot::{
    axis_max, draw_legend, finite_max, font, legend_height, render, Area, Drawn, LegendEntry,
    Swatch, BURST, DESC_PX, INK, LABEL_PX, X_TICKS, Y_TICKS,
};
use super::plot::{legend_width, placeholder, CAPTION_PX};

/// Width of the timeline picture, px.
pub const TIMELINE_W: u32 = 1000;
/// Most points per series drawn; longer timelines are merged into wider bins so the
/// SVG stays small (a 10-minute run at 100 ms bins would otherwise be 6,000 steps per
/// series) without changing the rate any merged bin shows.
const MAX_BINS_DRAWN: usize = 600;

/// One series ready to draw: its channel (or transport) and MiB/s per drawn bin.
struct Drawable {
    channel: Channel,
    mib_s: Vec<f64>,
}

/// The timeline of `run` as an SVG: x "time (s)" from the start of timeline bin 0,
/// y "MiB/s"; areas stacked per channel in the palette's channel colours, transport legs
/// as lines, input bursts as grey bands, legend to the right.
pub fn timeline_svg(run: &RunResult, palette: &Palette) -> String {
    let caption = format!(
        "{} · traffic per channel",
        abbreviate(shown(&run.config.name), 48)
    );
    let bins = run
        .timeline
        .series
        .iter()
        .map(|s| s.bytes.len())
        .max()
        .unwrap_or(0);
    if bins == 0 {
        return placeholder(TIMELINE_W, 240, &caption, "no timeline data");
    }
    let bin_ms = u64::from(run.timeline.bin_ms.max(1));
    let merge = bins.div_ceil(MAX_BINS_DRAWN);
    let drawn_bins = bins.div_ceil(merge);
    let bin_s = (bin_ms * merge as u64) as f64 / 1000.0;
    let x_max = bins as f64 * bin_ms as f64 / 1000.0;

    let mut down = (Vec::new(), Vec::new());
    let mut up = (Vec::new(), Vec::new());
    let mut series: Vec<_> = run.timeline.series.iter().collect();
    series.sort_by_key(|s| palette.channel_rank(&s.key.channel));
    for s in series {
        let d = Drawable {
            mib_s: merged_rates(&s.bytes, merge, drawn_bins, bin_ms),
            channel: s.key.channel.clone(),
        };
        let panel = match s.key.direction {
            Direction::Up => &mut up,
            Direction::Down => &mut down,
        };
        if is_transport(&d.channel) {
            panel.1.push(d);
        } else {
            panel.0.push(d);
        }
    }

    let unit = match run.timeline.unit {
        Some(TimelineUnit::Wire) => " (wire bytes)",
        Some(TimelineUnit::Payload) => " (SPICE bytes)",
        None => "",
    };
    let has_up = !(up.0.is_empty() && up.1.is_empty());
    let mut legend: Vec<LegendEntry> = Vec::new();
    for d in down.0.iter().chain(&up.0) {
        let label = d.channel.name();
        if !legend.iter().any(|e| e.label == label) {
            legend.push(LegendEntry::new(
                label,
                palette.channel(&d.channel),
                Swatch::Fill(0.85),
            ));
        }
    }
    for d in down.1.iter().chain(&up.1) {
        let label = format!("{} leg", d.channel);
        if !legend.iter().any(|e| e.label == label) {
            legend.push(LegendEntry::new(
                label,
                palette.channel(&d.channel),
                Swatch::Line,
            ));
        }
    }
    if !run.bursts.is_empty() {
        legend.push(LegendEntry::new("input burst", BURST, Swatch::Fill(1.0)));
    }
    let h = if has_up { 460 } else { 300 }.max(legend_height(legend.len()) + 20);
    let bursts: Vec<(f64, f64)> = run
        .bursts
        .iter()
        .filter_map(|b| burst_span(b.start_s, b.end_s, x_max, bin_s))
        .collect();

    let legend_w = legend_width("channel", &legend);
    render(TIMELINE_W, h, &caption, |root| {
        root.fill(&WHITE)?;
        let (plots, legend_area) = root.split_horizontally(TIMELINE_W - legend_w);
        let (top, bottom) = if has_up {
            let (t, b) = plots.split_vertically(h * 62 / 100);
            (t, Some(b))
        } else {
            (plots, None)
        };
        let down_caption = format!("{caption}: server → client{unit}");
        draw_panel(&top, &down_caption, x_max, bin_s, &down, &bursts, palette)?;
        if let Some(bottom) = bottom {
            let up_caption = format!("client → server{unit}");
            draw_panel(&bottom, &up_caption, x_max, bin_s, &up, &bursts, palette)?;
        }
        draw_legend(&legend_area, 40, "channel", &legend)
    })
}

/// Bytes per bin merged `merge` bins at a time, as MiB/s. Series shorter than the
/// longest are padded with zeros; the last merged bin, if partial, is divided by its
/// own length so its rate is not understated.
fn merged_rates(bytes: &[u64], merge: usize, drawn_bins: usize, bin_ms: u64) -> Vec<f64> {
    (0..drawn_bins)
        .map(|i| {
            let chunk = bytes.iter().skip(i * merge).take(merge);
            let sum: f64 = chunk.map(|&b| b as f64).sum();
            let len = merge.min(bytes.len().saturating_sub(i * merge)).max(1);
            sum / (len as f64 * bin_ms as f64 / 1000.0) / MIB as f64
        })
        .collect()
}

/// A burst as a drawable x span inside [0, `x_max`], or `None` if it lies outside or
/// its bounds are not numbers. A one-event burst (start = end) gets a sliver of a fifth
/// of a bin so it stays visible.
fn burst_span(start: f64, end: f64, x_max: f64, bin_s: f64) -> Option<(f64, f64)> {
    if !start.is_finite() || !end.is_finite() {
        return None;
    }
    let (a, b) = (start.min(end).max(0.0), start.max(end).min(x_max));
    if a > x_max || b < 0.0 || a > b {
        return None;
    }
    Some((a, b.max(a + bin_s * 0.2).min(x_max.max(a))))
}

/// One direction: stacked channel bands, transport lines, bursts behind them.
fn draw_panel(
    area: &Area,
    caption: &str,
    x_max: f64,
    bin_s: f64,
    (bands, lines): &(Vec<Drawable>, Vec<Drawable>),
    bursts: &[(f64, f64)],
    palette: &Palette,
) -> Drawn {
    let n = bands
        .iter()
        .chain(lines)
        .map(|d| d.mib_s.len())
        .max()
        .unwrap_or(0);
    // Running top of the stack per bin; bands are drawn bottom to top.
    let mut stack = vec![0.0f64; n];
    let mut polygons = Vec::new();
    for d in bands {
        let lower = stack.clone();
        for (s, v) in stack.iter_mut().zip(&d.mib_s) {
            *s += if v.is_finite() { *v } else { 0.0 };
        }
        polygons.push((&d.channel, band(&lower, &stack, bin_s, x_max)));
    }
    // Per bin, the highest thing drawn: the top of the stack or a transport line.
    let mut highest = stack.clone();
    for d in lines {
        for (h, v) in highest.iter_mut().zip(&d.mib_s) {
            *h = h.max(if v.is_finite() { *v } else { 0.0 });
        }
    }
    let clip = clip_level(&highest);
    let y_max = match clip {
        Some(c) => c,
        None => axis_max(finite_max(highest.iter().copied()), 0.08),
    };
    // plotters does not clip shapes to the plotting area, so points above the axis are
    // brought down to it here; the clipped peaks get their value written instead.
    let clamp = |pts: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        pts.into_iter().map(|(x, y)| (x, y.min(y_max))).collect()
    };

    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(CAPTION_PX))
        .margin(8)
        .margin_right(16)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..x_max.max(1e-3), 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("MiB/s")
        .x_labels(X_TICKS)
        .y_labels(Y_TICKS)
        .x_label_formatter(&|v| tick(*v, x_max, X_TICKS))
        .y_label_formatter(&|v| tick(*v, y_max, Y_TICKS))
        .label_style(font(LABEL_PX).color(&INK))
        .axis_desc_style(font(DESC_PX).color(&INK))
        .max_light_lines(4)
        .light_line_style(RGBColor(0xf0, 0xf0, 0xf0))
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
        .draw()?;
    chart.draw_series(
        bursts
            .iter()
            .map(|&(a, b)| Rectangle::new([(a, 0.0), (b, y_max)], BURST.mix(0.6).filled())),
    )?;
    for (channel, pts) in polygons {
        chart.draw_series(std::iter::once(Polygon::new(
            clamp(pts),
            palette.channel(channel).mix(0.85).filled(),
        )))?;
    }
    for d in lines {
        let pts = clamp(steps(&d.mib_s, bin_s, x_max));
        chart.draw_series(LineSeries::new(
            pts,
            palette.channel(&d.channel).stroke_width(2),
        ))?;
    }
    if clip.is_some() {
        label_clipped(area, &chart, &highest, y_max, bin_s)?;
    }
    Ok(())
}

/// Where to cut the y axis when a few bins dwarf the rest (typically the first full
/// screen sent at connection, ten times the rate of anything the scenario does), so the
/// traffic of interest is not squashed to a line: twice the 90th percentile of the
/// non-empty bins, when the largest bin is more than four times that percentile.
/// `None` means draw everything to scale.
fn clip_level(highest: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = highest
        .iter()
        .copied()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    if v.len() < 5 {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let q = v[(v.len() * 9).div_ceil(10) - 1];
    let max = v[v.len() - 1];
    (q > 0.0 && max > 4.0 * q).then(|| (2.0 * q).min(super::plot::AXIS_LIMIT))
}

/// Writes the value of each run of clipped bins next to its highest bin, skipping a
/// label that would crowd the previous one.
fn label_clipped(
    area: &Area,
    chart: &ChartContext<SVGBackend, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    highest: &[f64],
    y_max: f64,
    bin_s: f64,
) -> Drawn {
    let (bx, by) = area.get_base_pixel();
    let mut last_x = i32::MIN;
    let mut i = 0;
    while i < highest.len() {
        if highest[i] <= y_max {
            i += 1;
            continue;
        }
        // The run of consecutive clipped bins starting at i, and its peak.
        let mut peak = i;
        let mut j = i;
        while j < highest.len() && highest[j] > y_max {
            if highest[j] > highest[peak] {
                peak = j;
            }
            j += 1;
        }
        let (px, py) = chart.backend_coord(&((peak + 1) as f64 * bin_s, y_max));
        let x = px - bx + 3;
        if x > last_x + 90 {
            area.draw(&Text::new(
                format!("↑ {} MiB/s", tick(highest[peak], highest[peak], 100)),
                (x, py - by + 2),
                super::plot::text(LABEL_PX, INK, HPos::Left, VPos::Top),
            ))?;
            last_x = x;
        }
        i = j;
    }
    Ok(())
}

/// The outline of a band between `lower` and `upper` drawn as steps (bin values are
/// averages over the bin, not samples at its centre).
fn band(lower: &[f64], upper: &[f64], bin_s: f64, x_max: f64) -> Vec<(f64, f64)> {
    let mut pts = steps(upper, bin_s, x_max);
    let mut low = steps(lower, bin_s, x_max);
    low.reverse();
    pts.extend(low);
    pts
}

/// Step points of `v`: each bin's value held across the bin, clipped at `x_max`.
fn steps(v: &[f64], bin_s: f64, x_max: f64) -> Vec<(f64, f64)> {
    let mut pts = Vec::with_capacity(v.len() * 2);
    for (i, &y) in v.iter().enumerate() {
        let y = if y.is_finite() { y } else { 0.0 };
        let a = (i as f64 * bin_s).min(x_max);
        let b = ((i + 1) as f64 * bin_s).min(x_max);
        pts.push((a, y));
        pts.push((b, y));
    }
    pts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_rates() {
        // 1 MiB in each of three 100 ms bins is 10 MiB/s whether merged or not.
        let b = vec![MIB; 3];
        assert_eq!(merged_rates(&b, 1, 3, 100), vec![10.0; 3]);
        assert_eq!(merged_rates(&b, 2, 2, 100), vec![10.0; 2]);
        // A shorter series pads with zeros.
        assert_eq!(merged_rates(&b[..1], 1, 3, 100), vec![10.0, 0.0, 0.0]);
    }

    #[test]
    fn only_outlying_peaks_clip_the_axis() {
        let mut v = vec![1.0; 20];
        assert_eq!(clip_level(&v), None);
        v[0] = 30.0;
        assert_eq!(clip_level(&v), Some(2.0));
        v[0] = 3.0;
        assert_eq!(clip_level(&v), None);
        assert_eq!(clip_level(&[0.0, 50.0, 0.0]), None);
        assert_eq!(clip_level(&[f64::NAN; 10]), None);
    }

    #[test]
    fn bursts_are_clipped_and_never_empty() {
        assert_eq!(burst_span(1.0, 2.0, 5.0, 0.1), Some((1.0, 2.0)));
        assert_eq!(burst_span(2.0, 1.0, 5.0, 0.1), Some((1.0, 2.0)));
        assert_eq!(burst_span(-1.0, 9.0, 5.0, 0.1), Some((0.0, 5.0)));
        assert_eq!(burst_span(6.0, 7.0, 5.0, 0.1), None);
        assert_eq!(burst_span(f64::NAN, 1.0, 5.0, 0.1), None);
        let (a, b) = burst_span(1.0, 1.0, 5.0, 0.1).unwrap();
        assert!(b > a);
    }
}
