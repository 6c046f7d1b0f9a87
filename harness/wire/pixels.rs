//! The colour a display message paints at one screen point, for the two shapes a probe square
//! reaches the client in (`docs/latency.md`): a DRAW_FILL with a solid brush (Xspice, any X
//! server with 2D acceleration) and a DRAW_COPY of an uncompressed BITMAP (framebuffer-only
//! targets with image compression off). Anything else — another ROP, a mask, a scaled copy, a
//! compressed image — answers `None`: this is a reader of probe squares, not a decoder.

use super::codec::Reader;
use super::display::{image_type, rop, server, Rect};
use super::Result;

/// SpiceBitmap formats whose pixels we read (§6.5).
mod bitmap_format {
    /// 3 bytes per pixel, B G R.
    pub const BGR24: u8 = 7;
    /// 4 bytes per pixel, B G R x.
    pub const BGRX32: u8 = 8;
    /// 4 bytes per pixel, B G R A.
    pub const BGRA32: u8 = 9;
}

/// SpiceBitmap flag: rows are stored top row first (otherwise bottom row first).
const BITMAP_TOP_DOWN: u8 = 4;
/// SpiceBitmap flag: the palette is a cache id (u64) instead of an offset (u32).
const BITMAP_PALETTE_FROM_CACHE: u8 = 2;
/// The primary (on-screen) surface: probe squares are never drawn off screen.
const PRIMARY_SURFACE: u32 = 0;

/// What a display message leaves at one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Painted {
    /// The colour, 0x00RRGGBB.
    pub colour: u32,
    /// The message's whole box (what else it painted over).
    pub area: Rect,
}

/// What display message `msg_type` with `body` leaves at screen pixel (`x`, `y`) of the
/// primary surface, when it is a plain solid fill or an uncompressed copy that covers the
/// point; `Ok(None)` when it does not cover it or cannot be read that simply.
pub fn colour_at(msg_type: u16, body: &[u8], x: i32, y: i32) -> Result<Option<Painted>> {
    if msg_type != server::DRAW_FILL && msg_type != server::DRAW_COPY {
        return Ok(None);
    }
    let mut r = Reader::new(body);
    let surface = r.u32("display_base.surface_id")?;
    let area = Rect::read(&mut r, "display_base.box")?;
    let clipped_in = clip_contains(&mut r, x, y)?;
    if surface != PRIMARY_SURFACE || !area.contains(x, y) || !clipped_in {
        return Ok(None);
    }
    if msg_type == server::DRAW_FILL {
        if r.u8("brush.type")? != 1 {
            return Ok(None);
        }
        let colour = r.u32("brush.color")? & 0x00ff_ffff;
        let rop = r.u16("fill.rop")?;
        return Ok((rop == rop::OP_PUT && no_mask(&mut r)?).then_some(Painted { colour, area }));
    }
    let src_bitmap = r.u32("copy.src_bitmap")?;
    let src = Rect::read(&mut r, "copy.src_area")?;
    let rop = r.u16("copy.rop")?;
    r.u8("copy.scale_mode")?;
    if rop != rop::OP_PUT || !no_mask(&mut r)? || src.size() != area.size() || src_bitmap == 0 {
        return Ok(None);
    }
    // Unscaled: the screen point maps to the same offset inside the source area.
    let ix = i64::from(src.left) + i64::from(x) - i64::from(area.left);
    let iy = i64::from(src.top) + i64::from(y) - i64::from(area.top);
    let colour = match (u32::try_from(ix), u32::try_from(iy)) {
        (Ok(ix), Ok(iy)) => bitmap_pixel(body, src_bitmap, ix, iy)?,
        _ => None,
    };
    Ok(colour.map(|colour| Painted { colour, area }))
}

/// Reads a Clip and says whether (`x`, `y`) survives it.
fn clip_contains(r: &mut Reader<'_>, x: i32, y: i32) -> Result<bool> {
    if r.u8("clip.type")? != 1 {
        return Ok(true);
    }
    let n = r.u32("clip.num_rects")?;
    let mut inside = false;
    for _ in 0..n {
        inside |= Rect::read(r, "clip.rects")?.contains(x, y);
    }
    Ok(inside)
}

/// Reads a QMask and says whether it is empty.
fn no_mask(r: &mut Reader<'_>) -> Result<bool> {
    r.u8("mask.flags")?;
    r.skip(8, "mask.pos")?;
    Ok(r.u32("mask.bitmap")? == 0)
}

