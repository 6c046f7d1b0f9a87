//! Names for message types and image types, as the protocol headers spell them (Appendix A).

use super::channel::ChannelType;

/// Direction of a message on a channel connection.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Server to client.
    Down,
    /// Client to server.
    Up,
}

impl Direction {
    /// The other direction of the same connection.
    pub fn reverse(self) -> Self {
        match self {
            Direction::Down => Direction::Up,
            Direction::Up => Direction::Down,
        }
    }

    /// `"down"` or `"up"`, as results spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Down => "down",
            Self::Up => "up",
        }
    }
}

impl std::fmt::Display for Direction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol name of message `msg_type` on `channel` in `direction`, or `None` if unknown.
pub fn message_name(
    channel: ChannelType,
    direction: Direction,
    msg_type: u16,
) -> Option<&'static str> {
    use Direction::*;
    if msg_type < 101 {
        return Some(match (direction, msg_type) {
            (Down, 1) => "MIGRATE",
            (Down, 2) => "MIGRATE_DATA",
            (Down, 3) => "SET_ACK",
            (Down, 4) => "PING",
            (Down, 5) => "WAIT_FOR_CHANNELS",
            (Down, 6) => "DISCONNECTING",
            (Down, 7) => "NOTIFY",
            (Down, 8) => "LIST",
            (Up, 1) => "ACK_SYNC",
            (Up, 2) => "ACK",
            (Up, 3) => "PONG",
            (Up, 4) => "MIGRATE_FLUSH_MARK",
            (Up, 5) => "MIGRATE_DATA",
            (Up, 6) => "DISCONNECTING",
            _ => return None,
        });
    }
    let table: &[(u16, &str)] = match (channel.0, direction) {
        (1, Down) => &[
            (101, "MIGRATE_BEGIN"),
            (102, "MIGRATE_CANCEL"),
            (103, "INIT"),
            (104, "CHANNELS_LIST"),
            (105, "MOUSE_MODE"),
            (106, "MULTI_MEDIA_TIME"),
            (107, "AGENT_CONNECTED"),
            (108, "AGENT_DISCONNECTED"),
            (109, "AGENT_DATA"),
            (110, "AGENT_TOKEN"),
            (111, "MIGRATE_SWITCH_HOST"),
            (112, "MIGRATE_END"),
            (113, "NAME"),
            (114, "UUID"),
            (115, "AGENT_CONNECTED_TOKENS"),
            (116, "MIGRATE_BEGIN_SEAMLESS"),
            (117, "MIGRATE_DST_SEAMLESS_ACK"),
            (118, "MIGRATE_DST_SEAMLESS_NACK"),
        ],
        (1, Up) => &[
            (101, "CLIENT_INFO"),
            (102, "MIGRATE_CONNECTED"),
            (103, "MIGRATE_CONNECT_ERROR"),
            (104, "ATTACH_CHANNELS"),
            (105, "MOUSE_MODE_REQUEST"),
            (106, "AGENT_START"),
            (107, "AGENT_DATA"),
            (108, "AGENT_TOKEN"),
            (109, "MIGRATE_END"),
            (110, "MIGRATE_DST_DO_SEAMLESS"),
            (111, "MIGRATE_CONNECTED_SEAMLESS"),
            (112, "QUALITY_INDICATOR"),
        ],
        (2, Down) => &[
            (101, "MODE"),
            (102, "MARK"),
            (103, "RESET"),
            (104, "COPY_BITS"),
            (105, "INVAL_LIST"),
            (106, "INVAL_ALL_PIXMAPS"),
            (107, "INVAL_PALETTE"),
            (108, "INVAL_ALL_PALETTES"),
            (122, "STREAM_CREATE"),
            (123, "STREAM_DATA"),
            (124, "STREAM_CLIP"),
            (125, "STREAM_DESTROY"),
            (126, "STREAM_DESTROY_ALL"),
            (302, "DRAW_FILL"),
            (303, "DRAW_OPAQUE"),
            (304, "DRAW_COPY"),
            (305, "DRAW_BLEND"),
            (306, "DRAW_BLACKNESS"),
            (307, "DRAW_WHITENESS"),
            (308, "DRAW_INVERS"),
            (309, "DRAW_ROP3"),
            (310, "DRAW_STROKE"),
            (311, "DRAW_TEXT"),
            (312, "DRAW_TRANSPARENT"),
            (313, "DRAW_ALPHA_BLEND"),
            (314, "SURFACE_CREATE"),
            (315, "SURFACE_DESTROY"),
            (316, "STREAM_DATA_SIZED"),
            (317, "MONITORS_CONFIG"),
            (318, "DRAW_COMPOSITE"),
            (319, "STREAM_ACTIVATE_REPORT"),
            (320, "GL_SCANOUT_UNIX"),
            (321, "GL_DRAW"),
            (322, "QUALITY_INDICATOR"),
        ],
        (2, Up) => &[
            (101, "INIT"),
            (102, "STREAM_REPORT"),
            (103, "PREFERRED_COMPRESSION"),
            (104, "GL_DRAW_DONE"),
            (105, "PREFERRED_VIDEO_CODEC_TYPE"),
        ],
        (3, Down) => &[
            (101, "INIT"),
            (102, "KEY_MODIFIERS"),
            (111, "MOUSE_MOTION_ACK"),
        ],
        (3, Up) => &[
            (101, "KEY_DOWN"),
            (102, "KEY_UP"),
            (103, "KEY_MODIFIERS"),
            (104, "KEY_SCANCODE"),
            (111, "MOUSE_MOTION"),
            (112, "MOUSE_POSITION"),
            (113, "MOUSE_PRESS"),
            (114, "MOUSE_RELEASE"),
        ],
        (4, Down) => &[
            (101, "INIT"),
            (102, "RESET"),
            (103, "SET"),
            (104, "MOVE"),
            (105, "HIDE"),
            (106, "TRAIL"),
            (107, "INVAL_ONE"),
            (108, "INVAL_ALL"),
        ],
        (5, Down) => &[
            (101, "DATA"),
            (102, "MODE"),
            (103, "START"),
            (104, "STOP"),
            (105, "VOLUME"),
            (106, "MUTE"),
            (107, "LATENCY"),
        ],
        (6, Down) => &[
            (101, "START"),
            (102, "STOP"),
            (103, "VOLUME"),
            (104, "MUTE"),
        ],
        (6, Up) => &[(101, "DATA"), (102, "MODE"), (103, "START_MARK")],
        _ => &[],
    };
    table.iter().find(|(t, _)| *t == msg_type).map(|(_, n)| *n)
}

