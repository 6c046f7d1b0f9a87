//! The on-screen probe: a stamp of every input, painted on the target's screen, that tells which
//! input a display frame answers (`docs/latency.md`).
//!
//! The probe is a tiny X client on the target's desktop (`spicebench probe`, [`crate::xclient::probe`]).
//! On every pointer event the X server processes it fills a small square in a screen corner with
//! a colour that encodes the pointer position and button state. The viewer side finds those
//! squares among the display updates (our client, the capture analyser) or on its own screen
//! (remote-viewer) and matches each input to the first frame whose stamp shows its effect.
//!
//! Sans-IO like [`crate::wire`]: colours, squares and times in, matches out.
//!
//! # Layout
//! - [`stamp`]: the colour code, the square, and reading a stamp out of a display message.
//! - [`pointer`]: the pointer state each input message leads to, as the guest will see it.
//! - [`matcher`]: causal matching of inputs to stamps.

pub mod matcher;
pub mod pointer;
pub mod stamp;

pub use matcher::{match_inputs, CausalMatch, StampedInput};
pub use pointer::{PointerModel, PointerState};
pub use stamp::{probe_stamp, Stamp, SQUARE_ORIGIN, SQUARE_SIZE};
