//! One flag that stops the waits of a run: set when the user interrupts it (a signal), read by
//! every loop that waits for a part to become ready, in the lab and in the X client code it
//! uses. A start-up blocked for seconds (Xorg coming up, an ssh login) then ends within one
//! poll, and everything it started is dropped, so stopped, on its way out.
//!
//! It sits at the bottom of the module layers because both `xclient` and `lab` read it;
//! [`crate::lab::cancel`] adds the lab's typed error.

use std::sync::atomic::{AtomicBool, Ordering};

static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Asks every wait to give up.
pub fn request() {
    CANCELLED.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}
