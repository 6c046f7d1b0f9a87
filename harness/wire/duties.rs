//! What a SPICE client owes the server on each channel, sans-IO: a message in, the replies to
//! send and the events to report out.
//!
//! Every channel: answer SET_ACK with ACK_SYNC and then send ACK every `window` messages
//! (§4.3), answer every PING with PONG (§4.4). Main: ATTACH_CHANNELS after MAIN_INIT and a
//! MOUSE_MODE_REQUEST when the mode in force is not the one wanted (§3, §5.3). Display and
//! inputs have no replies of their own; their messages become [`ChannelEvent`]s (updates,
//! MARK, motion acks) for whoever drives the connection.
//!
//! [`ChannelDuties::on_message`] takes no clock: none of these duties depends on time (the
//! server's PING payload already carries its own timestamp). The caller stamps what it
//! reports. The tokio client is the driver; a test drives it with byte vectors alone.

use super::common::{self, Notify, Ping, SetAck};
use super::display::{self, DisplayUpdate};
use super::main_channel::{self, MainInit, MouseMode};
use super::{inputs, ChannelType, Result};

/// One message to send: its type and body (the header is the driver's job).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Message type.
    pub msg_type: u16,
    /// Message body.
    pub body: Vec<u8>,
}

/// Something a channel learned that the rest of the session cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelEvent {
    /// SET_ACK's window: the display channel's tells the server's bandwidth verdict (§4.3).
    AckWindow(u32),
    /// MAIN_INIT: session id, mouse modes, RAM hint.
    MainInit(MainInit),
    /// CHANNELS_LIST: the channels the session offers.
    ChannelsList(Vec<(ChannelType, u8)>),
    /// NAME: the VM's name.
    VmName(String),
    /// UUID: the VM's UUID, in 8-4-4-4-12 form.
    VmUuid(String),
    /// MOUSE_MODE: the modes supported and the one in force.
    MouseMode {
        /// Bit mask of `mouse_mode::*`.
        supported: u32,
        /// The mode in force.
        current: u32,
    },
    /// Display MARK: the initial screen is complete.
    Mark,
    /// A display message that changed the screen.
    Update(DisplayUpdate),
    /// A display message that changes the screen but could not be taken apart; its arrival
    /// still counts as an update (the error says what was wrong).
    UnparsedUpdate {
        /// Message type.
        msg_type: u16,
        /// Why it could not be parsed.
        error: String,
    },
    /// MOUSE_MOTION_ACK on inputs: the server consumed a bunch of motion messages.
    MotionAck,
    /// NOTIFY text from the server.
    Notice(String),
    /// DISCONNECTING with its reason code.
    Disconnecting(u32),
}

/// What one incoming message asks of the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reaction {
    /// Messages to send, in order, before anything else on this channel.
    pub replies: Vec<Outgoing>,
    /// What the message told us.
    pub events: Vec<ChannelEvent>,
}

impl Reaction {
    fn reply(&mut self, msg_type: u16, body: Vec<u8>) {
        self.replies.push(Outgoing { msg_type, body });
    }
}

/// The duty state of one channel connection.
#[derive(Debug, Clone)]
pub struct ChannelDuties {
    channel: ChannelType,
    /// Mouse mode the main channel asks for (`mouse_mode::*`).
    wanted_mouse: u32,
    /// Ack window from the last SET_ACK; 0 until one arrives.
    window: u32,
    /// Messages received since the last ACK (SET_ACK itself is not counted).
    since_ack: u32,
}

impl ChannelDuties {
    /// Duties of a `channel` connection; `wanted_mouse` is the mode the main channel requests
    /// when the server supports it (`mouse_mode::CLIENT` is what remote-viewer asks for).
    pub fn new(channel: ChannelType, wanted_mouse: u32) -> Self {
        Self {
            channel,
            wanted_mouse,
            window: 0,
            since_ack: 0,
        }
    }

    /// The mode to request given what the server supports and what is in force, if any.
    pub fn mouse_request(&self, supported: u32, current: u32) -> Option<u32> {
        mouse_request(self.wanted_mouse, supported, current)
    }

