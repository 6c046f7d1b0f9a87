//! spicebench: measure what a SPICE remote-desktop session costs on the wire and in input lag.
//!
//! # Layout
//! - [`wire`]: the SPICE wire format, sans-IO (bytes in, values out, values in, bytes out).
//! - [`client`]: a tokio SPICE client built on `wire` that links every channel, honours the
//!   protocol's obligations, injects input and timestamps what it sends and receives.
//! - [`scenario`]: the TOML scenario format and its validation.
//! - [`plan`]: what a run does: the configuration matrix, and what each run sends,
//!   reproducibly from a seed (steps to timed input events).
//! - [`lab`]: real parts spicebench starts itself (Xspice, window manager, content windows).
//! - [`probe`]: the on-screen input stamp (colour code, reading it, causal matching), sans-IO.
//! - [`display_ledger`]: per-head and per-stream accounting of a display channel, the one
//!   rule the client and the capture analysis share.
//! - [`analyze`]: the capture analyser and the metrics (timelines, rates, latency).
//! - [`audit`]: findings about who else can reach a SPICE console, with the fixes.
//! - [`results`]: the versioned results model (`spicebench.run/v2`, reads v1) and the output
//!   directory.
//! - [`export`]: pure functions from results to JSON, CSV, Markdown, SVG plots and HTML.
//! - [`capture`]: packet sources (live libpcap, pcap/pcapng files, memory) and TCP decoding.
//! - [`check`]: regression checks of recorded captures against expected results.
//! - [`run`]: executes a scenario's configuration matrix and writes results.
//! - [`xclient`]: X11 client code for the viewer side (find windows, XTest, XDamage).
//! - [`link`]: a packet-level link emulator (rate, delay, jitter, loss, queue), sans-IO.
//! - [`keyboard`]: the US keyboard spicebench presses (key names, scancodes, X keycodes, the
//!   keys of each character).
//! - [`named_enum`]: closed sets of names, each declared once for files, flags and results.
//! - [`rng`]: SplitMix64, the seeded generator of input paths and link losses.
//! - [`clock`]: the run's epoch, which every timestamp is counted from.
//! - [`timing`]: precise waits for the input threads.
//! - [`cancel`]: a run's stop token, which a signal sets to end every wait of that run.
//! - [`journal`]: append-only records the input threads write without sharing a lock.
//! - [`secret`]: passwords and tickets that never print themselves.
//!
//! # Layers
//! A module uses only modules of lower layers, never one of its own layer or above, so the
//! modules form no cycle and each layer can be read (and tested) without those above it.
//! `tests/layers.rs` checks every `crate::` path against this list:
//!
//! 0. `bounded_read`, `cancel`, `clock`, `console`, `journal`, `keyboard`, `named_enum`, `rng`,
//!    `secret`, `timing`: leaves.
//! 1. `wire`, `link`: the SPICE wire format; the link emulator (which draws from `rng`).
//! 2. `capture`, `scenario`: formats (packets, scenarios); a scenario's compression names
//!    the wire's.
//! 3. `results`, `plan`: the results model, which records scenario and wire values in their
//!    types; a scenario's configuration matrix and input plan.
//! 4. `probe`, `display_ledger`: sans-IO rules over the wire format.
//! 5. `client`, `xclient`: the SPICE and X clients.
//! 6. `analyze`, `lab`: the capture analyser; the parts the lab starts.
//! 7. `audit`, `check`: findings about a console; regression checks of recordings.
//! 8. `export`: results and findings to files.
//! 9. `run`: the whole measurement.

pub mod analyze;
pub mod audit;
pub mod bounded_read;
pub mod cancel;
pub mod capture;
pub mod check;
pub mod client;
pub mod clock;
pub mod console;
pub mod display_ledger;
pub mod export;
pub mod journal;
pub mod keyboard;
pub mod lab;
pub mod link;
pub mod named_enum;
pub mod plan;
pub mod probe;
pub mod results;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod secret;
pub mod timing;
pub mod wire;
pub mod xclient;
