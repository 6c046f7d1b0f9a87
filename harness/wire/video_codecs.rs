//! Video codecs: `SpiceVideoCodecType` (the STREAM_CREATE codec byte, a client's
//! PREFERRED_VIDEO_CODEC_TYPE) by name, the encoders spice-server has, and its `video-codecs`
//! list (`gstreamer:vp8;spice:mjpeg`), which a scenario measures as a server knob or a client
//! preference.

use std::fmt;

use super::display::video_codec;

crate::named_enum::named_enum! {
    /// A video encoder spice-server can use (`encoder:codec` in its `video-codecs` list).
    pub enum VideoEncoder {
        /// spice-server's built-in encoder.
        Spice = "spice",
        /// A GStreamer pipeline (needs the plugin installed where the server runs).
        Gstreamer = "gstreamer",
    }
}

crate::named_enum::named_enum! {
    /// A video codec (`SpiceVideoCodecType`: the STREAM_CREATE codec byte).
    pub enum VideoCodecType {
        /// Motion JPEG (1).
        Mjpeg = "mjpeg",
        /// VP8 (2).
        Vp8 = "vp8",
        /// H.264 (3).
        H264 = "h264",
        /// VP9 (4).
        Vp9 = "vp9",
        /// H.265 (5).
        H265 = "h265",
    }
}

impl VideoCodecType {
    /// The codec's `SpiceVideoCodecType` number.
    pub fn wire_code(self) -> u8 {
        match self {
            Self::Mjpeg => video_codec::MJPEG,
            Self::Vp8 => video_codec::VP8,
            Self::H264 => video_codec::H264,
            Self::Vp9 => video_codec::VP9,
            Self::H265 => video_codec::H265,
        }
    }
}

/// One `encoder:codec` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoCodec {
    /// Who encodes.
    pub encoder: VideoEncoder,
    /// What.
    pub codec: VideoCodecType,
}

impl VideoCodec {
    /// Parses `spice:mjpeg`, `gstreamer:vp8`, … . The built-in encoder only does MJPEG.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (encoder, codec) = s.split_once(':').ok_or_else(|| {
            format!("`{s}` is not encoder:codec, e.g. spice:mjpeg or gstreamer:vp8")
        })?;
        let encoder = VideoEncoder::from_name(encoder).ok_or_else(|| {
            format!("unknown video encoder `{encoder}` in `{s}`; use spice or gstreamer")
        })?;
        let codec = VideoCodecType::from_name(codec).ok_or_else(|| {
            format!(
                "unknown video codec `{codec}` in `{s}`; use one of: {}",
                VideoCodecType::ALL.map(VideoCodecType::as_str).join(", ")
            )
        })?;
        if encoder == VideoEncoder::Spice && codec != VideoCodecType::Mjpeg {
            return Err(format!(
                "spice-server's own encoder only does mjpeg; write gstreamer:{} for {}",
                codec.as_str(),
                codec.as_str()
            ));
        }
        Ok(Self { encoder, codec })
    }
}

impl fmt::Display for VideoCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.encoder, self.codec)
    }
}

/// A `video-codecs` list in preference order, e.g. `gstreamer:vp8;spice:mjpeg`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VideoCodecList(pub Vec<VideoCodec>);

impl VideoCodecList {
    /// Parses `;`-separated entries (a trailing `;` allowed); never empty, no repeats.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut list = Vec::new();
        for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let codec = VideoCodec::parse(part)?;
            if list.contains(&codec) {
                return Err(format!("`{part}` is listed twice in `{s}`"));
            }
            list.push(codec);
        }
        if list.is_empty() {
            return Err("an empty video codec list; give e.g. \"spice:mjpeg\"".into());
        }
        Ok(Self(list))
    }

    /// The codecs a client prefers, in order, without repeats (PREFERRED_VIDEO_CODEC_TYPE).
    pub fn codec_types(&self) -> Vec<VideoCodecType> {
        let mut out: Vec<VideoCodecType> = Vec::new();
        for c in &self.0 {
            if !out.contains(&c.codec) {
                out.push(c.codec);
            }
        }
        out
    }

    /// A short form for configuration names: `gstreamer-vp8+spice-mjpeg`.
    pub fn label(&self) -> String {
        self.0
            .iter()
            .map(|c| c.to_string().replace(':', "-"))
            .collect::<Vec<_>>()
            .join("+")
    }
}

impl fmt::Display for VideoCodecList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "{}", parts.join(";"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_codec_lists_parse_and_print_as_the_server_spells_them() {
        let l = VideoCodecList::parse("gstreamer:vp8;spice:mjpeg;").unwrap();
        assert_eq!(l.to_string(), "gstreamer:vp8;spice:mjpeg");
        assert_eq!(l.label(), "gstreamer-vp8+spice-mjpeg");
        assert_eq!(
            l.codec_types(),
            [VideoCodecType::Vp8, VideoCodecType::Mjpeg]
        );
        assert!(VideoCodecList::parse("spice:vp8")
            .unwrap_err()
            .contains("gstreamer:vp8"));
        assert!(VideoCodecList::parse("x264")
            .unwrap_err()
            .contains("encoder:codec"));
        assert!(VideoCodecList::parse("spice:mjpeg;spice:mjpeg")
            .unwrap_err()
            .contains("twice"));
        assert!(VideoCodecList::parse(" ; ").is_err());
    }
}
