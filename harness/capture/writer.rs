//! A minimal pcapng writer: one section, nanosecond interfaces, Enhanced Packet Blocks and
//! Interface Statistics Blocks, little-endian.
//!
//! Each block goes out as a few `write_all` calls of stack arrays and the packet slice, so
//! wrap the output in a `BufWriter` when writing to a file.

use std::io::{self, Write};

use super::file::MAX_BLOCK_LEN;
use super::LinkType;

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const ISB: u32 = 5;
const EPB: u32 = 6;

const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;
const ISB_ENDTIME: u16 = 3;
const ISB_IFRECV: u16 = 4;
const ISB_IFDROP: u16 = 5;
const ISB_USRDELIV: u16 = 8;

/// Counters recorded in an Interface Statistics Block at the end of a capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InterfaceStatistics {
    /// Packets the capture mechanism received (libpcap `ps_recv`): `isb_ifrecv`.
    pub received: Option<u64>,
    /// Packets the kernel dropped (libpcap `ps_drop`): written as `isb_ifdrop`, as dumpcap
    /// does, so tshark and capinfos show it as the capture's drop count.
    pub kernel_dropped: Option<u64>,
    /// Packets the interface or driver dropped (libpcap `ps_ifdrop`). pcapng has no
    /// separate standard option for this once `isb_ifdrop` holds the kernel drops, so it
    /// goes into the block's comment, for people reading the file with tshark.
    pub interface_dropped: Option<u64>,
    /// Packets written to the file: `isb_usrdeliv`.
    pub delivered: Option<u64>,
}

/// Writes a pcapng capture: a Section Header Block and one Interface Description Block per
/// interface (timestamps in nanoseconds), then packets and statistics.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    w: W,
    /// Snaplen per interface index, to know how many interfaces there are.
    interfaces: Vec<u32>,
}

impl<W: Write> PcapngWriter<W> {
    /// Starts a capture on `w` with `interfaces` as `(link type, snaplen, name)`; packets
    /// then refer to interfaces by their index in this slice. A snaplen of 0 means
    /// "unlimited"; an empty name is omitted.
    pub fn new(mut w: W, interfaces: &[(LinkType, u32, &str)]) -> io::Result<Self> {
        let mut opts = Vec::new();
        let app = concat!("spicebench ", env!("CARGO_PKG_VERSION"));
        push_option(&mut opts, SHB_USERAPPL, app.as_bytes())?;
        opts.extend_from_slice(&[0; 4]); // opt_endofopt
                                         // Byte-order magic, version 1.0, section length unknown (-1).
        let mut body = Vec::with_capacity(16 + opts.len());
        body.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        body.extend_from_slice(&opts);
        write_block(&mut w, SHB, &body)?;

        let mut snaplens = Vec::with_capacity(interfaces.len());
        for &(link, snaplen, name) in interfaces {
            let linktype = u16::try_from(link.linktype()).map_err(|_| {
                invalid(format!(
                    "link type {} does not fit pcapng's 16-bit field",
                    link.linktype()
                ))
            })?;
            let mut body = Vec::with_capacity(32 + name.len());
            body.extend_from_slice(&linktype.to_le_bytes());
            body.extend_from_slice(&0u16.to_le_bytes());
            body.extend_from_slice(&snaplen.to_le_bytes());
            if !name.is_empty() {
                push_option(&mut body, IF_NAME, name.as_bytes())?;
            }
            push_option(&mut body, IF_TSRESOL, &[9])?;
            body.extend_from_slice(&[0; 4]);
            write_block(&mut w, IDB, &body)?;
            snaplens.push(snaplen);
        }
        Ok(Self {
            w,
            interfaces: snaplens,
        })
    }

