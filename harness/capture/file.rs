//! Streaming readers for pcap and pcapng files.
//!
//! Both readers pull from a `BufReader` into one reused `Vec<u8>` and hand out slices of
//! it, so reading allocates nothing per packet. Lengths in the file are never trusted for
//! allocation: the buffer only grows as bytes actually arrive (see [`Body::fill`]), so a
//! hostile length costs at most what the file holds, plus one chunk.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use super::{CaptureError, LinkType, Packet, PacketSource, SourceStats};

/// Largest block (pcapng) or record (pcap) accepted, in bytes. Wireshark's own limit is of
/// this order (its largest link-layer maximum is 128 MiB); anything larger is treated as
/// corruption rather than read.
pub const MAX_BLOCK_LEN: u32 = 128 << 20;

/// `BufReader` capacity: large enough that the kernel copy dominates and a few syscalls
/// cover a typical block run.
const READ_BUFFER: usize = 256 << 10;
/// The buffer grows by at most this much beyond bytes already received.
const GROW_CHUNK: usize = 1 << 20;

const PCAPNG_SHB: u32 = 0x0a0d_0d0a;
const PCAPNG_IDB: u32 = 1;
const PCAPNG_PB: u32 = 2;
const PCAPNG_SPB: u32 = 3;
const PCAPNG_ISB: u32 = 5;
const PCAPNG_EPB: u32 = 6;
const PCAPNG_BOM: u32 = 0x1a2b_3c4d;
/// Real captures describe a handful of interfaces; a file declaring more is hostile, and
/// capping the count keeps the per-interface table small.
const MAX_INTERFACES: usize = 1 << 16;

/// Opens a pcap or pcapng capture, recognised by its magic number, as a streaming source.
///
/// Reading is lazy: errors in the body surface from [`PacketSource::next_packet`]. pcapng
/// Simple Packet Blocks carry no timestamp; they get the previous packet's (0 if none).
/// Interface statistics blocks provide [`SourceStats::kernel_dropped`].
pub fn open_file(path: &Path) -> Result<Box<dyn PacketSource>, CaptureError> {
    let file = File::open(path).map_err(CaptureError::io(path))?;
    from_reader(file, path)
}

/// Like [`open_file`], over any byte stream (a pipe, a socket, bytes in memory). `name`
/// only labels errors.
pub fn from_reader<R: Read + Send + 'static>(
    reader: R,
    name: &Path,
) -> Result<Box<dyn PacketSource>, CaptureError> {
    let mut body = Body {
        r: BufReader::with_capacity(READ_BUFFER, reader),
        buf: Vec::new(),
        path: name.to_path_buf(),
        offset: 0,
    };
    let mut magic = [0u8; 4];
    let n = read_full(&mut body.r, &mut magic).map_err(CaptureError::io(name))?;
    if n < 4 {
        return Err(CaptureError::NotACapture {
            path: body.path,
            magic: None,
        });
    }
    body.offset = 4;
    let pcap_magic = |be: bool, nanos: bool| Some((be, nanos));
    let pcap = match magic {
        [0xa1, 0xb2, 0xc3, 0xd4] => pcap_magic(true, false),
        [0xd4, 0xc3, 0xb2, 0xa1] => pcap_magic(false, false),
        [0xa1, 0xb2, 0x3c, 0x4d] => pcap_magic(true, true),
        [0x4d, 0x3c, 0xb2, 0xa1] => pcap_magic(false, true),
        _ => None,
    };
    if let Some((big_endian, nanos)) = pcap {
        return Ok(Box::new(PcapReader::new(body, big_endian, nanos)?));
    }
    if u32::from_be_bytes(magic) == PCAPNG_SHB {
        return Ok(Box::new(PcapngReader::new(body)));
    }
    Err(CaptureError::NotACapture {
        path: body.path,
        magic: Some(u32::from_be_bytes(magic)),
    })
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The byte stream, the reused block buffer and the position, shared by both formats.
struct Body<R> {
    r: BufReader<R>,
    /// Holds the current block or record; never shrinks, so after the first few packets
    /// reads stop allocating.
    buf: Vec<u8>,
    path: PathBuf,
    /// Bytes consumed so far.
    offset: u64,
}

/// Why a fixed-size read stopped.
enum Short {
    /// The stream ended after `usize` bytes of it.
    Eof(usize),
    Io(io::Error),
}

impl<R: Read> Body<R> {
    /// Reads exactly `out.len()` bytes into a small stack array.
    fn read_small(&mut self, out: &mut [u8]) -> Result<(), Short> {
        let n = read_full(&mut self.r, out).map_err(Short::Io)?;
        self.offset += n as u64;
        if n < out.len() {
            return Err(Short::Eof(n));
        }
        Ok(())
    }

    /// Reads exactly `len` bytes into `self.buf[..len]`. The buffer grows only as bytes
    /// arrive, by at most [`GROW_CHUNK`] at a time, so a length field claiming gigabytes in
    /// a small file allocates no more than the file holds plus one chunk.
    fn fill(&mut self, len: usize) -> Result<(), Short> {
        let mut done = 0;
        while done < len {
            let end = if self.buf.len() >= len {
                len
            } else {
                let end = len.min(done.max(self.buf.len()).saturating_add(GROW_CHUNK));
                if self.buf.len() < end {
                    self.buf.resize(end, 0);
                }
                end
            };
            let n = read_full(&mut self.r, &mut self.buf[done..end]).map_err(Short::Io)?;
            self.offset += n as u64;
            done += n;
            if done < end {
                return Err(Short::Eof(done));
            }
        }
        Ok(())
    }

    /// Turns a short read of the block starting at `start` into the matching error.
    fn short(&self, s: Short, start: u64, packets: u64) -> CaptureError {
        match s {
            Short::Eof(_) => CaptureError::Truncated {
                path: self.path.clone(),
                offset: start,
                packets,
            },
            Short::Io(source) => CaptureError::Io {
                path: self.path.clone(),
                source,
            },
        }
    }

    fn corrupt(&self, offset: u64, what: String) -> CaptureError {
        CaptureError::Corrupt {
            path: self.path.clone(),
            offset,
            what,
        }
    }
}

/// Reads integers of one byte order from already length-checked slices. Out-of-range reads
/// yield 0 instead of panicking; callers check lengths first, so that never hides data.
#[derive(Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u16(self, b: &[u8], off: usize) -> u16 {
        match b.get(off..off.wrapping_add(2)) {
            Some(&[x, y]) if self.big => u16::from_be_bytes([x, y]),
            Some(&[x, y]) => u16::from_le_bytes([x, y]),
            _ => 0,
        }
    }

    fn u32(self, b: &[u8], off: usize) -> u32 {
        match b.get(off..off.wrapping_add(4)) {
            Some(&[a, b1, c, d]) if self.big => u32::from_be_bytes([a, b1, c, d]),
            Some(&[a, b1, c, d]) => u32::from_le_bytes([a, b1, c, d]),
            _ => 0,
        }
    }

    fn u64(self, b: &[u8], off: usize) -> u64 {
        let hi_lo = (self.u32(b, off), self.u32(b, off.wrapping_add(4)));
        if self.big {
            (u64::from(hi_lo.0) << 32) | u64::from(hi_lo.1)
        } else {
            (u64::from(hi_lo.1) << 32) | u64::from(hi_lo.0)
        }
    }
}

