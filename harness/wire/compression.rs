//! `SpiceImageCompression` (what a server setting or a client's `PREFERRED_COMPRESSION` asks
//! for), `SpiceImage` types (what a display draw carries), and the one table of which image
//! types each compression sends [COMMON spice.proto; spice-server `image-encoders.c`]. Both
//! enums keep values they do not know (`Unknown`), so a newer peer never makes them fail.

use super::display::image_type as code;

/// A `SpiceImageCompression` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageCompression {
    /// 1: no image compression.
    Off,
    /// 2: GLZ, QUIC (or JPEG with the WAN knobs) for photographic images.
    AutoGlz,
    /// 3: LZ, QUIC (or JPEG) for photographic images.
    AutoLz,
    /// 4: QUIC, JPEG with the WAN knobs.
    Quic,
    /// 5: GLZ only.
    Glz,
    /// 6: LZ only.
    Lz,
    /// 7: LZ4.
    Lz4,
    /// Any other value.
    Unknown(u8),
}

/// A `SpiceImage` descriptor's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageType {
    /// Uncompressed.
    Bitmap,
    /// QUIC.
    Quic,
    /// LZ with a palette.
    LzPlt,
    /// LZ.
    LzRgb,
    /// Global-dictionary LZ.
    GlzRgb,
    /// Cache hit.
    FromCache,
    /// Copy from an off-screen surface.
    Surface,
    /// JPEG.
    Jpeg,
    /// Lossless replacement of a lossy cached image.
    FromCacheLossless,
    /// zlib over GLZ.
    ZlibGlzRgb,
    /// JPEG plus LZ alpha.
    JpegAlpha,
    /// LZ4.
    Lz4,
    /// Any other value.
    Unknown(u8),
}

/// The image types in the wire's code order, for [`ImageType::from_code`].
const TYPES: [(u8, ImageType); 12] = [
    (code::BITMAP, ImageType::Bitmap),
    (code::QUIC, ImageType::Quic),
    (code::LZ_PLT, ImageType::LzPlt),
    (code::LZ_RGB, ImageType::LzRgb),
    (code::GLZ_RGB, ImageType::GlzRgb),
    (code::FROM_CACHE, ImageType::FromCache),
    (code::SURFACE, ImageType::Surface),
    (code::JPEG, ImageType::Jpeg),
    (code::FROM_CACHE_LOSSLESS, ImageType::FromCacheLossless),
    (code::ZLIB_GLZ_RGB, ImageType::ZlibGlzRgb),
    (code::JPEG_ALPHA, ImageType::JpegAlpha),
    (code::LZ4, ImageType::Lz4),
];

impl ImageType {
    /// The type of a descriptor's code.
    pub fn from_code(c: u8) -> Self {
        TYPES
            .iter()
            .find(|(k, _)| *k == c)
            .map_or(Self::Unknown(c), |(_, t)| *t)
    }

    /// The code on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::Unknown(c) => c,
            known => TYPES
                .iter()
                .find(|(_, t)| *t == known)
                .map_or(u8::MAX, |(k, _)| *k),
        }
    }
}

use ImageType as T;

/// Photographic images under the auto modes: QUIC, or JPEG (with alpha) with the WAN knobs.
const PHOTO: &[ImageType] = &[T::Quic, T::Jpeg, T::JpegAlpha];

impl ImageCompression {
    /// The compression of a wire code.
    pub fn from_code(c: u8) -> Self {
        match c {
            1 => Self::Off,
            2 => Self::AutoGlz,
            3 => Self::AutoLz,
            4 => Self::Quic,
            5 => Self::Glz,
            6 => Self::Lz,
            7 => Self::Lz4,
            other => Self::Unknown(other),
        }
    }

