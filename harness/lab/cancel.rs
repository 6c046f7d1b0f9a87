//! The lab's side of a run's stop token ([`crate::cancel`]): its waits end with
//! [`LabError::Cancelled`] once that run asked to stop.

use super::LabError;

pub use crate::cancel::Cancel;

/// Fails with [`LabError::Cancelled`] once `cancel` was requested.
pub fn check(cancel: &Cancel) -> Result<(), LabError> {
    if cancel.requested() {
        Err(LabError::Cancelled)
    } else {
        Ok(())
    }
}
