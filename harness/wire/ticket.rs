//! The encrypted ticket that authenticates a channel (`spice-protocol.md` §1.6).
//!
//! The plaintext is the password followed by one NUL byte, encrypted with RSA-OAEP (SHA-1, MGF1
//! SHA-1, empty label) under the one-time key from the link reply. A server with ticketing
//! disabled still decrypts the blob and refuses garbage, so even "no password" means encrypting
//! a single NUL byte. Randomness is an argument, which keeps this module free of I/O.

use rsa::pkcs8::DecodePublicKey;
use rsa::{Oaep, RsaPublicKey};

use super::link::TICKET_LEN;
use super::WireError;

/// spice-gtk refuses longer passwords; the server's buffer is sized for this.
pub const MAX_PASSWORD_LEN: usize = 60;

/// Encrypts `password` for the server key `pub_key_der` (DER SubjectPublicKeyInfo).
pub fn encrypt_ticket<R: rsa::rand_core::CryptoRngCore>(
    pub_key_der: &[u8],
    password: &str,
    rng: &mut R,
) -> Result<[u8; TICKET_LEN], WireError> {
    if password.len() > MAX_PASSWORD_LEN {
        return Err(WireError::Invalid {
            field: "password",
            reason: format!(
                "{} bytes; SPICE passwords are at most {MAX_PASSWORD_LEN}",
                password.len()
            ),
        });
    }
    if password.as_bytes().contains(&0) {
        return Err(WireError::Invalid {
            field: "password",
            reason: "contains a NUL byte".into(),
        });
    }
    let key = RsaPublicKey::from_public_key_der(pub_key_der).map_err(|e| WireError::Invalid {
        field: "link_reply.pub_key",
        reason: format!("not an RSA public key: {e}"),
    })?;
    let mut plain = password.as_bytes().to_vec();
    plain.push(0);
    let cipher = key
        .encrypt(rng, Oaep::new::<sha1::Sha1>(), &plain)
        .map_err(|e| WireError::Invalid {
            field: "password",
            reason: format!("RSA-OAEP encryption failed: {e}"),
        })?;
    if cipher.len() > TICKET_LEN {
        return Err(WireError::Invalid {
            field: "link_reply.pub_key",
            reason: format!("a {}-bit key; SPICE uses 1024-bit keys", cipher.len() * 8),
        });
    }
    // Big-endian RSA output: left-pad to the fixed ticket size.
    let mut ticket = [0u8; TICKET_LEN];
    ticket[TICKET_LEN - cipher.len()..].copy_from_slice(&cipher);
    Ok(ticket)
}

#[cfg(test)]
mod test {
    use super::*;
    use rsa::pkcs8::EncodePublicKey;
    use rsa::RsaPrivateKey;

    fn keypair() -> (RsaPrivateKey, Vec<u8>) {
        let mut rng = rand::thread_rng();
        let private = RsaPrivateKey::new(&mut rng, 1024).unwrap();
        let der = private
            .to_public_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec();
        (private, der)
    }

    #[test]
    fn server_side_decryption_recovers_password_and_nul() {
        let (private, der) = keypair();
        // The same shape the server sends: a 162-byte DER SPKI.
        assert_eq!(der.len(), 162);
        assert_eq!(&der[..3], &[0x30, 0x81, 0x9f]);
        let ticket = encrypt_ticket(&der, "s3cret", &mut rand::thread_rng()).unwrap();
        let plain = private.decrypt(Oaep::new::<sha1::Sha1>(), &ticket).unwrap();
        assert_eq!(plain, b"s3cret\0");
        let empty = encrypt_ticket(&der, "", &mut rand::thread_rng()).unwrap();
        let plain = private.decrypt(Oaep::new::<sha1::Sha1>(), &empty).unwrap();
        assert_eq!(plain, b"\0");
    }

    #[test]
    fn rejects_long_passwords_and_bad_keys() {
        let (_, der) = keypair();
        let long = "x".repeat(61);
        assert!(encrypt_ticket(&der, &long, &mut rand::thread_rng()).is_err());
        assert!(encrypt_ticket(&[0u8; 162], "", &mut rand::thread_rng()).is_err());
        assert!(encrypt_ticket(&der, "a\0b", &mut rand::thread_rng()).is_err());
    }
}
