//! The XDamage watcher: every time pixels of the viewer's window change on the client's X
//! display, it records when (µs on the run's clock) and where, and publishes the time for the
//! settle wait. That is the end of the end-to-end latency: input injected → pixels changed on
//! the client's screen.
//!
//! It asks for `NonEmpty` reports and re-arms with DamageSubtract after each one, so a burst
//! of drawing costs one event per read rather than one per rectangle.

use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::damage::{ConnectionExt as _, ReportLevel};
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, Window};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use super::screen_log::{DamageRecord, ScreenRecorder, ScreenStamp};
use super::XDisplay;
use super::{request_error, XClientError};
use crate::clock::Clock;

/// How often the watcher looks at its stop flag while no event comes.
const STOP_CHECK: Duration = Duration::from_millis(50);

/// A running watcher thread; [`DamageWatch::stop`] ends it.
#[derive(Debug)]
pub struct DamageWatch {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    updates: watch::Receiver<Option<u64>>,
    failed: Arc<std::sync::Mutex<Option<String>>>,
}

impl DamageWatch {
    /// Starts watching `window` on `display`; damage goes into `recorder`. With `probe`
    /// (where the guest's probe square shows), every report also reads the square's centre
    /// pixel and records each change of it as a stamp.
    pub fn start(
        display: &XDisplay,
        window: Window,
        probe: Option<ProbeArea>,
        clock: Clock,
        recorder: ScreenRecorder,
    ) -> Result<Self, XClientError> {
        let (conn, _) = super::connect(display)?;
        let err = request_error(display);
        if conn
            .extension_information(x11rb::protocol::damage::X11_EXTENSION_NAME)
            .map_err(|e| err(&e))?
            .is_none()
        {
            return Err(XClientError::NoExtension {
                display: display.name(),
                extension: "DAMAGE",
            });
        }
        // The extension refuses requests until the client said which version it speaks.
        conn.damage_query_version(1, 1)
            .map_err(|e| err(&e))?
            .reply()
            .map_err(|e| err(&e))?;
        let damage = conn.generate_id().map_err(|e| err(&e))?;
        conn.damage_create(damage, window, ReportLevel::NON_EMPTY)
            .map_err(|e| err(&e))?;
        conn.flush().map_err(|e| err(&e))?;
        let (tx, updates) = watch::channel(None);
        let stop = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(std::sync::Mutex::new(None));
        let (flag, slot) = (stop.clone(), failed.clone());
        let thread = std::thread::Builder::new()
            .name("damage-watch".into())
            .spawn(move || {
                let probe = probe.map(|area| ProbeReader::new(window, area));
                let why = watch_loop(&conn, damage, probe, clock, &recorder, &tx, &flag);
                *slot.lock().unwrap_or_else(|e| e.into_inner()) = why;
                // Wake settle waiters so they see the failure.
                tx.send_modify(|_| {});
            })
            .map_err(|e| err(&e))?;
        Ok(Self {
            stop,
            thread: Some(thread),
            updates,
            failed,
        })
    }

    /// The time of the latest damage, as it changes.
    pub fn updates(&self) -> watch::Receiver<Option<u64>> {
        self.updates.clone()
    }

    /// Why the watcher stopped on its own (the window or the display went away), if it did.
    pub fn failure(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops the thread; returns why it had stopped on its own, if it had.
    pub fn stop(&mut self) -> Option<String> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.failure()
    }
}

impl Drop for DamageWatch {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where the guest's probe square shows in the viewer's window (window coordinates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeArea {
    /// The pixel read: the square's centre.
    pub centre: (i16, i16),
    /// The square: left, top, right, bottom (exclusive).
    pub square: (i32, i32, i32, i32),
}

impl ProbeArea {
    /// Whether a damaged rectangle lies inside the square (a change of the probe only).
    fn covers(&self, x: i16, y: i16, width: u16, height: u16) -> bool {
        let (l, t, r, b) = self.square;
        let (x, y) = (i32::from(x), i32::from(y));
        l <= x && t <= y && x + i32::from(width) <= r && y + i32::from(height) <= b
    }
}

/// Reads the probe square's centre pixel out of the viewer's window.
struct ProbeReader {
    window: Window,
    area: ProbeArea,
    last: Option<u32>,
}

impl ProbeReader {
    fn new(window: Window, area: ProbeArea) -> Self {
        Self {
            window,
            area,
            last: None,
        }
    }

    /// The pixel now, when it differs from the last reading. Called after the damage was
    /// subtracted, so a change after the read reports again.
    fn changed(&mut self, conn: &RustConnection) -> Result<Option<u32>, String> {
        let (x, y) = self.area.centre;
        let reply = conn
            .get_image(ImageFormat::Z_PIXMAP, self.window, x, y, 1, 1, !0)
            .map_err(|e| format!("reading the probe pixel: {e}"))?
            .reply()
            .map_err(|e| format!("reading the probe pixel: {e}"))?;
        // Depth 24 in 32 bits per pixel, in the server's byte order (little-endian here).
        let colour = match reply.data.get(..4) {
            Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & 0x00ff_ffff,
            None => return Ok(None),
        };
        let changed = self.last != Some(colour);
        self.last = Some(colour);
        Ok(changed.then_some(colour))
    }
}

fn watch_loop(
    conn: &RustConnection,
    damage: u32,
    mut probe: Option<ProbeReader>,
    clock: Clock,
    recorder: &ScreenRecorder,
    updates: &watch::Sender<Option<u64>>,
    stop: &AtomicBool,
) -> Option<String> {
    while !stop.load(Ordering::SeqCst) {
        loop {
            match conn.poll_for_event() {
                Ok(Some(Event::DamageNotify(ev))) => {
                    let at_us = clock.now_us();
                    let a = ev.area;
                    let probe_only = probe
                        .as_ref()
                        .is_some_and(|p| p.area.covers(a.x, a.y, a.width, a.height));
                    recorder.lock().damage.push(DamageRecord {
                        at_us,
                        x: a.x,
                        y: a.y,
                        width: a.width,
                        height: a.height,
                        probe_only,
                    });
                    updates.send_replace(Some(at_us));
                    // Repair everything so the next change reports again.
                    if conn
                        .damage_subtract(damage, x11rb::NONE, x11rb::NONE)
                        .is_err()
                        || conn.flush().is_err()
                    {
                        return Some("the X connection of the damage watcher broke".into());
                    }
                    if let Some(p) = probe.as_mut() {
                        match p.changed(conn) {
                            Ok(Some(colour)) => {
                                recorder.lock().stamps.push(ScreenStamp { at_us, colour })
                            }
                            Ok(None) => {}
                            Err(e) => return Some(e),
                        }
                    }
                }
                // The window went away (the viewer exited): nothing more to watch.
                Ok(Some(Event::Error(e))) => {
                    return Some(format!("the viewer's window is gone ({:?})", e.error_kind))
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => return Some(format!("the damage watcher's X connection: {e}")),
            }
        }
        let mut pfd = libc::pollfd {
            fd: conn.stream().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd on a socket the connection owns, for the call's duration.
        unsafe {
            libc::poll(&mut pfd, 1, STOP_CHECK.as_millis() as i32);
        }
    }
    None
}
