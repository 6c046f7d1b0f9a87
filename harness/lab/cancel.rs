//! The lab's side of the cancel flag ([`crate::cancel`]): its waits end with
//! [`LabError::Cancelled`] once a stop was requested.

use super::LabError;

pub use crate::cancel::{request, requested};

/// Fails with [`LabError::Cancelled`] once a stop was requested.
pub fn check() -> Result<(), LabError> {
    if requested() {
        Err(LabError::Cancelled)
    } else {
        Ok(())
    }
}
