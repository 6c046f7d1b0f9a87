//! Real parts spicebench starts itself: the embedded Xspice target and its desktop, the
//! viewer's Xvfb and remote-viewer, a private sshd and its ssh clients, and what keeps them
//! closed to everyone else (cookies, tickets, unprivileged accounts).
//!
//! Every process started here is a [`ManagedChild`](process::ManagedChild): it is stopped
//! (SIGTERM, then SIGKILL) when dropped, so every exit path — success, error, a signal handled
//! by the runner — cleans up. Each child also gets `PR_SET_PDEATHSIG`, so if spicebench itself
//! is killed outright (SIGKILL), the kernel stops its direct children. Processes that are not
//! our children (sshd's per-connection servers and what they run) are stopped by the server
//! that owns them when it is dropped; an outright kill of spicebench leaves those to end with
//! their connections.
//!
//! # Layout
//! - [`process`]: spawning and stopping children, by PID.
//! - [`cancel`]: the run's stop token that ends its lab waits when the user interrupts it.
//! - [`cpu`]: CPU time per component of a run and the machine's load, from /proc.
//! - [`containment`]: a cgroup per lab home, killed whole, so nothing a lab account starts
//!   outlives its run; stray processes of those accounts refuse a start.
//! - [`owner`]: the run (PID and start time) named in a resource, to prove it abandoned.
//! - [`ports`]: loopback ports a run leases, and who holds a socket.
//! - [`run_lock`]: lock files that keep concurrent runs off each other's displays and ports.
//! - [`qemu`]: QEMU booting the desktop guest with SPICE, stopped by PID.
//! - [`guest`]: the Debian desktop guest QEMU boots, built once into a cache.
//! - [`display_claim`]: X display numbers, locked before use and checked free.
//! - [`xspice`]: Xorg with the spiceqxl driver (the fixed config from `shared/LAB.md`).
//! - [`desktop`]: window manager, picture background and the window to drag.
//! - [`probe`]: `spicebench probe` on the desktop, as the lab user.
//! - [`xauth`]: X authority cookies, so only the lab's own clients reach its X servers.
//! - [`lab_user`]: the unprivileged account desktop and viewer programs run as.
//! - [`xvfb`]: the client's X display that remote-viewer draws on.
//! - [`remote_viewer`]: remote-viewer's connection file, arguments and version.
//! - [`sshd`]: a private, locked-down OpenSSH server per run.
//! - [`ssh_client`]: `ssh -L`, `ssh -W` and `ssh -X`, with their failures told apart.
//! - [`x509`]: per-run certificates for the lab's TLS port.
//! - [`x11`]: reading window geometry back from the X server (for tests and checks).
//! - [`netns`]: network namespaces the run owns, entered by child processes and threads.
//! - [`tun`]: TUN devices made inside a namespace.
//! - [`forwarder`]: the threads that carry packets between two TUN devices through the
//!   [`crate::link`] emulator.
//! - [`linked_hosts`]: a server side and a viewer side in two namespaces, joined by an
//!   emulated link.

pub mod cancel;
pub mod containment;
pub mod cpu;
pub mod desktop;
pub mod display_claim;
pub mod forwarder;
pub mod guest;
pub mod heads;
pub mod lab_user;
pub mod linked_hosts;
pub mod netns;
pub mod owner;
pub mod ports;
pub mod probe;
pub mod process;
pub mod qemu;
pub mod remote_viewer;
pub mod run_lock;
pub mod ssh_client;
pub mod sshd;
pub mod tun;
pub mod workloads;
pub mod x11;
pub mod x509;
pub mod xauth;
pub mod xspice;
pub mod xvfb;

pub use desktop::Desktop;
pub use lab_user::{LabHome, LabUser, Role};
pub use xauth::XDisplay;
pub use xspice::{Xspice, XspiceConfig};

use std::path::PathBuf;

