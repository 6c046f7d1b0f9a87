//! Settle time: how long the display keeps changing after the last input of a burst, and the
//! one rule for "the display is quiet" that both the live settle wait and the analysis use.
//!
//! Settle counts from the last input to the last display update before the display is quiet,
//! and the display's reply to that input is always part of it: settle is never shorter than
//! the last input's latency. A display that never answered the last input has no settle time
//! (rather than a settle of zero, which would read as "instant").

use super::latency::{input_to_display, LATENCY_HORIZON_US};
use crate::probe::{PointerState, Stamp};

/// The display counts as settled after this long without an update (DESIGN.md).
pub const QUIET_US: u64 = 300_000;

/// When the display will count as quiet if nothing changes any more: [`QUIET_US`] after the
/// later of the last update and the end of the input script.
pub fn quiet_deadline_us(last_update_us: Option<u64>, script_end_us: u64) -> u64 {
    last_update_us
        .unwrap_or(0)
        .max(script_end_us)
        .saturating_add(QUIET_US)
}

/// When the display answered the input sent at `sent_us`: the first probe stamp after it that
/// shows `state` (the pointer state the input set, when the probe can show one), else the
/// first update after it; by latency's own rule ([`input_to_display`]: strictly after, within
/// [`LATENCY_HORIZON_US`]).
pub fn display_reply_us(
    sent_us: u64,
    state: Option<PointerState>,
    stamps: &[Stamp],
    updates_us: &[u64],
) -> Option<u64> {
    let first_after = |times: &[u64]| {
        input_to_display(&[sent_us], times, LATENCY_HORIZON_US)
            .first()
            .map(|d| sent_us + d)
    };
    let showing: Vec<u64> = state.map_or_else(Vec::new, |want| {
        stamps
            .iter()
            .filter(|s| s.state == want)
            .map(|s| s.at)
            .collect()
    });
    first_after(&showing).or_else(|| first_after(updates_us))
}

/// Time from `last_input_us` to the last display update before the display goes quiet,
/// counting from `reply_us`, the display's reply to that input ([`display_reply_us`]).
///
/// Takes the updates from the reply on, in time order, and returns `u − last_input_us` for
/// the first update `u` with no other update in `(u, u + quiet_us]`. For the final update
/// that is only known if the data reaches that far, i.e. `data_end_us >= u + quiet_us`.
///
/// - No reply to the last input: `None`.
/// - The updates never go quiet before `data_end_us`: `None`.
pub fn settle_time_us(
    last_input_us: u64,
    reply_us: Option<u64>,
    updates_us: &[u64],
    quiet_us: u64,
    data_end_us: u64,
) -> Option<u64> {
    let reply = reply_us.filter(|&r| r >= last_input_us)?;
    let mut after: Vec<u64> = updates_us.iter().copied().filter(|&u| u > reply).collect();
    after.push(reply);
    after.sort_unstable();

    for (i, &u) in after.iter().enumerate() {
        let quiet_until = u.checked_add(quiet_us)?;
        let quiet = match after.get(i + 1) {
            Some(&next) => next > quiet_until,
            None => data_end_us >= quiet_until,
        };
        if quiet {
            return Some(u - last_input_us);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000;
    const QUIET: u64 = 300 * MS;

    #[test]
    fn quiet_deadline_counts_from_the_later_of_update_and_script_end() {
        assert_eq!(quiet_deadline_us(None, 1_000), 1_000 + QUIET_US);
        assert_eq!(quiet_deadline_us(Some(5_000), 1_000), 5_000 + QUIET_US);
        assert_eq!(quiet_deadline_us(Some(5), 1_000), 1_000 + QUIET_US);
        assert_eq!(quiet_deadline_us(Some(u64::MAX), 0), u64::MAX);
    }

    /// `settle_time_us` with the reply found the way the run finds it (no probe).
    fn settle(last: u64, updates: &[u64], end: u64) -> Option<u64> {
        let reply = display_reply_us(last, None, &[], updates);
        settle_time_us(last, reply, updates, QUIET, end)
    }

    #[test]
    fn settles_at_the_first_update_followed_by_a_quiet_gap() {
        // Input at 1 s; updates at 1.05, 1.2, 1.45 s, then a gap of 400 ms to 1.85 s.
        let updates = [1_050 * MS, 1_200 * MS, 1_450 * MS, 1_850 * MS];
        assert_eq!(settle(1_000 * MS, &updates, 5_000 * MS), Some(450 * MS));
        // Unsorted, with an update before the input that must be ignored.
        let updates = [1_850 * MS, 900 * MS, 1_450 * MS, 1_050 * MS, 1_200 * MS];
        assert_eq!(settle(1_000 * MS, &updates, 5_000 * MS), Some(450 * MS));
    }

    #[test]
    fn a_gap_of_exactly_quiet_is_not_quiet() {
        // 1.1 → 1.4 s is exactly 300 ms: still "within", so settle moves on to 1.4 s.
        let updates = [1_100 * MS, 1_400 * MS];
        assert_eq!(settle(1_000 * MS, &updates, 1_700 * MS), Some(400 * MS));
    }

    #[test]
    fn without_a_reply_to_the_last_input_there_is_no_settle() {
        assert_eq!(settle(1_000, &[], 0), None);
        assert_eq!(settle(1_000, &[10, 1_000], 2_000), None);
        // An update beyond the latency horizon is no reply either.
        let late = 1_000 + LATENCY_HORIZON_US;
        assert_eq!(settle(1_000, &[late], late + QUIET + 1), None);
    }

    #[test]
    fn settle_is_never_shorter_than_the_reply_to_the_last_input() {
        // The probe stamps the last input's state at 1.35 s. An update at 1.01 s (an earlier
        // input's), quiet for 340 ms after it, would otherwise settle the display at 10 ms.
        let state = PointerState {
            x: 5,
            y: 6,
            pressed: false,
        };
        let stamps = [Stamp {
            at: 1_350 * MS,
            state,
        }];
        let updates = [1_010 * MS, 1_350 * MS];
        let reply = display_reply_us(1_000 * MS, Some(state), &stamps, &updates);
        assert_eq!(reply, Some(1_350 * MS));
        assert_eq!(
            settle_time_us(1_000 * MS, reply, &updates, QUIET, 5_000 * MS),
            Some(350 * MS)
        );
        // Without the probe, the reply is the first update after the input.
        assert_eq!(
            display_reply_us(1_000 * MS, Some(state), &[], &updates),
            Some(1_010 * MS)
        );
    }

    #[test]
    fn never_quiet_before_the_end_of_data_is_none() {
        // The last update is 200 ms before the end of data: quiet cannot be shown.
        let updates = [1_100 * MS, 1_300 * MS];
        assert_eq!(settle(1_000 * MS, &updates, 1_500 * MS), None);
        // Overflowing u + quiet cannot panic.
        assert_eq!(
            settle_time_us(0, Some(u64::MAX), &[u64::MAX], QUIET, u64::MAX),
            None
        );
        // With quiet 0 the first update after the input settles it.
        assert_eq!(settle_time_us(0, Some(7), &[7, 8], 0, 0), Some(7));
    }
}
