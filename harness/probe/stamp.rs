//! The probe's colour code and square, and reading a stamp out of a display message.
//!
//! A stamp is a solid colour, 24 bits: the pointer column in bits 12..24 (0..4095), the row in
//! bits 1..12 (0..2047) and bit 0 set while a button is held. Depth-24 X servers and SPICE carry
//! such a colour unchanged (a DRAW_FILL's brush colour is the pixel value), and one colour per
//! state means a frame names the input it answers without any frame counter.

use super::pointer::PointerState;
use crate::wire::display::server;
use crate::wire::pixels::colour_at;

/// Top-left corner of the probe square on the screen. Workloads keep out of the top-left
/// corner: the lab's windows start at +50+50 and scenario points are checked against it.
pub const SQUARE_ORIGIN: (i32, i32) = (0, 0);
/// Side of the probe square, pixels: small enough to cost nothing on the wire (a DRAW_FILL is
/// about 60 bytes), large enough that a viewer's scaling cannot lose it.
pub const SQUARE_SIZE: u32 = 8;
/// A copy counts as a stamp only when its box fits in this many pixels from the corner: a
/// framebuffer target sends the dirty rectangle around the square, while a larger copy that
/// covers the corner (a repainted background) is the desktop, not the probe.
pub const COPY_REGION: i32 = 64;
/// Largest column and row a stamp can encode.
pub const MAX_POSITION: (u32, u32) = (4095, 2047);

/// One probe frame seen by a viewer: when it arrived, and the state it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Arrival time, µs (the viewer's clock) or ns (a capture), as the caller uses.
    pub at: u64,
    /// The pointer state painted.
    pub state: PointerState,
}

/// The colour the probe paints for `state`; `None` when the position is beyond what 24 bits
/// encode (then the probe paints the clamped position, which no input will match).
pub fn encode(state: PointerState) -> Option<u32> {
    (state.x <= MAX_POSITION.0 && state.y <= MAX_POSITION.1)
        .then(|| state.x << 12 | state.y << 1 | u32::from(state.pressed))
}

/// The colour for `state` with the position clamped into range, for the probe to paint.
pub fn encode_clamped(state: PointerState) -> u32 {
    let clamped = PointerState {
        x: state.x.min(MAX_POSITION.0),
        y: state.y.min(MAX_POSITION.1),
        pressed: state.pressed,
    };
    encode(clamped).unwrap_or_default()
}

/// The state a stamp colour shows (only the low 24 bits count).
pub fn decode(colour: u32) -> PointerState {
    PointerState {
        x: (colour >> 12) & 0xfff,
        y: (colour >> 1) & 0x7ff,
        pressed: colour & 1 != 0,
    }
}

/// The point a viewer reads the square at: its centre, which any fill or copy of the square
/// covers.
pub fn sample_point() -> (i32, i32) {
    let half = (SQUARE_SIZE / 2) as i32;
    (SQUARE_ORIGIN.0 + half, SQUARE_ORIGIN.1 + half)
}

