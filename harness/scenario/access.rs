//! How a viewer reaches the server (`[access]`): the transports, SSH compression and viewers
//! a scenario compares, and which SSH server carries the SSH transports.

use std::str::FromStr;

use super::lan::LanLink;

crate::named_enum::named_enum! {
    /// How the viewer's traffic reaches the SPICE server.
    #[derive(PartialOrd, Ord)]
    pub enum TransportKind {
        /// The viewer connects to the SPICE port itself.
        Direct = "direct",
        /// Through an SSH local forward (`ssh -N -L`).
        SshTunnel = "ssh-tunnel",
        /// remote-viewer runs on the server side and draws on the client's X display through
        /// `ssh -X`.
        SshX = "ssh-x",
        /// The server side and the viewer side in two network namespaces, joined by a link
        /// spicebench emulates (`[access.lan]`: rate, delay, jitter, loss, queue).
        Lan = "lan",
    }
    from_str: |name| -> AccessError { AccessError::UnknownTransport(name.to_owned()) }
}

impl TransportKind {
    /// Whether SSH carries it (and `ssh_compression` applies, and an SSH server is needed).
    /// Every variant is named, so a new transport says whether it is SSH, rather than counting
    /// as SSH by not being direct.
    pub fn is_ssh(self) -> bool {
        match self {
            Self::Direct | Self::Lan => false,
            Self::SshTunnel | Self::SshX => true,
        }
    }

    /// Whether it places the server in a network namespace spicebench creates, so it needs
    /// a server spicebench starts itself (not an external one).
    pub fn places_server(self) -> bool {
        match self {
            Self::Lan => true,
            Self::Direct | Self::SshTunnel | Self::SshX => false,
        }
    }

    /// Where the viewer program runs with this transport.
    pub fn viewer_side(self) -> ViewerSide {
        match self {
            Self::Direct | Self::SshTunnel | Self::Lan => ViewerSide::Client,
            Self::SshX => ViewerSide::Server,
        }
    }

    /// Whether `viewer` can show a session over this transport: the one rule the matrix and
    /// `[access]` validation both follow.
    pub fn supports(self, viewer: ViewerKind) -> bool {
        match self.viewer_side() {
            ViewerSide::Client => true,
            ViewerSide::Server => viewer.can_run_on_server(),
        }
    }
}

/// Where a transport runs the viewer program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewerSide {
    /// On this machine, dialling the transport's endpoint.
    Client,
    /// On the server's side, showing its window here through the transport (X forwarding).
    Server,
}

crate::named_enum::named_enum! {
    /// The program that shows the session and receives the input plan.
    #[derive(PartialOrd, Ord)]
    pub enum ViewerKind {
        /// spicebench's own client: protocol-level events, its own clock.
        Native = "spicebench",
        /// The real remote-viewer (spice-gtk) on an Xvfb, driven with XTest.
        RemoteViewer = "remote-viewer",
    }
    from_str: |name| -> AccessError { AccessError::UnknownViewer(name.to_owned()) }
}

impl ViewerKind {
    /// Whether it can run as a program on the server's side: spicebench's own client runs
    /// inside this process, so it cannot.
    pub fn can_run_on_server(self) -> bool {
        match self {
            Self::Native => false,
            Self::RemoteViewer => true,
        }
    }

    /// Whether it follows a session of several heads: remote-viewer shows each head in a
    /// window of its own, and spicebench drives one full-screen window.
    pub fn follows_every_head(self) -> bool {
        match self {
            Self::Native => true,
            Self::RemoteViewer => false,
        }
    }

    /// Whether it must know the target's screen size: remote-viewer's window is made the
    /// guest's size so its pixels are the guest's, and the input plan maps through it.
    pub fn needs_screen_size(self) -> bool {
        match self {
            Self::Native => false,
            Self::RemoteViewer => true,
        }
    }

    /// Whether it can send the server a preference mid-session (a `prefer` step): only a
    /// viewer that speaks the protocol itself can.
    pub fn can_switch_preferences(self) -> bool {
        match self {
            Self::Native => true,
            Self::RemoteViewer => false,
        }
    }
}

/// A transport with its own parameters: what a run sets up between the viewer and the
/// server. A new transport is one variant here (with its parameters) and one name in
/// [`TransportKind`], which says what it can do.
// Ord and Hash order routes in the matrix and key them in maps; a parameter without them
// (a float of a link profile) needs its own wrapper ([`LanLink`] keeps loss in integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportSpec {
    /// The viewer connects to the SPICE port itself.
    Direct,
    /// An SSH local forward (`ssh -N -L`).
    SshTunnel {
        /// `ssh -C`.
        compression: bool,
    },
    /// remote-viewer on the server side, shown here through `ssh -X`.
    SshX {
        /// `ssh -C`.
        compression: bool,
    },
    /// Server and viewer in two namespaces joined by an emulated link.
    Lan {
        /// The link, the same each way.
        link: LanLink,
    },
}

impl TransportSpec {
    /// Its name and capabilities.
    pub fn kind(self) -> TransportKind {
        match self {
            Self::Direct => TransportKind::Direct,
            Self::SshTunnel { .. } => TransportKind::SshTunnel,
            Self::SshX { .. } => TransportKind::SshX,
            Self::Lan { .. } => TransportKind::Lan,
        }
    }

