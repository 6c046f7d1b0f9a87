//! `spicebench probe`: the X client that stamps every pointer event on the screen it runs on
//! (see [`crate::probe`] for the colour code and how viewers read it).
//!
//! It listens to XInput2 *raw* events on the root window: the X server delivers those for
//! every device event it processes, whichever window the pointer is over and whether or not
//! another client grabbed the pointer (a window manager's move grab, for one). For each batch
//! of events it asks the server where the pointer is now (the reply reflects every event
//! processed before the request) and fills its square with that state's colour, raising the
//! square above any window dragged over it. The square is override-redirect (no window
//! manager frame), has no background (the server paints nothing but our fills) and an empty
//! input shape (a click in the corner goes to the window below, not to us).
//!
//! It connects like any X client (`DISPLAY`, `XAUTHORITY`), so the same binary runs on the
//! lab's Xspice and inside a guest.

use std::io::Write;

use x11rb::connection::Connection;
use x11rb::protocol::shape::SK;
use x11rb::protocol::xfixes::ConnectionExt as _;
use x11rb::protocol::xinput::{self, ConnectionExt as _, XIEventMask};
use x11rb::protocol::xproto::{
    AtomEnum, ChangeGCAux, ConfigureWindowAux, ConnectionExt as _, CreateGCAux, CreateWindowAux,
    EventMask, KeyButMask, PropMode, Rectangle, StackMode, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::wrapper::ConnectionExt as _;

use crate::probe::stamp::{encode_clamped, SQUARE_ORIGIN, SQUARE_SIZE};
use crate::probe::PointerState;

/// The probe window's name, for finding it (`WM_NAME`).
pub const PROBE_WINDOW_NAME: &str = "spicebench-probe";
/// What the probe prints on stdout once its square is on screen.
pub const READY_LINE: &str = "spicebench-probe ready";
/// XIAllDevices: raw events come from the slave devices, so select on all of them.
const ALL_DEVICES: u16 = 0;

/// Why the probe could not run, with what to do.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// No connection to the X server.
    #[error("the probe could not connect to the X display (DISPLAY={display}): {reason}; run it on the target's desktop with DISPLAY and XAUTHORITY set")]
    Connect {
        /// `DISPLAY` as found.
        display: String,
        /// Why.
        reason: String,
    },
    /// The server has no XInput 2.2.
    #[error("the X server has no XInput 2.2 (it reports {found}); the probe needs its raw events")]
    NoXInput2 {
        /// Version found, or "none".
        found: String,
    },
    /// A request failed or the connection broke.
    #[error("the probe's X connection failed: {0}")]
    Request(String),
}

fn request(e: impl std::fmt::Display) -> ProbeError {
    ProbeError::Request(e.to_string())
}

/// Runs the probe until the X server goes away (then returns `Ok`). `ready` is written one
/// line once the square is mapped and painted.
pub fn run(ready: &mut dyn Write) -> Result<(), ProbeError> {
    let (conn, screen_num) = x11rb::connect(None).map_err(|e| ProbeError::Connect {
        display: std::env::var("DISPLAY").unwrap_or_default(),
        reason: e.to_string(),
    })?;
    let root = conn.setup().roots[screen_num].root;
    let version = conn
        .xinput_xi_query_version(2, 2)
        .map_err(request)
        .and_then(|c| c.reply().map_err(request));
    match version {
        Ok(v) if (v.major_version, v.minor_version) >= (2, 2) => {}
        Ok(v) => {
            return Err(ProbeError::NoXInput2 {
                found: format!("{}.{}", v.major_version, v.minor_version),
            })
        }
        Err(_) => {
            return Err(ProbeError::NoXInput2 {
                found: "none".into(),
            })
        }
    }

    let window = conn.generate_id().map_err(request)?;
    let side = SQUARE_SIZE as u16;
    conn.create_window(
        x11rb::COPY_DEPTH_FROM_PARENT,
        window,
        root,
        SQUARE_ORIGIN.0 as i16,
        SQUARE_ORIGIN.1 as i16,
        side,
        side,
        0,
        WindowClass::INPUT_OUTPUT,
        x11rb::COPY_FROM_PARENT,
        &CreateWindowAux::new()
            .override_redirect(1)
            .background_pixmap(x11rb::NONE)
            .event_mask(EventMask::EXPOSURE),
    )
    .map_err(request)?;
    conn.change_property8(
        PropMode::REPLACE,
        window,
        AtomEnum::WM_NAME,
        AtomEnum::STRING,
        PROBE_WINDOW_NAME.as_bytes(),
    )
    .map_err(request)?;
    // An empty input shape: pointer events pass through the square to whatever is below.
    let region = conn.generate_id().map_err(request)?;
    conn.xfixes_query_version(5, 0)
        .map_err(request)?
        .reply()
        .map_err(request)?;
    conn.xfixes_create_region(region, &[]).map_err(request)?;
    conn.xfixes_set_window_shape_region(window, SK::INPUT, 0, 0, region)
        .map_err(request)?;
    let gc = conn.generate_id().map_err(request)?;
    conn.create_gc(gc, window, &CreateGCAux::new().foreground(0))
        .map_err(request)?;
    conn.xinput_xi_select_events(
        root,
        &[xinput::EventMask {
            deviceid: ALL_DEVICES,
            mask: vec![
                XIEventMask::RAW_MOTION
                    | XIEventMask::RAW_BUTTON_PRESS
                    | XIEventMask::RAW_BUTTON_RELEASE,
            ],
        }],
    )
    .map_err(request)?;
    conn.map_window(window).map_err(request)?;

    let paint = |state: PointerState| -> Result<(), ProbeError> {
        conn.change_gc(gc, &ChangeGCAux::new().foreground(encode_clamped(state)))
            .map_err(request)?;
        conn.configure_window(
            window,
            &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE),
        )
        .map_err(request)?;
        conn.poly_fill_rectangle(
            window,
            gc,
            &[Rectangle {
                x: 0,
                y: 0,
                width: side,
                height: side,
            }],
        )
        .map_err(request)?;
        conn.flush().map_err(request)
    };
    let pointer = || -> Result<PointerState, ProbeError> {
        let p = conn
            .query_pointer(root)
            .map_err(request)?
            .reply()
            .map_err(request)?;
        let buttons = KeyButMask::BUTTON1 | KeyButMask::BUTTON2 | KeyButMask::BUTTON3;
        Ok(PointerState {
            x: p.root_x.max(0) as u32,
            y: p.root_y.max(0) as u32,
            pressed: u16::from(p.mask) & u16::from(buttons) != 0,
        })
    };

    paint(pointer()?)?;
    // The first request after the map makes sure the square is on screen before we say so.
    conn.sync().map_err(request)?;
    writeln!(ready, "{READY_LINE}").map_err(request)?;
    ready.flush().map_err(request)?;

    loop {
        let Ok(first) = conn.wait_for_event() else {
            // The server went away: the session is over.
            return Ok(());
        };
        // Everything already queued is one batch: one query, one stamp.
        let mut pending = Some(first);
        let mut stamp = false;
        while let Some(event) = pending {
            stamp |= matches!(
                event,
                Event::XinputRawMotion(_)
                    | Event::XinputRawButtonPress(_)
                    | Event::XinputRawButtonRelease(_)
                    | Event::Expose(_)
            );
            pending = conn.poll_for_event().map_err(request)?;
        }
        if stamp {
            paint(pointer()?)?;
        }
    }
}
