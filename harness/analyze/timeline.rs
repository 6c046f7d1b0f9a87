//! Bytes per fixed-width time bin, one series per (channel, direction).

use std::collections::HashMap;
use std::sync::Arc;

use super::traffic::TrafficSample;
use crate::results::{Series, SeriesKey, Timeline};

/// Default timeline bin width (DESIGN.md, "Timeline").
pub const BIN_MS: u32 = 100;

/// The start of the bin of wall time that holds `ns` (ns since the Unix epoch): bins of
/// `bin_ms` (0 taken as 1) lie on one grid counted from the Unix epoch. A run's epoch and a
/// capture's first bin are both put on it, so any two timelines of one session share their
/// bin edges and give the same rates over the same interval.
pub fn bin_grid_start_ns(ns: u64, bin_ms: u32) -> u64 {
    let bin_ns = u64::from(bin_ms.max(1)) * 1_000_000;
    ns - ns % bin_ns
}

/// Most bins a timeline gets (about 4.9 days at 100 ms). An absurd interval, say from a
/// bad clock, would otherwise try to allocate terabytes.
pub const MAX_BINS: usize = 1 << 22;

/// Sums sample bytes into bins of `bin_ms` covering `[start_us, end_us)`.
///
/// Bin `i` covers `[start_us + i·bin, start_us + (i+1)·bin)`; there are
/// `ceil((end_us − start_us) / bin)` bins (0 if `end_us <= start_us`), at most
/// [`MAX_BINS`]. Samples outside `[start_us, end_us)` or past the last bin are ignored,
/// and a key with no sample inside gets no series. Series are sorted by key and all
/// have the same length. A `bin_ms` of 0 is taken as 1.
///
/// `start_offset_s` is set to `start_us` in seconds, which is the offset from
/// `started_at` because µs timestamps count from the run's epoch. `start` is left empty:
/// only the caller knows the wall-clock epoch, so call [`Timeline::anchor`] afterwards.
pub fn build_timeline(
    samples: &[TrafficSample],
    start_us: u64,
    end_us: u64,
    bin_ms: u32,
) -> Timeline {
    let bin_ms = bin_ms.max(1);
    let bin_us = u64::from(bin_ms) * 1000;
    let bins = end_us
        .saturating_sub(start_us)
        .div_ceil(bin_us)
        .min(MAX_BINS as u64) as usize;

    let mut index: HashMap<&SeriesKey, usize> = HashMap::new();
    let mut series: Vec<(&SeriesKey, Vec<u64>)> = Vec::new();
    // Consecutive samples usually share a key; comparing pointers skips the hash lookup.
    let mut last: Option<(&Arc<SeriesKey>, usize)> = None;
    for s in samples {
        if s.at_us < start_us || s.at_us >= end_us {
            continue;
        }
        let bin = ((s.at_us - start_us) / bin_us) as usize;
        if bin >= bins {
            continue;
        }
        let slot = match last {
            Some((key, slot)) if Arc::ptr_eq(key, &s.key) => slot,
            _ => {
                let slot = *index.entry(&*s.key).or_insert_with(|| {
                    series.push((&*s.key, vec![0; bins]));
                    series.len() - 1
                });
                last = Some((&s.key, slot));
                slot
            }
        };
        let cell = &mut series[slot].1[bin];
        *cell = cell.saturating_add(s.bytes);
    }
    // In the order of the keys' text, as results list them.
    series.sort_by_cached_key(|(key, _)| key.to_string());

    Timeline {
        unit: None,
        bin_ms,
        start: String::new(),
        start_offset_s: start_us as f64 / 1e6,
        series: series
            .into_iter()
            .map(|(key, bytes)| Series {
                key: key.clone(),
                bytes,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Arc<SeriesKey> {
        Arc::new(SeriesKey::try_from(text.to_string()).unwrap())
    }

    fn sample(at_us: u64, key: &Arc<SeriesKey>, bytes: u64) -> TrafficSample {
        TrafficSample {
            at_us,
            key: key.clone(),
            bytes,
        }
    }

    #[test]
    fn bins_are_summed_per_key_and_sorted() {
        let display = key("display/down");
        let inputs = key("inputs/up");
        // A second Arc with an equal key must land in the same series as `display`.
        let display2 = key("display/down");
        let samples = vec![
            sample(1_250_000, &inputs, 20),     // bin 2
            sample(1_000_000, &display, 100),   // bin 0, first instant included
            sample(1_099_999, &display2, 50),   // bin 0, last µs of it
            sample(1_100_000, &display, 7),     // bin 1
            sample(999_999, &display, 1_000),   // before start: ignored
            sample(1_350_000, &display, 1_000), // at end: ignored (end is exclusive)
            sample(1_340_000, &display, 3),     // bin 3, the partial last bin
        ];
        let t = build_timeline(&samples, 1_000_000, 1_350_000, 100);
        assert_eq!(t.bin_ms, 100);
        assert_eq!(t.start_offset_s, 1.0);
        assert_eq!(bin_grid_start_ns(1_234_567_891, 100), 1_200_000_000);
        assert_eq!(bin_grid_start_ns(1_200_000_000, 100), 1_200_000_000);
        assert_eq!(bin_grid_start_ns(7, 0), 0);
        assert_eq!(t.start, "");
        assert_eq!(t.series.len(), 2);
        assert_eq!(t.series[0].key.to_string(), "display/down");
        assert_eq!(t.series[0].bytes, vec![150, 7, 0, 3]);
        assert_eq!(t.series[1].key.to_string(), "inputs/up");
        assert_eq!(t.series[1].bytes, vec![0, 0, 20, 0]);
    }

    #[test]
    fn empty_and_degenerate_inputs_do_not_panic() {
        let k = key("main/down");
        let t = build_timeline(&[], 0, 1_000_000, 100);
        assert!(t.series.is_empty());

        // Zero-length and reversed intervals: no bins, so nothing is kept.
        let t = build_timeline(&[sample(5, &k, 1)], 5, 5, 100);
        assert!(t.series.is_empty());
        let t = build_timeline(&[sample(5, &k, 1)], 10, 0, 100);
        assert!(t.series.is_empty());

        // bin_ms 0 is read as 1 ms.
        let t = build_timeline(&[sample(1_500, &k, 9)], 0, 2_001, 0);
        assert_eq!(t.bin_ms, 1);
        assert_eq!(t.series[0].bytes, vec![0, 9, 0]);

        // Saturating instead of overflowing.
        let t = build_timeline(&[sample(0, &k, u64::MAX), sample(1, &k, 5)], 0, 10, 100);
        assert_eq!(t.series[0].bytes, vec![u64::MAX]);
    }

    #[test]
    fn huge_intervals_are_capped() {
        let k = key("main/down");
        let t = build_timeline(&[sample(u64::MAX - 1, &k, 1)], 0, u64::MAX, 1);
        // The only sample lies far past the last allowed bin, so no series is made.
        assert!(t.series.is_empty());
        let t = build_timeline(&[sample(0, &k, 1)], 0, u64::MAX, 1);
        assert_eq!(t.series[0].bytes.len(), MAX_BINS);
    }
}
