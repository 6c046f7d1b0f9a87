//! The SPICE server a configuration measures, behind one small interface: where it listens,
//! its ticket, how its compression is set, what software it is, whether it still runs, and
//! the desktop it carries (when spicebench started one it can inspect).
//!
//! Implementations: [`xspice`] (started by spicebench per configuration) and [`external`] (a
//! server someone else runs). A new kind (a QEMU guest) is one more module and one more arm
//! in [`start_target`].

pub mod external;
pub mod password;
pub mod qemu;
pub mod xspice;

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;

use super::placement::Placement;
use super::RunError;
use crate::cancel::Cancel;
use crate::lab::Desktop;
use crate::plan::Configuration;
use crate::results::Component;
use crate::scenario::{Compression, Geometry, Scenario, Target as TargetSpec};
use crate::secret::Secret;

/// A TCP endpoint as a viewer dials it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Endpoint {
    /// `127.0.0.1:port`.
    pub fn loopback(port: u16) -> Self {
        Self {
            host: "127.0.0.1".into(),
            port,
        }
    }

    /// The address when the host is an IP literal.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        format!("{self}").parse().ok()
    }

    /// Whether it is on this machine's loopback (the only place the lab captures).
    pub fn is_loopback(&self) -> bool {
        self.socket_addr().is_some_and(|a| a.ip().is_loopback())
    }
}

impl fmt::Display for Endpoint {
    /// `host:port`, IPv6 in brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Whether a part the lab started is still doing its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Running (or not ours to watch).
    Running,
    /// It exited; the text says what and where its log is.
    Exited(String),
}

/// How the run's compression reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompressionMechanism {
    /// The server was started with it.
    ServerSetting,
    /// The client asked for it with PREFERRED_COMPRESSION.
    ClientPreference,
}

impl CompressionMechanism {
    /// The name in results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServerSetting => "server-setting",
            Self::ClientPreference => "client-preference",
        }
    }
}

/// A started (or resolved) target. Dropping it stops whatever the lab started for it.
pub trait Target: Send {
    /// Where the SPICE server listens.
    fn endpoint(&self) -> &Endpoint;
    /// The SPICE ticket (empty when the server needs none).
    fn ticket(&self) -> &Secret;
    /// How the configuration's compression is applied: the one rule is that a target whose
    /// viewer must ask for it takes it as a client preference, and any other was started
    /// with it.
    fn compression_mechanism(&self) -> CompressionMechanism {
        match self.preferred_compression() {
            Some(_) => CompressionMechanism::ClientPreference,
            None => CompressionMechanism::ServerSetting,
        }
    }
    /// The compression a viewer should ask for, when it is a client preference (none for a
    /// server spicebench starts with it).
    fn preferred_compression(&self) -> Option<Compression> {
        None
    }
    /// The video codecs a viewer should prefer (SpiceVideoCodecType codes, most wanted
    /// first), when they are a client preference.
    fn preferred_video_codecs(&self) -> Vec<u8> {
        Vec::new()
    }
    /// Screen size, when known.
    fn geometry(&self) -> Option<Geometry>;
    /// Server software and versions, when known.
    fn software(&self) -> Option<String>;
    /// Whether the server still runs.
    fn health(&mut self) -> Health;
    /// How viewers must speak TLS to it, when its port is a TLS port.
    fn tls(&self) -> Option<crate::client::TlsSettings> {
        None
    }
    /// The desktop spicebench started on it, when there is one to inspect.
    fn desktop(&self) -> Option<&Desktop> {
        None
    }
    /// The frame of the window the drags move, read on the target's own desktop, when it can
    /// tell (the effect check compares it before the first input and after the settle).
    fn drag_window(&self) -> Option<crate::lab::x11::WindowGeometry> {
        self.desktop().and_then(Desktop::drag_window)
    }
    /// That window's title.
    fn drag_title(&self) -> Option<&'static str> {
        self.desktop().and_then(Desktop::drag_title)
    }
    /// How many pixels the target's pointer device may land off a planned point per axis.
    fn pointer_tolerance_px(&self) -> u32 {
        0
    }
    /// The main processes of its parts, by component, for CPU accounting: every process
    /// under one of them counts for it ([`crate::lab::cpu`]). None by default.
    fn processes(&self) -> Vec<(Component, u32)> {
        Vec::new()
    }
}

/// Starts (or resolves) the scenario's target for `config`, with its files in `lab_dir`, on
/// the server side of `placement`.
pub fn start_target(
    scenario: &Scenario,
    config: &Configuration,
    lab_dir: &Path,
    placement: &Placement,
    cancel: &Cancel,
) -> Result<Box<dyn Target>, RunError> {
    Ok(match &scenario.target {
        TargetSpec::Xspice {
            geometry,
            heads,
            tls,
            idle_activity,
            ..
        } => Box::new(xspice::XspiceTarget::start(
            &xspice::XspiceSpec {
                head: *geometry,
                heads: *heads,
                tls: *tls,
                idle_activity: *idle_activity,
                content: scenario.desktop.content,
            },
            config,
            lab_dir,
            placement,
            cancel,
        )?),
        // The scenario's rules refuse lan with a server the lab cannot place behind the link;
        // this is their backstop.
        TargetSpec::External { .. } | TargetSpec::Qemu { .. } if placement.hosts().is_some() => {
            return Err(crate::scenario::AccessError::LanNeedsOwnServer.into())
        }
        TargetSpec::Qemu { machine, .. } => {
            Box::new(qemu::QemuTarget::start(machine, config, lab_dir, cancel)?)
        }
        TargetSpec::External {
            uri,
            password,
            geometry,
            tls,
            ..
        } => Box::new(
            external::ExternalTarget::resolve(
                uri,
                password,
                *geometry,
                config.compression,
                tls.as_ref(),
            )?
            .with_video_codecs(config.knobs.video_codecs.as_ref()),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_print_and_parse_like_dial_strings() {
        let v4 = Endpoint::loopback(5930);
        assert_eq!(v4.to_string(), "127.0.0.1:5930");
        assert!(v4.is_loopback());
        let v6 = Endpoint {
            host: "::1".into(),
            port: 1,
        };
        assert_eq!(v6.to_string(), "[::1]:1");
        assert!(v6.is_loopback());
        let named = Endpoint {
            host: "lab.example".into(),
            port: 5900,
        };
        assert_eq!(named.socket_addr(), None);
        assert!(!named.is_loopback());
    }
}
