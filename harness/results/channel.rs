//! Which channel a connection was, and how results know it: the channel name, the relay
//! leg mark and the attribution of a channel the capture could not read itself.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::transport::Transport;
use crate::wire::ChannelType;

/// The channel of a connection, as results name it (`channels[].channel`, `messages[].channel`,
/// the first part of a series key).
///
/// Reading never fails: a name this spicebench does not know (a newer writer's) is kept as
/// [`Channel::Other`] and written back as it was read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Channel {
    /// A SPICE channel: `main`, `display`, `inputs`, `cursor`, `playback`, `record`, `tunnel`,
    /// `smartcard`, `usbredir`, `port`, `webdav`, or `type-N` for a type without a name.
    Spice(ChannelType),
    /// A connection no SPICE channel could be read from, named after what it carried
    /// (`ssh`, `x11`, `tls`, `unknown`).
    Transport(Transport),
    /// A name this spicebench does not know, kept as read.
    Other(String),
}

impl Channel {
    /// The main channel.
    pub const MAIN: Self = Self::Spice(ChannelType::MAIN);
    /// The display channel.
    pub const DISPLAY: Self = Self::Spice(ChannelType::DISPLAY);
    /// The inputs channel.
    pub const INPUTS: Self = Self::Spice(ChannelType::INPUTS);
    /// The cursor channel.
    pub const CURSOR: Self = Self::Spice(ChannelType::CURSOR);

    /// The name in results.
    pub fn name(&self) -> String {
        match self {
            Self::Spice(t) => t.name(),
            Self::Transport(t) => t.as_str().to_string(),
            Self::Other(name) => name.clone(),
        }
    }
}

impl Default for Channel {
    /// A connection nothing is known about: `unknown`.
    fn default() -> Self {
        Self::Transport(Transport::Unknown)
    }
}

impl fmt::Display for Channel {
    /// The name in results; `pad` so tables can align it (`{:<9}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Transport(t) => f.pad(t.as_str()),
            Self::Other(name) => f.pad(name),
            Self::Spice(_) => f.pad(&self.name()),
        }
    }
}

impl From<Channel> for String {
    fn from(c: Channel) -> Self {
        match c {
            Channel::Other(name) => name,
            c => c.name(),
        }
    }
}

impl From<String> for Channel {
    /// SPICE channel names first: `spice`, say, is a transport's name, never a channel's.
    fn from(name: String) -> Self {
        if let Some(t) = ChannelType::from_name(&name) {
            Self::Spice(t)
        } else if let Some(t) = Transport::from_name(&name) {
            Self::Transport(t)
        } else {
            Self::Other(name)
        }
    }
}

/// Which leg of a channel a connection is (`channels[].leg`); absent for the viewer's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Leg {
    /// `relay`: a second plaintext leg of a channel already listed (the far side of an SSH
    /// tunnel captured on the same machine); its bytes repeat the first leg's.
    Relay,
}

impl fmt::Display for Leg {
    /// The name in results, for tables.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Relay => "relay",
        })
    }
}

/// How the channel of a connection is known when the capture cannot read it
/// (`channels[].attribution`); absent when the capture read its link message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Attribution {
    /// `client`: a TLS connection of spicebench's own client, matched by its local socket.
    Client,
    /// `guessed`: a connection captured from its middle, named after the channel its
    /// message types fit.
    Guessed,
}

impl fmt::Display for Attribution {
    /// The name in results, for texts that quote it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Client => "client",
            Self::Guessed => "guessed",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Channel {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn channel_names_read_and_write_back_as_they_were() {
        assert_eq!(read("\"display\""), Channel::DISPLAY);
        assert_eq!(read("\"type-42\""), Channel::Spice(ChannelType(42)));
        assert_eq!(read("\"ssh\""), Channel::Transport(Transport::Ssh));
        assert_eq!(read("\"unknown\""), Channel::default());
        assert_eq!(read("\"hologram\""), Channel::Other("hologram".into()));
        for name in [
            "display", "type-42", "ssh", "unknown", "hologram", "type-2", "",
        ] {
            let json = format!("\"{name}\"");
            assert_eq!(serde_json::to_string(&read(&json)).unwrap(), json);
            assert_eq!(read(&json).to_string(), name);
            assert_eq!(format!("{:<12}|", read(&json)), format!("{name:<12}|"));
        }
    }

    #[test]
    fn leg_and_attribution_names() {
        assert_eq!(serde_json::to_string(&Leg::Relay).unwrap(), "\"relay\"");
        assert_eq!(Leg::Relay.to_string(), "relay");
        assert_eq!(
            serde_json::to_string(&Attribution::Guessed).unwrap(),
            "\"guessed\""
        );
        let a: Attribution = serde_json::from_str("\"client\"").unwrap();
        assert_eq!(a, Attribution::Client);
        for a in [Attribution::Client, Attribution::Guessed] {
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
        }
    }
}