/// The name of a SpiceImage type code, or `None` if unknown.
pub fn image_type_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "BITMAP",
        1 => "QUIC",
        2 => "RESERVED",
        100 => "LZ_PLT",
        101 => "LZ_RGB",
        102 => "GLZ_RGB",
        103 => "FROM_CACHE",
        104 => "SURFACE",
        105 => "JPEG",
        106 => "FROM_CACHE_LOSSLESS",
        107 => "ZLIB_GLZ_RGB",
        108 => "JPEG_ALPHA",
        109 => "LZ4",
        _ => return None,
    })
}

/// The results name of a SpiceVideoCodecType (STREAM_CREATE `codec_type`), or `None` if
/// unknown. Lower case, as QEMU's and libvirt's `video-codecs` options spell them.
pub fn video_codec_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "mjpeg",
        2 => "vp8",
        3 => "h264",
        4 => "vp9",
        5 => "h265",
        _ => return None,
    })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn names_common_and_channel_messages() {
        let d = ChannelType::DISPLAY;
        assert_eq!(message_name(d, Direction::Down, 304), Some("DRAW_COPY"));
        assert_eq!(message_name(d, Direction::Up, 101), Some("INIT"));
        assert_eq!(message_name(d, Direction::Down, 3), Some("SET_ACK"));
        assert_eq!(
            message_name(ChannelType::INPUTS, Direction::Up, 112),
            Some("MOUSE_POSITION")
        );
        assert_eq!(message_name(d, Direction::Down, 999), None);
        assert_eq!(message_name(ChannelType(99), Direction::Down, 101), None);
    }

    #[test]
    fn image_names() {
        assert_eq!(image_type_name(102), Some("GLZ_RGB"));
        assert_eq!(image_type_name(0), Some("BITMAP"));
        assert_eq!(image_type_name(200), None);
        assert_eq!(video_codec_name(1), Some("mjpeg"));
        assert_eq!(video_codec_name(5), Some("h265"));
        assert_eq!(video_codec_name(0), None);
    }
}
