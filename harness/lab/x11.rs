//! Reading state back from an X server with the x11-utils tools, independently of SPICE: what
//! tests use to prove that input really reached the desktop.

use std::process::Command;

use super::xauth::XDisplay;

/// A window's outer position and size on the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowGeometry {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

fn xwininfo(display: &XDisplay, args: &[&str]) -> Option<String> {
    let mut cmd = Command::new("xwininfo");
    display.apply(&mut cmd);
    let out = cmd.args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn field<T: std::str::FromStr>(text: &str, label: &str) -> Option<T> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The geometry in `xwininfo`'s output.
pub fn geometry(text: &str) -> Option<WindowGeometry> {
    Some(WindowGeometry {
        x: field(text, "Absolute upper-left X:")?,
        y: field(text, "Absolute upper-left Y:")?,
        width: field(text, "Width:")?,
        height: field(text, "Height:")?,
    })
}

/// Geometry of the window titled `title`, including the window manager's frame (title bar and
/// border) when it has one: the frame is what a title-bar drag moves.
pub fn frame_geometry(display: &XDisplay, title: &str) -> Option<WindowGeometry> {
    let tree = xwininfo(display, &["-name", title, "-children"])?;
    let root: String = field(&tree, "Root window id:")?;
    let parent: String = field(&tree, "Parent window id:")?;
    if parent == root {
        return geometry(&xwininfo(display, &["-name", title])?);
    }
    geometry(&xwininfo(display, &["-id", &parent])?)
}

/// Whether the window manager has framed the window titled `title` (its parent is not root).
pub fn is_framed(display: &XDisplay, title: &str) -> bool {
    let Some(tree) = xwininfo(display, &["-name", title, "-children"]) else {
        return false;
    };
    let root: Option<String> = field(&tree, "Root window id:");
    let parent: Option<String> = field(&tree, "Parent window id:");
    matches!((root, parent), (Some(r), Some(p)) if r != p)
}

/// The root window size.
pub fn screen_size(display: &XDisplay) -> Option<(u32, u32)> {
    let text = xwininfo(display, &["-root"])?;
    Some((field(&text, "Width:")?, field(&text, "Height:")?))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn parses_xwininfo_output() {
        let text = "\nxwininfo: Window id: 0x200130 (has no name)\n\n  Absolute upper-left X:  50\n  Absolute upper-left Y:  50\n  Relative upper-left X:  50\n  Width: 484\n  Height: 335\n";
        assert_eq!(
            geometry(text),
            Some(WindowGeometry {
                x: 50,
                y: 50,
                width: 484,
                height: 335
            })
        );
        assert_eq!(
            field::<String>(
                "  Parent window id: 0x200130 (has no name)",
                "Parent window id:"
            ),
            Some("0x200130".to_string())
        );
    }
}