    /// Whether SSH compresses it (`ssh -C`); false for a transport without SSH.
    pub fn ssh_compression(self) -> bool {
        match self {
            Self::Direct | Self::Lan { .. } => false,
            Self::SshTunnel { compression } | Self::SshX { compression } => compression,
        }
    }

    /// The emulated link, for a transport over one.
    pub fn lan_link(self) -> Option<LanLink> {
        match self {
            Self::Lan { link } => Some(link),
            Self::Direct | Self::SshTunnel { .. } | Self::SshX { .. } => None,
        }
    }

    /// `kind` with `ssh_compression` where SSH carries it (direct ignores it); `lan` over
    /// an ideal link until [`Route::with_lan_link`] gives it the scenario's.
    pub fn new(kind: TransportKind, ssh_compression: bool) -> Self {
        let compression = ssh_compression;
        match kind {
            TransportKind::Direct => Self::Direct,
            TransportKind::Lan => Self::Lan {
                link: LanLink::default(),
            },
            TransportKind::SshTunnel => Self::SshTunnel { compression },
            TransportKind::SshX => Self::SshX { compression },
        }
    }
}

/// One way of reaching the server: the transport a run sets up, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Route {
    /// The transport and its parameters.
    pub transport: TransportSpec,
}

impl From<TransportSpec> for Route {
    fn from(transport: TransportSpec) -> Self {
        Self { transport }
    }
}

impl Route {
    /// Direct: the default.
    pub const DIRECT: Route = Route {
        transport: TransportSpec::Direct,
    };

    /// The transport's name and capabilities.
    pub fn kind(self) -> TransportKind {
        self.transport.kind()
    }

    /// This route, over `link` if it is a `lan` route (the scenario's `[access.lan]`).
    pub fn with_lan_link(self, link: LanLink) -> Self {
        match self.transport {
            TransportSpec::Lan { .. } => TransportSpec::Lan { link }.into(),
            _ => self,
        }
    }

    /// `direct`, `ssh-tunnel`, `ssh-tunnel-C`, `ssh-x`, `ssh-x-C`, `lan`: the label in
    /// configuration names and the form `--transports` accepts (a lan route's link is in
    /// results, not in its label).
    pub fn label(self) -> String {
        if self.transport.ssh_compression() {
            format!("{}-C", self.kind())
        } else {
            self.kind().to_string()
        }
    }
}

impl FromStr for Route {
    type Err = AccessError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, compressed) = match s.strip_suffix("-C") {
            Some(base) => (base, true),
            None => (s, false),
        };
        let kind: TransportKind = name.parse()?;
        if compressed && !kind.is_ssh() {
            return Err(AccessError::CompressionWithoutSsh);
        }
        Ok(TransportSpec::new(kind, compressed).into())
    }
}

/// Which SSH server the SSH transports log in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshServer {
    /// An sshd spicebench starts on loopback with a private, locked-down configuration.
    Managed,
    /// The user's own server, `user@host` or a `Host` alias of their ssh config; the user's
    /// ssh config and agent apply.
    External {
        /// Destination as given to `ssh`.
        destination: String,
        /// An ssh config file to use instead of the user's own (`ssh -F`), resolved against
        /// the scenario's folder.
        config: Option<std::path::PathBuf>,
    },
}

/// The validated `[access]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Transports with their compression, each once, in file order (transport-major).
    pub routes: Vec<Route>,
    /// Viewers, each once, in file order.
    pub viewers: Vec<ViewerKind>,
    /// The SSH server for SSH transports.
    pub ssh: SshServer,
}

impl Default for Access {
    fn default() -> Self {
        Self {
            routes: vec![Route::DIRECT],
            viewers: vec![ViewerKind::Native],
            ssh: SshServer::Managed,
        }
    }
}

impl Access {
    /// The routes of `transports` × `ssh_compression` (direct only once, uncompressed).
    pub fn routes_of(transports: &[TransportKind], ssh_compression: &[bool]) -> Vec<Route> {
        let mut routes = Vec::new();
        for &kind in transports {
            if !kind.is_ssh() {
                routes.push(TransportSpec::new(kind, false).into());
                continue;
            }
            for &c in ssh_compression {
                routes.push(TransportSpec::new(kind, c).into());
            }
        }
        routes
    }

    /// Why `viewer` cannot use `route`, if it cannot.
    pub fn refusal(route: Route, viewer: ViewerKind) -> Option<AccessError> {
        // Only a server-side transport refuses a viewer, and ssh-x is the only one: its
        // message names it.
        (!route.kind().supports(viewer)).then_some(AccessError::NativeOverSshX)
    }

    /// The link of the `lan` routes (the scenario's `[access.lan]`), if one is listed.
    pub fn lan_link(&self) -> Option<LanLink> {
        self.routes.iter().find_map(|r| r.transport.lan_link())
    }

