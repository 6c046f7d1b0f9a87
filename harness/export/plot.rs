//! Plumbing every SVG plot shares: fonts, the drawing wrapper that turns a plotters
//! error into a placeholder picture, safe axis ranges, and the legend column.
//!
//! Legends are drawn in a column of their own to the right of the plotting area rather
//! than by plotters inside it, so they never cover data however many channels or
//! configurations there are.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::format::abbreviate;

/// The backend every plot draws on.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// What drawing returns; any plotters error is boxed and turned into a placeholder.
pub type Drawn = Result<(), Box<dyn std::error::Error>>;

/// Font family of all text. No font files are read (plotters is built without `ttf`):
/// the SVG names the generic family and the browser picks a face.
pub const FAMILY: &str = "sans-serif";
/// Caption text height, px.
pub const CAPTION_PX: f64 = 15.0;
/// Axis title text height, px.
pub const DESC_PX: f64 = 13.0;
/// Tick label and legend text height, px.
pub const LABEL_PX: f64 = 12.0;
/// Width of one character of [`LABEL_PX`] text, px, for fitting labels. Generous (the
/// widest common sans-serif faces, DejaVu Sans among them, set digits at 0.64 em), so an
/// estimate too small never makes labels overlap.
pub const CHAR_PX: f64 = LABEL_PX * 0.64;
/// Maximum tick labels on a horizontal axis: at ~8 characters each, they fit the
/// narrowest plot (480 px) with room to spare.
pub const X_TICKS: usize = 7;
/// Maximum tick labels on a vertical axis.
pub const Y_TICKS: usize = 6;
/// Narrowest and widest legend column, px.
pub const LEGEND_W: (u32, u32) = (150, 320);
/// Height of one legend row, px.
pub const LEGEND_ROW: u32 = 19;
/// Largest value an axis is allowed to reach. plotters' tick search never ends on an
/// infinite range, so absurd values are clamped; real traffic and latencies are far below.
pub const AXIS_LIMIT: f64 = 1e12;

/// A font of `px` pixels. plotters' SVG backend writes `size / 1.24` as the CSS
/// font-size, so the size is scaled up to come out at `px`.
pub fn font(px: f64) -> FontDesc<'static> {
    (FAMILY, px * 1.24).into_font()
}

/// Text style of `px` pixels in `colour`, anchored at `pos`.
pub fn text(px: f64, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(px).color(&colour).pos(Pos::new(h, v))
}

/// Dark grey for text and axes: softer than black, still high contrast.
pub const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
/// Light grey fill marking input bursts.
pub const BURST: RGBColor = RGBColor(0xd8, 0xd8, 0xd8);

/// Draws with `draw` onto a fresh `w`×`h` SVG and returns its text. If plotters reports
/// an error the picture is replaced by a placeholder naming `what`, so one bad plot
/// never takes the report down.
pub fn render(w: u32, h: u32, what: &str, draw: impl FnOnce(&Area) -> Drawn) -> String {
    let mut buf = String::new();
    let ok = {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        draw(&root).and_then(|()| root.present().map_err(Into::into))
    };
    match ok {
        Ok(()) => buf,
        Err(e) => placeholder(w, h, what, &format!("could not be drawn: {e}")),
    }
}

/// A plot-sized picture with a caption and a centred message, for "no data" cases: the
/// report keeps its layout and the reader sees why the plot is empty.
pub fn placeholder(w: u32, h: u32, caption: &str, message: &str) -> String {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        // Drawing text on an in-memory SVG cannot fail; if it ever did, the result is
        // still a valid (if emptier) SVG, which is all a placeholder promises.
        let _ = root.fill(&WHITE);
        let _ = root.draw(&Text::new(
            caption.to_string(),
            (w as i32 / 2, 12),
            text(CAPTION_PX, INK, HPos::Center, VPos::Top),
        ));
        let _ = root.draw(&Text::new(
            message.to_string(),
            (w as i32 / 2, h as i32 / 2),
            text(
                DESC_PX,
                RGBColor(0x88, 0x88, 0x88),
                HPos::Center,
                VPos::Center,
            ),
        ));
        let _ = root.present();
    }
    buf
}

/// The upper end of a linear axis from 0 showing `max`: `max` plus `headroom` (a
/// fraction), or 1 when there is nothing positive and finite to show, clamped to
/// [`AXIS_LIMIT`].
pub fn axis_max(max: f64, headroom: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        (max * (1.0 + headroom)).min(AXIS_LIMIT)
    } else {
        1.0
    }
}

