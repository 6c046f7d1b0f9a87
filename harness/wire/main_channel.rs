//! Main channel messages (`spice-protocol.md` §3, §5.3, §7.2).

use super::channel::ChannelType;
use super::codec::{Reader, Writer};
use super::Result;

/// Server → client main message types.
pub mod server {
    /// Session id and mouse modes.
    pub const INIT: u16 = 103;
    /// Channels the client may open.
    pub const CHANNELS_LIST: u16 = 104;
    /// Mouse mode changed.
    pub const MOUSE_MODE: u16 = 105;
    /// Multimedia clock update.
    pub const MULTI_MEDIA_TIME: u16 = 106;
    /// Guest agent appeared.
    pub const AGENT_CONNECTED: u16 = 107;
    /// Guest agent went away.
    pub const AGENT_DISCONNECTED: u16 = 108;
    /// VM name.
    pub const NAME: u16 = 113;
    /// VM UUID.
    pub const UUID: u16 = 114;
    /// Guest agent appeared (token variant).
    pub const AGENT_CONNECTED_TOKENS: u16 = 115;
}

/// Client → server main message types.
pub mod client {
    /// Ask for the channel list.
    pub const ATTACH_CHANNELS: u16 = 104;
    /// Ask for a mouse mode.
    pub const MOUSE_MODE_REQUEST: u16 = 105;
}

/// Main channel capability bits.
pub mod cap {
    /// Semi-seamless migration.
    pub const SEMI_SEAMLESS_MIGRATE: u32 = 0;
    /// Server sends NAME and UUID.
    pub const NAME_AND_UUID: u32 = 1;
    /// AGENT_CONNECTED_TOKENS instead of AGENT_CONNECTED.
    pub const AGENT_CONNECTED_TOKENS: u32 = 2;
    /// Seamless migration.
    pub const SEAMLESS_MIGRATE: u32 = 3;
}

/// Mouse mode flags.
pub mod mouse_mode {
    /// Relative motion, the guest's pointer acceleration applies.
    pub const SERVER: u32 = 1;
    /// Absolute positions.
    pub const CLIENT: u32 = 2;
}

/// `MAIN_INIT`, the first message of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MainInit {
    /// Connection id for every other channel of this session.
    pub session_id: u32,
    /// Number of display channels.
    pub display_channels_hint: u32,
    /// Mouse modes the server supports (flags).
    pub supported_mouse_modes: u32,
    /// Mouse mode in force.
    pub current_mouse_mode: u32,
    /// Whether a guest agent is connected.
    pub agent_connected: u32,
    /// Agent tokens granted.
    pub agent_tokens: u32,
    /// Server multimedia time.
    pub multi_media_time: u32,
    /// QXL RAM size.
    pub ram_hint: u32,
}

impl MainInit {
    /// Parses a MAIN_INIT body.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        Ok(Self {
            session_id: r.u32("main_init.session_id")?,
            display_channels_hint: r.u32("main_init.display_channels_hint")?,
            supported_mouse_modes: r.u32("main_init.supported_mouse_modes")?,
            current_mouse_mode: r.u32("main_init.current_mouse_mode")?,
            agent_connected: r.u32("main_init.agent_connected")?,
            agent_tokens: r.u32("main_init.agent_tokens")?,
            multi_media_time: r.u32("main_init.multi_media_time")?,
            ram_hint: r.u32("main_init.ram_hint")?,
        })
    }

    /// Emits the body (for tests and the error-path fake server).
    pub fn emit(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        for v in [
            self.session_id,
            self.display_channels_hint,
            self.supported_mouse_modes,
            self.current_mouse_mode,
            self.agent_connected,
            self.agent_tokens,
            self.multi_media_time,
            self.ram_hint,
        ] {
            out.put_u32(v);
        }
        out
    }
}

/// `CHANNELS_LIST`: the `(type, id)` pairs the client may link.
pub fn parse_channels_list(body: &[u8]) -> Result<Vec<(ChannelType, u8)>> {
    let mut r = Reader::new(body);
    let n = r.u32("channels_list.num_of_channels")?;
    // Each entry is 2 bytes: bound the count by the body before allocating.
    let n = (n as usize).min(r.remaining() / 2 + 1);
    (0..n)
        .map(|_| {
            Ok((
                ChannelType(r.u8("channels_list.type")?),
                r.u8("channels_list.id")?,
            ))
        })
        .collect()
}

