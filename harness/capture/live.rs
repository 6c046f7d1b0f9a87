//! Live capture with libpcap (through the `pcap` crate), streamed to a pcapng file by a
//! background thread.
//!
//! The handle is opened with immediate mode (packets are delivered as they arrive, not when
//! a kernel block fills), a large kernel buffer (bursts of SPICE display traffic must not
//! overflow it) and promiscuous mode off (spicebench only needs its own traffic). A stop
//! request wakes the capture thread with pcap_breakloop, then the thread drains what the
//! kernel already queued without blocking, so stopping takes milliseconds.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::writer::{InterfaceStatistics, PcapngWriter};
use super::{CaptureError, LinkType, SourceStats};

/// Default snaplen: whole frames, including 64 KiB loopback super-packets.
pub const DEFAULT_SNAPLEN: u32 = 262_144;
/// Default kernel buffer: 64 MiB, about half a second of a saturated gigabit link.
pub const DEFAULT_BUFFER_BYTES: u32 = 64 << 20;
/// Read timeout. Where libpcap honours it on an idle link it lets the thread re-check the
/// stop flag; on Linux a stop relies on pcap_breakloop instead.
const READ_TIMEOUT_MS: i32 = 50;
/// After a stop request, packets already queued in the kernel are still written; under
/// continuous traffic draining ends after this long so that stopping stays prompt.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);
/// Output buffer of the capture file.
const WRITE_BUFFER: usize = 1 << 20;

/// `pcap_tstamp_precision` values.
const PCAP_TSTAMP_PRECISION_NANO: i32 = 1;

extern "C" {
    // Not wrapped by the `pcap` crate; libpcap is linked by it. Declared with an opaque
    // pointer because the crate's `pcap_t` type is private.
    fn pcap_get_tstamp_precision(p: *mut std::ffi::c_void) -> std::ffi::c_int;
}

/// An activated libpcap capture with its filter set, ready to be spawned to a file.
///
/// Packets are queued in the kernel from the moment [`LiveCapture::open`] returns, so
/// traffic started after `open` is captured even before [`LiveCapture::spawn_to_file`].
pub struct LiveCapture {
    cap: pcap::Capture<pcap::Active>,
    interface: String,
    link: LinkType,
    snaplen: u32,
    nanos: bool,
}

impl std::fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCapture")
            .field("interface", &self.interface)
            .field("link", &self.link)
            .field("snaplen", &self.snaplen)
            .finish_non_exhaustive()
    }
}

impl LiveCapture {
    /// Opens `interface` (e.g. `"lo"`, `"any"`) with BPF filter `bpf_filter` (pcap-filter
    /// syntax; empty for everything), capturing at most `snaplen` bytes per frame into a
    /// kernel buffer of `buffer_size_bytes` (see [`DEFAULT_SNAPLEN`] and
    /// [`DEFAULT_BUFFER_BYTES`]).
    ///
    /// Fails with [`CaptureError::Permission`] without root or CAP_NET_RAW+CAP_NET_ADMIN,
    /// with [`CaptureError::UnsupportedLink`] when the interface's frames could not be
    /// decoded, and with [`CaptureError::Live`] otherwise.
    pub fn open(
        interface: &str,
        bpf_filter: &str,
        snaplen: u32,
        buffer_size_bytes: u32,
    ) -> Result<Self, CaptureError> {
        let to_i32 = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        let cap = pcap::Capture::from_device(interface)
            .map_err(|e| pcap_error(interface, "preparing the capture", e))?
            .promisc(false)
            .snaplen(to_i32(snaplen))
            .buffer_size(to_i32(buffer_size_bytes))
            // Immediate mode costs a wake-up per packet and a 64 KiB ring slot per frame, but in
            // block mode a stop loses the partly filled last block (measured), and a run must
            // end with every packet of its session on file.
            .immediate_mode(true)
            .timeout(READ_TIMEOUT_MS)
            .precision(pcap::Precision::Nano);
        let mut cap = cap
            .open()
            .map_err(|e| pcap_error(interface, "activating the capture", e))?;
        // SAFETY: `cap` owns a live, activated pcap_t for the duration of the call, and
        // pcap_get_tstamp_precision only reads a field of it.
        let precision = unsafe { pcap_get_tstamp_precision(cap.as_ptr().cast()) };
        // libpcap hands out DLT_* numbers; they equal LINKTYPE_* except raw IP (DLT_RAW
        // is 12 or 14 depending on the platform, LINKTYPE_RAW is 101).
        let link = match cap.get_datalink().0 {
            12 | 14 => LinkType::RawIp,
            dlt => LinkType::from_linktype(u32::try_from(dlt).unwrap_or(u32::MAX)),
        };
        if let LinkType::Other(n) = link {
            return Err(CaptureError::UnsupportedLink(n));
        }
        cap.filter(bpf_filter, true).map_err(|e| CaptureError::Live {
            detail: format!(
                "BPF filter `{bpf_filter}` is not valid on {interface}: {e}; check its pcap-filter(7) syntax, e.g. `tcp port 5930`"
            ),
        })?;
        Ok(Self {
            cap,
            interface: interface.to_string(),
            link,
            snaplen,
            nanos: precision == PCAP_TSTAMP_PRECISION_NANO,
        })
    }