/// Where the current packet sits in the buffer and what it is, computed before the slice
/// is borrowed (so the block loop can keep mutating the buffer until it finds a packet).
struct Found {
    start: usize,
    len: usize,
    ts_ns: u64,
    wire_len: u32,
    link: LinkType,
    interface: u32,
}

// ---------------------------------------------------------------------------------------
// pcap

/// Classic pcap: a 24-byte file header, then 16-byte record headers each followed by data.
struct PcapReader<R> {
    body: Body<R>,
    endian: Endian,
    /// Nanosecond magic (0xa1b23c4d) rather than microseconds.
    nanos: bool,
    link: LinkType,
    stats: SourceStats,
    done: bool,
}

impl<R: Read> PcapReader<R> {
    fn new(mut body: Body<R>, big: bool, nanos: bool) -> Result<Self, CaptureError> {
        let mut hdr = [0u8; 20];
        body.read_small(&mut hdr).map_err(|s| body.short(s, 0, 0))?;
        let endian = Endian { big };
        // Version, thiszone (always 0 in practice) and sigfigs are not needed. The link
        // field's upper bits can carry FCS information; the type is the low 16 bits.
        let link = LinkType::from_linktype(endian.u32(&hdr, 16) & 0xffff);
        Ok(Self {
            body,
            endian,
            nanos,
            link,
            stats: SourceStats::default(),
            done: false,
        })
    }

    fn next_record(&mut self) -> Result<Option<Found>, CaptureError> {
        let start = self.body.offset;
        let mut hdr = [0u8; 16];
        match self.body.read_small(&mut hdr) {
            Ok(()) => {}
            Err(Short::Eof(0)) => return Ok(None),
            Err(s) => return Err(self.body.short(s, start, self.stats.packets)),
        }
        let e = self.endian;
        let (sec, frac, incl, orig) = (
            e.u32(&hdr, 0),
            e.u32(&hdr, 4),
            e.u32(&hdr, 8),
            e.u32(&hdr, 12),
        );
        if incl > MAX_BLOCK_LEN {
            return Err(self.body.corrupt(
                start,
                format!("record claims {incl} captured bytes (limit {MAX_BLOCK_LEN})"),
            ));
        }
        self.body
            .fill(incl as usize)
            .map_err(|s| self.body.short(s, start, self.stats.packets))?;
        // Cannot overflow: u32 seconds * 1e9 < 2^63, plus a u32 fraction * 1000.
        let frac_ns = if self.nanos {
            u64::from(frac)
        } else {
            u64::from(frac) * 1000
        };
        Ok(Some(Found {
            start: 0,
            len: incl as usize,
            ts_ns: u64::from(sec) * 1_000_000_000 + frac_ns,
            wire_len: orig,
            link: self.link,
            interface: 0,
        }))
    }
}

impl<R: Read + Send> PacketSource for PcapReader<R> {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let found = match self.next_record() {
            Ok(Some(f)) => f,
            other => {
                self.done = true;
                return other.map(|_| None);
            }
        };
        Ok(Some(deliver(&mut self.stats, &self.body.buf, found)))
    }

    fn stats(&self) -> SourceStats {
        self.stats
    }
}

/// Counts a found packet and borrows its bytes.
fn deliver<'a>(stats: &mut SourceStats, buf: &'a [u8], f: Found) -> Packet<'a> {
    let data = buf.get(f.start..f.start + f.len).unwrap_or(&[]);
    stats.packets += 1;
    stats.bytes += data.len() as u64;
    Packet {
        ts_ns: f.ts_ns,
        wire_len: f.wire_len,
        data,
        link: f.link,
        interface: f.interface,
    }
}

// ---------------------------------------------------------------------------------------
// pcapng

/// How an interface's timestamp units become nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
enum TsScale {
    /// Units of 10^-v s with v <= 9: multiply.
    Mul(u64),
    /// Units of 10^-v s with v > 9: divide.
    Div(u128),
    /// Units of 2^-v s: ns = ts * 1e9 >> v.
    Pow2(u32),
}

impl TsScale {
    /// From the `if_tsresol` byte: MSB clear means 10^-v, set means 2^-(v & 0x7f).
    fn from_tsresol(v: u8) -> Self {
        if v & 0x80 != 0 {
            return Self::Pow2(u32::from(v & 0x7f));
        }
        let v = u32::from(v);
        if v <= 9 {
            Self::Mul(10u64.pow(9 - v))
        } else {
            // 10^38 is the largest power of ten in a u128; beyond that every u64 timestamp
            // rounds to 0 anyway.
            Self::Div(10u128.checked_pow(v - 9).unwrap_or(u128::MAX))
        }
    }

    fn to_ns(self, ts: u64) -> u64 {
        match self {
            Self::Mul(m) => ts.saturating_mul(m),
            Self::Div(d) => u64::try_from(u128::from(ts) / d).unwrap_or(u64::MAX),
            Self::Pow2(v) => {
                u64::try_from((u128::from(ts) * 1_000_000_000) >> v).unwrap_or(u64::MAX)
            }
        }
    }
}

