//! Progress of a matrix run, reported through a trait so the command line can draw bars on a
//! terminal, print plain lines into a CI log, or stay quiet, while the runner stays the same.

/// Where a configuration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Starting Xspice and its desktop (or resolving an external target).
    StartingTarget,
    /// Linking the SPICE channels and waiting for the initial screen.
    Connecting,
    /// Measuring the idle baseline.
    Idle,
    /// Playing the input plan.
    Inputs {
        /// Inputs sent so far.
        sent: u64,
        /// Inputs in the plan.
        total: u64,
    },
    /// Waiting for a `wait_for` step's condition.
    Waiting,
    /// Waiting for the display to go quiet.
    Settling,
    /// Analysing the capture and writing the result.
    Analyzing,
}

impl Phase {
    /// A short label.
    pub fn label(&self) -> String {
        match self {
            Self::StartingTarget => "starting the target".into(),
            Self::Connecting => "connecting".into(),
            Self::Idle => "idle baseline".into(),
            Self::Inputs { sent, total } => format!("inputs {sent}/{total}"),
            Self::Waiting => "waiting (wait_for)".into(),
            Self::Settling => "settling".into(),
            Self::Analyzing => "analysing the capture".into(),
        }
    }
}

/// Receives progress.
pub trait Progress: Send + Sync {
    /// A line worth keeping (a configuration finished or failed, a report was written).
    fn line(&self, text: &str);
    /// Configuration `index` (0-based) of `total` starts.
    fn config_started(&self, index: usize, total: usize, name: &str);
    /// The current configuration moved on.
    fn phase(&self, phase: Phase);
    /// The current configuration ended (after its line).
    fn config_finished(&self);
}

/// Plain lines on standard error (for logs), or nothing at all when quiet.
#[derive(Debug, Clone, Copy)]
pub struct LineProgress {
    /// Print nothing.
    pub quiet: bool,
}

impl Progress for LineProgress {
    fn line(&self, text: &str) {
        if !self.quiet {
            crate::errln!("{text}");
        }
    }
    fn config_started(&self, _: usize, _: usize, _: &str) {}
    fn phase(&self, _: Phase) {}
    fn config_finished(&self) {}
}
