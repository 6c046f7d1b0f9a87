//! Refusals a run makes before it starts anything: the privileges its parts need.
//!
//! Without this, an unprivileged run gets as far as the first lab folder and fails with
//! "handing a lab folder to its account: Operation not permitted", after the output tree
//! exists and with no word about what to grant. Here the matrix's parts are listed up front
//! and compared with what this process may do.

use std::fmt;

use crate::capture::error::ExePath;
use crate::lab::LabError;
use crate::scenario::{Access, SshServer, Target, TargetKind, ViewerKind};

/// A part of a run that needs more than an ordinary account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The embedded Xspice: Xorg starts as root, the desktop runs as the guest lab account.
    Xspice,
    /// A QEMU guest: built once with mmdebstrap into the system's cache, booted by QEMU.
    QemuGuest,
    /// remote-viewer: its Xvfb and the viewer run as the viewer lab account.
    RemoteViewer,
    /// The SSH transports through spicebench's own sshd, which logs in as the viewer account.
    ManagedSshd,
    /// The live capture (libpcap).
    Capture,
}

impl Need {
    /// Whether only root will do (the lab accounts, Xorg); the capture takes capabilities.
    fn root_only(self) -> bool {
        !matches!(self, Self::Capture)
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Xspice => {
                "the xspice target starts Xorg as root and runs its desktop as the lab account \
                 spicebench-lab"
            }
            Self::QemuGuest => {
                "the qemu target builds its guest with mmdebstrap (chroot, mounts) into \
                 /var/cache/spicebench and boots it"
            }
            Self::RemoteViewer => {
                "remote-viewer runs on an Xvfb as the lab account spicebench-viewer"
            }
            Self::ManagedSshd => {
                "the ssh transports start spicebench's own sshd, which logs in as \
                 spicebench-viewer"
            }
            Self::Capture => "the live capture (libpcap) needs root or CAP_NET_RAW+CAP_NET_ADMIN",
        })
    }
}

/// What this process may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Privileges {
    /// Effective uid 0.
    pub root: bool,
    /// CAP_NET_RAW and CAP_NET_ADMIN are effective.
    pub capture: bool,
}

/// CAP_NET_ADMIN and CAP_NET_RAW (linux/capability.h: 12 and 13).
const CAPTURE_CAPS: u64 = (1 << 12) | (1 << 13);

impl Privileges {
    /// This process's.
    pub fn current() -> Self {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        let caps = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| effective_caps(&s));
        Self {
            root,
            // Unreadable: root is taken to have them, as libpcap will find out anyway.
            capture: caps.map_or(root, |c| c & CAPTURE_CAPS == CAPTURE_CAPS),
        }
    }
}

/// The `CapEff:` mask of a `/proc/<pid>/status` text.
fn effective_caps(status: &str) -> Option<u64> {
    let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

/// Why a run cannot start with these privileges.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreflightError {
    /// Parts that need root, and this process is not root.
    #[error(
        "this run needs root and runs as uid {uid}: {}; run it as root (sudo spicebench run \
         ...), or, unprivileged, measure an external target with `--viewers spicebench \
         --no-capture` (direct, or ssh to your own server with [access] ssh = \"user@host\")",
        join(.needs)
    )]
    Root {
        /// This process's effective uid.
        uid: u32,
        /// What needs root (and the capture, when that is missing too).
        needs: Vec<Need>,
    },
    /// Only the capture lacks its capabilities.
    #[error(
        "{}: run as root, or `setcap cap_net_raw,cap_net_admin+ep {}`, or analyse an existing \
         capture file (spicebench analyze), or measure without wire numbers: spicebench run \
         --no-capture",
        Need::Capture,
        ExePath
    )]
    Capture,
    /// A part the run needs is missing or unusable here (QEMU, KVM); the text says what to do.
    #[error("{0}")]
    Unavailable(String),
}

