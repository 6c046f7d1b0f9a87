//! A message writer shared by a channel's async reader (acks, pongs) and the input thread.
//!
//! The input thread must write at precise times without going through the async runtime, so
//! writes are synchronous on a duplicate of the socket. The socket is non-blocking (the tokio
//! reader owns the other handle), so a full send buffer is waited out with `poll(2)`. Each
//! message is written whole under one lock, so messages from different threads never
//! interleave, and the send is recorded with the time the write returned.

use std::io::{ErrorKind, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::Mutex;

use super::events::{Recorder, TrafficRecord};
use super::tls::SharedTls;
use crate::clock::Clock;
use crate::wire::header::{emit_message, HeaderKind};
use crate::wire::names::Direction;

/// How long a write may wait for send-buffer space before the connection counts as stuck.
const WRITE_STALL_MS: i32 = 5_000;

/// Serialises whole messages onto one channel connection.
pub struct ChannelWriter {
    stream: Mutex<TcpStream>,
    /// The channel's TLS session, when it has one (shared with its reader).
    tls: Option<SharedTls>,
    kind: HeaderKind,
    channel: usize,
    clock: Clock,
    recorder: Recorder,
}

impl std::fmt::Debug for ChannelWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelWriter")
            .field("channel", &self.channel)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl ChannelWriter {
    /// Wraps `stream` (a duplicate of the connection) for channel index `channel`.
    pub fn new(
        stream: TcpStream,
        kind: HeaderKind,
        channel: usize,
        clock: Clock,
        recorder: Recorder,
    ) -> Self {
        Self::with_tls(stream, None, kind, channel, clock, recorder)
    }

    /// [`ChannelWriter::new`] for a connection whose bytes go through `tls`.
    pub fn with_tls(
        stream: TcpStream,
        tls: Option<SharedTls>,
        kind: HeaderKind,
        channel: usize,
        clock: Clock,
        recorder: Recorder,
    ) -> Self {
        Self {
            stream: Mutex::new(stream),
            tls,
            kind,
            channel,
            clock,
            recorder,
        }
    }

    /// The clock sends are timed on.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// Writes one message and returns the time the write completed (µs since the epoch).
    pub fn send(&self, msg_type: u16, body: &[u8]) -> std::io::Result<u64> {
        let bytes = emit_message(self.kind, 0, msg_type, body);
        let mut stream = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        match &self.tls {
            Some(tls) => super::tls::write_all(&mut super::tls::lock(tls), &mut stream, &bytes)?,
            None => write_all_nonblocking(&mut stream, &bytes)?,
        }
        let at_us = self.clock.now_us();
        drop(stream);
        self.recorder.traffic(TrafficRecord {
            at_us,
            channel: self.channel,
            direction: Direction::Up,
            msg_type,
            bytes: bytes.len() as u64,
        });
        Ok(at_us)
    }

    /// The smallest round trip the kernel has measured on this connection (TCP_INFO
    /// `tcpi_min_rtt`), µs; `None` where the kernel does not say.
    pub fn min_rtt_us(&self) -> Option<u64> {
        let stream = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: tcp_info is plain old data; getsockopt writes at most `len` bytes into it.
        let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        // SAFETY: the fd is a live TCP socket owned by `stream`; `info` and `len` are valid.
        let rc = unsafe {
            libc::getsockopt(
                stream.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&mut info as *mut libc::tcp_info).cast(),
                &mut len,
            )
        };
        // Kernels before 4.9 return a shorter struct without min_rtt; 0 and u32::MAX mean
        // "no sample yet".
        let has_min_rtt = len as usize >= std::mem::offset_of!(libc::tcp_info, tcpi_min_rtt) + 4;
        (rc == 0 && has_min_rtt && info.tcpi_min_rtt != 0 && info.tcpi_min_rtt != u32::MAX)
            .then_some(u64::from(info.tcpi_min_rtt))
    }

    /// Shuts the connection down in both directions, which also ends the reader.
    pub fn shutdown(&self) {
        let stream = self.stream.lock().unwrap_or_else(|e| e.into_inner());
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }
}

fn write_all_nonblocking(stream: &mut TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match stream.write(bytes) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => wait_writable(stream)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Waits until the (non-blocking) socket takes bytes again, at most [`WRITE_STALL_MS`].
pub(crate) fn wait_writable(stream: &TcpStream) -> std::io::Result<()> {
    let mut pfd = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd for a socket we own, for the duration of the call.
    let r = unsafe { libc::poll(&mut pfd, 1, WRITE_STALL_MS) };
    if r == 0 {
        return Err(std::io::Error::new(
            ErrorKind::TimedOut,
            "the server has not read from this connection for 5 s",
        ));
    }
    Ok(())
}
