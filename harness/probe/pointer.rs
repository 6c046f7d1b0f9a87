//! The pointer state an input message leaves in the guest, in the probe's terms: position and
//! whether any button is held. One model serves our client's event log and the capture analyser,
//! so both expect the same stamps from the same inputs.

use crate::wire::inputs::InputMessage;

/// Where the pointer is and whether a button is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PointerState {
    /// Column on the screen.
    pub x: u32,
    /// Row on the screen.
    pub y: u32,
    /// Whether any button is held.
    pub pressed: bool,
}

/// Tracks the state the inputs so far lead to.
#[derive(Debug, Clone, Copy, Default)]
pub struct PointerModel {
    position: Option<(u32, u32)>,
    buttons: u16,
}

impl PointerModel {
    /// Applies one input message and returns the pointer state the guest shows after it, when
    /// it is known. Relative motion (server mouse mode) leaves the absolute position unknown
    /// (the guest may accelerate or clamp it), and key events do not move the pointer: both
    /// give `None`, so no stamp is expected for them.
    pub fn apply(&mut self, message: &InputMessage) -> Option<PointerState> {
        match *message {
            InputMessage::Position { x, y, buttons, .. } => {
                self.position = Some((x, y));
                self.buttons = buttons;
            }
            InputMessage::Motion { .. } => {
                self.position = None;
                return None;
            }
            InputMessage::Press { buttons, .. } | InputMessage::Release { buttons, .. } => {
                self.buttons = buttons;
            }
            InputMessage::KeyDown(_) | InputMessage::KeyUp(_) => return None,
        }
        let (x, y) = self.position?;
        Some(PointerState {
            x,
            y,
            pressed: self.buttons != 0,
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_drag_in_client_mode_gives_every_state() {
        let mut m = PointerModel::default();
        let state = |x, y, pressed| Some(PointerState { x, y, pressed });
        // A press before any position: the guest's pointer position is unknown to us.
        assert_eq!(
            m.apply(&InputMessage::Press {
                button: 1,
                buttons: 1
            }),
            None
        );
        let at = |x, y, buttons| InputMessage::Position {
            x,
            y,
            buttons,
            display_id: 0,
        };
        assert_eq!(m.apply(&at(120, 58, 0)), state(120, 58, false));
        assert_eq!(
            m.apply(&InputMessage::Press {
                button: 1,
                buttons: 1
            }),
            state(120, 58, true)
        );
        assert_eq!(m.apply(&at(130, 60, 1)), state(130, 60, true));
        assert_eq!(
            m.apply(&InputMessage::Release {
                button: 1,
                buttons: 0
            }),
            state(130, 60, false)
        );
        // Keys do not move the pointer; relative motion makes the position unknown.
        assert_eq!(m.apply(&InputMessage::KeyDown(0x1e)), None);
        assert_eq!(
            m.apply(&InputMessage::Motion {
                dx: 3,
                dy: 0,
                buttons: 0
            }),
            None
        );
        assert_eq!(
            m.apply(&InputMessage::Release {
                button: 1,
                buttons: 0
            }),
            None
        );
    }
}
