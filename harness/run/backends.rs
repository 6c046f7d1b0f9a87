//! The lab's parts a configuration runs over, handed to
//! [`run_configuration`](super::run_configuration) as one value: how to start the
//! [`Target`], the [`Transport`] and the [`Viewer`]. [`Lab`] starts the real ones (Xspice,
//! ssh, remote-viewer, our client); unit tests pass fakes of these parts and so drive every
//! phase (start, failure, signal, cleanup) without a server. Only the lab's parts are
//! faked: what is measured (the events, the summary, the result) is the real code.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use super::placement::Placement;
use super::target::{start_target, Target};
use super::transport::{start_transport, Transport};
use super::viewer::{connect_viewer, Viewer, ViewerContext};
use super::RunError;
use crate::cancel::Cancel;
use crate::plan::Configuration;
use crate::scenario::{Route, Scenario, SshServer, ViewerKind};

/// A boxed future that need not be `Send`: a viewer connects while it borrows the target,
/// which is only `Send`, and a configuration runs on one task.
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Starts the parts of one configuration. Each part stops what it started when it is
/// dropped; [`run_configuration`](super::run_configuration) drops them in reverse order.
pub trait Backends {
    /// Starts (or resolves) the scenario's target for `config`, with its files in `lab_dir`,
    /// on the server side of `placement`.
    fn start_target(
        &self,
        scenario: &Scenario,
        config: &Configuration,
        lab_dir: &Path,
        placement: &Placement,
    ) -> Result<Box<dyn Target>, RunError>;

    /// Starts the transport of `route` to `target`, files in `lab_dir`, between the sides
    /// of `placement`.
    fn start_transport(
        &self,
        route: Route,
        ssh: &SshServer,
        target: &dyn Target,
        lab_dir: &Path,
        placement: &Placement,
    ) -> Result<Box<dyn Transport>, RunError>;

    /// Connects the configuration's viewer.
    fn connect_viewer<'a>(
        &'a self,
        kind: ViewerKind,
        ctx: ViewerContext<'a>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn Viewer>, RunError>>;
}

/// The real lab: [`start_target`], [`start_transport`] and [`connect_viewer`], whose waits
/// end when this run's stop token is requested (a signal to the run).
#[derive(Debug, Clone, Default)]
pub struct Lab {
    cancel: Cancel,
}

impl Lab {
    /// The real lab, stopped by `cancel`.
    pub fn new(cancel: Cancel) -> Self {
        Self { cancel }
    }
}

impl Backends for Lab {
    fn start_target(
        &self,
        scenario: &Scenario,
        config: &Configuration,
        lab_dir: &Path,
        placement: &Placement,
    ) -> Result<Box<dyn Target>, RunError> {
        start_target(scenario, config, lab_dir, placement, &self.cancel)
    }

    fn start_transport(
        &self,
        route: Route,
        ssh: &SshServer,
        target: &dyn Target,
        lab_dir: &Path,
        placement: &Placement,
    ) -> Result<Box<dyn Transport>, RunError> {
        start_transport(route, ssh, target, lab_dir, placement, &self.cancel)
    }

    fn connect_viewer<'a>(
        &'a self,
        kind: ViewerKind,
        ctx: ViewerContext<'a>,
    ) -> LocalBoxFuture<'a, Result<Box<dyn Viewer>, RunError>> {
        Box::pin(connect_viewer(kind, ctx, &self.cancel))
    }
}
