//! The signals that end a sweep early: SIGINT (Ctrl-C), SIGTERM (a service manager, `kill`,
//! a CI timeout) and SIGHUP (the terminal went away). Each is handled the same way: the
//! current configuration is stopped (its processes stopped, its capture closed cleanly),
//! finished results and the report stay, and the exit status says which signal it was.
//!
//! The handlers are installed before the first configuration starts: until then the default
//! action (die at once) would apply and cut a capture mid-block.

use std::fmt;

use tokio::signal::unix::{signal, Signal, SignalKind};

/// Which signal ended the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT.
    Int,
    /// SIGTERM.
    Term,
    /// SIGHUP.
    Hup,
}

impl Interrupt {
    /// The conventional exit status: 128 + the signal number.
    pub fn exit_code(self) -> u8 {
        128 + match self {
            Self::Int => libc::SIGINT,
            Self::Term => libc::SIGTERM,
            Self::Hup => libc::SIGHUP,
        } as u8
    }
}

impl fmt::Display for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Int => "interrupted (SIGINT)",
            Self::Term => "terminated (SIGTERM)",
            Self::Hup => "hung up (SIGHUP)",
        })
    }
}

/// The installed handlers.
#[derive(Debug)]
pub struct Interrupts {
    int: Signal,
    term: Signal,
    hup: Signal,
}

impl Interrupts {
    /// Installs handlers for SIGINT, SIGTERM and SIGHUP (inside a tokio runtime).
    pub fn install() -> std::io::Result<Self> {
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// Waits for the next of the three.
    pub async fn next(&mut self) -> Interrupt {
        tokio::select! {
            _ = self.int.recv() => Interrupt::Int,
            _ = self.term.recv() => Interrupt::Term,
            _ = self.hup.recv() => Interrupt::Hup,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(Interrupt::Int.exit_code(), 130);
        assert_eq!(Interrupt::Term.exit_code(), 143);
        assert_eq!(Interrupt::Hup.exit_code(), 129);
        assert_eq!(Interrupt::Term.to_string(), "terminated (SIGTERM)");
    }
}