/// Largest finite value of `values`, 0 if none.
pub fn finite_max(values: impl IntoIterator<Item = f64>) -> f64 {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// What a legend row shows next to its label.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A filled square (areas, bars) at the given opacity.
    Fill(f64),
    /// A short solid line.
    Line,
    /// A short dashed line.
    Dashed,
}

/// One legend row.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    /// Text; shortened with a middle ellipsis when the column is too narrow.
    pub label: String,
    /// Text after the label that is never shortened (e.g. a sample count).
    pub suffix: String,
    /// Swatch colour.
    pub colour: RGBColor,
    /// Swatch shape.
    pub swatch: Swatch,
}

impl LegendEntry {
    /// A row with a swatch of `swatch` in `colour`.
    pub fn new(label: impl Into<String>, colour: RGBColor, swatch: Swatch) -> Self {
        LegendEntry {
            label: label.into(),
            suffix: String::new(),
            colour,
            swatch,
        }
    }

    /// The same row with `suffix` after the label.
    pub fn with_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.suffix = suffix.into();
        self
    }
}

/// Width of a legend column fitting `title` and `entries` whole, within [`LEGEND_W`];
/// labels longer than the widest column are shortened by [`draw_legend`].
pub fn legend_width(title: &str, entries: &[LegendEntry]) -> u32 {
    let chars = entries
        .iter()
        .map(|e| e.label.chars().count() + e.suffix.chars().count() + 4)
        .chain(std::iter::once(title.chars().count()))
        .max()
        .unwrap_or(0);
    ((chars as f64 * CHAR_PX) as u32 + 40).clamp(LEGEND_W.0, LEGEND_W.1)
}

/// Height a legend of `rows` rows (plus a title row) needs, px.
pub fn legend_height(rows: usize) -> u32 {
    (rows as u32 + 1) * LEGEND_ROW + 16
}

/// Draws `entries` under `title` down the left of `area`, from `top` px.
pub fn draw_legend(area: &Area, top: i32, title: &str, entries: &[LegendEntry]) -> Drawn {
    let (w, _) = area.dim_in_pixel();
    let x = 8;
    let mut y = top;
    area.draw(&Text::new(
        title.to_string(),
        (x, y),
        font(LABEL_PX)
            .style(FontStyle::Bold)
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    // Swatch 18 px + gap 6 px, the rest is text.
    let max_chars = ((f64::from(w) - f64::from(x) - 30.0) / CHAR_PX).max(4.0) as usize;
    for e in entries {
        y += LEGEND_ROW as i32;
        let mid = y + LEGEND_ROW as i32 / 2 - 2;
        match e.swatch {
            Swatch::Fill(opacity) => {
                area.draw(&Rectangle::new(
                    [(x, mid - 6), (x + 18, mid + 6)],
                    e.colour.mix(opacity).filled(),
                ))?;
                area.draw(&Rectangle::new(
                    [(x, mid - 6), (x + 18, mid + 6)],
                    e.colour.stroke_width(1),
                ))?;
            }
            Swatch::Line => {
                area.draw(&PathElement::new(
                    vec![(x, mid), (x + 18, mid)],
                    e.colour.stroke_width(2),
                ))?;
            }
            Swatch::Dashed => {
                for s in [0, 7, 14] {
                    area.draw(&PathElement::new(
                        vec![(x + s, mid), (x + s + 4, mid)],
                        e.colour.stroke_width(2),
                    ))?;
                }
            }
        }
        let room = max_chars.saturating_sub(e.suffix.chars().count()).max(4);
        area.draw(&Text::new(
            format!("{}{}", abbreviate(&e.label, room), e.suffix),
            (x + 24, mid),
            text(LABEL_PX, INK, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_max_is_always_a_usable_range() {
        assert_eq!(axis_max(0.0, 0.1), 1.0);
        assert_eq!(axis_max(f64::NAN, 0.1), 1.0);
        assert_eq!(axis_max(-3.0, 0.1), 1.0);
        assert_eq!(axis_max(f64::INFINITY, 0.1), 1.0);
        assert_eq!(axis_max(1e300, 0.1), AXIS_LIMIT);
        assert!((axis_max(2.0, 0.1) - 2.2).abs() < 1e-12);
        assert_eq!(finite_max([1.0, f64::NAN, f64::INFINITY, 3.0]), 3.0);
        assert_eq!(finite_max([]), 0.0);
    }

    #[test]
    fn placeholder_is_an_svg_with_escaped_text() {
        let svg = placeholder(300, 200, "<title>", "no data & more");
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("&lt;title&gt;"));
        assert!(svg.contains("no data &amp; more"));
    }
}
