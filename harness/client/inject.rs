//! The paced input thread: sends a scripted pointer path at exact times over the inputs channel.
//!
//! Timing runs on a dedicated OS thread, not the async runtime, because tokio timers have
//! millisecond granularity and the pacing target is well under that: the thread sleeps until
//! shortly before each event (with the kernel's timer slack set to 1 ns) and spins the rest.
//!
//! Motion pacing follows spice-gtk (§5.5): at most 8 motion messages unacknowledged. A motion
//! that would exceed that is held back, and replaced by any newer one, until the next
//! MOUSE_MOTION_ACK releases it. A button press or release first waits for held-back motion, so
//! it happens where the script says.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::clock::Clock;
use super::events::{InputRecord, Recorder};
use super::writer::ChannelWriter;
use crate::wire::inputs::{InputMessage, MotionPacer};
use crate::wire::main_channel::mouse_mode;

/// One step of a pointer script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointerStep {
    /// Move to an absolute position with `buttons` held.
    MoveTo {
        /// X.
        x: u32,
        /// Y.
        y: u32,
        /// Button mask held.
        buttons: u16,
    },
    /// Press `button`; `buttons` is the mask after the press.
    Press {
        /// SPICE button number.
        button: u8,
        /// Mask after.
        buttons: u16,
    },
    /// Release `button`; `buttons` is the mask after the release.
    Release {
        /// SPICE button number.
        button: u8,
        /// Mask after.
        buttons: u16,
    },
}

/// In server mouse mode the first move pushes the pointer into the top-left corner, where the
/// guest clamps it, so later relative moves start from a known (0, 0).
const HOMING_DELTA: i32 = -16_384;

/// How long a button event waits for held-back motion before it is sent anyway.
const BUTTON_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug)]
struct Pending {
    x: u32,
    y: u32,
    buttons: u16,
    scheduled_us: u64,
}

#[derive(Debug, Default)]
struct GateState {
    pacer: MotionPacer,
    pending: Option<Pending>,
    writer: Option<Arc<ChannelWriter>>,
    recorder: Option<Recorder>,
    /// Last position sent in server mode (relative motion needs it).
    position: Option<(i64, i64)>,
    mode: u32,
    error: Option<String>,
}

/// Shared between the input thread and the inputs channel reader.
#[derive(Debug, Default)]
pub struct InputGate {
    state: Mutex<GateState>,
    released: Condvar,
}

impl InputGate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Connects the gate to the inputs channel once it is linked.
    pub(crate) fn attach(&self, writer: Arc<ChannelWriter>, recorder: Recorder) {
        let mut s = self.lock();
        s.writer = Some(writer);
        s.recorder = Some(recorder);
    }

    /// Sets the mouse mode positions are sent in (client: absolute, server: relative).
    pub(crate) fn set_mode(&self, mode: u32) {
        self.lock().mode = mode;
    }

    /// Motion acks received, and the most motion ever outstanding.
    pub fn pacing_stats(&self) -> (u64, u32) {
        let s = self.lock();
        (s.pacer.acks(), s.pacer.max_unacked())
    }

    /// Called by the inputs reader for every MOUSE_MOTION_ACK.
    pub(crate) fn on_motion_ack(&self, _clock: &Clock) {
        let mut s = self.lock();
        s.pacer.acked();
        if s.pacer.may_send() {
            if let Some(p) = s.pending.take() {
                send_move(&mut s, p, true);
            }
        }
        self.released.notify_all();
    }

    fn motion(&self, x: u32, y: u32, buttons: u16, scheduled_us: u64) -> Result<(), String> {
        let mut s = self.lock();
        let p = Pending {
            x,
            y,
            buttons,
            scheduled_us,
        };
        if s.pacer.may_send() && s.pending.is_none() {
            send_move(&mut s, p, false);
        } else {
            s.pending = Some(p);
        }
        s.error.clone().map_or(Ok(()), Err)
    }

    fn button(&self, msg: InputMessage, scheduled_us: u64) -> Result<(), String> {
        let deadline = Instant::now() + BUTTON_WAIT;
        let mut s = self.lock();
        while s.pending.is_some() && s.error.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                // The server stopped acking; send the held move now rather than click elsewhere.
                if let Some(p) = s.pending.take() {
                    send_move(&mut s, p, true);
                }
                break;
            }
            s = self
                .released
                .wait_timeout(s, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        let deferred = false;
        send_raw(&mut s, msg, scheduled_us, deferred);
        s.error.clone().map_or(Ok(()), Err)
    }
}

