//! The embedded target: Xspice started by spicebench for one configuration, with the
//! configuration's image compression as its server setting, a fresh random SPICE ticket and
//! the lab desktop on it.

use std::path::Path;

use super::{Endpoint, Health, Target};
use crate::cancel::Cancel;
use crate::lab::desktop::{DesktopSetup, IdleActivity};
use crate::lab::{Desktop, Xspice, XspiceConfig};
use crate::plan::{Configuration, ServerKnobs};
use crate::results::Component;
use crate::run::placement::{Placement, Side};
use crate::run::RunError;
use crate::scenario::{DesktopContent, Geometry};
use crate::secret::Secret;

/// What the scenario asks of the embedded target, whatever the configuration.
#[derive(Debug, Clone, Copy)]
pub struct XspiceSpec {
    /// Each head's size.
    pub head: Geometry,
    /// How many heads.
    pub heads: u32,
    /// TLS port only.
    pub tls: bool,
    /// What changes while idle.
    pub idle_activity: IdleActivity,
    /// The desktop's windows.
    pub content: DesktopContent,
}

/// The Xspice environment variables that set the configuration's knobs
/// (`shared/LAB.md` §2 Settings); knobs left at the server's default set nothing.
pub fn knob_env(knobs: &ServerKnobs) -> Vec<(String, String)> {
    let mut env = Vec::new();
    let mut set = |k: &str, v: String| env.push((k.to_string(), v));
    if let Some(v) = knobs.jpeg_wan {
        set("XSPICE_JPEG_WAN_COMPRESSION", v.as_str().into());
    }
    if let Some(v) = knobs.zlib_glz_wan {
        set("XSPICE_ZLIB_GLZ_WAN_COMPRESSION", v.as_str().into());
    }
    if let Some(v) = knobs.streaming_video {
        set("XSPICE_STREAMING_VIDEO", v.as_str().into());
    }
    if let Some(v) = &knobs.video_codecs {
        set("XSPICE_VIDEO_CODECS", v.to_string());
    }
    if let Some(v) = knobs.playback_compression {
        // The driver reads booleans from the environment with atoi.
        set(
            "XSPICE_PLAYBACK_COMPRESSION",
            if v { "1" } else { "0" }.into(),
        );
    }
    env
}

/// Xspice and its desktop; both stop when this is dropped (desktop first).
#[derive(Debug)]
pub struct XspiceTarget {
    // Field order is drop order: the desktop's clients go before their X server.
    desktop: Desktop,
    xspice: Xspice,
    endpoint: Endpoint,
    ticket: Secret,
    geometry: Geometry,
    software: Option<String>,
}

impl XspiceTarget {
    /// Starts Xspice with `compression` and its desktop, files in `lab_dir`, on the server
    /// side of `placement`.
    ///
    /// Children are started from the calling (long-lived) thread on purpose: their
    /// parent-death signal fires when the starting *thread* exits.
    pub fn start(
        spec: &XspiceSpec,
        config: &Configuration,
        lab_dir: &Path,
        placement: &Placement,
        cancel: &Cancel,
    ) -> Result<Self, RunError> {
        let ticket = Secret::random_ticket();
        let heads = spec.heads.max(1);
        let geometry = Geometry {
            width: spec.head.width * heads,
            height: spec.head.height,
        };
        let server_address = placement
            .address(Side::Server)
            .map_or_else(|| "127.0.0.1".to_string(), |a| a.to_string());
        let xspice = Xspice::start(
            &XspiceConfig {
                width: geometry.width,
                height: geometry.height,
                heads,
                image_compression: config.compression.as_str().to_string(),
                ticket: ticket.clone(),
                tls: spec.tls,
                extra_env: knob_env(&config.knobs),
                cancel: cancel.clone(),
                // On the server side of a link: Xorg in its namespace, SPICE on its address.
                // The desktop's programs stay here and reach Xorg through its socket file.
                listen: server_address.clone(),
                netns: placement.netns_name(Side::Server),
                ..XspiceConfig::default()
            },
            lab_dir,
        )?;
        let desktop = Desktop::start_setup(
            &xspice.display(),
            &DesktopSetup {
                head_width: spec.head.width,
                head_height: spec.head.height,
                heads,
                activity: spec.idle_activity,
                content: spec.content,
                compositor: config.compositor,
                cancel: cancel.clone(),
            },
            lab_dir,
        )?;
        let software = Some(crate::lab::xspice::package_versions()).filter(|v| !v.is_empty());
        Ok(Self {
            endpoint: Endpoint {
                host: server_address,
                port: xspice.port(),
            },
            desktop,
            xspice,
            ticket,
            geometry,
            software,
        })
    }
}

impl Target for XspiceTarget {
    fn processes(&self) -> Vec<(Component, u32)> {
        self.xspice
            .pid()
            .into_iter()
            .chain(self.desktop.pids())
            .map(|pid| (Component::Server, pid))
            .collect()
    }

    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn ticket(&self) -> &Secret {
        &self.ticket
    }

    fn geometry(&self) -> Option<Geometry> {
        Some(self.geometry)
    }

    fn software(&self) -> Option<String> {
        self.software.clone()
    }

    fn health(&mut self) -> Health {
        if self.xspice.is_running() {
            Health::Running
        } else {
            Health::Exited(format!(
                "Xspice exited; its log is {}",
                self.xspice.log().display()
            ))
        }
    }

    fn desktop(&self) -> Option<&Desktop> {
        Some(&self.desktop)
    }

    fn tls(&self) -> Option<crate::client::TlsSettings> {
        self.xspice.tls_ca().map(|ca| crate::client::TlsSettings {
            trust: crate::client::TlsTrust::CaPem(ca.to_string()),
            server_name: "127.0.0.1".into(),
        })
    }
}
