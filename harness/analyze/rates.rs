//! Mean and peak 1-second throughput of each timeline series over an interval.

use crate::results::{Rate, Timeline, MIB};

/// Mean and peak rate of every series of `timeline` over `[from_us, to_us)`, in series
/// order.
///
/// Bin 0 starts at `start_offset_s` (µs since the run's epoch, like `from_us`/`to_us`).
/// The interval is first clipped to the bins the timeline has; if nothing is left, both
/// rates are 0.
///
/// Partial bins: a bin that only partly overlaps the interval contributes its bytes in
/// proportion to the overlap (bytes are taken as spread evenly across a bin), e.g. half
/// of a bin's bytes if half of it lies inside. Whole bins contribute all their bytes.
///
/// - mean = contributed bytes / interval length.
/// - peak = largest sum over `w = max(1, 1000 / bin_ms)` consecutive overlapping bins,
///   divided by the window length `w · bin_ms` (1 s for bins that divide a second). If the
///   clipped interval is shorter than one window, peak = mean: the whole interval scaled
///   to per-second.
pub fn rates(timeline: &Timeline, from_us: u64, to_us: u64) -> Vec<Rate> {
    timeline
        .series
        .iter()
        .map(|s| {
            let (mean, peak) = mean_and_peak(
                &s.bytes,
                timeline.bin_ms,
                timeline.start_offset_s,
                from_us,
                to_us,
            );
            Rate {
                key: s.key.clone(),
                mean_mib_s: mean,
                peak_1s_mib_s: peak,
            }
        })
        .collect()
}

/// Mean and peak rate, MiB/s, of one series of bins of `bin_ms` whose bin 0 starts at
/// `start_offset_s`, over `[from_us, to_us)`, by the rule of [`rates`]: for a series that is
/// no timeline's, such as the network's both directions together.
pub fn mean_and_peak(
    bytes: &[u64],
    bin_ms: u32,
    start_offset_s: f64,
    from_us: u64,
    to_us: u64,
) -> (f64, f64) {
    let bin_ms = u64::from(bin_ms.max(1));
    let bin_us = bin_ms * 1000;
    // `as` saturates and maps NaN to 0, so a corrupt offset cannot panic here.
    let origin_us = (start_offset_s * 1e6).round() as u64;
    let window_bins = (1000 / bin_ms).max(1);
    let window_us = window_bins * bin_us;

    let end_us = origin_us.saturating_add((bytes.len() as u64).saturating_mul(bin_us));
    let lo = from_us.max(origin_us);
    let hi = to_us.min(end_us);
    if hi <= lo {
        return (0.0, 0.0);
    }
    // bytes × overlap µs, kept as exact integers so sliding sums have no drift.
    let first = ((lo - origin_us) / bin_us) as usize;
    let last = ((hi - 1 - origin_us) / bin_us) as usize;
    let weighted: Vec<u128> = (first..=last)
        .map(|i| {
            let bin_lo = origin_us + i as u64 * bin_us;
            let overlap = hi.min(bin_lo.saturating_add(bin_us)) - lo.max(bin_lo);
            let bytes = bytes.get(i).copied().unwrap_or(0);
            u128::from(bytes) * u128::from(overlap)
        })
        .collect();
    let total: u128 = weighted.iter().sum();
    let mean = per_second(total, bin_us, hi - lo);
    let peak = if hi - lo < window_us {
        mean
    } else {
        per_second(
            max_window_sum(&weighted, window_bins as usize),
            bin_us,
            window_us,
        )
    };
    (mean, peak)
}

/// MiB/s of `weighted` (bytes × µs of overlap, so divided by `bin_us` to get bytes)
/// spread over `span_us`.
fn per_second(weighted: u128, bin_us: u64, span_us: u64) -> f64 {
    weighted as f64 / bin_us as f64 / (span_us as f64 / 1e6) / MIB as f64
}