    /// Handles one server message. A body that breaks a rule the client depends on (a PING
    /// or SET_ACK it cannot answer, an undecodable MAIN_INIT) is an error; bodies the client
    /// only reports on are reported as best it can.
    pub fn on_message(&mut self, msg_type: u16, body: &[u8]) -> Result<Reaction> {
        let mut out = Reaction::default();
        if msg_type == common::server::SET_ACK {
            let s = SetAck::parse(body)?;
            self.window = s.window;
            self.since_ack = 0;
            out.reply(common::client::ACK_SYNC, common::ack_sync(s.generation));
            out.events.push(ChannelEvent::AckWindow(s.window));
            return Ok(out);
        }
        if self.window > 0 {
            self.since_ack += 1;
            if self.since_ack >= self.window {
                self.since_ack = 0;
                out.reply(common::client::ACK, Vec::new());
            }
        }
        match msg_type {
            common::server::PING => {
                out.reply(common::client::PONG, Ping::parse(body)?.pong());
                return Ok(out);
            }
            common::server::NOTIFY => {
                if let Ok(n) = Notify::parse(body) {
                    out.events.push(ChannelEvent::Notice(n.message));
                }
                return Ok(out);
            }
            common::server::DISCONNECTING => {
                let reason = common::parse_disconnecting(body).unwrap_or(0);
                out.events.push(ChannelEvent::Disconnecting(reason));
                return Ok(out);
            }
            _ => {}
        }
        match self.channel {
            ChannelType::MAIN => self.main(msg_type, body, &mut out)?,
            ChannelType::DISPLAY => display_events(msg_type, body, &mut out),
            ChannelType::INPUTS if msg_type == inputs::server::MOUSE_MOTION_ACK => {
                out.events.push(ChannelEvent::MotionAck);
            }
            _ => {}
        }
        Ok(out)
    }

    fn main(&self, msg_type: u16, body: &[u8], out: &mut Reaction) -> Result<()> {
        match msg_type {
            main_channel::server::INIT => {
                let init = MainInit::parse(body)?;
                out.reply(main_channel::client::ATTACH_CHANNELS, Vec::new());
                if let Some(mode) =
                    self.mouse_request(init.supported_mouse_modes, init.current_mouse_mode)
                {
                    out.reply(
                        main_channel::client::MOUSE_MODE_REQUEST,
                        main_channel::mouse_mode_request(mode as u16),
                    );
                }
                out.events.push(ChannelEvent::MouseMode {
                    supported: init.supported_mouse_modes,
                    current: init.current_mouse_mode,
                });
                out.events.push(ChannelEvent::MainInit(init));
            }
            main_channel::server::CHANNELS_LIST => {
                let list = main_channel::parse_channels_list(body)?;
                out.events.push(ChannelEvent::ChannelsList(list));
            }
            main_channel::server::NAME => {
                out.events
                    .push(ChannelEvent::VmName(main_channel::parse_name(body)?));
            }
            main_channel::server::UUID => {
                out.events
                    .push(ChannelEvent::VmUuid(main_channel::parse_uuid(body)?));
            }
            main_channel::server::MOUSE_MODE => {
                let m = MouseMode::parse(body)?;
                out.events.push(ChannelEvent::MouseMode {
                    supported: u32::from(m.supported),
                    current: u32::from(m.current),
                });
            }
            _ => {}
        }
        Ok(())
    }
}

/// The one rule for asking for a mouse mode: ask for `wanted` when the server supports it
/// and another mode is in force.
pub fn mouse_request(wanted: u32, supported: u32, current: u32) -> Option<u32> {
    (supported & wanted != 0 && current != wanted).then_some(wanted)
}

