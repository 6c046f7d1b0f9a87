//! Display channel messages (`spice-protocol.md` §6): what the client must send, and what a
//! non-decoding observer needs from what the server sends — which area changed and which image
//! codecs carried how many bytes.

use super::codec::{Reader, Writer};
use super::{Result, WireError};

/// Server → client display message types.
pub mod server {
    /// Legacy mode set.
    pub const MODE: u16 = 101;
    /// Initial screen complete.
    pub const MARK: u16 = 102;
    /// Reset.
    pub const RESET: u16 = 103;
    /// Blit inside a surface.
    pub const COPY_BITS: u16 = 104;
    /// Cache invalidation list.
    pub const INVAL_LIST: u16 = 105;
    /// Drop all pixmaps.
    pub const INVAL_ALL_PIXMAPS: u16 = 106;
    /// Drop a palette.
    pub const INVAL_PALETTE: u16 = 107;
    /// Drop all palettes.
    pub const INVAL_ALL_PALETTES: u16 = 108;
    /// Video stream created.
    pub const STREAM_CREATE: u16 = 122;
    /// One encoded video frame.
    pub const STREAM_DATA: u16 = 123;
    /// Visible region of a stream changed.
    pub const STREAM_CLIP: u16 = 124;
    /// Stream ended.
    pub const STREAM_DESTROY: u16 = 125;
    /// All streams ended.
    pub const STREAM_DESTROY_ALL: u16 = 126;
    /// First draw operation.
    pub const DRAW_FILL: u16 = 302;
    /// Draw with source and brush.
    pub const DRAW_OPAQUE: u16 = 303;
    /// Copy an image to the surface.
    pub const DRAW_COPY: u16 = 304;
    /// Blend an image.
    pub const DRAW_BLEND: u16 = 305;
    /// Fill black.
    pub const DRAW_BLACKNESS: u16 = 306;
    /// Fill white.
    pub const DRAW_WHITENESS: u16 = 307;
    /// Invert.
    pub const DRAW_INVERS: u16 = 308;
    /// Raster op with three operands.
    pub const DRAW_ROP3: u16 = 309;
    /// Stroke a path.
    pub const DRAW_STROKE: u16 = 310;
    /// Draw text.
    pub const DRAW_TEXT: u16 = 311;
    /// Transparent copy.
    pub const DRAW_TRANSPARENT: u16 = 312;
    /// Alpha blend.
    pub const DRAW_ALPHA_BLEND: u16 = 313;
    /// Surface created.
    pub const SURFACE_CREATE: u16 = 314;
    /// Surface destroyed.
    pub const SURFACE_DESTROY: u16 = 315;
    /// Video frame with its own size and destination.
    pub const STREAM_DATA_SIZED: u16 = 316;
    /// Monitor layout.
    pub const MONITORS_CONFIG: u16 = 317;
    /// Render composite.
    pub const DRAW_COMPOSITE: u16 = 318;
    /// Stream report request.
    pub const STREAM_ACTIVATE_REPORT: u16 = 319;
}

/// Client → server display message types.
pub mod client {
    /// Cache and GLZ dictionary sizes; mandatory, first.
    pub const INIT: u16 = 101;
    /// Stream playback report.
    pub const STREAM_REPORT: u16 = 102;
    /// Preferred image compression for this client.
    pub const PREFERRED_COMPRESSION: u16 = 103;
    /// GL scanout done.
    pub const GL_DRAW_DONE: u16 = 104;
    /// Preferred video codecs.
    pub const PREFERRED_VIDEO_CODEC_TYPE: u16 = 105;
}

/// Display channel capability bits (§6.1).
pub mod cap {
    /// STREAM_DATA_SIZED allowed.
    pub const SIZED_STREAM: u32 = 0;
    /// MONITORS_CONFIG.
    pub const MONITORS_CONFIG: u32 = 1;
    /// DRAW_COMPOSITE allowed.
    pub const COMPOSITE: u32 = 2;
    /// A8 surfaces allowed.
    pub const A8_SURFACE: u32 = 3;
    /// Stream reports.
    pub const STREAM_REPORT: u32 = 4;
    /// LZ4 images allowed.
    pub const LZ4_COMPRESSION: u32 = 5;
    /// Server accepts PREFERRED_COMPRESSION.
    pub const PREF_COMPRESSION: u32 = 6;
    /// GL scanout (unix socket only).
    pub const GL_SCANOUT: u32 = 7;
    /// Client lists codecs.
    pub const MULTI_CODEC: u32 = 8;
    /// MJPEG decoding.
    pub const CODEC_MJPEG: u32 = 9;
    /// VP8 decoding.
    pub const CODEC_VP8: u32 = 10;
    /// H.264 decoding.
    pub const CODEC_H264: u32 = 11;
    /// Server accepts PREFERRED_VIDEO_CODEC_TYPE.
    pub const PREF_VIDEO_CODEC_TYPE: u32 = 12;
    /// VP9 decoding.
    pub const CODEC_VP9: u32 = 13;
    /// H.265 decoding.
    pub const CODEC_H265: u32 = 14;
}

