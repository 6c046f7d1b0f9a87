//! The knobs of one direction of an emulated link, and the parsing of a rate.

use std::fmt;
use std::num::NonZeroU64;
use std::time::Duration;

/// One direction of a link: what a packet goes through on its way.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkProfile {
    /// The bottleneck's rate; `None` sends every packet the moment it arrives (no
    /// serialisation time, no queue).
    pub rate: Option<Rate>,
    /// One-way propagation delay: every delivered packet is held at least this long after
    /// the bottleneck sent it.
    pub delay: Duration,
    /// Extra delay per packet, uniform in `[0, jitter]`, seeded. A packet is never delivered
    /// before the one pushed ahead of it, so the delay a packet sees is its draw or its
    /// predecessor's due time, whichever is later (jitter here never reorders; TCP would
    /// read reordering as loss). So packets closer together than the jitter (a burst) crowd
    /// towards `delay + jitter`, and the spread shows between bursts.
    pub jitter: Duration,
    /// Probability in `[0, 1]` that a packet is lost after the bottleneck sent it, seeded.
    pub loss: f64,
    /// How much the bottleneck's queue holds before it drops at the tail. Only meaningful
    /// with a rate: without one nothing ever waits.
    pub queue: QueueLimit,
}

impl LinkProfile {
    /// A link that delivers everything at once: no rate, delay, jitter or loss.
    pub fn ideal() -> Self {
        Self {
            rate: None,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: 0.0,
            queue: QueueLimit::default(),
        }
    }

    /// Checks what the emulator would otherwise clamp: a loss that is no probability.
    pub fn validate(&self) -> Result<(), LinkError> {
        if !(0.0..=1.0).contains(&self.loss) {
            return Err(LinkError::Loss(self.loss));
        }
        Ok(())
    }
}

impl Default for LinkProfile {
    fn default() -> Self {
        Self::ideal()
    }
}

/// How much a bottleneck's queue holds, counting the packet being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueLimit {
    /// At most this many packets (Linux `pfifo`); 0 drops everything while a rate applies.
    Packets(u64),
    /// At most this many bytes (Linux `bfifo`): a packet that would take the queue over the
    /// limit is dropped, also when it is alone and larger than the limit.
    Bytes(u64),
    /// No limit: the queue, and with it the delay, grows as long as the sender sends faster
    /// than the rate.
    Unlimited,
}

impl Default for QueueLimit {
    /// 1000 packets: Linux's default `txqueuelen` for an Ethernet device.
    fn default() -> Self {
        Self::Packets(1000)
    }
}

/// A link rate in bits per second (never zero: a link that sends nothing is loss = 1).
// Hash: scenario routes carry a rate and key maps by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rate(NonZeroU64);

impl Rate {
    /// `bits_per_second`, unless it is zero.
    pub fn from_bits_per_second(bits_per_second: u64) -> Option<Self> {
        NonZeroU64::new(bits_per_second).map(Self)
    }

    /// The rate in bits per second.
    pub fn bits_per_second(self) -> u64 {
        self.0.get()
    }

    /// Parses `tc`'s decimal units: a number (decimals allowed) followed by `bit`, `kbit`,
    /// `mbit` or `gbit` (any case; 1 kbit = 1000 bit), e.g. `4mbit`, `1.5Gbit`, `64000bit`.
    /// Bytes per second (`tc`'s `bps`, easily misread as bits) are refused rather than
    /// guessed.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let bad = |why: &str| LinkError::Rate {
            text: text.to_string(),
            why: why.to_string(),
        };
        let lower = text.trim().to_ascii_lowercase();
        let split = lower
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| bad("it has no unit"))?;
        let (number, unit) = lower.split_at(split);
        let scale: u64 = match unit.trim() {
            "bit" => 1,
            "kbit" => 1_000,
            "mbit" => 1_000_000,
            "gbit" => 1_000_000_000,
            "bps" | "kbps" | "mbps" | "gbps" => {
                return Err(bad("`bps` would be bytes per second in tc; write bits"))
            }
            _ => return Err(bad("the unit is not one of bit, kbit, mbit, gbit")),
        };
        let value: f64 = number
            .parse()
            .map_err(|_| bad("the number does not read"))?;
        let bits = value * scale as f64;
        if !bits.is_finite() || bits < 1.0 || bits > u64::MAX as f64 {
            return Err(bad("it is not between 1 bit/s and 2^64 bit/s"));
        }
        Self::from_bits_per_second(bits.round() as u64).ok_or_else(|| bad("it is zero"))
    }
}

impl fmt::Display for Rate {
    /// The largest unit that keeps the number whole (`4mbit`, `1500kbit`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = self.bits_per_second();
        for (scale, unit) in [
            (1_000_000_000, "gbit"),
            (1_000_000, "mbit"),
            (1_000, "kbit"),
        ] {
            if bits.is_multiple_of(scale) {
                return write!(f, "{}{unit}", bits / scale);
            }
        }
        write!(f, "{bits}bit")
    }
}

/// A link setting the user wrote that cannot be used, with how to write it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinkError {
    /// A rate that does not parse.
    #[error("cannot read the rate {text:?}: {why}; write a number and a unit, e.g. \"4mbit\", \"1.5gbit\", \"64kbit\"")]
    Rate {
        /// What was written.
        text: String,
        /// What is wrong with it.
        why: String,
    },
    /// A loss that is no probability.
    #[error("the loss {0} is not a probability; write a number from 0 (no loss) to 1 (every packet), e.g. 0.001")]
    Loss(f64),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(text: &str) -> u64 {
        Rate::parse(text).unwrap().bits_per_second()
    }

    #[test]
    fn rates_read_in_tc_units() {
        assert_eq!(bits("4mbit"), 4_000_000);
        assert_eq!(bits("1.5Gbit"), 1_500_000_000);
        assert_eq!(bits(" 64kbit "), 64_000);
        assert_eq!(bits("8000bit"), 8_000);
        assert_eq!(bits("0.5 mbit"), 500_000);
    }

    #[test]
    fn rates_that_do_not_read_say_why() {
        for (text, why) in [
            ("4", "no unit"),
            ("", "no unit"),
            ("4mb", "not one of"),
            ("4mbps", "bytes per second"),
            ("0mbit", "between"),
            ("0.1bit", "between"),
            ("1.2.3mbit", "does not read"),
            ("mbit", "does not read"),
            ("99999999999999gbit", "between"),
            ("-4mbit", "not one of"),
        ] {
            let err = Rate::parse(text).unwrap_err();
            assert!(err.to_string().contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn rates_print_in_the_largest_whole_unit_and_read_back() {
        for (n, text) in [
            (4_000_000, "4mbit"),
            (1_500_000, "1500kbit"),
            (1_000_000_000, "1gbit"),
            (1_234, "1234bit"),
        ] {
            let rate = Rate::from_bits_per_second(n).unwrap();
            assert_eq!(rate.to_string(), text);
            assert_eq!(Rate::parse(text), Ok(rate));
        }
        assert_eq!(Rate::from_bits_per_second(0), None);
    }

    #[test]
    fn a_loss_must_be_a_probability() {
        let mut p = LinkProfile::ideal();
        for ok in [0.0, 0.001, 1.0] {
            p.loss = ok;
            assert_eq!(p.validate(), Ok(()));
        }
        for bad in [-0.1, 1.01, f64::NAN, f64::INFINITY] {
            p.loss = bad;
            assert!(p.validate().is_err(), "{bad}");
        }
    }
}
