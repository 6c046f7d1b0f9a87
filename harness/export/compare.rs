//! The per-configuration figures every table shows, and how a configuration compares
//! with the baseline.
//!
//! Markdown, CSV and HTML all read these, so the three can never disagree on what
//! "display bytes" or "peak" means.

use crate::results::{mib, RunResult, SeriesKey, Transport};
use crate::scenario::ViewerKind;

use super::format::{fixed, signed};

/// The headline numbers of one configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigSummary {
    /// Configuration name (`config.name`).
    pub name: String,
    /// Image compression asked for (`config.compression`).
    pub compression: String,
    /// How the viewer reached the server, `-C` for SSH compression (`ssh-tunnel-C`).
    pub route: String,
    /// The viewer (`spicebench`, `remote-viewer`).
    pub viewer: String,
    /// SPICE payload bytes server → client on every display channel.
    pub display_bytes: u64,
    /// Mean `display/down` rate over the measured interval, MiB/s; `None` without a rate.
    pub mean_mib_s: Option<f64>,
    /// Peak 1-second `display/down` rate, MiB/s; `None` without a rate.
    pub peak_mib_s: Option<f64>,
    /// Input-to-display latency percentiles, ms; `None` without samples.
    pub p50_ms: Option<f64>,
    /// 90th percentile, ms.
    pub p90_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Latency samples.
    pub samples: u64,
    /// Where the latency comes from (`client`, `xdamage`, `capture`): see
    /// [`RunResult::headline_latency`].
    pub latency_source: String,
    /// What crosses the network, when the run was captured.
    pub network: Option<NetworkSummary>,
    /// Settle time, ms; `None` when the display never went quiet.
    pub settle_ms: Option<f64>,
}

impl ConfigSummary {
    /// The figures of one run.
    pub fn of(run: &RunResult) -> Self {
        // Payload bytes, not wire bytes: every run has them, with or without a capture,
        // so configurations measured differently still compare. A relay leg (the far
        // side of a tunnel) repeats bytes already counted on the first leg.
        let display_bytes = run.display_down_bytes();
        // The display channel's server → client rate: what the server sends to draw the
        // screen, which is what image compression changes.
        let rate = run.rates.iter().find(|r| r.key == SeriesKey::DISPLAY_DOWN);
        let lat = run.headline_latency();
        ConfigSummary {
            name: run.config.name.clone(),
            compression: run.config.compression.clone(),
            route: run.config.route_label(),
            viewer: run.config.viewer.name(),
            latency_source: lat.label(),
            network: run.network.as_ref().map(NetworkSummary::of),
            display_bytes,
            mean_mib_s: rate.map(|r| r.mean_mib_s).filter(|v| v.is_finite()),
            peak_mib_s: rate.map(|r| r.peak_1s_mib_s).filter(|v| v.is_finite()),
            p50_ms: lat.p50_ms.filter(|v| v.is_finite()),
            p90_ms: lat.p90_ms.filter(|v| v.is_finite()),
            p99_ms: lat.p99_ms.filter(|v| v.is_finite()),
            samples: lat.count,
            settle_ms: run.latency.settle_ms.filter(|v| v.is_finite()),
        }
    }

    /// Display bytes in MiB.
    pub fn display_mib(&self) -> f64 {
        mib(self.display_bytes)
    }
}

/// What a network between viewer and server carries, in table units.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSummary {
    /// Transport on the network (`ssh`, `spice`, `tls`).
    pub transport: Transport,
    /// Wire bytes, both directions, whole session.
    pub wire_bytes: u64,
    /// Mean MiB/s over the measured interval, both directions.
    pub mean_mib_s: Option<f64>,
    /// Busiest 1-second window, MiB/s, both directions.
    pub peak_mib_s: Option<f64>,
    /// SPICE payload the viewer exchanged, both directions.
    pub spice_payload_bytes: u64,
    /// Wire bytes over SPICE payload.
    pub ratio_to_spice: Option<f64>,
}