    /// Appends one packet captured on `interface` at `ts_ns` (ns since the Unix epoch),
    /// `wire_len` bytes long on the wire, of which `data` was captured.
    pub fn write_packet(
        &mut self,
        interface: u32,
        ts_ns: u64,
        wire_len: u32,
        data: &[u8],
    ) -> io::Result<()> {
        self.check_interface(interface)?;
        // The reader's limit applies, so everything written can be read back.
        let caplen = u32::try_from(data.len())
            .ok()
            .filter(|&n| n <= MAX_BLOCK_LEN - 32)
            .ok_or_else(|| {
                invalid(format!(
                    "packet of {} bytes exceeds the {MAX_BLOCK_LEN}-byte block limit",
                    data.len()
                ))
            })?;
        let pad = (4 - (caplen % 4)) % 4;
        let total = 32 + caplen + pad;
        let mut head = [0u8; 28];
        head[0..4].copy_from_slice(&EPB.to_le_bytes());
        head[4..8].copy_from_slice(&total.to_le_bytes());
        head[8..12].copy_from_slice(&interface.to_le_bytes());
        head[12..16].copy_from_slice(&((ts_ns >> 32) as u32).to_le_bytes());
        head[16..20].copy_from_slice(&(ts_ns as u32).to_le_bytes());
        head[20..24].copy_from_slice(&caplen.to_le_bytes());
        head[24..28].copy_from_slice(&wire_len.to_le_bytes());
        self.w.write_all(&head)?;
        self.w.write_all(data)?;
        let mut tail = [0u8; 7];
        let pad = pad as usize;
        tail[pad..pad + 4].copy_from_slice(&total.to_le_bytes());
        self.w.write_all(&tail[..pad + 4])
    }

