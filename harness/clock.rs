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

    /// Starts a clock whose epoch is `grid(now)`, a wall-clock time at or before now (ns since
    /// the Unix epoch in and out), e.g. the start of the current timeline bin, so that a
    /// capture of the run analysed later draws its bins on the run's own edges. A `grid`
    /// that returns a later time, or an epoch the monotonic clock cannot reach back to,
    /// leaves the epoch at now.
    pub fn start_on_grid(grid: impl FnOnce(u64) -> u64) -> Self {
        let now = Self::start();
        let Ok(wall_ns) = now.wall.duration_since(SystemTime::UNIX_EPOCH) else {
            return now;
        };
        let wall_ns = u64::try_from(wall_ns.as_nanos()).unwrap_or(u64::MAX);
        let back = Duration::from_nanos(wall_ns.saturating_sub(grid(wall_ns).min(wall_ns)));
        match (now.epoch.checked_sub(back), now.wall.checked_sub(back)) {
            (Some(epoch), Some(wall)) => Self { epoch, wall },
            _ => now,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_on_a_grid_starts_at_the_grid_line_before_now() {
        const STEP_NS: u64 = 100_000_000;
        let c = Clock::start_on_grid(|ns| ns - ns % STEP_NS);
        let wall_ns = c
            .wall_at_epoch()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        assert_eq!(wall_ns % STEP_NS, 0);
        // The epoch is at most one step back (plus the time this test takes).
        assert!(c.now_us() < STEP_NS / 1_000 + 1_000_000, "{}", c.now_us());
        // A grid that points into the future is ignored.
        let c = Clock::start_on_grid(|ns| ns + STEP_NS);
        assert!(c.now_us() < 1_000_000);
    }
}