/// `DISPLAY_INIT`: the cache sizes the server models for this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplayInit {
    /// Pixmap cache id.
    pub pixmap_cache_id: u8,
    /// Pixmap cache size in pixels.
    pub pixmap_cache_size: i64,
    /// GLZ dictionary id.
    pub glz_dictionary_id: u8,
    /// GLZ window in pixels.
    pub glz_dictionary_window_size: i32,
}

impl DisplayInit {
    /// What spice-gtk sends for a session whose MAIN_INIT had `ram_hint` (§6.2): an 80 MiB
    /// pixmap cache and a GLZ window of half the guest RAM hint clamped to 12..64 MiB, in pixels.
    /// Declaring the same sizes makes the server send us what it would send a real viewer.
    pub fn like_spice_gtk(ram_hint: u32) -> Self {
        const MIB: i64 = 1 << 20;
        let window_bytes = (i64::from(ram_hint) / 2).clamp(12 * MIB, 64 * MIB);
        Self {
            pixmap_cache_id: 1,
            pixmap_cache_size: 80 * MIB / 4,
            glz_dictionary_id: 1,
            glz_dictionary_window_size: (window_bytes / 4) as i32,
        }
    }

    /// Parses a DISPLAY_INIT body.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        Ok(Self {
            pixmap_cache_id: r.u8("display_init.pixmap_cache_id")?,
            pixmap_cache_size: r.i64("display_init.pixmap_cache_size")?,
            glz_dictionary_id: r.u8("display_init.glz_dictionary_id")?,
            glz_dictionary_window_size: r.i32("display_init.glz_dictionary_window_size")?,
        })
    }

    /// Emits the body.
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(14);
        out.put_u8(self.pixmap_cache_id);
        out.put_i64(self.pixmap_cache_size);
        out.put_u8(self.glz_dictionary_id);
        out.put_i32(self.glz_dictionary_window_size);
        out
    }
}

/// `PREFERRED_COMPRESSION` body: one SpiceImageCompression code (1 off .. 7 lz4).
pub fn preferred_compression(code: u8) -> Vec<u8> {
    vec![code]
}

/// `PREFERRED_VIDEO_CODEC_TYPE` body: a count (u8), then that many SpiceVideoCodecType
/// codes, most wanted first [COMMON spice.proto]. At most 255 codes are sent.
pub fn preferred_video_codecs(codes: &[u8]) -> Vec<u8> {
    let codes = &codes[..codes.len().min(255)];
    let mut out = Vec::with_capacity(codes.len() + 1);
    out.put_u8(codes.len() as u8);
    out.extend_from_slice(codes);
    out
}

/// A rectangle as SPICE sends it: top, left, bottom, right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rect {
    /// Top edge.
    pub top: i32,
    /// Left edge.
    pub left: i32,
    /// Bottom edge (exclusive).
    pub bottom: i32,
    /// Right edge (exclusive).
    pub right: i32,
}

impl Rect {
    /// Reads a Rect in wire order.
    pub(crate) fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self> {
        Ok(Self {
            top: r.i32(field)?,
            left: r.i32(field)?,
            bottom: r.i32(field)?,
            right: r.i32(field)?,
        })
    }

    /// Whether the pixel at (`x`, `y`) lies inside (bottom and right edges exclusive).
    pub fn contains(&self, x: i32, y: i32) -> bool {
        self.left <= x && x < self.right && self.top <= y && y < self.bottom
    }

    /// Width and height (0 for inverted rectangles).
    pub fn size(&self) -> (u64, u64) {
        let side = |from: i32, to: i32| (i64::from(to) - i64::from(from)).max(0) as u64;
        (side(self.left, self.right), side(self.top, self.bottom))
    }

