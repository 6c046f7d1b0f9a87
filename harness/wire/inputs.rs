//! Inputs channel messages (`spice-protocol.md` §5).

use super::codec::{Reader, Writer};
use super::Result;

/// Server → client inputs message types.
pub mod server {
    /// Keyboard LED state at connect.
    pub const INIT: u16 = 101;
    /// Keyboard LED state changed.
    pub const KEY_MODIFIERS: u16 = 102;
    /// One ack per [`MOTION_ACK_BUNCH`](super::MOTION_ACK_BUNCH) motion/position messages.
    pub const MOUSE_MOTION_ACK: u16 = 111;
}

/// Client → server inputs message types.
pub mod client {
    /// Key press (set-1 scancode bytes in a u32).
    pub const KEY_DOWN: u16 = 101;
    /// Key release.
    pub const KEY_UP: u16 = 102;
    /// Set lock LEDs.
    pub const KEY_MODIFIERS: u16 = 103;
    /// Raw scancode bytes.
    pub const KEY_SCANCODE: u16 = 104;
    /// Relative motion (server mouse mode).
    pub const MOUSE_MOTION: u16 = 111;
    /// Absolute position (client mouse mode).
    pub const MOUSE_POSITION: u16 = 112;
    /// Button press.
    pub const MOUSE_PRESS: u16 = 113;
    /// Button release.
    pub const MOUSE_RELEASE: u16 = 114;
}

/// The server acks every this many motion/position messages.
pub const MOTION_ACK_BUNCH: u32 = 4;
/// A well-behaved client keeps at most this many motion messages unacknowledged.
pub const MAX_UNACKED_MOTION: u32 = 2 * MOTION_ACK_BUNCH;

/// A client → server input message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMessage {
    /// Relative motion with the buttons held after it.
    Motion {
        /// Horizontal delta.
        dx: i32,
        /// Vertical delta.
        dy: i32,
        /// Button mask.
        buttons: u16,
    },
    /// Absolute position on display `display_id`.
    Position {
        /// X in pixels.
        x: u32,
        /// Y in pixels.
        y: u32,
        /// Button mask.
        buttons: u16,
        /// Display channel id.
        display_id: u8,
    },
    /// Button press; `buttons` is the mask *after* the press.
    Press {
        /// Button (1 left, 2 middle, 3 right, 4/5 wheel).
        button: u8,
        /// Button mask after the event.
        buttons: u16,
    },
    /// Button release; `buttons` is the mask *after* the release.
    Release {
        /// Button.
        button: u8,
        /// Button mask after the event.
        buttons: u16,
    },
    /// Key press, set-1 scancode bytes packed little-endian.
    KeyDown(u32),
    /// Key release.
    KeyUp(u32),
}

impl InputMessage {
    /// The message type number.
    pub fn msg_type(&self) -> u16 {
        match self {
            Self::Motion { .. } => client::MOUSE_MOTION,
            Self::Position { .. } => client::MOUSE_POSITION,
            Self::Press { .. } => client::MOUSE_PRESS,
            Self::Release { .. } => client::MOUSE_RELEASE,
            Self::KeyDown(_) => client::KEY_DOWN,
            Self::KeyUp(_) => client::KEY_UP,
        }
    }

    /// Whether the server counts it towards motion acks.
    pub fn is_motion(&self) -> bool {
        matches!(self, Self::Motion { .. } | Self::Position { .. })
    }

    /// Emits the body.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(11);
        match *self {
            Self::Motion { dx, dy, buttons } => {
                out.put_i32(dx);
                out.put_i32(dy);
                out.put_u16(buttons);
            }
            Self::Position {
                x,
                y,
                buttons,
                display_id,
            } => {
                out.put_u32(x);
                out.put_u32(y);
                out.put_u16(buttons);
                out.put_u8(display_id);
            }
            Self::Press { button, buttons } | Self::Release { button, buttons } => {
                out.put_u8(button);
                out.put_u16(buttons);
            }
            Self::KeyDown(code) | Self::KeyUp(code) => out.put_u32(code),
        }
        out
    }

    /// Parses a client input message (the capture analyser reads what a viewer sent).
    /// Returns `Ok(None)` for input types this enum does not model.
    pub fn parse(msg_type: u16, body: &[u8]) -> Result<Option<Self>> {
        let mut r = Reader::new(body);
        Ok(Some(match msg_type {
            client::MOUSE_MOTION => Self::Motion {
                dx: r.i32("motion.dx")?,
                dy: r.i32("motion.dy")?,
                buttons: r.u16("motion.buttons_state")?,
            },
            client::MOUSE_POSITION => Self::Position {
                x: r.u32("position.x")?,
                y: r.u32("position.y")?,
                buttons: r.u16("position.buttons_state")?,
                display_id: r.u8("position.display_id")?,
            },
            client::MOUSE_PRESS => Self::Press {
                button: r.u8("press.button")?,
                buttons: r.u16("press.buttons_state")?,
            },
            client::MOUSE_RELEASE => Self::Release {
                button: r.u8("release.button")?,
                buttons: r.u16("release.buttons_state")?,
            },
            client::KEY_DOWN => Self::KeyDown(r.u32("key_down.code")?),
            client::KEY_UP => Self::KeyUp(r.u32("key_up.code")?),
            _ => return Ok(None),
        }))
    }
}

