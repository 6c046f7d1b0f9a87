//! Input-to-display latency: matching inputs to display updates, and summarizing samples.

use super::histogram::{encode_histogram, latency_histogram};
use crate::results::LatencySummary;

/// An input with no display update within this long gets no latency sample.
pub const LATENCY_HORIZON_US: u64 = 1_000_000;

/// One latency per input: from the input to the first display update strictly after it.
///
/// An input gets no sample if no update arrives within `horizon_us` (i.e. the latency
/// must be `< horizon_us`). Several inputs may share one update. Samples come out in
/// ascending input time. O(n log n + m log m) for the sorts, linear after.
pub fn input_to_display(inputs_us: &[u64], updates_us: &[u64], horizon_us: u64) -> Vec<u64> {
    let mut inputs = inputs_us.to_vec();
    inputs.sort_unstable();
    let mut updates = updates_us.to_vec();
    updates.sort_unstable();

    let mut samples = Vec::with_capacity(inputs.len());
    let mut next = 0;
    for input in inputs {
        // Inputs ascend, so the first update after this input is never before the previous one's.
        while next < updates.len() && updates[next] <= input {
            next += 1;
        }
        match updates.get(next) {
            Some(&u) if u - input < horizon_us => samples.push(u - input),
            _ => {}
        }
    }
    samples
}

/// Percentiles, max and histogram of latency samples in µs.
///
/// Percentiles are exact nearest-rank values of the samples (the smallest sample with at
/// least p% of samples at or below it), not histogram bucket edges, so a run where every
/// input took 3 ms reports 3 ms rather than 3.001. The histogram clamps samples above
/// 60 s to 60 s; the percentiles and max do not. With no samples, all percentiles are
/// `None` and the histogram is a valid empty one.
pub fn latency_summary(source: &str, samples_us: &[u64]) -> LatencySummary {
    let mut sorted = samples_us.to_vec();
    sorted.sort_unstable();

    let mut h = latency_histogram();
    for &s in &sorted {
        h.saturating_record(s);
    }

    // Per mille, so ranks come from integer arithmetic: 0.9 · 10 in f64 is
    // 9.000000000000002, which would round the rank up to the wrong sample.
    let pct = |per_mille: u64| nearest_rank(&sorted, per_mille).map(us_to_ms);
    LatencySummary {
        source: source.to_string(),
        count: sorted.len() as u64,
        p50_ms: pct(500),
        p90_ms: pct(900),
        p99_ms: pct(990),
        p99_9_ms: pct(999),
        max_ms: sorted.last().copied().map(us_to_ms),
        histogram: encode_histogram(&h),
        method: crate::results::LatencyMethod::FirstUpdateAfter,
    }
}

/// The sample at rank `ceil(n · per_mille / 1000)` (1-based, at least 1) of `sorted`.
pub fn nearest_rank(sorted: &[u64], per_mille: u64) -> Option<u64> {
    let n = sorted.len() as u128;
    let rank = (n * u128::from(per_mille)).div_ceil(1000).max(1);
    sorted.get(rank as usize - 1).copied()
}

fn us_to_ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::histogram::decode_histogram;

    #[test]
    fn each_input_takes_the_first_update_after_it() {
        // Inputs at 0, 5, 20 ms; updates at 3, 30 ms.
        let lat = input_to_display(&[0, 5_000, 20_000], &[3_000, 30_000], 1_000_000);
        assert_eq!(lat, vec![3_000, 25_000, 10_000]);
        // Same answer from unsorted inputs.
        let lat = input_to_display(&[20_000, 0, 5_000], &[30_000, 3_000], 1_000_000);
        assert_eq!(lat, vec![3_000, 25_000, 10_000]);
    }

    #[test]
    fn updates_must_be_strictly_after_and_within_the_horizon() {
        // The update at the input's own instant does not count; the one at 7 does.
        assert_eq!(input_to_display(&[5], &[5, 7], 100), vec![2]);
        // Latency 10 with horizon 10 is out, with horizon 11 in.
        assert_eq!(input_to_display(&[0], &[10], 10), Vec::<u64>::new());
        assert_eq!(input_to_display(&[0], &[10], 11), vec![10]);
        // Inputs after the last update get nothing.
        assert_eq!(input_to_display(&[0, 50], &[10], 1_000), vec![10]);
        assert!(input_to_display(&[], &[1, 2], 10).is_empty());
        assert!(input_to_display(&[1, 2], &[], 10).is_empty());
    }

    #[test]
    fn summary_of_three_samples() {
        let s = latency_summary("client", &[3_000, 25_000, 10_000]);
        assert_eq!(s.source, "client");
        assert_eq!(s.count, 3);
        // Ranks: p50 → ceil(1.5) = 2, p90 → ceil(2.7) = 3.
        assert_eq!(s.p50_ms, Some(10.0));
        assert_eq!(s.p90_ms, Some(25.0));
        assert_eq!(s.p99_ms, Some(25.0));
        assert_eq!(s.p99_9_ms, Some(25.0));
        assert_eq!(s.max_ms, Some(25.0));
        let h = decode_histogram(&s.histogram).unwrap();
        assert_eq!(h.len(), 3);
        assert_eq!(h.count_at(3_000), 1);
    }

    #[test]
    fn percentile_ranks_on_a_thousand_samples() {
        // Samples 1..=1000 µs: rank k holds k µs.
        let samples: Vec<u64> = (1..=1000).rev().collect();
        let s = latency_summary("capture", &samples);
        assert_eq!(s.p50_ms, Some(0.5));
        assert_eq!(s.p90_ms, Some(0.9));
        assert_eq!(s.p99_ms, Some(0.99));
        assert_eq!(s.p99_9_ms, Some(0.999));
        assert_eq!(s.max_ms, Some(1.0));
        // Ten samples: p90 is rank 9, not 10 (the float-rounding trap).
        let ten: Vec<u64> = (1..=10).map(|i| i * 1_000).collect();
        assert_eq!(latency_summary("client", &ten).p90_ms, Some(9.0));
    }

    #[test]
    fn empty_and_out_of_range_samples() {
        let s = latency_summary("client", &[]);
        assert_eq!(s.count, 0);
        assert_eq!(
            (s.p50_ms, s.p90_ms, s.p99_ms, s.p99_9_ms, s.max_ms),
            (None, None, None, None, None)
        );
        assert_eq!(decode_histogram(&s.histogram).unwrap().len(), 0);

        // 0 µs and 2 minutes: exact in the summary, the latter clamped in the histogram.
        let s = latency_summary("client", &[0, 120_000_000]);
        assert_eq!(s.p50_ms, Some(0.0));
        assert_eq!(s.max_ms, Some(120_000.0));
        let h = decode_histogram(&s.histogram).unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h.count_at(0), 1);
        assert!(h.equivalent(h.max(), 60_000_000));
    }
}
