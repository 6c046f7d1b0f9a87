//! The reader loop of one channel connection and each channel's protocol duties.
//!
//! Every channel: count every message, answer SET_ACK with ACK_SYNC and then ACK every
//! `window` messages, answer every PING with PONG. Main: ATTACH_CHANNELS after INIT, mouse mode
//! request, CHANNELS_LIST. Display: record updates and MARK. Inputs: motion acks release
//! held-back motion. The loop ends when the server closes the connection or the session stops.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::clock::Clock;
use super::events::{Recorder, TrafficRecord, UpdateRecord};
use super::session::Shared;
use super::writer::ChannelWriter;
use crate::wire::common::{self, Notify, Ping, SetAck};
use crate::wire::display::{self, DisplayUpdate};
use crate::wire::main_channel::{self, MainInit, MouseMode};
use crate::wire::names::Direction;
use crate::wire::{inputs, ChannelType, Framer, HeaderKind, RawMessage};

/// Everything a reader needs about its connection.
pub(crate) struct ChannelContext {
    pub index: usize,
    pub channel_type: ChannelType,
    pub writer: Arc<ChannelWriter>,
    pub shared: Arc<Shared>,
    pub clock: Clock,
    pub recorder: Recorder,
}

/// Sends one message on the channel, returning when it left.
type SendFn<'a> = dyn Fn(u16, &[u8]) -> Result<u64, String> + 'a;

/// Ack bookkeeping (§4.3): counting starts at SET_ACK, which itself is not counted.
#[derive(Default)]
struct AckState {
    window: u32,
    received: u32,
}

/// Reads and handles messages until the connection ends.
pub(crate) async fn run_reader(mut stream: TcpStream, kind: HeaderKind, ctx: ChannelContext) {
    let mut framer = Framer::new(kind);
    let mut ack = AckState::default();
    let mut buf = vec![0u8; 256 * 1024];
    let name = ctx.channel_type.name();
    let end = loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => break "closed by the server".to_string(),
            Ok(n) => n,
            Err(e) => break format!("read error: {e}"),
        };
        let at_us = ctx.clock.now_us();
        framer.push(&buf[..n]);
        let mut failure = None;
        loop {
            match framer.pop() {
                Ok(Some(msg)) => {
                    if let Err(e) = handle(&ctx, &mut ack, kind, at_us, &msg) {
                        failure = Some(e);
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    failure = Some(format!("undecodable stream: {e}"));
                    break;
                }
            }
        }
        if let Some(f) = failure {
            break f;
        }
    };
    if !ctx.shared.stopping.load(Ordering::SeqCst) {
        let text = format!("{name} channel: {end}");
        ctx.recorder.note(text.clone());
        ctx.shared
            .closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text);
    }
}

