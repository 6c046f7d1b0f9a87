//! Colours that mean the same thing in every plot of one report.
//!
//! A configuration keeps its colour from the summary table through every comparison
//! plot, and a channel keeps its colour in every run's timeline, so a reader matches
//! them by eye without rereading legends. Configurations take colours in report order;
//! channels in a fixed order of the SPICE channel types, so `display` is the same
//! colour in every report, with channel names spicebench does not know after them.

use std::collections::BTreeSet;

use plotters::style::RGBColor;

use crate::results::{Channel, RunResult, Transport};
use crate::wire::ChannelType;

/// Tableau 10: distinct for the colour-blind and readable on white.
const CONFIG_COLOURS: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];

/// SPICE channels in `SPICE_CHANNEL_*` order, each with its colour (ColorBrewer Dark2
/// and Paired tones, kept apart from the configuration colours' first picks).
const CHANNEL_COLOURS: [(ChannelType, RGBColor); 11] = [
    (ChannelType::MAIN, RGBColor(0x75, 0x70, 0xb3)),
    (ChannelType::DISPLAY, RGBColor(0x1b, 0x9e, 0x77)),
    (ChannelType::INPUTS, RGBColor(0xd9, 0x5f, 0x02)),
    (ChannelType::CURSOR, RGBColor(0xe7, 0x29, 0x8a)),
    (ChannelType::PLAYBACK, RGBColor(0x66, 0xa6, 0x1e)),
    (ChannelType::RECORD, RGBColor(0xe6, 0xab, 0x02)),
    (ChannelType::TUNNEL, RGBColor(0xa6, 0x76, 0x1d)),
    (ChannelType::SMARTCARD, RGBColor(0x1f, 0x78, 0xb4)),
    (ChannelType::USBREDIR, RGBColor(0x66, 0x66, 0x66)),
    (ChannelType::PORT, RGBColor(0xfb, 0x9a, 0x99)),
    (ChannelType::WEBDAV, RGBColor(0xb2, 0xdf, 0x8a)),
];

/// Transports (of connections no SPICE channel was read from, which the capture analyser
/// names after their transport: `ssh/down` for a tunnel leg), drawn as lines over the
/// channel areas, so dark.
const TRANSPORT_COLOURS: [(Transport, RGBColor); 5] = [
    (Transport::Spice, RGBColor(0x33, 0x33, 0x33)),
    (Transport::Tls, RGBColor(0x8c, 0x2d, 0x04)),
    (Transport::Ssh, RGBColor(0xc0, 0x10, 0x30)),
    (Transport::X11, RGBColor(0x3f, 0x00, 0x7d)),
    (Transport::Unknown, RGBColor(0x80, 0x80, 0x80)),
];

/// Where `channel` stands in the fixed colour tables: `(rank, colour)`, known SPICE channels
/// first (rank 0..), then transports (rank 200..); `None` for a channel of neither table.
fn fixed(channel: &Channel) -> Option<(usize, RGBColor)> {
    match channel {
        Channel::Spice(t) => CHANNEL_COLOURS
            .iter()
            .position(|(k, _)| k == t)
            .map(|i| (i, CHANNEL_COLOURS[i].1)),
        Channel::Transport(t) => TRANSPORT_COLOURS
            .iter()
            .position(|(k, _)| k == t)
            .map(|i| (200 + i, TRANSPORT_COLOURS[i].1)),
        Channel::Other(_) => None,
    }
}

/// Whether a timeline series is a transport leg (drawn as a line) rather than a SPICE
/// channel (an area).
pub fn is_transport(channel: &Channel) -> bool {
    matches!(channel, Channel::Transport(_))
}

/// The colours of one report.
#[derive(Debug, Clone)]
pub struct Palette {
    configs: Vec<String>,
    /// Channels of neither fixed table, by name.
    extra_channels: Vec<String>,
}