/// What an Interface Description Block declared.
struct Interface {
    link: LinkType,
    snaplen: u32,
    scale: TsScale,
    /// `if_tsoffset` in nanoseconds, added to every timestamp.
    offset_ns: i128,
    /// Latest `isb_ifdrop` seen for it (statistics blocks are cumulative).
    dropped: Option<u64>,
}

impl Interface {
    fn ts_ns(&self, ts: u64) -> u64 {
        let ns = self.scale.to_ns(ts);
        if self.offset_ns == 0 {
            return ns;
        }
        let shifted = i128::from(ns) + self.offset_ns;
        u64::try_from(shifted.max(0)).unwrap_or(u64::MAX)
    }
}

/// pcapng: a sequence of blocks (type, total length, body, total length again), grouped in
/// sections that each start with a Section Header Block fixing their byte order.
struct PcapngReader<R> {
    body: Body<R>,
    endian: Endian,
    /// Interfaces of all sections so far; a packet's interface id is relative to
    /// `section_base`. Bounded by the file size: each IDB takes at least 20 bytes.
    interfaces: Vec<Interface>,
    section_base: usize,
    /// Timestamp of the last packet, given to Simple Packet Blocks (which have none).
    last_ts_ns: u64,
    stats: SourceStats,
    done: bool,
}

impl<R: Read> PcapngReader<R> {
    /// `body` has consumed the 4-byte block type of the first Section Header Block.
    fn new(body: Body<R>) -> Self {
        Self {
            body,
            endian: Endian { big: false },
            interfaces: Vec::new(),
            section_base: 0,
            last_ts_ns: 0,
            stats: SourceStats::default(),
            done: false,
        }
    }

    fn next_block_packet(&mut self) -> Result<Option<Found>, CaptureError> {
        // The very first block's type was consumed by magic sniffing.
        let mut first = self.body.offset == 4;
        loop {
            let start = if first { 0 } else { self.body.offset };
            let packets = self.stats.packets;
            let mut head = [0u8; 8];
            let btype = if first {
                first = false;
                self.body
                    .read_small(&mut head[4..])
                    .map_err(|s| self.body.short(s, start, packets))?;
                PCAPNG_SHB
            } else {
                match self.body.read_small(&mut head) {
                    Ok(()) => {}
                    Err(Short::Eof(0)) => return Ok(None),
                    Err(s) => return Err(self.body.short(s, start, packets)),
                }
                self.endian.u32(&head, 0)
            };
            let mut consumed = 8usize;
            if btype == PCAPNG_SHB {
                // The byte-order magic that follows decides how to read even the length.
                let mut bom = [0u8; 4];
                self.body
                    .read_small(&mut bom)
                    .map_err(|s| self.body.short(s, start, packets))?;
                self.endian = match u32::from_be_bytes(bom) {
                    PCAPNG_BOM => Endian { big: true },
                    m if m == PCAPNG_BOM.swap_bytes() => Endian { big: false },
                    m => {
                        return Err(self.body.corrupt(
                            start,
                            format!("section header has byte-order magic {m:#010x}, expected 0x1a2b3c4d in either byte order"),
                        ))
                    }
                };
                consumed = 12;
            }
            let total = self.endian.u32(&head, 4);
            let min = if btype == PCAPNG_SHB { 28 } else { 12 };
            if total < min || !total.is_multiple_of(4) || total > MAX_BLOCK_LEN {
                return Err(self.body.corrupt(
                    start,
                    format!("block of type {btype:#x} has length {total}: a length must be a multiple of 4 between {min} and {MAX_BLOCK_LEN}"),
                ));
            }
            // The rest of the block, trailing length included.
            let rest = total as usize - consumed;
            self.body
                .fill(rest)
                .map_err(|s| self.body.short(s, start, packets))?;
            if self.endian.u32(&self.body.buf, rest - 4) != total {
                return Err(self.body.corrupt(
                    start,
                    format!(
                        "block of type {btype:#x} has length {total} at its start but {} at its end",
                        self.endian.u32(&self.body.buf, rest - 4)
                    ),
                ));
            }
            let blen = rest - 4;
            let found = match btype {
                PCAPNG_SHB => {
                    self.section(start)?;
                    None
                }
                PCAPNG_IDB => {
                    self.interface(start, blen)?;
                    None
                }
                PCAPNG_EPB => Some(self.enhanced_packet(start, blen)?),
                PCAPNG_SPB => Some(self.simple_packet(start, blen)?),
                PCAPNG_PB => Some(self.obsolete_packet(start, blen)?),
                PCAPNG_ISB => {
                    self.statistics(blen);
                    None
                }
                // Name resolution, decryption secrets, custom and future blocks carry no
                // packets.
                _ => None,
            };
            if let Some(f) = found {
                self.last_ts_ns = f.ts_ns;
                return Ok(Some(f));
            }
        }
    }

    /// A Section Header Block (its buffer starts after the byte-order magic): version
    /// check, and a fresh interface numbering.
    fn section(&mut self, start: u64) -> Result<(), CaptureError> {
        let major = self.endian.u16(&self.body.buf, 0);
        let minor = self.endian.u16(&self.body.buf, 2);
        if major != 1 {
            return Err(self.body.corrupt(
                start,
                format!("pcapng version {major}.{minor} is not supported (only 1.x): convert the file with `editcap -F pcapng IN OUT`"),
            ));
        }
        self.section_base = self.interfaces.len();
        Ok(())
    }

