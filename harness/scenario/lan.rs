//! `[access.lan]`: the emulated link of the `lan` transport, as a scenario writes it and as
//! its rules read it. One profile serves both directions (a LAN is symmetric). serde reads it
//! and refuses each bad value itself, so the error is at the value's line and key.
//!
//! ```toml
//! [access]
//! transports = ["direct", "lan"]
//! [access.lan]
//! rate = "100mbit"     # optional: no rate sends every packet at once
//! delay_ms = 2.5       # one way
//! jitter_ms = 0
//! loss = 0.0
//! queue_packets = 1000
//! ```

use std::time::Duration;

use serde::de::{Deserialize, Deserializer, Error};

use crate::link::{LinkProfile, QueueLimit, Rate};

/// Longest one-way delay (and jitter) a scenario may ask for: beyond it SPICE's own timeouts
/// end the session, and a typo (`delay_ms = 4000` for 40) is likelier than a benchmark.
const MAX_DELAY_MS: f64 = 5_000.0;
/// Longest queue, in packets.
const MAX_QUEUE_PACKETS: u32 = 1_000_000;
/// Loss is kept in parts per billion: an integer keeps routes `Eq`, `Hash` and `Ord`.
const LOSS_SCALE: f64 = 1e9;
/// The default queue: Linux's `txqueuelen` of an Ethernet device, as the emulator's.
const DEFAULT_QUEUE_PACKETS: u32 = 1000;

/// The link of a `lan` route, the same each way. Integers and durations only, so a route
/// stays `Copy`, `Eq`, `Hash` and `Ord` (the matrix orders routes and keys maps by them).
/// Keys left out of `[access.lan]` take the ideal link's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(default, deny_unknown_fields, expecting = "a table")]
pub struct LanLink {
    /// The bottleneck's rate; `None` sends every packet at once.
    #[serde(deserialize_with = "rate")]
    pub rate: Option<Rate>,
    /// One-way delay.
    #[serde(rename = "delay_ms", deserialize_with = "millis")]
    pub delay: Duration,
    /// Extra one-way delay, uniform in `[0, jitter]`, seeded, never reordering.
    #[serde(rename = "jitter_ms", deserialize_with = "millis")]
    pub jitter: Duration,
    /// Probability of losing a packet, in parts per billion.
    #[serde(rename = "loss", deserialize_with = "loss_ppb")]
    pub loss_ppb: u32,
    /// How many packets wait for the bottleneck before it drops at the tail.
    #[serde(deserialize_with = "queue_packets")]
    pub queue_packets: u32,
}

impl Default for LanLink {
    /// An ideal link: no rate, delay, jitter or loss.
    fn default() -> Self {
        Self {
            rate: None,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            loss_ppb: 0,
            queue_packets: DEFAULT_QUEUE_PACKETS,
        }
    }
}

impl LanLink {
    /// The probability of losing a packet.
    pub fn loss(&self) -> f64 {
        f64::from(self.loss_ppb) / LOSS_SCALE
    }

    /// The emulator's profile of one direction.
    pub fn profile(&self) -> LinkProfile {
        LinkProfile {
            rate: self.rate,
            delay: self.delay,
            jitter: self.jitter,
            loss: self.loss(),
            queue: QueueLimit::Packets(u64::from(self.queue_packets)),
        }
    }
}

fn rate<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Rate>, D::Error> {
    Rate::parse(&String::deserialize(d)?)
        .map(Some)
        .map_err(D::Error::custom)
}

/// A one-way delay in milliseconds.
fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let ms = f64::deserialize(d)?;
    // Written so NaN fails too.
    if !(0.0..=MAX_DELAY_MS).contains(&ms) {
        let msg = format!("must be between 0 and {MAX_DELAY_MS} milliseconds (one way), got {ms}");
        return Err(D::Error::custom(msg));
    }
    Ok(Duration::from_nanos((ms * 1e6).round() as u64))
}

fn loss_ppb<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let p = f64::deserialize(d)?;
    if !(0.0..=1.0).contains(&p) {
        let msg = format!(
            "the loss {p} is not a probability; write a number from 0 (no loss) to 1 \
             (every packet), e.g. 0.001"
        );
        return Err(D::Error::custom(msg));
    }
    Ok((p * LOSS_SCALE).round() as u32)
}

