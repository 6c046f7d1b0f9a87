//! Causal matching: each input to the first probe frame that shows its effect.
//!
//! The guest processes inputs in order and the probe paints the state after the inputs it has
//! seen, so the stamps a viewer receives show a non-decreasing position in the input sequence
//! (a server may drop a stamp that a newer one covers, never reorder them). A stamp showing the
//! state of input *j* therefore answers *j* and every earlier input not yet answered: their
//! effect is on screen from that frame on. When a state occurs more than once in the sequence
//! (a path that revisits a pixel), the earliest unanswered occurrence is taken, so a latency is
//! never credited to an input the guest may not have reached.

use std::collections::HashMap;

use super::pointer::PointerState;
use super::stamp::{encode, Stamp};

/// An input as the matcher sees it: when it left, and the state it should make the probe show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StampedInput {
    /// Send time (same clock and unit as the stamps).
    pub sent: u64,
    /// The state the probe shows after it; `None` when no stamp is expected (keys, relative
    /// motion, positions beyond the colour code).
    pub state: Option<PointerState>,
}

/// What the matching found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CausalMatch {
    /// Per input, in the order given: time to the frame that first showed its effect; `None`
    /// when none did (or no stamp was expected).
    pub latency: Vec<Option<u64>>,
    /// Inputs that expected a stamp.
    pub expected: usize,
    /// Of those, inputs whose effect a stamp showed.
    pub answered: usize,
    /// Stamps that showed neither an input's state nor a repeat of the last one answered
    /// (another program painting in the corner, or inputs the run did not send).
    pub foreign_stamps: usize,
    /// The state of the last stamp, the pointer's final state as the guest saw it.
    pub last_state: Option<PointerState>,
}

impl CausalMatch {
    /// Expected stamps that never came.
    pub fn missing(&self) -> usize {
        self.expected - self.answered
    }

    /// The latencies of the answered inputs, in input order.
    pub fn samples(&self) -> Vec<u64> {
        self.latency.iter().flatten().copied().collect()
    }
}

/// Matches `inputs` (in send order) to `stamps` (in arrival order). Linear in both after an
/// index of input states.
pub fn match_inputs(inputs: &[StampedInput], stamps: &[Stamp]) -> CausalMatch {
    let mut by_state: HashMap<PointerState, Vec<usize>> = HashMap::new();
    let mut expected = 0;
    for (i, input) in inputs.iter().enumerate() {
        if let Some(state) = input.state.filter(|&s| encode(s).is_some()) {
            by_state.entry(state).or_default().push(i);
            expected += 1;
        }
    }
    let mut result = CausalMatch {
        latency: vec![None; inputs.len()],
        expected,
        ..CausalMatch::default()
    };
    // Inputs before `next` are answered (or expected nothing).
    let mut next = 0;
    let mut last_answered: Option<PointerState> = None;
    for stamp in stamps {
        result.last_state = Some(stamp.state);
        let candidates = by_state.get(&stamp.state).map_or(&[][..], |v| v.as_slice());
        let first_unanswered = candidates.partition_point(|&i| i < next);
        let answers = candidates
            .get(first_unanswered)
            .copied()
            .filter(|&j| inputs[j].sent < stamp.at);
        match answers {
            Some(j) => {
                let answered = inputs[next..=j].iter().zip(&mut result.latency[next..=j]);
                for (input, latency) in answered {
                    if input.state.is_some_and(|s| by_state.contains_key(&s)) {
                        *latency = Some(stamp.at - input.sent);
                        result.answered += 1;
                    }
                }
                next = j + 1;
                last_answered = Some(stamp.state);
            }
            // A repaint of the state already answered (an Expose, a duplicate event).
            None if last_answered == Some(stamp.state) => {}
            // The state the probe showed before the first input, or a state of an input
            // already answered by a later frame's arrival: neither is progress.
            None if candidates.first().is_some_and(|&i| i < next) => {}
            None if next == 0 => {}
            None => result.foreign_stamps += 1,
        }
    }
    result
}

#[cfg(test)]
mod test {
    use super::*;

    fn at(x: u32) -> Option<PointerState> {
        Some(PointerState {
            x,
            y: 5,
            pressed: true,
        })
    }

    fn input(sent: u64, x: u32) -> StampedInput {
        StampedInput { sent, state: at(x) }
    }

    fn stamp(time: u64, x: u32) -> Stamp {
        Stamp {
            at: time,
            state: at(x).unwrap(),
        }
    }

    #[test]
    fn each_input_gets_the_frame_that_shows_it() {
        let inputs = [input(0, 1), input(10, 2), input(20, 3)];
        let m = match_inputs(&inputs, &[stamp(4, 1), stamp(17, 2), stamp(26, 3)]);
        assert_eq!(m.latency, vec![Some(4), Some(7), Some(6)]);
        assert_eq!((m.expected, m.answered, m.missing()), (3, 3, 0));
        assert_eq!(m.last_state, at(3));
    }

    #[test]
    fn a_dropped_stamp_is_answered_by_the_next_frame() {
        // The server replaced the stamp of input 2 by that of input 3.
        let inputs = [input(0, 1), input(10, 2), input(20, 3)];
        let m = match_inputs(&inputs, &[stamp(4, 1), stamp(30, 3)]);
        assert_eq!(m.latency, vec![Some(4), Some(20), Some(10)]);
        assert_eq!(m.samples(), vec![4, 20, 10]);
    }

    #[test]
    fn updates_that_are_not_stamps_of_later_inputs_answer_nothing() {
        let inputs = [input(10, 1), input(20, 2)];
        // A frame painted before the input left cannot answer it, even with its colour; the
        // state from before the first input is not foreign.
        let m = match_inputs(&inputs, &[stamp(5, 9), stamp(8, 1), stamp(12, 7)]);
        assert_eq!(m.latency, vec![None, None]);
        assert_eq!((m.answered, m.missing(), m.foreign_stamps), (0, 2, 0));
        // After the first answer, an unknown colour is foreign and a repeat is not.
        let m = match_inputs(&inputs, &[stamp(13, 1), stamp(14, 1), stamp(15, 7)]);
        assert_eq!(m.latency, vec![Some(3), None]);
        assert_eq!(m.foreign_stamps, 1);
    }

    #[test]
    fn a_revisited_state_answers_its_earliest_unanswered_occurrence() {
        // The path goes 1, 2, 1: a frame showing 1 after all three left answers the first only.
        let inputs = [input(0, 1), input(10, 2), input(20, 1)];
        let m = match_inputs(&inputs, &[stamp(25, 1), stamp(40, 1)]);
        assert_eq!(m.latency, vec![Some(25), Some(30), Some(20)]);
        // Without the second frame the later inputs stay unanswered.
        let m = match_inputs(&inputs, &[stamp(25, 1)]);
        assert_eq!(m.latency, vec![Some(25), None, None]);
    }

    #[test]
    fn inputs_without_an_expected_stamp_are_not_counted() {
        let inputs = [
            StampedInput {
                sent: 0,
                state: None,
            },
            input(5, 1),
        ];
        let m = match_inputs(&inputs, &[stamp(9, 1)]);
        assert_eq!(m.latency, vec![None, Some(4)]);
        assert_eq!((m.expected, m.answered), (1, 1));
        assert_eq!(match_inputs(&[], &[stamp(1, 1)]).foreign_stamps, 0);
    }
}
