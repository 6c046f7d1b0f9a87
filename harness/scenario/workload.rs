//! What a scenario puts on the target's screen (`[desktop]`) and the server's compression
//! knobs beyond image compression, each a matrix axis, spelled as QEMU and libvirt spell them
//! (`shared/spice-protocol.md` §10). One value of each (a configuration's) is
//! `crate::plan::ServerKnobs`.

use std::fmt;

super::names::named_enum! {
    /// Something the desktop keeps changing while nobody types: a screen that is never quiet,
    /// to see how far each latency method can be trusted there (`docs/latency.md`).
    #[derive(Default)]
    pub enum IdleActivity {
        /// Nothing: the screen is still until an input arrives.
        #[default]
        None = "none",
        /// A terminal in the bottom-right corner whose block cursor blinks: on 250 ms, off
        /// 250 ms.
        BlinkingCursor = "blinking_cursor",
        /// xclock's digital clock in the bottom-right corner, redrawn every second.
        Clock = "clock",
    }
}

super::names::named_enum! {
    /// What the lab's desktop shows and the steps work on (`desktop.content`).
    #[derive(Default)]
    pub enum DesktopContent {
        /// A small xterm at +50+50 over the plasma background: the quick drag.
        #[default]
        Xterm = "xterm",
        /// A 1200x800 window of photo-like and text content (generated per run, seeded), to
        /// drag fast across the heads: a browser-sized window.
        PhotoWindow = "photo_window",
        /// LibreOffice Draw, maximised on the first head, with the repo's document of
        /// coloured, semi-transparent shapes.
        Lodraw = "lodraw",
        /// A looping animation window (ImageMagick `animate`), for the streaming knobs.
        Video = "video",
    }
}

/// `[desktop]`: the content, and whether a compositing manager runs (an axis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopSpec {
    /// What is on screen.
    pub content: DesktopContent,
    /// Compositor off and/or on; never empty.
    pub compositor: Vec<bool>,
}

impl Default for DesktopSpec {
    fn default() -> Self {
        Self {
            content: DesktopContent::default(),
            compositor: vec![false],
        }
    }
}

super::names::named_enum! {
    /// `jpeg_wan_compression` and `zlib_glz_wan_compression`: when the server may use the
    /// lossy (JPEG) or zlib-wrapped GLZ forms. Named as QEMU, libvirt and Xspice name them.
    #[derive(Default)]
    pub enum WanCompression {
        /// Only on links the server's bandwidth test finds slow (below 10 Mbit/s).
        #[default]
        Auto = "auto",
        /// Never.
        Never = "never",
        /// Always, whatever the link.
        Always = "always",
    }
}

super::names::named_enum! {
    /// `streaming_video`: which screen regions the server may turn into video streams.
    #[derive(Default)]
    pub enum StreamingVideo {
        /// None: every update is an image.
        Off = "off",
        /// Any region redrawn like a video.
        All = "all",
        /// Regions the server's heuristic takes for video (spice-server's and Xspice's
        /// default; QEMU sets `off`).
        #[default]
        Filter = "filter",
    }
}

super::names::named_enum! {
    /// A video encoder spice-server can use (`encoder:codec` in its `video-codecs` list).
    pub enum VideoEncoder {
        /// spice-server's built-in encoder.
        Spice = "spice",
        /// A GStreamer pipeline (needs the plugin installed where the server runs).
        Gstreamer = "gstreamer",
    }
}

super::names::named_enum! {
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
    /// The codec's `SpiceVideoCodecType` number: its place in [`Self::ALL`], from 1.
    pub fn wire_code(self) -> u8 {
        match self {
            Self::Mjpeg => 1,
            Self::Vp8 => 2,
            Self::H264 => 3,
            Self::Vp9 => 4,
            Self::H265 => 5,
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

/// The knob axes of a target: every value of each knob to measure. An empty axis means the
/// scenario leaves that knob at the server's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnobAxes {
    /// `jpeg_wan_compression` values.
    pub jpeg_wan: Vec<WanCompression>,
    /// `zlib_glz_wan_compression` values.
    pub zlib_glz_wan: Vec<WanCompression>,
    /// `streaming_video` values.
    pub streaming_video: Vec<StreamingVideo>,
    /// `video_codecs` lists.
    pub video_codecs: Vec<VideoCodecList>,
    /// `playback_compression` values.
    pub playback: Vec<bool>,
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
