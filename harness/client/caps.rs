//! The capabilities the client advertises on each channel.
//!
//! They copy remote-viewer 11 / spice-gtk 0.42 as seen in `shared/captures/` (common 0x0D,
//! main 0x0F, display 0x6FBF, none on inputs and cursor), with three deliberate differences:
//! - no `AUTH_SASL` common cap: a SASL-enabled server would then send no RSA key (§1.4) and we
//!   cannot do SASL;
//! - no `GL_SCANOUT`: it only applies to unix sockets;
//! - no `STREAM_REPORT`: we do not decode streams, so we could not send honest reports, and the
//!   server's rate control only trusts positive reports (§6.1). Without it, stream bit rates
//!   stay at the server's own estimate.

use crate::wire::display::cap as display_cap;
use crate::wire::link::{common_cap, Caps};
use crate::wire::main_channel::cap as main_cap;
use crate::wire::ChannelType;

/// Common capabilities: auth selection and the mini header.
pub fn common() -> Caps {
    Caps::from_bits(&[common_cap::PROTOCOL_AUTH_SELECTION, common_cap::MINI_HEADER])
}

/// Channel capabilities for `channel`.
pub fn channel(channel: ChannelType) -> Caps {
    match channel {
        ChannelType::MAIN => Caps::from_bits(&[
            main_cap::SEMI_SEAMLESS_MIGRATE,
            main_cap::NAME_AND_UUID,
            main_cap::AGENT_CONNECTED_TOKENS,
            main_cap::SEAMLESS_MIGRATE,
        ]),
        ChannelType::DISPLAY => Caps::from_bits(&[
            display_cap::SIZED_STREAM,
            display_cap::MONITORS_CONFIG,
            display_cap::COMPOSITE,
            display_cap::A8_SURFACE,
            display_cap::LZ4_COMPRESSION,
            display_cap::MULTI_CODEC,
            display_cap::CODEC_MJPEG,
            display_cap::CODEC_VP8,
            display_cap::CODEC_H264,
            display_cap::CODEC_VP9,
            display_cap::CODEC_H265,
        ]),
        _ => Caps::default(),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn matches_remote_viewer_minus_documented_bits() {
        assert_eq!(common().0, vec![0x09]);
        assert_eq!(channel(ChannelType::MAIN).0, vec![0x0f]);
        // remote-viewer: 0x6fbf; minus STREAM_REPORT (0x10) and GL_SCANOUT (0x80).
        assert_eq!(
            channel(ChannelType::DISPLAY).0,
            vec![0x6fbf & !0x10 & !0x80]
        );
        assert!(channel(ChannelType::INPUTS).0.is_empty());
    }
}
