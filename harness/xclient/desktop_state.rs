//! What is on a lab desktop, read back over X (x11rb): the titles of the windows shown, whether
//! a compositing manager runs, and the pixels of a screen region. Runs and tests use it to
//! wait for programs and to prove that input changed the screen.

use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, ImageFormat, MapState, Window};

use super::XDisplay;

/// Titles (WM_NAME) of the viewable windows on the screen, top-level and their children (a
/// window manager's frames hold the clients), in stacking order, without repeats.
pub fn window_titles(display: &XDisplay) -> Vec<String> {
    let Ok((conn, root)) = super::connect(display) else {
        return Vec::new();
    };
    let mut titles = Vec::new();
    let mut stack: Vec<(Window, u32)> = vec![(root, 0)];
    // Frames hold clients one or two levels down; deeper windows are a program's own.
    while let Some((window, depth)) = stack.pop() {
        let Some(tree) = conn.query_tree(window).ok().and_then(|c| c.reply().ok()) else {
            continue;
        };
        for child in tree.children {
            let viewable = conn
                .get_window_attributes(child)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|a| a.map_state == MapState::VIEWABLE);
            if !viewable {
                continue;
            }
            let name = conn
                .get_property(false, child, AtomEnum::WM_NAME, AtomEnum::ANY, 0, 1024)
                .ok()
                .and_then(|c| c.reply().ok())
                .map(|p| String::from_utf8_lossy(&p.value).into_owned())
                .filter(|n| !n.is_empty());
            if let Some(n) = name {
                if !titles.contains(&n) {
                    titles.push(n);
                }
            }
            if depth < 2 {
                stack.push((child, depth + 1));
            }
        }
    }
    titles
}

/// Whether a compositing manager owns screen 0's `_NET_WM_CM_S0` selection.
pub fn compositor_running(display: &XDisplay) -> bool {
    let Ok((conn, _)) = super::connect(display) else {
        return false;
    };
    let Some(atom) = conn
        .intern_atom(true, b"_NET_WM_CM_S0")
        .ok()
        .and_then(|c| c.reply().ok())
        .map(|r| r.atom)
        .filter(|a| *a != 0)
    else {
        return false;
    };
    conn.get_selection_owner(atom)
        .ok()
        .and_then(|c| c.reply().ok())
        .is_some_and(|r| r.owner != 0)
}

/// The raw pixels (Z format, the server's byte order) of a screen region, clipped to the
/// screen, or `None` when it cannot be read.
pub fn region_pixels(
    display: &XDisplay,
    x: i16,
    y: i16,
    width: u16,
    height: u16,
) -> Option<Vec<u8>> {
    let (conn, root) = super::connect(display).ok()?;
    let reply = conn
        .get_image(ImageFormat::Z_PIXMAP, root, x, y, width, height, !0)
        .ok()?
        .reply()
        .ok()?;
    conn.flush().ok()?;
    Some(reply.data)
}
