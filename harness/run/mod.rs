//! Executes a scenario's configuration matrix and writes one result per configuration.
//!
//! # Layout
//! - [`target`], [`transport`], [`viewer`]: the three interfaces a configuration is run over
//!   (what is measured, how it is reached, what shows it), each kind in its own module.
//! - [`placement`]: where the server side and the viewer side run (two linked namespaces
//!   for the `lan` transport).
//! - [`backends`]: how those three are started: the real lab, or fakes in unit tests.
//! - [`configuration`]: one configuration, in short phases over those interfaces.
//! - [`capture`]: the live capture of the transport's capture points.
//! - [`events_file`]: the events log, written while the run goes.
//! - [`matrix`]: every configuration in turn, with progress and signal handling.
//! - [`interrupt`]: SIGINT, SIGTERM and SIGHUP, handled alike.
//! - [`preflight`]: refusing at once a run this process lacks the privileges for.
//! - [`progress`]: progress reporting (bars on a terminal, lines in logs, quiet).
//! - [`summarize`]: what a viewer recorded → results model.
//! - [`report_files`]: writing a report directory (HTML, Markdown, CSV).
//! - [`wire_merge`]: a run's capture numbers merged into its result.

pub mod backends;
pub mod capture;
pub mod configuration;
pub mod events_file;
#[cfg(test)]
mod fake_lab;
pub mod interrupt;
pub mod matrix;
pub mod placement;
pub mod preflight;
pub mod progress;
pub mod report_files;
pub mod summarize;
pub mod switches;
pub mod target;
pub mod transport;
pub mod viewer;
pub mod waits;
pub mod wire_merge;

use std::path::PathBuf;

pub use backends::{Backends, Lab};
pub use configuration::{run_configuration, RunOptions};
pub use matrix::{run_matrix, MatrixOutcome};

use crate::capture::CaptureError;
use crate::client::ClientError;
use crate::lab::LabError;
use target::password::PasswordError;

/// Why a configuration could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The lab could not start the target or the transport.
    #[error("{0}")]
    Lab(#[from] LabError),
    /// A route this target cannot take (the scenario's rules refuse it first).
    #[error("{0}")]
    Access(#[from] crate::scenario::AccessError),
    /// Our client could not connect or link.
    #[error("{0}")]
    Client(#[from] ClientError),
    /// The viewer could not be started or connected.
    #[error("{0}")]
    Viewer(String),
    /// The password source failed.
    #[error("{0}")]
    Password(#[from] PasswordError),
    /// A `wait_for` step's condition never came true.
    #[error("{0}")]
    Wait(#[from] waits::WaitFailed),
    /// The session broke during the measurement.
    #[error("the session ended during the run: {reason}{hint}")]
    SessionDied {
        /// What closed.
        reason: String,
        /// What the lab knows (e.g. Xspice exited).
        hint: String,
    },
    /// Capturing or reading the capture failed.
    #[error("capture: {0}")]
    Capture(#[from] CaptureError),
    /// The live capture lacks privilege.
    #[error("capture: {0}; or measure without wire numbers: spicebench run --no-capture")]
    CapturePermission(CaptureError),
    /// Writing results failed.
    #[error("writing {}: {source}", path.display())]
    Write {
        /// File.
        path: PathBuf,
        /// OS error.
        source: std::io::Error,
    },
}
