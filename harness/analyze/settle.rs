//! Settle time: how long the display keeps changing after the last input of a burst, and the
//! one rule for "the display is quiet" that both the live settle wait and the analysis use.

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

/// Time from `last_input_us` to the last display update before the display goes quiet.
///
/// Takes the updates strictly after the last input, in time order, and returns
/// `u − last_input_us` for the first update `u` with no other update in
/// `(u, u + quiet_us]`. For the final update that is only known if the data reaches that
/// far, i.e. `data_end_us >= u + quiet_us`.
///
/// - No update after the last input: `Some(0)`, the display was already settled.
/// - The updates never go quiet before `data_end_us`: `None`.
pub fn settle_time_us(
    last_input_us: u64,
    updates_us: &[u64],
    quiet_us: u64,
    data_end_us: u64,
) -> Option<u64> {
    let mut after: Vec<u64> = updates_us
        .iter()
        .copied()
        .filter(|&u| u > last_input_us)
        .collect();
    if after.is_empty() {
        return Some(0);
    }
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

    #[test]
    fn settles_at_the_first_update_followed_by_a_quiet_gap() {
        // Input at 1 s; updates at 1.05, 1.2, 1.45 s, then a gap of 400 ms to 1.85 s.
        let updates = [1_050 * MS, 1_200 * MS, 1_450 * MS, 1_850 * MS];
        assert_eq!(
            settle_time_us(1_000 * MS, &updates, QUIET, 5_000 * MS),
            Some(450 * MS)
        );
        // Unsorted, with an update before the input that must be ignored.
        let updates = [1_850 * MS, 900 * MS, 1_450 * MS, 1_050 * MS, 1_200 * MS];
        assert_eq!(
            settle_time_us(1_000 * MS, &updates, QUIET, 5_000 * MS),
            Some(450 * MS)
        );
    }

    #[test]
    fn a_gap_of_exactly_quiet_is_not_quiet() {
        // 1.1 → 1.4 s is exactly 300 ms: still "within", so settle moves on to 1.4 s.
        let updates = [1_100 * MS, 1_400 * MS];
        assert_eq!(
            settle_time_us(1_000 * MS, &updates, QUIET, 1_700 * MS),
            Some(400 * MS)
        );
    }

    #[test]
    fn no_update_after_the_input_is_zero() {
        assert_eq!(settle_time_us(1_000, &[], QUIET, 0), Some(0));
        assert_eq!(settle_time_us(1_000, &[10, 1_000], QUIET, 2_000), Some(0));
    }

    #[test]
    fn never_quiet_before_the_end_of_data_is_none() {
        // The last update is 200 ms before the end of data: quiet cannot be shown.
        let updates = [1_100 * MS, 1_300 * MS];
        assert_eq!(
            settle_time_us(1_000 * MS, &updates, QUIET, 1_500 * MS),
            None
        );
        // Overflowing u + quiet cannot panic.
        assert_eq!(settle_time_us(0, &[u64::MAX], QUIET, u64::MAX), None);
        // With quiet 0 the first update after the input settles it.
        assert_eq!(settle_time_us(0, &[7, 8], 0, 0), Some(7));
    }
}
