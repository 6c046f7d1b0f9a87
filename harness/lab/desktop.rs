//! The desktop a drag scenario needs: a window manager with opaque moves, a picture as the
//! root background, and an xterm to drag by its title bar (`shared/LAB.md` §3).
//!
//! The picture is ImageMagick's plasma fractal with a fixed seed, so every run repaints the same
//! pixels. It is set as the root window's background rather than shown in a viewer window: the
//! viewer (`display`) pops up its command menu when clicked, so a stray click would change what
//! is on screen. A window dragged over the root background still makes the server repaint
//! everything it uncovers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{package_for, wait_ready, ManagedChild};
use super::x11::{self, WindowGeometry};
use super::LabError;

const TWMRC: &str = include_str!("assets/twmrc");
/// Title of the window the drag scenarios move.
pub const DRAG_WINDOW_TITLE: &str = "xterm-spice";
/// Where the drag window's frame is placed (its title bar is the top ~19 px).
pub const DRAG_WINDOW_ORIGIN: (i32, i32) = (50, 50);
/// Seed of the background picture.
pub const PLASMA_SEED: u32 = 42;

/// A running desktop on an X display; stopped when dropped.
#[derive(Debug)]
pub struct Desktop {
    display: u32,
    // Dropped in reverse order of start: xterm, then the window manager.
    xterm: ManagedChild,
    twm: ManagedChild,
}

/// Runs a one-shot tool and returns its stderr (for error messages).
fn run_once(program: &str, args: &[&str], display: u32, dir: &Path) -> Result<String, LabError> {
    let out = Command::new(program)
        .args(args)
        .env("DISPLAY", format!(":{display}"))
        .current_dir(dir)
        .output()
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                LabError::Missing {
                    program: program.to_string(),
                    package: package_for(program).to_string(),
                }
            } else {
                LabError::Spawn {
                    program: program.to_string(),
                    source,
                }
            }
        })?;
    // `display -window root` exits 1 after setting the background; only missing output matters.
    Ok(String::from_utf8_lossy(&out.stderr).trim().to_string())
}

/// Makes (or reuses) the background picture for a screen of `width`×`height`.
fn plasma(dir: &Path, width: u32, height: u32) -> Result<PathBuf, LabError> {
    let path = dir.join(format!("plasma-{width}x{height}-seed{PLASMA_SEED}.png"));
    if !path.exists() {
        // Another `convert` may come first on PATH on these machines (LAB.md §1).
        let stderr = run_once(
            "/usr/bin/convert",
            &[
                "-seed",
                &PLASMA_SEED.to_string(),
                "-size",
                &format!("{width}x{height}"),
                "plasma:fractal",
                &path.to_string_lossy(),
            ],
            0,
            dir,
        )?;
        if !path.exists() {
            return Err(LabError::Io {
                context: format!("making the background picture {}", path.display()),
                source: std::io::Error::other(format!("convert wrote nothing: {stderr}")),
            });
        }
    }
    Ok(path)
}

impl Desktop {
    /// Starts the desktop on display `:display` sized `width`×`height`, with files in `dir`.
    pub fn start(display: u32, width: u32, height: u32, dir: &Path) -> Result<Self, LabError> {
        let picture = plasma(dir, width, height)?;
        run_once(
            "display",
            &["-window", "root", &picture.to_string_lossy()],
            display,
            dir,
        )?;

        let twmrc = dir.join("twmrc");
        std::fs::write(&twmrc, TWMRC).map_err(|source| LabError::Io {
            context: format!("writing {}", twmrc.display()),
            source,
        })?;
        let mut cmd = Command::new("twm");
        cmd.arg("-f")
            .arg(&twmrc)
            .env("DISPLAY", format!(":{display}"))
            .env("LANG", "C");
        let twm = ManagedChild::spawn("twm", cmd, &dir.join("twm.log"))?;

        let (x, y) = DRAG_WINDOW_ORIGIN;
        let mut cmd = Command::new("xterm");
        cmd.args(["-geometry", &format!("80x24+{x}+{y}")])
            .args(["-title", DRAG_WINDOW_TITLE])
            .args(["-e", "/bin/sh"])
            .env("DISPLAY", format!(":{display}"))
            .env("PS1", "spicebench$ ")
            .env("LANG", "C")
            .current_dir(dir);
        let mut xterm = ManagedChild::spawn("xterm", cmd, &dir.join("xterm.log"))?;
        // Ready when twm has framed the xterm: only then does its title bar exist to drag.
        wait_ready(
            "the xterm to drag (framed by twm)",
            Duration::from_secs(10),
            &mut xterm,
            || x11::is_framed(display, DRAG_WINDOW_TITLE),
        )?;
        let mut desktop = Self {
            display,
            xterm,
            twm,
        };
        desktop.twm.check_running()?;
        Ok(desktop)
    }

    /// Where the drag window's frame is now.
    pub fn drag_window(&self) -> Option<WindowGeometry> {
        x11::frame_geometry(self.display, DRAG_WINDOW_TITLE)
    }

    /// PIDs of the desktop's processes (window manager, xterm).
    pub fn pids(&self) -> Vec<u32> {
        [self.twm.pid(), self.xterm.pid()]
            .into_iter()
            .flatten()
            .collect()
    }
}
