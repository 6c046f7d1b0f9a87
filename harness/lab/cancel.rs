//! One flag that stops the lab's waits: set when the user interrupts a run (a signal), read by
//! every loop that waits for a part to become ready. A start-up blocked for seconds (Xorg
//! coming up, an ssh login) then ends within one poll, and everything it started is dropped,
//! so stopped, on its way out.

use std::sync::atomic::{AtomicBool, Ordering};

use super::LabError;

static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Asks every lab wait to give up.
pub fn request() {
    CANCELLED.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}

/// Fails with [`LabError::Cancelled`] once a stop was requested.
pub fn check() -> Result<(), LabError> {
    if requested() {
        Err(LabError::Cancelled)
    } else {
        Ok(())
    }
}
