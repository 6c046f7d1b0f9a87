//! Connecting a whole session: main first, then every listed channel we measure.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::channel::{run_reader, ChannelContext};
use super::events::{ChannelInfo, EventLog, Recorder};
use super::inject::{run_script, InjectReport, InputGate, ScheduledStep};
use super::link::{link, Linked};
use super::state::{SessionState, Shared};
use super::writer::ChannelWriter;
use super::ClientError;
use crate::clock::Clock;
use crate::wire::display::{self, DisplayInit};
use crate::wire::duties::ChannelDuties;
use crate::wire::main_channel::mouse_mode;
use crate::wire::ChannelType;

/// Runs pointer scripts for a session from a plain thread (see [`super::inject`]).
#[derive(Debug, Clone)]
pub struct ScriptRunner {
    shared: Arc<Shared>,
    clock: Clock,
}

impl ScriptRunner {
    /// Sends `steps` at their times; blocks until done or until the session fails or
    /// [`ScriptRunner::cancel`] is called.
    pub fn run(&self, steps: &[ScheduledStep]) -> InjectReport {
        let shared = self.shared.clone();
        let stop = move || {
            if shared.cancelled.load(Ordering::SeqCst) {
                return Some("cancelled".to_string());
            }
            shared.failure()
        };
        run_script(&self.shared.inputs, &self.clock, steps, &stop)
    }

    /// Stops a running script before its next step.
    pub fn cancel(&self) {
        self.shared.cancelled.store(true, Ordering::SeqCst);
    }
}

/// Which mouse mode to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MousePreference {
    /// Absolute positions when the server allows them (what remote-viewer does).
    Client,
    /// Relative motion, whatever the server allows.
    Server,
}

impl MousePreference {
    /// The `mouse_mode::*` value the main channel asks for.
    fn wire_mode(self) -> u32 {
        match self {
            Self::Client => mouse_mode::CLIENT,
            Self::Server => mouse_mode::SERVER,
        }
    }
}

/// How to reach the server and what to ask of it.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// `host:port`.
    pub addr: String,
    /// Ticket password (empty when ticketing is disabled); never printed.
    pub password: crate::secret::Secret,
    /// SpiceImageCompression code sent as PREFERRED_COMPRESSION, if any.
    pub preferred_compression: Option<u8>,
    /// SpiceVideoCodecType codes sent as PREFERRED_VIDEO_CODEC_TYPE, most wanted first.
    pub preferred_video_codecs: Vec<u8>,
    /// Mouse mode preference.
    pub mouse: MousePreference,
    /// Limit for each TCP connect and for each wait during setup.
    pub timeout: Duration,
    /// TLS on every channel, when the server's port is a TLS port.
    pub tls: Option<super::tls::TlsSettings>,
    /// How to open each connection, when not from this process's own network namespace.
    pub connector: Option<super::connector::Connector>,
}

impl SessionConfig {
    /// A session to `addr` (`host:port`) with `password` ("" without ticketing): client mouse
    /// mode when offered, the server's own compression, 10 s for each connect and wait.
    pub fn new(addr: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            addr: addr.into(),
            password: crate::secret::Secret::new(password),
            preferred_compression: None,
            preferred_video_codecs: Vec::new(),
            mouse: MousePreference::Client,
            timeout: Duration::from_secs(10),
            tls: None,
            connector: None,
        }
    }
}

/// A display preference as a message: what the client sends at connection or mid-session,
/// and the server capability it needs.
struct Preference {
    cap: u32,
    msg_type: u16,
    body: Vec<u8>,
    /// The message's name, for notes and errors.
    name: &'static str,
    /// The server setting that applies when the server does not take the message.
    server_setting: &'static str,
}

impl Preference {
    fn compression(code: u8) -> Self {
        Self {
            cap: display::cap::PREF_COMPRESSION,
            msg_type: display::client::PREFERRED_COMPRESSION,
            body: display::preferred_compression(code),
            name: "PREFERRED_COMPRESSION",
            server_setting: "image-compression",
        }
    }

    fn video_codecs(codes: &[u8]) -> Self {
        Self {
            cap: display::cap::PREF_VIDEO_CODEC_TYPE,
            msg_type: display::client::PREFERRED_VIDEO_CODEC_TYPE,
            body: display::preferred_video_codecs(codes),
            name: "PREFERRED_VIDEO_CODEC_TYPE",
            server_setting: "video-codecs",
        }
    }
}

