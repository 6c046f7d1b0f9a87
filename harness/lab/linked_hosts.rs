//! Two hosts on one machine: a server side and a viewer side, each a network namespace of
//! its own, joined by an emulated link.
//!
//! ```text
//!  namespace spb-<owner>.<k>-srv            spicebench (root namespace)            namespace spb-<owner>.<k>-cli
//!  10.99.<n>.1/24 on TUN spblink  ──read──► down: Direction ──write at due──► TUN spblink 10.99.<n>.2/24
//!                                 ◄─write── up:   Direction ◄──read─────────
//! ```
//! Each side routes the /24 out through its TUN device; spicebench reads every IP packet the
//! side sends, holds it in that direction's emulator ([`crate::link`]) and writes it into the
//! other side's TUN device when it is due, where the kernel receives it as if from a wire.
//! Both kernels' TCP stacks see the link's delay, rate and losses (a packet-level link, not a
//! relay). Nothing is added to the machine's own namespace: the devices are made inside the
//! namespaces, and the addresses are used only there.
//!
//! `<n>` is a subnet number locked per run ([`super::run_lock`]), so concurrent runs use
//! distinct subnets (the namespaces are isolated anyway; distinct subnets keep captures and
//! later routes to the machine unambiguous).

use std::net::Ipv4Addr;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::link::{Counters, LinkProfile};

use super::forwarder::Forwarder;
use super::netns::{self, Netns};
use super::owner::Owner;
use super::run_lock::{self, RunLock};
use super::tun::Tun;
use super::LabError;

/// The name of the TUN device inside each namespace (the namespaces are separate, so one
/// name serves both).
pub const DEVICE: &str = "spblink";

/// Numbers the pairs one process creates.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// One end of the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Where the SPICE server (and sshd) run.
    Server,
    /// Where the viewer (and ssh) run.
    Viewer,
}

/// Both directions' counters: `up` is viewer → server, `down` server → viewer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCounters {
    /// Viewer → server.
    pub up: Counters,
    /// Server → viewer.
    pub down: Counters,
}

/// Two namespaces joined by an emulated link; everything is removed when dropped (the
/// forwarder is stopped, its TUN devices close, the namespaces are deleted).
#[derive(Debug)]
pub struct LinkedHosts {
    // Dropped in this order: the threads first (they hold the TUN devices), then the
    // namespaces, then the subnet's lock.
    forwarder: Forwarder,
    server: Netns,
    viewer: Netns,
    subnet: u8,
    _subnet_lock: RunLock,
}

impl LinkedHosts {
    /// Creates the pair with `up` (viewer → server) and `down` (server → viewer) profiles
    /// and seed 0 for losses and jitter.
    pub fn create(up: LinkProfile, down: LinkProfile) -> Result<Self, LabError> {
        Self::create_seeded(up, down, 0)
    }

    /// Creates the pair; `seed` makes its losses and jitter reproducible. First removes the
    /// namespaces of dead runs.
    pub fn create_seeded(up: LinkProfile, down: LinkProfile, seed: u64) -> Result<Self, LabError> {
        if !std::path::Path::new("/dev/net/tun").exists() {
            return Err(LabError::NoTun {
                detail: "/dev/net/tun does not exist".to_string(),
            });
        }
        netns::ip_program()?;
        netns::sweep_abandoned();
        let (subnet, lock) = lock_subnet()?;
        let base = format!(
            "{}{}.{}",
            netns::PREFIX,
            Owner::current(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let server = Netns::create(&format!("{base}-srv"))?;
        let viewer = Netns::create(&format!("{base}-cli"))?;
        let server_tun = attach(&server, address(subnet, Side::Server))?;
        let viewer_tun = attach(&viewer, address(subnet, Side::Viewer))?;
        let forwarder = Forwarder::start(server_tun, viewer_tun, up, down, seed)?;
        Ok(Self {
            forwarder,
            server,
            viewer,
            subnet,
            _subnet_lock: lock,
        })
    }

    /// The namespace of `side`.
    pub fn netns(&self, side: Side) -> &Netns {
        match side {
            Side::Server => &self.server,
            Side::Viewer => &self.viewer,
        }
    }

    /// The address of `side` on the link (`10.99.<n>.1` the server, `.2` the viewer).
    pub fn address(&self, side: Side) -> Ipv4Addr {
        address(self.subnet, side)
    }

    /// Makes `cmd` start inside `side`'s namespace (before [`run_as`](super::process::run_as),
    /// which drops the root setns needs); spawn it with [`ManagedChild`](super::process::ManagedChild)
    /// as any lab process.
    pub fn enter(&self, side: Side, cmd: &mut Command) {
        self.netns(side).enter(cmd);
    }

    /// Runs `f` on a thread inside `side`'s namespace: the sockets it makes belong there.
    pub fn run_in<T: Send>(&self, side: Side, f: impl FnOnce() -> T + Send) -> Result<T, LabError> {
        self.netns(side).run_in(f)
    }

    /// The forwarding threads' kernel thread ids (threads of this process), whose CPU time is
    /// the link's.
    pub fn thread_ids(&self) -> Vec<u32> {
        self.forwarder.thread_ids()
    }

    /// What the link carried and dropped so far, per direction.
    pub fn counters(&self) -> LinkCounters {
        let (up, down) = self.forwarder.counters();
        LinkCounters { up, down }
    }
}

/// `10.99.<subnet>.1` for the server, `.2` for the viewer.
fn address(subnet: u8, side: Side) -> Ipv4Addr {
    let host = match side {
        Side::Server => 1,
        Side::Viewer => 2,
    };
    Ipv4Addr::new(10, 99, subnet, host)
}

/// The first subnet number no other run holds, with its lock.
fn lock_subnet() -> Result<(u8, RunLock), LabError> {
    for n in 0..=u8::MAX {
        if let Some(lock) = run_lock::try_lock(&format!("link-subnet-{n}"))? {
            return Ok((n, lock));
        }
    }
    Err(LabError::NoLinkSubnet)
}

/// Creates the TUN device in `ns`, gives it `addr`/24 and brings it up.
fn attach(ns: &Netns, addr: Ipv4Addr) -> Result<Tun, LabError> {
    let tun = Tun::create_in(ns, DEVICE)?;
    // No IPv6 link-local address: without it the kernel sends no router solicitations or
    // neighbour discovery over the link, so the link carries only what the test or run
    // sends. Best effort: a kernel without IPv6 refuses the option and needs none.
    let _ = ns.ip(&["link", "set", "dev", DEVICE, "addrgenmode", "none"]);
    ns.ip(&["addr", "add", &format!("{addr}/24"), "dev", DEVICE])?;
    ns.ip(&["link", "set", "dev", DEVICE, "up"])?;
    Ok(tun)
}
