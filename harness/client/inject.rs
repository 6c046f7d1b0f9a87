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
use crate::timing::{tune_thread_for_timing, wait_until};
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

/// Largest relative step per axis in server mouse mode: the X server does not accelerate
/// motion up to its default threshold of 4 pixels per event.
const SERVER_MODE_STEP: i64 = 4;

/// How long a button event waits for held-back motion to drain.
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
    /// Motion targets replaced by a newer one before they could be sent.
    merged: u64,
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

    /// Motion acks received, the most motion ever outstanding, and how many motion targets
    /// were merged into a newer one while held back.
    pub fn pacing_stats(&self) -> (u64, u32, u64) {
        let s = self.lock();
        (s.pacer.acks(), s.pacer.max_unacked(), s.merged)
    }

    /// Called by the inputs reader for every MOUSE_MOTION_ACK.
    pub(crate) fn on_motion_ack(&self) {
        let mut s = self.lock();
        s.pacer.acked();
        pump(&mut s, true);
        self.released.notify_all();
    }

    fn motion(&self, x: u32, y: u32, buttons: u16, scheduled_us: u64) -> Result<(), String> {
        let mut s = self.lock();
        // A newer target replaces one still held back: the pointer goes where the script is now.
        if s.pending.is_some() {
            s.merged += 1;
        }
        s.pending = Some(Pending {
            x,
            y,
            buttons,
            scheduled_us,
        });
        pump(&mut s, false);
        s.error.clone().map_or(Ok(()), Err)
    }

    fn button(&self, msg: InputMessage, scheduled_us: u64) -> Result<(), String> {
        let deadline = Instant::now() + BUTTON_WAIT;
        let mut s = self.lock();
        while s.pending.is_some() && s.error.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                s.error = Some(
                    "the server stopped acknowledging pointer motion for 2 s; a button event \
                     now would land in the wrong place"
                        .into(),
                );
                break;
            }
            s = self
                .released
                .wait_timeout(s, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        if s.error.is_none() {
            send_raw(&mut s, msg, scheduled_us, false);
        }
        s.error.clone().map_or(Ok(()), Err)
    }
}

