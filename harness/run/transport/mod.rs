//! How the viewer reaches the target, behind one small interface: the address a viewer
//! dials, where to start the viewer program (here, or on the server side), the capture points
//! that see every leg, and the processes it runs (stopped when it is dropped).
//!
//! Implementations: [`direct`], [`ssh_tunnel`] (`ssh -N -L`), [`ssh_x`] (remote-viewer on
//! the server side under `ssh -X`) and [`lan`] (server and viewer in two namespaces joined
//! by an emulated link). A new one is one more module and one more arm in
//! [`start_transport`].

pub mod direct;
pub mod lan;
pub mod ssh_tunnel;
pub mod ssh_x;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::placement::Placement;
use super::target::{Endpoint, Health, Target};
use super::RunError;
use crate::cancel::Cancel;
use crate::lab::process::ManagedChild;
use crate::lab::{LabError, LabUser, XDisplay};
use crate::results::{Component, Warning};
use crate::scenario::{Route, SshServer};

/// An interface and a BPF filter that together see one or more legs of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturePoint {
    /// Interface name, e.g. `lo`.
    pub interface: String,
    /// BPF filter, e.g. `tcp port 5930 or tcp port 2222`.
    pub filter: String,
}

impl CapturePoint {
    /// Loopback, filtered to TCP on `ports`.
    pub fn loopback_ports(ports: &[u16]) -> Self {
        let filter = ports
            .iter()
            .map(|p| format!("tcp port {p}"))
            .collect::<Vec<_>>()
            .join(" or ");
        Self {
            interface: "lo".into(),
            filter,
        }
    }
}

/// A viewer program to start, described by the viewer; the transport decides where it runs.
#[derive(Debug, Clone)]
pub struct ViewerProgram {
    /// Short name for logs and errors (`remote-viewer`).
    pub name: String,
    /// Program to run.
    pub program: PathBuf,
    /// Its arguments (never a secret).
    pub args: Vec<OsString>,
    /// The connection file it reads on stdin: it holds the ticket, so it never prints.
    pub connection: crate::secret::Secret,
    /// The X display it draws on (the client's), its cookie readable by `user`.
    pub display: XDisplay,
    /// The account it runs as.
    pub user: LabUser,
    /// Its home and working directory (the lab user's folder).
    pub home: PathBuf,
    /// Where its output goes.
    pub log: PathBuf,
}

/// Environment every viewer program starts with, wherever it runs.
///
/// GStreamer (in spice-gtk) scans its plugins into a registry in `$HOME/.cache` on first
/// start, in a child process by default. That child outlives a viewer stopped mid-scan,
/// reparented away from the processes the lab stops, and recreates the deleted folder when
/// it writes the registry. Scanning in the viewer's own process ends with it.
pub const VIEWER_ENV: &[(&str, &str)] = &[("GST_REGISTRY_FORK", "no")];

/// Starts `program` on this machine, as its user, on its display, its connection file on
/// stdin (the transports whose viewer runs client-side).
pub fn launch_locally(program: &ViewerProgram) -> Result<ManagedChild, LabError> {
    launch_placed(program, |_| {})
}

/// [`launch_locally`], with `place` run on the command first (e.g. entering the viewer side's
/// network namespace).
pub fn launch_placed(
    program: &ViewerProgram,
    place: impl FnOnce(&mut Command),
) -> Result<ManagedChild, LabError> {
    let mut cmd = Command::new(&program.program);
    place(&mut cmd);
    cmd.args(&program.args)
        .envs(VIEWER_ENV.iter().copied())
        .env("HOME", &program.home)
        .current_dir(&program.home);
    program.display.apply(&mut cmd);
    ManagedChild::spawn_with_input(
        &program.name,
        cmd,
        &program.log,
        Some(&program.user),
        program.connection.expose().as_bytes(),
    )
}

/// A started transport. Dropping it stops every process it started.
///
/// Servers it needs run from [`start_transport`] on, but the session's connections start only
/// in [`Transport::open`] (or [`Transport::launch_viewer`]), after the capture began: a
/// connection whose start is not captured cannot be attributed. (A check against the user's
/// own SSH server, `ssh -W`, runs in `start_transport`, before the capture: it is not part of
/// the session.)
pub trait Transport: Send {
    /// Opens the transport's own connections (an SSH tunnel logs in here).
    fn open(&mut self) -> Result<(), LabError> {
        Ok(())
    }
    /// Which transport this is, with its SSH compression.
    fn route(&self) -> Route;
    /// Where a viewer dials: the target itself, or the local end of a tunnel. For a
    /// transport that runs the viewer on the server side, as seen from there.
    fn viewer_endpoint(&self) -> Endpoint;
    /// Capture points that together see every leg of the session.
    fn capture_points(&self) -> Vec<CapturePoint>;
    /// Starts the viewer program where this transport runs it.
    fn launch_viewer(&mut self, program: &ViewerProgram) -> Result<ManagedChild, LabError> {
        launch_locally(program)
    }
    /// Things worth a warning in the results (e.g. a leg that could not be captured).
    fn notes(&self) -> Vec<Warning> {
        Vec::new()
    }
    /// Whether the transport's processes still run.
    fn health(&mut self) -> Health {
        Health::Running
    }
    /// The main processes of its parts, by component, for CPU accounting: every process
    /// under one of them counts for it ([`crate::lab::cpu`]). None by default.
    fn processes(&self) -> Vec<(Component, u32)> {
        Vec::new()
    }
    /// How our own client opens its connections, when not from this machine's network (the
    /// viewer side of a link). None by default.
    fn viewer_connector(&self) -> Option<crate::client::Connector> {
        None
    }
    /// The emulated link it runs over, with what it carried so far. None by default.
    fn link(&self) -> Option<crate::results::LinkInfo> {
        None
    }
}

/// Starts the transport of `route` to `target`, files in `lab_dir`, between the sides of
/// `placement`.
pub fn start_transport(
    route: Route,
    ssh: &SshServer,
    target: &dyn Target,
    lab_dir: &Path,
    placement: &Placement,
    cancel: &Cancel,
) -> Result<Box<dyn Transport>, RunError> {
    use crate::scenario::TransportSpec;
    Ok(match route.transport {
        TransportSpec::Direct => Box::new(direct::Direct::new(target.endpoint().clone())),
        TransportSpec::SshTunnel { compression } => Box::new(ssh_tunnel::SshTunnel::start(
            compression,
            ssh,
            target.endpoint(),
            lab_dir,
            cancel,
        )?),
        TransportSpec::SshX { compression } => Box::new(ssh_x::SshX::prepare(
            compression,
            ssh,
            target.endpoint(),
            lab_dir,
            cancel,
        )?),
        TransportSpec::Lan { link } => Box::new(lan::Lan::new(link, placement, target.endpoint())?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_filter_names_every_port() {
        let c = CapturePoint::loopback_ports(&[5930, 2222]);
        assert_eq!(c.interface, "lo");
        assert_eq!(c.filter, "tcp port 5930 or tcp port 2222");
    }
}
