//! sshd holding the server's data back in an `ssh -L` tunnel, seen in the capture.
//!
//! A tunnel's capture on loopback holds both sides of sshd: the plaintext SPICE legs sshd
//! opened to the server (relay legs: the server's data arrives there) and the SSH
//! connection (the same data leaves there, encrypted, for the ssh client). In a forwarding-
//! only session sshd often sends it on only when the client's next packet arrives, the
//! pattern of Nagle's algorithm on sshd's socket (README: the `ssh -L` tunnel), so latency
//! flips between ~2 ms and ~40 ms with the input rate and nothing else says why.
//!
//! What is compared, per *burst*: the first server data on a relay leg not yet seen leave
//! sshd, and the next data segment sshd sends on the SSH connection. That segment may carry
//! other bytes queued earlier, so the delay measured is never longer than the real one;
//! SSH encryption hides which bytes are which, so a byte-exact match is not possible. A
//! burst counts as *held* when it waited [`HELD_NS`] or more, and as *released by the
//! client* when a client → sshd packet (data or a bare ACK) arrived during the wait and at
//! most [`AFTER_CLIENT_NS`] before the release. The finding needs [`MIN_BURSTS`] bursts,
//! a median wait of at least [`HELD_NS`], and most held bursts released by the client.
//!
//! With several SSH connections in one capture, a burst is matched to whichever sends
//! next: the waits can only come out shorter. Memory is constant: one pending time, the
//! last client packet, a histogram.

use hdrhistogram::Histogram;

use super::histogram::latency_histogram;

/// A burst that waited this long or longer at sshd counts as held. Loopback forwards in tens
/// of µs; the hold lasts until the client's next packet: ~9 ms at 100 inputs/s, ~40 ms at 20
/// (both in the real captures the tests below read).
pub const HELD_NS: u64 = 5_000_000;
/// A release at most this long after a client packet is taken to be caused by it.
pub const AFTER_CLIENT_NS: u64 = 1_000_000;
/// Fewer bursts than this say nothing either way.
pub const MIN_BURSTS: u64 = 20;

/// One packet the detector looks at, with its capture time in ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Server → sshd data on a relay leg: sshd has something to send on.
    ServerData(u64),
    /// Any client → sshd segment on the SSH connection (data or a bare ACK).
    ClientPacket(u64),
    /// sshd → client data on the SSH connection.
    SshdData(u64),
}

/// What the bursts showed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldSummary {
    /// Bursts matched (server data, then sshd sending).
    pub bursts: u64,
    /// Of those, bursts that waited [`HELD_NS`] or more.
    pub held: u64,
    /// Of the held ones, those sent on within [`AFTER_CLIENT_NS`] after a client packet that
    /// arrived while they waited.
    pub released_by_client: u64,
    /// Median wait, ms; absent without bursts.
    pub median_ms: Option<f64>,
}

impl HoldSummary {
    /// Whether this is the hold: enough bursts, a median wait of [`HELD_NS`] or more, and
    /// most held bursts released right after a client packet.
    pub fn is_hold(&self) -> bool {
        self.bursts >= MIN_BURSTS
            && self.median_ms.is_some_and(|m| m >= HELD_NS as f64 / 1e6)
            && self.released_by_client.saturating_mul(2) > self.held
    }

    /// The warning a result carries when [`is_hold`](Self::is_hold).
    pub fn warning(&self) -> Option<crate::results::Warning> {
        self.is_hold().then(|| {
            crate::results::Warning::new(
                crate::results::WarningCode::SshHold,
                format!(
                    "ssh tunnel: sshd held the server's data for a median of {:.1} ms before \
                 passing it to the ssh client ({} of {} bursts waited {} ms or more; {} of \
                 those left within {} ms after a packet from the client): latency over this \
                 transport includes that wait. It is the pattern of Nagle's algorithm on \
                 sshd's socket in a forwarding-only session, and it changes with how often \
                 the client sends",
                    self.median_ms.unwrap_or_default(),
                    self.held,
                    self.bursts,
                    HELD_NS / 1_000_000,
                    self.released_by_client,
                    AFTER_CLIENT_NS / 1_000_000,
                ),
            )
        })
    }
}

/// The detector, fed packet by packet in capture order.
#[derive(Debug, Clone)]
pub struct HoldTracker {
    /// Earliest server data not yet seen leave sshd.
    pending: Option<u64>,
    /// Latest client → sshd packet.
    last_client: Option<u64>,
    /// Waits, µs.
    waits: Histogram<u64>,
    held: u64,
    released_by_client: u64,
}

impl Default for HoldTracker {
    fn default() -> Self {
        Self {
            pending: None,
            last_client: None,
            waits: latency_histogram(),
            held: 0,
            released_by_client: 0,
        }
    }
}

impl HoldTracker {
    /// Takes one packet.
    pub fn see(&mut self, seen: Seen) {
        match seen {
            Seen::ServerData(t) => {
                self.pending.get_or_insert(t);
            }
            Seen::ClientPacket(t) => self.last_client = Some(t),
            Seen::SshdData(t) => {
                // A reordered capture may show the release first: not a burst.
                let Some(from) = self.pending.take().filter(|&from| from <= t) else {
                    return;
                };
                let wait = t - from;
                self.waits.saturating_record((wait / 1000).max(1));
                if wait >= HELD_NS {
                    self.held += 1;
                    let by_client = self
                        .last_client
                        .is_some_and(|c| c >= from && c <= t && t - c <= AFTER_CLIENT_NS);
                    if by_client {
                        self.released_by_client += 1;
                    }
                }
            }
        }
    }

