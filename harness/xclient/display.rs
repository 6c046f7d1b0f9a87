//! An X display the lab started: its number, its authority file and its cookie. Defined here,
//! below the lab, because every X client (ours, in this module, and the lab's programs) needs
//! it to connect; the lab adds what it does with one (sharing the cookie, checking the server
//! refuses strangers) in `lab::xauth`.

use std::fmt;
use std::path::PathBuf;
use std::process::Command;

/// The auth protocol name of [`Cookie`]s.
pub const COOKIE_NAME: &[u8] = b"MIT-MAGIC-COOKIE-1";
/// MIT-MAGIC-COOKIE-1 cookies are 16 bytes.
pub const COOKIE_LEN: usize = 16;

/// An MIT-MAGIC-COOKIE-1; `Debug` does not print it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cookie(pub [u8; COOKIE_LEN]);

impl fmt::Debug for Cookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cookie(***)")
    }
}

/// An X display the lab started and who may use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XDisplay {
    /// Display number (`:N`).
    pub number: u32,
    /// Authority file holding its cookie (0600).
    pub authority: PathBuf,
    /// The cookie itself, for in-process clients.
    pub cookie: Cookie,
}

impl XDisplay {
    /// `:N`.
    pub fn name(&self) -> String {
        format!(":{}", self.number)
    }

    /// Points `cmd` at this display with its cookie.
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env("DISPLAY", self.name())
            .env("XAUTHORITY", &self.authority);
    }

    /// The display's unix socket.
    pub fn socket(&self) -> PathBuf {
        PathBuf::from(format!("/tmp/.X11-unix/X{}", self.number))
    }
}
