//! The paced XTest input thread: plays the input plan into the viewer's window on the
//! client's X display, as a user's mouse would, each event at its scheduled time.
//!
//! The viewer (remote-viewer) then does what it does for real input: it turns the events
//! into SPICE inputs messages with its own motion pacing. Timing uses the same precise wait
//! as our own client's input thread ([`crate::timing`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{
    ConnectionExt as _, BUTTON_PRESS_EVENT, BUTTON_RELEASE_EVENT, KEY_PRESS_EVENT,
    KEY_RELEASE_EVENT, MOTION_NOTIFY_EVENT,
};
use x11rb::protocol::xtest::ConnectionExt as _;

use super::screen_log::{InjectedInput, InjectedKind, ScreenRecorder};
use super::XDisplay;
use super::{request_error, XClientError};
use crate::clock::Clock;
use crate::plan::{InputAction, InputPlan};
use crate::scenario::Button;
use crate::timing::{tune_thread_for_timing, wait_until};

/// How guest pixels map to the client's screen: the viewer shows the guest scaled by
/// `scale` with the guest's origin at (`x0`, `y0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mapping {
    /// Screen x of guest x = 0.
    pub x0: f64,
    /// Screen y of guest y = 0.
    pub y0: f64,
    /// Screen pixels per guest pixel.
    pub scale: f64,
}

impl Mapping {
    /// How a viewer window of `win` size at (`wx`, `wy`) shows a `guest` screen: scaled to
    /// fit, aspect kept, centred (what spice-gtk does); 1:1 at the window's corner when the
    /// sizes are equal.
    pub fn fit(wx: i32, wy: i32, win: (u32, u32), guest: (u32, u32)) -> Self {
        let (ww, wh) = (f64::from(win.0), f64::from(win.1));
        let (gw, gh) = (f64::from(guest.0.max(1)), f64::from(guest.1.max(1)));
        let scale = (ww / gw).min(wh / gh);
        Self {
            x0: f64::from(wx) + (ww - gw * scale) / 2.0,
            y0: f64::from(wy) + (wh - gh * scale) / 2.0,
            scale,
        }
    }

    /// The screen position of guest pixel (`x`, `y`): its centre, rounded down.
    pub fn to_screen(&self, x: u32, y: u32) -> (i32, i32) {
        let at = |origin: f64, v: u32| (origin + (f64::from(v) + 0.5) * self.scale).floor() as i32;
        (at(self.x0, x), at(self.y0, y))
    }
}

/// The X button number of a scenario button (the core protocol's 1, 2, 3).
fn x_button(b: Button) -> u8 {
    match b {
        Button::Left => 1,
        Button::Middle => 2,
        Button::Right => 3,
    }
}

/// Why a script stopped early.
pub type StopReason = String;

