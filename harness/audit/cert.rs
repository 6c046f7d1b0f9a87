//! What a server's TLS certificate says, as findings: issuer (self-signed?), validity period
//! against the current time, and key strength. Pure: the time is an argument.

use super::finding::{Check, Finding, Severity};

/// Weakest RSA modulus accepted (bits).
const MIN_RSA_BITS: usize = 2048;

/// Findings for the leaf certificate `der` at `now` (seconds since the Unix epoch). A
/// certificate that cannot be parsed is itself a finding, never a panic.
pub fn check(der: &[u8], now: i64) -> Vec<Finding> {
    let cert = match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => cert,
        Err(e) => {
            return vec![Finding::new(
                Check::TlsUntrusted,
                Severity::High,
                format!("the server's certificate could not be parsed: {e}"),
            )]
        }
    };
    let mut out = Vec::new();
    let subject = cert.subject().to_string();
    if cert.subject() == cert.issuer() {
        out.push(Finding::new(
            Check::TlsSelfSigned,
            Severity::Medium,
            format!("subject and issuer are both `{subject}`"),
        ));
    }
    let validity = cert.validity();
    let (from, until) = (
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    if now > until {
        out.push(Finding::new(
            Check::TlsExpired,
            Severity::High,
            format!("`{subject}` expired at {}", validity.not_after),
        ));
    }
    if now < from {
        out.push(Finding::new(
            Check::TlsNotYetValid,
            Severity::High,
            format!("`{subject}` is valid from {}", validity.not_before),
        ));
    }
    match cert.public_key().parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) if rsa.key_size() < MIN_RSA_BITS => out
            .push(Finding::new(
                Check::TlsWeakKey,
                Severity::High,
                format!("RSA {} bits (at least {MIN_RSA_BITS})", rsa.key_size()),
            )),
        Ok(_) => {}
        Err(e) => out.push(Finding::new(
            Check::TlsWeakKey,
            Severity::Medium,
            format!("the key could not be read: {e}"),
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(days_from: i64, days_until: i64, self_signed: bool) -> Vec<u8> {
        use rcgen::{CertificateParams, DnType, KeyPair};
        let now = time::OffsetDateTime::now_utc();
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(vec!["h".to_string()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, "h");
        p.not_before = now + time::Duration::days(days_from);
        p.not_after = now + time::Duration::days(days_until);
        if self_signed {
            return p.self_signed(&key).unwrap().der().to_vec();
        }
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name.push(DnType::CommonName, "ca");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca.self_signed(&ca_key).unwrap();
        p.signed_by(&key, &ca, &ca_key).unwrap().der().to_vec()
    }

    fn ids(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.check.id()).collect()
    }

    #[test]
    fn a_current_ca_signed_ec_certificate_passes() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert_eq!(ids(&check(&cert(-1, 30, false), now)), Vec::<&str>::new());
    }

    #[test]
    fn self_signed_expired_and_future_certificates_are_findings() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        assert_eq!(ids(&check(&cert(-1, 30, true), now)), ["tls-self-signed"]);
        let expired = check(&cert(-30, -1, false), now);
        assert_eq!(ids(&expired), ["tls-expired"]);
        assert_eq!(expired[0].severity, Severity::High);
        assert_eq!(ids(&check(&cert(2, 30, false), now)), ["tls-not-yet-valid"]);
    }

    #[test]
    fn a_1024_bit_rsa_key_is_weak() {
        // rcgen (ring) cannot make such a key; the openssl tool can, and is an outside oracle.
        let dir = tempfile::tempdir().unwrap();
        let der = dir.path().join("weak.der");
        let out = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-subj", "/CN=weak",
            ])
            .args(["-days", "30", "-outform", "DER", "-keyout"])
            .arg(dir.path().join("weak.key"))
            .arg("-out")
            .arg(&der)
            .output()
            .expect("openssl (Debian's openssl package)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let f = check(&std::fs::read(der).unwrap(), now);
        let weak = f
            .iter()
            .find(|f| f.check == Check::TlsWeakKey)
            .expect("weak key");
        assert_eq!(weak.severity, Severity::High);
        assert!(weak.detail.contains("RSA 1024 bits"), "{}", weak.detail);
    }

    #[test]
    fn garbage_is_a_finding_not_a_panic() {
        assert_eq!(ids(&check(b"not a certificate", 0)), ["tls-untrusted"]);
        assert_eq!(ids(&check(&[], 0)), ["tls-untrusted"]);
    }
}
