//! The run's epoch: one monotonic instant and the wall-clock time it corresponds to.
//!
//! Every timestamp the client records is microseconds since this epoch, so client events and
//! (later) capture timestamps can be put on one axis via [`Clock::wall_at_epoch`].

use std::time::{Duration, Instant, SystemTime};

/// Monotonic microsecond clock anchored to a wall-clock time.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    epoch: Instant,
    wall: SystemTime,
}

impl Clock {
    /// Starts a clock now.
    pub fn start() -> Self {
        Self {
            epoch: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    /// Microseconds since the epoch.
    pub fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// The instant `us` microseconds after the epoch.
    pub fn instant_at(&self, us: u64) -> Instant {
        self.epoch + Duration::from_micros(us)
    }

    /// Wall-clock time of the epoch.
    pub fn wall_at_epoch(&self) -> SystemTime {
        self.wall
    }
}
