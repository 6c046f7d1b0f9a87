//! The paced input thread: sends a scripted pointer path at exact times over the inputs channel.
//!
//! Timing runs on a dedicated OS thread, not the async runtime, because tokio timers have
//! millisecond granularity and the pacing target is well under that: the thread sleeps until
//! shortly before each event (with the kernel's timer slack set to 1 ns) and spins the rest.
//!
//! Motion pacing follows spice-gtk (§5.5): at most 8 motion messages unacknowledged. A motion
//! that would exceed that is held back, and replaced by any newer one, until the next
//! MOUSE_MOTION_ACK releases it. A button press or release first waits for held-back motion, so
//! it happens where the script says. The input thread sends everything itself, held-back
//! motion included; the channel reader only counts acks and wakes it.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::Thread;
use std::time::{Duration, Instant};

use super::events::{InputRecord, Recorder};
use super::writer::ChannelWriter;
use crate::clock::Clock;
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
    /// Press a key (KEY_DOWN code: set-1 bytes).
    KeyDown(u32),
    /// Release a key (KEY_UP code).
    KeyUp(u32),
}

/// In server mouse mode the first move pushes the pointer into the top-left corner, where the
/// guest clamps it, so later relative moves start from a known (0, 0).
const HOMING_DELTA: i32 = -16_384;

/// Largest relative step per axis in server mouse mode: the X server does not accelerate
/// motion up to its default threshold of 4 pixels per event.
const SERVER_MODE_STEP: i64 = 4;

/// How long a button event (or the end of the script) waits for held-back motion to drain.
const DRAIN_WAIT: Duration = Duration::from_secs(2);

/// How early before a step the input thread stops sleeping on motion acks, so the precise
/// wait for the step itself ([`wait_until`]) starts in time.
const ACK_WAIT_MARGIN: Duration = Duration::from_millis(1);

#[derive(Debug)]
struct Pending {
    x: u32,
    y: u32,
    buttons: u16,
    scheduled_us: u64,
}

#[derive(Debug, Clone)]
struct Link {
    writer: Arc<ChannelWriter>,
    recorder: Recorder,
}

/// How pacing went, published by the input thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacingStats {
    /// Motion acks received.
    pub acks: u64,
    /// Most motion messages outstanding at once.
    pub max_unacked: u32,
    /// Motion targets replaced by a newer one while held back.
    pub merged: u64,
}

/// Shared between the input thread and the inputs channel reader.
///
/// The reader only counts acks (an atomic) and wakes the input thread; all pacing state lives
/// on the input thread itself ([`Sender`]). So the input thread, running under SCHED_FIFO,
/// never waits for a lock that a normal-priority thread holds, which on two busy cores can
/// be preempted for a whole time slice while holding it.
#[derive(Debug, Default)]
pub struct InputGate {
    link: Mutex<Option<Link>>,
    mode: AtomicU32,
    acks: AtomicU64,
    script_thread: Mutex<Option<Thread>>,
    stats: Mutex<PacingStats>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl InputGate {
    /// Connects the gate to the inputs channel once it is linked.
    pub(crate) fn attach(&self, writer: Arc<ChannelWriter>, recorder: Recorder) {
        *lock(&self.link) = Some(Link { writer, recorder });
    }

    /// Sets the mouse mode positions are sent in (client: absolute, server: relative).
    pub(crate) fn set_mode(&self, mode: u32) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    /// How pacing went in the last script.
    pub fn pacing_stats(&self) -> PacingStats {
        *lock(&self.stats)
    }

    /// Called by the inputs reader for every MOUSE_MOTION_ACK.
    pub(crate) fn on_motion_ack(&self) {
        self.acks.fetch_add(1, Ordering::SeqCst);
        if let Some(t) = lock(&self.script_thread).as_ref() {
            t.unpark();
        }
    }

    /// The input thread's side of the gate, for the calling thread.
    fn sender(&self) -> Result<Sender<'_>, String> {
        let link = lock(&self.link)
            .clone()
            .ok_or_else(|| "the inputs channel is not linked".to_string())?;
        *lock(&self.script_thread) = Some(std::thread::current());
        Ok(Sender {
            gate: self,
            link,
            mode: self.mode.load(Ordering::SeqCst),
            pacer: MotionPacer::default(),
            acks_seen: self.acks.load(Ordering::SeqCst),
            pending: None,
            position: None,
            merged: 0,
        })
    }
}

/// Pacing state, owned by the input thread.
///
/// Motion pacing follows spice-gtk (§5.5): at most 8 motion messages unacknowledged. A motion
/// that would exceed that is held back, and replaced by any newer one, until acks allow it.
struct Sender<'g> {
    gate: &'g InputGate,
    link: Link,
    mode: u32,
    pacer: MotionPacer,
    acks_seen: u64,
    pending: Option<Pending>,
    /// Last position sent in server mode (relative motion needs it).
    position: Option<(i64, i64)>,
    merged: u64,
}

