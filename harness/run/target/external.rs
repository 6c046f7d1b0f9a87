//! A SPICE server someone else runs: nothing to start or stop; the compression is the
//! client's preference and the password comes from the scenario's password source.

use super::{CompressionMechanism, Endpoint, Health, Target};
use crate::run::RunError;
use crate::scenario::{Compression, Geometry, PasswordSource, SpiceUri};
use crate::secret::Secret;

/// An external target.
#[derive(Debug)]
pub struct ExternalTarget {
    endpoint: Endpoint,
    ticket: Secret,
    geometry: Option<Geometry>,
    compression: Compression,
}

impl ExternalTarget {
    /// Reads the password now (an unset variable or unreadable file fails here, before any
    /// connection is made).
    pub fn resolve(
        uri: &SpiceUri,
        password: &PasswordSource,
        geometry: Option<Geometry>,
        compression: Compression,
    ) -> Result<Self, RunError> {
        Ok(Self {
            endpoint: Endpoint {
                host: uri.host.clone(),
                port: uri.port,
            },
            ticket: Secret::new(password.resolve()?.unwrap_or_default()),
            geometry,
            compression,
        })
    }
}

impl Target for ExternalTarget {
    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn ticket(&self) -> &Secret {
        &self.ticket
    }

    fn compression_mechanism(&self) -> CompressionMechanism {
        CompressionMechanism::ClientPreference
    }

    fn preferred_compression(&self) -> Option<Compression> {
        Some(self.compression)
    }

    fn geometry(&self) -> Option<Geometry> {
        self.geometry
    }

    fn software(&self) -> Option<String> {
        None
    }

    fn health(&mut self) -> Health {
        Health::Running
    }
}