    /// Checks every combination of the matrix.
    pub fn check(&self) -> Result<(), AccessError> {
        for &r in &self.routes {
            for &v in &self.viewers {
                if let Some(e) = Self::refusal(r, v) {
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

/// Whether `destination` can be handed to `ssh` as its destination argument: it must not look
/// like an option (a leading `-` would be read as one) or hold spaces or control characters.
pub fn is_ssh_destination(destination: &str) -> bool {
    !destination.is_empty()
        && !destination.starts_with('-')
        && destination
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '\'' && c != '"')
}

/// A transport, viewer or access setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// Not a transport name.
    #[error("unknown transport `{0}`; use direct, ssh-tunnel, ssh-x (ssh-tunnel-C / ssh-x-C for ssh -C) or lan")]
    UnknownTransport(String),
    /// Not a viewer name.
    #[error("unknown viewer `{0}`; use spicebench (our own client) or remote-viewer")]
    UnknownViewer(String),
    /// `-C` on the direct transport.
    #[error("`-C` (ssh compression) only applies to ssh-tunnel and ssh-x")]
    CompressionWithoutSsh,
    /// A name given twice.
    #[error("`{0}` is listed twice; list each one once")]
    Duplicate(String),
    /// An empty list.
    #[error("the list is empty; give at least one")]
    Empty,
    /// Our client cannot be the viewer of an ssh-x session (a transport that runs the viewer
    /// on the server side).
    #[error(
        "ssh-x runs remote-viewer on the server side and shows it through X forwarding, so \
         spicebench's own client cannot be its viewer; use viewers = [\"remote-viewer\"] with \
         ssh-x, or remove ssh-x from transports"
    )]
    NativeOverSshX,
    /// `lan` with a server spicebench does not start: it cannot place it in a namespace.
    #[error(
        "lan puts the server in a network namespace spicebench creates, which only the lab's \
         Xspice (kind = \"xspice\") can be started in so far; an external server stays where \
         it runs, and QEMU guests are not placed yet: remove lan from transports"
    )]
    LanNeedsOwnServer,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_labels_round_trip() {
        for label in [
            "direct",
            "ssh-tunnel",
            "ssh-tunnel-C",
            "ssh-x",
            "ssh-x-C",
            "lan",
        ] {
            let r: Route = label.parse().unwrap();
            assert_eq!(r.label(), label);
        }
        assert_eq!(
            "direct-C".parse::<Route>(),
            Err(AccessError::CompressionWithoutSsh)
        );
        assert!(matches!(
            "ssh".parse::<Route>(),
            Err(AccessError::UnknownTransport(_))
        ));
    }

    #[test]
    fn routes_multiply_only_ssh_transports_by_compression() {
        let routes = Access::routes_of(
            &[TransportKind::Direct, TransportKind::SshTunnel],
            &[false, true],
        );
        let labels: Vec<String> = routes.iter().map(|r| r.label()).collect();
        assert_eq!(labels, ["direct", "ssh-tunnel", "ssh-tunnel-C"]);
    }

    #[test]
    fn a_route_carries_its_transports_parameters() {
        let r: Route = "ssh-x-C".parse().unwrap();
        assert_eq!(r.transport, TransportSpec::SshX { compression: true });
        assert_eq!(
            (r.kind(), r.transport.ssh_compression()),
            (TransportKind::SshX, true)
        );
        // Direct has no SSH to compress.
        let d = TransportSpec::new(TransportKind::Direct, true);
        assert_eq!(
            (Route::from(d), d.ssh_compression()),
            (Route::DIRECT, false)
        );
    }

    #[test]
    fn only_ssh_transports_are_ssh_and_only_ssh_x_runs_the_viewer_remotely() {
        let ssh: Vec<TransportKind> = TransportKind::ALL
            .into_iter()
            .filter(|t| t.is_ssh())
            .collect();
        assert_eq!(ssh, [TransportKind::SshTunnel, TransportKind::SshX]);
        for t in TransportKind::ALL {
            assert!(t.supports(ViewerKind::RemoteViewer), "{t}");
            let native = t.viewer_side() == ViewerSide::Client;
            assert_eq!(t.supports(ViewerKind::Native), native, "{t}");
        }
        assert_eq!(TransportKind::SshX.viewer_side(), ViewerSide::Server);
    }

    #[test]
    fn native_viewer_over_ssh_x_is_refused_with_the_reason() {
        let access = Access {
            routes: vec!["ssh-x".parse().unwrap()],
            viewers: vec![ViewerKind::Native],
            ssh: SshServer::Managed,
        };
        let e = access.check().unwrap_err();
        assert_eq!(e, AccessError::NativeOverSshX);
        assert!(e.to_string().contains("viewers = [\"remote-viewer\"]"));
        let ok = Access {
            viewers: vec![ViewerKind::RemoteViewer],
            ..access
        };
        assert_eq!(ok.check(), Ok(()));
    }

    #[test]
    fn ssh_destinations_cannot_smuggle_options() {
        assert!(is_ssh_destination("alice@lab.example"));
        assert!(is_ssh_destination("lab-host"));
        for bad in ["", "-oProxyCommand=x", "a b", "a\nb", "x'y"] {
            assert!(!is_ssh_destination(bad), "{bad:?}");
        }
    }
}
