//! What a run sends: a scenario's steps expanded into the exact, reproducible list of timed
//! input events of one run (cut into segments where the run waits), from a seed.

mod input;
mod keys;

pub use input::{
    input_plan, run_plan, BurstPlan, InputAction, InputPlan, PlannedInput, RunPlan, Segment,
    CLICK_GAP, KEY_GAP,
};
