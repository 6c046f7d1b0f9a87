//! The desktop a drag scenario needs: a window manager with opaque moves, a picture as the
//! root background, an xterm to drag by its title bar (`shared/LAB.md` §3), and the input
//! probe that stamps every pointer event in the top-left corner ([`super::probe`]).
//!
//! Every program of the desktop runs as the unprivileged lab user ([`super::lab_user`]) with
//! its own copy of the display's cookie: the xterm's shell is a shell of that user, not root's.
//!
//! The picture is ImageMagick's plasma fractal with a fixed seed, so every run repaints the same
//! pixels. It is set as the root window's background rather than shown in a viewer window: the
//! viewer (`display`) pops up its command menu when clicked, so a stray click would change what
//! is on screen. A window dragged over the root background still makes the server repaint
//! everything it uncovers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::cancel::Cancel;
use super::lab_user::{LabHome, LabUser};
use super::probe::Probe;
use super::process::{package_for, run_as, wait_ready, ManagedChild};
use super::workloads;
use super::x11::{self, WindowGeometry};
use super::xauth::XDisplay;
use super::LabError;
pub use crate::scenario::{DesktopContent, IdleActivity};

const TWMRC: &str = include_str!("assets/twmrc");
/// The cursor theme every desktop program draws its pointer with (adwaita-icon-theme).
///
/// Xspice draws the X server's built-in two-colour cursors in software, into the screen: each
/// pointer move then repaints a 16×16 square, which costs display bytes a real desktop does
/// not pay and answers every input with an update whether or not it did anything. Themed
/// (ARGB) cursors go to the viewer on the cursor channel instead, as on a guest's desktop.
const CURSOR_THEME: &str = "Adwaita";
/// The root window's cursor, from that theme.
const ROOT_CURSOR: &str = "/usr/share/icons/Adwaita/cursors/left_ptr";
/// Its size in pixels.
const CURSOR_SIZE: &str = "24";
/// Title of the window the drag scenarios move.
pub const DRAG_WINDOW_TITLE: &str = "xterm-spice";
/// Where the drag window's frame is placed (its title bar is the top ~19 px).
pub const DRAG_WINDOW_ORIGIN: (i32, i32) = (50, 50);
/// Seed of the background picture.
pub const PLASMA_SEED: u32 = 42;

/// Title of the blinking terminal.
const BLINK_WINDOW_TITLE: &str = "spicebench-blink";
/// The blinking terminal's program: a block that appears and disappears every 250 ms, drawn
/// by the terminal like any text, whether or not the window has the focus.
const BLINK_SCRIPT: &str = "while :; do printf '\\r#'; sleep 0.25; printf '\\r '; sleep 0.25; done";

/// What a desktop is made of.
#[derive(Debug, Clone)]
pub struct DesktopSetup {
    /// Size of each head.
    pub head_width: u32,
    /// Height of the heads.
    pub head_height: u32,
    /// Heads side by side (Xspice outputs `qxl-0` …); 1 leaves the screen as the server made it.
    pub heads: u32,
    /// What changes while idle.
    pub activity: IdleActivity,
    /// The windows the steps work on.
    pub content: DesktopContent,
    /// Run a compositing manager (picom).
    pub compositor: bool,
    /// The run's stop token: start-up gives up once it is requested.
    pub cancel: Cancel,
}

impl DesktopSetup {
    /// One head of `width`×`height` with the xterm: the quick drag's desktop.
    pub fn single(width: u32, height: u32) -> Self {
        Self {
            head_width: width,
            head_height: height,
            heads: 1,
            activity: IdleActivity::None,
            content: DesktopContent::Xterm,
            compositor: false,
            cancel: Cancel::new(),
        }
    }
}

/// A running desktop on an X display; stopped when dropped.
#[derive(Debug)]
pub struct Desktop {
    /// The display as root sees it (the original cookie), for checks.
    display: XDisplay,
    /// Title of the window drags move, when the content has one.
    drag_title: Option<&'static str>,
    // Dropped in field order: probe, idle activity, content, then the compositor and the
    // window manager, then the user's folder.
    probe: Probe,
    activity: Option<ManagedChild>,
    content: ManagedChild,
    compositor: Option<ManagedChild>,
    twm: ManagedChild,
    home: LabHome,
}

/// Runs a one-shot tool (as `user` when given) and returns its stderr (for error messages).
fn run_once(
    program: &str,
    args: &[&str],
    display: Option<&XDisplay>,
    user: Option<&LabUser>,
    dir: &Path,
) -> Result<String, LabError> {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir);
    if let Some(d) = display {
        d.apply(&mut cmd);
    }
    if let Some(u) = user {
        run_as(&mut cmd, u);
    }
    let out = cmd.output().map_err(|source| {
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
        workloads::convert(
            &[
                "-seed".into(),
                PLASMA_SEED.to_string(),
                "-size".into(),
                format!("{width}x{height}"),
                "plasma:fractal".into(),
                path.to_string_lossy().into_owned(),
            ],
            dir,
        )?;
    }
    Ok(path)
}

