//! The versioned results model: one JSON document per run, schema `spicebench.run/v2`.
//!
//! The serialized form is a user-facing contract documented in `docs/results-v1.md`.
//! Within a version only additive changes are allowed: new fields must be optional (or have
//! a default), and readers ignore fields they do not know, so an older spicebench can still
//! read a newer file of its version. Anything else needs a new schema string. v2 differs
//! from v1 only in its warnings (objects with a code, not bare texts); v1 files still read,
//! their warnings with the code `legacy`.
//!
//! - [`model`]: the serde types.
//! - [`cpu`]: CPU time per component (server, viewer, SSH, spicebench) and machine load.
//! - [`transport`], [`channel`], [`series_key`], [`access`]: the closed sets results name
//!   (transports, channels, legs, attributions, series keys, routes and viewers), each read
//!   and written as the same text as before they had types.
//! - [`link`]: the emulated link of a `lan` configuration and what it carried.
//! - [`file`]: atomic writing and schema-checked reading.
//! - [`units`]: MiB and RFC 3339 helpers shared by writers and reports.
//! - [`warning`]: warnings with stable codes and severities.
//! - [`output_dir`]: where a run's results, captures, events, lab files and report go.

pub mod access;
pub mod channel;
pub mod cpu;
pub mod file;
pub mod link;
pub mod model;
pub mod output_dir;
pub mod series_key;
pub mod transport;
pub mod units;
pub mod warning;

/// Which way a message went (`"down"`, `"up"`); the wire layer owns the definition.
pub use crate::wire::names::Direction;
pub use access::{ConfigTransport, ConfigViewer};
pub use channel::{Attribution, Channel, Leg};
pub use cpu::{Component, ComponentCpu, CpuUsage, CpuWindow};
pub use file::ResultsError;
pub use link::{LinkCounts, LinkInfo};
pub use model::*;
pub use output_dir::OutputDir;
pub use series_key::{BadSeriesKey, SeriesKey};
pub use transport::Transport;
pub use units::{mib, rfc3339, MIB};
pub use warning::{Severity, Warning, WarningCode};

/// The schema string every result this spicebench writes carries in its `schema` field.
pub const SCHEMA: &str = "spicebench.run/v2";

/// The previous schema, still read: its warnings are bare texts (see [`Warning`]).
pub const SCHEMA_V1: &str = "spicebench.run/v1";
