//! A SPICE server someone else runs: nothing to start or stop; the compression is the
//! client's preference and the password comes from the scenario's password source.

use super::{Endpoint, Health, Target};
use crate::run::RunError;
use crate::scenario::{Compression, Geometry, PasswordSource, SpiceUri, TlsTrustSpec};
use crate::secret::Secret;

/// An external target.
#[derive(Debug)]
pub struct ExternalTarget {
    endpoint: Endpoint,
    ticket: Secret,
    geometry: Option<Geometry>,
    compression: Compression,
    /// SpiceVideoCodecType codes the viewer prefers, most wanted first.
    video_codecs: Vec<u8>,
    tls: Option<crate::client::TlsSettings>,
}

impl ExternalTarget {
    /// Reads the password now (an unset variable or unreadable file fails here, before any
    /// connection is made).
    pub fn resolve(
        uri: &SpiceUri,
        password: &PasswordSource,
        geometry: Option<Geometry>,
        compression: Compression,
        tls: Option<&TlsTrustSpec>,
    ) -> Result<Self, RunError> {
        use crate::client::{TlsSettings, TlsTrust};
        let tls = tls.map(|t| TlsSettings {
            trust: match t {
                TlsTrustSpec::CaFile(p) => TlsTrust::CaFile(p.clone()),
                TlsTrustSpec::InsecureSkipVerify => TlsTrust::InsecureSkipVerify,
            },
            server_name: uri.host.clone(),
        });
        Ok(Self {
            tls,
            endpoint: Endpoint {
                host: uri.host.clone(),
                port: uri.port,
            },
            ticket: Secret::new(super::password::resolve(password)?.unwrap_or_default()),
            geometry,
            compression,
            video_codecs: Vec::new(),
        })
    }

    /// Makes the viewers prefer `codecs` (PREFERRED_VIDEO_CODEC_TYPE), when given.
    pub fn with_video_codecs(mut self, codecs: Option<&crate::scenario::VideoCodecList>) -> Self {
        self.video_codecs = codecs.map_or_else(Vec::new, |l| {
            l.codec_types().into_iter().map(|c| c.wire_code()).collect()
        });
        self
    }
}

impl Target for ExternalTarget {
    fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn ticket(&self) -> &Secret {
        &self.ticket
    }

    fn preferred_compression(&self) -> Option<Compression> {
        Some(self.compression)
    }

    fn preferred_video_codecs(&self) -> Vec<u8> {
        self.video_codecs.clone()
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

    fn tls(&self) -> Option<crate::client::TlsSettings> {
        self.tls.clone()
    }
}
