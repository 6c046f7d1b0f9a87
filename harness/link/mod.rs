//! A packet-level link emulator, sans-IO: packets and the time go in, packets come out when
//! the emulated link would deliver them. In the manner of mahimahi's `mm-delay` and `mm-link`
//! (written here, not ported): the kernel of this machine kind has no `netem`, so delay and
//! jitter are done in userspace, per packet, by holding each packet until its due time.
//!
//! # Model (one [`Direction`] per way)
//! A packet pushed at time `t` goes through, in this order:
//! 1. **the queue** of the bottleneck: with a [`Rate`], the link sends one packet at a time;
//!    a packet that arrives while the queue already holds its [`QueueLimit`] is dropped at
//!    the tail (the way a router's FIFO drops);
//! 2. **the bottleneck**: it starts sending when the link is free and takes `bits / rate`;
//! 3. **loss**: a seeded draw per pushed packet; a lost packet has used the link's time, like
//!    a packet lost on the wire;
//! 4. **the propagation delay** plus **jitter**: uniform in `[0, jitter]` on top of the delay,
//!    then raised to the previous packet's due time, so packets never reorder.
//!
//! # Time
//! Time is an argument ([`Duration`](std::time::Duration) since any epoch the caller picks),
//! never read from a clock here, so tests drive it exactly and a replay gives the same
//! result. Time never goes back: a call with an earlier time than one already seen is taken
//! to happen at the latest time seen.
//!
//! # Never panics
//! Any packet (empty, huge), any time (backwards, near `Duration::MAX`) and any profile
//! (zero delay, loss outside `[0, 1]` or NaN) are handled: arithmetic saturates, a loss
//! that is not a probability is clamped. [`LinkProfile::validate`] tells the user first.
//!
//! # Layout
//! - [`profile`]: the knobs ([`LinkProfile`], [`Rate`], [`QueueLimit`]) and their parsing.
//! - [`direction`]: one way of the link ([`Direction`]) and its [`Counters`].

pub mod direction;
pub mod profile;

pub use direction::{Counters, Direction, Fate};
pub use profile::{LinkError, LinkProfile, QueueLimit, Rate};
