//! The measured interval: the one window that every mean and peak rate of a result is taken
//! over, and the settle time that ends it. One rule for a live run's own log, a remote-viewer
//! screen log and a capture, so a run and a later `spicebench analyze` of its capture that see
//! the same session times get the same interval.
//!
//! The rule (DESIGN.md, "Timeline"; docs/results-v1.md, "Measured interval"): **from the first
//! input to the end of settle**, where the end of settle is the last input + its settle time
//! ([`settle_time_us`]), but at least [`QUIET_US`] after the last input, and never past the end
//! of data.
//!
//! - The floor of [`QUIET_US`]: a display that answered the last input at once still gets the
//!   quiet gap that showed it settled, so a short settle does not cut the last burst's own
//!   reply out of the mean.
//! - No settle (the display never answered the last input, or never went quiet before the end
//!   of data): the interval runs to the end of data, since the display was still busy.
//! - No input: no interval (rates then describe an idle session and say so elsewhere).
//!
//! Which times are evidence is the caller's choice, and must be the clock the rates' bytes
//! were counted on: a run's client counts payload when it reads it, a capture counts frames
//! when they pass the interface, a few µs apart. A run whose rates are the capture's therefore
//! takes the interval the capture's own inputs and display messages give (see
//! `analyze::capture_result`), which is exactly what a later analysis of that capture computes.

use super::settle::{display_reply_us, settle_time_us, QUIET_US};
use crate::probe::{Stamp, StampedInput};

/// One session's times, µs on one clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionTimes<'a> {
    /// Inputs, with the pointer state each should show (any order).
    pub inputs: &'a [StampedInput],
    /// Probe frames (any order).
    pub stamps: &'a [Stamp],
    /// Every display update, probe frames included (any order).
    pub updates: &'a [u64],
    /// The end of data: nothing later was recorded.
    pub end_us: u64,
}

/// The settle time and the measured interval of one session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measured {
    /// Last input → the last display update before the display went quiet ([`settle_time_us`]).
    pub settle_us: Option<u64>,
    /// First input → end of settle, `(from, to)` with `from < to`.
    pub interval_us: Option<(u64, u64)>,
}

/// The settle time and measured interval of `t` by the module's rule.
pub fn measured(t: &SessionTimes<'_>) -> Measured {
    let first_input = t.inputs.iter().map(|i| i.sent).min();
    let last = t.inputs.iter().max_by_key(|i| i.sent);
    let settle_us = last.and_then(|l| {
        let reply = display_reply_us(l.sent, l.state, t.stamps, t.updates);
        settle_time_us(l.sent, reply, t.updates, QUIET_US, t.end_us)
    });
    let end = match (last, settle_us) {
        (Some(l), Some(s)) => l.sent.saturating_add(s.max(QUIET_US)),
        _ => t.end_us,
    }
    .min(t.end_us);
    Measured {
        settle_us,
        interval_us: first_input.filter(|&f| end > f).map(|f| (f, end)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000;

    fn input(sent: u64) -> StampedInput {
        StampedInput { sent, state: None }
    }

    fn times<'a>(inputs: &'a [StampedInput], updates: &'a [u64], end_us: u64) -> SessionTimes<'a> {
        SessionTimes {
            inputs,
            stamps: &[],
            updates,
            end_us,
        }
    }

    #[test]
    fn first_input_to_the_end_of_settle() {
        // Inputs at 1.0 and 2.0 s; the last is answered at 2.05 s, updates go on to 2.5 s and
        // stop. Settle = 500 ms, so the interval ends at 2.5 s, not at the end of data.
        let inputs = [input(2_000 * MS), input(1_000 * MS)];
        let updates = [1_010 * MS, 2_050 * MS, 2_300 * MS, 2_500 * MS];
        let m = measured(&times(&inputs, &updates, 9_000 * MS));
        assert_eq!(m.settle_us, Some(500 * MS));
        assert_eq!(m.interval_us, Some((1_000 * MS, 2_500 * MS)));
    }

    #[test]
    fn a_short_settle_still_covers_the_quiet_time() {
        // Answered after 20 ms and quiet after: the interval runs QUIET_US past the last input.
        let inputs = [input(1_000 * MS)];
        let updates = [1_020 * MS];
        let m = measured(&times(&inputs, &updates, 9_000 * MS));
        assert_eq!(m.settle_us, Some(20 * MS));
        assert_eq!(m.interval_us, Some((1_000 * MS, 1_000 * MS + QUIET_US)));
        // ... but never past the end of data.
        let m = measured(&times(&inputs, &updates, 1_000 * MS + QUIET_US - 1));
        assert_eq!(m.settle_us, None, "quiet cannot be shown before the end");
        assert_eq!(m.interval_us, Some((1_000 * MS, 1_000 * MS + QUIET_US - 1)));
    }

    #[test]
    fn without_a_settle_the_interval_runs_to_the_end_of_data() {
        // No reply to the last input: the display was never seen to settle.
        let inputs = [input(1_000 * MS), input(1_500 * MS)];
        let m = measured(&times(&inputs, &[1_100 * MS], 4_000 * MS));
        assert_eq!(m.settle_us, None);
        assert_eq!(m.interval_us, Some((1_000 * MS, 4_000 * MS)));
    }

    #[test]
    fn no_input_or_no_time_after_it_gives_no_interval() {
        assert_eq!(measured(&times(&[], &[5, 6], 100)), Measured::default());
        // The only input is at the end of data: an empty window is no interval.
        let inputs = [input(100)];
        assert_eq!(measured(&times(&inputs, &[], 100)).interval_us, None);
        // Extreme times cannot overflow.
        let inputs = [input(u64::MAX - 1)];
        let updates = [u64::MAX];
        let m = measured(&times(&inputs, &updates, u64::MAX));
        assert_eq!(m.interval_us, Some((u64::MAX - 1, u64::MAX)));
    }

    #[test]
    fn the_same_times_in_any_order_give_the_same_interval() {
        let inputs = [input(1_000 * MS), input(1_200 * MS), input(1_100 * MS)];
        let updates = [1_300 * MS, 1_250 * MS, 1_210 * MS];
        let a = measured(&times(&inputs, &updates, 3_000 * MS));
        let mut inputs_rev = inputs;
        inputs_rev.reverse();
        let mut updates_rev = updates;
        updates_rev.reverse();
        assert_eq!(measured(&times(&inputs_rev, &updates_rev, 3_000 * MS)), a);
        assert_eq!(a.interval_us, Some((1_000 * MS, 1_300 * MS + 200 * MS)));
    }
}
