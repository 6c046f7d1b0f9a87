//! The key of a timeline series and of its rate: a channel and a direction, written
//! `"<channel>/<direction>"` (`"display/down"`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::channel::Channel;
use crate::wire::names::Direction;

/// One (channel, direction) of a timeline (`timeline.series[].key`, `rates[].key`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct SeriesKey {
    /// The channel, or the transport of a connection no channel was read from (`ssh/down`).
    pub channel: Channel,
    /// Which way the bytes went.
    pub direction: Direction,
}

impl SeriesKey {
    /// Display channel, server → client: the bytes every table headlines.
    pub const DISPLAY_DOWN: Self = Self::new(Channel::DISPLAY, Direction::Down);

    /// The key of `channel` in `direction`.
    pub const fn new(channel: Channel, direction: Direction) -> Self {
        Self { channel, direction }
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&format!("{}/{}", self.channel, self.direction.as_str()))
    }
}

impl From<SeriesKey> for String {
    fn from(k: SeriesKey) -> Self {
        k.to_string()
    }
}

/// A series key that is not `<channel>/<direction>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("series key {0:?} is not <channel>/up or <channel>/down")]
pub struct BadSeriesKey(pub String);

impl TryFrom<String> for SeriesKey {
    type Error = BadSeriesKey;

    /// The direction is the part after the last `/`, so a channel name may hold one.
    fn try_from(key: String) -> Result<Self, Self::Error> {
        let Some((channel, direction)) = key.rsplit_once('/') else {
            return Err(BadSeriesKey(key));
        };
        let Some(direction) = [Direction::Down, Direction::Up]
            .into_iter()
            .find(|d| d.as_str() == direction)
        else {
            return Err(BadSeriesKey(key));
        };
        Ok(Self::new(Channel::from(channel.to_string()), direction))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Transport;

    fn read(json: &str) -> Result<SeriesKey, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn keys_read_and_write_as_channel_slash_direction() {
        assert_eq!(read("\"display/down\"").unwrap(), SeriesKey::DISPLAY_DOWN);
        assert_eq!(
            read("\"ssh/up\"").unwrap(),
            SeriesKey::new(Channel::Transport(Transport::Ssh), Direction::Up)
        );
        assert_eq!(
            read("\"a/b/down\"").unwrap().channel,
            Channel::Other("a/b".into())
        );
        for json in ["\"inputs/up\"", "\"type-42/down\"", "\"a/b/down\""] {
            assert_eq!(serde_json::to_string(&read(json).unwrap()).unwrap(), json);
        }
        assert_eq!(SeriesKey::DISPLAY_DOWN.to_string(), "display/down");
    }

    #[test]
    fn malformed_keys_are_errors_not_panics() {
        for json in ["\"display\"", "\"display/sideways\"", "\"\"", "3"] {
            assert!(read(json).is_err(), "{json}");
        }
    }
}
