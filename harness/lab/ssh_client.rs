//! The OpenSSH client for the SSH transports: a local forward (`ssh -N -L`), a forward check
//! (`ssh -W`), and X forwarding of a viewer (`ssh -X`), against the managed server or the
//! user's own (`user@host`, with their ssh config and agent).
//!
//! Failures are told apart from what ssh printed, because they need different fixes: a host
//! that does not answer, a key the server refuses, a forward the server prohibits.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::cancel::Cancel;
use super::ports::{listener, Listener};
use super::process::ManagedChild;
use super::xauth::XDisplay;
use super::LabError;

/// OpenSSH's client (Debian's openssh-client).
pub const SSH: &str = "/usr/bin/ssh";

/// How long ssh may take to log in and open its forward.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(20);

/// Where the SSH transports log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshDestination {
    /// The managed server: its generated client config and [`super::sshd::ALIAS`], used as
    /// the account that owns them.
    Managed {
        /// The client config written by [`super::sshd::Sshd`].
        config: PathBuf,
        /// The account the client runs as.
        user: super::LabUser,
    },
    /// The user's server: a destination for their own ssh config (or the one given).
    External {
        /// `user@host` or a `Host` alias; ssh runs as the account running spicebench, with
        /// that account's keys, agent and config.
        destination: String,
        /// An ssh config file to use instead of the account's own (`ssh -F`).
        config: Option<PathBuf>,
    },
}

impl SshDestination {
    /// What to call it in messages.
    pub fn name(&self) -> String {
        match self {
            Self::Managed { .. } => "spicebench's own sshd on 127.0.0.1".into(),
            Self::External { destination, .. } => destination.clone(),
        }
    }
}

/// An ssh client for one destination and compression setting.
#[derive(Debug, Clone)]
pub struct SshClient {
    /// Where it logs in.
    pub destination: SshDestination,
    /// `ssh -C`.
    pub compression: bool,
    /// The run's stop token: logins and checks give up once it is requested.
    pub cancel: Cancel,
}

impl SshClient {
    /// `ssh` with the config, compression and no-prompt options, before the job's own options
    /// and the destination.
    fn command(&self) -> Command {
        let mut cmd = Command::new(SSH);
        match &self.destination {
            SshDestination::Managed { config, .. }
            | SshDestination::External {
                config: Some(config),
                ..
            } => {
                cmd.arg("-F").arg(config);
            }
            SshDestination::External { config: None, .. } => {}
        }
        // `-C` wins over any Compression option, so "off" must be said without it.
        if self.compression {
            cmd.arg("-C");
        } else {
            cmd.args(["-o", "Compression=no"]);
        }
        cmd.args(["-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes"]);
        cmd
    }

    /// The account ssh runs as: the managed server's login account, else ours.
    fn run_as(&self) -> Option<&super::LabUser> {
        match &self.destination {
            SshDestination::Managed { user, .. } => Some(user),
            SshDestination::External { .. } => None,
        }
    }

    /// The one ssh process of a job, as its account.
    fn spawn(
        &self,
        cmd: Command,
        log: &Path,
        input: Option<&[u8]>,
    ) -> Result<ManagedChild, LabError> {
        match input {
            Some(bytes) => ManagedChild::spawn_with_input("ssh", cmd, log, self.run_as(), bytes),
            None => ManagedChild::spawn_as("ssh", cmd, log, self.run_as()),
        }
    }

    fn destination_arg(&self) -> String {
        match &self.destination {
            SshDestination::Managed { .. } => super::sshd::ALIAS.to_string(),
            // Validated when the scenario was loaded: no leading '-', no spaces.
            SshDestination::External { destination, .. } => destination.clone(),
        }
    }