    /// The link type of captured frames.
    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Starts a thread that writes every captured packet to a new pcapng file at `path`
    /// until [`CaptureHandle::stop`]. Fails if the file cannot be created.
    pub fn spawn_to_file(mut self, path: &Path) -> Result<CaptureHandle, CaptureError> {
        let file = File::create(path).map_err(CaptureError::io(path))?;
        let writer = PcapngWriter::new(
            BufWriter::with_capacity(WRITE_BUFFER, file),
            &[(self.link, self.snaplen, &self.interface)],
        )
        .map_err(CaptureError::io(path))?;
        let breaker = self.cap.breakloop_handle();
        let stop = Arc::new(AtomicBool::new(false));
        let packets = Arc::new(AtomicU64::new(0));
        let (stop2, packets2, path2) = (stop.clone(), packets.clone(), path.to_path_buf());
        let thread = std::thread::Builder::new()
            .name("spicebench-capture".into())
            .spawn(move || self.run(writer, &stop2, &packets2, &path2))
            .map_err(|e| CaptureError::Live {
                detail: format!("cannot start the capture thread: {e}"),
            })?;
        Ok(CaptureHandle {
            stop,
            breaker,
            packets,
            thread: Some(thread),
            path: path.to_path_buf(),
        })
    }

    /// The capture thread: read until stopped, drain what the kernel still holds, record
    /// libpcap's statistics in an ISB, flush.
    fn run(
        self,
        mut writer: PcapngWriter<BufWriter<File>>,
        stop: &AtomicBool,
        packets: &AtomicU64,
        path: &Path,
    ) -> Result<SourceStats, CaptureError> {
        let Self {
            mut cap,
            interface,
            nanos,
            ..
        } = self;
        let mut stats = SourceStats::default();
        let read_error = |e: pcap::Error| CaptureError::Live {
            detail: format!(
                "reading packets on {interface} failed: {e}; check that the interface is still up"
            ),
        };
        let mut write = |p: pcap::Packet<'_>, stats: &mut SourceStats| {
            let ts_ns = timeval_ns(p.header.ts.tv_sec, p.header.ts.tv_usec, nanos);
            writer
                .write_packet(0, ts_ns, p.header.len, p.data)
                .map_err(CaptureError::io(path))?;
            stats.packets += 1;
            stats.bytes += p.data.len() as u64;
            packets.store(stats.packets, Ordering::Relaxed);
            Ok::<(), CaptureError>(())
        };
        // Blocking reads. On Linux, libpcap >= 1.10 does not return from a read on an idle
        // link when the timeout expires, so `CaptureHandle::stop` wakes the read with
        // pcap_breakloop, which surfaces as `NoMorePackets`.
        while !stop.load(Ordering::Acquire) {
            match cap.next_packet() {
                Ok(p) => write(p, &mut stats)?,
                Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {}
                Err(e) => return Err(read_error(e)),
            }
        }
        // Drain what the kernel queued before the stop request, without blocking. In
        // immediate mode queued packets are readable at once; two empty polls 5 ms apart
        // also catch a packet still on its way through the stack.
        let mut cap = cap.setnonblock().map_err(read_error)?;
        let deadline = Instant::now() + DRAIN_LIMIT;
        let mut empty_polls = 0;
        while empty_polls < 2 && Instant::now() < deadline {
            match cap.next_packet() {
                Ok(p) => {
                    write(p, &mut stats)?;
                    empty_polls = 0;
                }
                Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {
                    empty_polls += 1;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(read_error(e)),
            }
        }
        let ps = cap.stats().map_err(|e| CaptureError::Live {
            detail: format!("libpcap statistics for {interface}: {e}"),
        })?;
        stats.kernel_dropped = Some(u64::from(ps.dropped));
        stats.interface_dropped = Some(u64::from(ps.if_dropped));
        let isb = InterfaceStatistics {
            received: Some(u64::from(ps.received)),
            kernel_dropped: stats.kernel_dropped,
            interface_dropped: stats.interface_dropped,
            delivered: Some(stats.packets),
        };
        let now_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        writer
            .write_interface_statistics(0, now_ns, &isb)
            .and_then(|()| writer.flush())
            .map_err(CaptureError::io(path))?;
        Ok(stats)
    }
}