/// Largest sum of `w` consecutive values (of all values if there are fewer).
fn max_window_sum(values: &[u128], w: usize) -> u128 {
    let w = w.min(values.len());
    let mut sum: u128 = values[..w].iter().sum();
    let mut best = sum;
    for i in w..values.len() {
        sum = sum + values[i] - values[i - w];
        best = best.max(sum);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Series, SeriesKey};

    const MIB_U: u64 = 1_048_576;

    fn timeline(start_offset_s: f64, bin_ms: u32, bytes: Vec<u64>) -> Timeline {
        Timeline {
            unit: None,
            bin_ms,
            start: String::new(),
            start_offset_s,
            series: vec![Series {
                key: SeriesKey::DISPLAY_DOWN,
                bytes,
            }],
        }
    }

    #[test]
    fn one_mib_in_one_bin_of_a_two_second_interval() {
        let mut bytes = vec![0; 20];
        bytes[7] = MIB_U;
        let r = rates(&timeline(0.0, 100, bytes), 0, 2_000_000);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].key, SeriesKey::DISPLAY_DOWN);
        assert_eq!(r[0].mean_mib_s, 0.5);
        assert_eq!(r[0].peak_1s_mib_s, 1.0);
    }

    #[test]
    fn peak_is_the_busiest_second() {
        // 3 s of 100 ms bins: 0.1 MiB per bin in the first second, 0.2 in bins 15..=24.
        let mut bytes = vec![0; 30];
        for b in bytes.iter_mut().take(10) {
            *b = MIB_U / 10;
        }
        for b in bytes.iter_mut().skip(15).take(10) {
            *b = MIB_U / 5;
        }
        let r = rates(&timeline(0.0, 100, bytes), 0, 3_000_000);
        // Total = 10·(MiB/10) + 10·(MiB/5), integer-divided: 104857·10 + 209715·10 bytes.
        let total = (104_857 * 10 + 209_715 * 10) as f64;
        assert_eq!(r[0].mean_mib_s, total / 3.0 / MIB_U as f64);
        assert_eq!(r[0].peak_1s_mib_s, 2_097_150.0 / MIB_U as f64);
    }

    #[test]
    fn partial_edge_bins_count_in_proportion() {
        // Timeline starts at 1 s; interval [1.05 s, 1.25 s) covers half of bin 0, all of
        // bin 1, half of bin 2: 400/2 + 800 + 1000/2 = 1500 bytes in 0.2 s.
        let t = timeline(1.0, 100, vec![400, 800, 1000, 9_999]);
        let r = rates(&t, 1_050_000, 1_250_000);
        let mean = 1500.0 / 0.2 / MIB_U as f64;
        assert_eq!(r[0].mean_mib_s, mean);
        // Shorter than a second: peak is the whole interval scaled to per-second.
        assert_eq!(r[0].peak_1s_mib_s, mean);
    }

    #[test]
    fn interval_is_clipped_to_the_timeline() {
        // 2 bins of 500 ms starting at 0; the interval reaches far past the end.
        let t = timeline(0.0, 500, vec![MIB_U, 0]);
        let r = rates(&t, 0, 10_000_000);
        assert_eq!(r[0].mean_mib_s, 1.0);
        // Window = 2 bins of 500 ms = 1 s.
        assert_eq!(r[0].peak_1s_mib_s, 1.0);
    }

    #[test]
    fn bins_that_do_not_divide_a_second_use_the_true_window_length() {
        // 300 ms bins: window = 3 bins = 0.9 s.
        let t = timeline(0.0, 300, vec![0, 900, 0, 0, 0]);
        let r = rates(&t, 0, 1_500_000);
        assert_eq!(r[0].mean_mib_s, 900.0 / 1.5 / MIB_U as f64);
        assert_eq!(r[0].peak_1s_mib_s, 900.0 / 0.9 / MIB_U as f64);
    }

    #[test]
    fn empty_zero_length_and_corrupt_inputs_give_zero() {
        let t = timeline(0.0, 100, vec![5; 10]);
        for (from, to) in [
            (500_000, 500_000),
            (700_000, 100_000),
            (2_000_000, 3_000_000),
        ] {
            let r = rates(&t, from, to);
            assert_eq!((r[0].mean_mib_s, r[0].peak_1s_mib_s), (0.0, 0.0));
        }
        assert!(rates(&Timeline::default(), 0, 1_000_000).is_empty());
        let r = rates(&timeline(f64::NAN, 0, vec![]), 0, 1_000_000);
        assert_eq!((r[0].mean_mib_s, r[0].peak_1s_mib_s), (0.0, 0.0));
        let r = rates(&timeline(-3.0, 100, vec![MIB_U / 10; 10]), 0, u64::MAX);
        assert_eq!(r[0].mean_mib_s, 1_048_570.0 / MIB_U as f64);
    }
}
