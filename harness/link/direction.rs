//! One direction of an emulated link: the rules of the model in [`Direction::push`], in one
//! place.

use std::collections::VecDeque;
use std::time::Duration;

use super::profile::{LinkProfile, QueueLimit};
use crate::rng::SplitMix64;

/// What became of a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// It will be delivered at this time ([`Direction::pop_due`] returns it then).
    Due(Duration),
    /// The bottleneck's queue was full: dropped at the tail.
    QueueFull,
    /// Lost on the link (the seeded loss draw).
    Lost,
}

/// What a direction saw: every pushed packet is delivered, dropped by the queue, lost, or
/// still held (`packets_in = packets_out + dropped + lost + held`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Packets pushed.
    pub packets_in: u64,
    /// Bytes pushed.
    pub bytes_in: u64,
    /// Packets delivered (popped).
    pub packets_out: u64,
    /// Bytes delivered (popped).
    pub bytes_out: u64,
    /// Packets dropped at the tail of a full queue.
    pub queue_drops: u64,
    /// Bytes of those packets.
    pub queue_drop_bytes: u64,
    /// Packets lost by the loss draw.
    pub lost: u64,
    /// Bytes of those packets.
    pub lost_bytes: u64,
    /// The longest a packet waited in the queue before the bottleneck began sending it.
    pub max_queue_delay: Duration,
}

/// A packet on its way: held until `due`.
#[derive(Debug)]
struct Held {
    due: Duration,
    packet: Vec<u8>,
}

/// One direction of the link (see the [module docs](super) for the model).
#[derive(Debug)]
pub struct Direction {
    profile: LinkProfile,
    /// Decides losses: one draw per pushed packet, so the pattern depends on the packet's
    /// index alone (not on the queue or on jitter).
    loss_rng: SplitMix64,
    /// Draws jitter: one draw per pushed packet, for the same reason.
    jitter_rng: SplitMix64,
    /// The latest time seen; time never goes back.
    now: Duration,
    /// When the bottleneck finishes sending the last packet it accepted.
    link_free: Duration,
    /// What `link_free` leaves out, in units of 1/rate ns: sending times are rounded down
    /// to whole nanoseconds and the rest carried to the next packet, so a long transfer
    /// keeps the rate exactly.
    carry: u64,
    /// Packets the bottleneck has accepted and not finished sending: (finish, bytes).
    backlog: VecDeque<(Duration, u64)>,
    /// Bytes in `backlog`.
    backlog_bytes: u64,
    /// Packets sent and not yet delivered, in order of due time (= order of arrival).
    held: VecDeque<Held>,
    /// The due time of the last packet held: the earliest the next may be delivered.
    last_due: Duration,
    counters: Counters,
}

impl Direction {
    /// A direction with `profile`; `seed` makes its losses and jitter reproducible.
    pub fn new(profile: LinkProfile, seed: u64) -> Self {
        Self {
            profile,
            loss_rng: SplitMix64::stream(seed, 1),
            jitter_rng: SplitMix64::stream(seed, 2),
            now: Duration::ZERO,
            link_free: Duration::ZERO,
            carry: 0,
            backlog: VecDeque::new(),
            backlog_bytes: 0,
            held: VecDeque::new(),
            last_due: Duration::ZERO,
            counters: Counters::default(),
        }
    }

    /// The profile it emulates.
    pub fn profile(&self) -> &LinkProfile {
        &self.profile
    }

