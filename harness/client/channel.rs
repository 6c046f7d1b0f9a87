//! The reader loop of one channel connection: bytes from the socket go through the framer and
//! the sans-IO [`ChannelDuties`]; its replies go out through the channel's writer, its events
//! into the event log and the session state. The loop ends when the server closes the
//! connection or the session stops.

use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::events::{Recorder, TrafficRecord, UpdateRecord};
use super::state::Shared;
use super::writer::ChannelWriter;
use crate::clock::Clock;
use crate::probe::probe_stamp;
use crate::results::WarningCode;
use crate::wire::display::DisplayUpdate;
use crate::wire::duties::{ChannelDuties, ChannelEvent};
use crate::wire::names::Direction;
use crate::wire::{ChannelType, Framer, HeaderKind, RawMessage};

/// Everything a reader needs about its connection.
pub(crate) struct ChannelContext {
    pub index: usize,
    pub channel_type: ChannelType,
    pub writer: Arc<ChannelWriter>,
    pub shared: Arc<Shared>,
    pub clock: Clock,
    pub recorder: Recorder,
    pub duties: ChannelDuties,
}

/// A channel's TLS session and a duplicate of its socket to read records with (readiness
/// comes from the tokio stream).
pub(crate) struct TlsReader {
    pub conn: super::tls::SharedTls,
    pub socket: std::net::TcpStream,
}

/// Size of a channel's read buffer.
const READ_BUF: usize = 256 * 1024;

