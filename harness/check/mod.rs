//! Regression checks against recorded real captures: `spicebench record` promotes a run's
//! capture into `recordings/<name>/`, and `spicebench check` re-analyses every recording and
//! compares the result with its `expected.json`.
//!
//! # Layout
//! - [`recording`]: the layout of one recording folder and its metadata.
//! - [`metrics`]: a result flattened into named numbers.
//! - [`tolerance`]: which metrics may move, and by how much.
//! - [`compare`]: expected vs got, metric by metric.

pub mod compare;
pub mod metrics;
pub mod recording;
pub mod tolerance;

pub use compare::{compare, Difference};
pub use recording::{CheckError, Recording};
pub use tolerance::Tolerances;