    /// Takes `packet` at `now` and says what becomes of it. The rules, in order:
    /// 1. the loss and jitter draws (always both, so each stream follows the packet's index);
    /// 2. with a rate: tail drop when the queue is at its limit; otherwise the bottleneck
    ///    sends it from when it is free, for `8 * len / rate`;
    /// 3. the loss draw takes it, after it used the link's time (lost on the wire);
    /// 4. due when sent + delay + jitter draw, but not before the previous packet's due time.
    pub fn push(&mut self, packet: Vec<u8>, now: Duration) -> Fate {
        let now = self.advance(now);
        let len = packet.len() as u64;
        self.counters.packets_in += 1;
        self.counters.bytes_in = self.counters.bytes_in.saturating_add(len);

        let loss = self.loss_rng.next_f64();
        let jitter = self.jitter_draw();

        let sent = match self.profile.rate {
            None => now,
            Some(rate) => {
                self.expire_backlog(now);
                if !self.queue_admits(len) {
                    self.counters.queue_drops += 1;
                    self.counters.queue_drop_bytes =
                        self.counters.queue_drop_bytes.saturating_add(len);
                    return Fate::QueueFull;
                }
                let start = if self.link_free > now {
                    self.link_free
                } else {
                    // The link was idle: nothing of a previous packet is left to carry.
                    self.carry = 0;
                    now
                };
                self.counters.max_queue_delay = self.counters.max_queue_delay.max(start - now);
                let finish = start.saturating_add(self.sending_time(len, rate.bits_per_second()));
                self.link_free = finish;
                self.backlog.push_back((finish, len));
                self.backlog_bytes = self.backlog_bytes.saturating_add(len);
                finish
            }
        };

        // `loss < p` is false for a NaN p and for p <= 0, true for every draw when p > 1.
        if loss < self.profile.loss {
            self.counters.lost += 1;
            self.counters.lost_bytes = self.counters.lost_bytes.saturating_add(len);
            return Fate::Lost;
        }

        let due = sent
            .saturating_add(self.profile.delay)
            .saturating_add(jitter)
            .max(self.last_due);
        self.last_due = due;
        self.held.push_back(Held { due, packet });
        Fate::Due(due)
    }

    /// The next packet due at `now`, if any; call until `None` to drain all that are due.
    #[must_use]
    pub fn pop_due(&mut self, now: Duration) -> Option<Vec<u8>> {
        let now = self.advance(now);
        if self.held.front()?.due > now {
            return None;
        }
        let held = self.held.pop_front()?;
        self.counters.packets_out += 1;
        self.counters.bytes_out = self
            .counters
            .bytes_out
            .saturating_add(held.packet.len() as u64);
        Some(held.packet)
    }

    /// When the next held packet is due: the time to call [`pop_due`](Self::pop_due) at.
    #[must_use]
    pub fn next_due(&self) -> Option<Duration> {
        self.held.front().map(|h| h.due)
    }

    /// Packets sent and not yet delivered.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// What this direction saw so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// `now`, unless an earlier call saw a later time (time never goes back).
    fn advance(&mut self, now: Duration) -> Duration {
        self.now = self.now.max(now);
        self.now
    }

    /// Uniform in `[0, jitter]` at nanosecond resolution.
    fn jitter_draw(&mut self) -> Duration {
        let max = u64::try_from(self.profile.jitter.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.jitter_rng.up_to(max))
    }

    /// Forgets the packets the bottleneck finished sending by `now`.
    fn expire_backlog(&mut self, now: Duration) {
        while let Some(&(finish, len)) = self.backlog.front() {
            if finish > now {
                break;
            }
            self.backlog.pop_front();
            self.backlog_bytes = self.backlog_bytes.saturating_sub(len);
        }
    }

    /// Whether the queue (the packet being sent included) has room for `len` more bytes.
    fn queue_admits(&self, len: u64) -> bool {
        match self.profile.queue {
            QueueLimit::Packets(limit) => (self.backlog.len() as u64) < limit,
            QueueLimit::Bytes(limit) => self.backlog_bytes.saturating_add(len) <= limit,
            QueueLimit::Unlimited => true,
        }
    }

