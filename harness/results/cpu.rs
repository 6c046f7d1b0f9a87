//! CPU time per component of a run, in the results model: what the server, the viewer, SSH
//! and spicebench itself cost while the session idled and while the plan played, and how
//! busy the whole machine was. On one machine the parts compete for the same cores; these
//! numbers say how much, so a latency measured on a saturated machine is not taken for the
//! protocol's own.

use serde::{Deserialize, Serialize};

/// A part of the session whose processes are counted together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// The SPICE server (Xorg with the spiceqxl driver) and the programs on its desktop.
    Server,
    /// The viewer program (remote-viewer) and the X server and window manager it draws on.
    Viewer,
    /// The ssh client of an SSH transport (it also relays X11 to the viewer's display).
    SshClient,
    /// The SSH server of an SSH transport and its sessions (but the viewer it runs).
    SshServer,
    /// spicebench's own process: our client when it is the viewer, the capture, the input
    /// pacing and the run's bookkeeping (but the link's threads).
    Spicebench,
    /// The emulated link of the `lan` transport: spicebench's two forwarding threads.
    Link,
}

/// CPU use over the run's two windows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuUsage {
    /// Logical CPUs (cores and hyper-threads) the machine has.
    pub cores: u32,
    /// While the session idled before the first input (`idle_before_s`).
    pub idle: CpuWindow,
    /// From the first input to the end of the settle: while the plan played.
    pub active: CpuWindow,
}

/// CPU use over one window of time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpuWindow {
    /// Length of the window, in seconds.
    pub duration_s: f64,
    /// How busy the whole machine was: busy CPU time over `duration_s` × cores, 0 to 1
    /// (every process, spicebench's and others').
    pub machine_busy: f64,
    /// Per component, in [`Component`] order; a component the configuration has not (no
    /// SSH on a direct route) is absent.
    pub components: Vec<ComponentCpu>,
}

/// One component's CPU time in a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentCpu {
    /// Which part.
    pub component: Component,
    /// User plus system CPU time of its processes (and of their children that ended and
    /// were waited for), in seconds.
    pub cpu_s: f64,
    /// `cpu_s` over the window's duration: how many cores it kept busy on average (1.0 is
    /// one core all the time).
    pub cores_used: f64,
    /// How many of its processes were alive at the window's end.
    pub processes: u32,
}

impl CpuWindow {
    /// The entry of `component`, if the window has one.
    pub fn component(&self, component: Component) -> Option<&ComponentCpu> {
        self.components.iter().find(|c| c.component == component)
    }
}
