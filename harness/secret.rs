//! A password or ticket: kept out of debug output and logs, and created random when the lab
//! makes its own.

use std::fmt;

/// A secret string. `Debug` and `Display` print `***`, so it cannot leak through an error
/// message or a `{:?}` of a config struct; [`Secret::expose`] is the one way to read it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

/// Length of the tickets the lab makes: SPICE tickets hold at most 60 bytes (§1.6).
const TICKET_LEN: usize = 32;

impl Secret {
    /// Wraps a secret someone gave us.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// A fresh random ticket of letters and digits (the server compares bytes; shells and
    /// config files need no quoting for these).
    pub fn random_ticket() -> Self {
        use rand::Rng;
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rngs::OsRng;
        let text = (0..TICKET_LEN)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        Self(text)
    }

    /// The secret itself, for the one place that must send or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether there is no secret (a server without ticketing).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "(none)" } else { "***" })
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_itself() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "*** ***");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(format!("{:?}", Secret::default()), "(none)");
    }

    #[test]
    fn random_tickets_are_long_distinct_and_plain() {
        let (a, b) = (Secret::random_ticket(), Secret::random_ticket());
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), TICKET_LEN);
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric()));
    }
}