    /// The code on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::Off => 1,
            Self::AutoGlz => 2,
            Self::AutoLz => 3,
            Self::Quic => 4,
            Self::Glz => 5,
            Self::Lz => 6,
            Self::Lz4 => 7,
            Self::Unknown(c) => c,
        }
    }

    /// The table: the image types that show this compression in force (its own codec), and
    /// those it also sends for photographic images (the auto modes). LZ sends palette images
    /// as LZ_PLT; with the WAN knobs on, GLZ images may come as ZLIB_GLZ_RGB and photographic
    /// ones as JPEG. An unknown compression has neither.
    fn row(self) -> (&'static [ImageType], &'static [ImageType]) {
        match self {
            Self::Off => (&[T::Bitmap], &[]),
            Self::AutoGlz => (&[T::GlzRgb, T::ZlibGlzRgb], PHOTO),
            Self::AutoLz => (&[T::LzRgb, T::LzPlt], PHOTO),
            Self::Quic => (PHOTO, &[]),
            Self::Glz => (&[T::GlzRgb, T::ZlibGlzRgb], &[]),
            Self::Lz => (&[T::LzRgb, T::LzPlt], &[]),
            Self::Lz4 => (&[T::Lz4], &[]),
            Self::Unknown(_) => (&[], &[]),
        }
    }

    /// The image types that show this compression in force: a run labelled with it whose
    /// wire shows none of them did not run it (DESIGN.md, "Compression mode").
    pub fn signature(self) -> &'static [ImageType] {
        self.row().0
    }

    /// Every image type this compression sends (cache hits and surface copies aside).
    pub fn image_types(self) -> Vec<ImageType> {
        let (own, photo) = self.row();
        own.iter().chain(photo).copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_unknown_values_are_kept() {
        for c in 0..=u8::MAX {
            assert_eq!(ImageType::from_code(c).code(), c);
            assert_eq!(ImageCompression::from_code(c).code(), c);
        }
        assert_eq!(ImageType::from_code(108), ImageType::JpegAlpha);
        assert_eq!(ImageType::from_code(2), ImageType::Unknown(2));
        assert_eq!(ImageCompression::from_code(0), ImageCompression::Unknown(0));
        assert_eq!(ImageCompression::from_code(7), ImageCompression::Lz4);
    }

    #[test]
    fn the_table_sends_each_codec_and_the_auto_modes_photographic_fallback() {
        use ImageCompression as C;
        assert_eq!(C::Off.image_types(), [T::Bitmap]);
        assert_eq!(
            C::AutoGlz.image_types(),
            [T::GlzRgb, T::ZlibGlzRgb, T::Quic, T::Jpeg, T::JpegAlpha]
        );
        assert_eq!(
            C::AutoLz.image_types(),
            [T::LzRgb, T::LzPlt, T::Quic, T::Jpeg, T::JpegAlpha]
        );
        // JPEG_ALPHA is QUIC's too (it was missing from one of two tables before).
        assert_eq!(C::Quic.image_types(), [T::Quic, T::Jpeg, T::JpegAlpha]);
        assert_eq!(C::Glz.image_types(), [T::GlzRgb, T::ZlibGlzRgb]);
        assert_eq!(C::Lz.image_types(), [T::LzRgb, T::LzPlt]);
        assert_eq!(C::Lz4.image_types(), [T::Lz4]);
        assert!(C::Unknown(9).image_types().is_empty());
    }

    #[test]
    fn a_signature_is_the_codec_itself_not_the_photographic_fallback() {
        use ImageCompression as C;
        assert_eq!(C::AutoGlz.signature(), [T::GlzRgb, T::ZlibGlzRgb]);
        assert_eq!(C::AutoLz.signature(), C::Lz.signature());
        assert_eq!(C::Quic.signature(), [T::Quic, T::Jpeg, T::JpegAlpha]);
        for c in (1..=7).map(C::from_code) {
            let all = c.image_types();
            assert!(c.signature().iter().all(|t| all.contains(t)), "{c:?}");
            // Cache hits and surface copies say nothing about the compression.
            assert!(!all.contains(&T::FromCache) && !all.contains(&T::Surface));
        }
    }
}
