//! Where a configuration's two sides run: both in this machine's own network (every route
//! but `lan`), or the server side and the viewer side in two network namespaces joined by
//! an emulated link ([`LinkedHosts`]). It is made before anything starts, so the target can
//! start inside its side; the transport then runs the viewer in the other side, and the
//! capture opens on the server side's device. Cloning shares the link, which is removed
//! (namespaces, devices, forwarder threads) when its last holder drops it.

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::Arc;

pub use crate::lab::linked_hosts::Side;

use super::RunError;
use crate::client::Connector;
use crate::lab::linked_hosts::LinkedHosts;
use crate::lab::LabError;
use crate::scenario::Route;

/// Where the sides of one configuration run.
#[derive(Debug, Clone, Default)]
pub enum Placement {
    /// Both on this machine's own network.
    #[default]
    Local,
    /// In two namespaces joined by an emulated link.
    Linked(Arc<LinkedHosts>),
}

impl Placement {
    /// The placement `route` needs: two linked namespaces for a `lan` route (`seed` makes
    /// the link's losses and jitter reproducible), this machine's network otherwise.
    pub fn for_route(route: Route, seed: u64) -> Result<Self, RunError> {
        let Some(link) = route.transport.lan_link() else {
            return Ok(Self::Local);
        };
        let hosts = LinkedHosts::create_seeded(link.profile(), link.profile(), seed)?;
        Ok(Self::Linked(Arc::new(hosts)))
    }

    /// The linked namespaces, when the sides are apart.
    pub fn hosts(&self) -> Option<&LinkedHosts> {
        match self {
            Self::Local => None,
            Self::Linked(hosts) => Some(hosts),
        }
    }

    /// The name of `side`'s namespace (as `ip netns` lists it), when the sides are apart.
    pub fn netns_name(&self, side: Side) -> Option<String> {
        self.hosts().map(|h| h.netns(side).name().to_string())
    }

    /// `side`'s address on the link, when the sides are apart.
    pub fn address(&self, side: Side) -> Option<Ipv4Addr> {
        self.hosts().map(|h| h.address(side))
    }

    /// Makes `cmd` start in `side` (nothing to do when the sides are not apart). Call it
    /// before the command drops root (setns needs it).
    pub fn enter(&self, side: Side, cmd: &mut Command) {
        if let Some(h) = self.hosts() {
            h.enter(side, cmd);
        }
    }

    /// Runs `f` in `side`: on a thread inside its namespace, or here.
    pub fn run_in<T: Send>(&self, side: Side, f: impl FnOnce() -> T + Send) -> Result<T, LabError> {
        match self.hosts() {
            None => Ok(f()),
            Some(h) => h.run_in(side, f),
        }
    }

    /// A connector whose sockets are made in `side`'s namespace, when the sides are apart.
    pub fn connector(&self, side: Side) -> Option<Connector> {
        let Self::Linked(hosts) = self else {
            return None;
        };
        let hosts = Arc::clone(hosts);
        Some(Connector::new(move |addr, timeout| {
            hosts
                .run_in(side, || {
                    std::net::TcpStream::connect_timeout(&addr, timeout)
                })
                .map_err(std::io::Error::other)?
        }))
    }
}