impl NetworkSummary {
    fn of(n: &crate::results::NetworkStats) -> Self {
        Self {
            transport: n.transport,
            wire_bytes: n.down_wire_bytes.saturating_add(n.up_wire_bytes),
            mean_mib_s: Some(n.mean_mib_s).filter(|v| v.is_finite()),
            peak_mib_s: Some(n.peak_1s_mib_s).filter(|v| v.is_finite()),
            spice_payload_bytes: n.spice_payload_bytes,
            ratio_to_spice: n.ratio_to_spice.filter(|v| v.is_finite()),
        }
    }

    /// Wire MiB.
    pub fn wire_mib(&self) -> f64 {
        mib(self.wire_bytes)
    }
}

/// Two configurations that differ only in their viewer, side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewerPair {
    /// The configuration with spicebench's own client.
    pub native: String,
    /// The one with remote-viewer.
    pub remote_viewer: String,
    /// remote-viewer's display bytes over the native client's.
    pub display_ratio: Option<f64>,
    /// remote-viewer's mean display MiB/s over the native client's (the measured interval:
    /// the drags themselves, not the initial screen).
    pub mean_ratio: Option<f64>,
}

/// Every pair of runs with the same compression, route and repeat but a different viewer.
pub fn viewer_pairs(results: &[RunResult]) -> Vec<ViewerPair> {
    let key = |r: &RunResult| {
        (
            r.config.compression.clone(),
            r.config.route_label(),
            r.config.repeat_index,
            r.scenario.name.clone(),
        )
    };
    let mut pairs = Vec::new();
    for n in results
        .iter()
        .filter(|r| r.config.viewer_kind() == Some(ViewerKind::Native))
    {
        for v in results.iter().filter(|r| {
            r.config.viewer_kind() == Some(ViewerKind::RemoteViewer) && key(r) == key(n)
        }) {
            let (a, b) = (ConfigSummary::of(n), ConfigSummary::of(v));
            pairs.push(ViewerPair {
                native: a.name.clone(),
                remote_viewer: b.name.clone(),
                display_ratio: (a.display_bytes > 0)
                    .then(|| b.display_bytes as f64 / a.display_bytes as f64),
                mean_ratio: match (a.mean_mib_s, b.mean_mib_s) {
                    (Some(x), Some(y)) if x > 0.0 => Some(y / x),
                    _ => None,
                },
            });
        }
    }
    pairs
}

/// Summaries of all runs, in the order given.
pub fn summarize(results: &[RunResult]) -> Vec<ConfigSummary> {
    results.iter().map(ConfigSummary::of).collect()
}

/// Index of the baseline: the configuration named `wanted`, or the first one when no
/// name is given or none matches (the caller reports the mismatch). `None` only for an
/// empty slice.
pub fn baseline_index(summaries: &[ConfigSummary], wanted: Option<&str>) -> Option<usize> {
    if summaries.is_empty() {
        return None;
    }
    Some(
        wanted
            .and_then(|w| summaries.iter().position(|s| s.name == w))
            .unwrap_or(0),
    )
}

/// How one configuration compares with the baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Relative {
    /// Baseline configuration name.
    pub baseline: String,
    /// Whether this is the baseline itself.
    pub is_baseline: bool,
    /// Display bytes divided by the baseline's; `None` when the baseline has none.
    pub display_ratio: Option<f64>,
    /// p99 latency minus the baseline's, ms; `None` when either lacks a p99.
    pub p99_delta_ms: Option<f64>,
}

impl Relative {
    /// `this` against `base`.
    pub fn between(this: &ConfigSummary, base: &ConfigSummary, is_baseline: bool) -> Self {
        let display_ratio =
            (base.display_bytes > 0).then(|| this.display_bytes as f64 / base.display_bytes as f64);
        let p99_delta_ms = match (this.p99_ms, base.p99_ms) {
            (Some(a), Some(b)) => Some(a - b).filter(|d| d.is_finite()),
            _ => None,
        };
        Relative {
            baseline: base.name.clone(),
            is_baseline,
            display_ratio,
            p99_delta_ms,
        }
    }