/// A connected session.
#[derive(Debug)]
pub struct Session {
    clock: Clock,
    recorder: Recorder,
    shared: Arc<Shared>,
    writers: Vec<Arc<ChannelWriter>>,
    /// The display channels' writers with their server caps (for switches mid-session).
    displays: Vec<(Arc<ChannelWriter>, crate::wire::link::Caps)>,
    tasks: Vec<JoinHandle<()>>,
    server: SocketAddr,
    compression_note: Option<String>,
    mouse: MousePreference,
}

/// Channel types we link; the rest of a CHANNELS_LIST (record, usbredir, ...) would need
/// duties we do not perform.
const MEASURED: [ChannelType; 4] = [
    ChannelType::DISPLAY,
    ChannelType::INPUTS,
    ChannelType::CURSOR,
    ChannelType::PLAYBACK,
];

/// Waits until `probe` finds what it looks for in the session state, failing early when a
/// channel closes and after `timeout`.
async fn wait_for<T>(
    shared: &Shared,
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut(&SessionState) -> Option<T>,
) -> Result<T, ClientError> {
    let mut rx = shared.state.subscribe();
    let mut found = None;
    // `wait_for` returns a read guard of the watch: keep only whether it timed out, so no
    // reader can block the channel readers' next update.
    let timed_out = tokio::time::timeout(
        timeout,
        rx.wait_for(|s| {
            found = probe(s);
            found.is_some() || s.failure().is_some()
        }),
    )
    .await
    .is_err();
    if let Some(v) = found {
        return Ok(v);
    }
    match timed_out {
        true => Err(ClientError::Timeout {
            what: what.to_string(),
            seconds: timeout.as_secs_f64(),
        }),
        false => Err(ClientError::Closed {
            channel: shared
                .failure()
                .unwrap_or_else(|| "one of its channels".into()),
            stage: format!("while waiting for {what}"),
        }),
    }
}

impl Session {
    /// Links main and every measured channel, sends DISPLAY_INIT (and PREFERRED_COMPRESSION),
    /// and waits until the initial screen is complete (display MARK) and the mouse mode is
    /// settled.
    pub async fn connect(config: &SessionConfig, clock: Clock) -> Result<Self, ClientError> {
        let recorder = Recorder::default();
        let shared = Arc::new(Shared::default());
        let mut session = Self {
            clock,
            recorder: recorder.clone(),
            shared: shared.clone(),
            writers: Vec::new(),
            displays: Vec::new(),
            tasks: Vec::new(),
            server: "0.0.0.0:0".parse().map_err(|_| ClientError::Timeout {
                what: "address".into(),
                seconds: 0.0,
            })?,
            compression_note: None,
            mouse: config.mouse,
        };
        let result = session.setup(config).await;
        match result {
            Ok(()) => Ok(session),
            Err(e) => {
                session.close().await;
                Err(e)
            }
        }
    }