    /// `8 * len / rate` seconds, rounded down to whole nanoseconds with the rest carried.
    fn sending_time(&mut self, len: u64, rate: u64) -> Duration {
        let rate = u128::from(rate.max(1));
        let numerator = u128::from(len) * 8 * 1_000_000_000 + u128::from(self.carry);
        // carry < rate <= u64::MAX, so it fits.
        self.carry = (numerator % rate) as u64;
        Duration::from_nanos(u64::try_from(numerator / rate).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::super::profile::Rate;
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    fn profile(rate: Option<u64>, delay: Duration) -> LinkProfile {
        LinkProfile {
            rate: rate.and_then(Rate::from_bits_per_second),
            delay,
            ..LinkProfile::ideal()
        }
    }

    /// Pops everything due at `now`.
    fn drain(d: &mut Direction, now: Duration) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| d.pop_due(now)).collect()
    }

    #[test]
    fn an_ideal_link_delivers_at_once_and_in_order() {
        let mut d = Direction::new(LinkProfile::ideal(), 0);
        assert_eq!(d.push(vec![1], ms(5)), Fate::Due(ms(5)));
        assert_eq!(d.push(vec![2, 2], ms(5)), Fate::Due(ms(5)));
        assert_eq!(d.next_due(), Some(ms(5)));
        assert_eq!(drain(&mut d, ms(5)), vec![vec![1], vec![2, 2]]);
        assert_eq!(d.next_due(), None);
        let c = d.counters();
        assert_eq!(
            (c.packets_in, c.bytes_in, c.packets_out, c.bytes_out),
            (2, 3, 2, 3)
        );
    }

    #[test]
    fn ten_mbit_sends_1250_bytes_in_one_millisecond() {
        let mut d = Direction::new(profile(Some(10_000_000), Duration::ZERO), 0);
        // Back to back: the second waits for the first.
        assert_eq!(d.push(vec![0; 1250], ms(0)), Fate::Due(ms(1)));
        assert_eq!(d.push(vec![0; 1250], ms(0)), Fate::Due(ms(2)));
        assert!(d.pop_due(us(999)).is_none());
        assert_eq!(drain(&mut d, ms(1)).len(), 1);
        assert_eq!(d.next_due(), Some(ms(2)));
        // After the link went idle, a packet starts when it arrives.
        assert_eq!(d.push(vec![0; 1250], ms(10)), Fate::Due(ms(11)));
        assert_eq!(d.counters().max_queue_delay, ms(1));
    }

    #[test]
    fn the_rate_holds_exactly_over_many_packets_that_do_not_divide_evenly() {
        // 1 byte at 3 bit/s is 2.666… s: rounding each packet down would drift by 1 ns each.
        let mut d = Direction::new(
            LinkProfile {
                queue: QueueLimit::Unlimited,
                ..profile(Some(3), Duration::ZERO)
            },
            0,
        );
        let mut last = Fate::Lost;
        for _ in 0..3000 {
            last = d.push(vec![0], Duration::ZERO);
        }
        // 3000 bytes = 24000 bits at 3 bit/s = 8000 s exactly.
        assert_eq!(last, Fate::Due(Duration::from_secs(8000)));
    }

    #[test]
    fn delay_adds_exactly_after_sending() {
        let mut d = Direction::new(profile(Some(10_000_000), ms(20)), 0);
        assert_eq!(d.push(vec![0; 1250], ms(3)), Fate::Due(ms(24)));
        let mut plain = Direction::new(profile(None, ms(20)), 0);
        assert_eq!(plain.push(vec![0; 9000], ms(3)), Fate::Due(ms(23)));
        assert_eq!(plain.pop_due(ms(22)), None);
        assert_eq!(plain.pop_due(ms(23)), Some(vec![0; 9000]));
    }

