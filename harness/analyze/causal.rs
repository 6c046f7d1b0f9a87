//! Input-to-display latency by both methods (`docs/latency.md`), with the checks that say how
//! far each can be trusted. One function for our client's event log and for a capture, so a
//! live run and `spicebench analyze` of its capture count the same way.
//!
//! - **probe**: each input to the first frame whose probe stamp shows its effect
//!   ([`crate::probe::match_inputs`]); the headline whenever a stamp showed an input.
//! - **first_update_after**: each input to the first display update after it, probe frames
//!   left out ([`input_to_display`]); the fallback, and the comparison.
//!
//! Sanity of the fallback: the idle window's own update rate, the number of samples chance
//! alone explains at that rate, and samples shorter than half the connection's smallest round
//! trip (the update was on its way before the input left).

use super::latency::{input_to_display, latency_summary, nearest_rank, LATENCY_HORIZON_US};
use crate::probe::{match_inputs, Stamp, StampedInput};
use crate::results::{
    Latency, LatencyMethod, LatencySanity, LatencySummary, ProbeStats, Warning, WarningCode,
};

/// An idle screen with more updates per second than this is not quiet: first-update-after
/// samples may be chance.
pub const QUIET_IDLE_UPDATES_PER_S: f64 = 0.5;
/// Updates closer together than this are one redraw for the idle rate: a terminal's blink is
/// a fill, a text draw and a copy within a millisecond, and chance comes once per redraw.
pub const REDRAW_GAP_US: u64 = 16_000;
/// Warn when the probe missed more than this share of the inputs it should have shown.
const MISSING_SHARE_WARN: f64 = 0.05;

/// Everything the two methods need, all times in µs on one clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct LatencyEvidence<'a> {
    /// Inputs in send order, with the pointer state each should make the probe show.
    pub inputs: &'a [StampedInput],
    /// Probe frames in arrival order.
    pub stamps: &'a [Stamp],
    /// Arrival times of the other display updates (probe frames left out).
    pub updates: &'a [u64],
    /// The idle window before the first input: (start, end).
    pub idle: Option<(u64, u64)>,
    /// Smallest round trip of the session's connections, µs.
    pub min_rtt_us: Option<u64>,
    /// Where the plan leaves the pointer, when known.
    pub planned_end: Option<(u32, u32)>,
    /// Whether a probe is known to run on the target (the lab's desktop). Without one,
    /// stamp-like frames that match no input are the desktop's own pixels, not a probe that
    /// lost every input.
    pub probe_expected: bool,
}

/// The measured latency, in results form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencyOutcome {
    /// The headline: the probe's when a stamp showed an input, else the fallback's.
    pub headline: LatencySummary,
    /// The fallback's, when the probe is the headline.
    pub first_update_after: Option<LatencySummary>,
    /// What the probe showed, when anything like a stamp arrived.
    pub probe: Option<ProbeStats>,
    /// Checks on the fallback.
    pub sanity: LatencySanity,
}

impl LatencyOutcome {
    /// Writes the outcome into `latency` (input-to-display, comparison, probe, sanity).
    pub fn apply(self, latency: &mut Latency) {
        latency.input_to_display = self.headline.clone();
        self.apply_details(latency);
    }

    /// Writes the outcome as the end-to-end latency (remote-viewer's screen).
    pub fn apply_end_to_end(self, latency: &mut Latency) {
        latency.end_to_end = Some(self.headline.clone());
        self.apply_details(latency);
    }

    fn apply_details(self, latency: &mut Latency) {
        latency.first_update_after = self.first_update_after;
        latency.probe = self.probe;
        latency.sanity = Some(self.sanity);
    }
}

/// Measures latency both ways; `source` names the clock (`"client"`, `"capture"`).
pub fn measure(source: &str, e: &LatencyEvidence<'_>) -> LatencyOutcome {
    let sent: Vec<u64> = e.inputs.iter().map(|i| i.sent).collect();
    let fallback_samples = input_to_display(&sent, e.updates, LATENCY_HORIZON_US);
    let fallback = latency_summary(source, &fallback_samples);
    let sanity = sanity(e, &fallback_samples);
    if e.stamps.is_empty() {
        return LatencyOutcome {
            headline: fallback,
            first_update_after: None,
            probe: None,
            sanity,
        };
    }
    let causal = match_inputs(e.inputs, e.stamps);
    let probe = ProbeStats {
        stamps: e.stamps.len() as u64,
        expected: causal.expected as u64,
        answered: causal.answered as u64,
        missing: causal.missing() as u64,
        foreign_stamps: causal.foreign_stamps as u64,
        final_pointer: causal.last_state.map(|s| [s.x, s.y]),
        planned_end: e.planned_end.map(|(x, y)| [x, y]),
    };
    // Frames that look like stamps but show no input of the run are not a probe to trust.
    if causal.answered == 0 {
        return LatencyOutcome {
            headline: fallback,
            first_update_after: None,
            probe: e.probe_expected.then_some(probe),
            sanity,
        };
    }
    let mut headline = latency_summary(source, &causal.samples());
    headline.method = LatencyMethod::Probe;
    LatencyOutcome {
        headline,
        first_update_after: Some(fallback),
        probe: Some(probe),
        sanity,
    }
}