    /// The overlap of two rectangles (empty, area 0, when they do not meet).
    pub fn intersection(&self, other: &Rect) -> Rect {
        Rect {
            top: self.top.max(other.top),
            left: self.left.max(other.left),
            bottom: self.bottom.min(other.bottom),
            right: self.right.min(other.right),
        }
    }

    /// Area in pixels (0 for inverted rectangles).
    pub fn area(&self) -> u64 {
        let w = i64::from(self.right) - i64::from(self.left);
        let h = i64::from(self.bottom) - i64::from(self.top);
        if w <= 0 || h <= 0 {
            0
        } else {
            // Each side fits in 33 bits, so the product fits in u64.
            (w as u64).saturating_mul(h as u64)
        }
    }
}

/// One SpiceImage referenced by a draw message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// SpiceImage type code (0 BITMAP, 1 QUIC, 101 LZ_RGB, 102 GLZ_RGB, ...).
    pub code: u8,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Encoded payload bytes (`data_size`, or stride × height for BITMAP); 0 for cache hits.
    pub payload_bytes: u64,
}

/// What a display message changed, for latency and accounting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisplayUpdate {
    /// A draw operation or COPY_BITS on `surface_id` within `area`.
    Draw {
        /// Message type.
        msg_type: u16,
        /// Target surface.
        surface_id: u32,
        /// Bounding box of the change.
        area: Rect,
        /// Images the message carries.
        images: Vec<ImageInfo>,
        /// The colour (0x00RRGGBB) of a DRAW_FILL with a solid brush.
        fill: Option<u32>,
    },
    /// A video frame of stream `stream_id`.
    StreamFrame {
        /// Stream id from STREAM_CREATE.
        stream_id: u32,
        /// Encoded frame bytes.
        data_size: u64,
        /// Destination for STREAM_DATA_SIZED; STREAM_DATA uses the stream's own.
        area: Option<Rect>,
    },
}

/// Whether a display message type changes what is on screen (draws, blits, video frames).
pub fn is_update(msg_type: u16) -> bool {
    matches!(
        msg_type,
        server::COPY_BITS | server::STREAM_DATA | server::STREAM_DATA_SIZED | server::DRAW_FILL
            ..=server::DRAW_ALPHA_BLEND | server::DRAW_COMPOSITE
    )
}

/// Decodes the update a display message carries; `Ok(None)` for messages that change nothing
/// on screen (surface bookkeeping, cache invalidation, MARK, ...).
pub fn parse_update(msg_type: u16, body: &[u8]) -> Result<Option<DisplayUpdate>> {
    if !is_update(msg_type) {
        return Ok(None);
    }
    let mut r = Reader::new(body);
    if msg_type == server::STREAM_DATA {
        let stream_id = r.u32("stream_data.id")?;
        r.u32("stream_data.multi_media_time")?;
        let data_size = u64::from(r.u32("stream_data.data_size")?);
        return Ok(Some(DisplayUpdate::StreamFrame {
            stream_id,
            data_size,
            area: None,
        }));
    }
    if msg_type == server::STREAM_DATA_SIZED {
        let stream_id = r.u32("stream_data_sized.id")?;
        r.u32("stream_data_sized.multi_media_time")?;
        r.u32("stream_data_sized.width")?;
        r.u32("stream_data_sized.height")?;
        let dest = Rect::read(&mut r, "stream_data_sized.dest")?;
        let data_size = u64::from(r.u32("stream_data_sized.data_size")?);
        return Ok(Some(DisplayUpdate::StreamFrame {
            stream_id,
            data_size,
            area: Some(dest),
        }));
    }
    let surface_id = r.u32("display_base.surface_id")?;
    let area = Rect::read(&mut r, "display_base.box")?;
    skip_clip(&mut r)?;
    let mut offsets = Vec::new();
    let fill = image_offsets(msg_type, &mut r, &mut offsets)?;
    let images = offsets
        .into_iter()
        .filter(|&o| o != 0)
        .map(|o| parse_image(body, o))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(DisplayUpdate::Draw {
        msg_type,
        surface_id,
        area,
        images,
        fill,
    }))
}

fn skip_clip(r: &mut Reader<'_>) -> Result<()> {
    if r.u8("clip.type")? == 1 {
        let n = r.u32("clip.num_rects")? as usize;
        r.skip(n.saturating_mul(16), "clip.rects")?;
    }
    Ok(())
}

