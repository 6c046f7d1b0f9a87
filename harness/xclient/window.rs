//! Finding a program's top-level window on a lab display, event-driven: the root window's
//! substructure events say when windows map or change, so nothing polls.

use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, EventMask, MapState, Window,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use super::XDisplay;
use super::{request_error, XClientError};
use crate::cancel::Cancel;

/// A window and where it is on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// The window.
    pub window: Window,
    /// Left edge on the root window.
    pub x: i32,
    /// Top edge on the root window.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Whether a window manager runs on `display` (EWMH's `_NET_SUPPORTING_WM_CHECK` is set on
/// the root window).
pub fn has_window_manager(display: &XDisplay) -> bool {
    let Ok((conn, root)) = super::connect(display) else {
        return false;
    };
    let Some(atom) = conn
        .intern_atom(true, b"_NET_SUPPORTING_WM_CHECK")
        .ok()
        .and_then(|c| c.reply().ok())
        .map(|r| r.atom)
        .filter(|a| *a != x11rb::NONE)
    else {
        return false;
    };
    conn.get_property(false, root, atom, AtomEnum::WINDOW, 0, 1)
        .ok()
        .and_then(|c| c.reply().ok())
        .is_some_and(|r| !r.value.is_empty())
}

/// Whether `window`'s WM_CLASS (instance or class) is `class`.
fn has_class(conn: &RustConnection, window: Window, class: &str) -> bool {
    let Ok(cookie) = conn.get_property(false, window, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 64)
    else {
        return false;
    };
    let Ok(reply) = cookie.reply() else {
        return false;
    };
    reply
        .value
        .split(|b| *b == 0)
        .any(|part| part == class.as_bytes())
}

/// Where `window` is now, if it is mapped.
pub fn placement(conn: &RustConnection, root: Window, window: Window) -> Option<Placed> {
    let attrs = conn.get_window_attributes(window).ok()?.reply().ok()?;
    if attrs.map_state != MapState::VIEWABLE {
        return None;
    }
    let geo = conn.get_geometry(window).ok()?.reply().ok()?;
    let at = conn
        .translate_coordinates(window, root, 0, 0)
        .ok()?
        .reply()
        .ok()?;
    Some(Placed {
        window,
        x: i32::from(at.dst_x),
        y: i32::from(at.dst_y),
        width: u32::from(geo.width),
        height: u32::from(geo.height),
    })
}

/// Waits up to `timeout` for a mapped window of WM_CLASS `class` (a top-level window, or the
/// client window inside a window manager's frame) for which `accept` holds (e.g. "covers the
/// whole screen"), and returns it; gives up once the run's `cancel` is requested.
pub fn wait_for_window(
    display: &XDisplay,
    class: &str,
    timeout: Duration,
    cancel: &Cancel,
    accept: impl Fn(&Placed) -> bool,
    log: &str,
) -> Result<Placed, XClientError> {
    let (conn, root) = super::connect(display)?;
    let err = request_error(display);
    // Select first, then look: a window mapped in between still sends an event.
    conn.change_window_attributes(
        root,
        &ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY),
    )
    .map_err(|e| err(&e))?;
    conn.flush().map_err(|e| err(&e))?;
    let deadline = Instant::now() + timeout;
    loop {
        let tree = conn
            .query_tree(root)
            .map_err(|e| err(&e))?
            .reply()
            .map_err(|e| err(&e))?;
        // Top-level windows and, one level down, the clients window managers frame.
        let mut candidates = tree.children.clone();
        for &w in &tree.children {
            if let Ok(sub) = conn.query_tree(w).map_err(|e| err(&e))?.reply() {
                candidates.extend(sub.children);
            }
        }
        for w in candidates {
            if has_class(&conn, w, class) {
                if let Some(p) = placement(&conn, root, w).filter(|p| accept(p)) {
                    return Ok(p);
                }
            }
        }
        if cancel.requested() {
            return Err(XClientError::Request {
                display: display.name(),
                reason: "stopped: the run was interrupted".into(),
            });
        }
        // Sleep until the next map, configure or reparent on the screen, or the deadline (and
        // look at the cancel flag at least every 100 ms).
        let wake = deadline.min(Instant::now() + Duration::from_millis(100));
        if !wait_for_event(&conn, wake) && Instant::now() >= deadline {
            return Err(XClientError::NoWindow {
                class: class.to_string(),
                display: display.name(),
                seconds: timeout.as_secs_f64(),
                log: log.to_string(),
            });
        }
    }
}

/// Blocks until an event arrives (true) or `deadline` passes (false); drains what came.
fn wait_for_event(conn: &RustConnection, deadline: Instant) -> bool {
    use std::os::fd::AsRawFd;
    loop {
        match conn.poll_for_event() {
            Ok(Some(Event::Error(_))) | Ok(Some(_)) => {
                while let Ok(Some(_)) = conn.poll_for_event() {}
                return true;
            }
            Ok(None) => {}
            Err(_) => return false,
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let mut pfd = libc::pollfd {
            fd: conn.stream().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd on a socket the connection owns, for the call's duration.
        unsafe {
            libc::poll(&mut pfd, 1, ms.max(1));
        }
    }
}