    #[test]
    fn jitter_stays_in_range_keeps_order_and_is_reproducible() {
        let p = LinkProfile {
            delay: ms(40),
            jitter: ms(5),
            ..LinkProfile::ideal()
        };
        let run = |seed| {
            let mut d = Direction::new(p.clone(), seed);
            (0..2000u64)
                .map(|i| match d.push(i.to_le_bytes().to_vec(), ms(10 * i)) {
                    Fate::Due(due) => due,
                    other => panic!("{other:?}"),
                })
                .collect::<Vec<_>>()
        };
        let dues = run(9);
        assert_eq!(dues, run(9), "same seed, same delays");
        assert_ne!(dues, run(10), "another seed, other delays");
        let mut spread = std::collections::BTreeSet::new();
        for (i, pair) in dues.windows(2).enumerate() {
            assert!(pair[0] <= pair[1], "reordered at {i}");
        }
        for (i, due) in dues.iter().enumerate() {
            let sent = ms(10 * i as u64);
            let held = *due - sent;
            assert!(held >= ms(40), "{i}: held {held:?}");
            // At most the jitter, plus waiting for a predecessor that drew more.
            assert!(held <= ms(45), "{i}: held {held:?}");
            spread.insert(held.as_micros() / 500);
        }
        assert!(spread.len() >= 8, "jitter spreads the delays: {spread:?}");
        // Packets closer together than the jitter crowd towards delay + jitter (each waits
        // for the largest draw before it), and are delivered in the order pushed.
        let mut d = Direction::new(p, 9);
        for i in 0..2000u64 {
            let _ = d.push(i.to_le_bytes().to_vec(), us(10 * i));
        }
        assert!(d.next_due().unwrap() >= ms(40));
        let last = d.held.back().unwrap().due - us(10 * 1999);
        assert!(last > ms(44) && last <= ms(45), "{last:?}");
        let out = drain(&mut d, Duration::from_secs(1));
        let expected: Vec<Vec<u8>> = (0..2000u64).map(|i| i.to_le_bytes().to_vec()).collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn loss_is_reproducible_from_the_seed_and_near_its_probability() {
        let p = LinkProfile {
            loss: 0.1,
            ..LinkProfile::ideal()
        };
        let pattern = |seed| {
            let mut d = Direction::new(p.clone(), seed);
            (0..10_000)
                .map(|_| d.push(vec![0; 10], Duration::ZERO) == Fate::Lost)
                .collect::<Vec<_>>()
        };
        let a = pattern(1);
        assert_eq!(a, pattern(1));
        assert_ne!(a, pattern(2));
        let lost = a.iter().filter(|l| **l).count();
        assert!((900..1100).contains(&lost), "{lost} of 10000 at p = 0.1");

        // The loss pattern follows the packet index, not jitter or the rate.
        let mut other = Direction::new(
            LinkProfile {
                jitter: ms(3),
                rate: Rate::from_bits_per_second(1_000_000),
                queue: QueueLimit::Unlimited,
                ..p
            },
            1,
        );
        let b: Vec<bool> = (0..10_000)
            .map(|_| other.push(vec![0; 10], Duration::ZERO) == Fate::Lost)
            .collect();
        assert_eq!(a, b);
        let c = other.counters();
        assert_eq!((c.lost, c.lost_bytes), (lost as u64, 10 * lost as u64));
    }

    #[test]
    fn a_lost_packet_still_used_the_links_time() {
        let mut d = Direction::new(
            LinkProfile {
                loss: 1.0,
                ..profile(Some(10_000_000), Duration::ZERO)
            },
            0,
        );
        assert_eq!(d.push(vec![0; 1250], ms(0)), Fate::Lost);
        d.profile.loss = 0.0;
        assert_eq!(d.push(vec![0; 1250], ms(0)), Fate::Due(ms(2)));
    }

    #[test]
    fn a_full_packet_queue_drops_at_the_tail() {
        let mut d = Direction::new(
            LinkProfile {
                queue: QueueLimit::Packets(3),
                ..profile(Some(10_000_000), Duration::ZERO)
            },
            0,
        );
        let fates: Vec<Fate> = (0..5u8).map(|i| d.push(vec![i; 1250], ms(0))).collect();
        assert_eq!(
            fates,
            [
                Fate::Due(ms(1)),
                Fate::Due(ms(2)),
                Fate::Due(ms(3)),
                Fate::QueueFull,
                Fate::QueueFull
            ]
        );
        // Once the first is sent there is room for one more, behind the others.
        assert_eq!(d.push(vec![9; 1250], ms(1)), Fate::Due(ms(4)));
        let c = d.counters();
        assert_eq!((c.queue_drops, c.queue_drop_bytes), (2, 2500));
        assert_eq!(c.max_queue_delay, ms(2));
        let out = drain(&mut d, ms(10));
        let firsts: Vec<u8> = out.iter().map(|p| p[0]).collect();
        assert_eq!(firsts, [0, 1, 2, 9]);
    }

    #[test]
    fn a_byte_queue_counts_bytes_and_refuses_what_cannot_fit() {
        let mut d = Direction::new(
            LinkProfile {
                queue: QueueLimit::Bytes(3000),
                ..profile(Some(10_000_000), Duration::ZERO)
            },
            0,
        );
        assert_eq!(d.push(vec![0; 3001], ms(0)), Fate::QueueFull);
        assert_eq!(d.push(vec![0; 1250], ms(0)), Fate::Due(ms(1)));
        assert_eq!(d.push(vec![0; 1250], ms(0)), Fate::Due(ms(2)));
        assert_eq!(d.push(vec![0; 501], ms(0)), Fate::QueueFull);
        assert_eq!(d.push(vec![0; 500], ms(0)), Fate::Due(us(2400)));
    }

    #[test]
    fn counters_add_up() {
        let mut d = Direction::new(
            LinkProfile {
                loss: 0.2,
                queue: QueueLimit::Packets(20),
                delay: ms(5),
                ..profile(Some(1_000_000), Duration::ZERO)
            },
            3,
        );
        for i in 0..500u64 {
            let _ = d.push(vec![0; 100 + (i as usize % 1400)], us(200 * i));
            let _ = drain(&mut d, us(200 * i));
        }
        let c = d.counters();
        assert!(c.queue_drops > 0 && c.lost > 0, "{c:?}");
        let held = d.held() as u64;
        assert_eq!(c.packets_in, c.packets_out + c.queue_drops + c.lost + held);
        let _ = drain(&mut d, Duration::MAX);
        let c = d.counters();
        assert_eq!(c.packets_in, c.packets_out + c.queue_drops + c.lost);
        assert_eq!(c.bytes_in, c.bytes_out + c.queue_drop_bytes + c.lost_bytes);
    }

    #[test]
    fn never_panics_on_odd_packets_times_and_profiles() {
        let profiles = [
            LinkProfile::ideal(),
            LinkProfile {
                rate: Rate::from_bits_per_second(1),
                delay: Duration::MAX,
                jitter: Duration::MAX,
                loss: f64::NAN,
                queue: QueueLimit::Unlimited,
            },
            LinkProfile {
                rate: Rate::from_bits_per_second(u64::MAX),
                loss: -3.0,
                queue: QueueLimit::Bytes(0),
                ..LinkProfile::ideal()
            },
            LinkProfile {
                rate: Rate::from_bits_per_second(7),
                loss: 7.0,
                queue: QueueLimit::Packets(0),
                jitter: ms(1),
                ..LinkProfile::ideal()
            },
        ];
        let times = [
            Duration::MAX,
            Duration::ZERO,
            ms(5),
            Duration::MAX - Duration::from_nanos(1),
            ms(1),
        ];
        for p in profiles {
            let mut d = Direction::new(p, u64::MAX);
            for (i, t) in times.iter().enumerate() {
                let len = [0, 1, 65_535, 1 << 20][i % 4];
                let _ = d.push(vec![0; len], *t);
                let _ = d.next_due();
                let _ = drain(&mut d, *t);
            }
            let _ = drain(&mut d, Duration::MAX);
        }
        // Time going back is taken as the latest time seen.
        let mut d = Direction::new(profile(None, ms(1)), 0);
        assert_eq!(d.push(vec![], ms(10)), Fate::Due(ms(11)));
        assert_eq!(d.push(vec![], ms(2)), Fate::Due(ms(11)));
        assert_eq!(d.pop_due(ms(3)), None);
    }
}