/// A running capture thread; [`CaptureHandle::stop`] ends it. Dropping the handle also
/// stops the capture and closes the file, discarding the result.
pub struct CaptureHandle {
    stop: Arc<AtomicBool>,
    /// Wakes the capture thread out of a blocking read.
    breaker: pcap::BreakLoop,
    packets: Arc<AtomicU64>,
    thread: Option<JoinHandle<Result<SourceStats, CaptureError>>>,
    path: PathBuf,
}

impl std::fmt::Debug for CaptureHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureHandle")
            .field("path", &self.path)
            .field("packets", &self.packets())
            .finish_non_exhaustive()
    }
}

impl CaptureHandle {
    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets.load(Ordering::Relaxed)
    }

    /// Stops the capture after writing what the kernel already queued, closes the file and
    /// returns the packets and bytes written and libpcap's drop counters (`ps_drop`,
    /// `ps_ifdrop`). Returns the thread's error if the capture failed earlier. Takes about
    /// 10 ms, at most about a second under continuous traffic.
    pub fn stop(mut self) -> Result<SourceStats, CaptureError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<SourceStats, CaptureError> {
        self.stop.store(true, Ordering::Release);
        self.breaker.breakloop();
        match self.thread.take() {
            Some(t) => t.join().unwrap_or_else(|_| {
                Err(CaptureError::Live {
                    detail: "the capture thread panicked".into(),
                })
            }),
            None => Err(CaptureError::Live {
                detail: "the capture was already stopped".into(),
            }),
        }
    }
}

impl Drop for CaptureHandle {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.finish();
        }
    }
}

/// ns since the epoch from a pcap timeval whose fraction is ns or µs.
fn timeval_ns(sec: i64, frac: i64, nanos: bool) -> u64 {
    let frac_ns = if nanos {
        frac
    } else {
        frac.saturating_mul(1000)
    };
    let ns = i128::from(sec) * 1_000_000_000 + i128::from(frac_ns);
    u64::try_from(ns.max(0)).unwrap_or(u64::MAX)
}

