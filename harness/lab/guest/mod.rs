//! The QEMU guest spicebench boots: a Debian desktop made once into a cache ([`image`]),
//! packed as an initramfs by our own `newc` writer ([`cpio`]).

pub mod cpio;
pub mod image;

pub use image::{cache_root, cached, ensure, GuestImage};
