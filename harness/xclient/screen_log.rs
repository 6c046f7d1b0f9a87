//! What the viewer side records on its own clock (µs since the run's epoch): every input it
//! injected and every screen update XDamage reported.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::journal::Journal;

/// What an injected event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedKind {
    /// Pointer moved (absolute).
    Motion,
    /// Button pressed (X button number).
    Press(u8),
    /// Button released (X button number).
    Release(u8),
    /// Key pressed (X keycode).
    KeyPress(u8),
    /// Key released (X keycode).
    KeyRelease(u8),
}

/// One XTest event sent to the client's display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectedInput {
    /// When the plan wanted it.
    pub scheduled_us: u64,
    /// When the injector began sending the request: pacing and latency count from here.
    pub issued_us: u64,
    /// When the request was flushed to the X server.
    pub sent_us: u64,
    /// What it was.
    pub kind: InjectedKind,
    /// Position on the client's screen.
    pub x: i32,
    /// Position on the client's screen.
    pub y: i32,
    /// The same position on the guest's screen (the plan's coordinates).
    pub guest: (u32, u32),
}

/// The probe square's colour as the viewer's window showed it after a damage report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenStamp {
    /// When the damage report that revealed it was read.
    pub at_us: u64,
    /// The pixel at the square's centre, 0x00RRGGBB.
    pub colour: u32,
}

/// One XDamage notification: pixels of the viewer's window changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DamageRecord {
    /// When the notification was read.
    pub at_us: u64,
    /// Damaged area, window coordinates.
    pub x: i16,
    /// Damaged area, window coordinates.
    pub y: i16,
    /// Width.
    pub width: u16,
    /// Height.
    pub height: u16,
    /// Whether the damage lies inside the probe square (a stamp, not the desktop changing).
    pub probe_only: bool,
}

/// Everything the viewer side recorded.
#[derive(Debug, Clone, Default)]
pub struct ScreenLog {
    /// Injected inputs, in order.
    pub inputs: Vec<InjectedInput>,
    /// Screen updates, in order.
    pub damage: Vec<DamageRecord>,
    /// Changes of the probe square in the viewer's window, in order.
    pub stamps: Vec<ScreenStamp>,
    /// Whether the injector thread ran under SCHED_FIFO.
    pub realtime_inputs: bool,
}

/// The log shared by the injector and the damage watcher.
///
/// Injected inputs have a lock of their own: the injector runs under SCHED_FIFO and must not
/// wait for the damage watcher, a normal thread that may be preempted while recording.
#[derive(Debug, Clone, Default)]
pub struct ScreenRecorder {
    log: Arc<Mutex<ScreenLog>>,
    inputs: Journal<InjectedInput>,
}

impl ScreenRecorder {
    /// Locks the log (its `inputs` stay empty: see [`ScreenRecorder::input`]). A poisoned lock
    /// is recovered: the measurements must not be lost.
    pub fn lock(&self) -> MutexGuard<'_, ScreenLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The injected inputs, under their own lock.
    pub fn inputs(&self) -> &Journal<InjectedInput> {
        &self.inputs
    }

    /// A copy of everything so far.
    pub fn snapshot(&self) -> ScreenLog {
        let mut log = self.lock().clone();
        log.inputs = self.inputs.all();
        log
    }
}
