//! The run's live capture: started on the transport's capture points before the viewer links
//! (so every link message is on it), stopped after the viewer closed.

use std::path::Path;

use super::placement::{Placement, Side};
use super::transport::CapturePoint;
use super::RunError;
use crate::capture::{
    CaptureError, CaptureHandle, LiveCapture, SourceStats, DEFAULT_BUFFER_BYTES, DEFAULT_SNAPLEN,
};
use crate::results::{Warning, WarningCode};

/// A capture in progress.
pub struct RunCapture(CaptureHandle);

impl RunCapture {
    /// Stops the capture and closes its file; returns the kernel's drop counters.
    pub fn stop(self) -> Result<SourceStats, RunError> {
        Ok(self.0.stop()?)
    }
}

/// Starts capturing `points` into `path`, on the server side of `placement` (a capture
/// opened from a thread inside a namespace stays bound to that namespace's device, whichever
/// thread reads it). Nothing to capture (a target off loopback) is a warning, not an error;
/// so far every point must be on one interface.
pub fn start_capture(
    points: &[CapturePoint],
    path: &Path,
    placement: &Placement,
    warnings: &mut Vec<Warning>,
) -> Result<Option<RunCapture>, RunError> {
    let Some(first) = points.first() else {
        warnings.push(Warning::new(
            WarningCode::NoCapture,
            "no capture: the session does not run over loopback, the only interface the lab \
             captures so far",
        ));
        return Ok(None);
    };
    let same: Vec<&CapturePoint> = points
        .iter()
        .filter(|p| p.interface == first.interface)
        .collect();
    if same.len() < points.len() {
        warnings.push(Warning::new(
            WarningCode::InterfacesNotCaptured,
            format!(
                "capturing on {} only; legs on other interfaces are not captured",
                first.interface
            ),
        ));
    }
    let filter = same
        .iter()
        .map(|p| format!("({})", p.filter))
        .collect::<Vec<_>>()
        .join(" or ");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| RunError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let open = || {
        LiveCapture::open(
            &first.interface,
            &filter,
            DEFAULT_SNAPLEN,
            DEFAULT_BUFFER_BYTES,
        )
    };
    let live = placement.run_in(Side::Server, open)?.map_err(|e| match e {
        CaptureError::Permission { .. } => RunError::CapturePermission(e),
        e => RunError::Capture(e),
    })?;
    Ok(Some(RunCapture(live.spawn_to_file(path)?)))
}