/// Reads a Brush: a pattern's image offset goes to `out`; a solid brush's colour is returned.
fn brush(r: &mut Reader<'_>, out: &mut Vec<u32>) -> Result<Option<u32>> {
    match r.u8("brush.type")? {
        1 => return Ok(Some(r.u32("brush.color")?)),
        2 => {
            out.push(r.u32("brush.pattern")?);
            r.skip(8, "brush.pos")?;
        }
        _ => {}
    }
    Ok(None)
}

fn qmask(r: &mut Reader<'_>, out: &mut Vec<u32>) -> Result<()> {
    r.u8("mask.flags")?;
    r.skip(8, "mask.pos")?;
    out.push(r.u32("mask.bitmap")?);
    Ok(())
}

/// Collects every image offset of a draw message, reading the op-specific fields after the
/// DisplayBase in wire order (§6.4). Returns a DRAW_FILL's solid colour.
fn image_offsets(msg_type: u16, r: &mut Reader<'_>, out: &mut Vec<u32>) -> Result<Option<u32>> {
    use server::*;
    match msg_type {
        DRAW_FILL => {
            let colour = brush(r, out)?;
            r.u16("fill.rop")?;
            qmask(r, out)?;
            return Ok(colour.map(|c| c & 0x00ff_ffff));
        }
        DRAW_OPAQUE => {
            out.push(r.u32("opaque.src_bitmap")?);
            r.skip(16, "opaque.src_area")?;
            brush(r, out)?;
            r.u16("opaque.rop")?;
            r.u8("opaque.scale_mode")?;
            qmask(r, out)?;
        }
        DRAW_COPY | DRAW_BLEND => {
            out.push(r.u32("copy.src_bitmap")?);
            r.skip(16, "copy.src_area")?;
            r.u16("copy.rop")?;
            r.u8("copy.scale_mode")?;
            qmask(r, out)?;
        }
        DRAW_BLACKNESS | DRAW_WHITENESS | DRAW_INVERS => qmask(r, out)?,
        DRAW_ROP3 => {
            out.push(r.u32("rop3.src_bitmap")?);
            r.skip(16, "rop3.src_area")?;
            brush(r, out)?;
            r.u8("rop3.rop3")?;
            r.u8("rop3.scale_mode")?;
            qmask(r, out)?;
        }
        DRAW_STROKE => {
            r.u32("stroke.path")?;
            if r.u8("stroke.attr.flags")? & 8 != 0 {
                r.u8("stroke.attr.style_nseg")?;
                r.u32("stroke.attr.style")?;
            }
            brush(r, out)?;
        }
        DRAW_TEXT => {
            r.u32("text.str")?;
            r.skip(16, "text.back_area")?;
            brush(r, out)?;
            brush(r, out)?;
        }
        DRAW_TRANSPARENT => out.push(r.u32("transparent.src_bitmap")?),
        DRAW_ALPHA_BLEND => {
            r.u8("alpha_blend.alpha_flags")?;
            r.u8("alpha_blend.alpha")?;
            out.push(r.u32("alpha_blend.src_bitmap")?);
        }
        DRAW_COMPOSITE => {
            let flags = r.u32("composite.flags")?;
            out.push(r.u32("composite.src_bitmap")?);
            if flags & (1 << 19) != 0 {
                out.push(r.u32("composite.mask_bitmap")?);
            }
        }
        // COPY_BITS carries no image.
        _ => {}
    }
    Ok(None)
}

/// ROP descriptor bits (§6.4).
pub mod rop {
    /// Replace the destination with the source (or brush).
    pub const OP_PUT: u16 = 0x8;
}

/// SpiceImage type codes (§6.5).
pub mod image_type {
    /// Uncompressed.
    pub const BITMAP: u8 = 0;
    /// QUIC (photographic, lossless).
    pub const QUIC: u8 = 1;
    /// LZ with palette.
    pub const LZ_PLT: u8 = 100;
    /// LZ.
    pub const LZ_RGB: u8 = 101;
    /// Global-dictionary LZ.
    pub const GLZ_RGB: u8 = 102;
    /// Cache hit.
    pub const FROM_CACHE: u8 = 103;
    /// Copy from an off-screen surface.
    pub const SURFACE: u8 = 104;
    /// JPEG.
    pub const JPEG: u8 = 105;
    /// Lossless replacement of a lossy cached image.
    pub const FROM_CACHE_LOSSLESS: u8 = 106;
    /// zlib over GLZ.
    pub const ZLIB_GLZ_RGB: u8 = 107;
    /// JPEG plus LZ alpha.
    pub const JPEG_ALPHA: u8 = 108;
    /// LZ4.
    pub const LZ4: u8 = 109;
}

