//! remote-viewer on the server side, drawing on the client's X display through `ssh -X`: the
//! network carries X11 inside SSH, not SPICE. Capture sees the SSH connection (client ssh ↔
//! sshd), the cleartext X11 leg (remote-viewer ↔ sshd's X11 listener) and the SPICE leg
//! (remote-viewer ↔ server), all on loopback with the managed sshd.
//!
//! The viewer's connection file (with the ticket) travels on ssh's stdin to remote-viewer's
//! stdin: it is never written anywhere.

use std::path::{Path, PathBuf};

use super::{CapturePoint, Transport, ViewerProgram};
use crate::cancel::Cancel;
use crate::lab::ports::{reserve_port, reserve_port_block, PortLease};
use crate::lab::process::ManagedChild;
use crate::lab::ssh_client::{SshClient, SshDestination};
use crate::lab::sshd::{Sshd, SshdJob};
use crate::lab::LabError;
use crate::results::{Component, Warning, WarningCode};
use crate::run::target::{Endpoint, Health};
use crate::run::RunError;
use crate::scenario::{Route, SshServer, TransportSpec};

/// The X11 listeners sshd may take: `X11DisplayOffset` and the next few.
const X11_PORTS: u16 = 10;

/// ssh -X, prepared; the server side starts with the viewer.
#[derive(Debug)]
pub struct SshX {
    /// The run's stop token, for the sshd and the login started at launch.
    cancel: Cancel,
    sshd: Option<Sshd>,
    ssh: SshServer,
    compression: bool,
    target: Endpoint,
    dir: PathBuf,
    /// First X11 listener port the managed sshd may use.
    x11_ports: PortLease,
    /// The managed sshd's port, reserved up front so the capture can watch it.
    sshd_port: u16,
    /// Its lease until the managed sshd starts and takes it over.
    sshd_lease: Option<PortLease>,
}

/// The command that becomes `program` on the server side (stdin passed through). Its
/// arguments are spicebench's own constants, none from a scenario.
fn remote_command(program: &ViewerProgram) -> String {
    let args: Vec<String> = program
        .args
        .iter()
        .map(|a| a.to_string_lossy().to_string())
        .collect();
    // The same environment as a local launch; ForceCommand runs this with /bin/sh.
    let env: Vec<String> = super::VIEWER_ENV
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "{} exec {} {}",
        env.join(" "),
        program.program.display(),
        args.join(" ")
    )
}

/// Where sshd's X11 listeners may go (6000 + display offset; 6000..6009 left to local X
/// servers).
const X11_PORT_RANGE: std::ops::Range<u16> = 6010..6990;

impl SshX {
    /// Nothing starts yet: sshd's forced command is the viewer's, known at launch.
    pub fn prepare(
        compression: bool,
        ssh: &SshServer,
        target: &Endpoint,
        lab_dir: &Path,
        cancel: &Cancel,
    ) -> Result<Self, RunError> {
        let sshd_lease = reserve_port("the managed sshd")?;
        Ok(Self {
            cancel: cancel.clone(),
            sshd: None,
            ssh: ssh.clone(),
            compression,
            target: target.clone(),
            dir: lab_dir.join("ssh"),
            x11_ports: reserve_port_block("sshd's X11 displays", X11_PORT_RANGE, X11_PORTS)?,
            sshd_port: sshd_lease.port(),
            sshd_lease: Some(sshd_lease),
        })
    }
}

impl Transport for SshX {
    fn route(&self) -> Route {
        TransportSpec::SshX {
            compression: self.compression,
        }
        .into()
    }

    fn viewer_endpoint(&self) -> Endpoint {
        // The viewer runs on the server side and dials the server from there.
        self.target.clone()
    }

    fn capture_points(&self) -> Vec<CapturePoint> {
        // With the user's own SSH server, remote-viewer and its SPICE leg run on that host:
        // nothing of this session is on our loopback.
        if self.ssh != SshServer::Managed {
            return Vec::new();
        }
        let mut c = CapturePoint::loopback_ports(&[self.target.port, self.sshd_port]);
        c.filter = format!(
            "{} or tcp portrange {}-{}",
            c.filter,
            self.x11_ports.port(),
            self.x11_ports.port() + X11_PORTS - 1
        );
        vec![c]
    }

    fn launch_viewer(&mut self, program: &ViewerProgram) -> Result<ManagedChild, LabError> {
        // remote-viewer's output arrives on ssh's: one log, where the viewer reads it.
        let log = program.log.clone();
        let (destination, command) = match &self.ssh {
            SshServer::Managed => {
                let sshd = Sshd::start(
                    SshdJob::X11 {
                        command: remote_command(program),
                        display_offset: self.x11_ports.port() - 6000,
                    },
                    &self.dir,
                    self.sshd_lease.take().ok_or_else(|| LabError::Io {
                        context: "starting the managed sshd".into(),
                        source: std::io::Error::other("this transport launched a viewer already"),
                    })?,
                    &self.cancel,
                )?;
                let config = sshd.client_config().to_path_buf();
                let user = sshd.user().clone();
                self.sshd = Some(sshd);
                (SshDestination::Managed { config, user }, None)
            }
            SshServer::External {
                destination,
                config,
            } => (
                SshDestination::External {
                    destination: destination.clone(),
                    config: config.clone(),
                },
                Some(remote_command(program)),
            ),
        };
        let client = SshClient {
            destination,
            compression: self.compression,
            cancel: self.cancel.clone(),
        };
        client.x11(
            &program.display,
            command.as_deref(),
            program.connection.expose().as_bytes(),
            &log,
        )
    }

    fn notes(&self) -> Vec<Warning> {
        if self.ssh != SshServer::Managed {
            vec![Warning::new(
                WarningCode::LegNotCaptured,
                "remote-viewer ran on another host: its SPICE and SSH legs are not on \
                 loopback and were not captured",
            )]
        } else {
            Vec::new()
        }
    }

    fn processes(&self) -> Vec<(Component, u32)> {
        let Some(sshd) = self.sshd.as_ref().and_then(Sshd::pid) else {
            return Vec::new();
        };
        // The viewer runs in an sshd session: its own process counts as the viewer. (The
        // ssh client that carries it is the viewer's handle: the viewer reports it.)
        let viewers = crate::lab::sshd::descendants(sshd)
            .into_iter()
            .filter_map(|p| u32::try_from(p).ok())
            .filter(|p| crate::lab::process::command_name(*p).as_deref() == Some("remote-viewer"))
            .map(|p| (Component::Viewer, p));
        std::iter::once((Component::SshServer, sshd))
            .chain(viewers)
            .collect()
    }

    fn health(&mut self) -> Health {
        match self.sshd.as_mut().and_then(Sshd::health) {
            Some(why) => Health::Exited(why),
            None => Health::Running,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_command_execs_the_viewer() {
        let program = ViewerProgram {
            name: "remote-viewer".into(),
            program: "/usr/bin/remote-viewer".into(),
            args: vec!["--kiosk".into(), "-".into()],
            connection: crate::secret::Secret::default(),
            display: crate::lab::xauth::XDisplay {
                number: 1,
                authority: "/a".into(),
                cookie: crate::lab::xauth::Cookie([0; 16]),
            },
            user: crate::lab::LabUser::named("u", 1, 1),
            home: "/h".into(),
            log: "/l".into(),
        };
        assert_eq!(
            remote_command(&program),
            "GST_REGISTRY_FORK=no exec /usr/bin/remote-viewer --kiosk -"
        );
    }
}