/// The stamp colour a display message paints over the probe square, if it paints one: a solid
/// fill inside the square (the probe fills exactly its window, less where a window covers
/// it), or an uncompressed copy of a small rectangle around it, covering the square's
/// centre. A malformed message is no stamp (the caller accounts for malformed messages
/// elsewhere).
pub fn probe_stamp(msg_type: u16, body: &[u8]) -> Option<u32> {
    let (x, y) = sample_point();
    let painted = colour_at(msg_type, body, x, y).ok().flatten()?;
    let a = painted.area;
    let (ox, oy) = SQUARE_ORIGIN;
    let side = SQUARE_SIZE as i32;
    let limit = if msg_type == server::DRAW_FILL {
        side
    } else {
        COPY_REGION
    };
    (a.left >= ox && a.top >= oy && a.right <= ox + limit && a.bottom <= oy + limit)
        .then_some(painted.colour)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::codec::Writer;
    use crate::wire::display::rop;

    #[test]
    fn colours_round_trip_and_stay_distinct() {
        for (x, y, pressed) in [
            (0, 0, false),
            (4095, 2047, true),
            (120, 58, true),
            (1, 2, false),
        ] {
            let s = PointerState { x, y, pressed };
            assert_eq!(decode(encode(s).unwrap()), s);
            assert!(encode(s).unwrap() <= 0x00ff_ffff);
        }
        // Neighbours differ in exactly the bits of their coordinates.
        let a = encode(PointerState {
            x: 10,
            y: 10,
            pressed: true,
        })
        .unwrap();
        let b = encode(PointerState {
            x: 11,
            y: 10,
            pressed: true,
        })
        .unwrap();
        let c = encode(PointerState {
            x: 10,
            y: 11,
            pressed: true,
        })
        .unwrap();
        let d = encode(PointerState {
            x: 10,
            y: 10,
            pressed: false,
        })
        .unwrap();
        assert_eq!([b ^ a, c ^ a, a ^ d], [1 << 12, (10 ^ 11) << 1, 1]);
        // Out of range: no code, and the clamped code is the edge's.
        let far = PointerState {
            x: 5000,
            y: 10,
            pressed: false,
        };
        assert_eq!(encode(far), None);
        assert_eq!(decode(encode_clamped(far)).x, 4095);
        // Bits above 24 are not part of the stamp.
        assert_eq!(
            decode(0xff00_0003),
            PointerState {
                x: 0,
                y: 1,
                pressed: true
            }
        );
    }

    #[test]
    fn a_real_probe_fill_names_the_first_input_of_the_drag() {
        // The first stamp of recordings/sb-drag-probe-auto_glz: an 8×8 DRAW_FILL at the
        // corner, solid brush 0x078074, after drag.toml's first move to (120, 58).
        let body = crate::wire::common::test::hex_body(
            "0000000000000000000000000800000008000000000174800700080000000000000000000000000000",
        );
        let colour = probe_stamp(server::DRAW_FILL, &body).unwrap();
        assert_eq!(colour, 0x0007_8074);
        assert_eq!(
            decode(colour),
            PointerState {
                x: 120,
                y: 58,
                pressed: false
            }
        );
        // A real uncompressed copy elsewhere (recordings/sb-drag-off) is no stamp.
        let elsewhere = crate::wire::common::test::hex_body(concat!(
            "00000000ff020000f103000000030000fd03000000390000000000000000000000010000000c0000000800",
            "0000000000000000000000000000000000000000000000000c0000000100000009040c0000000100000030",
            "00000000000000ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00",
            "ffffff00ffffff00ffffff00",
        ));
        assert_eq!(probe_stamp(server::DRAW_COPY, &elsewhere), None);
    }

    #[test]
    fn a_fill_of_the_square_is_a_stamp_and_a_fill_elsewhere_is_not() {
        let sized_fill = |left: i32, top: i32, side: i32, colour: u32| {
            let mut body = Vec::new();
            body.put_u32(0);
            for v in [top, left, top + side, left + side] {
                body.put_i32(v);
            }
            body.put_u8(0);
            body.put_u8(1);
            body.put_u32(colour);
            body.put_u16(rop::OP_PUT);
            body.extend([0u8; 13]);
            body
        };
        let fill = |left: i32, top: i32, colour: u32| sized_fill(left, top, 8, colour);
        let code = encode(PointerState {
            x: 420,
            y: 238,
            pressed: true,
        })
        .unwrap();
        assert_eq!(
            probe_stamp(server::DRAW_FILL, &fill(0, 0, code)),
            Some(code)
        );
        assert_eq!(probe_stamp(server::DRAW_FILL, &fill(100, 0, code)), None);
        // A fill of the whole screen covers the corner but is not the probe's.
        assert_eq!(
            probe_stamp(server::DRAW_FILL, &sized_fill(0, 0, 1024, code)),
            None
        );
        assert_eq!(probe_stamp(server::DRAW_FILL, &[1, 2, 3]), None);
    }
}