/// Parses the SpiceImage at `offset` in a message body: descriptor, then the type's payload size.
pub fn parse_image(body: &[u8], offset: u32) -> Result<ImageInfo> {
    use image_type::*;
    let mut r = Reader::at(body, offset as usize, "image.offset")?;
    r.u64("image.id")?;
    let code = r.u8("image.type")?;
    r.u8("image.flags")?;
    let width = r.u32("image.width")?;
    let height = r.u32("image.height")?;
    let payload_bytes = match code {
        BITMAP => {
            r.u8("bitmap.format")?;
            let flags = r.u8("bitmap.flags")?;
            r.u32("bitmap.x")?;
            let y = r.u32("bitmap.y")?;
            let stride = r.u32("bitmap.stride")?;
            if flags & 2 != 0 {
                r.u64("bitmap.palette_id")?;
            } else {
                r.u32("bitmap.palette")?;
            }
            u64::from(stride) * u64::from(y)
        }
        QUIC | LZ_RGB | GLZ_RGB | JPEG | LZ4 => u64::from(r.u32("image.data_size")?),
        LZ_PLT => {
            let flags = r.u8("lz_plt.flags")?;
            let size = r.u32("lz_plt.data_size")?;
            if flags & 2 != 0 {
                r.u64("lz_plt.palette_id")?;
            } else {
                r.u32("lz_plt.palette")?;
            }
            u64::from(size)
        }
        ZLIB_GLZ_RGB => {
            r.u32("zlib_glz.glz_data_size")?;
            u64::from(r.u32("zlib_glz.data_size")?)
        }
        JPEG_ALPHA => {
            r.u8("jpeg_alpha.flags")?;
            r.u32("jpeg_alpha.jpeg_size")?;
            u64::from(r.u32("jpeg_alpha.data_size")?)
        }
        SURFACE => {
            r.u32("surface_image.surface_id")?;
            0
        }
        // Cache hits and codes from newer protocol versions carry no payload we can size.
        _ => 0,
    };
    if payload_bytes > r.remaining() as u64 {
        return Err(WireError::Invalid {
            field: "image.data_size",
            reason: format!(
                "{payload_bytes} bytes of image data, but only {} left in the message",
                r.remaining()
            ),
        });
    }
    Ok(ImageInfo {
        code,
        width,
        height,
        payload_bytes,
    })
}

/// `SURFACE_CREATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurfaceCreate {
    /// Surface id.
    pub surface_id: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// SpiceSurfaceFmt.
    pub format: u32,
    /// Flags (1 = primary).
    pub flags: u32,
}

impl SurfaceCreate {
    /// Parses the body.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        Ok(Self {
            surface_id: r.u32("surface_create.surface_id")?,
            width: r.u32("surface_create.width")?,
            height: r.u32("surface_create.height")?,
            format: r.u32("surface_create.format")?,
            flags: r.u32("surface_create.flags")?,
        })
    }

    /// Whether this is the on-screen surface.
    pub fn is_primary(&self) -> bool {
        self.flags & 1 != 0
    }
}

/// `STREAM_CREATE`: the fields an observer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamCreate {
    /// Surface the stream draws on.
    pub surface_id: u32,
    /// Stream id.
    pub id: u32,
    /// Video codec (1 MJPEG, 2 VP8, 3 H264, 4 VP9, 5 H265).
    pub codec_type: u8,
    /// Destination rectangle.
    pub dest: Rect,
}

impl StreamCreate {
    /// Parses the body.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        let surface_id = r.u32("stream_create.surface_id")?;
        let id = r.u32("stream_create.id")?;
        r.u8("stream_create.flags")?;
        let codec_type = r.u8("stream_create.codec_type")?;
        r.u64("stream_create.stamp")?;
        r.skip(16, "stream_create.sizes")?;
        let dest = Rect::read(&mut r, "stream_create.dest")?;
        Ok(Self {
            surface_id,
            id,
            codec_type,
            dest,
        })
    }
}

/// SpiceVideoCodecType: the `codec_type` of STREAM_CREATE ([PROTO enums.h], §6.4).
pub mod video_codec {
    /// Motion JPEG (spice-server's built-in encoder).
    pub const MJPEG: u8 = 1;
    /// VP8 (GStreamer).
    pub const VP8: u8 = 2;
    /// H.264 (GStreamer).
    pub const H264: u8 = 3;
    /// VP9 (GStreamer).
    pub const VP9: u8 = 4;
    /// H.265 (GStreamer).
    pub const H265: u8 = 5;
}