/// Maps a libpcap error: privilege problems to [`CaptureError::Permission`], the rest to
/// [`CaptureError::Live`] with what was being done.
fn pcap_error(interface: &str, doing: &str, e: pcap::Error) -> CaptureError {
    // The crate's Display prefixes "libpcap error: ", which the messages here already imply.
    let text = match e {
        pcap::Error::PcapError(s) => s,
        other => other.to_string(),
    };
    let lower = text.to_ascii_lowercase();
    // libpcap words it differently per version and step ("You don't have permission",
    // "Operation not permitted", "CAP_NET_RAW may be required").
    if ["permission", "not permitted", "eperm", "cap_net_raw"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return CaptureError::Permission {
            interface: interface.to_string(),
            detail: text,
        };
    }
    let hint = if lower.contains("no such device") || lower.contains("doesn't exist") {
        "; list interfaces with `ip link` (or use `any`)"
    } else {
        ""
    };
    CaptureError::Live {
        detail: format!("{doing} on {interface}: {text}{hint}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{decode_tcp, open_file};
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn permission_errors_are_recognised() {
        // The messages libpcap 1.10 gives without privileges (pcap-linux.c).
        for msg in [
            "lo: You don't have permission to perform this capture on that device (socket: Operation not permitted)",
            "socket: Operation not permitted",
            "Attempt to create packet socket failed - CAP_NET_RAW may be required",
        ] {
            let e = pcap_error("lo", "activating the capture", pcap::Error::PcapError(msg.into()));
            assert!(matches!(&e, CaptureError::Permission { interface, .. } if interface == "lo"), "{e}");
        }
        let e = pcap_error(
            "nope0",
            "activating the capture",
            pcap::Error::PcapError(
                "nope0: No such device exists (SIOCGIFHWADDR: No such device)".into(),
            ),
        );
        assert_eq!(
            e.to_string(),
            "live capture failed: activating the capture on nope0: nope0: No such device exists (SIOCGIFHWADDR: No such device); list interfaces with `ip link` (or use `any`)"
        );
    }

    #[test]
    fn timevals() {
        assert_eq!(timeval_ns(1, 5, true), 1_000_000_005);
        assert_eq!(timeval_ns(1, 5, false), 1_000_005_000);
        assert_eq!(timeval_ns(-5, 0, true), 0);
    }

    fn is_root() -> bool {
        std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
    }

    /// Stops the capture from another thread so that a hang fails the test instead of
    /// blocking the suite; returns the result and how long stopping took.
    fn stop_or_fail(handle: CaptureHandle) -> (SourceStats, Duration) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let t = Instant::now();
            let r = handle.stop();
            let _ = tx.send((r, t.elapsed()));
        });
        let (r, took) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("CaptureHandle::stop hung for 10 s");
        (r.unwrap(), took)
    }

    /// Opens a live capture, or explains why the test cannot run (not root).
    fn open_or_skip(filter: &str) -> Option<LiveCapture> {
        match LiveCapture::open("lo", filter, DEFAULT_SNAPLEN, DEFAULT_BUFFER_BYTES) {
            Ok(c) => Some(c),
            Err(e @ CaptureError::Permission { .. }) if !is_root() => {
                eprintln!("note: skipping live capture test, not root: {e}");
                None
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn bad_filter_and_interface_are_clear_errors() {
        let Some(_) = open_or_skip("") else { return };
        let e =
            LiveCapture::open("lo", "tcp port", DEFAULT_SNAPLEN, DEFAULT_BUFFER_BYTES).unwrap_err();
        assert!(
            e.to_string()
                .contains("BPF filter `tcp port` is not valid on lo"),
            "{e}"
        );
        let e = LiveCapture::open("nope0", "", DEFAULT_SNAPLEN, DEFAULT_BUFFER_BYTES).unwrap_err();
        assert!(e.to_string().contains("`ip link`"), "{e}");
    }

    /// 1 MiB through a loopback TCP connection: the capture holds exactly that much
    /// client-to-server payload, nothing was dropped, and stopping is prompt.
    #[test]
    fn captures_a_megabyte_on_loopback() {
        const SIZE: usize = 1 << 20;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let Some(cap) = open_or_skip(&format!("tcp port {port}")) else {
            return;
        };
        assert_eq!(cap.link(), LinkType::Ethernet);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.pcapng");
        let handle = cap.spawn_to_file(&path).unwrap();

        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            got.len()
        });
        let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
        client.write_all(&data).unwrap();
        drop(client);
        assert_eq!(server.join().unwrap(), SIZE);

        let (stats, took) = stop_or_fail(handle);
        eprintln!("stop took {took:?}; {stats:?}");
        assert_eq!(stats.kernel_dropped, Some(0));

        let mut src = open_file(&path).unwrap();
        // Payload bytes as the wire carried them, and the client's byte stream rebuilt by
        // sequence number. They differ when TCP retransmits, which it legitimately does on
        // loopback too (e.g. a tail-loss probe after the receiver trimmed a segment to its
        // window), so the exact check is on the rebuilt stream.
        let (mut to_server, mut to_client, mut n) = (0u64, 0u64, 0u64);
        let mut isn = None;
        let mut stream = vec![0u8; SIZE];
        let mut covered = vec![false; SIZE];
        while let Some(p) = src.next_packet().unwrap() {
            let seg = decode_tcp(p.link, p.data).expect("only TCP passes the filter");
            assert_eq!(
                seg.payload.len() as u32,
                seg.payload_len,
                "snaplen cut a frame"
            );
            n += 1;
            if seg.dst.port() != port {
                to_client += u64::from(seg.payload_len);
                continue;
            }
            to_server += u64::from(seg.payload_len);
            if seg.syn {
                isn = Some(seg.seq);
            }
            if seg.payload.is_empty() {
                continue;
            }
            let at = seg.seq.wrapping_sub(isn.expect("SYN captured") + 1) as usize;
            stream[at..at + seg.payload.len()].copy_from_slice(seg.payload);
            covered[at..at + seg.payload.len()].fill(true);
        }
        eprintln!(
            "{n} packets, {to_server} payload bytes to the server ({} retransmitted)",
            to_server - SIZE as u64
        );
        assert!(
            covered.iter().all(|&c| c),
            "some client bytes were not captured"
        );
        assert_eq!(stream, data);
        assert!(to_server >= SIZE as u64);
        assert_eq!(to_client, 0);
        let file_stats = src.stats();
        assert_eq!((file_stats.packets, n), (stats.packets, stats.packets));
        assert_eq!(file_stats.bytes, stats.bytes);
        assert_eq!(file_stats.kernel_dropped, Some(0));
    }

    #[test]
    fn idle_capture_stops_promptly() {
        let Some(cap) = open_or_skip("tcp port 9") else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let handle = cap.spawn_to_file(&dir.path().join("idle.pcapng")).unwrap();
        std::thread::sleep(Duration::from_millis(120));
        let (stats, took) = stop_or_fail(handle);
        eprintln!("idle stop took {took:?}");
        assert_eq!((stats.packets, stats.kernel_dropped), (0, Some(0)));
        let mut src = open_file(&dir.path().join("idle.pcapng")).unwrap();
        assert!(src.next_packet().unwrap().is_none());
        assert_eq!(src.stats().kernel_dropped, Some(0));
    }
}