impl Palette {
    /// Assigns colours for `results`: configurations in order of first appearance,
    /// channels the known ones first and then the others alphabetically.
    pub fn for_results(results: &[RunResult]) -> Self {
        let mut configs: Vec<String> = Vec::new();
        for r in results {
            if !configs.contains(&r.config.name) {
                configs.push(r.config.name.clone());
            }
        }
        let mut extra = BTreeSet::new();
        for r in results {
            let channels = r
                .channels
                .iter()
                .map(|c| &c.channel)
                .chain(r.timeline.series.iter().map(|s| &s.key.channel));
            for c in channels.filter(|c| fixed(c).is_none()) {
                extra.insert(c.name());
            }
        }
        Palette {
            configs,
            extra_channels: extra.into_iter().collect(),
        }
    }

    /// The colour of configuration `name` (grey for a name not in the report).
    pub fn config(&self, name: &str) -> RGBColor {
        match self.configs.iter().position(|c| c == name) {
            Some(i) => nth_colour(i),
            None => RGBColor(0x80, 0x80, 0x80),
        }
    }

    /// The colour of `channel` (or of its transport, for transport legs).
    pub fn channel(&self, channel: &Channel) -> RGBColor {
        if let Some((_, c)) = fixed(channel) {
            return c;
        }
        let name = channel.name();
        let i = self
            .extra_channels
            .iter()
            .position(|c| *c == name)
            .unwrap_or(self.extra_channels.len());
        // Past the fixed list, reuse the generator after the configuration colours'
        // first picks so unknown channels still differ from each other.
        nth_colour(10 + i)
    }

    /// Sort key putting channels in the fixed order: known SPICE channels first, then
    /// the others alphabetically, then transports.
    pub fn channel_rank(&self, channel: &Channel) -> (usize, String) {
        match fixed(channel) {
            Some((rank, _)) => (rank, String::new()),
            None => (100, channel.name()),
        }
    }
}

/// The `i`th distinct colour: Tableau 10, then hues spaced by the golden angle so any
/// number of configurations stays distinguishable, alternating lightness so
/// neighbours differ even where hues come close.
fn nth_colour(i: usize) -> RGBColor {
    if let Some(c) = CONFIG_COLOURS.get(i) {
        return *c;
    }
    let k = (i - CONFIG_COLOURS.len()) as f64;
    let hue = (k * 137.508 + 20.0) % 360.0;
    let light = if i.is_multiple_of(2) { 0.42 } else { 0.58 };
    hsl(hue, 0.62, light)
}

fn hsl(h: f64, s: f64, l: f64) -> RGBColor {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let byte = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    RGBColor(byte(r), byte(g), byte(b))
}

/// `#rrggbb`, for CSS swatches that match the plots.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_keep_report_order_and_stay_distinct() {
        let runs: Vec<RunResult> = (0..40)
            .map(|i| {
                let mut r = RunResult::default();
                r.config.name = format!("c{i}");
                r
            })
            .collect();
        let p = Palette::for_results(&runs);
        assert_eq!(hex(p.config("c0")), "#4e79a7");
        let colours: BTreeSet<String> = (0..40).map(|i| hex(p.config(&format!("c{i}")))).collect();
        assert_eq!(colours.len(), 40);
        assert_eq!(hex(p.config("absent")), "#808080");
    }

    #[test]
    fn channels_have_fixed_colours_and_unknown_ones_get_new_ones() {
        let zzz = Channel::Other("zzz".into());
        let ssh = Channel::Transport(Transport::Ssh);
        let mut r = RunResult::default();
        r.timeline.series.push(crate::results::Series {
            key: crate::results::SeriesKey::new(zzz.clone(), crate::results::Direction::Down),
            bytes: vec![],
        });
        let p = Palette::for_results(&[r]);
        let empty = Palette::for_results(&[]);
        assert_eq!(
            hex(p.channel(&Channel::DISPLAY)),
            hex(empty.channel(&Channel::DISPLAY))
        );
        assert_ne!(hex(p.channel(&zzz)), hex(p.channel(&Channel::DISPLAY)));
        assert!(is_transport(&ssh) && !is_transport(&Channel::DISPLAY));
        let main = Channel::Spice(ChannelType::MAIN);
        assert!(p.channel_rank(&main) < p.channel_rank(&zzz));
        assert!(p.channel_rank(&zzz) < p.channel_rank(&ssh));
    }
}
