//! The program that shows the session and receives the input plan, behind one small
//! interface: connect, play the plan, wait for the display to settle, and hand over what it
//! measured.
//!
//! Implementations: [`native`] (spicebench's own client: every protocol message on its own
//! clock) and [`remote_viewer`] (the real spice-gtk viewer on an Xvfb, driven with XTest:
//! injected inputs and screen damage).

pub mod native;
pub mod remote_viewer;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::sync::watch;

use super::progress::{Phase, Progress};
use super::target::{Endpoint, Target};
use super::transport::Transport;
use super::RunError;
use crate::analyze::settle::quiet_deadline_us;
use crate::cancel::Cancel;
use crate::client::{Clock, EventLog};
use crate::plan::InputPlan;
use crate::results::{Component, Warning};
use crate::scenario::ViewerKind;
use crate::xclient::ScreenLog;

/// A boxed future, so the interface stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a viewer measured, handed over when it is finished.
#[derive(Debug, Default)]
pub struct ViewerReport {
    /// Name and version, e.g. `spicebench 0.1.0`, `remote-viewer 11.0`.
    pub version: String,
    /// Our own client's protocol events (native viewer only).
    pub protocol: Option<ProtocolReport>,
    /// Injected inputs and screen updates seen on the client's X display (remote-viewer).
    pub screen: Option<ScreenLog>,
    /// Things worth a warning.
    pub notes: Vec<Warning>,
    /// Why the session broke, if it did.
    pub failure: Option<String>,
}

/// What spicebench's own client recorded.
#[derive(Debug, Default)]
pub struct ProtocolReport {
    /// Every message, input and update.
    pub log: EventLog,
    /// The server as connected.
    pub server: String,
    /// Mouse mode in force (`mouse_mode::*`).
    pub mouse_mode: u32,
    /// Most motion messages outstanding at once.
    pub max_unacked_motion: u32,
    /// Motion targets merged into a newer one while motion-ack pacing held them back.
    pub merged_motion: u64,
    /// Whether the input thread ran under SCHED_FIFO (unknown when it never ran).
    pub realtime: Option<bool>,
    /// The VM's name and UUID, when the server sent them.
    pub vm_name: Option<String>,
    /// See `vm_name`.
    pub vm_uuid: Option<String>,
}

/// Everything a viewer needs to connect.
pub struct ViewerContext<'a> {
    /// Where to dial.
    pub endpoint: Endpoint,
    /// The target (ticket, compression preference, geometry).
    pub target: &'a dyn Target,
    /// Where viewer programs are started.
    pub transport: &'a mut dyn Transport,
    /// The run's clock.
    pub clock: Clock,
    /// This configuration's lab folder (logs).
    pub lab_dir: std::path::PathBuf,
}

/// A connected viewer.
pub trait Viewer: Send {
    /// Plays `plan` with its first event at `start_us` (run clock); returns when it is done,
    /// or with the reason it stopped early.
    fn play<'a>(
        &'a mut self,
        plan: &'a InputPlan,
        start_us: u64,
        progress: &'a dyn Progress,
    ) -> BoxFuture<'a, Result<(), String>>;
    /// Sends the server `preference` now, mid-session; returns when the request left (run
    /// clock, µs). Only a viewer that speaks the protocol itself can.
    fn prefer(&mut self, preference: &crate::scenario::Preference) -> Result<u64, String> {
        Err(format!(
            "this viewer cannot switch {} to {} mid-session: only spicebench's own client can; \
             use viewers = [\"spicebench\"] for prefer steps",
            preference.key(),
            preference.value()
        ))
    }
    /// The time of the latest display update this viewer has seen, as it changes.
    fn updates(&self) -> watch::Receiver<Option<u64>>;
    /// What appends this viewer's new events to the events log.
    fn events(&self) -> super::events_file::Appender;
    /// Why the session broke, if it did.
    fn failure(&self) -> Option<String>;
    /// Closes the session and hands over what was measured.
    fn finish(self: Box<Self>) -> BoxFuture<'static, ViewerReport>;
    /// The main processes of its parts, by component, for CPU accounting: every process
    /// under one of them counts for it ([`crate::lab::cpu`]). None by default (our own
    /// client runs in spicebench's process, counted as such).
    fn processes(&self) -> Vec<(Component, u32)> {
        Vec::new()
    }
}

/// Connects the configuration's viewer.
/// Its start-up waits end once the run's `cancel` is requested.
pub async fn connect_viewer(
    kind: ViewerKind,
    ctx: ViewerContext<'_>,
    cancel: &Cancel,
) -> Result<Box<dyn Viewer>, RunError> {
    Ok(match kind {
        ViewerKind::Native => Box::new(native::NativeViewer::connect(ctx).await?),
        ViewerKind::RemoteViewer => {
            Box::new(remote_viewer::RemoteViewer::connect(ctx, cancel).await?)
        }
    })
}

/// Waits until the viewer's display has been quiet for the settle rule's quiet time after
/// both the last update and `script_end_us`, or until `timeout` has passed. Returns whether it
/// settled. The rule itself lives in [`crate::analyze::settle`].
pub async fn wait_for_quiet(
    viewer: &dyn Viewer,
    clock: Clock,
    script_end_us: u64,
    timeout: Duration,
) -> bool {
    let mut updates = viewer.updates();
    let give_up = tokio::time::Instant::now() + timeout;
    loop {
        if viewer.failure().is_some() {
            return false;
        }
        let last = *updates.borrow_and_update();
        let quiet_at = quiet_deadline_us(last, script_end_us);
        let now = clock.now_us();
        if now >= quiet_at {
            return true;
        }
        let wake = tokio::time::Instant::now() + Duration::from_micros(quiet_at - now);
        tokio::select! {
            changed = updates.changed() => {
                if changed.is_err() {
                    return false;
                }
            }
            _ = tokio::time::sleep_until(wake.min(give_up)) => {}
        }
        if tokio::time::Instant::now() >= give_up {
            return false;
        }
    }
}

/// Runs `f` on a thread of its own and awaits its result. The input threads ask for
/// SCHED_FIFO; on tokio's blocking pool, which reuses threads, that priority would stay with
/// whatever blocking work came next.
pub async fn on_own_thread<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| format!("starting the {name} thread: {e}"))?;
    rx.await
        .map_err(|_| format!("the {name} thread ended without a result"))
}

/// Stops an input script before its next step if the future playing it is dropped (a
/// signal): calls `cancel` on drop unless disarmed.
pub struct CancelOnDrop<F: FnMut()>(pub Option<F>);

impl<F: FnMut()> CancelOnDrop<F> {
    /// The script finished: nothing to cancel.
    pub fn disarm(&mut self) {
        self.0 = None;
    }
}

impl<F: FnMut()> Drop for CancelOnDrop<F> {
    fn drop(&mut self) {
        if let Some(mut cancel) = self.0.take() {
            cancel();
        }
    }
}

/// Reports input progress every 100 ms while `play` runs.
pub async fn with_input_progress<T>(
    play: impl Future<Output = T>,
    progress: &dyn Progress,
    sent: impl Fn() -> u64,
    total: u64,
) -> T {
    tokio::pin!(play);
    loop {
        tokio::select! {
            r = &mut play => return r,
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                progress.phase(Phase::Inputs { sent: sent(), total });
            }
        }
    }
}