/// Reads the next plaintext bytes of the connection into `buf[..n]` and returns `n`; 0 when
/// the server closed it.
async fn next_bytes(
    stream: &mut TcpStream,
    tls: Option<&mut TlsReader>,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let Some(t) = tls else {
        if buf.len() != READ_BUF {
            buf.resize(READ_BUF, 0);
        }
        return stream.read(buf).await;
    };
    use super::tls::{drain, read_records, Received};
    buf.clear();
    loop {
        // Plaintext the session already holds (records read with the link stage) first.
        match drain(&mut super::tls::lock(&t.conn), buf)? {
            Some(Received::Data) => return Ok(buf.len()),
            Some(Received::Closed) => return Ok(0),
            None => {}
        }
        stream.readable().await?;
        let read = stream.try_io(tokio::io::Interest::READABLE, || {
            read_records(&mut super::tls::lock(&t.conn), &mut t.socket)
        });
        match read {
            Ok(0) => return Ok(0),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads and handles messages until the connection ends.
pub(crate) async fn run_reader(
    mut stream: TcpStream,
    mut tls: Option<TlsReader>,
    kind: HeaderKind,
    mut ctx: ChannelContext,
) {
    let mut framer = Framer::new(kind);
    let mut buf = Vec::new();
    let end = loop {
        let n = match next_bytes(&mut stream, tls.as_mut(), &mut buf).await {
            Ok(0) => break "closed by the server".to_string(),
            Ok(n) => n,
            Err(e) => break format!("read error: {e}"),
        };
        let at_us = ctx.clock.now_us();
        framer.push(&buf[..n]);
        let failure = loop {
            match framer.pop() {
                Ok(Some(msg)) => {
                    if let Err(e) = handle(&mut ctx, kind, at_us, &msg) {
                        break Some(e);
                    }
                }
                Ok(None) => break None,
                Err(e) => break Some(format!("undecodable stream: {e}")),
            }
        };
        if let Some(f) = failure {
            break f;
        }
    };
    let text = format!("{} channel: {end}", ctx.channel_type.name());
    if !ctx
        .shared
        .stopping
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        ctx.recorder.note(WarningCode::ChannelEnded, text.clone());
    }
    ctx.shared.channel_failed(text);
}

fn handle(
    ctx: &mut ChannelContext,
    kind: HeaderKind,
    at_us: u64,
    msg: &RawMessage,
) -> Result<(), String> {
    let msg_type = msg.msg_type();
    let bytes = msg.stream_len(kind) as u64;
    ctx.recorder.traffic(TrafficRecord {
        at_us,
        channel: ctx.index,
        direction: Direction::Down,
        msg_type,
        bytes,
    });
    if ctx.channel_type == ChannelType::DISPLAY {
        ctx.recorder
            .display_message(ctx.index, at_us, msg_type, &msg.body, bytes);
    }
    let reaction = ctx
        .duties
        .on_message(msg_type, &msg.body)
        .map_err(|e| format!("bad message {msg_type}: {e}"))?;
    for reply in &reaction.replies {
        ctx.writer
            .send(reply.msg_type, &reply.body)
            .map_err(|e| format!("write error: {e}"))?;
    }
    // Reading the probe square is measurement, not a protocol duty: it stays out of `duties`.
    let probe = (ctx.channel_type == ChannelType::DISPLAY)
        .then(|| probe_stamp(msg_type, &msg.body))
        .flatten();
    for event in reaction.events {
        report(ctx, at_us, msg_type, probe, event);
    }
    Ok(())
}

/// Puts one event where the session, the input thread and the event log look for it.
fn report(
    ctx: &ChannelContext,
    at_us: u64,
    msg_type: u16,
    probe: Option<u32>,
    event: ChannelEvent,
) {
    let state = &ctx.shared.state;
    match event {
        ChannelEvent::AckWindow(w) => ctx.recorder.lock().ack_windows.push((ctx.index, w)),
        ChannelEvent::MainInit(init) => state.send_modify(|s| s.main_init = Some(init)),
        ChannelEvent::ChannelsList(list) => {
            state.send_modify(|s| s.channels.get_or_insert_with(Vec::new).extend(list))
        }
        ChannelEvent::VmName(name) => state.send_modify(|s| s.vm_name = Some(name)),
        ChannelEvent::VmUuid(uuid) => state.send_modify(|s| s.vm_uuid = Some(uuid)),
        ChannelEvent::MouseMode { supported, current } => state.send_modify(|s| {
            s.supported_mouse = supported;
            s.mouse_mode = current;
        }),
        ChannelEvent::Mark => {
            ctx.recorder.lock().marks.push(at_us);
            state.send_modify(|s| s.marked = true);
        }
        ChannelEvent::Update(update) => {
            ctx.recorder
                .lock()
                .updates
                .push(update_record(at_us, msg_type, update, probe));
            ctx.shared.last_update.send_replace(Some(at_us));
        }
        ChannelEvent::UnparsedUpdate { msg_type, error } => {
            // A draw we cannot take apart is still a screen update: keep its time.
            ctx.recorder.note(
                WarningCode::DisplayUnparsed,
                format!("display message {msg_type} not fully parsed: {error}"),
            );
            ctx.recorder.lock().updates.push(UpdateRecord {
                at_us,
                msg_type,
                surface_id: None,
                area: None,
                images: Vec::new(),
                stream_bytes: 0,
                probe: None,
            });
            ctx.shared.last_update.send_replace(Some(at_us));
        }
        ChannelEvent::MotionAck => {
            ctx.recorder.lock().motion_acks.push(at_us);
            ctx.shared.inputs.on_motion_ack();
        }
        ChannelEvent::Notice(text) => ctx.recorder.note(
            WarningCode::ServerNotice,
            format!("server notice on {}: {text}", ctx.channel_type),
        ),
        ChannelEvent::Disconnecting(reason) => ctx.recorder.note(
            WarningCode::ServerDisconnecting,
            format!(
                "server is disconnecting the {} channel (reason {reason}, message {msg_type})",
                ctx.channel_type
            ),
        ),
    }
}

fn update_record(
    at_us: u64,
    msg_type: u16,
    update: DisplayUpdate,
    probe: Option<u32>,
) -> UpdateRecord {
    match update {
        DisplayUpdate::Draw {
            surface_id,
            area,
            images,
            ..
        } => UpdateRecord {
            at_us,
            msg_type,
            surface_id: Some(surface_id),
            area: Some(area),
            images,
            stream_bytes: 0,
            probe,
        },
        DisplayUpdate::StreamFrame {
            data_size, area, ..
        } => UpdateRecord {
            at_us,
            msg_type,
            surface_id: None,
            area,
            images: Vec::new(),
            stream_bytes: data_size,
            probe,
        },
    }
}