fn send_move(s: &mut GateState, p: Pending, deferred: bool) {
    let msgs: Vec<InputMessage> = if s.mode == mouse_mode::SERVER {
        let mut out = Vec::new();
        let (cx, cy) = match s.position {
            Some(pos) => pos,
            None => {
                out.push(InputMessage::Motion {
                    dx: HOMING_DELTA,
                    dy: HOMING_DELTA,
                    buttons: p.buttons,
                });
                (0, 0)
            }
        };
        let (tx, ty) = (i64::from(p.x), i64::from(p.y));
        out.push(InputMessage::Motion {
            dx: (tx - cx) as i32,
            dy: (ty - cy) as i32,
            buttons: p.buttons,
        });
        s.position = Some((tx, ty));
        out
    } else {
        vec![InputMessage::Position {
            x: p.x,
            y: p.y,
            buttons: p.buttons,
            display_id: 0,
        }]
    };
    for m in msgs {
        s.pacer.sent();
        send_raw(s, m, p.scheduled_us, deferred);
    }
}

fn send_raw(s: &mut GateState, msg: InputMessage, scheduled_us: u64, deferred: bool) {
    let Some(writer) = s.writer.clone() else {
        s.error = Some("the inputs channel is not linked".into());
        return;
    };
    match writer.send(msg.msg_type(), &msg.emit()) {
        Ok(sent_us) => {
            if let Some(r) = &s.recorder {
                r.lock().inputs.push(InputRecord {
                    scheduled_us,
                    sent_us,
                    msg_type: msg.msg_type(),
                    deferred,
                });
            }
        }
        Err(e) => s.error = Some(format!("sending input failed: {e}")),
    }
}

/// A script step at an absolute time (µs since the session epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledStep {
    /// When to send.
    pub at_us: u64,
    /// What to send.
    pub step: PointerStep,
}

/// What the input thread did.
#[derive(Debug, Clone, Default)]
pub struct InjectReport {
    /// Script steps executed.
    pub steps: usize,
    /// Why the script stopped early, if it did.
    pub error: Option<String>,
}

/// Runs `steps` on the calling thread, sleeping until each one is due. Call from a dedicated
/// thread. `should_stop` is polled between steps so a dead session ends the script early.
pub fn run_script(
    gate: &InputGate,
    clock: &Clock,
    steps: &[ScheduledStep],
    should_stop: &dyn Fn() -> Option<String>,
) -> InjectReport {
    tune_thread_for_timing();
    let mut report = InjectReport::default();
    for s in steps {
        if let Some(why) = should_stop() {
            report.error = Some(why);
            return report;
        }
        wait_until(clock.instant_at(s.at_us));
        let result = match s.step {
            PointerStep::MoveTo { x, y, buttons } => gate.motion(x, y, buttons, s.at_us),
            PointerStep::Press { button, buttons } => {
                gate.button(InputMessage::Press { button, buttons }, s.at_us)
            }
            PointerStep::Release { button, buttons } => {
                gate.button(InputMessage::Release { button, buttons }, s.at_us)
            }
        };
        report.steps += 1;
        if let Err(e) = result {
            report.error = Some(e);
            return report;
        }
    }
    report
}

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
/// keeps the normal policy; pacing is then less exact, which the results show.
fn tune_thread_for_timing() {
    // SAFETY: PR_SET_TIMERSLACK takes a plain integer and only affects the calling thread;
    // pthread_setschedparam gets a valid param for the calling thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0);
        let param = libc::sched_param { sched_priority: 10 };
        libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &param);
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn wait_until_never_returns_early() {
        for _ in 0..20 {
            let target = Instant::now() + Duration::from_micros(700);
            wait_until(target);
            assert!(Instant::now() >= target);
        }
    }

    #[test]
    fn unattached_gate_reports_an_error_instead_of_panicking() {
        let gate = InputGate::default();
        assert!(gate.motion(1, 2, 0, 0).is_err());
    }
}
