//! How a configuration's viewer reached the server and which viewer it was
//! (`config.transport`, `config.viewer`): the scenario's own kinds, plus the other values
//! results have carried.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::transport::Transport;
use crate::scenario::{TransportKind, ViewerKind};

/// `config.transport`. Reading never fails: a text none of the variants names is kept as
/// [`ConfigTransport::Other`] and written back as it was read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum ConfigTransport {
    /// A run's route: `direct`, `ssh-tunnel` or `ssh-x`; for `spicebench analyze`, what the
    /// capture shows of one (SSH with X11 inside is `ssh-x`).
    Access(TransportKind),
    /// What `spicebench analyze` saw when no route fits (`tls`, `x11`, `unknown`), and
    /// `spice`, which results written before 0.2 say for `direct`.
    Seen(Transport),
    /// Any other text (empty when never set).
    Other(String),
}

impl ConfigTransport {
    /// The route this transport is, with the `spice` of results before 0.2 read as `direct`.
    pub fn route(&self) -> Option<TransportKind> {
        match self {
            Self::Access(k) => Some(*k),
            Self::Seen(Transport::Spice) => Some(TransportKind::Direct),
            Self::Seen(_) | Self::Other(_) => None,
        }
    }
}

impl Default for ConfigTransport {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

impl fmt::Display for ConfigTransport {
    /// The text in results; `pad` so tables can align it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Access(k) => k.as_str(),
            Self::Seen(t) => t.as_str(),
            Self::Other(text) => text,
        })
    }
}

impl From<ConfigTransport> for String {
    fn from(t: ConfigTransport) -> Self {
        match t {
            ConfigTransport::Other(text) => text,
            t => t.to_string(),
        }
    }
}

impl From<String> for ConfigTransport {
    fn from(text: String) -> Self {
        if let Ok(k) = text.parse() {
            Self::Access(k)
        } else if let Some(t) = Transport::from_name(&text) {
            Self::Seen(t)
        } else {
            Self::Other(text)
        }
    }
}

/// `config.viewer`. Reading never fails: a text none of the variants names is kept as
/// [`ConfigViewer::Other`] and written back as it was read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum ConfigViewer {
    /// `spicebench` or `remote-viewer`.
    Kind(ViewerKind),
    /// Results written before 0.2 carried the version in the same field
    /// (`"spicebench 0.1.0"`): the kind it names, and the text as read.
    Versioned(ViewerKind, String),
    /// `unknown`: `spicebench analyze` cannot tell from a capture.
    Unknown,
    /// Any other text (empty when never set).
    Other(String),
}

impl ConfigViewer {
    /// The kind of viewer, when the text names one.
    pub fn kind(&self) -> Option<ViewerKind> {
        match self {
            Self::Kind(k) | Self::Versioned(k, _) => Some(*k),
            Self::Unknown | Self::Other(_) => None,
        }
    }

    /// The viewer without its version, for tables: `spicebench` of `"spicebench 0.1.0"`.
    pub fn name(&self) -> String {
        match self.kind() {
            Some(k) => k.to_string(),
            None => self.to_string(),
        }
    }
}

impl Default for ConfigViewer {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

impl fmt::Display for ConfigViewer {
    /// The text in results; `pad` so tables can align it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Kind(k) => k.as_str(),
            Self::Unknown => "unknown",
            Self::Versioned(_, text) | Self::Other(text) => text,
        })
    }
}

impl From<ConfigViewer> for String {
    fn from(v: ConfigViewer) -> Self {
        match v {
            ConfigViewer::Versioned(_, text) | ConfigViewer::Other(text) => text,
            v => v.to_string(),
        }
    }
}

impl From<String> for ConfigViewer {
    fn from(text: String) -> Self {
        if let Ok(k) = text.parse() {
            return Self::Kind(k);
        }
        if text == Self::Unknown.to_string() {
            return Self::Unknown;
        }
        match text.split_once(' ').map(|(kind, _)| kind.parse()) {
            Some(Ok(k)) => Self::Versioned(k, text),
            _ => Self::Other(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(text: &str) -> ConfigTransport {
        serde_json::from_value(serde_json::json!(text)).unwrap()
    }

    fn viewer(text: &str) -> ConfigViewer {
        serde_json::from_value(serde_json::json!(text)).unwrap()
    }

    #[test]
    fn transports_read_and_write_back_as_they_were() {
        assert_eq!(
            transport("ssh-x"),
            ConfigTransport::Access(TransportKind::SshX)
        );
        assert_eq!(transport("spice").route(), Some(TransportKind::Direct));
        assert_eq!(transport("tls"), ConfigTransport::Seen(Transport::Tls));
        assert_eq!(transport("carrier-pigeon").route(), None);
        for text in [
            "direct",
            "ssh-tunnel",
            "spice",
            "tls",
            "unknown",
            "",
            "pigeon",
        ] {
            let back = serde_json::to_value(transport(text)).unwrap();
            assert_eq!(back, serde_json::json!(text));
        }
    }

    #[test]
    fn viewers_read_and_write_back_as_they_were() {
        assert_eq!(
            viewer("remote-viewer").kind(),
            Some(ViewerKind::RemoteViewer)
        );
        assert_eq!(viewer("spicebench 0.1.0").kind(), Some(ViewerKind::Native));
        assert_eq!(viewer("unknown"), ConfigViewer::Unknown);
        assert_eq!(viewer("vncviewer 7").kind(), None);
        for text in [
            "spicebench",
            "spicebench 0.1.0",
            "unknown",
            "",
            "vncviewer 7",
        ] {
            let back = serde_json::to_value(viewer(text)).unwrap();
            assert_eq!(back, serde_json::json!(text));
        }
    }
}