/// The display channel's events for one message: MARK, or the screen change it carries.
fn display_events(msg_type: u16, body: &[u8], out: &mut Reaction) {
    if msg_type == display::server::MARK {
        out.events.push(ChannelEvent::Mark);
        return;
    }
    match display::parse_update(msg_type, body) {
        Ok(Some(update)) => out.events.push(ChannelEvent::Update(update)),
        Ok(None) => {}
        Err(e) => out.events.push(ChannelEvent::UnparsedUpdate {
            msg_type,
            error: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::main_channel::mouse_mode;

    fn set_ack(generation: u32, window: u32) -> Vec<u8> {
        SetAck { generation, window }.emit()
    }

    #[test]
    fn set_ack_is_answered_then_every_window_th_message_is_acked() {
        let mut d = ChannelDuties::new(ChannelType::DISPLAY, mouse_mode::CLIENT);
        let r = d
            .on_message(common::server::SET_ACK, &set_ack(7, 3))
            .unwrap();
        assert_eq!(
            r.replies,
            vec![Outgoing {
                msg_type: common::client::ACK_SYNC,
                body: 7u32.to_le_bytes().to_vec()
            }]
        );
        assert_eq!(r.events, vec![ChannelEvent::AckWindow(3)]);
        // MODE (101) is not an update; three of them make one ACK, on the third.
        let acks: Vec<usize> = (0..7)
            .map(|_| {
                d.on_message(display::server::MODE, &[])
                    .unwrap()
                    .replies
                    .len()
            })
            .collect();
        assert_eq!(acks, [0, 0, 1, 0, 0, 1, 0]);
    }

    #[test]
    fn no_ack_before_set_ack() {
        let mut d = ChannelDuties::new(ChannelType::CURSOR, mouse_mode::CLIENT);
        for _ in 0..100 {
            assert!(d.on_message(101, &[]).unwrap().replies.is_empty());
        }
    }

    #[test]
    fn ping_gets_a_pong_with_its_id_and_time() {
        let mut d = ChannelDuties::new(ChannelType::MAIN, mouse_mode::CLIENT);
        let mut body = 9u32.to_le_bytes().to_vec();
        body.extend_from_slice(&123_456u64.to_le_bytes());
        body.extend_from_slice(&[0u8; 100]);
        let r = d.on_message(common::server::PING, &body).unwrap();
        assert_eq!(r.replies.len(), 1);
        assert_eq!(r.replies[0].msg_type, common::client::PONG);
        assert_eq!(r.replies[0].body, body[..12].to_vec());
        // A PING too short to answer is a protocol error, not a silent drop.
        assert!(d.on_message(common::server::PING, &[1, 2]).is_err());
    }

    fn main_init(supported: u32, current: u32) -> Vec<u8> {
        MainInit {
            session_id: 0x1234,
            display_channels_hint: 1,
            supported_mouse_modes: supported,
            current_mouse_mode: current,
            agent_connected: 0,
            agent_tokens: 0,
            multi_media_time: 0,
            ram_hint: 0,
        }
        .emit()
    }

    #[test]
    fn main_init_attaches_and_requests_the_wanted_mouse_mode() {
        let both = mouse_mode::CLIENT | mouse_mode::SERVER;
        let mut d = ChannelDuties::new(ChannelType::MAIN, mouse_mode::CLIENT);
        let r = d
            .on_message(
                main_channel::server::INIT,
                &main_init(both, mouse_mode::SERVER),
            )
            .unwrap();
        let types: Vec<u16> = r.replies.iter().map(|o| o.msg_type).collect();
        assert_eq!(
            types,
            [
                main_channel::client::ATTACH_CHANNELS,
                main_channel::client::MOUSE_MODE_REQUEST
            ]
        );
        assert_eq!(r.replies[1].body, (mouse_mode::CLIENT as u16).to_le_bytes());
        assert!(matches!(r.events[1], ChannelEvent::MainInit(i) if i.session_id == 0x1234));
        // Already in the wanted mode, or the mode is not offered: no request.
        let r = d
            .on_message(
                main_channel::server::INIT,
                &main_init(both, mouse_mode::CLIENT),
            )
            .unwrap();
        assert_eq!(r.replies.len(), 1);
        let r = d
            .on_message(
                main_channel::server::INIT,
                &main_init(mouse_mode::SERVER, mouse_mode::SERVER),
            )
            .unwrap();
        assert_eq!(r.replies.len(), 1);
    }

    #[test]
    fn display_reports_mark_updates_and_unparsable_updates() {
        let mut d = ChannelDuties::new(ChannelType::DISPLAY, mouse_mode::CLIENT);
        let r = d.on_message(display::server::MARK, &[]).unwrap();
        assert_eq!(r.events, vec![ChannelEvent::Mark]);
        // A DRAW_FILL cut short is still an update, reported with the reason.
        let r = d.on_message(display::server::DRAW_FILL, &[0; 3]).unwrap();
        assert!(matches!(
            r.events[0],
            ChannelEvent::UnparsedUpdate { msg_type: 302, .. }
        ));
    }

    #[test]
    fn inputs_reports_motion_acks() {
        let mut d = ChannelDuties::new(ChannelType::INPUTS, mouse_mode::CLIENT);
        let r = d.on_message(inputs::server::MOUSE_MOTION_ACK, &[]).unwrap();
        assert_eq!(r.events, vec![ChannelEvent::MotionAck]);
    }
}
