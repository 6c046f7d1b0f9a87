//! Preferences switched mid-session (`prefer` steps): when each request left the client,
//! and when the wire first showed it. The server answers a preference with nothing; only
//! what it sends next tells: an image made with the asked-for compression, or a stream
//! created with one of the asked-for codecs.

use crate::client::UpdateRecord;
use crate::results::PreferenceSwitch;
use crate::scenario::{Compression, Preference};
use crate::wire::names::{image_type_name, video_codec_name};

/// A switch as the run sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSwitch {
    /// What was asked for.
    pub preference: Preference,
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

/// How a code on the wire is named in results (image types, video codecs).
type NameOf = fn(u8) -> Option<&'static str>;

/// What on the wire proves `p` in effect: image type codes or video codec codes, and the
/// name of each code.
fn evidence(p: &Preference) -> (Vec<u8>, NameOf) {
    match p {
        Preference::Compression(c) => (image_types_of(*c).to_vec(), image_type_name),
        Preference::VideoCodecs(list) => (
            list.codec_types().iter().map(|c| c.wire_code()).collect(),
            video_codec_name,
        ),
    }
}

/// Marks each switch with the first sign of it on the wire after it was sent and before the
/// next switch: an image of the asked-for kind in `updates`, or a stream created with an
/// asked-for codec in `stream_creates` (time µs, codec). Both in arrival order.
pub fn mark(
    sent: &[SentSwitch],
    updates: &[UpdateRecord],
    stream_creates: &[(u64, u8)],
) -> Vec<PreferenceSwitch> {
    sent.iter()
        .enumerate()
        .map(|(i, s)| {
            let until = sent.get(i + 1).map_or(u64::MAX, |n| n.sent_us);
            let after = |at: u64| at > s.sent_us && at <= until;
            let (wanted, name_of) = evidence(&s.preference);
            // Every piece of evidence of this kind of setting after the request, in order.
            let seen: Vec<(u64, u8)> = match s.preference {
                Preference::Compression(_) => updates
                    .iter()
                    .filter(|u| after(u.at_us))
                    .flat_map(|u| u.images.iter().map(move |im| (u.at_us, im.code)))
                    .collect(),
                Preference::VideoCodecs(_) => stream_creates
                    .iter()
                    .copied()
                    .filter(|(at, _)| after(*at))
                    .collect(),
            };
            let first = seen.iter().position(|(_, code)| wanted.contains(code));
            let hit = first.map(|k| seen[k]);
            PreferenceSwitch {
                setting: s.preference.key().to_string(),
                value: s.preference.value(),
                line: s.line,
                sent_s: s.sent_us as f64 / 1e6,
                took_effect_s: hit.map(|(at, _)| at as f64 / 1e6),
                delay_ms: hit.map(|(at, _)| (at - s.sent_us) as f64 / 1e3),
                first_seen: hit.and_then(|(_, code)| name_of(code).map(str::to_string)),
                other_before: first.unwrap_or(seen.len()) as u64,
            }
        })
        .collect()
}

/// The warning for a switch the wire never showed.
pub fn never_seen(s: &SentSwitch) -> String {
    let (wanted, name_of) = evidence(&s.preference);
    let kinds: Vec<&str> = wanted.iter().filter_map(|c| name_of(*c)).collect();
    let (what, hint) = match s.preference {
        Preference::Compression(_) => ("image", "did the screen change after it?"),
        Preference::VideoCodecs(_) => (
            "stream",
            "a running stream keeps its codec until the server starts a new one; is the \
             codec's encoder installed (GStreamer plugins) and allowed by the server's \
             video-codecs setting?",
        ),
    };
    format!(
        "the switch of {} to {} (scenario line {}) never showed on the wire: no {} {what} \
         arrived before the next switch or the end of the run ({hint})",
        s.preference.key(),
        s.preference.value(),
        s.line,
        kinds.join(" or ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::VideoCodecList;
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

    fn sent(preference: Preference, line: usize, sent_us: u64) -> SentSwitch {
        SentSwitch {
            preference,
            line,
            sent_us,
        }
    }

    #[test]
    fn a_switch_takes_effect_at_the_first_image_of_its_kind_before_the_next_switch() {
        let switches = [
            sent(Preference::Compression(Compression::Glz), 12, 1_000_000),
            sent(Preference::Compression(Compression::Lz), 20, 2_000_000),
        ];
        let updates = [
            update(900_000, &[102]),   // before the switch: not its effect
            update(1_100_000, &[0]),   // still uncompressed
            update(1_250_000, &[102]), // GLZ: the switch took effect
            update(2_500_000, &[102]), // after the second switch, still GLZ: LZ never came
        ];
        let marks = mark(&switches, &updates, &[]);
        assert_eq!(marks[0].took_effect_s, Some(1.25));
        assert_eq!(marks[0].delay_ms, Some(250.0));
        assert_eq!(marks[0].first_seen.as_deref(), Some("GLZ_RGB"));
        assert_eq!(
            (marks[0].setting.as_str(), marks[0].value.as_str()),
            ("compression", "glz")
        );
        assert_eq!((marks[0].line, marks[0].sent_s), (12, 1.0));
        // The BITMAP after the request; the GLZ image that proved it is not counted.
        assert_eq!(marks[0].other_before, 1);
        assert_eq!(marks[1].took_effect_s, None);
        assert_eq!(marks[1].first_seen, None);
        assert_eq!(marks[1].other_before, 1);
        assert!(never_seen(&switches[1]).contains("no LZ_RGB or LZ_PLT image"));
    }

    #[test]
    fn auto_modes_show_as_either_of_their_codecs() {
        assert!(image_types_of(Compression::AutoGlz).contains(&1));
        let marks = mark(
            &[sent(Preference::Compression(Compression::AutoLz), 1, 0)],
            &[update(10, &[1])],
            &[],
        );
        assert_eq!(marks[0].first_seen.as_deref(), Some("QUIC"));
    }

    #[test]
    fn a_codec_switch_takes_effect_at_the_first_stream_created_with_it() {
        let vp8 = VideoCodecList::parse("gstreamer:vp8").unwrap();
        let marks = mark(
            &[sent(Preference::VideoCodecs(vp8.clone()), 30, 5_000_000)],
            &[update(5_100_000, &[102])],
            &[(4_000_000, 2), (5_200_000, 1), (5_900_000, 2)],
        );
        // The MJPEG stream created after the request does not count; the VP8 one does.
        assert_eq!(marks[0].first_seen.as_deref(), Some("vp8"));
        assert_eq!(marks[0].delay_ms, Some(900.0));
        assert_eq!(marks[0].other_before, 1);
        assert_eq!(marks[0].value, "gstreamer:vp8");
        let unseen = sent(Preference::VideoCodecs(vp8), 30, 0);
        assert!(never_seen(&unseen).contains("no vp8 stream"));
    }
}
