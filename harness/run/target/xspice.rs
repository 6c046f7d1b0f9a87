//! The embedded target: Xspice started by spicebench for one configuration, with the
//! configuration's image compression as its server setting, a fresh random SPICE ticket and
//! the lab desktop on it.

use std::path::Path;

use super::{CompressionMechanism, Endpoint, Health, Target};
use crate::lab::desktop::IdleActivity;
use crate::lab::{Desktop, Xspice, XspiceConfig};
use crate::run::RunError;
use crate::scenario::{Compression, Geometry};
use crate::secret::Secret;

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
    /// Starts Xspice with `compression` and its desktop, files in `lab_dir`.
    ///
    /// Children are started from the calling (long-lived) thread on purpose: their
    /// parent-death signal fires when the starting *thread* exits.
    pub fn start(
        geometry: Geometry,
        compression: Compression,
        tls: bool,
        idle_activity: IdleActivity,
        lab_dir: &Path,
    ) -> Result<Self, RunError> {
        let ticket = Secret::random_ticket();
        let xspice = Xspice::start(
            &XspiceConfig {
                width: geometry.width,
                height: geometry.height,
                image_compression: compression.as_str().to_string(),
                ticket: ticket.clone(),
                tls,
                ..XspiceConfig::default()
            },
            lab_dir,
        )?;
        let desktop = Desktop::start_with(
            &xspice.display(),
            geometry.width,
            geometry.height,
            idle_activity,
            lab_dir,
        )?;
        let software = Some(crate::lab::xspice::package_versions()).filter(|v| !v.is_empty());
        Ok(Self {
            endpoint: Endpoint::loopback(xspice.port()),
            desktop,
            xspice,
            ticket,
            geometry,
            software,
        })
    }
}

impl Target for XspiceTarget {
    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn ticket(&self) -> &Secret {
        &self.ticket
    }

    fn compression_mechanism(&self) -> CompressionMechanism {
        CompressionMechanism::ServerSetting
    }

    fn preferred_compression(&self) -> Option<Compression> {
        None
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