/// Plays `plan` (first event at `start_us` on `clock`) into `display` through `mapping`,
/// recording each event. Blocks; call from a dedicated thread. Returns early, with the reason,
/// when `cancel` is set or the X connection fails.
pub fn play(
    display: &XDisplay,
    mapping: Mapping,
    plan: &InputPlan,
    start_us: u64,
    clock: Clock,
    recorder: &ScreenRecorder,
    cancel: &Arc<AtomicBool>,
) -> Result<(), StopReason> {
    let (conn, root) = super::connect(display).map_err(|e| e.to_string())?;
    if conn
        .extension_information(x11rb::protocol::xtest::X11_EXTENSION_NAME)
        .ok()
        .flatten()
        .is_none()
    {
        return Err(XClientError::NoExtension {
            display: display.name(),
            extension: "XTEST",
        }
        .to_string());
    }
    let err = request_error(display);
    recorder.lock().realtime_inputs = tune_thread_for_timing();
    let mut at = (0i32, 0i32);
    let mut guest = (0u32, 0u32);
    for e in &plan.events {
        if cancel.load(Ordering::SeqCst) {
            return Err("cancelled".into());
        }
        let scheduled_us = start_us + e.at.as_micros() as u64;
        wait_until(clock.instant_at(scheduled_us));
        let (kind, event, detail) = match e.action {
            InputAction::MoveTo { x, y, .. } => {
                at = mapping.to_screen(x, y);
                guest = (x, y);
                (InjectedKind::Motion, MOTION_NOTIFY_EVENT, 0)
            }
            InputAction::Press { button, .. } => {
                let b = x_button(button);
                (InjectedKind::Press(b), BUTTON_PRESS_EVENT, b)
            }
            InputAction::Release { button, .. } => {
                let b = x_button(button);
                (InjectedKind::Release(b), BUTTON_RELEASE_EVENT, b)
            }
            InputAction::Key { key, down: true } => (
                InjectedKind::KeyPress(key.x_keycode),
                KEY_PRESS_EVENT,
                key.x_keycode,
            ),
            InputAction::Key { key, down: false } => (
                InjectedKind::KeyRelease(key.x_keycode),
                KEY_RELEASE_EVENT,
                key.x_keycode,
            ),
        };
        let issued_us = clock.now_us();
        // Positions fit i16: the lab's screens are at most 8192 pixels wide.
        conn.xtest_fake_input(event, detail, 0, root, at.0 as i16, at.1 as i16, 0)
            .map_err(|e| err(&e).to_string())?;
        conn.flush().map_err(|e| err(&e).to_string())?;
        let sent_us = clock.now_us();
        recorder.inputs().push(InjectedInput {
            scheduled_us,
            issued_us,
            sent_us,
            kind,
            x: at.0,
            y: at.1,
            guest,
        });
    }
    // Make sure the server has processed everything before the caller measures the settle.
    conn.get_input_focus()
        .map_err(|e| err(&e).to_string())?
        .reply()
        .map_err(|e| err(&e).to_string())?;
    Ok(())
}

/// Moves the pointer into the guest's centre, then one pixel on: remote-viewer drops the first
/// motion after the pointer enters its window, and the plan's first move must not be it.
pub fn warm_up(
    display: &XDisplay,
    mapping: Mapping,
    guest: crate::scenario::Geometry,
) -> Result<(), StopReason> {
    let (conn, root) = super::connect(display).map_err(|e| e.to_string())?;
    let err = request_error(display);
    let (cx, cy) = (guest.width / 2, guest.height / 2);
    for (x, y) in [(cx, cy), (cx + 1, cy)] {
        let (sx, sy) = mapping.to_screen(x, y);
        conn.xtest_fake_input(MOTION_NOTIFY_EVENT, 0, 0, root, sx as i16, sy as i16, 0)
            .map_err(|e| err(&e).to_string())?;
    }
    conn.get_input_focus()
        .map_err(|e| err(&e).to_string())?
        .reply()
        .map_err(|e| err(&e).to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_sizes_map_one_to_one_at_the_window_corner() {
        let m = Mapping::fit(0, 0, (1024, 768), (1024, 768));
        assert_eq!(m.scale, 1.0);
        assert_eq!(m.to_screen(0, 0), (0, 0));
        assert_eq!(m.to_screen(120, 58), (120, 58));
        let m = Mapping::fit(10, 20, (1024, 768), (1024, 768));
        assert_eq!(m.to_screen(120, 58), (130, 78));
    }

    #[test]
    fn a_larger_window_centres_the_scaled_guest() {
        // 2048x2048 window, 1024x768 guest: scale 2, 256 px bars above and below.
        let m = Mapping::fit(0, 0, (2048, 2048), (1024, 768));
        assert_eq!(m.scale, 2.0);
        assert_eq!((m.x0, m.y0), (0.0, 256.0));
        assert_eq!(m.to_screen(0, 0), (1, 257));
        assert_eq!(m.to_screen(1023, 767), (2047, 1791));
    }
}