impl Desktop {
    /// Starts the xterm desktop on `display` sized `width`×`height`, with logs in `dir`,
    /// every program as the lab user.
    pub fn start(
        display: &XDisplay,
        width: u32,
        height: u32,
        dir: &Path,
    ) -> Result<Self, LabError> {
        Self::start_setup(display, &DesktopSetup::single(width, height), dir)
    }

    /// Starts the desktop `setup` describes.
    pub fn start_setup(
        display: &XDisplay,
        setup: &DesktopSetup,
        dir: &Path,
    ) -> Result<Self, LabError> {
        let home = LabHome::create(LabUser::lookup(super::Role::Guest)?, &setup.cancel)?;
        let user = home.user().clone();
        let theirs = display.share_with(&home.file("xauthority"), Some(user.ids()))?;
        let heads = setup.heads.max(1);
        if heads > 1 {
            super::heads::arrange(
                &theirs,
                &user,
                home.dir(),
                heads,
                setup.head_width,
                setup.head_height,
            )?;
        }
        let (width, height) = (setup.head_width * heads, setup.head_height);
        match x11::screen_size(display) {
            Some(got) if got != (width, height) => {
                return Err(LabError::Geometry {
                    wanted: format!("{width}x{height}"),
                    got: format!("{}x{}", got.0, got.1),
                })
            }
            _ => {}
        }
        let picture = plasma(dir, width, height)?;
        let bytes = std::fs::read(&picture).map_err(|source| LabError::Io {
            context: format!("reading {}", picture.display()),
            source,
        })?;
        let picture = home.write("background.png", &bytes)?;
        run_once(
            "display",
            &["-window", "root", &picture.to_string_lossy()],
            Some(&theirs),
            Some(&user),
            home.dir(),
        )?;
        if !Path::new(ROOT_CURSOR).exists() {
            return Err(LabError::Missing {
                program: ROOT_CURSOR.into(),
                package: "adwaita-icon-theme".into(),
            });
        }
        run_once(
            "xsetroot",
            &["-xcf", ROOT_CURSOR, CURSOR_SIZE],
            Some(&theirs),
            Some(&user),
            home.dir(),
        )?;
        let twmrc = home.write("twmrc", TWMRC.as_bytes())?;
        let mut cmd = Command::new("twm");
        cmd.arg("-f").arg(&twmrc).env("LANG", "C");
        desktop_env(&mut cmd, &theirs, &home);
        let twm = ManagedChild::spawn_as("twm", cmd, &dir.join("twm.log"), Some(&user))?;
        let env = |cmd: &mut Command| desktop_env(cmd, &theirs, &home);
        let compositor = match setup.compositor {
            true => Some(workloads::start_compositor(display, &home, dir, env)?),
            false => None,
        };
        let (content, drag_title) = match setup.content {
            DesktopContent::Xterm => (
                start_xterm(display, &theirs, &home, dir)?,
                Some(DRAG_WINDOW_TITLE),
            ),
            DesktopContent::PhotoWindow => (
                workloads::start_photo_window(display, &home, dir, env)?,
                Some(workloads::PHOTO_WINDOW_TITLE),
            ),
            DesktopContent::Lodraw => (workloads::start_lodraw(display, &home, dir, env)?, None),
            DesktopContent::Video => (workloads::start_video(display, &home, dir, env)?, None),
        };
        let activity = start_activity(setup.activity, display, &theirs, &home, dir)?;
        // Last, so the square starts above every window (it raises itself on each stamp too).
        let probe = Probe::start(&theirs, &home, &dir.join("probe.log"))?;
        let mut desktop = Self {
            display: display.clone(),
            drag_title,
            probe,
            activity,
            content,
            compositor,
            twm,
            home,
        };
        desktop.twm.check_running()?;
        desktop.probe.check_running()?;
        if let Some(c) = desktop.compositor.as_mut() {
            c.check_running()?;
        }
        Ok(desktop)
    }

    /// The lab user the desktop runs as.
    pub fn user(&self) -> &LabUser {
        self.home.user()
    }

    /// Where the drag window's frame is now (none for content without one).
    pub fn drag_window(&self) -> Option<WindowGeometry> {
        x11::frame_geometry(&self.display, self.drag_title?)
    }