/// `NAME` {name_len u32, name}: the VM's name (QEMU's `-name`), sent after MAIN_INIT to a
/// client that advertised `NAME_AND_UUID`. The name ends in a NUL, which is dropped; bytes
/// that are not UTF-8 are replaced.
pub fn parse_name(body: &[u8]) -> Result<String> {
    let mut r = Reader::new(body);
    let len = r.u32("name.name_len")? as usize;
    let name = r.bytes(len.min(r.remaining()), "name.name")?;
    let name = name.strip_suffix(&[0]).unwrap_or(name);
    Ok(String::from_utf8_lossy(name).into_owned())
}

/// `UUID` {16 bytes}: the VM's UUID, written in its usual 8-4-4-4-12 hex form.
pub fn parse_uuid(body: &[u8]) -> Result<String> {
    let b = Reader::new(body).bytes(16, "uuid.uuid")?;
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(b);
    Ok(format_uuid(&uuid))
}

/// A UUID's 16 bytes in the 8-4-4-4-12 hex form.
pub fn format_uuid(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Emits a CHANNELS_LIST body.
pub fn emit_channels_list(channels: &[(ChannelType, u8)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.put_u32(channels.len() as u32);
    for (t, id) in channels {
        out.put_u8(t.0);
        out.put_u8(*id);
    }
    out
}

/// `MOUSE_MODE` (server): supported and current modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MouseMode {
    /// Supported mode flags.
    pub supported: u16,
    /// Current mode.
    pub current: u16,
}

impl MouseMode {
    /// Parses a MOUSE_MODE body.
    pub fn parse(body: &[u8]) -> Result<Self> {
        let mut r = Reader::new(body);
        Ok(Self {
            supported: r.u16("mouse_mode.supported")?,
            current: r.u16("mouse_mode.current")?,
        })
    }
}

/// `MOUSE_MODE_REQUEST` body.
pub fn mouse_mode_request(mode: u16) -> Vec<u8> {
    mode.to_le_bytes().to_vec()
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::common::test::hex_body;

    #[test]
    fn main_init_from_real_capture() {
        let body = hex_body("6124a3ad010000000300000001000000000000000a000000be9c050000e0ff06");
        let init = MainInit::parse(&body).unwrap();
        assert_eq!(init.session_id, 0xada3_2461);
        assert_eq!(init.display_channels_hint, 1);
        assert_eq!(init.supported_mouse_modes, 3);
        assert_eq!(init.current_mouse_mode, mouse_mode::SERVER);
        assert_eq!(init.agent_connected, 0);
        assert_eq!(init.agent_tokens, 10);
        assert_eq!(init.emit(), body);
    }

    #[test]
    fn channels_list_from_real_capture() {
        let body = hex_body("03000000020004000300");
        let list = parse_channels_list(&body).unwrap();
        assert_eq!(
            list,
            vec![
                (ChannelType::DISPLAY, 0),
                (ChannelType::CURSOR, 0),
                (ChannelType::INPUTS, 0)
            ]
        );
        assert_eq!(emit_channels_list(&list), body);
    }

    #[test]
    fn channels_list_with_lying_count_is_an_error_not_an_allocation() {
        let body = hex_body("ffffffff0200");
        assert!(parse_channels_list(&body).is_err());
    }

    #[test]
    fn mouse_mode_from_real_capture() {
        // Server: supported 3, current 2 (client) after remote-viewer's request `02 00`.
        let m = MouseMode::parse(&hex_body("03000200")).unwrap();
        assert_eq!(m.supported, 3);
        assert_eq!(u32::from(m.current), mouse_mode::CLIENT);
        assert_eq!(mouse_mode_request(2), hex_body("0200"));
    }

    #[test]
    fn a_vms_name_and_uuid_read_as_qemu_sends_them() {
        // Bytes as QEMU 7.2 sent them for `-name spicebench-qxl -uuid 5b3f…`.
        let mut name = 15u32.to_le_bytes().to_vec();
        name.extend_from_slice(b"spicebench-qxl\0");
        assert_eq!(parse_name(&name).unwrap(), "spicebench-qxl");
        let uuid = [
            0x5b, 0x3f, 0x1c, 0x2a, 0x90, 0x11, 0x4e, 0x2b, 0x8c, 0x4d, 0x00, 0x11, 0x22, 0x33,
            0x44, 0x55,
        ];
        assert_eq!(
            parse_uuid(&uuid).unwrap(),
            "5b3f1c2a-9011-4e2b-8c4d-001122334455"
        );
        // Short or lying bodies are errors or cut, never panics.
        assert!(parse_uuid(&uuid[..15]).is_err());
        assert!(parse_name(&[1, 0]).is_err());
        let mut lying = 1000u32.to_le_bytes().to_vec();
        lying.extend_from_slice(b"abc");
        assert_eq!(parse_name(&lying).unwrap(), "abc");
    }
}
