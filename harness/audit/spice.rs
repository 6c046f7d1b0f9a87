//! Probing a SPICE endpoint as a stranger would: link the main channel with an empty ticket
//! (does the server let us in?), see whether it offers SASL, and for a TLS port take the
//! server's certificate apart (and check it against the CA the user gives).
//!
//! The probe makes at most two connections (one more for a CA check) and closes them; it
//! never sends input.

use std::net::{IpAddr, ToSocketAddrs};
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
    // Read before probing: where the port listens decides how much a plain port matters.
    let listeners = listen::is_local(&target.host).then(|| listen::listeners(target.port));
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
        findings.push(plain_port(target.port, no_ticket, listeners.as_deref()));
        no_ticket
    };
    if let Some(listeners) = &listeners {
        let beyond: Vec<String> = listeners
            .iter()
            .filter(|a| !listen::is_loopback(a))
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

/// The plain-port finding for `port`, given where it listens when that could be read here
/// (`None`: a remote host, whose listeners cannot be seen).
///
/// Only a port whose every listener is a loopback address is out of other hosts' reach; an
/// unknown or empty list (e.g. the server runs in another network namespace) keeps the
/// network rating, since the safe reading of "not seen" is "may be reachable".
pub fn plain_port(port: u16, no_ticket: bool, listeners: Option<&[IpAddr]>) -> Finding {
    let loopback = listeners
        .filter(|l| !l.is_empty() && l.iter().all(listen::is_loopback))
        .and_then(|l| l.first());
    match loopback {
        Some(ip) => {
            let host = match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            };
            Finding::new(
                Check::PlainPortLoopback,
                Severity::Info,
                format!(
                    "port {port} speaks SPICE without TLS and listens only on {ip}; from \
                     another host: ssh -N -L {port}:{host}:{port} user@this-host"
                ),
            )
        }
        None => Finding::new(
            Check::PlainPort,
            if no_ticket {
                Severity::High
            } else {
                Severity::Medium
            },
            format!("port {port} speaks SPICE without TLS"),
        ),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn a_plain_port_on_loopback_only_is_info_with_the_tunnel_command() {
        for (listeners, host) in [
            (ips(&["127.0.0.1"]), "127.0.0.1"),
            (ips(&["127.0.0.2", "::1"]), "127.0.0.2"),
            (ips(&["::1"]), "[::1]"),
            (ips(&["::ffff:127.0.0.1"]), "[::ffff:127.0.0.1]"),
        ] {
            for no_ticket in [true, false] {
                let f = plain_port(5930, no_ticket, Some(&listeners));
                assert_eq!(
                    (f.check, f.severity),
                    (Check::PlainPortLoopback, Severity::Info),
                    "{listeners:?}"
                );
                assert!(
                    f.detail
                        .contains(&format!("ssh -N -L 5930:{host}:5930 user@this-host")),
                    "{}",
                    f.detail
                );
                // Not the network finding's words: nothing crosses the network, and it
                // already listens where that fix would put it.
                assert!(!f.title.contains("cross the network"), "{}", f.title);
                assert!(!f.fix.contains("listen on 127.0.0.1"), "{}", f.fix);
                assert!(f.fix.contains("ssh -N -L"), "{}", f.fix);
            }
        }
    }

    #[test]
    fn a_plain_port_others_can_or_may_reach_keeps_its_rating() {
        for listeners in [
            Some(ips(&["0.0.0.0"])),
            Some(ips(&["::"])),
            Some(ips(&["127.0.0.1", "192.0.2.7"])),
            Some(ips(&["192.0.2.7"])),
            // Nothing seen here (another network namespace) or a remote host: unknown.
            Some(Vec::new()),
            None,
        ] {
            let high = plain_port(5930, true, listeners.as_deref());
            assert_eq!(
                (high.check, high.severity),
                (Check::PlainPort, Severity::High),
                "{listeners:?}"
            );
            let medium = plain_port(5930, false, listeners.as_deref());
            assert_eq!(medium.severity, Severity::Medium, "{listeners:?}");
        }
    }
}
