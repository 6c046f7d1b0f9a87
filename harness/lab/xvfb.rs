//! Xvfb: the client machine's X display that remote-viewer draws on, with its own cookie, no
//! TCP listener, and a screen exactly the guest's size so the viewer can show it 1:1.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::display_claim::{start_on_claimed_display, DisplayClaim};
use super::lab_user::LabHome;
use super::process::{wait_ready, ManagedChild};
use super::xauth::{create_authority, XDisplay};
use super::LabError;

/// The Xvfb binary of Debian's xvfb package.
pub const XVFB: &str = "/usr/bin/Xvfb";
/// The window manager viewers need to go full screen (Debian's evilwm: one small package).
pub const WINDOW_MANAGER: &str = "/usr/bin/evilwm";

/// First display number tried (the lab's Xspice servers start at 20).
const FIRST_DISPLAY: u32 = 120;

/// A running Xvfb; stopped when dropped.
#[derive(Debug)]
pub struct Xvfb {
    display: XDisplay,
    process: ManagedChild,
    /// Held until Xvfb has stopped (fields drop in order).
    _claim: DisplayClaim,
}

impl Xvfb {
    /// Starts Xvfb with a `width`×`height`×24 screen as `home`'s account (its cookie in that
    /// folder, logs in `dir`), and waits until it accepts clients and refuses those without
    /// the cookie.
    pub fn start(width: u32, height: u32, dir: &Path, home: &LabHome) -> Result<Self, LabError> {
        crate::lab::process::require(XVFB)?;
        std::fs::create_dir_all(dir).map_err(|source| LabError::Io {
            context: format!("creating {}", dir.display()),
            source,
        })?;
        let ((display, process), claim) = start_on_claimed_display(FIRST_DISPLAY, |claim| {
            Self::start_on(width, height, dir, home, claim.number())
        })?;
        Ok(Self {
            display,
            process,
            _claim: claim,
        })
    }

    /// [`Xvfb::start`] on display `number`.
    fn start_on(
        width: u32,
        height: u32,
        dir: &Path,
        home: &LabHome,
        number: u32,
    ) -> Result<(XDisplay, ManagedChild), LabError> {
        let log = dir.join("xvfb.log");
        // Each attempt's own words: an earlier attempt's failure must not be read as this one's.
        let _ = std::fs::remove_file(&log);
        let display = create_authority(&home.file("xvfb.xauth"), number)?;
        std::os::unix::fs::chown(
            &display.authority,
            Some(home.user().uid),
            Some(home.user().gid),
        )
        .map_err(|source| LabError::Io {
            context: format!("handing {} to its account", display.authority.display()),
            source,
        })?;
        let mut cmd = Command::new(XVFB);
        cmd.arg(display.name())
            .args(["-screen", "0", &format!("{width}x{height}x24")])
            .args(["-nolisten", "tcp", "-noreset", "-auth"])
            .arg(&display.authority);
        cmd.env("HOME", home.dir()).current_dir(home.dir());
        let mut process = ManagedChild::spawn_as("Xvfb", cmd, &log, Some(home.user()))?;
        let socket = display.socket();
        wait_ready(
            "Xvfb",
            Duration::from_secs(10),
            &mut process,
            home.cancel(),
            || std::os::unix::net::UnixStream::connect(&socket).is_ok(),
        )?;
        display.check_closed("Xvfb")?;
        Ok((display, process))
    }

    /// The display and its cookie.
    pub fn display(&self) -> &XDisplay {
        &self.display
    }

    /// Starts the window manager on this display as `home`'s account, in that folder; ready
    /// once it announces itself on the root window.
    pub fn start_window_manager(
        &self,
        home: &LabHome,
        log: &Path,
    ) -> Result<ManagedChild, LabError> {
        crate::lab::process::require(WINDOW_MANAGER)?;
        let mut cmd = Command::new(WINDOW_MANAGER);
        self.display.apply(&mut cmd);
        cmd.env("HOME", home.dir()).current_dir(home.dir());
        let mut wm = ManagedChild::spawn_as("evilwm", cmd, log, Some(home.user()))?;
        let display = self.display.clone();
        wait_ready(
            "the window manager on Xvfb",
            Duration::from_secs(10),
            &mut wm,
            home.cancel(),
            || crate::xclient::window::has_window_manager(&display),
        )?;
        Ok(wm)
    }

    /// Xvfb's PID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// Whether Xvfb still runs.
    pub fn is_running(&mut self) -> bool {
        self.process.exited().is_none()
    }
}
