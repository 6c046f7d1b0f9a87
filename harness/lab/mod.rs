//! Real parts spicebench starts itself: the embedded Xspice target and its desktop.
//!
//! Every process started here is a [`ManagedChild`](process::ManagedChild): it is stopped
//! (SIGTERM, then SIGKILL) when dropped, so every exit path — success, error, Ctrl-C handled by
//! the runner — cleans up. Each child also gets `PR_SET_PDEATHSIG`, so even if spicebench itself
//! is killed outright, the kernel stops what it started.
//!
//! # Layout
//! - [`process`]: spawning and stopping children, by PID.
//! - [`ports`]: free loopback ports and X display numbers.
//! - [`xspice`]: Xorg with the spiceqxl driver (the fixed config from `shared/LAB.md`).
//! - [`desktop`]: window manager, picture background and the window to drag.
//! - [`x11`]: reading window geometry back from the X server (for tests and checks).

pub mod desktop;
pub mod ports;
pub mod process;
pub mod x11;
pub mod xspice;

pub use desktop::Desktop;
pub use xspice::{Xspice, XspiceConfig};

use std::path::PathBuf;

/// Why the lab could not start or keep a part running, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A program is not installed.
    #[error(
        "`{program}` is not installed ({package}); install it with: apt-get install {package}"
    )]
    Missing {
        /// Program path or name.
        program: String,
        /// Debian package that provides it.
        package: String,
    },
    /// A program could not be started.
    #[error("could not start `{program}`: {source}")]
    Spawn {
        /// Program.
        program: String,
        /// OS error.
        source: std::io::Error,
    },
    /// The server refused one of its settings and exited.
    #[error("Xspice rejected its configuration: {line} (see {log}); check the scenario's target settings")]
    Rejected {
        /// The log line that says why.
        line: String,
        /// Log file.
        log: PathBuf,
    },
    /// A program exited while it should be running.
    #[error("`{program}` exited during start-up ({status}); its log: {log}")]
    Exited {
        /// Program.
        program: String,
        /// Exit status.
        status: String,
        /// Where its output went.
        log: PathBuf,
    },
    /// A part did not become ready in time.
    #[error("{what} was not ready after {seconds:.1} s; see {log}")]
    NotReady {
        /// What we waited for.
        what: String,
        /// How long.
        seconds: f64,
        /// Log to read.
        log: PathBuf,
    },
    /// The screen size is not one the driver offers.
    #[error("Xspice came up at {got} instead of the requested {wanted}; use a standard mode such as 1024x768, 1280x1024 or 1920x1080")]
    Geometry {
        /// Requested.
        wanted: String,
        /// Obtained.
        got: String,
    },
    /// File system trouble in the run directory.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// OS error.
        source: std::io::Error,
    },
}
