//! The signals that end a sweep early: SIGINT (Ctrl-C), SIGTERM (a service manager, `kill`,
//! a CI timeout) and SIGHUP (the terminal went away). Each is handled the same way: the
//! current configuration is stopped (its processes stopped, its capture closed cleanly),
//! finished results and the report stay, and the exit status says which signal it was.
//!
//! The handlers are installed before the first configuration starts: until then the default
//! action (die at once) would apply and cut a capture mid-block.

use std::fmt;

use tokio::signal::unix::{signal, SignalKind};

use crate::cancel::Cancel;
use tokio::sync::watch;

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

/// The installed handlers. A task of their own receives the signals: it requests the sweep's
/// stop token at once (a start-up blocked in the lab stops within one poll), then tells the
/// sweep.
#[derive(Debug)]
pub struct Interrupts {
    received: watch::Receiver<Option<Interrupt>>,
    cancel: Cancel,
}

impl Interrupts {
    /// Installs handlers for SIGINT, SIGTERM and SIGHUP (inside a tokio runtime).
    pub fn install() -> std::io::Result<Self> {
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        let mut hup = signal(SignalKind::hangup())?;
        let (tx, received) = watch::channel(None);
        let cancel = Cancel::new();
        let stop = cancel.clone();
        tokio::spawn(async move {
            loop {
                let which = tokio::select! {
                    _ = int.recv() => Interrupt::Int,
                    _ = term.recv() => Interrupt::Term,
                    _ = hup.recv() => Interrupt::Hup,
                };
                stop.request();
                // The first signal decides the exit status.
                tx.send_if_modified(|s| {
                    let first = s.is_none();
                    if first {
                        *s = Some(which);
                    }
                    first
                });
            }
        });
        Ok(Self { received, cancel })
    }

    /// The stop token the signals request: hand it to what the sweep starts.
    pub fn cancel(&self) -> Cancel {
        self.cancel.clone()
    }

    /// Waits for the first signal.
    pub async fn next(&mut self) -> Interrupt {
        loop {
            if let Some(s) = *self.received.borrow_and_update() {
                return s;
            }
            if self.received.changed().await.is_err() {
                // The handler task is gone; nothing will arrive.
                std::future::pending::<()>().await;
            }
        }
    }

    /// The signal received so far, if any.
    pub fn received(&self) -> Option<Interrupt> {
        *self.received.borrow()
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
