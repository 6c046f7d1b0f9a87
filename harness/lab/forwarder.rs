//! The IO around the sans-IO emulator: one thread per direction reads packets from one TUN
//! device, passes them through that direction's [`Direction`] and writes each to the other
//! TUN device at its due time.
//!
//! Time comes from one [`Instant`] taken when the forwarder starts: `now` is the time since
//! it, for both directions. A thread sleeps in `ppoll` (nanosecond timeout, 1 ns timer slack)
//! until its next packet is due or a packet arrives, so a packet leaves within the scheduler's
//! wake-up latency of its due time; the due times themselves never depend on that lateness, so
//! the rate holds however late a wake-up is.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::link::{Counters, Direction, LinkProfile};

use super::tun::Tun;
use super::LabError;

/// The largest packet a TUN device hands over (its MTU is at most 64 KiB).
const MAX_PACKET: usize = 65_536;
/// How many packets a thread reads in a row before it writes what is due: reading never
/// starves the other side of the wake-up.
const READ_BURST: usize = 64;

/// Both directions' counters as last published by the threads.
#[derive(Debug, Default)]
struct Shared {
    up: Mutex<Counters>,
    down: Mutex<Counters>,
    /// The threads' kernel thread ids, as each records its own (for CPU accounting).
    thread_ids: Mutex<Vec<u32>>,
}

/// The two forwarding threads; stopped and joined when dropped.
#[derive(Debug)]
pub struct Forwarder {
    /// An eventfd: written once to stop both threads (each polls it, nobody reads it).
    stop: OwnedFd,
    threads: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl Forwarder {
    /// Starts forwarding between `server` and `viewer`: `up` (viewer → server) and `down`
    /// (server → viewer), with losses and jitter drawn from `seed`.
    pub fn start(
        server: Tun,
        viewer: Tun,
        up: LinkProfile,
        down: LinkProfile,
        seed: u64,
    ) -> Result<Self, LabError> {
        // SAFETY: eventfd has no preconditions; the descriptor is owned at once.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            return Err(LabError::Io {
                context: "creating the link forwarder's stop event".to_string(),
                source: std::io::Error::last_os_error(),
            });
        }
        // SAFETY: `raw` is a new descriptor nothing else owns.
        let stop = unsafe { OwnedFd::from_raw_fd(raw) };
        let shared = Arc::new(Shared::default());
        let server = Arc::new(server);
        let viewer = Arc::new(viewer);
        let epoch = Instant::now();
        let mut forwarder = Self {
            stop,
            threads: Vec::new(),
            shared,
        };
        for (name, from, to, profile, stream) in [
            ("spb-link-up", &viewer, &server, up, 0),
            ("spb-link-down", &server, &viewer, down, 1),
        ] {
            let way = Way {
                from: Arc::clone(from),
                to: Arc::clone(to),
                direction: Direction::new(profile, seed ^ stream),
                stop: forwarder.stop.as_raw_fd(),
                epoch,
                shared: Arc::clone(&forwarder.shared),
                up: stream == 0,
            };
            let handle = std::thread::Builder::new()
                .name(name.to_string())
                .spawn(move || {
                    // SAFETY: gettid has no preconditions.
                    let tid = unsafe { libc::gettid() };
                    if let Ok(tid) = u32::try_from(tid) {
                        let ids = &way.shared.thread_ids;
                        ids.lock().unwrap_or_else(|e| e.into_inner()).push(tid);
                    }
                    way.run()
                })
                .map_err(|source| LabError::Io {
                    context: format!("starting the link thread {name}"),
                    source,
                })?;
            forwarder.threads.push(handle);
        }
        Ok(forwarder)
    }

    /// Counters of (up, down) so far: the threads publish them after every wake-up.
    pub fn counters(&self) -> (Counters, Counters) {
        let read = |m: &Mutex<Counters>| *m.lock().unwrap_or_else(|e| e.into_inner());
        (read(&self.shared.up), read(&self.shared.down))
    }

    /// The kernel thread ids of the threads that have started (threads of this process:
    /// `/proc/self/task/<id>`).
    pub fn thread_ids(&self) -> Vec<u32> {
        let ids = self.shared.thread_ids.lock();
        ids.unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops both threads and waits for them; their TUN devices close with them. Idempotent.
    pub fn stop(&mut self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to an eventfd this struct owns.
        unsafe { libc::write(self.stop.as_raw_fd(), (&one as *const u64).cast(), 8) };
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One direction's thread state.
struct Way {
    from: Arc<Tun>,
    to: Arc<Tun>,
    direction: Direction,
    stop: RawFd,
    epoch: Instant,
    shared: Arc<Shared>,
    up: bool,
}

impl Way {
    fn run(mut self) {
        // Wake-ups as exact as the kernel can: the default 50 µs slack would delay each
        // packet by up to that much.
        // SAFETY: PR_SET_TIMERSLACK changes only this thread's timer slack.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
        let mut buf = vec![0u8; MAX_PACKET];
        loop {
            let now = self.epoch.elapsed();
            while let Some(packet) = self.direction.pop_due(now) {
                // A full receive queue or a device going away loses this packet, as a
                // link would; the counters still say it was delivered to the device.
                let _ = self.to.send(&packet);
            }
            self.publish();
            let wait = self
                .direction
                .next_due()
                .map(|due| due.saturating_sub(self.epoch.elapsed()));
            match self.wait(wait) {
                Wake::Stop => return,
                Wake::Timeout => {}
                Wake::Readable => {
                    for _ in 0..READ_BURST {
                        match self.from.recv(&mut buf) {
                            Ok(n) => {
                                let packet = buf.get(..n).unwrap_or_default().to_vec();
                                let _ = self.direction.push(packet, self.epoch.elapsed());
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                            // The device is gone: nothing more will come.
                            Err(_) => return,
                        }
                    }
                }
            }
        }
    }

    fn publish(&self) {
        let slot = if self.up {
            &self.shared.up
        } else {
            &self.shared.down
        };
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = self.direction.counters();
    }

    /// Sleeps until the source is readable, the stop event fires or `timeout` passes
    /// (`None`: no packet is held, so only the first two).
    fn wait(&self, timeout: Option<Duration>) -> Wake {
        let mut fds = [
            libc::pollfd {
                fd: self.stop,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.from.raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ts = timeout.map(|t| libc::timespec {
            tv_sec: t.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: t.subsec_nanos() as libc::c_long,
        });
        let ts_ptr = ts
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const libc::timespec);
        // SAFETY: two live pollfds, a live or null timespec, no signal mask change.
        let rc = unsafe { libc::ppoll(fds.as_mut_ptr(), 2, ts_ptr, std::ptr::null()) };
        if rc <= 0 {
            // Timeout, or EINTR: go round again (the loop re-reads the time).
            return Wake::Timeout;
        }
        if fds[0].revents != 0 {
            return Wake::Stop;
        }
        if fds[1].revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
            && fds[1].revents & libc::POLLIN == 0
        {
            return Wake::Stop;
        }
        Wake::Readable
    }
}

/// Why a thread woke.
enum Wake {
    Stop,
    Timeout,
    Readable,
}
