//! Preferences switched mid-session (`prefer` steps): when each request left the client,
//! and when the wire first showed an image made with the compression it asked for. The
//! server answers a PREFERRED_COMPRESSION with nothing; only its next images tell.

use crate::client::UpdateRecord;
use crate::results::PreferenceSwitch;
use crate::scenario::Compression;
use crate::wire::names::image_type_name;

/// A switch as the run sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentSwitch {
    /// What was asked for.
    pub compression: Compression,
    /// The step's line in the scenario.
    pub line: usize,
    /// When the last display channel's request was written (run clock, µs).
    pub sent_us: u64,
}

/// The SpiceImage types that show `c` in use: `auto_*` modes use QUIC for photographic
/// images, and LZ sends palette images as LZ_PLT.
pub fn image_types_of(c: Compression) -> &'static [u8] {
    match c {
        Compression::Off => &[0],
        Compression::AutoGlz => &[102, 1],
        Compression::AutoLz => &[101, 100, 1],
        Compression::Quic => &[1],
        Compression::Glz => &[102],
        Compression::Lz => &[101, 100],
        Compression::Lz4 => &[109],
    }
}

/// Marks each switch with the first update after it (and before the next switch) that
/// carried an image of the asked-for kind. `updates` must be in arrival order.
pub fn mark(sent: &[SentSwitch], updates: &[UpdateRecord]) -> Vec<PreferenceSwitch> {
    sent.iter()
        .enumerate()
        .map(|(i, s)| {
            let until = sent.get(i + 1).map_or(u64::MAX, |n| n.sent_us);
            let wanted = image_types_of(s.compression);
            let seen = updates
                .iter()
                .filter(|u| u.at_us > s.sent_us && u.at_us <= until)
                .find_map(|u| {
                    u.images
                        .iter()
                        .find(|im| wanted.contains(&im.code))
                        .map(|im| (u.at_us, im.code))
                });
            let effect_or_end = seen.map_or(until, |(at, _)| at);
            let other_images_before = updates
                .iter()
                .filter(|u| u.at_us > s.sent_us && u.at_us <= effect_or_end)
                .flat_map(|u| &u.images)
                .filter(|im| !wanted.contains(&im.code))
                .count() as u64;
            PreferenceSwitch {
                other_images_before,
                compression: s.compression.as_str().to_string(),
                line: s.line,
                sent_s: s.sent_us as f64 / 1e6,
                took_effect_s: seen.map(|(at, _)| at as f64 / 1e6),
                delay_ms: seen.map(|(at, _)| (at - s.sent_us) as f64 / 1e3),
                first_image: seen.and_then(|(_, code)| image_type_name(code).map(str::to_string)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::display::ImageInfo;

    fn update(at_us: u64, codes: &[u8]) -> UpdateRecord {
        UpdateRecord {
            at_us,
            msg_type: 304,
            surface_id: Some(0),
            area: None,
            images: codes
                .iter()
                .map(|&code| ImageInfo {
                    code,
                    width: 16,
                    height: 16,
                    payload_bytes: 100,
                })
                .collect(),
            stream_bytes: 0,
            probe: None,
        }
    }

    #[test]
    fn a_switch_takes_effect_at_the_first_image_of_its_kind_before_the_next_switch() {
        let sent = [
            SentSwitch {
                compression: Compression::Glz,
                line: 12,
                sent_us: 1_000_000,
            },
            SentSwitch {
                compression: Compression::Lz,
                line: 20,
                sent_us: 2_000_000,
            },
        ];
        let updates = [
            update(900_000, &[102]),   // before the switch: not its effect
            update(1_100_000, &[0]),   // still uncompressed
            update(1_250_000, &[102]), // GLZ: the switch took effect
            update(2_500_000, &[102]), // after the second switch, still GLZ: LZ never came
        ];
        let marks = mark(&sent, &updates);
        assert_eq!(marks[0].took_effect_s, Some(1.25));
        assert_eq!(marks[0].delay_ms, Some(250.0));
        assert_eq!(marks[0].first_image.as_deref(), Some("GLZ_RGB"));
        assert_eq!((marks[0].line, marks[0].sent_s), (12, 1.0));
        // The BITMAP after the request; the GLZ image that proved it is not counted.
        assert_eq!(marks[0].other_images_before, 1);
        assert_eq!(marks[1].took_effect_s, None);
        assert_eq!(marks[1].other_images_before, 1);
        assert_eq!(marks[1].first_image, None);
    }

    #[test]
    fn auto_modes_show_as_either_of_their_codecs() {
        assert!(image_types_of(Compression::AutoGlz).contains(&1));
        let sent = [SentSwitch {
            compression: Compression::AutoLz,
            line: 1,
            sent_us: 0,
        }];
        let marks = mark(&sent, &[update(10, &[1])]);
        assert_eq!(marks[0].first_image.as_deref(), Some("QUIC"));
    }
}
