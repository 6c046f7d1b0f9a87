//! The `lan` transport: the server side (Xspice, already started in its namespace by the
//! target) and the viewer side (our client's sockets, or remote-viewer) in the two
//! namespaces of the configuration's [`Placement`], joined by the emulated link. The viewer
//! dials the server's address on the link; the capture sees what crossed the link on the
//! server side's TUN device.

use super::{CapturePoint, Transport, ViewerProgram};
use crate::client::Connector;
use crate::lab::linked_hosts::{LinkCounters, DEVICE};
use crate::lab::process::ManagedChild;
use crate::lab::LabError;
use crate::link::Counters;
use crate::results::{Component, LinkCounts, LinkInfo};
use crate::run::placement::{Placement, Side};
use crate::run::target::Endpoint;
use crate::run::RunError;
use crate::scenario::{LanLink, Route, TransportSpec};

/// The lan transport over a placement's link.
#[derive(Debug)]
pub struct Lan {
    link: LanLink,
    placement: Placement,
    target: Endpoint,
}

impl Lan {
    /// The viewer side of `placement` to `target` (which must listen on the server side's
    /// address: a target started on that placement does).
    pub fn new(link: LanLink, placement: &Placement, target: &Endpoint) -> Result<Self, RunError> {
        let Some(server) = placement.address(Side::Server) else {
            // run_configuration makes the placement of a lan route first; this is a bug.
            return Err(RunError::Viewer(
                "the lan transport needs the linked namespaces its placement makes".into(),
            ));
        };
        if target.socket_addr().map(|a| a.ip()) != Some(server.into()) {
            return Err(RunError::Viewer(format!(
                "the target listens on {target}, not on the server side of the link \
                 ({server}); only a target spicebench starts can be placed there"
            )));
        }
        Ok(Self {
            link,
            placement: placement.clone(),
            target: target.clone(),
        })
    }
}

impl Transport for Lan {
    fn route(&self) -> Route {
        TransportSpec::Lan { link: self.link }.into()
    }

    fn viewer_endpoint(&self) -> Endpoint {
        self.target.clone()
    }

    /// The server side's end of the link, opened inside its namespace
    /// ([`crate::run::capture::start_capture`] opens every point on the server side).
    fn capture_points(&self) -> Vec<CapturePoint> {
        vec![CapturePoint {
            interface: DEVICE.to_string(),
            filter: format!("tcp port {}", self.target.port),
        }]
    }

    /// remote-viewer starts in the viewer's namespace; its X server (a file socket) stays
    /// reachable from there.
    fn launch_viewer(&mut self, program: &ViewerProgram) -> Result<ManagedChild, LabError> {
        super::launch_placed(program, |cmd| self.placement.enter(Side::Viewer, cmd))
    }

    /// The link's forwarding threads (threads of spicebench's process).
    fn processes(&self) -> Vec<(Component, u32)> {
        let ids = self.placement.hosts().map(|h| h.thread_ids());
        ids.unwrap_or_default()
            .into_iter()
            .map(|tid| (Component::Link, tid))
            .collect()
    }

    fn viewer_connector(&self) -> Option<Connector> {
        self.placement.connector(Side::Viewer)
    }

    fn link(&self) -> Option<LinkInfo> {
        let counters = self.placement.hosts().map(|h| h.counters());
        Some(link_info(&self.link, counters))
    }
}

/// The profile of `link` and, when known, what it carried.
pub fn link_info(link: &LanLink, counters: Option<LinkCounters>) -> LinkInfo {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let counts = |c: Counters| LinkCounts {
        packets_in: c.packets_in,
        bytes_in: c.bytes_in,
        packets_out: c.packets_out,
        bytes_out: c.bytes_out,
        queue_drops: c.queue_drops,
        lost: c.lost,
        max_queue_delay_ms: ms(c.max_queue_delay),
    };
    LinkInfo {
        rate_bits_per_second: link.rate.map(|r| r.bits_per_second()),
        delay_ms: ms(link.delay),
        jitter_ms: ms(link.jitter),
        loss: link.loss(),
        queue_packets: link.queue_packets,
        up: counters.map(|c| counts(c.up)),
        down: counters.map(|c| counts(c.down)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_profile_and_counts_go_to_results_in_milliseconds() {
        let link = LanLink {
            rate: crate::link::Rate::from_bits_per_second(4_000_000),
            delay: Duration::from_micros(2500),
            ..LanLink::default()
        };
        let mut c = LinkCounters::default();
        c.down.packets_in = 3;
        c.down.max_queue_delay = Duration::from_millis(7);
        let info = link_info(&link, Some(c));
        assert_eq!(info.rate_bits_per_second, Some(4_000_000));
        assert!((info.delay_ms - 2.5).abs() < 1e-9);
        assert_eq!(info.queue_packets, 1000);
        let down = info.down.unwrap();
        assert_eq!(down.packets_in, 3);
        assert!((down.max_queue_delay_ms - 7.0).abs() < 1e-9);
        assert_eq!(link_info(&link, None).up, None);
    }
}
