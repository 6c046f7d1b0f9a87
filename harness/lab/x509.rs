//! Certificates for the lab's TLS port: a fresh CA and a server certificate per run (EC
//! P-256, valid for 127.0.0.1 and `localhost`), in the file names Xspice's `XSPICE_X509_DIR`
//! expects. The CA stays in memory for the run's own viewers to trust; nothing else does.
//!
//! EC rather than RSA: spice-server then offers only forward-secret suites, and generation is
//! instant.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};

use super::LabError;

/// The CA certificate's file name in the X509 directory.
pub const CA_CERT: &str = "ca-cert.pem";
/// The server certificate's file name.
pub const SERVER_CERT: &str = "server-cert.pem";
/// The server key's file name.
pub const SERVER_KEY: &str = "server-key.pem";

/// A run's certificates, written to `dir`.
#[derive(Debug, Clone)]
pub struct LabCertificates {
    /// The directory holding the three files (for `XSPICE_X509_DIR`).
    pub dir: PathBuf,
    /// The CA certificate, PEM: what viewers of this run trust.
    pub ca_pem: String,
}

fn failed(what: &str, e: impl std::fmt::Display) -> LabError {
    LabError::Io {
        context: format!("generating the lab's TLS certificates: {what}"),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Generates a CA and a server certificate signed by it into `dir` (key files 0600).
pub fn generate(dir: &Path) -> Result<LabCertificates, LabError> {
    std::fs::create_dir_all(dir).map_err(|source| LabError::Io {
        context: format!("creating {}", dir.display()),
        source,
    })?;
    let ca_key = KeyPair::generate().map_err(|e| failed("CA key", e))?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|e| failed("CA", e))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "spicebench lab CA (one run)");
    let ca_cert = ca.self_signed(&ca_key).map_err(|e| failed("CA", e))?;

    let key = KeyPair::generate().map_err(|e| failed("server key", e))?;
    let mut server =
        CertificateParams::new(vec!["localhost".to_string()]).map_err(|e| failed("server", e))?;
    server
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    server
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let cert = server
        .signed_by(&key, &ca_cert, &ca_key)
        .map_err(|e| failed("server certificate", e))?;

    let ca_pem = ca_cert.pem();
    let write = |name: &str, text: &str| {
        super::xauth::write_private(&dir.join(name), text.as_bytes(), None)
    };
    write(CA_CERT, &ca_pem)?;
    write(SERVER_CERT, &cert.pem())?;
    write(SERVER_KEY, &key.serialize_pem())?;
    Ok(LabCertificates {
        dir: dir.to_path_buf(),
        ca_pem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_ca_and_a_server_certificate_with_a_private_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let certs = generate(dir.path()).unwrap();
        assert!(certs.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        for f in [CA_CERT, SERVER_CERT, SERVER_KEY] {
            let meta = std::fs::metadata(dir.path().join(f)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{f}");
        }
        let key = std::fs::read_to_string(dir.path().join(SERVER_KEY)).unwrap();
        assert!(key.contains("PRIVATE KEY"));
        // Two runs never share a CA.
        let other = generate(&dir.path().join("b")).unwrap();
        assert_ne!(other.ca_pem, certs.ca_pem);
    }
}
