//! X11 client code on the viewer's side (x11rb, no libX11): connecting to a lab display with
//! its cookie, finding a viewer's window, injecting the input plan with XTest, and watching
//! the window's pixels change with XDamage.
//!
//! # Layout
//! - [`display`]: a lab X display and its cookie, as every X client connects to it.
//! - [`window`]: find a top-level window by class and where it sits on the screen.
//! - [`injector`]: the paced XTest input thread.
//! - [`damage`]: the XDamage watcher (screen updates on the client's display).
//! - [`probe`]: `spicebench probe`, the X client that stamps every pointer event on screen.
//! - [`desktop_state`]: window titles, the compositor, a region's pixels on a lab desktop.
//! - [`screen_log`]: what both record (injected inputs, damage), for results.

pub mod damage;
pub mod desktop_state;
pub mod display;
pub mod injector;
pub mod probe;
pub mod screen_log;
pub mod window;

pub use desktop_state::{compositor_running, region_pixels, window_titles};
pub use screen_log::{
    DamageRecord, InjectedInput, InjectedKind, ScreenLog, ScreenRecorder, ScreenStamp,
};

use std::os::unix::net::UnixStream;

use x11rb::rust_connection::{DefaultStream, RustConnection};

pub use display::XDisplay;
use display::COOKIE_NAME;

/// What can go wrong talking to a lab X server, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum XClientError {
    /// The connection or its setup failed.
    #[error("could not connect to the X display {display}: {reason}")]
    Connect {
        /// `:N`.
        display: String,
        /// Why.
        reason: String,
    },
    /// A request failed or the connection broke.
    #[error("X display {display}: {reason}")]
    Request {
        /// `:N`.
        display: String,
        /// Why.
        reason: String,
    },
    /// The server lacks an extension we need.
    #[error("the X server on {display} lacks the {extension} extension; Xvfb from Debian's xvfb package has it")]
    NoExtension {
        /// `:N`.
        display: String,
        /// Extension name.
        extension: &'static str,
    },
    /// The window never appeared.
    #[error("no `{class}` window appeared on {display} within {seconds:.0} s; its log: {log}")]
    NoWindow {
        /// WM_CLASS looked for.
        class: String,
        /// `:N`.
        display: String,
        /// How long we waited.
        seconds: f64,
        /// The program's log.
        log: String,
    },
}

/// Opens a connection to `display` over its unix socket, presenting its cookie. Returns the
/// connection and the root window of screen 0.
pub fn connect(display: &XDisplay) -> Result<(RustConnection, u32), XClientError> {
    let fail = |reason: String| XClientError::Connect {
        display: display.name(),
        reason,
    };
    let socket = UnixStream::connect(display.socket())
        .map_err(|e| fail(format!("{}: {e}", display.socket().display())))?;
    let (stream, _) = DefaultStream::from_unix_stream(socket).map_err(|e| fail(e.to_string()))?;
    let conn = RustConnection::connect_to_stream_with_auth_info(
        stream,
        0,
        COOKIE_NAME.to_vec(),
        display.cookie.0.to_vec(),
    )
    .map_err(|e| fail(e.to_string()))?;
    let root = conn
        .setup()
        .roots
        .first()
        .map(|s| s.root)
        .ok_or_else(|| fail("the server reports no screen".into()))?;
    Ok((conn, root))
}

/// Turns any x11rb error into [`XClientError::Request`] for `display`.
pub(crate) fn request_error(
    display: &XDisplay,
) -> impl Fn(&dyn std::fmt::Display) -> XClientError + '_ {
    move |e| XClientError::Request {
        display: display.name(),
        reason: e.to_string(),
    }
}

use x11rb::connection::Connection as _;
