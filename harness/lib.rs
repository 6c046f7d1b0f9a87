//! spicebench: measure what a SPICE remote-desktop session costs on the wire and in input lag.
//!
//! # Layout
//! - [`wire`]: the SPICE wire format, sans-IO (bytes in, values out, values in, bytes out).
//! - [`client`]: a tokio SPICE client built on `wire` that links every channel, honours the
//!   protocol's obligations, injects input and timestamps what it sends and receives.
//! - [`scenario`]: the TOML scenario format, its validation and the input paths it generates.
//! - [`lab`]: real parts spicebench starts itself (Xspice, window manager, content windows).
//! - [`probe`]: the on-screen input stamp (colour code, reading it, causal matching), sans-IO.
//! - [`analyze`]: the capture analyser and the metrics (timelines, rates, latency).
//! - [`audit`]: findings about who else can reach a SPICE console, with the fixes.
//! - [`results`]: the versioned results model (`spicebench.run/v1`).
//! - [`export`]: pure functions from results to JSON, CSV, Markdown, SVG plots and HTML.
//! - [`capture`]: packet sources (live libpcap, pcap/pcapng files, memory) and TCP decoding.
//! - [`check`]: regression checks of recorded captures against expected results.
//! - [`run`]: executes a scenario's configuration matrix and writes results.
//! - [`xclient`]: X11 client code for the viewer side (find windows, XTest, XDamage).
//! - [`timing`]: precise waits for the input threads.
//! - [`journal`]: append-only records the input threads write without sharing a lock.
//! - [`secret`]: passwords and tickets that never print themselves.

pub mod analyze;
pub mod audit;
pub mod bounded_read;
pub mod capture;
pub mod check;
pub mod client;
pub mod console;
pub mod export;
pub mod journal;
pub mod lab;
pub mod probe;
pub mod results;
pub mod run;
pub mod scenario;
pub mod secret;
pub mod timing;
pub mod wire;
pub mod xclient;
