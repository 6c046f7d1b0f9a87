//! Expected vs got, metric by metric.

use std::collections::BTreeSet;

use super::metrics::metrics;
use super::tolerance::Tolerances;
use crate::results::RunResult;

/// One metric that moved more than allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Metric name.
    pub metric: String,
    /// Expected value (`None`: the metric is new).
    pub expected: Option<f64>,
    /// Value now (`None`: the metric disappeared).
    pub got: Option<f64>,
    /// Allowed relative change.
    pub tolerance: f64,
}

impl Difference {
    /// `got - expected`, when both exist.
    pub fn delta(&self) -> Option<f64> {
        Some(self.got? - self.expected?)
    }
}

/// Every metric of `got` that differs from `expected` beyond its tolerance, and every metric
/// present on only one side.
pub fn compare(expected: &RunResult, got: &RunResult, tol: &Tolerances) -> Vec<Difference> {
    let (e, g) = (metrics(expected), metrics(got));
    let names: BTreeSet<&String> = e.keys().chain(g.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (ev, gv) = (e.get(name).copied(), g.get(name).copied());
            let tolerance = tol.for_metric(name);
            let ok = match (ev, gv) {
                (Some(a), Some(b)) => {
                    let scale = a.abs().max(b.abs());
                    (a - b).abs() <= tolerance * scale || a == b
                }
                _ => false,
            };
            (!ok).then(|| Difference {
                metric: name.clone(),
                expected: ev,
                got: gv,
                tolerance,
            })
        })
        .collect()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::results::Rate;

    fn with_rate(v: f64, images: u64) -> RunResult {
        let mut r = RunResult::default();
        r.rates.push(Rate {
            key: crate::results::SeriesKey::DISPLAY_DOWN,
            mean_mib_s: v,
            peak_1s_mib_s: v,
        });
        r.images.push(crate::results::ImageStats {
            image_type: "GLZ_RGB".into(),
            code: 102,
            count: images,
            bytes: 100,
        });
        r
    }

    #[test]
    fn exact_counts_and_tolerant_rates() {
        let t = Tolerances::default();
        assert!(compare(&with_rate(1.0, 5), &with_rate(1.005, 5), &t).is_empty());
        let d = compare(&with_rate(1.0, 5), &with_rate(1.05, 6), &t);
        let names: Vec<&str> = d.iter().map(|d| d.metric.as_str()).collect();
        assert_eq!(
            names,
            [
                "image GLZ_RGB.count",
                "rate display/down.mean_mib_s",
                "rate display/down.peak_1s_mib_s"
            ]
        );
        assert_eq!(d[0].delta(), Some(1.0));
    }

    #[test]
    fn a_metric_on_one_side_only_is_a_difference() {
        let mut got = with_rate(1.0, 5);
        got.images.clear();
        let d = compare(&with_rate(1.0, 5), &got, &Tolerances::default());
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].got, None);
    }
}
