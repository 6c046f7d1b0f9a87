//! The clap definition of the command line, and nothing else: each command's options are
//! checked and used by its module in `commands/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Measure what a SPICE remote-desktop session costs: MiB/s per channel and input-to-display
/// latency, per compression mode.
#[derive(Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run a scenario: every configuration of its matrix, one result file each.
    Run {
        /// Scenario file (TOML, see docs/scenario.md).
        scenario: PathBuf,
        /// Output directory [default: reports/<scenario name>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Compression modes to measure instead of the scenario's list, e.g. "off,glz".
        #[arg(long)]
        compression: Option<String>,
        /// Transports instead of the scenario's `[access]`, e.g. "direct,ssh-tunnel,ssh-x-C,lan"
        /// (`-C`: with ssh compression; lan: over the scenario's `[access.lan]` link).
        #[arg(long)]
        transports: Option<String>,
        /// Viewers instead of the scenario's `[access]`, e.g. "spicebench,remote-viewer".
        #[arg(long)]
        viewers: Option<String>,
        #[command(flatten)]
        output: crate::output_mode::OutputMode,
        /// Print only the final table (no progress bars or lines), e.g. for CI.
        #[arg(long, short)]
        quiet: bool,
        /// Do not capture packets (no wire numbers; no privilege needed for capture).
        #[arg(long)]
        no_capture: bool,
        /// Exit 1 when any result carries a warning of severity `warning` or `untrusted` (a
        /// number that should not be trusted, or less measured than planned); notes
        /// (`info`) do not count. docs/warnings.md lists every code.
        #[arg(long)]
        strict: bool,
        /// Print every warning in full under the final table (default: the first line of
        /// each, shortened).
        #[arg(long, short)]
        verbose: bool,
    },
    /// Build one HTML report (plus Markdown and CSV tables) from results files of any runs.
    Report {
        /// Results files (`runs/<config>.json`) or directories holding them (a run's output
        /// directory or its `runs/`).
        #[arg(required = true)]
        results: Vec<PathBuf>,
        /// Output directory [default: reports/report].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Configuration the others are compared with [default: the first].
        #[arg(long)]
        baseline: Option<String>,
        /// Report title.
        #[arg(long, default_value = "spicebench report")]
        title: String,
        #[command(flatten)]
        output: crate::output_mode::OutputMode,
    },
    /// Promote a run's capture into the recordings library, with its expected analysis.
    Record {
        /// The run's output directory and configuration, e.g. reports/drag/glz.
        run_config: PathBuf,
        /// Name of the recording folder.
        #[arg(long)]
        name: String,
        /// Recordings library.
        #[arg(long, default_value = "recordings")]
        recordings: PathBuf,
    },
    /// Re-analyse every recording and compare with its expected.json; exit 1 on a regression.
    Check {
        /// Recordings library.
        #[arg(default_value = "recordings")]
        recordings: PathBuf,
        /// Relative tolerances per metric prefix (TOML, see `spicebench::check::tolerance`).
        #[arg(long)]
        tolerance_file: Option<PathBuf>,
        /// Rewrite every expected.json from the current analysis (after a deliberate change).
        #[arg(long)]
        update: bool,
    },
    /// Look for what opens a SPICE console to others: a port without ticket, plain or
    /// weak TLS, listening beyond loopback; an sshd or libvirt setup that lets too much
    /// through. Exit 1 on a high finding.
    Audit {
        /// The SPICE endpoint to probe: spice://host:port or spice+tls://host:port.
        target: Option<String>,
        /// The CA that should have signed a TLS endpoint's certificate (PEM).
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// An sshd configuration to check (evaluated with `sshd -T` for --ssh-user).
        #[arg(long)]
        sshd_config: Option<PathBuf>,
        /// The account SPICE users log in as for their tunnels.
        #[arg(long)]
        ssh_user: Option<String>,
        /// A libvirt domain definition (virsh dumpxml) to check.
        #[arg(long)]
        libvirt_xml: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The QEMU desktop guest (a Debian kernel and an initramfs with Xorg, twm and an
    /// xterm) that `kind = "qemu"` targets boot.
    Guest {
        #[command(subcommand)]
        action: GuestAction,
    },
    /// Stamp every pointer event on this X display (run on the target's desktop, with DISPLAY
    /// and XAUTHORITY set): fills an 8x8 square in the top-left corner with a colour encoding
    /// the pointer state, so a viewer knows which input each frame answers (docs/latency.md).
    /// The lab starts it on its own Xspice; start it yourself inside other guests.
    Probe,
    /// Analyse a capture file (pcap or pcapng): every byte to a flow, a transport and a SPICE
    /// channel, in the same results model a run writes.
    Analyze {
        /// Capture file.
        capture: PathBuf,
        /// Analyse only from this time (seconds since the Unix epoch).
        #[arg(long)]
        from: Option<f64>,
        /// Analyse only up to this time (seconds since the Unix epoch).
        #[arg(long)]
        to: Option<f64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        output: crate::output_mode::OutputMode,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// A table per connection.
    Table,
    /// The `spicebench.run/v2` JSON.
    Json,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

/// What `spicebench guest` does.
#[derive(Debug, Subcommand)]
pub enum GuestAction {
    /// Build the guest into the cache now (about a minute; done by `run` when missing),
    /// or say where the current one is.
    Build {
        /// Cache folder [default: /var/cache/spicebench/guest for root].
        #[arg(long)]
        cache: Option<PathBuf>,
    },
}