    /// Appends an Interface Statistics Block for `interface` at `ts_ns` (also written as
    /// `isb_endtime`). Statistics are cumulative: write one at the end of a capture.
    pub fn write_interface_statistics(
        &mut self,
        interface: u32,
        ts_ns: u64,
        stats: &InterfaceStatistics,
    ) -> io::Result<()> {
        self.check_interface(interface)?;
        let mut body = Vec::with_capacity(128);
        body.extend_from_slice(&interface.to_le_bytes());
        body.extend_from_slice(&((ts_ns >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts_ns as u32).to_le_bytes());
        if let Some(n) = stats.interface_dropped {
            let text = format!("interface (driver) drops: {n}");
            push_option(&mut body, OPT_COMMENT, text.as_bytes())?;
        }
        // Timestamps in an ISB are high word first, each in the section's byte order.
        let mut end = [0u8; 8];
        end[..4].copy_from_slice(&((ts_ns >> 32) as u32).to_le_bytes());
        end[4..].copy_from_slice(&(ts_ns as u32).to_le_bytes());
        push_option(&mut body, ISB_ENDTIME, &end)?;
        for (code, value) in [
            (ISB_IFRECV, stats.received),
            (ISB_IFDROP, stats.kernel_dropped),
            (ISB_USRDELIV, stats.delivered),
        ] {
            if let Some(v) = value {
                push_option(&mut body, code, &v.to_le_bytes())?;
            }
        }
        body.extend_from_slice(&[0; 4]);
        write_block(&mut self.w, ISB, &body)
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// The underlying writer (not flushed: call [`PcapngWriter::flush`] first when it
    /// buffers).
    pub fn into_inner(self) -> W {
        self.w
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.w
    }

    fn check_interface(&self, interface: u32) -> io::Result<()> {
        if (interface as usize) < self.interfaces.len() {
            Ok(())
        } else {
            Err(invalid(format!(
                "interface {interface} was not declared (the writer has {})",
                self.interfaces.len()
            )))
        }
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Appends one option, padded to 32 bits.
fn push_option(out: &mut Vec<u8>, code: u16, value: &[u8]) -> io::Result<()> {
    let len = u16::try_from(value.len())
        .map_err(|_| invalid(format!("pcapng option {code} longer than 65535 bytes")))?;
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(value);
    out.resize(out.len() + (4 - value.len() % 4) % 4, 0);
    Ok(())
}

/// Writes a block around a body whose length is already a multiple of 4.
fn write_block(w: &mut impl Write, btype: u32, body: &[u8]) -> io::Result<()> {
    let total = u32::try_from(body.len() + 12)
        .map_err(|_| invalid("pcapng block too large".to_string()))?;
    w.write_all(&btype.to_le_bytes())?;
    w.write_all(&total.to_le_bytes())?;
    w.write_all(body)?;
    w.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{from_reader, open_file};
    use std::path::Path;

    #[test]
    fn round_trip_through_the_reader() {
        let frames: Vec<(u32, u64, u32, Vec<u8>)> = vec![
            (0, 1_795_840_499_392_152_476, 60, (0..60).collect()),
            (1, 1_795_840_499_392_152_477, 1500, vec![0xab; 97]), // cut by a snaplen
            (0, 0, 0, vec![]),
            (0, u64::MAX, 3, vec![1, 2, 3]),
        ];
        let mut w = PcapngWriter::new(
            Vec::new(),
            &[
                (LinkType::Ethernet, 262_144, "lo"),
                (LinkType::LinuxSll2, 97, ""),
            ],
        )
        .unwrap();
        for (i, ts, len, data) in &frames {
            w.write_packet(*i, *ts, *len, data).unwrap();
        }
        let stats = InterfaceStatistics {
            received: Some(5),
            kernel_dropped: Some(1),
            interface_dropped: Some(2),
            delivered: Some(4),
        };
        w.write_interface_statistics(0, 42, &stats).unwrap();
        w.flush().unwrap();
        let bytes = w.into_inner();
        assert_eq!(bytes.len() % 4, 0);

        let mut src = from_reader(std::io::Cursor::new(bytes), Path::new("mem")).unwrap();
        for (i, ts, len, data) in &frames {
            let p = src.next_packet().unwrap().unwrap();
            assert_eq!(
                (p.interface, p.ts_ns, p.wire_len, p.data),
                (*i, *ts, *len, &data[..])
            );
            let want = if *i == 0 {
                LinkType::Ethernet
            } else {
                LinkType::LinuxSll2
            };
            assert_eq!(p.link, want);
        }
        assert!(src.next_packet().unwrap().is_none());
        let s = src.stats();
        assert_eq!((s.packets, s.bytes), (4, 60 + 97 + 3));
        assert_eq!(s.kernel_dropped, Some(1));
        assert_eq!(s.interface_dropped, None);
    }

    #[test]
    fn misuse_is_an_error_not_a_panic() {
        let mut w = PcapngWriter::new(Vec::new(), &[(LinkType::RawIp, 0, "x")]).unwrap();
        let e = w.write_packet(1, 0, 0, &[]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(w
            .write_interface_statistics(3, 0, &InterfaceStatistics::default())
            .is_err());
        let e = PcapngWriter::new(Vec::new(), &[(LinkType::Other(70_000), 0, "")]).unwrap_err();
        assert!(e.to_string().contains("70000"));
        let e = PcapngWriter::new(Vec::new(), &[(LinkType::RawIp, 0, &"n".repeat(70_000))])
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    /// The first SHB and IDB bytes are what the pcapng spec prescribes (checked by hand
    /// against draft-ietf-opsawg-pcapng section 4.1/4.2).
    #[test]
    fn header_layout() {
        let w = PcapngWriter::new(Vec::new(), &[(LinkType::Ethernet, 65535, "lo")]).unwrap();
        let b = w.into_inner();
        assert_eq!(&b[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
        assert_eq!(&b[8..12], &[0x4d, 0x3c, 0x2b, 0x1a]);
        assert_eq!(&b[12..16], &[1, 0, 0, 0]);
        assert_eq!(&b[16..24], &[0xff; 8]);
        let shb_len = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
        let idb = &b[shb_len..];
        assert_eq!(&idb[..4], &[1, 0, 0, 0]);
        assert_eq!(&idb[8..16], &[1, 0, 0, 0, 0xff, 0xff, 0, 0]);
        // if_name "lo" padded, then if_tsresol 9, then end of options.
        assert_eq!(&idb[16..24], &[2, 0, 2, 0, b'l', b'o', 0, 0]);
        assert_eq!(&idb[24..32], &[9, 0, 1, 0, 9, 0, 0, 0]);
        assert_eq!(&idb[32..36], &[0, 0, 0, 0]);
        assert_eq!(idb.len(), 40);
    }

    /// tshark (when installed) reads what the writer wrote: same packet count and bytes.
    #[test]
    fn tshark_reads_written_file() {
        let Ok(out) = std::process::Command::new("tshark")
            .arg("--version")
            .output()
        else {
            eprintln!("note: tshark not installed; skipping the tshark cross-check");
            return;
        };
        assert!(out.status.success());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.pcapng");
        let sample =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xspice-remote-viewer.pcapng");
        let mut src = open_file(&sample).unwrap();
        let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let mut w = PcapngWriter::new(file, &[(LinkType::Ethernet, 262_144, "lo")]).unwrap();
        while let Some(p) = src.next_packet().unwrap() {
            w.write_packet(0, p.ts_ns, p.wire_len, p.data).unwrap();
        }
        let stats = InterfaceStatistics {
            kernel_dropped: Some(0),
            ..Default::default()
        };
        w.write_interface_statistics(0, 0, &stats).unwrap();
        w.flush().unwrap();
        drop(w);
        let out = std::process::Command::new("tshark")
            .args([
                "-r",
                path.to_str().unwrap(),
                "-T",
                "fields",
                "-e",
                "tcp.len",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lens: Vec<u64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect();
        assert_eq!(lens.len(), 1441);
        assert_eq!(lens.iter().sum::<u64>(), 629_248);
    }
}
