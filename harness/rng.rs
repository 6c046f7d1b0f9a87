//! SplitMix64, written out here so a seed yields the same input path and the same link
//! losses and jitter forever, whatever happens to random-number crates. Shared by the input
//! planner and the link emulator.

/// Sebastiano Vigna's SplitMix64 generator.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a strong 64-bit mixer on its own.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    /// The generator whose state starts at `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator for one of several streams of `seed` (a scenario's steps; a link's loss
    /// and jitter): the index is mixed in so that streams are unrelated, one does not shift
    /// when another is used, and neighbouring seeds do not share shifted streams.
    pub fn stream(seed: u64, index: u64) -> Self {
        Self::new(seed ^ mix64(index.wrapping_add(GAMMA)))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix64(self.state)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform-enough integer in `0..n` (multiply-shift; the bias is below 2^-58 for the
    /// small `n` used here). `n == 0` gives 0.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `0..=n`.
    pub fn up_to(&mut self, n: u64) -> u64 {
        match n.checked_add(1) {
            Some(count) => self.below(count),
            None => self.next_u64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_reference_outputs() {
        // First outputs of the reference C implementation for seed 1234567.
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(r.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut r = SplitMix64::new(7);
        for _ in 0..10_000 {
            let f = r.next_f64();
            assert!((0.0..1.0).contains(&f));
            assert!(r.below(11) < 11);
        }
        assert_eq!(r.below(0), 0);
        for _ in 0..1000 {
            assert!(r.up_to(3) <= 3);
            assert_eq!(r.up_to(0), 0);
        }
        let _ = r.up_to(u64::MAX);
    }

    #[test]
    fn steps_get_different_streams() {
        let a = SplitMix64::stream(42, 0).next_u64();
        let b = SplitMix64::stream(42, 1).next_u64();
        let c = SplitMix64::stream(43, 0).next_u64();
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, SplitMix64::stream(42, 0).next_u64());
    }
}
