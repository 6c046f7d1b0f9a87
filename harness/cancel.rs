//! A run's stop token: set when the user interrupts that run (a signal), read by every loop
//! that waits for one of its parts to become ready, in the lab and in the X client code it
//! uses. A start-up blocked for seconds (Xorg coming up, an ssh login) then ends within one
//! poll, and everything it started is dropped, so stopped, on its way out.
//!
//! Each run holds its own token and hands clones to the parts it starts, so stopping one run
//! never ends the waits of another in the same process (the tests run many at once). It sits
//! at the bottom of the module layers because both `xclient` and `lab` read it;
//! [`crate::lab::cancel`] adds the lab's typed error.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One run's stop request; clones share it. The default token is never stopped unless
/// [`Cancel::request`] is called on it or a clone.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A fresh token, not stopped.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every wait that holds this token (or a clone) to give up.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_reaches_clones_and_no_other_token() {
        let run = Cancel::new();
        let part = run.clone();
        let other_run = Cancel::new();
        run.request();
        assert!(part.requested());
        assert!(!other_run.requested());
    }
}