/// Pixel (`x`, `y`) of the uncompressed BITMAP image at `offset` in `body`, as 0x00RRGGBB;
/// `Ok(None)` for other image types and formats, or a point outside the image.
pub fn bitmap_pixel(body: &[u8], offset: u32, x: u32, y: u32) -> Result<Option<u32>> {
    let mut r = Reader::at(body, offset as usize, "image.offset")?;
    r.u64("image.id")?;
    if r.u8("image.type")? != image_type::BITMAP {
        return Ok(None);
    }
    r.u8("image.flags")?;
    r.skip(8, "image.size")?;
    let format = r.u8("bitmap.format")?;
    let flags = r.u8("bitmap.flags")?;
    let width = r.u32("bitmap.x")?;
    let height = r.u32("bitmap.y")?;
    let stride = r.u32("bitmap.stride")?;
    if flags & BITMAP_PALETTE_FROM_CACHE != 0 {
        r.u64("bitmap.palette_id")?;
    } else {
        r.u32("bitmap.palette")?;
    }
    let bytes_per_pixel = match format {
        bitmap_format::BGR24 => 3,
        bitmap_format::BGRX32 | bitmap_format::BGRA32 => 4,
        _ => return Ok(None),
    };
    if x >= width || y >= height {
        return Ok(None);
    }
    let row = if flags & BITMAP_TOP_DOWN != 0 {
        y
    } else {
        height - 1 - y
    };
    let at = u64::from(row) * u64::from(stride) + u64::from(x) * bytes_per_pixel;
    let skip = usize::try_from(at).unwrap_or(usize::MAX);
    r.skip(skip, "bitmap.data")?;
    let b = u32::from(r.u8("bitmap.data")?);
    let g = u32::from(r.u8("bitmap.data")?);
    let red = u32::from(r.u8("bitmap.data")?);
    Ok(Some(red << 16 | g << 8 | b))
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::codec::Writer;
    use crate::wire::common::test::hex_body;

    /// The xterm background fill from the sample capture (`display.rs` tests): white over
    /// columns 54..534, rows 372..385, no clip, solid brush, OP_PUT, no mask.
    const REAL_FILL: &str =
        "00000000740100003600000081010000160200000001ffffff00080000000000000000000000000000";

    #[test]
    fn a_real_solid_fill_paints_its_colour_inside_its_box_only() {
        let fill = hex_body(REAL_FILL);
        assert_eq!(
            colour_at(server::DRAW_FILL, &fill, 54, 372)
                .unwrap()
                .map(|p| p.colour),
            Some(0x00ff_ffff)
        );
        assert_eq!(
            colour_at(server::DRAW_FILL, &fill, 533, 384)
                .unwrap()
                .map(|p| p.colour),
            Some(0x00ff_ffff)
        );
        // Right and bottom edges are exclusive; a point left of the box is outside.
        assert_eq!(colour_at(server::DRAW_FILL, &fill, 534, 380).unwrap(), None);
        assert_eq!(colour_at(server::DRAW_FILL, &fill, 100, 385).unwrap(), None);
        assert_eq!(colour_at(server::DRAW_FILL, &fill, 53, 380).unwrap(), None);
        // Other message types are not read.
        assert_eq!(colour_at(server::DRAW_BLEND, &fill, 60, 380).unwrap(), None);
    }

    /// A DRAW_COPY of an uncompressed 12×1 BITMAP (RGBA, top-down, white) to columns
    /// 1009..1021 of row 767, from recordings/sb-drag-off (compression off).
    const REAL_BITMAP_COPY: &str = concat!(
        "00000000ff020000f103000000030000fd03000000390000000000000000000000010000000c0000000800",
        "0000000000000000000000000000000000000000000000000c0000000100000009040c0000000100000030",
        "00000000000000ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00ffffff00",
        "ffffff00ffffff00ffffff00",
    );

    #[test]
    fn a_real_uncompressed_copy_is_read_where_it_paints() {
        let copy = hex_body(REAL_BITMAP_COPY);
        assert_eq!(copy.len(), 141);
        let at = |x, y| colour_at(server::DRAW_COPY, &copy, x, y).unwrap();
        let painted = at(1010, 767).unwrap();
        assert_eq!(painted.colour, 0x00ff_ffff);
        assert_eq!(
            painted.area,
            Rect {
                top: 767,
                left: 1009,
                bottom: 768,
                right: 1021
            }
        );
        assert_eq!(at(1020, 767).map(|p| p.colour), Some(0x00ff_ffff));
        assert_eq!(at(1021, 767), None);
        assert_eq!(at(1010, 766), None);
    }

    #[test]
    fn fills_that_are_not_a_plain_put_are_not_read() {
        let fill = hex_body(REAL_FILL);
        // rop at 21 + 5 = 26: OP_OR instead of OP_PUT.
        let mut or = fill.clone();
        or[26] = 0x10;
        assert_eq!(colour_at(server::DRAW_FILL, &or, 60, 380).unwrap(), None);
        // A mask bitmap offset (last 4 bytes) makes the result depend on the mask.
        let mut masked = fill.clone();
        let n = masked.len();
        masked[n - 4] = 1;
        assert_eq!(
            colour_at(server::DRAW_FILL, &masked, 60, 380).unwrap(),
            None
        );
        // Off-screen surface 1.
        let mut off = fill.clone();
        off[0] = 1;
        assert_eq!(colour_at(server::DRAW_FILL, &off, 60, 380).unwrap(), None);
        // Truncated: an error, not a panic.
        assert!(colour_at(server::DRAW_FILL, &fill[..24], 60, 380).is_err());
    }

    #[test]
    fn clip_rectangles_decide_which_points_are_painted() {
        // Box 0,0 → 8,8 clipped to the single rect top 0 left 4 bottom 8 right 8.
        let mut body = Vec::new();
        body.put_u32(0);
        for v in [0, 0, 8, 8] {
            body.put_i32(v);
        }
        body.put_u8(1);
        body.put_u32(1);
        for v in [0, 4, 8, 8] {
            body.put_i32(v);
        }
        body.put_u8(1);
        body.put_u32(0x0012_3456);
        body.put_u16(rop::OP_PUT);
        body.extend([0u8; 13]);
        assert_eq!(colour_at(server::DRAW_FILL, &body, 2, 2).unwrap(), None);
        assert_eq!(
            colour_at(server::DRAW_FILL, &body, 5, 2)
                .unwrap()
                .map(|p| p.colour),
            Some(0x0012_3456)
        );
    }

    /// A DRAW_COPY of a `w`×`h` 32-bit BITMAP to `dest_left`,`dest_top`, rows bottom-up unless
    /// `top_down`, each pixel `pixel(x, y)`; laid out like the server's (image at offset 57).
    fn copy(dest_left: i32, dest_top: i32, w: u32, h: u32, top_down: bool) -> Vec<u8> {
        let pixel = |x: u32, y: u32| 0x0001_0000 * x + 0x100 * y + 0x7;
        let mut body = Vec::new();
        body.put_u32(0);
        for v in [
            dest_top,
            dest_left,
            dest_top + h as i32,
            dest_left + w as i32,
        ] {
            body.put_i32(v);
        }
        body.put_u8(0);
        body.put_u32(57);
        for v in [0, 0, h as i32, w as i32] {
            body.put_i32(v);
        }
        body.put_u16(rop::OP_PUT);
        body.put_u8(0);
        body.extend([0u8; 13]);
        assert_eq!(body.len(), 57);
        body.put_u64(1);
        body.put_u8(image_type::BITMAP);
        body.put_u8(0);
        body.put_u32(w);
        body.put_u32(h);
        body.put_u8(bitmap_format::BGRX32);
        body.put_u8(if top_down { BITMAP_TOP_DOWN } else { 0 });
        body.put_u32(w);
        body.put_u32(h);
        body.put_u32(w * 4);
        body.put_u32(0);
        for row in 0..h {
            let y = if top_down { row } else { h - 1 - row };
            for x in 0..w {
                body.extend(pixel(x, y).to_le_bytes());
            }
        }
        body
    }

    #[test]
    fn uncompressed_copies_are_read_in_either_row_order() {
        for top_down in [false, true] {
            let body = copy(100, 200, 4, 3, top_down);
            // Screen (102, 201) is image (2, 1).
            assert_eq!(
                colour_at(server::DRAW_COPY, &body, 102, 201)
                    .unwrap()
                    .map(|p| p.colour),
                Some(0x0002_0107),
                "top_down {top_down}"
            );
            assert_eq!(
                colour_at(server::DRAW_COPY, &body, 103, 202)
                    .unwrap()
                    .map(|p| p.colour),
                Some(0x0003_0207)
            );
            assert_eq!(colour_at(server::DRAW_COPY, &body, 104, 202).unwrap(), None);
        }
        // A compressed image is not decoded.
        let mut lz = copy(0, 0, 4, 3, true);
        lz[57 + 8] = image_type::LZ_RGB;
        assert_eq!(colour_at(server::DRAW_COPY, &lz, 1, 1).unwrap(), None);
        // A stride that points past the data is an error, not a panic.
        let mut short = copy(0, 0, 4, 3, true);
        short.truncate(short.len() - 4);
        assert!(colour_at(server::DRAW_COPY, &short, 3, 2).is_err());
    }
}
