//! Precise waits for the input threads (our client's and the XTest injector's): tokio timers
//! have millisecond granularity and the pacing target is well under that.

use std::time::{Duration, Instant};

/// Sleeps until `target`: a kernel sleep to within 200 µs, then a yielding spin. The spin costs
/// at most 200 µs of CPU per event, about 2.5 % of a core at 125 events/s.
pub fn wait_until(target: Instant) {
    const SPIN: Duration = Duration::from_micros(200);
    loop {
        let now = Instant::now();
        if now >= target {
            return;
        }
        let left = target - now;
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::thread::yield_now();
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
