//! SPICE channel types (`spice-protocol.md` §3) and their report names.

use std::fmt;

/// A channel type as carried in the client's link message. Unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelType(pub u8);

impl ChannelType {
    /// Session control, net test, channel list.
    pub const MAIN: Self = Self(1);
    /// Surfaces, draw operations, video streams.
    pub const DISPLAY: Self = Self(2);
    /// Keyboard and mouse from the client.
    pub const INPUTS: Self = Self(3);
    /// Cursor shape and position.
    pub const CURSOR: Self = Self(4);
    /// Audio to the client.
    pub const PLAYBACK: Self = Self(5);
    /// Audio from the client.
    pub const RECORD: Self = Self(6);
    /// Obsolete tunnel channel.
    pub const TUNNEL: Self = Self(7);
    /// Smartcard passthrough.
    pub const SMARTCARD: Self = Self(8);
    /// USB redirection.
    pub const USBREDIR: Self = Self(9);
    /// Named ports.
    pub const PORT: Self = Self(10);
    /// WebDAV folder sharing.
    pub const WEBDAV: Self = Self(11);

    /// The lower-case name used in results ("display"), or `"type-N"` for unknown types.
    pub fn name(self) -> String {
        match self.known_name() {
            Some(n) => n.to_string(),
            None => format!("type-{}", self.0),
        }
    }

    /// The type [`ChannelType::name`] gives `name`: a known name, or `"type-N"` for a type
    /// without one. Only that one spelling reads (not `"type-2"` for display, nor
    /// `"type-042"`), so a name read and written again is the same text.
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some(t) = (0..=u8::MAX)
            .map(Self)
            .find(|t| t.known_name() == Some(name))
        {
            return Some(t);
        }
        let t = Self(name.strip_prefix("type-")?.parse().ok()?);
        (t.name() == name).then_some(t)
    }

    /// The name of a known channel type.
    pub fn known_name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "main",
            2 => "display",
            3 => "inputs",
            4 => "cursor",
            5 => "playback",
            6 => "record",
            7 => "tunnel",
            8 => "smartcard",
            9 => "usbredir",
            10 => "port",
            11 => "webdav",
            _ => return None,
        })
    }
}

impl fmt::Display for ChannelType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn names_known_and_unknown_types() {
        assert_eq!(ChannelType::DISPLAY.name(), "display");
        assert_eq!(ChannelType(3).to_string(), "inputs");
        assert_eq!(ChannelType(42).name(), "type-42");
        assert_eq!(ChannelType::from_name("inputs"), Some(ChannelType::INPUTS));
        assert_eq!(ChannelType::from_name("type-42"), Some(ChannelType(42)));
        assert_eq!(ChannelType::from_name("type-2"), None);
        assert_eq!(ChannelType::from_name("type-x"), None);
        assert_eq!(ChannelType::from_name("ssh"), None);
    }
}
