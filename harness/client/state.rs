//! What the channel readers learn and the session waits for, published through
//! `tokio::sync::watch` so waiters wake when it changes instead of polling.
//!
//! Readers ([`super::channel`]) write; [`super::session`] and the input thread read. The state
//! lives here so the readers depend on it rather than on the session (which starts them).

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

use super::inject::InputGate;
use crate::wire::main_channel::MainInit;
use crate::wire::ChannelType;

/// The session as the readers have seen it so far.
#[derive(Debug, Clone, Default)]
pub struct SessionState {
    /// MAIN_INIT, once received.
    pub main_init: Option<MainInit>,
    /// Every channel CHANNELS_LIST announced (lists append).
    pub channels: Option<Vec<(ChannelType, u8)>>,
    /// Mouse modes the server supports (bit mask of `mouse_mode::*`).
    pub supported_mouse: u32,
    /// Mouse mode in force.
    pub mouse_mode: u32,
    /// The VM's name and UUID, when the server sent them (QEMU does; Xspice does not).
    pub vm_name: Option<String>,
    /// See `vm_name`.
    pub vm_uuid: Option<String>,
    /// Whether the display channel sent MARK (initial screen complete).
    pub marked: bool,
    /// Why channels closed unexpectedly, first one first.
    pub failures: Vec<String>,
}

impl SessionState {
    /// The first unexpected close, if any.
    pub fn failure(&self) -> Option<&str> {
        self.failures.first().map(String::as_str)
    }
}

/// Shared by the readers, the session and the input thread.
#[derive(Debug)]
pub(crate) struct Shared {
    pub state: watch::Sender<SessionState>,
    /// Time of the latest display update, µs since the session epoch (its own channel: it
    /// changes with every draw, and only the settle wait cares).
    pub last_update: watch::Sender<Option<u64>>,
    pub inputs: InputGate,
    /// Set by [`super::Session::close`]: closes from now on are expected, not failures.
    pub stopping: AtomicBool,
    /// Set to stop a running script before its next step.
    pub cancelled: AtomicBool,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            state: watch::Sender::new(SessionState::default()),
            last_update: watch::Sender::new(None),
            inputs: InputGate::default(),
            stopping: AtomicBool::new(false),
            cancelled: AtomicBool::new(false),
        }
    }
}

impl Shared {
    /// Records an unexpected close (ignored once the session is stopping).
    pub fn channel_failed(&self, why: String) {
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        self.state.send_modify(|s| s.failures.push(why));
    }

    /// The first failure, read from any thread.
    pub fn failure(&self) -> Option<String> {
        self.state.borrow().failure().map(str::to_string)
    }
}
