//! Shared pieces of turning counts into results, used by both the client-side summary and the
//! capture analysis so the two spell everything the same way.

use std::collections::BTreeMap;

use crate::results::ImageStats;
use crate::wire::names::{image_type_name, message_name, Direction};
use crate::wire::ChannelType;

/// Per-image-type (count, payload bytes) as result rows, in code order.
pub fn image_stats(groups: BTreeMap<u8, (u64, u64)>) -> Vec<ImageStats> {
    groups
        .into_iter()
        .map(|(code, (count, bytes))| ImageStats {
            image_type: image_type_name(code)
                .map(str::to_string)
                .unwrap_or_else(|| format!("UNKNOWN_{code}")),
            code,
            count,
            bytes,
        })
        .collect()
}

/// The protocol name of a message type, or `UNKNOWN_<n>`.
pub fn message_label(channel: ChannelType, direction: Direction, msg_type: u16) -> String {
    message_name(channel, direction, msg_type)
        .map(str::to_string)
        .unwrap_or_else(|| format!("UNKNOWN_{msg_type}"))
}

/// The server's bandwidth verdict as the display channel's ack window reveals it (§4.3):
/// 20 normally, 40 after its connect-time net test judged the link slow.
pub fn net_test_verdict(display_ack_window: u32) -> String {
    match display_ack_window {
        20 => "high-bandwidth (display ack window 20)".to_string(),
        40 => "low-bandwidth (display ack window 40)".to_string(),
        w => format!("unknown (display ack window {w})"),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn names_and_verdicts() {
        let mut g = BTreeMap::new();
        g.insert(102, (3, 300));
        g.insert(250, (1, 5));
        let rows = image_stats(g);
        assert_eq!(rows[0].image_type, "GLZ_RGB");
        assert_eq!(rows[1].image_type, "UNKNOWN_250");
        assert_eq!(
            message_label(ChannelType::DISPLAY, Direction::Down, 999),
            "UNKNOWN_999"
        );
        assert!(net_test_verdict(40).starts_with("low-bandwidth"));
    }
}
