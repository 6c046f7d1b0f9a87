//! What a scenario puts on the target's screen (`[desktop]`) and the server's compression
//! knobs beyond image compression, each a matrix axis, spelled as QEMU and libvirt spell them
//! (`shared/spice-protocol.md` §10). One value of each (a configuration's) is
//! `crate::plan::ServerKnobs`; the video codecs are the wire's (`crate::wire::video_codecs`).

pub use crate::wire::video_codecs::{VideoCodec, VideoCodecList, VideoCodecType, VideoEncoder};

crate::named_enum::named_enum! {
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

crate::named_enum::named_enum! {
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

crate::named_enum::named_enum! {
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

crate::named_enum::named_enum! {
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
