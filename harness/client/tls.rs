//! SPICE over TLS (`spice-protocol.md` §8): every channel is its own TCP connection with its
//! own TLS session, and the link stage runs inside it unchanged.
//!
//! The link stage uses tokio-rustls; afterwards the session's [`rustls::ClientConnection`]
//! moves behind a mutex that the channel's reader and its writers (the reader's own replies,
//! the paced input thread) share, exactly as they share the plain socket: records are
//! written whole under the lock, so nothing interleaves.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::ClientError;

/// How the client decides to trust the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsTrust {
    /// Certificates signed by the CA in this PEM file.
    CaFile(PathBuf),
    /// Certificates signed by this CA (PEM), e.g. one the lab generated for the run.
    CaPem(String),
    /// Any certificate: only when the user asked for it explicitly
    /// (`insecure_skip_verify = true`), and the results say so.
    InsecureSkipVerify,
}

/// TLS for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// Whom to trust.
    pub trust: TlsTrust,
    /// The name (or IP address) the certificate must be for.
    pub server_name: String,
}

/// A connector for `settings`. Session resumption is off: remote-viewer makes a full
/// handshake per channel, and a benchmark should pay what the real viewer pays.
pub fn connector(settings: &TlsSettings) -> Result<tokio_rustls::TlsConnector, ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_setup(e.to_string()))?;
    let mut config = match &settings.trust {
        TlsTrust::InsecureSkipVerify => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything(provider)))
            .with_no_client_auth(),
        TlsTrust::CaFile(path) => {
            /// A CA bundle is a few KiB; the system's whole store is under 1 MiB.
            const MAX_CA_FILE_BYTES: u64 = 4 << 20;
            let pem =
                crate::bounded_read::read_limited_text(path, MAX_CA_FILE_BYTES).map_err(|e| {
                    tls_setup(format!(
                        "cannot read the CA file {}: {e}; set ca_file to the server's CA \
                     certificate (PEM)",
                        path.display()
                    ))
                })?;
            builder
                .with_root_certificates(roots(&pem, &path.display().to_string())?)
                .with_no_client_auth()
        }
        TlsTrust::CaPem(pem) => builder
            .with_root_certificates(roots(pem, "the lab's CA")?)
            .with_no_client_auth(),
    };
    config.resumption = rustls::client::Resumption::disabled();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// The server name rustls checks the certificate against.
pub fn server_name(settings: &TlsSettings) -> Result<ServerName<'static>, ClientError> {
    ServerName::try_from(settings.server_name.clone()).map_err(|_| {
        tls_setup(format!(
            "`{}` is neither a host name nor an IP address",
            settings.server_name
        ))
    })
}

fn tls_setup(detail: String) -> ClientError {
    ClientError::Tls { detail }
}

/// The certificates of a PEM bundle as trust roots.
fn roots(pem: &str, what: &str) -> Result<RootCertStore, ClientError> {
    use rustls::pki_types::pem::PemObject;
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| tls_setup(format!("{what}: not a PEM certificate: {e}")))?;
        store
            .add(cert)
            .map_err(|e| tls_setup(format!("{what}: unusable CA certificate: {e}")))?;
    }
    if store.is_empty() {
        return Err(tls_setup(format!("{what} holds no certificate")));
    }
    Ok(store)
}

/// The verifier behind `insecure_skip_verify`: signatures are still checked (the handshake
/// must be made by the certificate's key), the certificate itself is not.
#[derive(Debug)]
struct AcceptAnything(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// One channel's TLS session after the link, shared by its reader and writers.
pub type SharedTls = Arc<Mutex<ClientConnection>>;

/// Locks a shared session (a poisoned lock is recovered: the connection is still usable).
pub fn lock(tls: &SharedTls) -> std::sync::MutexGuard<'_, ClientConnection> {
    tls.lock().unwrap_or_else(|e| e.into_inner())
}

/// Encrypts `plain` and writes every pending record to `socket` (non-blocking: a full send
/// buffer is waited out with `poll`, as for plain writes).
pub fn write_all(
    conn: &mut ClientConnection,
    socket: &mut TcpStream,
    plain: &[u8],
) -> std::io::Result<()> {
    conn.writer().write_all(plain)?;
    flush(conn, socket)
}

/// Writes every pending TLS record to `socket`.
pub fn flush(conn: &mut ClientConnection, socket: &mut TcpStream) -> std::io::Result<()> {
    while conn.wants_write() {
        match conn.write_tls(socket) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => super::writer::wait_writable(socket)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// What one read of the socket gave.
pub enum Received {
    /// Plaintext bytes were appended.
    Data,
    /// The server closed the connection (cleanly or not).
    Closed,
}

/// Moves whatever plaintext the session holds into `out`.
pub fn drain(conn: &mut ClientConnection, out: &mut Vec<u8>) -> std::io::Result<Option<Received>> {
    let mut buf = [0u8; 64 * 1024];
    let mut got = false;
    loop {
        match conn.reader().read(&mut buf) {
            Ok(0) => return Ok(Some(Received::Closed)),
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                got = true;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                return Ok(got.then_some(Received::Data));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads TLS records from `socket` (a duplicate of the tokio stream's fd) into the session,
/// decrypts them and answers what the protocol asks (alerts, key updates). `Ok(0)` is EOF.
pub fn read_records(conn: &mut ClientConnection, socket: &mut TcpStream) -> std::io::Result<usize> {
    let n = conn.read_tls(socket)?;
    conn.process_new_packets()
        .map_err(|e| std::io::Error::new(ErrorKind::InvalidData, e))?;
    flush(conn, socket)?;
    Ok(n)
}