fn sanity(e: &LatencyEvidence<'_>, fallback_samples: &[u64]) -> LatencySanity {
    let (idle_s, idle_updates) = match e.idle {
        Some((from, to)) if to > from => (
            (to - from) as f64 / 1e6,
            redraws(e.updates.iter().copied().filter(|&u| u >= from && u < to)),
        ),
        _ => (0.0, 0),
    };
    let rate = if idle_s > 0.0 {
        idle_updates as f64 / idle_s
    } else {
        0.0
    };
    // Idle updates arriving at `rate` per second (as a Poisson process) reach an input within
    // the horizon with probability 1 − e^(−rate·H), after a median wait of ln 2 / rate.
    let horizon_s = LATENCY_HORIZON_US as f64 / 1e6;
    let chance_samples = e.inputs.len() as f64 * (1.0 - (-rate * horizon_s).exp());
    let chance_p50_ms = (rate > 0.0).then(|| std::f64::consts::LN_2 / rate * 1000.0);
    let fallback_p50_ms = nearest_rank(&sorted(fallback_samples), 500).map(|us| us as f64 / 1000.0);
    let likely_chance = rate > QUIET_IDLE_UPDATES_PER_S
        && matches!((fallback_p50_ms, chance_p50_ms), (Some(p50), Some(c)) if p50 >= c / 2.0);
    let floor_us = e.min_rtt_us.map(|rtt| rtt / 2);
    LatencySanity {
        idle_s,
        idle_updates,
        idle_updates_per_s: rate,
        inputs: e.inputs.len() as u64,
        chance_samples,
        chance_p50_ms,
        likely_chance,
        impossible_samples: floor_us.map_or(0, |f| {
            fallback_samples.iter().filter(|&&l| l < f).count() as u64
        }),
        floor_ms: floor_us.map(|f| f as f64 / 1000.0),
    }
}

/// Update times (ascending) grouped into redraws: a new redraw starts more than
/// [`REDRAW_GAP_US`] after the previous update.
fn redraws(times: impl Iterator<Item = u64>) -> u64 {
    let mut count = 0;
    let mut last: Option<u64> = None;
    for t in times {
        if last.is_none_or(|l| t.saturating_sub(l) > REDRAW_GAP_US) {
            count += 1;
        }
        last = Some(t);
    }
    count
}

fn sorted(samples: &[u64]) -> Vec<u64> {
    let mut v = samples.to_vec();
    v.sort_unstable();
    v
}