    fn interface(&mut self, start: u64, blen: usize) -> Result<(), CaptureError> {
        if blen < 8 {
            return Err(self.body.corrupt(
                start,
                format!("interface description block body is {blen} bytes, at least 8 needed"),
            ));
        }
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(self.body.corrupt(
                start,
                format!("more than {MAX_INTERFACES} interface descriptions"),
            ));
        }
        let b = &self.body.buf[..blen];
        let e = self.endian;
        let mut iface = Interface {
            link: LinkType::from_linktype(u32::from(e.u16(b, 0))),
            snaplen: e.u32(b, 4),
            scale: TsScale::Mul(1000), // default if_tsresol: microseconds
            offset_ns: 0,
            dropped: None,
        };
        for (code, val) in Options::new(&b[8..], e) {
            match (code, val.len()) {
                (9, 1..) => iface.scale = TsScale::from_tsresol(val[0]),
                (14, 8) => {
                    // Reinterpreting the two's-complement bits is the intent here.
                    let secs = e.u64(val, 0) as i64;
                    iface.offset_ns = i128::from(secs) * 1_000_000_000;
                }
                _ => {}
            }
        }
        self.interfaces.push(iface);
        Ok(())
    }

    /// The interface a packet block refers to, as a global index.
    fn lookup(&self, start: u64, id: u32) -> Result<usize, CaptureError> {
        let global = self.section_base.saturating_add(id as usize);
        if global < self.interfaces.len() {
            Ok(global)
        } else {
            Err(self.body.corrupt(
                start,
                format!(
                    "packet refers to interface {id}, but its section describes only {}",
                    self.interfaces.len() - self.section_base
                ),
            ))
        }
    }

    /// Common tail of EPB and PB: fixed fields at the start of the body, data at 20.
    fn packet_at(
        &self,
        start: u64,
        blen: usize,
        id: u32,
        ts: u64,
        caplen: u32,
        wire_len: u32,
    ) -> Result<Found, CaptureError> {
        let g = self.lookup(start, id)?;
        if caplen as usize > blen - 20 {
            return Err(self.body.corrupt(
                start,
                format!(
                    "packet claims {caplen} captured bytes but its block holds {}",
                    blen - 20
                ),
            ));
        }
        let iface = &self.interfaces[g];
        Ok(Found {
            start: 20,
            len: caplen as usize,
            ts_ns: iface.ts_ns(ts),
            wire_len,
            link: iface.link,
            interface: u32::try_from(g).unwrap_or(u32::MAX),
        })
    }

    fn too_short(&self, start: u64, kind: &str, blen: usize, need: usize) -> CaptureError {
        self.body.corrupt(
            start,
            format!("{kind} body is {blen} bytes, at least {need} needed"),
        )
    }

    fn enhanced_packet(&self, start: u64, blen: usize) -> Result<Found, CaptureError> {
        if blen < 20 {
            return Err(self.too_short(start, "enhanced packet block", blen, 20));
        }
        let (b, e) = (&self.body.buf, self.endian);
        let ts = (u64::from(e.u32(b, 4)) << 32) | u64::from(e.u32(b, 8));
        self.packet_at(start, blen, e.u32(b, 0), ts, e.u32(b, 12), e.u32(b, 16))
    }

    fn obsolete_packet(&self, start: u64, blen: usize) -> Result<Found, CaptureError> {
        if blen < 20 {
            return Err(self.too_short(start, "packet block", blen, 20));
        }
        let (b, e) = (&self.body.buf, self.endian);
        let ts = (u64::from(e.u32(b, 4)) << 32) | u64::from(e.u32(b, 8));
        let id = u32::from(e.u16(b, 0));
        self.packet_at(start, blen, id, ts, e.u32(b, 12), e.u32(b, 16))
    }

    /// Simple Packet Blocks belong to the section's first interface and carry no timestamp
    /// or captured length: the data is the original length cut to the snaplen.
    fn simple_packet(&self, start: u64, blen: usize) -> Result<Found, CaptureError> {
        if blen < 4 {
            return Err(self.too_short(start, "simple packet block", blen, 4));
        }
        let g = self.lookup(start, 0)?;
        let iface = &self.interfaces[g];
        let wire_len = self.endian.u32(&self.body.buf, 0);
        let mut len = (wire_len as usize).min(blen - 4);
        if iface.snaplen != 0 {
            len = len.min(iface.snaplen as usize);
        }
        Ok(Found {
            start: 4,
            len,
            // The previous packet's time keeps time series monotonic (see `open_file`).
            ts_ns: self.last_ts_ns,
            wire_len,
            link: iface.link,
            interface: u32::try_from(g).unwrap_or(u32::MAX),
        })
    }

    /// Records `isb_ifdrop` (option 5). A statistics block for an unknown interface, or a
    /// malformed one, is ignored: statistics are advisory.
    fn statistics(&mut self, blen: usize) {
        if blen < 12 {
            return;
        }
        let e = self.endian;
        let id = e.u32(&self.body.buf, 0) as usize;
        let Some(global) = self.section_base.checked_add(id) else {
            return;
        };
        let mut dropped = None;
        for (code, val) in Options::new(&self.body.buf[12..blen], e) {
            // dumpcap writes all-ones when it could not get the statistics.
            if code == 5 && val.len() == 8 && e.u64(val, 0) != u64::MAX {
                dropped = Some(e.u64(val, 0));
            }
        }
        if let (Some(d), Some(iface)) = (dropped, self.interfaces.get_mut(global)) {
            iface.dropped = Some(d);
        }
    }
}

impl<R: Read + Send> PacketSource for PcapngReader<R> {
    fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let found = match self.next_block_packet() {
            Ok(Some(f)) => f,
            other => {
                self.done = true;
                return other.map(|_| None);
            }
        };
        Ok(Some(deliver(&mut self.stats, &self.body.buf, found)))
    }

    fn stats(&self) -> SourceStats {
        // Hostile counters must not overflow the sum.
        let kernel_dropped = self
            .interfaces
            .iter()
            .filter_map(|i| i.dropped)
            .fold(None, |acc: Option<u64>, d| {
                Some(acc.unwrap_or(0).saturating_add(d))
            });
        SourceStats {
            kernel_dropped,
            ..self.stats
        }
    }
}

/// Iterator over a pcapng options list: (code, value) until `opt_endofopt` or the end of
/// the bytes. A malformed option (value running past the end) ends the list.
struct Options<'a> {
    b: &'a [u8],
    e: Endian,
}

