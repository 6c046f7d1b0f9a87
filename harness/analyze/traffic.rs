//! The per-message traffic record the client keeps, keyed by timeline series.

use std::sync::Arc;

/// Which way a message went; the wire layer owns the definition.
pub use crate::wire::names::Direction;

use crate::results::SeriesKey;

/// One message's worth of traffic.
///
/// The key is an `Arc` so a client recording ~10^6 messages clones one shared key per
/// (channel, direction), and the timeline can tell keys apart by pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficSample {
    /// When the message was sent or received, µs since the run's epoch.
    pub at_us: u64,
    /// The series it counts in, e.g. `display/down`.
    pub key: Arc<SeriesKey>,
    /// Message size, header plus body.
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_names_match_the_results_format() {
        assert_eq!(Direction::Up.to_string(), "up");
        assert_eq!(serde_json::to_string(&Direction::Down).unwrap(), "\"down\"");
        let d: Direction = serde_json::from_str("\"up\"").unwrap();
        assert_eq!(d, Direction::Up);
    }
}
