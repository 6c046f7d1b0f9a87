//! A fast hasher for the analyser's flow table, which is looked up once per packet.
//!
//! The standard SipHash resists hash flooding, which costs ~10 % of the whole analysis here.
//! Flow keys are socket address pairs: a multiply-rotate hash over their words (the scheme
//! of rustc's FxHash) spreads them well. A capture crafted to collide only slows its own
//! analysis down; nothing else shares the table.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hasher over 64-bit words.
#[derive(Debug, Default, Clone, Copy)]
pub struct FlowHasher {
    hash: u64,
}

/// An odd constant with well-mixed bits (2^64 / φ).
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

impl FlowHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FlowHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `HashMap<K, V, FlowHash>`: the analyser's maps.
pub type FlowHash = BuildHasherDefault<FlowHasher>;

#[cfg(test)]
mod test {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;
    use std::net::SocketAddr;

    #[test]
    fn flow_keys_of_one_host_spread_over_the_buckets() {
        // 4096 client ports against one server: the low 12 bits (what a 4096-bucket table
        // uses) must take many values, not a handful.
        let server: SocketAddr = "127.0.0.1:5900".parse().unwrap();
        let low: HashSet<u64> = (40_000u16..44_096)
            .map(|p| {
                let client = SocketAddr::from(([127, 0, 0, 1], p));
                FlowHash::default().hash_one((client, server)) & 0xfff
            })
            .collect();
        assert!(low.len() > 2000, "{} distinct of 4096", low.len());
    }

    #[test]
    fn bytes_of_any_length_hash_and_differ() {
        let h = |b: &[u8]| {
            let mut x = FlowHasher::default();
            x.write(b);
            x.finish()
        };
        assert_ne!(h(b"abcdefghi"), h(b"abcdefghj"));
        assert_ne!(h(b""), h(b"\x01"));
    }
}
