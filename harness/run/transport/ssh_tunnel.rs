//! SPICE through an SSH local forward: `ssh -N -L` to the managed sshd (or the user's own
//! server), any viewer dialling the tunnel's local end. Capture sees three legs on loopback:
//! viewer ↔ ssh (plain SPICE, where channels are learned), ssh ↔ sshd (the encrypted SSH
//! connection: what a network would carry) and sshd ↔ server (a relay leg, not counted twice).

use std::path::Path;

use super::{CapturePoint, Transport};
use crate::cancel::Cancel;
use crate::lab::ports::{reserve_port, PortLease};
use crate::lab::process::ManagedChild;
use crate::lab::ssh_client::{SshClient, SshDestination};
use crate::lab::sshd::{Sshd, SshdJob};
use crate::results::{Component, Warning, WarningCode};
use crate::run::target::{Endpoint, Health};
use crate::run::RunError;
use crate::scenario::{Route, SshServer, TransportSpec};

/// A tunnel: the server side runs from the start, the ssh client from [`Transport::open`].
#[derive(Debug)]
pub struct SshTunnel {
    // Drop order: the client first, so the server sees the connection end.
    ssh: Option<ManagedChild>,
    sshd: Option<Sshd>,
    client: SshClient,
    compression: bool,
    local: PortLease,
    target: Endpoint,
    dir: std::path::PathBuf,
}

impl SshTunnel {
    /// Starts the managed sshd (unless `ssh` names the user's server) and the tunnel to
    /// `target`, files in `lab_dir/ssh`.
    pub fn start(
        compression: bool,
        ssh: &SshServer,
        target: &Endpoint,
        lab_dir: &Path,
        cancel: &Cancel,
    ) -> Result<Self, RunError> {
        let dir = lab_dir.join("ssh");
        std::fs::create_dir_all(&dir).map_err(|source| crate::lab::LabError::Io {
            context: format!("creating {}", dir.display()),
            source,
        })?;
        let forward = target.to_string();
        let (sshd, destination) = match ssh {
            SshServer::Managed => {
                let sshd = Sshd::start(
                    SshdJob::Tunnel {
                        permit_open: forward.clone(),
                    },
                    &dir,
                    reserve_port("the managed sshd")?,
                    cancel,
                )?;
                let config = sshd.client_config().to_path_buf();
                let user = sshd.user().clone();
                (Some(sshd), SshDestination::Managed { config, user })
            }
            SshServer::External {
                destination,
                config,
            } => (
                None,
                SshDestination::External {
                    destination: destination.clone(),
                    config: config.clone(),
                },
            ),
        };
        let client = SshClient {
            destination,
            compression,
            cancel: cancel.clone(),
        };
        if sshd.is_none() {
            // The user's server may prohibit the forward, which it only says when one is used.
            client.check_forward(&forward, &dir.join("ssh-check.log"))?;
        }
        Ok(Self {
            ssh: None,
            sshd,
            client,
            compression,
            local: reserve_port("the tunnel's local end")?,
            target: target.clone(),
            dir,
        })
    }
}

impl Transport for SshTunnel {
    fn open(&mut self) -> Result<(), crate::lab::LabError> {
        let forward = self.target.to_string();
        let ssh = self
            .client
            .tunnel(self.local.port(), &forward, &self.dir.join("ssh.log"))?;
        self.ssh = Some(ssh);
        Ok(())
    }

    fn route(&self) -> Route {
        TransportSpec::SshTunnel {
            compression: self.compression,
        }
        .into()
    }

    fn viewer_endpoint(&self) -> Endpoint {
        Endpoint::loopback(self.local.port())
    }

    fn capture_points(&self) -> Vec<CapturePoint> {
        let mut ports = vec![self.local.port()];
        // With the user's own SSH server, the target's address is as that host sees it: its
        // loopback is not ours.
        if let Some(sshd) = &self.sshd {
            ports.push(sshd.port());
            if self.target.is_loopback() {
                ports.push(self.target.port);
            }
        }
        vec![CapturePoint::loopback_ports(&ports)]
    }

    fn notes(&self) -> Vec<Warning> {
        if self.sshd.is_none() {
            vec![Warning::new(
                WarningCode::LegNotCaptured,
                "the SSH connection goes to another host and is not on loopback, so its wire \
                 bytes are not captured; only the tunnel's local SPICE leg is",
            )]
        } else {
            Vec::new()
        }
    }

    fn processes(&self) -> Vec<(Component, u32)> {
        let client = self.ssh.as_ref().and_then(ManagedChild::pid);
        let server = self.sshd.as_ref().and_then(Sshd::pid);
        (client.map(|p| (Component::SshClient, p)).into_iter())
            .chain(server.map(|p| (Component::SshServer, p)))
            .collect()
    }

    fn health(&mut self) -> Health {
        if let Some(ssh) = self.ssh.as_mut() {
            if let Some(status) = ssh.exited() {
                return Health::Exited(format!(
                    "the ssh tunnel exited ({status}); its log: {}",
                    ssh.log().display()
                ));
            }
        }
        match self.sshd.as_mut().and_then(Sshd::health) {
            Some(why) => Health::Exited(why),
            None => Health::Running,
        }
    }
}
