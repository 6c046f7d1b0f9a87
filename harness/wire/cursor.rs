//! Cursor channel messages (`spice-protocol.md` §7.1). The client only acks them; an observer
//! reads position, visibility and shape size.

use super::codec::Reader;
use super::Result;

/// Server → client cursor message types.
pub mod server {
    /// Initial cursor state.
    pub const INIT: u16 = 101;
    /// Reset.
    pub const RESET: u16 = 102;
    /// New shape.
    pub const SET: u16 = 103;
    /// Position changed.
    pub const MOVE: u16 = 104;
    /// Hidden.
    pub const HIDE: u16 = 105;
    /// Trail settings.
    pub const TRAIL: u16 = 106;
    /// Drop one cached shape.
    pub const INVAL_ONE: u16 = 107;
    /// Drop all cached shapes.
    pub const INVAL_ALL: u16 = 108;
}

/// Cursor state carried by INIT, SET and MOVE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorState {
    /// Hot-spot position on the primary surface.
    pub x: i16,
    /// Hot-spot position on the primary surface.
    pub y: i16,
    /// Visible (INIT/SET only; MOVE keeps the previous state, reported as `true`).
    pub visible: bool,
    /// Shape bytes that followed (0 for no shape or a cached one).
    pub shape_bytes: usize,
}

/// Parses INIT, SET or MOVE; `Ok(None)` for other cursor messages.
pub fn parse_cursor(msg_type: u16, body: &[u8]) -> Result<Option<CursorState>> {
    let mut r = Reader::new(body);
    let x = r.i16("cursor.position.x")?;
    let y = r.i16("cursor.position.y")?;
    let visible = match msg_type {
        server::INIT => {
            r.u16("cursor_init.trail_length")?;
            r.u16("cursor_init.trail_frequency")?;
            r.u8("cursor_init.visible")? != 0
        }
        server::SET => r.u8("cursor_set.visible")? != 0,
        server::MOVE => {
            return Ok(Some(CursorState {
                x,
                y,
                visible: true,
                shape_bytes: 0,
            }))
        }
        _ => return Ok(None),
    };
    let flags = r.u16("cursor.flags")?;
    // Flag 1 = no cursor shape; 4 = from cache: neither carries a header.
    let shape_bytes = if flags & (1 | 4) == 0 {
        r.skip(17, "cursor.header")?;
        r.remaining()
    } else {
        0
    };
    Ok(Some(CursorState {
        x,
        y,
        visible,
        shape_bytes,
    }))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn cursor_init_from_real_capture() {
        // Xspice's CURSOR_INIT: position (0,0), no trail, visible, flags NONE.
        let body = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0];
        let c = parse_cursor(server::INIT, &body).unwrap().unwrap();
        assert_eq!((c.x, c.y, c.visible, c.shape_bytes), (0, 0, true, 0));
    }

    #[test]
    fn cursor_set_with_shape_and_move() {
        let mut body = vec![10, 0, 20, 0, 1, 0, 0];
        body.extend([0u8; 17]);
        body.extend([0xffu8; 64]);
        let c = parse_cursor(server::SET, &body).unwrap().unwrap();
        assert_eq!((c.x, c.y, c.shape_bytes), (10, 20, 64));
        let m = parse_cursor(server::MOVE, &[5, 0, 6, 0]).unwrap().unwrap();
        assert_eq!((m.x, m.y), (5, 6));
        assert!(parse_cursor(server::SET, &body[..10]).is_err());
        assert_eq!(parse_cursor(server::HIDE, &[0; 4]).unwrap(), None);
    }
}
