//! The per-message traffic record the client keeps, and the series keys built from it.

use std::sync::Arc;

/// Which way a message went; the wire layer owns the definition.
pub use crate::wire::names::Direction;

/// The timeline series key of a channel and direction, e.g. `"display/down"`.
pub fn series_key(channel: &str, direction: Direction) -> String {
    format!("{channel}/{}", direction.as_str())
}

/// One message's worth of traffic.
///
/// The key is an `Arc<str>` so a client recording ~10^6 messages clones one shared key
/// per (channel, direction) instead of allocating a string per message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficSample {
    /// When the message was sent or received, µs since the run's epoch.
    pub at_us: u64,
    /// Series key, normally from [`series_key`], e.g. `"display/down"`.
    pub key: Arc<str>,
    /// Message size, header plus body.
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_names_match_the_results_format() {
        assert_eq!(series_key("display", Direction::Down), "display/down");
        assert_eq!(series_key("inputs", Direction::Up), "inputs/up");
        assert_eq!(Direction::Up.to_string(), "up");
        assert_eq!(serde_json::to_string(&Direction::Down).unwrap(), "\"down\"");
        let d: Direction = serde_json::from_str("\"up\"").unwrap();
        assert_eq!(d, Direction::Up);
    }
}
