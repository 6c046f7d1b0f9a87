//! Probing a SPICE endpoint as a stranger would: link the main channel with an empty ticket
//! (does the server let us in?), see whether it offers SASL, and for a TLS port take the
//! server's certificate apart (and check it against the CA the user gives).
//!
//! The probe makes at most two connections (one more for a CA check) and closes them; it
//! never sends input.

use std::net::ToSocketAddrs;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::finding::{Check, Finding, Severity};
use super::{cert, listen, AuditError};
use crate::client::link::{authenticate, send_link};
use crate::client::{ClientError, TlsSettings, TlsTrust};
use crate::scenario::SpiceUri;
use crate::wire::link::{common_cap, LinkError};
use crate::wire::ChannelType;

/// How long each connection and exchange may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Findings for `target`.
pub async fn probe(target: &SpiceUri, ca_file: Option<&Path>) -> Result<Vec<Finding>, AuditError> {
    let addr = format!("{}:{}", target.host, target.port);
    let mut findings = Vec::new();
    let tcp = connect(&addr).await?;
    let no_ticket = if target.tls {
        let (tls, leaf) = handshake(tcp, &target.host, &addr).await?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let cert_findings = leaf.map_or_else(Vec::new, |der| cert::check(&der, now));
        let clean = cert_findings.is_empty();
        findings.extend(cert_findings);
        let mut tls = tls;
        let no_ticket = link_check(&mut tls, &mut findings).await?;
        if let Some(ca) = ca_file {
            if let Err(e) = trusted(&addr, &target.host, ca).await {
                findings.push(Finding::new(Check::TlsUntrusted, Severity::High, e));
            } else if clean {
                findings.push(Finding::new(
                    Check::TlsOk,
                    Severity::Info,
                    format!("signed by the CA in {}, valid now", ca.display()),
                ));
            }
        } else if clean {
            findings.push(Finding::new(
                Check::TlsOk,
                Severity::Info,
                "valid now and not self-signed (give --ca-file to check who signed it)",
            ));
        }
        no_ticket
    } else {
        let mut tcp = tcp;
        let no_ticket = link_check(&mut tcp, &mut findings).await?;
        findings.push(Finding::new(
            Check::PlainPort,
            if no_ticket {
                Severity::High
            } else {
                Severity::Medium
            },
            format!("port {} speaks SPICE without TLS", target.port),
        ));
        no_ticket
    };
    if listen::is_local(&target.host) {
        let beyond: Vec<String> = listen::listeners(target.port)
            .into_iter()
            .filter(|a| !a.is_loopback())
            .map(|a| a.to_string())
            .collect();
        if !beyond.is_empty() {
            findings.push(Finding::new(
                Check::ListensBeyondLoopback,
                if no_ticket {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!("port {} listens on {}", target.port, beyond.join(", ")),
            ));
        }
    }
    Ok(findings)
}

async fn connect(addr: &str) -> Result<TcpStream, AuditError> {
    let resolved = addr
        .to_socket_addrs()
        .map_err(|e| AuditError::Probe(format!("cannot resolve {addr}: {e}")))?
        .next()
        .ok_or_else(|| AuditError::Probe(format!("{addr} resolves to no address")))?;
    match tokio::time::timeout(TIMEOUT, TcpStream::connect(resolved)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(AuditError::Probe(format!(
            "cannot connect to {addr}: {e}; is a SPICE server listening there?"
        ))),
        Err(_) => Err(AuditError::Probe(format!(
            "no answer from {addr} within {} s",
            TIMEOUT.as_secs()
        ))),
    }
}

/// Links main with an empty ticket; records what the server allowed. Returns whether it let
/// us in without a ticket.
async fn link_check<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    findings: &mut Vec<Finding>,
) -> Result<bool, AuditError> {
    let probe_error = |e: ClientError| AuditError::Probe(format!("probing the SPICE link: {e}"));
    let start = tokio::time::timeout(TIMEOUT, send_link(stream, 0, ChannelType::MAIN, 0))
        .await
        .map_err(|_| AuditError::Probe("the server sent no SPICE link reply".into()))?
        .map_err(probe_error)?;
    if start.reply.common_caps.has(common_cap::AUTH_SASL) {
        findings.push(Finding::new(
            Check::SaslOffered,
            Severity::Info,
            "the link reply lists the SASL auth capability",
        ));
    }
    let result = tokio::time::timeout(TIMEOUT, authenticate(stream, ChannelType::MAIN, start, ""))
        .await
        .map_err(|_| AuditError::Probe("the server sent no link result".into()))?;
    match result {
        Ok(_) => {
            findings.push(Finding::new(
                Check::NoTicket,
                Severity::High,
                "a main-channel link with an empty ticket was accepted",
            ));
            Ok(true)
        }
        Err(ClientError::LinkRefused {
            error: LinkError::PermissionDenied,
            ..
        }) => {
            findings.push(Finding::new(
                Check::TicketRequired,
                Severity::Info,
                "a link with an empty ticket was refused (PERMISSION_DENIED)",
            ));
            Ok(false)
        }
        Err(ClientError::SaslOnly) => {
            findings.push(Finding::new(
                Check::TicketRequired,
                Severity::Info,
                "the server requires SASL authentication",
            ));
            Ok(false)
        }
        Err(e) => Err(probe_error(e)),
    }
}

/// A TLS handshake that accepts any certificate and hands back the server's leaf certificate.
async fn handshake(
    tcp: TcpStream,
    host: &str,
    addr: &str,
) -> Result<(tokio_rustls::client::TlsStream<TcpStream>, Option<Vec<u8>>), AuditError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let seen = Arc::new(Mutex::new(None));
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| AuditError::Probe(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Recorder {
            seen: seen.clone(),
            provider,
        }))
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| AuditError::Probe(format!("`{host}` is not a host name or address")))?;
    let tls = tokio::time::timeout(
        TIMEOUT,
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await
    .map_err(|_| AuditError::Probe(format!("no TLS handshake from {addr}")))?
    .map_err(|e| {
        AuditError::Probe(format!(
            "TLS handshake with {addr} failed: {e}; is it a TLS port? (spice:// for a plain one)"
        ))
    })?;
    let leaf = seen.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok((tls, leaf))
}

/// Whether the certificate chains to the CA in `ca`: a handshake that checks it.
async fn trusted(addr: &str, host: &str, ca: &Path) -> Result<(), String> {
    let settings = TlsSettings {
        trust: TlsTrust::CaFile(ca.to_path_buf()),
        server_name: host.to_string(),
    };
    let connector = crate::client::tls::connector(&settings).map_err(|e| e.to_string())?;
    let name = crate::client::tls::server_name(&settings).map_err(|e| e.to_string())?;
    let tcp = connect(addr).await.map_err(|e| e.to_string())?;
    match tokio::time::timeout(TIMEOUT, connector.connect(name, tcp)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("verifying against {}: {e}", ca.display())),
        Err(_) => Err("the verifying handshake did not finish".into()),
    }
}

/// Accepts any certificate and keeps the leaf: the audit judges it afterwards, by its own
/// rules, instead of failing the handshake.
#[derive(Debug)]
struct Recorder {
    seen: Arc<Mutex<Option<Vec<u8>>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap_or_else(|e| e.into_inner()) = Some(end_entity.to_vec());
        Ok(ServerCertVerified::assertion())
    }

    // A weak key (RSA 1024) must still complete the handshake to be reported, so signatures
    // are not held against the server here; nothing from this session is trusted.
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
