//! The emulator's seeded generator: SplitMix64 written out (as `scenario`'s input paths
//! are, which this leaf module cannot reach), so a seed yields the same losses and jitter
//! forever, whatever happens to random-number crates.

/// Sebastiano Vigna's SplitMix64.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl SplitMix64 {
    /// A generator for one stream of `seed`: `stream` is mixed in, so the loss and jitter
    /// streams of one seed are unrelated and one does not shift when the other is used.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        Self {
            state: seed ^ mix64(stream.wrapping_add(GAMMA)),
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix64(self.state)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..=n`.
    pub(crate) fn up_to(&mut self, n: u64) -> u64 {
        if n == u64::MAX {
            return self.next_u64();
        }
        ((u128::from(self.next_u64()) * u128::from(n + 1)) >> 64) as u64
    }
}

/// SplitMix64's output function.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_one_stream_and_streams_differ() {
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(SplitMix64::new(7, 0), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(SplitMix64::new(7, 0), |r, _| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(SplitMix64::new(7, 1), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn bounded_draws_stay_in_range() {
        let mut r = SplitMix64::new(1, 2);
        for _ in 0..1000 {
            assert!(r.up_to(3) <= 3);
            assert_eq!(r.up_to(0), 0);
            let f = r.next_f64();
            assert!((0.0..1.0).contains(&f));
        }
        let _ = r.up_to(u64::MAX);
    }
}