    /// What the packets so far showed.
    pub fn summary(&self) -> HoldSummary {
        let bursts = self.waits.len();
        HoldSummary {
            bursts,
            held: self.held,
            released_by_client: self.released_by_client,
            median_ms: (bursts > 0).then(|| self.waits.value_at_quantile(0.5) as f64 / 1000.0),
        }
    }
}

/// The summary of a whole sequence of packets, in capture order.
pub fn detect(packets: &[Seen]) -> HoldSummary {
    let mut t = HoldTracker::default();
    for &p in packets {
        t.see(p);
    }
    t.summary()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const US: u64 = 1_000;

    /// 20 inputs/s for 3 s: each input's display answer arrives at sshd 1 ms later. With
    /// `hold`, sshd sends it only when the client's next packet arrives (the next input,
    /// 50 ms after the last); without, 40 µs after it arrived.
    fn session(hold: bool) -> Vec<Seen> {
        let mut seen = Vec::new();
        for i in 0..60u64 {
            let input = 1_000 * MS + i * 50 * MS;
            seen.push(Seen::ClientPacket(input));
            if hold && i > 0 {
                // The previous answer leaves right after this packet.
                seen.push(Seen::SshdData(input + 20 * US));
            }
            seen.push(Seen::ServerData(input + MS));
            seen.push(Seen::ServerData(input + MS + 300 * US));
            if !hold {
                seen.push(Seen::SshdData(input + MS + 40 * US));
                // The client's ACK of it.
                seen.push(Seen::ClientPacket(input + MS + 80 * US));
            }
        }
        seen
    }

    #[test]
    fn data_sent_on_at_the_clients_next_packet_is_the_hold() {
        let s = detect(&session(true));
        assert_eq!(s.bursts, 59);
        assert_eq!(s.held, 59);
        assert_eq!(s.released_by_client, 59);
        // 50 ms between inputs, less the 1 ms to the answer, plus 20 µs.
        let median = s.median_ms.unwrap();
        assert!((median - 49.0).abs() < 0.1, "{median}");
        assert!(s.is_hold());
        let w = s.warning().unwrap();
        assert_eq!(w.code, crate::results::WarningCode::SshHold);
        let w = w.text;
        assert!(
            w.starts_with("ssh tunnel: sshd held the server's data for a median of 49.0 ms"),
            "{w}"
        );
        assert!(
            w.contains("59 of 59 bursts waited 5 ms or more; 59 of those"),
            "{w}"
        );
    }

    #[test]
    fn data_sent_on_at_once_is_no_hold() {
        let s = detect(&session(false));
        assert_eq!(s.bursts, 60);
        assert_eq!(s.held, 0);
        assert!(s.median_ms.unwrap() < 0.1);
        assert!(!s.is_hold() && s.warning().is_none());
    }

    #[test]
    fn slow_releases_not_caused_by_the_client_are_no_hold() {
        // The same waits, but the client's packets come long before each release: the server
        // side is slow, not sshd waiting for the client.
        let mut seen = Vec::new();
        for i in 0..60u64 {
            let t = 1_000 * MS + i * 50 * MS;
            seen.push(Seen::ClientPacket(t));
            seen.push(Seen::ServerData(t + MS));
            seen.push(Seen::SshdData(t + 30 * MS));
        }
        let s = detect(&seen);
        assert_eq!((s.held, s.released_by_client), (60, 0));
        assert!(!s.is_hold());
    }

    /// The analysis of a committed capture.
    fn real(path: &str) -> crate::results::RunResult {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        crate::analyze::analyze_file(&path, Default::default()).expect("committed capture")
    }

    fn hold_warning(r: &crate::results::RunResult) -> Option<&str> {
        r.warnings
            .iter()
            .find(|w| w.code == crate::results::WarningCode::SshHold)
            .map(|w| w.text.as_str())
    }

    #[test]
    fn real_tunnels_show_the_hold_and_a_direct_session_does_not() {
        // remote-viewer at 20 inputs/s (the README's ~16 ms over direct), and spicebench's
        // own client at 100 inputs/s (~9 ms).
        let rv = real("recordings/rv-ssh-tunnel-auto_glz/capture.pcapng");
        let w = hold_warning(&rv).expect("the hold");
        assert!(w.contains("a median of 16.2 ms"), "{w}");
        let sb = real("tests/data/ssh-tunnel-retransmitted.pcapng");
        let w = hold_warning(&sb).expect("the hold");
        assert!(w.contains("a median of 9.2 ms"), "{w}");
        // Direct: no SSH connection, no relay leg, nothing to compare.
        let direct = real("recordings/rv-direct-auto_glz/capture.pcapng");
        assert_eq!(hold_warning(&direct), None);
    }

    #[test]
    fn too_few_bursts_or_nothing_says_nothing() {
        let few: Vec<Seen> = session(true).into_iter().take(30).collect();
        let s = detect(&few);
        assert!(s.bursts < MIN_BURSTS && !s.is_hold());
        let s = detect(&[]);
        assert_eq!(s.bursts, 0);
        assert_eq!(s.median_ms, None);
        assert!(!s.is_hold());
        // Release before the data (a reordered capture) is no burst, and no panic.
        let s = detect(&[Seen::ServerData(5 * MS), Seen::SshdData(MS)]);
        assert_eq!(s.bursts, 0);
    }
}