    /// Checks that the server lets us forward to `target` (`host:port`), before anything is
    /// measured: sshd only refuses a forward when a connection uses it, so this opens one
    /// (`ssh -W`) and closes it at once.
    pub fn check_forward(&self, target: &str, log: &Path) -> Result<(), LabError> {
        let mut cmd = self.command();
        cmd.arg("-W").arg(target).arg(self.destination_arg());
        let mut child = self.spawn(cmd, log, None)?;
        let deadline = Instant::now() + LOGIN_TIMEOUT;
        loop {
            super::cancel::check(&self.cancel)?;
            if let Some(status) = child.exited() {
                // ssh exits as soon as the forwarded connection closes: 0 when it worked.
                let text = std::fs::read_to_string(log).unwrap_or_default();
                return match classify(&text, &self.destination.name(), target, log) {
                    Some(e) => Err(e),
                    None if status.contains("status: 0") => Ok(()),
                    None => Err(LabError::SshFailed {
                        destination: self.destination.name(),
                        detail: format!("checking the forward to {target}: ssh {status}"),
                        log: log.to_path_buf(),
                    }),
                };
            }
            if Instant::now() >= deadline {
                // Connected and forwarding: the server allowed it.
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts `ssh -N -L 127.0.0.1:<local>:<target>` and waits until the local end listens
    /// (ssh opens it only after logging in).
    pub fn tunnel(&self, local: u16, target: &str, log: &Path) -> Result<ManagedChild, LabError> {
        let mut cmd = self.command();
        cmd.arg("-N")
            .arg("-L")
            .arg(format!("127.0.0.1:{local}:{target}"))
            .arg(self.destination_arg());
        let child = self.spawn(cmd, log, None)?;
        self.wait_logged_in(child, target, log, local)
    }

    /// Starts `ssh -X` on `display` (the client's, with a cookie the ssh account can read),
    /// with `input` on its stdin. The managed server runs its forced command; for a user's
    /// server, `remote_command` is run.
    pub fn x11(
        &self,
        display: &XDisplay,
        remote_command: Option<&str>,
        input: &[u8],
        log: &Path,
    ) -> Result<ManagedChild, LabError> {
        let mut cmd = self.command();
        cmd.args(["-X", "-o", "ForwardX11Trusted=yes"])
            .arg(self.destination_arg());
        if let Some(c) = remote_command {
            cmd.arg(c);
        }
        display.apply(&mut cmd);
        self.spawn(cmd, log, Some(input))
    }

    /// Waits until ssh itself listens on `local` (it opens the forward only after logging
    /// in); if ssh exits first, says why.
    fn wait_logged_in(
        &self,
        mut child: ManagedChild,
        target: &str,
        log: &Path,
        local: u16,
    ) -> Result<ManagedChild, LabError> {
        let deadline = Instant::now() + LOGIN_TIMEOUT;
        let pid = child.pid().unwrap_or(0);
        loop {
            super::cancel::check(&self.cancel)?;
            match listener(local, pid) {
                Listener::Ours => return Ok(child),
                Listener::Other => {
                    return Err(LabError::PortTaken {
                        what: "the ssh tunnel's local end".into(),
                        port: local,
                    })
                }
                Listener::Nobody => {}
            }
            if let Some(status) = child.exited() {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                return Err(
                    classify(&text, &self.destination.name(), target, log).unwrap_or(
                        LabError::SshFailed {
                            destination: self.destination.name(),
                            detail: format!("ssh exited ({status})"),
                            log: log.to_path_buf(),
                        },
                    ),
                );
            }
            if Instant::now() >= deadline {
                return Err(LabError::NotReady {
                    what: format!("the ssh login to {}", self.destination.name()),
                    seconds: LOGIN_TIMEOUT.as_secs_f64(),
                    log: log.to_path_buf(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The error ssh's output describes, if it describes one we know.
pub fn classify(text: &str, destination: &str, target: &str, log: &Path) -> Option<LabError> {
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .map(|l| l.trim().to_string())
    };
    // With `LogLevel ERROR` ssh prints only the second line of a refused `-W`.
    if let Some(l) = line("administratively prohibited").or_else(|| line("stdio forwarding failed"))
    {
        return Some(LabError::ForwardRefused {
            destination: destination.to_string(),
            target: target.to_string(),
            detail: l,
        });
    }
    if let Some(l) = line("Permission denied") {
        return Some(LabError::SshKeyRefused {
            destination: destination.to_string(),
            detail: l,
        });
    }
    for needle in [
        "Connection refused",
        "Could not resolve hostname",
        "No route to host",
        "Connection timed out",
        "Network is unreachable",
        "Connection closed by",
    ] {
        if let Some(l) = line(needle) {
            return Some(LabError::SshUnreachable {
                destination: destination.to_string(),
                detail: l,
            });
        }
    }
    line("Host key verification failed").map(|l| LabError::SshFailed {
        destination: destination.to_string(),
        detail: l,
        log: log.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_what_ssh_prints() {
        let log = Path::new("/r/ssh.log");
        let e = classify(
            "ssh: connect to host 127.0.0.1 port 9: Connection refused\r\n",
            "h",
            "t:1",
            log,
        );
        assert!(matches!(e, Some(LabError::SshUnreachable { .. })), "{e:?}");
        let e = classify(
            "u@127.0.0.1: Permission denied (publickey).\n",
            "h",
            "t:1",
            log,
        );
        assert!(matches!(e, Some(LabError::SshKeyRefused { .. })), "{e:?}");
        let e = classify(
            "channel 0: open failed: administratively prohibited: open failed\nstdio forwarding failed\n",
            "h",
            "127.0.0.1:5930",
            log,
        )
        .unwrap();
        let text = e.to_string();
        assert!(
            text.contains("127.0.0.1:5930") && text.contains("PermitOpen"),
            "{text}"
        );
        assert!(classify("all fine\n", "h", "t", log).is_none());
    }
}
