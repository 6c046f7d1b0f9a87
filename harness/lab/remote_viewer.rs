//! remote-viewer (virt-viewer's SPICE client, on spice-gtk): the reference viewer. It reads a
//! virt-viewer connection file from its stdin (`-`), so the ticket is neither on a command
//! line nor in a file, and runs full screen in kiosk mode (no toolbar, no menus) on a screen
//! the size of the guest, under a window manager (it cannot go full screen without one),
//! which makes guest pixels screen pixels.
//!
//! It reports nothing useful by exit code: a wrong ticket or a refused connection opens a
//! dialog and waits forever. With `--debug` it says on stdout what happened, which
//! [`connection_state`] reads.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::cancel::Cancel;
use super::LabError;

/// The program of Debian's virt-viewer package.
pub const REMOTE_VIEWER: &str = "/usr/bin/remote-viewer";

/// The WM_CLASS of its windows.
pub const WINDOW_CLASS: &str = "remote-viewer";

/// Full screen without toolbar or menus, quit when the session ends instead of showing a
/// dialog, say what happens on stdout, read the connection file from stdin.
pub const ARGS: &[&str] = &["--kiosk", "--kiosk-quit=on-disconnect", "--debug", "-"];

/// What remote-viewer's debug output says about its main channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// Nothing yet.
    Pending,
    /// The main channel is open.
    Opened,
    /// The server refused the ticket.
    AuthFailed(String),
    /// The connection failed.
    Failed(String),
}

/// Reads remote-viewer's `--debug` output for the main channel's fate.
pub fn connection_state(log: &str) -> ConnectionState {
    for line in log.lines() {
        let Some((_, what)) = line.split_once("main channel: ") else {
            continue;
        };
        let what = what.trim().to_string();
        if what.starts_with("opened") {
            return ConnectionState::Opened;
        }
        if what.starts_with("auth failure") {
            return ConnectionState::AuthFailed(what);
        }
        if what.starts_with("failed") || what.starts_with("error") {
            return ConnectionState::Failed(what);
        }
    }
    ConnectionState::Pending
}

/// Waits until the log at `log` says the main channel opened (while `alive` holds).
pub fn wait_connected(
    log: &Path,
    timeout: Duration,
    cancel: &Cancel,
    mut alive: impl FnMut() -> Option<String>,
) -> Result<(), LabError> {
    let deadline = Instant::now() + timeout;
    loop {
        super::cancel::check(cancel)?;
        let text = std::fs::read_to_string(log).unwrap_or_default();
        match connection_state(&text) {
            ConnectionState::Opened => return Ok(()),
            ConnectionState::AuthFailed(why) => {
                return Err(LabError::ViewerRefused {
                    viewer: "remote-viewer".into(),
                    detail: format!(
                        "{why}: the server did not accept the SPICE ticket; check the \
                         scenario's password_env / password_file"
                    ),
                    log: log.to_path_buf(),
                })
            }
            ConnectionState::Failed(why) => {
                return Err(LabError::ViewerRefused {
                    viewer: "remote-viewer".into(),
                    detail: why,
                    log: log.to_path_buf(),
                })
            }
            ConnectionState::Pending => {}
        }
        if let Some(status) = alive() {
            return Err(LabError::exited("remote-viewer", status, log));
        }
        if Instant::now() >= deadline {
            return Err(LabError::NotReady {
                what: "remote-viewer's connection to the SPICE server".into(),
                seconds: timeout.as_secs_f64(),
                log: log.to_path_buf(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `remote-viewer 11.0` (from `remote-viewer --version`), when it is installed.
pub fn version() -> Option<String> {
    let out = Command::new(REMOTE_VIEWER).arg("--version").output().ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    // "remote-viewer version 11.0"
    let v = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("remote-viewer version "))?;
    Some(format!("remote-viewer {}", v.trim()))
}

/// A virt-viewer connection file (`.vv`) for a SPICE server at `host:port` with `ticket`;
/// with `tls_ca` (a CA certificate, PEM) the port is a TLS port and every channel must use it
/// (remote-viewer stays on plain channels unless told so). Values are escaped as GLib key
/// files read them, so a ticket with a newline or a leading space cannot end its line early
/// or add a key.
pub fn connection_file(
    host: &str,
    port: u16,
    ticket: &str,
    title: &str,
    tls_ca: Option<&str>,
) -> String {
    let port_line = match tls_ca {
        Some(ca) => format!(
            "tls-port={port}\nsecure-channels=all\nca={}\n",
            keyfile_value(ca)
        ),
        None => format!("port={port}\n"),
    };
    let mut text = format!(
        "[virt-viewer]\ntype=spice\nhost={}\n{port_line}title={}\nfullscreen=1\n",
        keyfile_value(host),
        keyfile_value(title)
    );
    if !ticket.is_empty() {
        text.push_str(&format!("password={}\n", keyfile_value(ticket)));
    }
    text
}

/// `value` escaped for a GLib key file: `\\`, `\n`, `\t`, `\r`, and `\s` for a leading
/// space (which GLib would otherwise strip).
fn keyfile_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' ' if i == 0 => out.push_str("\\s"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_file_carries_the_ticket() {
        let f = connection_file("127.0.0.1", 5930, "s3cret", "spicebench", None);
        assert!(f.starts_with("[virt-viewer]\ntype=spice\n"));
        for line in [
            "host=127.0.0.1",
            "port=5930",
            "password=s3cret",
            "fullscreen=1",
        ] {
            assert!(f.lines().any(|l| l == line), "{line} missing from\n{f}");
        }
        assert!(!connection_file("h", 1, "", "t", None).contains("password"));
        // A ticket cannot end its line or smuggle in a key.
        let f = connection_file("h", 1, " a\\b\nhost=evil", "t", None);
        assert!(
            f.lines().any(|l| l == "password=\\sa\\\\b\\nhost=evil"),
            "{f}"
        );
        assert_eq!(
            f.lines().filter(|l| l.starts_with("host=")).count(),
            1,
            "{f}"
        );
    }

    #[test]
    fn debug_output_tells_opened_from_refused() {
        // Lines as remote-viewer 11 prints them (recorded on this project's machine).
        let ok = "(remote-viewer:3415): virt-viewer-DEBUG: 01:29:27.622: main channel: opened\n";
        assert_eq!(connection_state(ok), ConnectionState::Opened);
        let bad = "(remote-viewer:25691): virt-viewer-DEBUG: 01:12:58.410: main channel: auth \
                   failure (wrong username/password?)\n";
        assert!(matches!(
            connection_state(bad),
            ConnectionState::AuthFailed(_)
        ));
        let refused = "(remote-viewer:27288): virt-viewer-DEBUG: 01:13:44.797: main channel: \
                       failed to connect Could not connect to 127.0.0.1: Connection refused\n";
        assert!(
            matches!(connection_state(refused), ConnectionState::Failed(w) if w.contains("refused"))
        );
        assert_eq!(connection_state("starting\n"), ConnectionState::Pending);
    }
}
