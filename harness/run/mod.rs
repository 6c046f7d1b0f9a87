//! Executes a scenario's configuration matrix and writes one result per configuration.
//!
//! # Layout
//! - [`configuration`]: one configuration, from starting the target to the result file.
//! - [`events_file`]: the events log, written while the run goes.
//! - [`matrix`]: every configuration in turn, with progress and Ctrl-C handling.
//! - [`progress`]: progress reporting (bars on a terminal, lines in logs, quiet).
//! - [`summarize`]: event log → results model.
//! - [`report_files`]: writing a report directory (HTML, Markdown, CSV).
//! - [`wire_merge`]: a run's capture numbers merged into its result.

pub mod configuration;
pub mod events_file;
pub mod matrix;
pub mod progress;
pub mod report_files;
pub mod summarize;
pub mod wire_merge;

pub use configuration::{run_configuration, RunError, RunOptions};
pub use matrix::{run_matrix, MatrixOutcome};
