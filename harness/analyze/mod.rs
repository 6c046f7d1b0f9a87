//! Pure computations over timestamped events: timelines, rates, latency and settle time.
//!
//! Nothing here does I/O or reads a clock. All times are `u64` microseconds since the
//! run's epoch (the instant recorded as `started_at` in the result). Inputs may be
//! unsorted; functions sort copies. No input makes these functions panic: empty slices,
//! zero-length intervals and zero bin widths all have a defined (documented) answer.
//!
//! - [`traffic`]: what the client records per message ([`TrafficSample`], [`Direction`]).
//! - [`timeline`]: bytes per time bin per series.
//! - [`rates`]: mean and peak 1-second throughput from a timeline.
//! - [`latency`]: input-to-display latency samples and their summary.
//! - [`settle`]: how long the display keeps changing after the last input.
//! - [`histogram`]: the HdrHistogram encoding stored in results.
//! - [`reassembly`]: in-order TCP byte streams from captured segments.
//! - [`transport`]: what a flow carries, from its first bytes.
//! - [`spice_stream`]: a passive SPICE observer for one connection.

pub mod capture_result;
pub mod flows;
pub mod histogram;
pub mod latency;
pub mod rates;
pub mod reassembly;
pub mod settle;
pub mod spice_stream;
pub mod timeline;
pub mod traffic;
pub mod transport;

pub use histogram::{decode_histogram, encode_histogram, latency_histogram, HistogramError};
pub use latency::{input_to_display, latency_summary};
pub use rates::rates;
pub use settle::settle_time_us;
pub use timeline::{build_timeline, MAX_BINS};
pub use traffic::{series_key, Direction, TrafficSample};