/// Warnings for latency numbers that should not be trusted as they stand.
pub fn latency_warnings(latency: &Latency) -> Vec<Warning> {
    let mut w = Vec::new();
    let probe_is_headline = latency.probe.as_ref().is_some_and(|p| p.answered > 0);
    let fallback = latency
        .first_update_after
        .as_ref()
        .unwrap_or(&latency.input_to_display);
    if let Some(p) = &latency.probe {
        if p.expected > 0 && p.missing as f64 > MISSING_SHARE_WARN * p.expected as f64 {
            w.push(Warning::new(
                WarningCode::ProbeInputsLost,
                format!(
                    "the probe showed no effect for {} of {} pointer inputs: they did not reach \
                 the guest's screen (lost, or the guest merged them)",
                    p.missing, p.expected
                ),
            ));
        }
        if let (Some(seen), Some(planned)) = (p.final_pointer, p.planned_end) {
            if seen != planned {
                w.push(Warning::new(
                    WarningCode::ProbeEndMismatch,
                    format!(
                        "the last probe stamp shows the pointer at ({}, {}) but the plan ends at \
                     ({}, {}): the guest did not follow the input to its end",
                        seen[0], seen[1], planned[0], planned[1]
                    ),
                ));
            }
        }
    }
    if let Some(s) = &latency.sanity {
        let fallback_what = if probe_is_headline {
            "first-update-after comparison"
        } else {
            "latency (first update after each input; no probe on this target)"
        };
        if s.idle_updates_per_s > QUIET_IDLE_UPDATES_PER_S {
            let verdict = if s.likely_chance {
                format!(
                    "its samples look like chance: their median ({} ms) is close to the {:.0} ms \
                     an idle update takes to come along, so they do not measure the input",
                    fallback.p50_ms.map_or("-".into(), |p| format!("{p:.1}")),
                    s.chance_p50_ms.unwrap_or_default()
                )
            } else {
                "its samples are faster than chance, but some may still be idle updates".into()
            };
            w.push(Warning::new(
                WarningCode::IdleUpdates,
                format!(
                "the screen was not quiet while idle ({:.1} updates/s over {:.1} s: a blinking \
                 cursor, a clock?): idle updates alone would give {:.0} of the {} inputs a \
                 sample of the {fallback_what}; {verdict}",
                s.idle_updates_per_s, s.idle_s, s.chance_samples, s.inputs
            ),
            ));
        }
        if s.impossible_samples > 0 {
            w.push(Warning::new(
                WarningCode::ImpossibleLatencySamples,
                format!(
                    "{} samples of the {fallback_what} are shorter than half the network round \
                 trip ({:.3} ms): those updates were on their way before the input left",
                    s.impossible_samples,
                    s.floor_ms.unwrap_or_default()
                ),
            ));
        }
    }
    w
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::probe::PointerState;

    /// The warnings' texts, one a line, for asserting on what they say.
    fn texts(w: &[Warning]) -> String {
        w.iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn state(x: u32) -> PointerState {
        PointerState {
            x,
            y: 1,
            pressed: true,
        }
    }

    #[test]
    fn the_probe_is_the_headline_when_stamps_arrived() {
        let inputs: Vec<StampedInput> = (0..4)
            .map(|i| StampedInput {
                sent: 10_000 * (i + 1),
                state: Some(state(i as u32)),
            })
            .collect();
        // Each stamp 3 ms after its input; an unrelated update 1 ms after each input.
        let stamps: Vec<Stamp> = (0..4)
            .map(|i| Stamp {
                at: 10_000 * (i + 1) + 3_000,
                state: state(i as u32),
            })
            .collect();
        let updates: Vec<u64> = (0..4).map(|i| 10_000 * (i + 1) + 1_000).collect();
        let out = measure(
            "client",
            &LatencyEvidence {
                inputs: &inputs,
                stamps: &stamps,
                updates: &updates,
                idle: Some((0, 10_000)),
                min_rtt_us: Some(100),
                planned_end: Some((3, 1)),
                probe_expected: true,
            },
        );
        assert_eq!(out.headline.method, LatencyMethod::Probe);
        assert_eq!((out.headline.count, out.headline.p50_ms), (4, Some(3.0)));
        let fallback = out.first_update_after.as_ref().unwrap();
        assert_eq!(fallback.method, LatencyMethod::FirstUpdateAfter);
        assert_eq!(fallback.p50_ms, Some(1.0));
        let probe = out.probe.clone().unwrap();
        assert_eq!((probe.expected, probe.answered, probe.missing), (4, 4, 0));
        assert_eq!(probe.final_pointer, probe.planned_end);
        assert_eq!(out.sanity.idle_updates, 0);
        assert_eq!(out.sanity.floor_ms, Some(0.05));
        let mut latency = Latency::default();
        out.apply(&mut latency);
        assert!(
            latency_warnings(&latency).is_empty(),
            "{:?}",
            latency_warnings(&latency)
        );
    }

    #[test]
    fn a_busy_idle_screen_and_impossible_samples_are_flagged() {
        // A cursor blinking every 250 ms and no probe: every input "answered" by a blink.
        let updates: Vec<u64> = (0..40).map(|i| i * 250_000).collect();
        let inputs: Vec<StampedInput> = (0..20)
            .map(|i| StampedInput {
                // Even inputs 200 ms before a blink, odd ones 10 µs before one.
                sent: 2_000_000 + (i / 2) * 250_000 + if i % 2 == 1 { 249_990 } else { 50_000 },
                state: None,
            })
            .collect();
        let out = measure(
            "client",
            &LatencyEvidence {
                inputs: &inputs,
                updates: &updates,
                idle: Some((0, 2_000_000)),
                min_rtt_us: Some(100),
                ..LatencyEvidence::default()
            },
        );
        assert_eq!(out.headline.method, LatencyMethod::FirstUpdateAfter);
        assert!(out.probe.is_none());
        assert_eq!(out.sanity.idle_updates, 8);
        assert!((out.sanity.idle_updates_per_s - 4.0).abs() < 1e-9);
        // At 4 updates/s, idle updates alone reach 98 % of inputs within 1 s, after a median
        // 173 ms. Half these samples are 10 µs, so their median is far below chance's.
        assert!((out.sanity.chance_samples - 20.0 * (1.0 - (-4.0f64).exp())).abs() < 1e-9);
        let chance_p50 = out.sanity.chance_p50_ms.unwrap();
        assert!((chance_p50 - 173.3).abs() < 0.1, "{chance_p50}");
        assert!(!out.sanity.likely_chance);
        // Inputs 10 µs before a blink have 10 µs samples, below the 50 µs floor.
        assert_eq!(out.sanity.impossible_samples, 10, "{:?}", out.sanity);
        let mut latency = Latency::default();
        out.apply(&mut latency);
        let codes: Vec<WarningCode> = latency_warnings(&latency).iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [
                WarningCode::IdleUpdates,
                WarningCode::ImpossibleLatencySamples
            ]
        );
        let w = texts(&latency_warnings(&latency));
        assert!(w.contains("not quiet while idle (4.0 updates/s"), "{w}");
        assert!(w.contains("no probe on this target"), "{w}");
        assert!(
            w.contains("shorter than half the network round trip"),
            "{w}"
        );
    }

    #[test]
    fn samples_that_only_wait_for_the_next_blink_are_flagged_as_chance() {
        // A cursor blinking every 250 ms, each blink three messages within 1 ms, inputs that
        // change nothing: each input's "latency" is just the wait for the next blink.
        let updates: Vec<u64> = (0..80)
            .flat_map(|i| [i * 250_000, i * 250_000 + 300, i * 250_000 + 900])
            .collect();
        let inputs: Vec<StampedInput> = (0..100)
            .map(|i| StampedInput {
                sent: 2_000_000 + i * 97_000,
                state: None,
            })
            .collect();
        let out = measure(
            "client",
            &LatencyEvidence {
                inputs: &inputs,
                updates: &updates,
                idle: Some((0, 2_000_000)),
                ..LatencyEvidence::default()
            },
        );
        assert_eq!(
            out.sanity.idle_updates, 8,
            "three messages per blink are one redraw"
        );
        assert!(out.sanity.likely_chance, "{:?}", out.sanity);
        let mut latency = Latency::default();
        out.apply(&mut latency);
        let w = texts(&latency_warnings(&latency));
        assert!(w.contains("its samples look like chance"), "{w}");
    }

    #[test]
    fn missing_stamps_and_a_wrong_end_point_are_flagged() {
        let inputs: Vec<StampedInput> = (0..10)
            .map(|i| StampedInput {
                sent: i * 1_000,
                state: Some(state(i as u32)),
            })
            .collect();
        // Only the first five inputs ever reached the screen.
        let stamps: Vec<Stamp> = (0..5)
            .map(|i| Stamp {
                at: i * 1_000 + 500,
                state: state(i as u32),
            })
            .collect();
        let out = measure(
            "capture",
            &LatencyEvidence {
                inputs: &inputs,
                stamps: &stamps,
                planned_end: Some((9, 1)),
                probe_expected: true,
                ..LatencyEvidence::default()
            },
        );
        let mut latency = Latency::default();
        out.apply(&mut latency);
        let p = latency.probe.as_ref().unwrap();
        assert_eq!((p.answered, p.missing), (5, 5));
        let codes: Vec<WarningCode> = latency_warnings(&latency).iter().map(|w| w.code).collect();
        assert_eq!(
            codes,
            [WarningCode::ProbeInputsLost, WarningCode::ProbeEndMismatch]
        );
        let w = texts(&latency_warnings(&latency));
        assert!(w.contains("no effect for 5 of 10 pointer inputs"), "{w}");
        assert!(
            w.contains("pointer at (4, 1) but the plan ends at (9, 1)"),
            "{w}"
        );
    }

    #[test]
    fn stamp_like_pixels_without_a_probe_are_not_a_probe() {
        let inputs = [StampedInput {
            sent: 10,
            state: Some(state(1)),
        }];
        // A corner pixel of the desktop that decodes to some state no input had.
        let stamps = [Stamp {
            at: 20,
            state: state(7),
        }];
        let evidence = |probe_expected| LatencyEvidence {
            inputs: &inputs,
            stamps: &stamps,
            updates: &[15],
            probe_expected,
            ..LatencyEvidence::default()
        };
        let out = measure("capture", &evidence(false));
        assert_eq!(out.headline.method, LatencyMethod::FirstUpdateAfter);
        assert_eq!(out.headline.count, 1);
        assert!(out.probe.is_none());
        // On the lab's desktop the probe is there: that it showed nothing is the news.
        let out = measure("client", &evidence(true));
        assert_eq!(out.headline.method, LatencyMethod::FirstUpdateAfter);
        assert_eq!(out.probe.map(|p| p.missing), Some(1));
    }
}