    async fn setup(&mut self, config: &SessionConfig) -> Result<(), ClientError> {
        let (stream, tls, linked) = self
            .open(config, 0, ChannelType::MAIN, 0, config.password.expose())
            .await?;
        self.server = stream.peer_addr().map_err(|e| ClientError::Io {
            context: "reading the server address".into(),
            source: e,
        })?;
        self.spawn(stream, tls, ChannelType::MAIN, 0, linked)?;

        let shared = self.shared.clone();
        let init = wait_for(&shared, "MAIN_INIT", config.timeout, |s| s.main_init).await?;
        let list = wait_for(&shared, "CHANNELS_LIST", config.timeout, |s| {
            s.channels.clone()
        })
        .await?;

        for (channel_type, channel_id) in list {
            if !MEASURED.contains(&channel_type) {
                continue;
            }
            let (stream, tls, linked) = self
                .open(
                    config,
                    init.session_id,
                    channel_type,
                    channel_id,
                    config.password.expose(),
                )
                .await?;
            let caps = linked.server_channel_caps.clone();
            let writer = self.spawn(stream, tls, channel_type, channel_id, linked)?;
            let io = |e| ClientError::Io {
                context: format!("{channel_type} channel: sending its first messages"),
                source: e,
            };
            match channel_type {
                ChannelType::DISPLAY => {
                    // The server sends nothing on display until DISPLAY_INIT arrives (§6.2).
                    writer
                        .send(
                            display::client::INIT,
                            &DisplayInit::like_spice_gtk(init.ram_hint).emit(),
                        )
                        .map_err(io)?;
                    // Each preference needs its own server cap; without it the server's
                    // setting applies, and the results say so (every such note is kept).
                    let preferences = [
                        config.preferred_compression.map(Preference::compression),
                        (!config.preferred_video_codecs.is_empty())
                            .then(|| Preference::video_codecs(&config.preferred_video_codecs)),
                    ];
                    self.displays.push((writer.clone(), caps.clone()));
                    for p in preferences.into_iter().flatten() {
                        if caps.has(p.cap) {
                            writer.send(p.msg_type, &p.body).map_err(io)?;
                        } else {
                            let note = format!(
                                "the server does not accept {}; its own {} setting applies",
                                p.name, p.server_setting
                            );
                            self.compression_note = Some(match self.compression_note.take() {
                                Some(earlier) => format!("{earlier}; {note}"),
                                None => note,
                            });
                        }
                    }
                }
                ChannelType::INPUTS => {
                    self.shared.inputs.attach(writer, self.recorder.clone());
                }
                _ => {}
            }
        }

        wait_for(
            &shared,
            "the initial screen (display MARK)",
            config.timeout,
            |s| s.marked.then_some(()),
        )
        .await?;
        let (supported, current) = {
            let s = shared.state.borrow();
            (s.supported_mouse, s.mouse_mode)
        };
        if let Some(wanted) =
            crate::wire::duties::mouse_request(self.mouse.wire_mode(), supported, current)
        {
            // The server switches modes on request; if it does not, use what it has.
            let _ = wait_for(
                &shared,
                "the mouse mode switch",
                Duration::from_secs(2),
                |s| (s.mouse_mode == wanted).then_some(()),
            )
            .await;
        }
        self.shared.inputs.set_mode(self.mouse_mode());
        Ok(())
    }