impl<'a> Options<'a> {
    fn new(b: &'a [u8], e: Endian) -> Self {
        Self { b, e }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let code = self.e.u16(self.b, 0);
        let len = usize::from(self.e.u16(self.b, 2));
        if self.b.len() < 4 || code == 0 {
            return None;
        }
        let val = self.b.get(4..4 + len)?;
        // Values are padded to 32 bits; a missing final pad is tolerated.
        let next = (4 + len + 3) & !3;
        self.b = self.b.get(next..).unwrap_or(&[]);
        Some((code, val))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::decode_tcp;
    use std::io::Cursor;

    /// Facts about the sample obtained with tshark 4.0.17 / capinfos:
    /// `tshark -r FILE | wc -l` = 1441, `tshark -r FILE -T fields -e tcp.len` sums to
    /// 629248, `-e frame.time_epoch` gives the first and last timestamps below, and its
    /// Interface Statistics Block says isb_ifdrop = 0.
    const SAMPLE_PACKETS: u64 = 1441;
    const SAMPLE_PAYLOAD: u64 = 629_248;
    const SAMPLE_FIRST_NS: u64 = 1_795_840_499_392_152_476;
    const SAMPLE_LAST_NS: u64 = 1_795_840_535_366_913_770;

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
    }

    fn sample_bytes() -> Vec<u8> {
        std::fs::read(data("xspice-remote-viewer.pcapng")).unwrap()
    }

    /// Owned copy of a packet, to compare sources.
    #[derive(Debug, Clone, PartialEq)]
    struct Frame {
        ts_ns: u64,
        wire_len: u32,
        data: Vec<u8>,
        link: LinkType,
        interface: u32,
    }

    /// Reads a source to its end, or to its first error.
    fn read_all(src: &mut dyn PacketSource) -> (Vec<Frame>, Option<CaptureError>) {
        let mut frames = Vec::new();
        loop {
            match src.next_packet() {
                Ok(Some(p)) => frames.push(Frame {
                    ts_ns: p.ts_ns,
                    wire_len: p.wire_len,
                    data: p.data.to_vec(),
                    link: p.link,
                    interface: p.interface,
                }),
                Ok(None) => return (frames, None),
                Err(e) => {
                    // A failed source stays finished.
                    assert!(src.next_packet().unwrap().is_none());
                    return (frames, Some(e));
                }
            }
        }
    }

    fn read_bytes(bytes: Vec<u8>) -> Result<(Vec<Frame>, Option<CaptureError>), CaptureError> {
        let mut src = from_reader(Cursor::new(bytes), Path::new("mem.cap"))?;
        Ok(read_all(&mut *src))
    }

    fn sample_frames() -> Vec<Frame> {
        let (frames, err) =
            read_all(&mut *open_file(&data("xspice-remote-viewer.pcapng")).unwrap());
        assert!(err.is_none());
        frames
    }

