//! What one TCP connection of a session carried, in the names results give it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a connection carried (DESIGN.md, "Transport"): decided by the capture analyser from
/// its first bytes, or, for `spice-tls`, by a run whose own client knows its TLS channels.
///
/// Reading is tolerant: a name this spicebench does not know (a newer writer's) reads as
/// [`Transport::Unknown`] rather than failing the whole file. The variant order is the order
/// `transports` lists them in.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(into = "&'static str", from = "String")]
pub enum Transport {
    /// `spice`: plain SPICE, the client's first bytes are the `REDQ` link magic.
    Spice,
    /// `tls`: a TLS handshake record (`16 03`); SPICE over TLS, or anything else over TLS.
    Tls,
    /// `spice-tls`: a TLS connection a run knows is SPICE (its own client's, or any TLS
    /// connection to a TLS target); the capture alone only knows `tls`.
    SpiceTls,
    /// `ssh`: either side's first bytes are an `SSH-` banner (a tunnel or X forwarding).
    Ssh,
    /// `x11`: the client's X11 connection setup.
    X11,
    /// `unknown`: not recognised, or the connection's start was not captured.
    #[default]
    Unknown,
}

impl Transport {
    /// Every transport, in [`Transport`]'s order.
    pub const ALL: [Self; 6] = [
        Self::Spice,
        Self::Tls,
        Self::SpiceTls,
        Self::Ssh,
        Self::X11,
        Self::Unknown,
    ];

    /// The name in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spice => "spice",
            Self::Tls => "tls",
            Self::SpiceTls => "spice-tls",
            Self::Ssh => "ssh",
            Self::X11 => "x11",
            Self::Unknown => "unknown",
        }
    }

    /// The transport named `name`, or `None` for a name results never give one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for Transport {
    /// The name in results; `pad` so tables can align it (`{:<9}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl From<Transport> for &'static str {
    fn from(t: Transport) -> Self {
        t.as_str()
    }
}

impl From<String> for Transport {
    fn from(name: String) -> Self {
        Self::from_name(&name).unwrap_or(Self::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_read_as_unknown() {
        for t in Transport::ALL {
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<Transport>(&json).unwrap(), t);
        }
        assert_eq!(
            serde_json::from_str::<Transport>("\"quic\"").unwrap(),
            Transport::Unknown
        );
        assert!(serde_json::from_str::<Transport>("7").is_err());
    }
}