    async fn open(
        &self,
        config: &SessionConfig,
        connection_id: u32,
        channel_type: ChannelType,
        channel_id: u8,
        password: &str,
    ) -> Result<(TcpStream, Option<rustls::ClientConnection>, Linked), ClientError> {
        let connect = async {
            match &config.connector {
                Some(c) => c.connect(&config.addr, config.timeout).await,
                None => TcpStream::connect(&config.addr).await,
            }
        };
        let connect = tokio::time::timeout(config.timeout, connect);
        let mut stream = match connect.await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return Err(ClientError::Connect {
                    addr: config.addr.clone(),
                    source: e,
                })
            }
            Err(_) => {
                return Err(ClientError::Timeout {
                    what: format!("a TCP connection to {}", config.addr),
                    seconds: config.timeout.as_secs_f64(),
                })
            }
        };
        // Inputs must leave at once; Nagle would batch them.
        let _ = stream.set_nodelay(true);
        let silent = |_| ClientError::Timeout {
            what: format!(
                "a reply to the {channel_type} channel's link message: {} accepted the \
                 connection but sent nothing back; is it a SPICE port (and not, say, an HTTP \
                 or an SSH port)?",
                config.addr
            ),
            seconds: config.timeout.as_secs_f64(),
        };
        let Some(settings) = &config.tls else {
            let linked = tokio::time::timeout(
                config.timeout,
                link(
                    &mut stream,
                    connection_id,
                    channel_type,
                    channel_id,
                    password,
                ),
            )
            .await
            .map_err(silent)??;
            return Ok((stream, None, linked));
        };
        let handshake =
            super::tls::connector(settings)?.connect(super::tls::server_name(settings)?, stream);
        let mut tls = tokio::time::timeout(config.timeout, handshake)
            .await
            .map_err(silent)?
            .map_err(|e| ClientError::Tls {
                detail: format!(
                    "the {channel_type} channel's TLS handshake with {} failed: {e}; is it the \
                     TLS port, and does the CA (ca_file) sign its certificate for `{}`?",
                    config.addr, settings.server_name
                ),
            })?;
        let linked = tokio::time::timeout(
            config.timeout,
            link(&mut tls, connection_id, channel_type, channel_id, password),
        )
        .await
        .map_err(silent)??;
        let (stream, conn) = tls.into_inner();
        Ok((stream, Some(conn), linked))
    }

    fn spawn(
        &mut self,
        stream: TcpStream,
        tls: Option<rustls::ClientConnection>,
        channel_type: ChannelType,
        channel_id: u8,
        linked: Linked,
    ) -> Result<Arc<ChannelWriter>, ClientError> {
        let io = |e| ClientError::Io {
            context: format!("{channel_type} channel: setting up the connection"),
            source: e,
        };
        let server = stream.peer_addr().map_err(io)?;
        let local = stream.local_addr().map_err(io)?;
        let index = self.recorder.add_channel(
            ChannelInfo {
                channel_type,
                channel_id,
                server,
                local,
            },
            linked.bytes_down,
            linked.bytes_up,
        );
        let std_stream = stream.into_std().map_err(io)?;
        let write_half = std_stream.try_clone().map_err(io)?;
        let tls = match tls {
            Some(conn) => Some(super::channel::TlsReader {
                conn: Arc::new(std::sync::Mutex::new(conn)),
                socket: std_stream.try_clone().map_err(io)?,
            }),
            None => None,
        };
        let read_half = TcpStream::from_std(std_stream).map_err(io)?;
        let writer = Arc::new(ChannelWriter::with_tls(
            write_half,
            tls.as_ref().map(|t| t.conn.clone()),
            linked.header,
            index,
            self.clock,
            self.recorder.clone(),
        ));
        let ctx = ChannelContext {
            index,
            channel_type,
            writer: writer.clone(),
            shared: self.shared.clone(),
            clock: self.clock,
            recorder: self.recorder.clone(),
            duties: ChannelDuties::new(channel_type, self.mouse.wire_mode()),
        };
        self.tasks
            .push(tokio::spawn(run_reader(read_half, tls, linked.header, ctx)));
        self.writers.push(writer.clone());
        Ok(writer)
    }

    /// The session clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The server's address as connected.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The mouse mode in force (1 server, 2 client).
    pub fn mouse_mode(&self) -> u32 {
        self.shared.state.borrow().mouse_mode
    }

    /// The session state as the readers publish it.
    pub fn state(&self) -> watch::Receiver<SessionState> {
        self.shared.state.subscribe()
    }

    /// The time of the latest display update (µs since the epoch), as it changes.
    pub fn updates(&self) -> watch::Receiver<Option<u64>> {
        self.shared.last_update.subscribe()
    }

    /// Asks every display channel for image compression `code` (`SpiceImageCompression`)
    /// now, mid-session, and returns when the last request was written (µs since the epoch).
    pub fn prefer_compression(&self, code: u8) -> Result<u64, String> {
        self.send_preference(&Preference::compression(code))
    }

    /// Asks every display channel for video codecs `codes` (SpiceVideoCodecType, first
    /// preferred) now, mid-session; returns when the last request was written.
    pub fn prefer_video_codecs(&self, codes: &[u8]) -> Result<u64, String> {
        self.send_preference(&Preference::video_codecs(codes))
    }

    fn send_preference(&self, p: &Preference) -> Result<u64, String> {
        if self.displays.is_empty() {
            return Err("the session has no display channel to ask".into());
        }
        if self.displays.iter().any(|(_, caps)| !caps.has(p.cap)) {
            return Err(format!(
                "the server does not accept {} (its display channel lacks the capability): \
                 its own {} setting applies; remove the prefer step",
                p.name, p.server_setting
            ));
        }
        let mut sent = 0;
        for (writer, _) in &self.displays {
            sent = writer
                .send(p.msg_type, &p.body)
                .map_err(|e| format!("sending {}: {e}", p.name))?;
        }
        Ok(sent)
    }

    /// Why preferred compression could not be applied, if it could not.
    pub fn compression_note(&self) -> Option<&str> {
        self.compression_note.as_deref()
    }

    /// The event recorder.
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// The input gate the input thread sends through.
    pub fn input_gate(&self) -> &InputGate {
        &self.shared.inputs
    }

    /// A handle that runs a pointer script on a thread of the caller's choosing.
    pub fn script_runner(&self) -> ScriptRunner {
        ScriptRunner {
            shared: self.shared.clone(),
            clock: self.clock,
        }
    }

    /// The first reason a channel closed unexpectedly, if one did.
    pub fn failure(&self) -> Option<String> {
        self.shared.failure()
    }

    /// Closes every connection and returns what was recorded.
    pub async fn close(mut self) -> EventLog {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let min_rtt_us = self.writers.iter().filter_map(|w| w.min_rtt_us()).min();
        self.recorder.lock().min_rtt_us = min_rtt_us;
        for w in &self.writers {
            w.shutdown();
        }
        for t in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(2), t).await;
        }
        self.recorder.snapshot()
    }
}