    /// Title of the window drags move, when the content has one.
    pub fn drag_title(&self) -> Option<&'static str> {
        self.drag_title
    }

    /// Whether a viewable window's title contains `title`.
    pub fn has_window(&self, title: &str) -> bool {
        self.window_titles().iter().any(|t| t.contains(title))
    }

    /// Titles of the viewable windows.
    pub fn window_titles(&self) -> Vec<String> {
        crate::xclient::window_titles(&self.display)
    }

    /// The pixels of a screen region (for checking that input changed it).
    pub fn region_pixels(&self, x: u32, y: u32, width: u32, height: u32) -> Option<Vec<u8>> {
        let clamp16 = |v: u32| i16::try_from(v).unwrap_or(i16::MAX);
        let size16 = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
        crate::xclient::region_pixels(
            &self.display,
            clamp16(x),
            clamp16(y),
            size16(width),
            size16(height),
        )
    }

    /// PIDs of the desktop's processes (window manager, compositor, content, probe).
    pub fn pids(&self) -> Vec<u32> {
        [self.twm.pid(), self.content.pid(), self.probe.pid()]
            .into_iter()
            .chain([
                self.activity.as_ref().and_then(ManagedChild::pid),
                self.compositor.as_ref().and_then(ManagedChild::pid),
            ])
            .flatten()
            .collect()
    }
}

/// The quick drag's xterm at [`DRAG_WINDOW_ORIGIN`]; ready when twm has framed it.
fn start_xterm(
    display: &XDisplay,
    theirs: &XDisplay,
    home: &LabHome,
    dir: &Path,
) -> Result<ManagedChild, LabError> {
    let user = home.user();
    let (x, y) = DRAG_WINDOW_ORIGIN;
    let mut cmd = Command::new("xterm");
    cmd.args(["-geometry", &format!("80x24+{x}+{y}")])
        .args(["-title", DRAG_WINDOW_TITLE])
        .args(["-e", "/bin/sh"])
        .env("PS1", "spicebench$ ")
        .env("LANG", "C");
    desktop_env(&mut cmd, theirs, home);
    let mut xterm = ManagedChild::spawn_as("xterm", cmd, &dir.join("xterm.log"), Some(user))?;
    // Ready when twm has framed the xterm: only then does its title bar exist to drag.
    wait_ready(
        "the xterm to drag (framed by twm)",
        Duration::from_secs(10),
        &mut xterm,
        home.cancel(),
        || x11::is_framed(display, DRAG_WINDOW_TITLE),
    )?;
    Ok(xterm)
}

/// Starts the program of `activity` (none for [`IdleActivity::None`]) in the bottom-right
/// corner, away from the drag window and the probe, and waits until twm has framed it.
fn start_activity(
    activity: IdleActivity,
    display: &XDisplay,
    theirs: &XDisplay,
    home: &LabHome,
    dir: &Path,
) -> Result<Option<ManagedChild>, LabError> {
    let (program, title, args): (&str, &str, Vec<&str>) = match activity {
        IdleActivity::None => return Ok(None),
        IdleActivity::BlinkingCursor => (
            "xterm",
            BLINK_WINDOW_TITLE,
            vec![
                "-geometry",
                "4x1-0-0",
                "-title",
                BLINK_WINDOW_TITLE,
                "-e",
                "/bin/sh",
                "-c",
                BLINK_SCRIPT,
            ],
        ),
        IdleActivity::Clock => (
            "xclock",
            "xclock",
            vec![
                "-digital",
                "-strftime",
                "%H:%M:%S",
                "-update",
                "1",
                "-geometry",
                "-0-0",
            ],
        ),
    };
    let mut cmd = Command::new(program);
    cmd.args(&args).env("LANG", "C");
    desktop_env(&mut cmd, theirs, home);
    let log = dir.join(format!("{}.log", activity.as_str()));
    let mut child = ManagedChild::spawn_as(program, cmd, &log, Some(home.user()))?;
    wait_ready(
        &format!("the desktop's {} ({program})", activity.as_str()),
        Duration::from_secs(10),
        &mut child,
        home.cancel(),
        || x11::is_framed(display, title),
    )?;
    Ok(Some(child))
}

/// What every desktop program gets: the display with the user's cookie, and the user's
/// folder as home and working directory (the lab user has no home of its own).
fn desktop_env(cmd: &mut Command, display: &XDisplay, home: &LabHome) {
    display.apply(cmd);
    // TMPDIR too: LibreOffice leaves its lock folders (lu*.tmp) in the temporary folder,
    // which must go with the run like everything else the desktop wrote. (Its IPC pipe
    // ignores TMPDIR: see `workloads::start_lodraw`.)
    cmd.env("HOME", home.dir())
        .env("TMPDIR", home.dir())
        .env("XCURSOR_THEME", CURSOR_THEME)
        .env("XCURSOR_SIZE", CURSOR_SIZE)
        .current_dir(home.dir());
}
