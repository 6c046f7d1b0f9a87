//! Shared pieces of turning counts into results, used by both the client-side summary and the
//! capture analysis so the two spell everything the same way.

use std::collections::BTreeMap;

use crate::display_ledger::{DisplayLedger, StreamTally};
use crate::results::{Channel, DisplayHeads, ImageStats, MessageStats, StreamStats};
use crate::wire::names::{image_type_name, message_name, Direction};
use crate::wire::ChannelType;

/// (channel name, direction, message type, channel type): keyed by the channel's name so
/// rows come in the order of the names results show.
type MessageKey = (String, Direction, u16, ChannelType);

/// Messages and images added up, the one grouping both the client's own summary and the
/// capture analysis use: messages per (channel name, direction, type), images per type.
#[derive(Debug, Default)]
pub struct Tally {
    /// Per message type: (channel, count, header + body bytes).
    messages: BTreeMap<MessageKey, (Channel, u64, u64)>,
    /// Image type code → (count, encoded bytes).
    images: BTreeMap<u8, (u64, u64)>,
    /// Per display channel, in the order they were added.
    displays: Vec<DisplayHeads>,
    /// Streams of every display channel added.
    streams: Option<StreamTally>,
}

/// What a [`Tally`] adds up to, as result rows.
#[derive(Debug, Default)]
pub struct Rows {
    /// Per (channel, direction, type).
    pub messages: Vec<MessageStats>,
    /// Per image type.
    pub images: Vec<ImageStats>,
    /// Per display channel.
    pub displays: Vec<DisplayHeads>,
    /// All display channels' streams; `None` without a display channel.
    pub streams: Option<StreamStats>,
}

impl Tally {
    /// Adds `count` messages of `msg_type`, `bytes` in all.
    pub fn messages(
        &mut self,
        channel: &Channel,
        channel_type: ChannelType,
        direction: Direction,
        msg_type: u16,
        (count, bytes): (u64, u64),
    ) {
        let e = self
            .messages
            .entry((channel.name(), direction, msg_type, channel_type))
            .or_insert_with(|| (channel.clone(), 0, 0));
        e.1 += count;
        e.2 += bytes;
    }

    /// Adds `count` images of type `code`, `bytes` of encoded data in all.
    pub fn images(&mut self, code: u8, (count, bytes): (u64, u64)) {
        let e = self.images.entry(code).or_default();
        e.0 += count;
        e.1 += bytes;
    }

    /// Adds one display channel's per-head and stream accounting ([`super::heads`]).
    pub fn display(&mut self, channel_id: u8, client: Option<String>, ledger: &DisplayLedger) {
        self.displays.push(ledger.heads(channel_id, client));
        self.streams
            .get_or_insert_with(StreamTally::default)
            .add(ledger.streams());
    }

    /// The result rows: messages in (channel, direction, type) order, images in code order,
    /// display channels in the order they were added.
    pub fn rows(self) -> Rows {
        let messages = self
            .messages
            .into_iter()
            .map(
                |((_, d, ty, ctype), (channel, count, bytes))| MessageStats {
                    name: message_label(ctype, d, ty),
                    channel,
                    direction: d,
                    msg_type: ty,
                    count,
                    bytes,
                },
            )
            .collect();
        Rows {
            messages,
            images: image_stats(self.images),
            displays: self.displays,
            streams: self.streams.map(|s| s.stats()),
        }
    }
}

/// Per-image-type (count, payload bytes) as result rows, in code order.
fn image_stats(groups: BTreeMap<u8, (u64, u64)>) -> Vec<ImageStats> {
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
        let mut t = Tally::default();
        t.images(250, (1, 5));
        t.images(102, (2, 200));
        t.images(102, (1, 100));
        t.messages(
            &Channel::DISPLAY,
            ChannelType::DISPLAY,
            Direction::Down,
            304,
            (2, 20),
        );
        t.messages(
            &Channel::DISPLAY,
            ChannelType::DISPLAY,
            Direction::Down,
            304,
            (1, 5),
        );
        let Rows {
            messages,
            images: rows,
            ..
        } = t.rows();
        assert_eq!(
            (
                messages[0].name.as_str(),
                messages[0].count,
                messages[0].bytes
            ),
            ("DRAW_COPY", 3, 25)
        );
        assert_eq!((rows[0].count, rows[0].bytes), (3, 300));
        assert_eq!(rows[0].image_type, "GLZ_RGB");
        assert_eq!(rows[1].image_type, "UNKNOWN_250");
        assert_eq!(
            message_label(ChannelType::DISPLAY, Direction::Down, 999),
            "UNKNOWN_999"
        );
        assert!(net_test_verdict(40).starts_with("low-bandwidth"));
    }
}
