//! The viewer dials the SPICE port itself: nothing to start, one capture point on the
//! target's port (when the target is on loopback).

use super::{CapturePoint, Transport};
use crate::run::target::Endpoint;
use crate::scenario::Route;

/// The direct transport.
#[derive(Debug)]
pub struct Direct {
    target: Endpoint,
}

impl Direct {
    /// Direct to `target`.
    pub fn new(target: Endpoint) -> Self {
        Self { target }
    }
}

impl Transport for Direct {
    fn route(&self) -> Route {
        Route::DIRECT
    }

    fn viewer_endpoint(&self) -> Endpoint {
        self.target.clone()
    }

    fn capture_points(&self) -> Vec<CapturePoint> {
        if self.target.is_loopback() {
            vec![CapturePoint::loopback_ports(&[self.target.port])]
        } else {
            Vec::new()
        }
    }
}
