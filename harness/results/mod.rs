//! The versioned results model: one JSON document per run, schema `spicebench.run/v1`.
//!
//! The serialized form is a user-facing contract documented in `docs/results-v1.md`.
//! Within v1 only additive changes are allowed: new fields must be optional (or have a
//! default), and readers ignore fields they do not know, so an older spicebench can still
//! read a newer v1 file. Anything else needs a new schema string.
//!
//! - [`model`]: the serde types.
//! - [`file`]: atomic writing and schema-checked reading.
//! - [`units`]: MiB and RFC 3339 helpers shared by writers and reports.
//! - [`output_dir`]: where a run's results, captures, events, lab files and report go.

pub mod file;
pub mod model;
pub mod output_dir;
pub mod units;

pub use file::ResultsError;
pub use model::*;
pub use output_dir::OutputDir;
pub use units::{mib, rfc3339, MIB};

/// The schema string every v1 result carries in its `schema` field.
pub const SCHEMA: &str = "spicebench.run/v1";