/// One head (monitor) of MONITORS_CONFIG: a rectangle of a surface that a monitor shows.
///
/// # Format
/// ```text
/// monitor_id u32, surface_id u32, width u32, height u32, x u32, y u32, flags u32  (28 bytes)
/// ```
/// Width and height come *before* x and y on the wire ([COMMON spice.proto] `struct Head`;
/// QXL's own `QXLHead` orders them x, y, width, height, which is where the two get mixed up).
/// The two-head capture in `tests/data` confirms it: head 1 is `1920, 1200, 1920, 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Head {
    /// Monitor id.
    pub id: u32,
    /// Surface the head shows a part of (the primary, 0, on Xspice and QXL).
    pub surface_id: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Left edge on the surface.
    pub x: u32,
    /// Top edge on the surface.
    pub y: u32,
    /// Flags (none defined).
    pub flags: u32,
}

impl Head {
    /// Bytes of one head on the wire.
    pub const LEN: usize = 28;

    /// The part of its surface the head shows.
    pub fn rect(&self) -> Rect {
        // Clamped: a hostile head far outside i32 just ends at the edge of the coordinate space.
        let edge = |v: u64| v.min(i32::MAX as u64) as i32;
        let (x, y) = (u64::from(self.x), u64::from(self.y));
        Rect {
            top: edge(y),
            left: edge(x),
            bottom: edge(y + u64::from(self.height)),
            right: edge(x + u64::from(self.width)),
        }
    }
}

/// `MONITORS_CONFIG` (317): the monitor layout the server announces (§6.4).
///
/// # Format
/// ```text
/// count u16, max_allowed u16, count × Head
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MonitorsConfig {
    /// Most heads the guest may use.
    pub max_allowed: u16,
    /// The heads, in wire order.
    pub heads: Vec<Head>,
}