    #[test]
    fn sample_pcapng_matches_tshark() {
        let mut src = open_file(&data("xspice-remote-viewer.pcapng")).unwrap();
        let (frames, err) = read_all(&mut *src);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len() as u64, SAMPLE_PACKETS);
        assert_eq!(frames[0].ts_ns, SAMPLE_FIRST_NS);
        assert_eq!(frames[frames.len() - 1].ts_ns, SAMPLE_LAST_NS);
        assert!(frames.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns));
        assert!(frames
            .iter()
            .all(|f| f.link == LinkType::Ethernet && f.interface == 0));
        assert!(frames.iter().all(|f| f.wire_len as usize == f.data.len()));
        let payload: u64 = frames
            .iter()
            .map(|f| u64::from(decode_tcp(f.link, &f.data).unwrap().payload_len))
            .sum();
        assert_eq!(payload, SAMPLE_PAYLOAD);
        let stats = src.stats();
        assert_eq!(stats.packets, SAMPLE_PACKETS);
        // `tshark -T fields -e frame.cap_len`, summed.
        assert_eq!(
            stats.bytes,
            frames.iter().map(|f| f.data.len() as u64).sum::<u64>()
        );
        assert_eq!(stats.bytes, 724_430);
        assert_eq!(stats.kernel_dropped, Some(0));
        assert_eq!(stats.interface_dropped, None);
    }

    /// `editcap -r -F pcap xspice-remote-viewer.pcapng OUT 400-1441` (microsecond pcap):
    /// tshark counts 1042 packets and 268061 bytes of TCP payload.
    #[test]
    fn microsecond_pcap_from_editcap() {
        let (frames, err) =
            read_all(&mut *open_file(&data("xspice-remote-viewer-400-1441.pcap")).unwrap());
        assert!(err.is_none());
        assert_eq!(frames.len(), 1042);
        let payload: u64 = frames
            .iter()
            .map(|f| u64::from(decode_tcp(f.link, &f.data).unwrap().payload_len))
            .sum();
        assert_eq!(payload, 268_061);
        // Same frames as packets 400.. of the pcapng, timestamps cut to microseconds.
        for (f, g) in frames.iter().zip(&sample_frames()[399..]) {
            assert_eq!((&f.data, f.wire_len, f.link), (&g.data, g.wire_len, g.link));
            assert_eq!(f.ts_ns, g.ts_ns / 1000 * 1000);
        }
        assert_eq!(frames[0].ts_ns, 1_795_840_521_993_848_000);
    }

    /// `editcap -r -F nsecpcap xspice-remote-viewer.pcapng OUT 1-20`, and the same file
    /// rewritten big-endian: identical frames and nanosecond timestamps.
    #[test]
    fn nanosecond_pcap_both_byte_orders() {
        let le = std::fs::read(data("xspice-remote-viewer-1-20-ns.pcap")).unwrap();
        let (frames, err) = read_bytes(le.clone()).unwrap();
        assert!(err.is_none());
        assert_eq!(frames, sample_frames()[..20].to_vec());

        // Swap every header field; packet bytes stay as they are.
        let mut be = le.clone();
        let swap = |b: &mut [u8], at: usize, n: usize| b[at..at + n].reverse();
        swap(&mut be, 0, 4);
        swap(&mut be, 4, 2);
        swap(&mut be, 6, 2);
        for at in [8, 12, 16, 20] {
            swap(&mut be, at, 4);
        }
        let mut off = 24;
        while off < be.len() {
            let incl = u32::from_le_bytes(le[off + 8..off + 12].try_into().unwrap()) as usize;
            for k in 0..4 {
                swap(&mut be, off + 4 * k, 4);
            }
            off += 16 + incl;
        }
        assert_eq!(&be[..4], &[0xa1, 0xb2, 0x3c, 0x4d]);
        let (frames_be, err) = read_bytes(be).unwrap();
        assert!(err.is_none());
        assert_eq!(frames_be, frames);
    }

    /// The sample twice in a row is a two-section pcapng: the second section's packets
    /// are on a new interface (index 1) with the same contents.
    #[test]
    fn two_sections() {
        let b = sample_bytes();
        let (frames, err) = read_bytes([b.clone(), b].concat()).unwrap();
        assert!(err.is_none());
        assert_eq!(frames.len(), 2 * SAMPLE_PACKETS as usize);
        let (first, second) = frames.split_at(SAMPLE_PACKETS as usize);
        assert!(first.iter().all(|f| f.interface == 0));
        assert!(second.iter().all(|f| f.interface == 1));
        for (a, b) in first.iter().zip(second) {
            assert_eq!((a.ts_ns, &a.data), (b.ts_ns, &b.data));
        }
    }

    /// Builds pcapng blocks in either byte order.
    struct Ng {
        big: bool,
        out: Vec<u8>,
    }

    impl Ng {
        fn u16(&self, v: u16) -> [u8; 2] {
            if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }
        fn u32(&self, v: u32) -> [u8; 4] {
            if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }
        fn opt(&self, code: u16, val: &[u8]) -> Vec<u8> {
            let mut o = [&self.u16(code)[..], &self.u16(val.len() as u16)[..], val].concat();
            o.resize(o.len().div_ceil(4) * 4, 0);
            o
        }
        fn block(&mut self, btype: u32, body: &[u8]) {
            let mut body = body.to_vec();
            body.resize(body.len().div_ceil(4) * 4, 0);
            let total = self.u32(body.len() as u32 + 12);
            let t = self.u32(btype);
            self.out.extend_from_slice(&t);
            self.out.extend_from_slice(&total);
            self.out.extend_from_slice(&body);
            self.out.extend_from_slice(&total);
        }
        fn section(&mut self, big: bool) {
            self.big = big;
            let body = [
                &self.u32(0x1a2b_3c4d)[..],
                &self.u16(1),
                &self.u16(0),
                &[0xff; 8],
            ]
            .concat();
            self.block(0x0a0d_0d0a, &body);
        }
        fn idb(&mut self, linktype: u16, snaplen: u32, opts: &[Vec<u8>]) {
            let mut body = [&self.u16(linktype)[..], &[0, 0], &self.u32(snaplen)].concat();
            for o in opts {
                body.extend_from_slice(o);
            }
            if !opts.is_empty() {
                body.extend_from_slice(&[0; 4]);
            }
            self.block(1, &body);
        }
        fn epb(&mut self, iface: u32, ts: u64, data: &[u8], wire_len: u32) {
            let body = [
                &self.u32(iface)[..],
                &self.u32((ts >> 32) as u32),
                &self.u32(ts as u32),
                &self.u32(data.len() as u32),
                &self.u32(wire_len),
                data,
            ]
            .concat();
            self.block(6, &body);
        }
    }

    /// A hand-built file exercising what real captures rarely contain: a big-endian
    /// section with binary and decimal timestamp resolutions, a timestamp offset, SPB,
    /// obsolete PB, unknown and name-resolution blocks, statistics, then a little-endian
    /// section with default (microsecond) resolution.
    #[test]
    fn hand_built_pcapng_both_byte_orders() {
        let mut ng = Ng {
            big: true,
            out: Vec::new(),
        };
        ng.section(true);
        // if 0: Loop, snaplen 8, 2^-10 s units.
        let o = ng.opt(9, &[0x8a]);
        ng.idb(108, 8, &[o]);
        // if 1: raw IP, no snaplen, ms units, +100 s offset.
        let (a, b) = (ng.opt(9, &[3]), ng.opt(14, &100u64.to_be_bytes()));
        ng.idb(101, 0, &[ng.opt(2, b"eth9"), a, b]);
        ng.epb(1, 1500, b"abcde", 5); // 1.5 s + 100 s
        ng.block(0x0bad, &[1, 2, 3, 4, 5, 6, 7, 8]); // unknown block: skipped
        ng.block(4, &[0, 0, 0, 0]); // name resolution, empty
                                    // SPB on if 0: original length 12, snaplen 8 keeps 8 bytes.
        let spb = [&ng.u32(12)[..], b"0123456789ab"].concat();
        ng.block(3, &spb);
        // Obsolete packet block on if 0 at 2048 units = 2 s.
        let pb = [
            &ng.u16(0)[..],
            &ng.u16(0),
            &ng.u32(0),
            &ng.u32(2048),
            &ng.u32(3),
            &ng.u32(60),
            b"xyz",
        ]
        .concat();
        ng.block(2, &pb);
        // Statistics for if 1: isb_ifdrop = 7.
        let isb = [
            &ng.u32(1)[..],
            &ng.u32(0),
            &ng.u32(0),
            &ng.opt(5, &7u64.to_be_bytes()),
            &[0; 4],
        ]
        .concat();
        ng.block(5, &isb);
        ng.section(false);
        ng.idb(1, 65535, &[]);
        ng.epb(0, 3_000_001, b"ethernet", 1514);
        let isb = [
            &ng.u32(0)[..],
            &ng.u32(0),
            &ng.u32(0),
            &ng.opt(5, &5u64.to_le_bytes()),
            &[0; 4],
        ]
        .concat();
        ng.block(5, &isb);

        let mut src = from_reader(Cursor::new(ng.out), Path::new("hand.pcapng")).unwrap();
        let (frames, err) = read_all(&mut *src);
        assert!(err.is_none(), "{err:?}");
        let f = |ts_ns, wire_len, data: &[u8], link, interface| Frame {
            ts_ns,
            wire_len,
            data: data.to_vec(),
            link,
            interface,
        };
        assert_eq!(
            frames,
            vec![
                f(101_500_000_000, 5, b"abcde", LinkType::RawIp, 1),
                // SPB: no timestamp of its own, so the previous packet's.
                f(101_500_000_000, 12, b"01234567", LinkType::Loop, 0),
                f(2_000_000_000, 60, b"xyz", LinkType::Loop, 0),
                f(3_000_001_000, 1514, b"ethernet", LinkType::Ethernet, 2),
            ]
        );
        let stats = src.stats();
        assert_eq!(
            (stats.packets, stats.bytes, stats.kernel_dropped),
            (4, 24, Some(12))
        );
    }

    #[test]
    fn timestamp_resolutions() {
        assert_eq!(TsScale::from_tsresol(6), TsScale::Mul(1000));
        assert_eq!(TsScale::from_tsresol(9), TsScale::Mul(1));
        assert_eq!(TsScale::from_tsresol(0).to_ns(3), 3_000_000_000);
        assert_eq!(TsScale::from_tsresol(12).to_ns(1_234_567), 1_234);
        assert_eq!(TsScale::from_tsresol(0x8a).to_ns(1024), 1_000_000_000);
        assert_eq!(TsScale::from_tsresol(0x80).to_ns(2), 2_000_000_000);
        assert_eq!(TsScale::from_tsresol(0xff).to_ns(u64::MAX), 0);
        assert_eq!(TsScale::from_tsresol(127).to_ns(u64::MAX), 0);
        assert_eq!(TsScale::from_tsresol(0).to_ns(u64::MAX), u64::MAX);
        let iface = |offset_ns| Interface {
            link: LinkType::RawIp,
            snaplen: 0,
            scale: TsScale::Mul(1),
            offset_ns,
            dropped: None,
        };
        assert_eq!(iface(-5_000_000_000).ts_ns(1_000), 0);
        assert_eq!(iface(5).ts_ns(u64::MAX), u64::MAX);
        assert_eq!(iface(-5).ts_ns(10), 5);
    }

    /// Offsets of the sample's blocks, walked independently of the reader (it is a
    /// single little-endian section).
    fn block_offsets(b: &[u8]) -> Vec<usize> {
        let mut offs = Vec::new();
        let mut off = 0;
        while off < b.len() {
            offs.push(off);
            off += u32::from_le_bytes(b[off + 4..off + 8].try_into().unwrap()) as usize;
        }
        offs
    }

    #[test]
    fn truncated_files_keep_the_packets_before_the_cut() {
        let b = sample_bytes();
        let offs = block_offsets(&b);
        // Blocks: SHB, IDB, then 1441 EPBs, then the ISB.
        assert_eq!((offs.len(), offs[2], offs[101]), (1444, 252, 288_572));
        // Cut in the middle of the 100th packet's block, and inside its 8-byte header.
        for cut in [offs[101] + 50, offs[101] + 3, offs[101] + 8] {
            let (frames, err) = read_bytes(b[..cut].to_vec()).unwrap();
            assert_eq!(frames.len(), 99);
            match err {
                Some(CaptureError::Truncated {
                    offset, packets, ..
                }) => assert_eq!((offset, packets), (288_572, 99)),
                other => panic!("{other:?}"),
            }
        }
        // A cut exactly between blocks is a clean (shorter) capture.
        let (frames, err) = read_bytes(b[..offs[101]].to_vec()).unwrap();
        assert_eq!((frames.len(), err.is_none()), (99, true));
        // Inside the section header.
        let (frames, err) = read_bytes(b[..30].to_vec()).unwrap();
        assert!(frames.is_empty());
        assert!(matches!(
            err,
            Some(CaptureError::Truncated {
                offset: 0,
                packets: 0,
                ..
            })
        ));

        // Classic pcap: cut inside the file header, a record header, and record data.
        let p = std::fs::read(data("xspice-remote-viewer-1-20-ns.pcap")).unwrap();
        let e = read_bytes(p[..10].to_vec()).unwrap_err();
        assert!(
            matches!(
                e,
                CaptureError::Truncated {
                    offset: 0,
                    packets: 0,
                    ..
                }
            ),
            "{e}"
        );
        let first_len = u32::from_le_bytes(p[32..36].try_into().unwrap()) as usize;
        let second = 24 + 16 + first_len;
        for cut in [second + 7, second + 16 + 1] {
            let (frames, err) = read_bytes(p[..cut].to_vec()).unwrap();
            assert_eq!(frames.len(), 1);
            let err = err.unwrap();
            assert_eq!(err.packets_before(), Some(1));
            assert!(
                matches!(err, CaptureError::Truncated { offset, .. } if offset == second as u64)
            );
        }
    }

    fn patch_u32(b: &mut [u8], at: usize, v: u32) {
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn corrupt_at(bytes: Vec<u8>) -> (usize, u64, String) {
        let (frames, err) = read_bytes(bytes).unwrap();
        match err {
            Some(e @ CaptureError::Corrupt { offset, .. }) => (frames.len(), offset, e.to_string()),
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn corrupt_blocks_are_reported_where_they_are() {
        let b = sample_bytes();
        let at = block_offsets(&b)[101];

        let mut c = b.clone();
        patch_u32(&mut c, at + 4, 0xffff_fff0);
        let (n, offset, msg) = corrupt_at(c);
        assert_eq!((n, offset), (99, at as u64));
        assert!(msg.contains("has length 4294967280"), "{msg}");
        assert!(msg.contains("take the capture again"), "{msg}");

        for bad in [0, 8, 110] {
            let mut c = b.clone();
            patch_u32(&mut c, at + 4, bad);
            assert_eq!(corrupt_at(c).1, at as u64);
        }

        // Leading and trailing lengths disagree (a length that fits inside the file).
        let mut c = b.clone();
        patch_u32(&mut c, at + 4, 112);
        let (_, offset, msg) = corrupt_at(c);
        assert_eq!(offset, at as u64);
        assert!(msg.contains("length 112 at its start but"), "{msg}");

        // Captured length larger than the block.
        let mut c = b.clone();
        patch_u32(&mut c, at + 20, 5000);
        assert!(corrupt_at(c).2.contains("claims 5000 captured bytes"));

        // A packet on an interface that was never described.
        let mut c = b.clone();
        patch_u32(&mut c, at + 8, 3);
        assert!(corrupt_at(c)
            .2
            .contains("interface 3, but its section describes only 1"));

        // Unknown pcapng major version.
        let mut c = b.clone();
        c[12] = 2;
        assert!(corrupt_at(c)
            .2
            .contains("pcapng version 2.0 is not supported"));

        // Byte-order magic damaged.
        let mut c = b.clone();
        c[8] = 0;
        assert!(corrupt_at(c).2.contains("byte-order magic"));

        // A length that is plausible but runs past the end of the file is a truncation,
        // and costs no more memory than the file holds.
        let mut c = b.clone();
        patch_u32(&mut c, at + 4, 64 << 20);
        let (frames, err) = read_bytes(c).unwrap();
        assert_eq!(frames.len(), 99);
        assert!(matches!(err, Some(CaptureError::Truncated { .. })));

        // pcap record claiming more than the limit.
        let mut p = std::fs::read(data("xspice-remote-viewer-1-20-ns.pcap")).unwrap();
        patch_u32(&mut p, 24 + 8, 0xffff_fff0);
        let (n, offset, msg) = corrupt_at(p);
        assert_eq!((n, offset), (0, 24));
        assert!(
            msg.contains("record claims 4294967280 captured bytes"),
            "{msg}"
        );
    }

    #[test]
    fn buffer_grows_only_with_data_that_arrives() {
        let mut body = Body {
            r: BufReader::new(Cursor::new(vec![7u8; 1000])),
            buf: Vec::new(),
            path: "x".into(),
            offset: 0,
        };
        assert!(matches!(body.fill(100 << 20), Err(Short::Eof(1000))));
        assert!(body.buf.len() <= 1000 + GROW_CHUNK);
        assert!(body.buf.capacity() <= 2 * (1000 + GROW_CHUNK));
    }

    #[test]
    fn not_captures() {
        let e = read_bytes(Vec::new()).unwrap_err();
        assert!(
            matches!(e, CaptureError::NotACapture { magic: None, .. }),
            "{e}"
        );
        let e = read_bytes(b"abc".to_vec()).unwrap_err();
        assert!(
            matches!(e, CaptureError::NotACapture { magic: None, .. }),
            "{e}"
        );
        let e = read_bytes(b"hello world".to_vec()).unwrap_err();
        assert!(matches!(
            e,
            CaptureError::NotACapture {
                magic: Some(0x6865_6c6c),
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "mem.cap: not a pcap or pcapng capture (it starts with 0x68656c6c): give a file written by tcpdump, dumpcap/tshark or spicebench; other capture formats can be converted with `editcap -F pcapng IN OUT`"
        );
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pcapng");
        std::fs::write(&empty, b"").unwrap();
        assert!(matches!(
            open_file(&empty),
            Err(CaptureError::NotACapture { .. })
        ));
        let missing = dir.path().join("missing.pcapng");
        let e = open_file(&missing).err().unwrap();
        assert!(matches!(&e, CaptureError::Io { path, .. } if *path == missing));
        assert!(e
            .to_string()
            .contains("missing.pcapng: cannot read or write the capture file"));
    }

    /// Deterministic xorshift, so failures reproduce.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    /// Random garbage behind each magic, and random damage to real files: every read ends
    /// (in packets, a clean end or an error) without panicking.
    #[test]
    fn garbage_never_panics() {
        let mut next = rng(0x5eed);
        let magics: [&[u8]; 6] = [
            &[0x0a, 0x0d, 0x0d, 0x0a],
            &[
                0x0a, 0x0d, 0x0d, 0x0a, 0x1a, 0x00, 0x00, 0x00, 0x1a, 0x2b, 0x3c, 0x4d,
            ],
            &[0xd4, 0xc3, 0xb2, 0xa1],
            &[0xa1, 0xb2, 0x3c, 0x4d],
            &[],
            &[0x1f, 0x8b],
        ];
        for i in 0..3000 {
            let len = (next() % 600) as usize;
            let mut b = magics[i % magics.len()].to_vec();
            b.extend((0..len).map(|_| next() as u8));
            if let Ok((frames, _)) = read_bytes(b) {
                assert!(frames.len() <= 600);
            }
        }
        let sample = sample_bytes();
        let pcap = std::fs::read(data("xspice-remote-viewer-1-20-ns.pcap")).unwrap();
        for i in 0..400 {
            let base = if i % 2 == 0 {
                &sample[..40_000]
            } else {
                &pcap[..]
            };
            let mut b = base.to_vec();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % b.len();
                b[at] = next() as u8;
            }
            let cut = b.len() - (next() as usize) % 64;
            b.truncate(cut);
            if let Ok((frames, _)) = read_bytes(b) {
                for f in &frames {
                    let _ = decode_tcp(f.link, &f.data);
                }
            }
        }
    }

    /// Throughput note, not a check: `cargo test --release -- --ignored --nocapture
    /// read_decode_throughput` reads the sample 1000 times through `open_file` and
    /// `decode_tcp` and prints MB/s (file bytes per second).
    #[test]
    #[ignore]
    fn read_decode_throughput() {
        let path = data("xspice-remote-viewer.pcapng");
        let size = std::fs::metadata(&path).unwrap().len();
        let rounds = 1000;
        for decode in [false, true] {
            let t = std::time::Instant::now();
            let mut payload = 0u64;
            for _ in 0..rounds {
                let mut src = open_file(&path).unwrap();
                while let Some(p) = src.next_packet().unwrap() {
                    if decode {
                        payload +=
                            decode_tcp(p.link, p.data).map_or(0, |s| u64::from(s.payload_len));
                    } else {
                        payload += p.data.len() as u64;
                    }
                }
            }
            let secs = t.elapsed().as_secs_f64();
            println!(
                "{}: {:.0} MB/s, {:.1} Mpackets/s ({payload})",
                if decode {
                    "read+decode_tcp"
                } else {
                    "read only"
                },
                (size * rounds) as f64 / secs / 1e6,
                (SAMPLE_PACKETS * rounds) as f64 / secs / 1e6
            );
        }
    }
}
