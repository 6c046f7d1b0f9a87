//! Analysis: pure computations over timestamped events (timelines, rates, latency, settle
//! time) and the streaming capture analyser that attributes every byte to a flow, a transport
//! and a SPICE channel.
//!
//! Only [`file`] does I/O (it opens a capture); everything else is pure and reads no clock.
//! Metric functions take `u64` microseconds since the run's epoch (the instant recorded as
//! `started_at`); the capture analyser takes packet timestamps in ns since the Unix epoch.
//! No input makes these functions panic: empty slices, zero-length intervals, zero bin widths,
//! hostile packets all have a defined answer.
//!
//! - [`traffic`]: what the client records per message ([`TrafficSample`], [`Direction`]).
//! - [`timeline`]: bytes per time bin per series.
//! - [`rates`]: mean and peak 1-second throughput from a timeline.
//! - [`latency`]: input-to-display latency samples and their summary.
//! - [`causal`]: latency by the probe and by first-update-after, with the checks on both.
//! - [`settle`]: how long the display keeps changing after the last input.
//! - [`interval`]: the measured interval every rate is averaged over (one rule for all).
//! - [`histogram`]: the HdrHistogram encoding stored in results.
//! - [`reassembly`]: in-order TCP byte streams from captured segments.
//! - [`resync`]: the next message boundary after a capture hole.
//! - [`transport`]: what a flow carries, from its first bytes.
//! - [`spice_stream`]: a passive SPICE observer for one connection.
//! - [`ssh_hold`]: sshd holding a tunnel's data until the client's next packet.
//! - [`flow_hash`]: the fast hasher of the flow table.
//! - [`flows`]: the capture analyser (flows, attribution, counting, wire latency).
//! - [`heads`]: per-head and per-stream accounting of a display channel (one rule for both
//!   paths); it lives in [`crate::display_ledger`], below the client that uses it too.
//! - [`accounting`]: names and rows shared by the client summary and the capture analysis.
//! - [`capture_result`]: analyser → results model with wire numbers.
//! - [`file`]: analysing a whole packet source or capture file.

pub mod accounting;
pub mod capture_result;
pub mod causal;
pub mod file;
pub mod flow_hash;
pub mod flows;
pub mod histogram;
pub mod interval;
pub mod latency;
pub mod rates;
pub mod reassembly;
pub mod resync;
pub mod settle;
pub mod spice_stream;
pub mod ssh_hold;
pub mod timeline;
pub mod traffic;
pub mod transport;
pub use crate::display_ledger as heads;

pub use histogram::{decode_histogram, encode_histogram, latency_histogram, HistogramError};
pub use interval::{measured, Measured, SessionTimes};
pub use latency::{input_to_display, latency_summary, LATENCY_HORIZON_US};
pub use rates::rates;
pub use settle::{display_reply_us, quiet_deadline_us, settle_time_us, QUIET_US};
pub use timeline::{bin_grid_start_ns, build_timeline, BIN_MS, MAX_BINS};
pub use traffic::{Direction, TrafficSample};

pub use file::{analyze_file, analyze_source};
pub use flows::{AnalyzeOptions, Analyzer};
