//! What a scenario's run does: the configurations it measures (the matrix of its axes) and
//! what each sends, its steps expanded into the exact, reproducible list of timed input events
//! (cut into segments where the run waits), from a seed.

mod input;
mod matrix;

pub use input::{
    input_plan, run_plan, BurstPlan, InputAction, InputPlan, PlannedInput, RunPlan, Segment,
    CLICK_GAP, KEY_GAP,
};
pub use matrix::{configurations, knob_combinations, Configuration, ServerKnobs};
