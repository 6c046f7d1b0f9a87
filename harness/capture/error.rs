//! The one error type of the capture module, with messages that say what to do next.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why a capture could not be read, written or taken.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The operating system refused to open, read or write a file.
    #[error("{}: cannot read or write the capture file: {source}", path.display())]
    Io {
        /// The capture file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The file starts with neither a pcap nor a pcapng magic number.
    #[error("{}: not a pcap or pcapng capture ({}): give a file written by tcpdump, dumpcap/tshark or spicebench{}", path.display(), MagicText(*magic), MagicHint(*magic))]
    NotACapture {
        /// The file.
        path: PathBuf,
        /// Its first four bytes, big-endian (`0x0a0d0d0a` is pcapng); `None` when the file
        /// is shorter than four bytes.
        magic: Option<u32>,
    },
    /// The file ends in the middle of a block or record: typically a capture that was
    /// still being written, or whose writer was killed. The `packets` before `offset`
    /// were delivered and are valid, so a caller may keep them as a partial result.
    #[error("{}: the capture ends in the middle of a block at byte {offset}, after {packets} complete packets: it was cut short (still being written, or its capture process was killed); stop the capture cleanly and read it again, or keep the {packets} packets read so far as a partial result", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Byte offset of the incomplete block (or of the file header when that is cut).
        offset: u64,
        /// Packets delivered before the incomplete block.
        packets: u64,
    },
    /// A block or record is malformed (impossible length, mismatched trailer, reference
    /// to an undeclared interface, ...). Reading stops there.
    #[error("{}: corrupt capture at byte {offset}: {what}; the file is damaged: take the capture again (the packets before byte {offset} were read normally)", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Byte offset of the block or record that is malformed.
        offset: u64,
        /// What is wrong with it.
        what: String,
    },
    /// A link-layer type whose frames this module cannot decode (pcap `LINKTYPE_*` number).
    #[error("link-layer type {0} is not supported (spicebench decodes Ethernet, Linux cooked v1/v2, raw IP and BSD/OpenBSD loopback): capture on another interface, e.g. `lo` or `any`")]
    UnsupportedLink(u32),
    /// libpcap refused to open a live capture for lack of privileges.
    #[error("capturing on {interface} needs root or CAP_NET_RAW+CAP_NET_ADMIN: run as root, or `setcap cap_net_raw,cap_net_admin+ep {}`, or analyse an existing capture file (libpcap: {detail})", ExePath)]
    Permission {
        /// The interface that was asked for.
        interface: String,
        /// What libpcap said.
        detail: String,
    },
    /// Any other failure of a live capture; `detail` names the step and what to check.
    #[error("live capture failed: {detail}")]
    Live {
        /// What failed and what to check.
        detail: String,
    },
}

impl CaptureError {
    /// An [`CaptureError::Io`] for `path`, for use with `map_err`.
    pub(crate) fn io(path: &Path) -> impl FnOnce(io::Error) -> CaptureError + '_ {
        move |source| CaptureError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Packets delivered before a [`CaptureError::Truncated`] error; `None` for other errors.
    pub fn packets_before(&self) -> Option<u64> {
        match self {
            Self::Truncated { packets, .. } => Some(*packets),
            _ => None,
        }
    }
}

/// The first bytes of a file, in hex, or a note that there were too few.
struct MagicText(Option<u32>);

impl fmt::Display for MagicText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(m) => write!(f, "it starts with {m:#010x}"),
            None => f.write_str("it is empty or shorter than 4 bytes"),
        }
    }
}

/// A conversion hint for formats that are recognisably captures of another kind.
struct MagicHint(Option<u32>);

impl fmt::Display for MagicHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            // gzip: Wireshark writes `.pcapng.gz`, which reads as garbage here.
            Some(m) if m >> 16 == 0x1f8b => {
                f.write_str("; this file is gzip-compressed: gunzip it first")
            }
            Some(_) => f.write_str(
                "; other capture formats can be converted with `editcap -F pcapng IN OUT`",
            ),
            None => Ok(()),
        }
    }
}

/// The running binary, for the `setcap` advice; a placeholder when it cannot be found.
pub(crate) struct ExePath;

impl fmt::Display for ExePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::env::current_exe() {
            Ok(p) => write!(f, "{}", p.display()),
            Err(_) => f.write_str("<path of spicebench binary>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let e = CaptureError::Truncated {
            path: "x.pcapng".into(),
            offset: 1234,
            packets: 7,
        };
        let s = e.to_string();
        assert!(s.starts_with("x.pcapng: the capture ends in the middle of a block at byte 1234, after 7 complete packets"), "{s}");
        assert_eq!(e.packets_before(), Some(7));

        let e = CaptureError::NotACapture {
            path: "a.gz".into(),
            magic: Some(0x1f8b_0800),
        };
        assert!(e.to_string().contains("starts with 0x1f8b0800"));
        assert!(e.to_string().ends_with("gunzip it first"));
        assert_eq!(e.packets_before(), None);

        let e = CaptureError::NotACapture {
            path: "empty".into(),
            magic: None,
        };
        assert!(e.to_string().contains("empty or shorter than 4 bytes"));

        let e = CaptureError::Permission {
            interface: "lo".into(),
            detail: "socket: Operation not permitted".into(),
        };
        let s = e.to_string();
        assert!(s.starts_with("capturing on lo needs root or CAP_NET_RAW+CAP_NET_ADMIN: run as root, or `setcap cap_net_raw,cap_net_admin+ep /"), "{s}");
        assert!(s.contains("or analyse an existing capture file"), "{s}");
        assert!(
            s.ends_with("(libpcap: socket: Operation not permitted)"),
            "{s}"
        );
    }
}
