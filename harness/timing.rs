//! Precise waits for the input threads (our client's and the XTest injector's): tokio timers
//! have millisecond granularity and the pacing target is well under that.

use std::time::{Duration, Instant};

/// How long before a deadline [`wait_until`] stops sleeping and spins: the kernel's wake-up
/// can be this late under load even with SCHED_FIFO and 1 ns timer slack.
pub const SPIN: Duration = Duration::from_micros(500);

/// Sleeps until `target`: a kernel sleep to within [`SPIN`], then a busy spin. The spin costs
/// at most that much CPU per event, about 6 % of a core at 125 events/s.
///
/// The spin does not yield: measured here under SCHED_FIFO, a `sched_yield` spin returned
/// 175 µs late at p99 during a run, a plain spin 31 µs (each yield is a trip through the
/// scheduler that can lose the CPU for a while; see `docs/latency.md`, "Pacing").
pub fn wait_until(target: Instant) {
    loop {
        let now = Instant::now();
        if now >= target {
            return;
        }
        let left = target - now;
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Asks the kernel not to batch this thread's timer wake-ups (default slack is 50 µs) and, where
/// allowed (root or CAP_SYS_NICE), to run it under SCHED_FIFO so a busy server on the same
/// two cores cannot delay an input by a whole time slice. Without the privilege the thread
/// keeps the normal policy; pacing is then less exact, which the results show. Returns
/// whether SCHED_FIFO took effect.
pub fn tune_thread_for_timing() -> bool {
    // SAFETY: PR_SET_TIMERSLACK takes a plain integer and only affects the calling thread;
    // pthread_setschedparam gets a valid param for the calling thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
        let param = libc::sched_param { sched_priority: 10 };
        libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_until_never_returns_early() {
        for _ in 0..20 {
            let target = Instant::now() + Duration::from_micros(700);
            wait_until(target);
            assert!(Instant::now() >= target);
        }
    }
}