    /// The human sentence, e.g. `0.19× the display bytes of off, p99 +3.1 ms`.
    pub fn describe(&self) -> String {
        if self.is_baseline {
            return "baseline".to_string();
        }
        let bytes = match self.display_ratio.and_then(|r| fixed(r, 2)) {
            Some(r) => format!("{r}× the display bytes of {}", self.baseline),
            None => format!("display bytes not comparable with {}", self.baseline),
        };
        match self.p99_delta_ms.and_then(|d| signed(d, 1)) {
            Some(d) => format!("{bytes}, p99 {d} ms"),
            None => bytes,
        }
    }
}

/// Every configuration against the baseline chosen by [`baseline_index`].
pub fn relatives(summaries: &[ConfigSummary], wanted: Option<&str>) -> Vec<Relative> {
    let Some(b) = baseline_index(summaries, wanted) else {
        return Vec::new();
    };
    summaries
        .iter()
        .enumerate()
        .map(|(i, s)| Relative::between(s, &summaries[b], i == b))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{ChannelStats, DirectionStats, LatencySummary, Rate};

    fn run(name: &str, display: u64, p99: Option<f64>) -> RunResult {
        let mut r = RunResult::default();
        r.config.name = name.into();
        r.channels.push(ChannelStats {
            channel: crate::results::Channel::DISPLAY,
            down: DirectionStats {
                payload_bytes: display,
                ..Default::default()
            },
            ..Default::default()
        });
        r.rates.push(Rate {
            key: SeriesKey::DISPLAY_DOWN,
            mean_mib_s: f64::NAN,
            peak_1s_mib_s: 2.0,
        });
        r.latency.input_to_display = LatencySummary {
            p99_ms: p99,
            ..Default::default()
        };
        r
    }

    #[test]
    fn relative_sentence_and_edge_cases() {
        let s = summarize(&[
            run("off", 1000, Some(9.0)),
            run("glz", 190, Some(12.1)),
            run("x", 5, None),
        ]);
        assert_eq!(s[1].mean_mib_s, None, "NaN rates are dropped");
        assert_eq!(s[1].peak_mib_s, Some(2.0));
        let rel = relatives(&s, None);
        assert_eq!(rel[0].describe(), "baseline");
        assert_eq!(
            rel[1].describe(),
            "0.19× the display bytes of off, p99 +3.1 ms"
        );
        assert_eq!(rel[2].describe(), "0.01× the display bytes of off");

        let rel = relatives(&s, Some("glz"));
        assert!(rel[1].is_baseline);
        assert_eq!(
            rel[0].describe(),
            "5.26× the display bytes of glz, p99 -3.1 ms"
        );
        // An unknown baseline falls back to the first configuration.
        assert_eq!(baseline_index(&s, Some("nope")), Some(0));
        assert_eq!(baseline_index(&[], None), None);

        let zero = summarize(&[run("a", 0, None), run("b", 10, Some(1.0))]);
        assert_eq!(
            relatives(&zero, None)[1].describe(),
            "display bytes not comparable with a"
        );
    }

    #[test]
    fn display_bytes_add_up_every_display_channel_without_overflow() {
        let mut r = run("a", u64::MAX, None);
        r.channels.push(r.channels[0].clone());
        assert_eq!(ConfigSummary::of(&r).display_bytes, u64::MAX);
    }

    #[test]
    fn relay_legs_are_not_counted_twice() {
        let mut r = run("a", 1000, None);
        let mut relay = r.channels[0].clone();
        relay.leg = Some(crate::results::Leg::Relay);
        r.channels.push(relay);
        assert_eq!(ConfigSummary::of(&r).display_bytes, 1000);
    }
}
