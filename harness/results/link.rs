//! `config.link`: the emulated link a `lan` configuration ran over (the same profile each
//! way) and what it carried each way over the whole session, from the link's own counters.

use serde::{Deserialize, Serialize};

/// The link of a `lan` configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkInfo {
    /// The bottleneck's rate each way, bits per second; absent: no rate limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_bits_per_second: Option<u64>,
    /// One-way delay, milliseconds.
    pub delay_ms: f64,
    /// Extra one-way delay per packet, uniform in `[0, jitter_ms]`, never reordering.
    pub jitter_ms: f64,
    /// Probability of losing a packet, each way.
    pub loss: f64,
    /// Packets the bottleneck's queue holds before it drops at the tail.
    pub queue_packets: u32,
    /// What the link carried viewer → server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up: Option<LinkCounts>,
    /// What the link carried server → viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down: Option<LinkCounts>,
}

/// One direction's account: every IP packet that entered it was delivered, dropped by the
/// full queue or lost (the few still held at the end are in none of the three).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkCounts {
    /// IP packets that entered the link.
    pub packets_in: u64,
    /// Their bytes (IP headers included).
    pub bytes_in: u64,
    /// IP packets delivered to the other side.
    pub packets_out: u64,
    /// Their bytes.
    pub bytes_out: u64,
    /// Packets dropped at the tail of the full queue.
    pub queue_drops: u64,
    /// Packets lost by the loss draw.
    pub lost: u64,
    /// The longest a packet waited in the queue, milliseconds.
    pub max_queue_delay_ms: f64,
}