/// `INPUTS_INIT` / `KEY_MODIFIERS` (server): keyboard LED flags.
pub fn parse_modifiers(body: &[u8]) -> Result<u16> {
    Reader::new(body).u16("inputs.keyboard_modifiers")
}

/// Counts motion messages against their acks, the way spice-gtk throttles (§5.5).
#[derive(Debug, Clone, Default)]
pub struct MotionPacer {
    unacked: u32,
    max_seen: u32,
    acks: u64,
}

impl MotionPacer {
    /// Whether another motion message may be sent now.
    pub fn may_send(&self) -> bool {
        self.unacked < MAX_UNACKED_MOTION
    }

    /// Records a sent motion/position message.
    pub fn sent(&mut self) {
        self.unacked += 1;
        self.max_seen = self.max_seen.max(self.unacked);
    }

    /// Records a MOUSE_MOTION_ACK.
    pub fn acked(&mut self) {
        self.unacked = self.unacked.saturating_sub(MOTION_ACK_BUNCH);
        self.acks += 1;
    }

    /// Motion messages sent and not yet acknowledged.
    pub fn unacked(&self) -> u32 {
        self.unacked
    }

    /// Largest number ever outstanding.
    pub fn max_unacked(&self) -> u32 {
        self.max_seen
    }

    /// Acks received.
    pub fn acks(&self) -> u64 {
        self.acks
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn position_layout() {
        let m = InputMessage::Position {
            x: 0x0102,
            y: 0x0304,
            buttons: 1,
            display_id: 0,
        };
        let body = m.emit();
        assert_eq!(body, [0x02, 0x01, 0, 0, 0x04, 0x03, 0, 0, 1, 0, 0]);
        assert_eq!(InputMessage::parse(112, &body).unwrap(), Some(m));
    }

    #[test]
    fn motion_press_release_and_keys_round_trip() {
        for m in [
            InputMessage::Motion {
                dx: -5,
                dy: 3,
                buttons: 0,
            },
            InputMessage::Press {
                button: 1,
                buttons: 1,
            },
            InputMessage::Release {
                button: 1,
                buttons: 0,
            },
            InputMessage::KeyDown(0x1e),
            InputMessage::KeyUp(0x9e),
        ] {
            let body = m.emit();
            assert_eq!(InputMessage::parse(m.msg_type(), &body).unwrap(), Some(m));
        }
        // Press: button u8 then buttons_state u16 (Wireshark has these the other way round).
        assert_eq!(
            InputMessage::Press {
                button: 3,
                buttons: 4
            }
            .emit(),
            [3, 4, 0]
        );
    }

    #[test]
    fn real_modifiers_message() {
        // INPUTS_INIT from the sample capture: modifiers 0.
        assert_eq!(parse_modifiers(&[0, 0]).unwrap(), 0);
        assert!(parse_modifiers(&[0]).is_err());
        assert!(InputMessage::parse(111, &[0; 3]).is_err());
        assert_eq!(InputMessage::parse(200, &[]).unwrap(), None);
    }

    #[test]
    fn pacer_never_allows_more_than_eight_outstanding() {
        let mut p = MotionPacer::default();
        let mut sent = 0;
        while p.may_send() {
            p.sent();
            sent += 1;
        }
        assert_eq!(sent, 8);
        p.acked();
        assert_eq!(p.unacked(), 4);
        assert!(p.may_send());
        assert_eq!(p.max_unacked(), 8);
        assert_eq!(p.acks(), 1);
    }
}