fn join(needs: &[Need]) -> String {
    needs
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The privileged parts a run of `target` over `access` starts (`capture`: live capture on).
pub fn needs(target: &Target, access: &Access, capture: bool) -> Vec<Need> {
    let mut out = Vec::new();
    match target.kind() {
        TargetKind::Xspice => out.push(Need::Xspice),
        TargetKind::Qemu => out.push(Need::QemuGuest),
        TargetKind::External => {}
    }
    if access.viewers.contains(&ViewerKind::RemoteViewer) {
        out.push(Need::RemoteViewer);
    }
    // With the user's own server, ssh runs as the user with their keys: nothing privileged.
    if access.ssh == SshServer::Managed && access.routes.iter().any(|r| r.kind().is_ssh()) {
        out.push(Need::ManagedSshd);
    }
    if capture {
        out.push(Need::Capture);
    }
    out
}

/// The refusal for `needs` under `privileges`, if any.
pub fn refusal(needs: &[Need], privileges: Privileges, uid: u32) -> Option<PreflightError> {
    if privileges.root {
        return None;
    }
    let missing: Vec<Need> = needs
        .iter()
        .copied()
        .filter(|n| n.root_only() || (*n == Need::Capture && !privileges.capture))
        .collect();
    if missing.iter().any(|n| n.root_only()) {
        Some(PreflightError::Root {
            uid,
            needs: missing,
        })
    } else if missing.is_empty() {
        None
    } else {
        Some(PreflightError::Capture)
    }
}

/// Refuses a run of `target` over `access` that this process lacks the privileges for.
pub fn check(target: &Target, access: &Access, capture: bool) -> Result<(), PreflightError> {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    if let Some(e) = refusal(&needs(target, access, capture), Privileges::current(), uid) {
        return Err(e);
    }
    // A QEMU guest needs QEMU, and KVM when it was asked for by name: say so before anything
    // starts rather than at the first configuration.
    if let Target::Qemu { machine, .. } = target {
        let unavailable = |e: LabError| PreflightError::Unavailable(e.to_string());
        crate::lab::qemu::QemuBinary::find().map_err(unavailable)?;
        crate::lab::qemu::resolve_accel(machine.accel).map_err(unavailable)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn scenario(target: &str, access: &str) -> Scenario {
        let text = format!(
            "name = \"p\"\n[target]\n{target}\n{access}\n[[steps]]\nkind = \"pause\"\n\
             duration_s = 0.1\n"
        );
        Scenario::parse(&text, std::path::Path::new("p.toml")).unwrap()
    }

    const XSPICE: &str = "kind = \"xspice\"\ngeometry = \"1024x768\"";
    const EXTERNAL: &str =
        "kind = \"external\"\nuri = \"spice://127.0.0.1:5930\"\ngeometry = \"1024x768\"";

    fn needs_of(target: &str, access: &str, capture: bool) -> Vec<Need> {
        let s = scenario(target, access);
        needs(&s.target, &s.access, capture)
    }

    #[test]
    fn the_privileged_parts_of_a_matrix_are_listed() {
        assert_eq!(needs_of(XSPICE, "", true), [Need::Xspice, Need::Capture]);
        assert_eq!(needs_of(EXTERNAL, "", false), []);
        assert_eq!(
            needs_of(
                EXTERNAL,
                "[access]\ntransports = [\"direct\", \"ssh-tunnel\"]\n\
                 viewers = [\"spicebench\", \"remote-viewer\"]",
                false
            ),
            [Need::RemoteViewer, Need::ManagedSshd]
        );
        // The user's own SSH server: ssh runs as the user.
        assert_eq!(
            needs_of(
                EXTERNAL,
                "[access]\ntransports = [\"ssh-tunnel\"]\nssh = \"me@example.org\"",
                false
            ),
            []
        );
    }

    #[test]
    fn a_non_root_run_is_refused_with_what_needs_root_and_what_to_do() {
        let user = Privileges {
            root: false,
            capture: false,
        };
        let e = refusal(&[Need::Xspice, Need::Capture], user, 1000).unwrap();
        let text = e.to_string();
        for want in [
            "uid 1000",
            "starts Xorg as root",
            "spicebench-lab",
            "CAP_NET_RAW+CAP_NET_ADMIN",
            "sudo spicebench run",
            "--viewers spicebench --no-capture",
        ] {
            assert!(text.contains(want), "{want}: {text}");
        }
        // With the capture capabilities, the capture is not listed.
        let capable = Privileges {
            root: false,
            capture: true,
        };
        let text = refusal(&[Need::RemoteViewer, Need::Capture], capable, 1000)
            .unwrap()
            .to_string();
        assert!(text.contains("spicebench-viewer"), "{text}");
        assert!(!text.contains("libpcap"), "{text}");
        // Only the capture missing: the capabilities, not root, are the fix.
        let e = refusal(&[Need::Capture], user, 1000).unwrap();
        assert_eq!(e, PreflightError::Capture);
        assert!(e
            .to_string()
            .contains("setcap cap_net_raw,cap_net_admin+ep"));
        assert!(e.to_string().contains("--no-capture"));
        assert_eq!(refusal(&[Need::Capture], capable, 1000), None);
        assert_eq!(refusal(&[], user, 1000), None);
    }

    #[test]
    fn root_is_never_refused() {
        let root = Privileges {
            root: true,
            capture: false,
        };
        let all = [
            Need::Xspice,
            Need::RemoteViewer,
            Need::ManagedSshd,
            Need::Capture,
        ];
        assert_eq!(refusal(&all, root, 0), None);
    }

    #[test]
    fn effective_capabilities_are_read_from_the_status_file() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t0000000000003000\n\
                      CapEff:\t0000000000003000\n";
        assert_eq!(effective_caps(status), Some(0x3000));
        assert_eq!(effective_caps(status).unwrap() & CAPTURE_CAPS, CAPTURE_CAPS);
        assert_eq!(effective_caps("CapEff:\tzz\n"), None);
        assert_eq!(effective_caps(""), None);
    }
}
