//! The closed set of checks `audit` makes: each with its area, title and fix in one place.

use serde::{Serialize, Serializer};

/// The fix of checks that only record what is fine.
pub const NOTHING_TO_DO: &str = "nothing to do";

/// How bad a finding is. Ordered most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Someone else can take over or watch the console: fix before anything else.
    High,
    /// Weaker than it should be.
    Medium,
    /// Worth tightening.
    Low,
    /// For the record (what is fine, what was seen).
    Info,
}

impl Severity {
    /// The word tables show.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Info => "info",
        }
    }
}

/// One check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The SPICE port links without a ticket.
    NoTicket,
    /// A ticket is required.
    TicketRequired,
    /// The plain (unencrypted) port is open to other hosts (or may be).
    PlainPort,
    /// The plain port is open, but only on loopback.
    PlainPortLoopback,
    /// The server offers SASL.
    SaslOffered,
    /// The TLS certificate is its own issuer.
    TlsSelfSigned,
    /// The TLS certificate has expired.
    TlsExpired,
    /// The TLS certificate is not valid yet.
    TlsNotYetValid,
    /// The TLS certificate's key is weak.
    TlsWeakKey,
    /// The certificate is not signed by the CA given.
    TlsUntrusted,
    /// TLS is offered with a certificate that passes every check made.
    TlsOk,
    /// A local server listens on an address other hosts can reach.
    ListensBeyondLoopback,
    /// sshd lets the user forward to any host and port.
    SshForwardingUnrestricted,
    /// sshd lets the user open listeners for other hosts.
    SshGatewayPorts,
    /// sshd forwards X11 for the user.
    SshX11Forwarding,
    /// The user gets a shell.
    SshLoginShell,
    /// sshd accepts passwords.
    SshPasswordAuth,
    /// sshd forwards the user's agent.
    SshAgentForwarding,
    /// sshd allows tun/tap tunnels.
    SshTunnelDevice,
    /// The domain's SPICE listens beyond loopback.
    LibvirtListensBeyondLoopback,
    /// The domain's SPICE listens where the XML does not say (a libvirt network's address,
    /// or a listen type spicebench does not know).
    LibvirtListenUnverified,
    /// The domain's SPICE has no password.
    LibvirtNoPassword,
    /// The domain lets channels be plain.
    LibvirtInsecureChannels,
}