/// Sends motion toward the pending target while the pacer allows. Client mode reaches it in
/// one absolute message. Server mode first homes the pointer, then moves in steps of at most
/// [`SERVER_MODE_STEP`] pixels per axis, small enough that the guest applies no acceleration.
fn pump(s: &mut GateState, deferred: bool) {
    while s.error.is_none() && s.pacer.may_send() {
        let Some(p) = s.pending.as_ref() else {
            return;
        };
        let (x, y, buttons, scheduled_us) = (p.x, p.y, p.buttons, p.scheduled_us);
        let (msg, reached) = if s.mode == mouse_mode::SERVER {
            match s.position {
                None => {
                    s.position = Some((0, 0));
                    let m = InputMessage::Motion {
                        dx: HOMING_DELTA,
                        dy: HOMING_DELTA,
                        buttons,
                    };
                    (m, false)
                }
                Some((cx, cy)) => {
                    let step =
                        |from: i64, to: i64| (to - from).clamp(-SERVER_MODE_STEP, SERVER_MODE_STEP);
                    let (dx, dy) = (step(cx, i64::from(x)), step(cy, i64::from(y)));
                    let next = (cx + dx, cy + dy);
                    s.position = Some(next);
                    let m = InputMessage::Motion {
                        dx: dx as i32,
                        dy: dy as i32,
                        buttons,
                    };
                    (m, next == (i64::from(x), i64::from(y)))
                }
            }
        } else {
            let m = InputMessage::Position {
                x,
                y,
                buttons,
                display_id: 0,
            };
            (m, true)
        };
        if reached {
            s.pending = None;
        }
        s.pacer.sent();
        send_raw(s, msg, scheduled_us, deferred);
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
                    message: msg,
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
    /// Whether the thread ran under SCHED_FIFO.
    pub realtime: bool,
}

/// Runs `steps` on the calling thread, sleeping until each one is due. Call from a dedicated
/// thread. `should_stop` is polled between steps so a dead session ends the script early.
pub fn run_script(
    gate: &InputGate,
    clock: &Clock,
    steps: &[ScheduledStep],
    should_stop: &dyn Fn() -> Option<String>,
) -> InjectReport {
    let mut report = InjectReport {
        realtime: tune_thread_for_timing(),
        ..InjectReport::default()
    };
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

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn unattached_gate_reports_an_error_instead_of_panicking() {
        let gate = InputGate::default();
        assert!(gate.motion(1, 2, 0, 0).is_err());
    }
}

#[cfg(test)]
mod gate_test {
    use super::*;
    use crate::client::events::Recorder;
    use crate::wire::{Framer, HeaderKind};
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    /// A gate whose writer sends into a loopback socket we read back.
    fn gate(mode: u32) -> (InputGate, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let out = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        let writer = ChannelWriter::new(
            out,
            HeaderKind::Mini,
            0,
            Clock::start(),
            Recorder::default(),
        );
        let gate = InputGate::default();
        gate.attach(Arc::new(writer), Recorder::default());
        gate.set_mode(mode);
        (gate, peer)
    }

    fn sent(peer: &mut TcpStream) -> Vec<InputMessage> {
        peer.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut framer = Framer::new(HeaderKind::Mini);
        let mut buf = [0u8; 4096];
        while let Ok(n) = peer.read(&mut buf) {
            if n == 0 {
                break;
            }
            framer.push(&buf[..n]);
        }
        let mut out = Vec::new();
        while let Some(m) = framer.pop().unwrap() {
            out.push(InputMessage::parse(m.msg_type(), &m.body).unwrap().unwrap());
        }
        out
    }

    #[test]
    fn server_mode_homes_then_steps_exactly_to_the_target_within_the_ack_budget() {
        let (gate, mut peer) = gate(mouse_mode::SERVER);
        gate.motion(40, 22, 0, 0).unwrap();
        // Homing + 7 steps fit; the pacer holds the other 3 steps until an ack arrives.
        let mut all = sent(&mut peer);
        assert_eq!(all.len(), 8);
        for _ in 0..3 {
            gate.on_motion_ack();
            all.extend(sent(&mut peer));
        }
        assert_eq!(
            all[0],
            InputMessage::Motion {
                dx: HOMING_DELTA,
                dy: HOMING_DELTA,
                buttons: 0
            }
        );
        let (mut x, mut y) = (0i32, 0i32);
        for m in &all[1..] {
            let InputMessage::Motion { dx, dy, .. } = *m else {
                panic!("{m:?}")
            };
            assert!(dx.abs() <= 4 && dy.abs() <= 4);
            x += dx;
            y += dy;
        }
        assert_eq!((x, y), (40, 22));
        assert_eq!(all.len(), 11);
        assert!(gate.pacing_stats().1 <= 8);
        assert_eq!(gate.pacing_stats().2, 0, "server mode merges nothing here");
    }

    #[test]
    fn client_mode_coalesces_held_back_motion_to_the_latest_position() {
        let (gate, mut peer) = gate(mouse_mode::CLIENT);
        for i in 0..12 {
            gate.motion(i, i, 1, u64::from(i)).unwrap();
        }
        let first = sent(&mut peer);
        assert_eq!(first.len(), 8, "never more than 8 outstanding");
        gate.on_motion_ack();
        // Positions 8..=10 were replaced by 11: one message to the latest target.
        assert_eq!(
            sent(&mut peer),
            vec![InputMessage::Position {
                x: 11,
                y: 11,
                buttons: 1,
                display_id: 0
            }]
        );
        assert_eq!(
            gate.pacing_stats().2,
            3,
            "positions 8, 9 and 10 were merged"
        );
    }
}