impl Sender<'_> {
    /// Feeds the acks counted since the last look into the pacer.
    fn absorb_acks(&mut self) {
        let acks = self.gate.acks.load(Ordering::SeqCst);
        while self.acks_seen < acks {
            self.pacer.acked();
            self.acks_seen += 1;
        }
    }

    fn motion(&mut self, x: u32, y: u32, buttons: u16, scheduled_us: u64) -> Result<(), String> {
        self.absorb_acks();
        // A newer target replaces one still held back: the pointer goes where the script is now.
        if self.pending.is_some() {
            self.merged += 1;
        }
        self.pending = Some(Pending {
            x,
            y,
            buttons,
            scheduled_us,
        });
        self.pump(false)
    }

    /// Waits for held-back motion to go out (so a button event happens where the script
    /// says), at most [`DRAIN_WAIT`].
    fn drain(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + DRAIN_WAIT;
        loop {
            self.absorb_acks();
            self.pump(true)?;
            if self.pending.is_none() {
                return Ok(());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(
                    "the server stopped acknowledging pointer motion for 2 s; a \
                            button event now would land in the wrong place"
                        .into(),
                );
            }
            std::thread::park_timeout(left);
        }
    }

    fn button(&mut self, msg: InputMessage, scheduled_us: u64) -> Result<(), String> {
        self.drain()?;
        self.send(msg, scheduled_us, false)
    }

    /// Waits until `target`, sending held-back motion as acks release it.
    fn wait_until(&mut self, target: Instant) -> Result<(), String> {
        while self.pending.is_some() {
            self.absorb_acks();
            self.pump(true)?;
            let wake = target.checked_sub(ACK_WAIT_MARGIN).unwrap_or(target);
            let left = wake.saturating_duration_since(Instant::now());
            if self.pending.is_none() || left.is_zero() {
                break;
            }
            std::thread::park_timeout(left);
        }
        wait_until(target);
        Ok(())
    }

    /// Sends motion toward the pending target while the pacer allows. Client mode reaches it
    /// in one absolute message. Server mode first homes the pointer, then moves in steps of
    /// at most [`SERVER_MODE_STEP`] pixels per axis, small enough that the guest applies no
    /// acceleration.
    fn pump(&mut self, deferred: bool) -> Result<(), String> {
        while self.pacer.may_send() {
            let Some(p) = self.pending.as_ref() else {
                return Ok(());
            };
            let (x, y, buttons, scheduled_us) = (p.x, p.y, p.buttons, p.scheduled_us);
            let (msg, reached) = if self.mode == mouse_mode::SERVER {
                match self.position {
                    None => {
                        self.position = Some((0, 0));
                        let m = InputMessage::Motion {
                            dx: HOMING_DELTA,
                            dy: HOMING_DELTA,
                            buttons,
                        };
                        (m, false)
                    }
                    Some((cx, cy)) => {
                        let step = |from: i64, to: i64| {
                            (to - from).clamp(-SERVER_MODE_STEP, SERVER_MODE_STEP)
                        };
                        let (dx, dy) = (step(cx, i64::from(x)), step(cy, i64::from(y)));
                        let next = (cx + dx, cy + dy);
                        self.position = Some(next);
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
                self.pending = None;
            }
            self.pacer.sent();
            self.send(msg, scheduled_us, deferred)?;
        }
        Ok(())
    }

    fn send(&mut self, msg: InputMessage, scheduled_us: u64, deferred: bool) -> Result<(), String> {
        let writer = &self.link.writer;
        let issued_us = writer.clock().now_us();
        let sent_us = writer
            .send(msg.msg_type(), &msg.emit())
            .map_err(|e| format!("sending input failed: {e}"))?;
        self.link.recorder.inputs().push(InputRecord {
            scheduled_us,
            issued_us,
            sent_us,
            message: msg,
            deferred,
        });
        Ok(())
    }

    /// Makes the stats visible to the session.
    fn publish(&mut self) {
        self.absorb_acks();
        *lock(&self.gate.stats) = PacingStats {
            acks: self.acks_seen,
            max_unacked: self.pacer.max_unacked(),
            merged: self.merged,
        };
    }
}

impl Drop for Sender<'_> {
    fn drop(&mut self) {
        self.publish();
        *lock(&self.gate.script_thread) = None;
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
/// Motion still held back at the end goes out before it returns.
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
    let mut sender = match gate.sender() {
        Ok(s) => s,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    for s in steps {
        if let Some(why) = should_stop() {
            report.error = Some(why);
            return report;
        }
        let result = sender
            .wait_until(clock.instant_at(s.at_us))
            .and_then(|()| match s.step {
                PointerStep::MoveTo { x, y, buttons } => sender.motion(x, y, buttons, s.at_us),
                PointerStep::Press { button, buttons } => {
                    sender.button(InputMessage::Press { button, buttons }, s.at_us)
                }
                PointerStep::Release { button, buttons } => {
                    sender.button(InputMessage::Release { button, buttons }, s.at_us)
                }
                // Keys also wait for held-back motion, so they act where the pointer is meant
                // to be.
                PointerStep::KeyDown(code) => sender.button(InputMessage::KeyDown(code), s.at_us),
                PointerStep::KeyUp(code) => sender.button(InputMessage::KeyUp(code), s.at_us),
            });
        report.steps += 1;
        if let Err(e) = result {
            report.error = Some(e);
            return report;
        }
    }
    if let Err(e) = sender.drain() {
        report.error = Some(e);
    }
    report
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn unattached_gate_reports_an_error_instead_of_panicking() {
        let gate = InputGate::default();
        assert!(gate.sender().is_err());
        let report = run_script(&gate, &Clock::start(), &[], &|| None);
        assert_eq!(
            report.error.as_deref(),
            Some("the inputs channel is not linked")
        );
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

    /// Everything the gate has written so far. The writer writes on the caller's thread, and
    /// on loopback a returned write is already in the peer's queue: a non-blocking read
    /// drains exactly what was sent, with no timeout standing for "nothing more comes".
    fn sent(peer: &mut TcpStream) -> Vec<InputMessage> {
        peer.set_nonblocking(true).unwrap();
        let mut framer = Framer::new(HeaderKind::Mini);
        let mut buf = [0u8; 4096];
        loop {
            match peer.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => framer.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("reading what the gate sent: {e}"),
            }
        }
        let mut out = Vec::new();
        while let Some(m) = framer.pop().unwrap() {
            out.push(InputMessage::parse(m.msg_type(), &m.body).unwrap().unwrap());
        }
        out
    }

    /// What the input thread does when an ack wakes it.
    fn ack(gate: &InputGate, sender: &mut Sender<'_>) {
        gate.on_motion_ack();
        sender.absorb_acks();
        sender.pump(true).unwrap();
    }

    #[test]
    fn server_mode_homes_then_steps_exactly_to_the_target_within_the_ack_budget() {
        let (gate, mut peer) = gate(mouse_mode::SERVER);
        let mut sender = gate.sender().unwrap();
        sender.motion(40, 22, 0, 0).unwrap();
        // Homing + 7 steps fit; the pacer holds the other 3 steps until an ack arrives.
        let mut all = sent(&mut peer);
        assert_eq!(all.len(), 8);
        for _ in 0..3 {
            ack(&gate, &mut sender);
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
        drop(sender);
        let stats = gate.pacing_stats();
        assert!(stats.max_unacked <= 8);
        assert_eq!((stats.acks, stats.merged), (3, 0));
    }

    #[test]
    fn client_mode_coalesces_held_back_motion_to_the_latest_position() {
        let (gate, mut peer) = gate(mouse_mode::CLIENT);
        let mut sender = gate.sender().unwrap();
        for i in 0..12 {
            sender.motion(i, i, 1, u64::from(i)).unwrap();
        }
        let first = sent(&mut peer);
        assert_eq!(first.len(), 8, "never more than 8 outstanding");
        ack(&gate, &mut sender);
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
        drop(sender);
        assert_eq!(
            gate.pacing_stats().merged,
            3,
            "positions 8, 9 and 10 were merged"
        );
    }

    #[test]
    fn the_script_thread_sends_held_back_motion_when_an_ack_wakes_it() {
        let (gate, mut peer) = gate(mouse_mode::CLIENT);
        let gate = Arc::new(gate);
        let clock = Clock::start();
        // Twelve moves due at once, then a press: the press must wait for the ack that lets
        // the last held-back position out, and come after it.
        let mut steps: Vec<ScheduledStep> = (0..12)
            .map(|i| ScheduledStep {
                at_us: 1_000,
                step: PointerStep::MoveTo {
                    x: i,
                    y: i,
                    buttons: 0,
                },
            })
            .collect();
        steps.push(ScheduledStep {
            at_us: 2_000,
            step: PointerStep::Press {
                button: 1,
                buttons: 1,
            },
        });
        let acker = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                gate.on_motion_ack();
            })
        };
        let report = run_script(&gate, &clock, &steps, &|| None);
        acker.join().unwrap();
        assert_eq!(report.error, None);
        assert_eq!(report.steps, 13);
        let all = sent(&mut peer);
        assert_eq!(all.len(), 10, "{all:?}");
        assert_eq!(
            all[8],
            InputMessage::Position {
                x: 11,
                y: 11,
                buttons: 0,
                display_id: 0
            }
        );
        assert_eq!(
            all[9],
            InputMessage::Press {
                button: 1,
                buttons: 1
            }
        );
        // The press left only after the ack, 100 ms in.
        assert!(clock.now_us() >= 100_000);
    }
}