/// Why the lab could not start or keep a part running, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A program is not installed.
    #[error(
        "`{program}` is not installed ({package}); install it with: apt-get install {package}"
    )]
    Missing {
        /// Program path or name.
        program: String,
        /// Debian package that provides it.
        package: String,
    },
    /// The spicebench binary the lab runs `probe` from was not found.
    #[error("the lab runs `spicebench probe` on its desktop, but found no spicebench binary (looked at {looked}); build it (cargo build) or point SPICEBENCH_BIN at it")]
    NoProbeBinary {
        /// The paths tried.
        looked: String,
    },
    /// A program could not switch to its unprivileged account.
    #[error("could not start `{program}` as {user}: {detail}; run spicebench as root (it starts the lab's programs as unprivileged users itself)")]
    SwitchUser {
        /// Program.
        program: String,
        /// The account.
        user: String,
        /// What the OS said.
        detail: String,
    },
    /// A program could not be started.
    #[error("could not start `{program}`: {source}")]
    Spawn {
        /// Program.
        program: String,
        /// OS error.
        source: std::io::Error,
    },
    /// sshd refused the configuration spicebench wrote for it.
    #[error("sshd refused the configuration spicebench wrote ({line}); its file: {}; is OpenSSH older than 8.7 (it needs PermitListen and SetEnv)?", log.display())]
    SshdConfig {
        /// What `sshd -t` said.
        line: String,
        /// The config file.
        log: PathBuf,
    },
    /// The server refused one of its settings and exited.
    #[error("Xspice rejected its configuration: {line} (see {log}); check the scenario's target settings")]
    Rejected {
        /// The log line that says why.
        line: String,
        /// Log file.
        log: PathBuf,
    },
    /// A program exited while it should be running.
    #[error("`{program}` exited during start-up ({status}){last_words}; its log: {log}")]
    Exited {
        /// Program.
        program: String,
        /// Exit status.
        status: String,
        /// Where its output went.
        log: PathBuf,
        /// The log's last line as `: "…"`, read when it exited (empty for an empty log).
        last_words: String,
    },
    /// The user interrupted the run while a part was starting.
    #[error("stopped: the run was interrupted")]
    Cancelled,
    /// A part did not become ready in time.
    #[error("{what} was not ready after {seconds:.1} s; see {log}")]
    NotReady {
        /// What we waited for.
        what: String,
        /// How long.
        seconds: f64,
        /// Log to read.
        log: PathBuf,
    },
    /// The screen size is not one the driver offers.
    #[error("Xspice came up at {got} instead of the requested {wanted}; use a standard mode such as 1024x768, 1280x1024 or 1920x1080")]
    Geometry {
        /// Requested.
        wanted: String,
        /// Obtained.
        got: String,
    },
    /// Another process listens on the port a lab part was to listen on.
    #[error("another process took 127.0.0.1:{port} before {what} could listen on it, so spicebench stopped rather than talk to it; run again (and look for who listens there: ss -ltnp)")]
    PortTaken {
        /// The part that should have listened.
        what: String,
        /// The port.
        port: u16,
    },
    /// An X server admits clients without its cookie.
    #[error(
        "{server} on display {display} admits clients without its cookie, so any local user \
         could control it; spicebench stopped it. Check that the X server honours -auth"
    )]
    OpenDisplay {
        /// Which server.
        server: String,
        /// `:N`.
        display: String,
    },
    /// An unprivileged account the lab runs programs as does not exist.
    #[error(
        "the lab runs its desktop and viewer programs as unprivileged users, and `{name}` does \
         not exist; create it with scripts/install-deps.sh or: {create}"
    )]
    NoLabUser {
        /// The account.
        name: String,
        /// The commands that create it.
        create: String,
    },
    /// A viewer could not connect.
    #[error("{viewer} could not connect: {detail}; its log: {}", log.display())]
    ViewerRefused {
        /// Which viewer.
        viewer: String,
        /// What it said.
        detail: String,
        /// Its log.
        log: PathBuf,
    },
    /// The SSH server did not answer.
    #[error("cannot reach the SSH server {destination}: {detail}; check the host and port (and that sshd runs there)")]
    SshUnreachable {
        /// Where we tried to log in.
        destination: String,
        /// What ssh said.
        detail: String,
    },
    /// The SSH server refused our key.
    #[error("the SSH server {destination} refused the login: {detail}; check the user and that your key is in its authorized_keys (ssh-copy-id), or that your agent holds it")]
    SshKeyRefused {
        /// Where we tried to log in.
        destination: String,
        /// What ssh said.
        detail: String,
    },
    /// The SSH server refused the port forward.
    #[error("the SSH server {destination} refuses to forward to {target}: {detail}; allow it in its sshd_config (AllowTcpForwarding, PermitOpen {target})")]
    ForwardRefused {
        /// The server.
        destination: String,
        /// `host:port` we asked for.
        target: String,
        /// What ssh said.
        detail: String,
    },
    /// ssh failed for another reason.
    #[error("ssh to {destination} failed: {detail}; its output: {}", log.display())]
    SshFailed {
        /// The server.
        destination: String,
        /// What happened.
        detail: String,
        /// ssh's output.
        log: PathBuf,
    },
    /// Every display number in the range is taken.
    #[error("no free X display number in :{first}..:{last}: {reasons}; stop what holds them, or wait for the other runs to end")]
    NoFreeDisplay {
        /// First number tried.
        first: u32,
        /// Last number tried.
        last: u32,
        /// What blocked the first few.
        reasons: String,
    },
    /// A process of a lab account outlived the run that started it.
    #[error(
        "process(es) of the lab accounts belong to no running spicebench: {processes}; such a \
         process could read this run's X cookie and reach its display, so nothing was started. \
         Stop them (kill {pids}) and run again"
    )]
    StrayProcesses {
        /// `PID (uid: command)` of each.
        processes: String,
        /// The PIDs, space-separated, for the kill command.
        pids: String,
    },
    /// A step of `spicebench guest build` failed.
    #[error(
        "building the QEMU guest failed while {step}: {detail}; the build downloads Debian \
         packages (deb.debian.org and the host's apt sources): check the network or the apt \
         proxy, then run `spicebench guest build` again{log}"
    )]
    GuestBuild {
        /// What the build was doing.
        step: String,
        /// Why it failed.
        detail: String,
        /// `; its log: <path>` when a log holds the details.
        log: String,
    },
    /// The TUN device the link emulator needs cannot be had.
    #[error("cannot use /dev/net/tun ({detail}): the link emulator needs TUN devices; load the tun module (modprobe tun), or run the container with --device /dev/net/tun and --cap-add NET_ADMIN")]
    NoTun {
        /// What failed.
        detail: String,
    },
    /// A network namespace or a device in one could not be set up.
    #[error("could not {action}: {detail}; the emulated link needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and iproute2 (apt-get install iproute2)")]
    Netns {
        /// What spicebench was doing.
        action: String,
        /// What the system said.
        detail: String,
    },
    /// Every subnet of the emulated links is held by another run.
    #[error("all 256 link subnets (10.99.0.0/24 to 10.99.255.0/24) are held by other spicebench runs; wait for some to end")]
    NoLinkSubnet,
    /// KVM was asked for where `/dev/kvm` cannot run guests.
    #[error("accel = \"kvm\" was asked for, but this machine has no usable KVM (no /dev/kvm, or no kvm_intel/kvm_amd module: a nested or paravirtual /dev/kvm stalls guests); use accel = \"tcg\" (or \"auto\", which picks TCG here)")]
    KvmUnusable,
    /// The QEMU guest did not come up.
    #[error("the QEMU guest did not come up: {what}; its serial console: {}", log.display())]
    GuestFailed {
        /// What went wrong.
        what: String,
        /// The guest's serial log.
        log: PathBuf,
    },
    /// File system trouble in the run directory.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// OS error.
        source: std::io::Error,
    },
}

impl LabError {
    /// [`LabError::Exited`], quoting the last line of `log` now: the reason is usually
    /// there, and the log may be gone by the time someone reads the message (a test's
    /// folder, a CI machine).
    pub fn exited(program: &str, status: String, log: &std::path::Path) -> Self {
        Self::Exited {
            program: program.to_string(),
            status,
            log: log.to_path_buf(),
            last_words: last_words(log),
        }
    }
}

/// The last line a program wrote to its log, as `: "…"` (nothing when the log is empty or
/// unreadable).
fn last_words(log: &std::path::Path) -> String {
    /// Enough for a reason, not a screenful.
    const MAX_CHARS: usize = 200;
    let text = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    match text.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
        Some(line) => {
            let clipped: String = line.chars().take(MAX_CHARS).collect();
            format!(": \"{clipped}\"")
        }
        None => String::new(),
    }
}
