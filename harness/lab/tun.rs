//! TUN devices: a network interface whose packets a process reads and writes as whole IP
//! packets (`IFF_TUN | IFF_NO_PI`: no Ethernet header, no packet-information prefix). What a
//! namespace routes out through the device, spicebench reads; what spicebench writes, the
//! namespace receives as if it came in on the device.
//!
//! A device is created inside a namespace (its descriptor is opened by a thread that entered
//! it), never in the machine's own, and it is not persistent: it disappears when its
//! descriptor closes, also when spicebench is killed.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

use super::netns::Netns;
use super::LabError;

/// Linux's limit on an interface name, with its terminating NUL.
const IFNAMSIZ: usize = 16;

/// The kernel's `struct ifreq` as TUNSETIFF reads it: the name, the flags, and the rest of
/// the union (40 bytes in all on 64-bit and 32-bit Linux alike, padded to its largest member).
#[repr(C)]
struct IfReq {
    name: [libc::c_char; IFNAMSIZ],
    flags: libc::c_short,
    _rest: [u8; 22],
}

/// A TUN device this process holds open.
#[derive(Debug)]
pub struct Tun {
    file: File,
    name: String,
}

impl Tun {
    /// Creates the TUN device `name` inside `netns`, non-blocking. `name` must be at most 15
    /// bytes (Linux's limit).
    pub fn create_in(netns: &Netns, name: &str) -> Result<Self, LabError> {
        if name.is_empty() || name.len() >= IFNAMSIZ || name.contains(['/', ' ', '\0']) {
            return Err(LabError::Netns {
                action: format!("name a TUN device {name:?}"),
                detail: "an interface name is 1 to 15 bytes without '/' or spaces".to_string(),
            });
        }
        let name = name.to_string();
        netns.run_in(move || Self::open(name))?
    }

    /// Opens `/dev/net/tun` and attaches it to a new device `name` (in this thread's
    /// namespace).
    fn open(name: String) -> Result<Self, LabError> {
        let file = File::options()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open("/dev/net/tun")
            .map_err(|e| LabError::NoTun {
                detail: e.to_string(),
            })?;
        let mut req = IfReq {
            name: [0; IFNAMSIZ],
            flags: (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short,
            _rest: [0; 22],
        };
        for (dst, src) in req.name.iter_mut().zip(name.bytes()) {
            *dst = src as libc::c_char;
        }
        // SAFETY: TUNSETIFF reads and writes one `struct ifreq`, which `req` is (same layout
        // and size), on a descriptor this function owns.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::TUNSETIFF, &mut req) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            return Err(match err.raw_os_error() {
                Some(libc::EPERM) => LabError::Netns {
                    action: format!("create the TUN device {name}"),
                    detail: format!("{err}: it needs root (CAP_NET_ADMIN)"),
                },
                _ => LabError::NoTun {
                    detail: format!("TUNSETIFF {name}: {err}"),
                },
            });
        }
        Ok(Self { file, name })
    }

    /// The device's name inside its namespace.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The descriptor, to wait on with poll.
    pub fn raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// Reads one packet the namespace sent out through the device (`WouldBlock` when none).
    pub fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        (&self.file).read(buf)
    }

    /// Hands one packet to the namespace, as received on the device.
    pub fn send(&self, packet: &[u8]) -> std::io::Result<usize> {
        (&self.file).write(packet)
    }
}