impl Check {
    /// Stable identifier in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Self::NoTicket => "no-ticket",
            Self::TicketRequired => "ticket-required",
            Self::PlainPort => "plain-port",
            Self::PlainPortLoopback => "plain-port-loopback",
            Self::SaslOffered => "sasl-offered",
            Self::TlsSelfSigned => "tls-self-signed",
            Self::TlsExpired => "tls-expired",
            Self::TlsNotYetValid => "tls-not-yet-valid",
            Self::TlsWeakKey => "tls-weak-key",
            Self::TlsUntrusted => "tls-untrusted",
            Self::TlsOk => "tls-ok",
            Self::ListensBeyondLoopback => "listens-beyond-loopback",
            Self::SshForwardingUnrestricted => "ssh-forwarding-unrestricted",
            Self::SshGatewayPorts => "ssh-gateway-ports",
            Self::SshX11Forwarding => "ssh-x11-forwarding",
            Self::SshLoginShell => "ssh-login-shell",
            Self::SshPasswordAuth => "ssh-password-auth",
            Self::SshAgentForwarding => "ssh-agent-forwarding",
            Self::SshTunnelDevice => "ssh-tunnel-device",
            Self::LibvirtListensBeyondLoopback => "libvirt-listens-beyond-loopback",
            Self::LibvirtListenUnverified => "libvirt-listen-unverified",
            Self::LibvirtNoPassword => "libvirt-no-password",
            Self::LibvirtInsecureChannels => "libvirt-insecure-channels",
        }
    }

    /// What part of the setup it is about.
    pub fn area(self) -> &'static str {
        match self {
            Self::NoTicket
            | Self::TicketRequired
            | Self::PlainPort
            | Self::PlainPortLoopback
            | Self::SaslOffered => "spice",
            Self::TlsSelfSigned
            | Self::TlsExpired
            | Self::TlsNotYetValid
            | Self::TlsWeakKey
            | Self::TlsUntrusted
            | Self::TlsOk => "tls",
            Self::ListensBeyondLoopback => "network",
            Self::SshForwardingUnrestricted
            | Self::SshGatewayPorts
            | Self::SshX11Forwarding
            | Self::SshLoginShell
            | Self::SshPasswordAuth
            | Self::SshAgentForwarding
            | Self::SshTunnelDevice => "sshd",
            Self::LibvirtListensBeyondLoopback
            | Self::LibvirtListenUnverified
            | Self::LibvirtNoPassword
            | Self::LibvirtInsecureChannels => "libvirt",
        }
    }

    /// One line saying what was found.
    pub fn title(self) -> &'static str {
        match self {
            Self::NoTicket => "the SPICE port accepts a link without a ticket: anyone who reaches it controls the console",
            Self::TicketRequired => "the SPICE port requires a ticket",
            Self::PlainPort => "a plain SPICE port is open: screen, keystrokes and the RSA-wrapped ticket cross the network unencrypted",
            Self::PlainPortLoopback => "a plain SPICE port is open on loopback only: other hosts cannot reach it, so nothing crosses the network unencrypted",
            Self::SaslOffered => "the server offers SASL authentication",
            Self::TlsSelfSigned => "the TLS certificate is self-signed: a viewer cannot tell it from an impostor's",
            Self::TlsExpired => "the TLS certificate has expired",
            Self::TlsNotYetValid => "the TLS certificate is not valid yet",
            Self::TlsWeakKey => "the TLS certificate's key is weak",
            Self::TlsUntrusted => "the TLS certificate is not signed by the CA given",
            Self::TlsOk => "TLS is offered with a certificate that passes every check made",
            Self::ListensBeyondLoopback => "the SPICE port listens on an address other hosts can reach",
            Self::SshForwardingUnrestricted => "sshd lets the user forward to any host and port (TCP forwarding without PermitOpen)",
            Self::SshGatewayPorts => "sshd lets the user open forwarded ports for other hosts (GatewayPorts)",
            Self::SshX11Forwarding => "sshd forwards X11 for the user",
            Self::SshLoginShell => "the user gets a login shell on the SSH server",
            Self::SshPasswordAuth => "sshd accepts passwords",
            Self::SshAgentForwarding => "sshd forwards the user's SSH agent",
            Self::SshTunnelDevice => "sshd allows tun/tap tunnel devices",
            Self::LibvirtListensBeyondLoopback => "the domain's SPICE listens on an address other hosts can reach",
            Self::LibvirtListenUnverified => "the domain's SPICE listens on an address the domain XML does not give, so it is not known to be loopback only",
            Self::LibvirtNoPassword => "the domain's SPICE has no password",
            Self::LibvirtInsecureChannels => "the domain lets SPICE channels run unencrypted",
        }
    }

    /// What to do about it.
    pub fn fix(self) -> &'static str {
        match self {
            Self::NoTicket => "set a password (QEMU -spice password-secret=, libvirt passwd=, Xspice XSPICE_PASSWORD), or listen on 127.0.0.1 and reach it through an SSH tunnel",
            Self::TicketRequired | Self::TlsOk => NOTHING_TO_DO,
            Self::PlainPort => "serve TLS only (QEMU -spice tls-port= without port=, libvirt defaultMode='secure'), or listen on 127.0.0.1 and reach it through an SSH tunnel",
            // The port is already where the plain-port fix would put it; what is left is how
            // viewers elsewhere reach it.
            Self::PlainPortLoopback => "viewers on other hosts reach it through an SSH tunnel, which encrypts it: ssh -N -L PORT:127.0.0.1:PORT user@this-host, then connect to spice://127.0.0.1:PORT on their side",
            Self::SaslOffered => "nothing to do if SASL is configured on purpose; otherwise disable it (QEMU -spice sasl=off)",
            Self::TlsSelfSigned => "issue the certificate from a CA the viewers trust, and give viewers that CA (remote-viewer --spice-ca-file)",
            Self::TlsExpired | Self::TlsNotYetValid => "issue a new certificate with a valid period",
            Self::TlsWeakKey => "use an EC P-256 key or RSA of at least 2048 bits",
            Self::TlsUntrusted => "check that the server's certificate chain ends at this CA, or give the right --ca-file",
            Self::ListensBeyondLoopback => "listen on 127.0.0.1 (QEMU -spice addr=127.0.0.1, libvirt listen='127.0.0.1') and reach it through an SSH tunnel, or firewall the port",
            Self::SshForwardingUnrestricted => "add PermitOpen host:port for the SPICE port only (in a Match User block for the tunnel user)",
            Self::SshGatewayPorts => "set GatewayPorts no",
            Self::SshX11Forwarding => "set X11Forwarding no for a tunnel-only user",
            Self::SshLoginShell => "give the tunnel user ForceCommand /bin/false (or a nologin shell) so it can only forward",
            Self::SshPasswordAuth => "set PasswordAuthentication no and use keys",
            Self::SshAgentForwarding => "set AllowAgentForwarding no",
            Self::SshTunnelDevice => "set PermitTunnel no",
            Self::LibvirtListensBeyondLoopback => "set <graphics type='spice' listen='127.0.0.1'> and reach it through an SSH tunnel",
            Self::LibvirtListenUnverified => "listen on loopback or a Unix socket instead (<listen type='address' address='127.0.0.1'/> or <listen type='socket'/>) and reach it through an SSH tunnel; or check which address the network gives and firewall the port",
            Self::LibvirtNoPassword => "set <graphics type='spice' passwd='...'> (or a password secret)",
            Self::LibvirtInsecureChannels => "set <graphics type='spice' defaultMode='secure'> with a tlsPort",
        }
    }
}

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// One finding: a check, how severe it is here, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which check (its id in JSON).
    #[serde(rename = "id")]
    pub check: Check,
    /// How severe here (the same check can weigh differently, e.g. a plain port on loopback).
    pub severity: Severity,
    /// The check's area.
    pub area: &'static str,
    /// The check's title.
    pub title: &'static str,
    /// What was seen.
    pub detail: String,
    /// The check's fix.
    pub fix: &'static str,
}

impl Finding {
    /// A finding of `check` at `severity` with `detail`.
    pub fn new(check: Check, severity: Severity, detail: impl Into<String>) -> Self {
        Self {
            check,
            severity,
            area: check.area(),
            title: check.title(),
            detail: detail.into(),
            fix: check.fix(),
        }
    }
}