fn queue_packets<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = i64::deserialize(d)?;
    match u32::try_from(n) {
        Ok(n) if (1..=MAX_QUEUE_PACKETS).contains(&n) => Ok(n),
        _ => Err(D::Error::custom(format!(
            "must be between 1 and {MAX_QUEUE_PACKETS} packets, got {n}; the default is \
             {DEFAULT_QUEUE_PACKETS}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<LanLink, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn a_profile_reads_with_defaults_for_what_is_left_out() {
        let l = read("rate = \"100mbit\"\ndelay_ms = 2.5\nloss = 0.001").unwrap();
        assert_eq!(l.rate.map(Rate::bits_per_second), Some(100_000_000));
        assert_eq!(l.delay, Duration::from_micros(2500));
        assert_eq!(l.jitter, Duration::ZERO);
        assert_eq!(l.loss_ppb, 1_000_000);
        assert_eq!(l.queue_packets, 1000);
        let p = l.profile();
        assert!((p.loss - 0.001).abs() < 1e-12);
        assert_eq!(p.queue, QueueLimit::Packets(1000));
        // Integers read as milliseconds too.
        assert_eq!(
            read("delay_ms = 10").unwrap().delay,
            Duration::from_millis(10)
        );
        assert_eq!(read("").unwrap(), LanLink::default());
    }

    #[test]
    fn bad_values_name_their_key_and_the_fix() {
        for (text, key, words) in [
            ("rate = \"4mb\"", "access.lan.rate", "e.g. \"4mbit\""),
            ("delay_ms = -1", "access.lan.delay_ms", "between 0 and"),
            ("jitter_ms = nan", "access.lan.jitter_ms", "between 0 and"),
            ("loss = 1.5", "access.lan.loss", "not a probability"),
            (
                "queue_packets = 0",
                "access.lan.queue_packets",
                "between 1 and",
            ),
        ] {
            let access = format!("[access]\ntransports = [\"lan\"]\n[access.lan]\n{text}");
            super::super::parse_tests::fails(&scenario(XSPICE, &access), 7, key, words);
        }
        assert!(read("delay = 3").is_err());
    }

    /// A scenario with `target` as its `[target]` body and `access` after it.
    fn scenario(target: &str, access: &str) -> String {
        format!(
            "name = \"l\"\n[target]\n{target}\n{access}\n[[steps]]\nkind = \"pause\"\n\
             duration_s = 1\n"
        )
    }

    const XSPICE: &str = "kind = \"xspice\"";

    #[test]
    fn a_lan_route_carries_the_files_link_and_only_it() {
        use super::super::parse_tests::{fails, parse};
        use super::super::{Route, TransportKind};
        let text = scenario(
            XSPICE,
            "[access]\ntransports = [\"direct\", \"lan\"]\n[access.lan]\ndelay_ms = 10",
        );
        let s = parse(&text).unwrap();
        let lan = s.access.routes[1];
        assert_eq!(lan.kind(), TransportKind::Lan);
        assert_eq!(lan.label(), "lan");
        assert_eq!(s.access.routes[0], Route::DIRECT);
        assert_eq!(
            s.access.lan_link().unwrap().delay,
            Duration::from_millis(10)
        );
        // `--transports lan` keeps the file's link.
        let o = super::super::MatrixOverride {
            routes: Some(vec!["lan".parse().unwrap()]),
            ..Default::default()
        };
        let over = s.with_overrides(o).unwrap();
        assert_eq!(over.access.routes, [lan]);
        // Without [access.lan] the link is ideal.
        let plain = parse(&scenario(XSPICE, "[access]\ntransports = [\"lan\"]")).unwrap();
        assert_eq!(plain.access.lan_link(), Some(LanLink::default()));
        fails(
            &scenario(
                XSPICE,
                "[access]\ntransports = [\"direct\"]\n[access.lan]\nloss = 0.1",
            ),
            5,
            "access.lan",
            "add \"lan\" to transports",
        );
        fails(
            &scenario(
                XSPICE,
                "[access]\ntransports = [\"lan\"]\n[access.lan]\nloss = 2",
            ),
            7,
            "access.lan.loss",
            "not a probability",
        );
    }

    #[test]
    fn lan_needs_a_server_spicebench_starts() {
        use super::super::parse_tests::fails;
        let external =
            "kind = \"external\"\nuri = \"spice://127.0.0.1:5930\"\ngeometry = \"1024x768\"";
        fails(
            &scenario(external, "[access]\ntransports = [\"lan\"]"),
            7,
            "access.transports",
            "kind = \"xspice\"",
        );
    }
}