impl MonitorsConfig {
    /// Parses the body. A count larger than the body holds is an error, found before anything
    /// is allocated for it.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        let count = usize::from(r.u16("monitors_config.count")?);
        let max_allowed = r.u16("monitors_config.max_allowed")?;
        if count.saturating_mul(Head::LEN) > r.remaining() {
            return Err(WireError::Truncated {
                field: "monitors_config.heads",
                need: count * Head::LEN,
                have: r.remaining(),
            });
        }
        let heads = (0..count)
            .map(|_| {
                Ok(Head {
                    id: r.u32("head.monitor_id")?,
                    surface_id: r.u32("head.surface_id")?,
                    width: r.u32("head.width")?,
                    height: r.u32("head.height")?,
                    x: r.u32("head.x")?,
                    y: r.u32("head.y")?,
                    flags: r.u32("head.flags")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { max_allowed, heads })
    }

    /// Emits the body (`heads` beyond 65535 are not representable and are left out).
    pub fn emit(&self) -> Vec<u8> {
        let heads = &self.heads[..self.heads.len().min(usize::from(u16::MAX))];
        let mut out = Vec::with_capacity(4 + heads.len() * Head::LEN);
        out.put_u16(heads.len() as u16);
        out.put_u16(self.max_allowed);
        for h in heads {
            for v in [h.id, h.surface_id, h.width, h.height, h.x, h.y, h.flags] {
                out.put_u32(v);
            }
        }
        out
    }
}

/// `STREAM_DESTROY` (125): the id of the stream that ended.
pub fn parse_stream_destroy(body: &[u8]) -> Result<u32> {
    Reader::new(body).u32("stream_destroy.id")
}

/// `SURFACE_DESTROY` (315): the id of the surface that went away.
pub fn parse_surface_destroy(body: &[u8]) -> Result<u32> {
    Reader::new(body).u32("surface_destroy.surface_id")
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::common::test::hex_body;

    #[test]
    fn display_init_like_remote_viewer() {
        // remote-viewer's DISPLAY_INIT from the sample capture.
        let real = hex_body("0100004001000000000100fcdf00");
        let init = DisplayInit::parse(&real).unwrap();
        assert_eq!(init.pixmap_cache_size, 20_971_520);
        assert_eq!(init.glz_dictionary_window_size, 14_679_040);
        assert_eq!(init.emit(), real);
        // Our default matches spice-gtk's formula for the RAM hint Xspice sent (0x06ffe000).
        assert_eq!(DisplayInit::like_spice_gtk(0x06ff_e000), init);
    }

    #[test]
    fn initial_draw_copy_from_real_capture() {
        // First DRAW_COPY on the display channel: the whole 1024x768 screen as one LZ_RGB image
        // (20366-byte body); here only the fixed part plus the image header.
        let body = hex_body(concat!(
            "00000000",                         // surface 0
            "00000000000000000003000000040000", // box: top 0, left 0, bottom 768, right 1024
            "00",                               // clip none
            "39000000",                         // src_bitmap at 57
            "00000000000000000003000000040000", // src_area
            "0800",                             // rop OP_PUT
            "00",                               // scale mode
            "00000000000000000000000000",       // mask: none
            "0200000001000000",                 // image id
            "65",                               // type 101 LZ_RGB
            "00",                               // flags
            "0004000000030000",                 // 1024 x 768
            "3f4f0000",                         // data_size 20287
        ));
        let mut full = body.clone();
        full.resize(body.len() + 20287, 0);
        let update = parse_update(server::DRAW_COPY, &full).unwrap().unwrap();
        let DisplayUpdate::Draw {
            surface_id,
            area,
            images,
            ..
        } = update
        else {
            panic!("not a draw: {update:?}")
        };
        assert_eq!(surface_id, 0);
        assert_eq!(
            area,
            Rect {
                top: 0,
                left: 0,
                bottom: 768,
                right: 1024
            }
        );
        assert_eq!(area.area(), 1024 * 768);
        // Hostile corners (found by the fuzzer) must not overflow.
        let huge = Rect {
            top: i32::MIN,
            left: i32::MIN,
            bottom: i32::MAX,
            right: i32::MAX,
        };
        assert_eq!(huge.area(), (u64::from(u32::MAX)) * u64::from(u32::MAX));
        assert_eq!(
            images,
            vec![ImageInfo {
                code: image_type::LZ_RGB,
                width: 1024,
                height: 768,
                payload_bytes: 20287
            }]
        );
        // 57 + 18 + 4 + 20287 = 20366, the body size in the capture.
        assert_eq!(full.len(), 20366);
        // Cut short, the same message is an error, not a panic.
        assert!(parse_update(server::DRAW_COPY, &full[..20000]).is_err());
    }

    #[test]
    fn fill_and_copy_bits_from_real_capture() {
        let fill = hex_body(
            "00000000740100003600000081010000160200000001ffffff00080000000000000000000000000000",
        );
        let Some(DisplayUpdate::Draw { area, images, .. }) =
            parse_update(server::DRAW_FILL, &fill).unwrap()
        else {
            panic!("fill not parsed")
        };
        assert_eq!(
            area,
            Rect {
                top: 372,
                left: 54,
                bottom: 385,
                right: 534
            }
        );
        assert!(images.is_empty());
        let Some(DisplayUpdate::Draw { fill: colour, .. }) =
            parse_update(server::DRAW_FILL, &fill).unwrap()
        else {
            unreachable!()
        };
        assert_eq!(colour, Some(0x00ff_ffff), "xterm's white background fill");
        let copy_bits = hex_body("0000000049000000360000007401000016020000003600000056000000");
        let Some(DisplayUpdate::Draw { msg_type, .. }) =
            parse_update(server::COPY_BITS, &copy_bits).unwrap()
        else {
            panic!("copy bits not parsed")
        };
        assert_eq!(msg_type, server::COPY_BITS);
    }

    #[test]
    fn surface_create_from_real_capture() {
        let s =
            SurfaceCreate::parse(&hex_body("0000000000040000000300002000000001000000")).unwrap();
        assert_eq!((s.width, s.height, s.format), (1024, 768, 32));
        assert!(s.is_primary());
    }

    #[test]
    fn non_updates_are_not_updates() {
        assert!(!is_update(server::MARK));
        assert!(!is_update(server::SURFACE_CREATE));
        assert!(is_update(server::DRAW_COMPOSITE));
        assert_eq!(parse_update(server::MARK, &[]).unwrap(), None);
    }

    #[test]
    fn image_offset_outside_the_body_is_an_error() {
        let mut body = vec![0u8; 57];
        body[21..25].copy_from_slice(&1000u32.to_le_bytes());
        assert!(parse_update(server::DRAW_COPY, &body).is_err());
    }

    #[test]
    fn stream_frames() {
        let mut body = Vec::new();
        body.put_u32(7);
        body.put_u32(123);
        body.put_u32(3);
        body.extend([1, 2, 3]);
        assert_eq!(
            parse_update(server::STREAM_DATA, &body).unwrap(),
            Some(DisplayUpdate::StreamFrame {
                stream_id: 7,
                data_size: 3,
                area: None
            })
        );
    }

    /// The MONITORS_CONFIG body of the two-head capture (`tests/data/xspice-two-heads.pcapng`,
    /// Xspice with NumHeads 2 after xrandr placed qxl-1 right of qxl-0).
    const TWO_HEADS: &str = concat!(
        "0200", "0200", // count 2, max_allowed 2
        "00000000", "00000000", "80070000", "b0040000", "00000000", "00000000", "00000000",
        "01000000", "00000000", "80070000", "b0040000", "80070000", "00000000", "00000000",
    );

    #[test]
    fn monitors_config_parse_and_emit() {
        let body = hex_body(TWO_HEADS);
        let m = MonitorsConfig::parse(&body).unwrap();
        assert_eq!(m.max_allowed, 2);
        assert_eq!(
            m.heads,
            vec![
                Head {
                    id: 0,
                    surface_id: 0,
                    width: 1920,
                    height: 1200,
                    x: 0,
                    y: 0,
                    flags: 0
                },
                Head {
                    id: 1,
                    surface_id: 0,
                    width: 1920,
                    height: 1200,
                    x: 1920,
                    y: 0,
                    flags: 0
                },
            ]
        );
        assert_eq!(
            m.heads[1].rect(),
            Rect {
                top: 0,
                left: 1920,
                bottom: 1200,
                right: 3840
            }
        );
        assert_eq!(m.emit(), body);
    }

    #[test]
    fn monitors_config_cut_short_or_overclaiming_is_an_error() {
        let body = hex_body(TWO_HEADS);
        for n in 0..body.len() {
            assert!(MonitorsConfig::parse(&body[..n]).is_err(), "{n} bytes");
        }
        // 65535 heads claimed in a 4-byte body: refused before allocating.
        assert!(matches!(
            MonitorsConfig::parse(&[0xff, 0xff, 0, 0]),
            Err(WireError::Truncated {
                need: 1_834_980,
                ..
            })
        ));
        // No heads is a valid (if useless) layout.
        assert_eq!(
            MonitorsConfig::parse(&[0, 0, 1, 0]).unwrap(),
            MonitorsConfig {
                max_allowed: 1,
                heads: vec![]
            }
        );
        // A head at the far end of u32 stays inside i32 instead of wrapping.
        let far = Head {
            x: u32::MAX,
            width: u32::MAX,
            ..Head::default()
        };
        assert_eq!((far.rect().left, far.rect().right), (i32::MAX, i32::MAX));
    }

    #[test]
    fn rect_intersection() {
        let a = Rect {
            top: 0,
            left: 1800,
            bottom: 100,
            right: 2000,
        };
        let head1 = Rect {
            top: 0,
            left: 1920,
            bottom: 1200,
            right: 3840,
        };
        assert_eq!(a.intersection(&head1).area(), 80 * 100);
        let far = Rect {
            top: 0,
            left: 4000,
            bottom: 10,
            right: 4010,
        };
        assert_eq!(far.intersection(&head1).area(), 0);
    }

    #[test]
    fn stream_create_and_destroy_from_real_capture() {
        // STREAM_CREATE of the 320x240 MJPEG stream in tests/data/xspice-streams-mjpeg.pcapng.
        let mut body = Vec::new();
        for v in [0u32, 48] {
            body.put_u32(v);
        }
        body.put_u8(1); // TOP_DOWN
        body.put_u8(video_codec::MJPEG);
        body.put_u64(0);
        for v in [320u32, 240, 320, 240] {
            body.put_u32(v);
        }
        for v in [221i32, 302, 461, 622] {
            body.put_i32(v);
        }
        body.put_u8(1);
        body.put_u32(0);
        assert_eq!(body.len(), 55, "the body size tshark shows");
        let s = StreamCreate::parse(&body).unwrap();
        assert_eq!((s.id, s.codec_type, s.dest.size()), (48, 1, (320, 240)));
        assert_eq!(parse_stream_destroy(&49u32.to_le_bytes()), Ok(49));
        assert!(parse_stream_destroy(&[1, 2]).is_err());
        assert_eq!(parse_surface_destroy(&[7, 0, 0, 0]), Ok(7));
    }
}
