//! Reports from results: an HTML page comparing configurations, SVG plots, and
//! Markdown/CSV/JSON tables.
//!
//! Every exporter is a pure function from [`RunResult`](crate::results::RunResult)s to
//! text: no I/O, no clock (the caller passes the generation time and machine
//! description in [`ReportOptions`]), and no panic on any results: empty timelines,
//! zero rates, missing latency, one configuration or twenty.
//!
//! - [`compare`]: the per-configuration figures all tables share, and baseline ratios.
//! - [`markdown`], [`csv`], [`json`]: tables for tickets, spreadsheets and scripts.
//! - [`audit`]: `spicebench audit`'s findings table.
//! - [`text`]: terminal tables (`run`'s closing table, `analyze`'s per-connection table).
//! - [`svg_timeline`], [`svg_latency`], [`svg_bars`]: plots (SVG text via plotters).
//! - [`palette`]: one colour per configuration and per channel across a report.
//! - [`html`]: the self-contained `index.html`, with [`html_details`] per configuration
//!   and [`html_util`] for escaping, tables and the stylesheet.
//! - [`format`], [`plot`]: number formatting and plot plumbing.

pub mod audit;
pub mod compare;
pub mod csv;
pub mod format;
pub mod html;
pub mod html_details;
pub mod html_util;
pub mod json;
pub mod markdown;
pub mod palette;
pub mod plot;
pub mod svg_bars;
pub mod svg_latency;
pub mod svg_timeline;
pub mod text;

#[cfg(test)]
mod tests;

pub use compare::{summarize, ConfigSummary, Relative};

/// A configuration that was started but produced no result, shown in reports as failed so
/// it cannot silently disappear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRun {
    /// Configuration name.
    pub name: String,
    /// Why it failed (the error as the run printed it).
    pub error: String,
}
pub use csv::csv_table;
pub use html::{report_html, ReportOptions};
pub use json::json;
pub use markdown::markdown_table;
pub use palette::Palette;
pub use svg_bars::{latency_bars_svg, throughput_bars_svg};
pub use svg_latency::{latency_cdf_compare_svg, latency_cdf_svg, latency_histogram_svg};
pub use svg_timeline::timeline_svg;