fn handle(
    ctx: &ChannelContext,
    ack: &mut AckState,
    kind: HeaderKind,
    at_us: u64,
    msg: &RawMessage,
) -> Result<(), String> {
    let msg_type = msg.msg_type();
    ctx.recorder.traffic(TrafficRecord {
        at_us,
        channel: ctx.index,
        direction: Direction::Down,
        msg_type,
        bytes: msg.stream_len(kind) as u64,
    });
    let send = |t: u16, body: &[u8]| -> Result<u64, String> {
        ctx.writer
            .send(t, body)
            .map_err(|e| format!("write error: {e}"))
    };
    let proto = |e: crate::wire::WireError| format!("bad message {msg_type}: {e}");

    if msg_type == common::server::SET_ACK {
        let s = SetAck::parse(&msg.body).map_err(proto)?;
        ack.window = s.window;
        ack.received = 0;
        ctx.recorder.lock().ack_windows.push((ctx.index, s.window));
        send(common::client::ACK_SYNC, &common::ack_sync(s.generation))?;
        return Ok(());
    }
    if ack.window > 0 {
        ack.received += 1;
        if ack.received >= ack.window {
            ack.received = 0;
            send(common::client::ACK, &[])?;
        }
    }
    match msg_type {
        common::server::PING => {
            let p = Ping::parse(&msg.body).map_err(proto)?;
            send(common::client::PONG, &p.pong())?;
            return Ok(());
        }
        common::server::NOTIFY => {
            if let Ok(n) = Notify::parse(&msg.body) {
                ctx.recorder.note(format!(
                    "server notice on {}: {}",
                    ctx.channel_type, n.message
                ));
            }
            return Ok(());
        }
        common::server::DISCONNECTING => {
            let reason = common::parse_disconnecting(&msg.body).unwrap_or(0);
            ctx.recorder.note(format!(
                "server is disconnecting the {} channel (reason {reason})",
                ctx.channel_type
            ));
            return Ok(());
        }
        _ => {}
    }
    match ctx.channel_type {
        ChannelType::MAIN => handle_main(ctx, msg, &send).map_err(proto),
        ChannelType::DISPLAY => handle_display(ctx, at_us, msg).map_err(proto),
        ChannelType::INPUTS => {
            if msg_type == inputs::server::MOUSE_MOTION_ACK {
                ctx.recorder.lock().motion_acks.push(at_us);
                ctx.shared.inputs.on_motion_ack(&ctx.clock);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn handle_main(
    ctx: &ChannelContext,
    msg: &RawMessage,
    send: &SendFn<'_>,
) -> crate::wire::Result<()> {
    let shared = &ctx.shared;
    match msg.msg_type() {
        main_channel::server::INIT => {
            let init = MainInit::parse(&msg.body)?;
            shared
                .supported_mouse
                .store(init.supported_mouse_modes, Ordering::SeqCst);
            shared
                .mouse_mode
                .store(init.current_mouse_mode, Ordering::SeqCst);
            *shared.main_init.lock().unwrap_or_else(|e| e.into_inner()) = Some(init);
            // Failed writes surface as a closed channel in the reader loop.
            let _ = send(main_channel::client::ATTACH_CHANNELS, &[]);
            if let Some(mode) = shared.requested_mouse_mode(init.supported_mouse_modes) {
                if mode != init.current_mouse_mode {
                    let _ = send(
                        main_channel::client::MOUSE_MODE_REQUEST,
                        &main_channel::mouse_mode_request(mode as u16),
                    );
                }
            }
        }
        main_channel::server::CHANNELS_LIST => {
            let list = main_channel::parse_channels_list(&msg.body)?;
            let mut slot = shared
                .channels_list
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert_with(Vec::new).extend(list);
        }
        main_channel::server::MOUSE_MODE => {
            let m = MouseMode::parse(&msg.body)?;
            shared
                .supported_mouse
                .store(u32::from(m.supported), Ordering::SeqCst);
            shared
                .mouse_mode
                .store(u32::from(m.current), Ordering::SeqCst);
        }
        _ => {}
    }
    Ok(())
}

fn handle_display(ctx: &ChannelContext, at_us: u64, msg: &RawMessage) -> crate::wire::Result<()> {
    let msg_type = msg.msg_type();
    if msg_type == display::server::MARK {
        ctx.recorder.lock().marks.push(at_us);
        ctx.shared.marked.store(true, Ordering::SeqCst);
        return Ok(());
    }
    let record = match display::parse_update(msg_type, &msg.body) {
        Ok(Some(DisplayUpdate::Draw {
            surface_id,
            area,
            images,
            ..
        })) => UpdateRecord {
            at_us,
            msg_type,
            surface_id: Some(surface_id),
            area: Some(area),
            images,
            stream_bytes: 0,
        },
        Ok(Some(DisplayUpdate::StreamFrame {
            data_size, area, ..
        })) => UpdateRecord {
            at_us,
            msg_type,
            surface_id: None,
            area,
            images: Vec::new(),
            stream_bytes: data_size,
        },
        Ok(None) => return Ok(()),
        // A draw we cannot take apart is still a screen update: keep its time, note the error.
        Err(e) => {
            ctx.recorder
                .note(format!("display message {msg_type} not fully parsed: {e}"));
            UpdateRecord {
                at_us,
                msg_type,
                surface_id: None,
                area: None,
                images: Vec::new(),
                stream_bytes: 0,
            }
        }
    };
    ctx.recorder.lock().updates.push(record);
    Ok(())
}
