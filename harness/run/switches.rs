//! Preferences switched mid-session (`prefer` steps): when each request left the client,
//! and when the wire first showed it. The server answers a preference with nothing; only
//! what it sends next tells: an image made with the asked-for compression, or a stream
//! created with one of the asked-for codecs.

use crate::client::UpdateRecord;
use crate::results::{PreferenceSwitch, Warning, WarningCode};
use crate::scenario::{Compression, Preference};
use crate::wire::compression::{ImageCompression, ImageType};
use crate::wire::display::image_type;
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

/// The wire's compression of a scenario's: one table of what each sends lives in
/// [`crate::wire::compression`].
pub fn image_compression(c: Compression) -> ImageCompression {
    ImageCompression::from_code(c.wire_code())
}

/// The SpiceImage type codes `c` can send ([`ImageCompression::image_types`]).
pub fn image_types_of(c: Compression) -> Vec<u8> {
    image_compression(c)
        .image_types()
        .into_iter()
        .map(ImageType::code)
        .collect()
}

/// Image types that say nothing about the compression in force: cache hits and copies from
/// surfaces.
const NEUTRAL_IMAGES: &[u8] = &[
    image_type::FROM_CACHE,
    image_type::FROM_CACHE_LOSSLESS,
    image_type::SURFACE,
];

/// The server leaves images this small (pixels) uncompressed in every mode, so a BITMAP
/// only shows `off` in force from this size up.
const MIN_TELLING_BITMAP_PIXELS: u64 = 64 * 64;

/// How a code on the wire is named in results (image types, video codecs).
type NameOf = fn(u8) -> Option<&'static str>;

/// What proves a switch in effect: the codes the new setting sends and the old one did not
/// (an empty list means the wire cannot tell them apart), with the name of each code.
fn evidence(new: &Preference, old: Option<&Preference>) -> (Vec<u8>, NameOf) {
    let (codes, name_of): (Vec<u8>, NameOf) = match new {
        Preference::Compression(c) => (image_types_of(*c), image_type_name),
        Preference::VideoCodecs(list) => (codec_codes(list), video_codec_name),
    };
    let old_codes = match (new, old) {
        (Preference::Compression(_), Some(Preference::Compression(o))) => image_types_of(*o),
        (Preference::VideoCodecs(_), Some(Preference::VideoCodecs(o))) => codec_codes(o),
        _ => Vec::new(),
    };
    let telling = codes
        .into_iter()
        .filter(|c| !old_codes.contains(c))
        .collect();
    (telling, name_of)
}

fn codec_codes(list: &crate::scenario::VideoCodecList) -> Vec<u8> {
    list.codec_types().iter().map(|c| c.wire_code()).collect()
}

/// One piece of evidence on the wire: when, which code, and whether it can tell.
struct Sighting {
    at_us: u64,
    code: u8,
    telling: bool,
}

/// Marks each switch with the first sign of it on the wire after it was sent and before the
/// next switch: an image of a type only the new compression sends (in `updates`), or a
/// stream created with an asked-for codec the previous preference did not list (in
/// `stream_creates`: time µs, codec). `initial` is the compression the session started
/// with. All inputs are in time order; one pass over each.
pub fn mark(
    sent: &[SentSwitch],
    initial: Option<Compression>,
    updates: &[UpdateRecord],
    stream_creates: &[(u64, u8)],
) -> Vec<PreferenceSwitch> {
    let initial = initial.map(Preference::Compression);
    let mut next_update = 0;
    let mut next_stream = 0;
    let mut marks = Vec::with_capacity(sent.len());
    for (i, s) in sent.iter().enumerate() {
        let until = sent.get(i + 1).map_or(u64::MAX, |n| n.sent_us);
        // The setting in force before: the last switch of the same kind, or how it began.
        let old = sent[..i]
            .iter()
            .rev()
            .map(|p| &p.preference)
            .find(|p| p.key() == s.preference.key())
            .or(match s.preference {
                Preference::Compression(_) => initial.as_ref(),
                Preference::VideoCodecs(_) => None,
            });
        let (wanted, name_of) = evidence(&s.preference, old);
        let mut sightings: Vec<Sighting> = Vec::new();
        let mut push = |at_us: u64, code: u8, telling: bool| {
            if at_us > s.sent_us && at_us <= until {
                sightings.push(Sighting {
                    at_us,
                    code,
                    telling,
                });
            }
        };
        match s.preference {
            Preference::Compression(_) => {
                while let Some(u) = updates.get(next_update).filter(|u| u.at_us <= until) {
                    for im in u
                        .images
                        .iter()
                        .filter(|im| !NEUTRAL_IMAGES.contains(&im.code))
                    {
                        let big =
                            u64::from(im.width) * u64::from(im.height) >= MIN_TELLING_BITMAP_PIXELS;
                        let telling =
                            wanted.contains(&im.code) && (im.code != image_type::BITMAP || big);
                        push(u.at_us, im.code, telling);
                    }
                    next_update += 1;
                }
            }
            Preference::VideoCodecs(_) => {
                while let Some(&(at, codec)) = stream_creates
                    .get(next_stream)
                    .filter(|(at, _)| *at <= until)
                {
                    push(at, codec, wanted.contains(&codec));
                    next_stream += 1;
                }
            }
        }
        let first = sightings.iter().position(|x| x.telling);
        let hit = first.map(|k| &sightings[k]);
        // Images of the old kind (or streams of other codecs) before the first telling one;
        // a small BITMAP or an image both settings send shows neither.
        let other_before = sightings[..first.unwrap_or(sightings.len())]
            .iter()
            .filter(|x| !wanted.contains(&x.code))
            .count() as u64;
        marks.push(PreferenceSwitch {
            setting: s.preference.key().to_string(),
            value: s.preference.value(),
            line: s.line,
            sent_s: s.sent_us as f64 / 1e6,
            took_effect_s: hit.map(|h| h.at_us as f64 / 1e6),
            delay_ms: hit.map(|h| h.at_us.saturating_sub(s.sent_us) as f64 / 1e3),
            first_seen: hit.and_then(|h| name_of(h.code).map(str::to_string)),
            other_before,
            indistinct_from: wanted
                .is_empty()
                .then(|| old.map(Preference::value))
                .flatten(),
        });
    }
    marks
}

/// The warning for a switch the wire never showed.
pub fn never_seen(s: &SentSwitch, mark: &PreferenceSwitch) -> Warning {
    if let Some(old) = &mark.indistinct_from {
        return Warning::new(
            WarningCode::SwitchIndistinct,
            format!(
            "the switch of {} to {} (scenario line {}) cannot be seen on the wire: {} sends no \
             kind of image that {old} does not send too, so its moment is not marked",
            s.preference.key(),
            s.preference.value(),
            s.line,
            s.preference.value(),
        ),
        );
    }
    let (wanted, name_of) = evidence(&s.preference, None);
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
    Warning::new(
        WarningCode::SwitchNotSeen,
        format!(
            "the switch of {} to {} (scenario line {}) never showed on the wire: no {} {what} \
             arrived before the next switch or the end of the run ({hint})",
            s.preference.key(),
            s.preference.value(),
            s.line,
            kinds.join(" or ")
        ),
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

    fn image(code: u8, side: u32) -> ImageInfo {
        ImageInfo {
            code,
            width: side,
            height: side,
            payload_bytes: 100,
        }
    }

    #[test]
    fn a_switch_takes_effect_at_the_first_image_only_it_sends_before_the_next_switch() {
        let switches = [
            sent(Preference::Compression(Compression::Glz), 12, 1_000_000),
            sent(Preference::Compression(Compression::Lz), 20, 2_000_000),
        ];
        let updates = [
            update(900_000, &[102]),   // before the switch: not its effect
            update(1_100_000, &[0]),   // still uncompressed
            update(1_200_000, &[103]), // a cache hit says nothing
            update(1_250_000, &[107]), // ZLIB_GLZ (the WAN form of GLZ): the switch took effect
            update(2_500_000, &[102]), // after the second switch, still GLZ: LZ never came
        ];
        let marks = mark(&switches, Some(Compression::Off), &updates, &[]);
        assert_eq!(marks[0].took_effect_s, Some(1.25));
        assert_eq!(marks[0].delay_ms, Some(250.0));
        assert_eq!(marks[0].first_seen.as_deref(), Some("ZLIB_GLZ_RGB"));
        assert_eq!(
            (marks[0].setting.as_str(), marks[0].value.as_str()),
            ("compression", "glz")
        );
        assert_eq!((marks[0].line, marks[0].sent_s), (12, 1.0));
        // The BITMAP after the request; neither the cache hit nor the proof is counted.
        assert_eq!(marks[0].other_before, 1);
        assert_eq!(marks[1].took_effect_s, None);
        assert_eq!(marks[1].first_seen, None);
        assert_eq!(marks[1].other_before, 1);
        assert_eq!(marks[1].indistinct_from, None);
        let w = never_seen(&switches[1], &marks[1]);
        assert_eq!(w.code, WarningCode::SwitchNotSeen);
        assert!(w.text.contains("no LZ_RGB or LZ_PLT image"));
    }

    #[test]
    fn only_images_the_old_setting_could_not_send_tell() {
        // auto_glz → quic: QUIC comes from both, so the QUIC image proves nothing.
        let quic = sent(Preference::Compression(Compression::Quic), 3, 0);
        let marks = mark(
            std::slice::from_ref(&quic),
            Some(Compression::AutoGlz),
            &[update(10, &[1])],
            &[],
        );
        assert_eq!(marks[0].took_effect_s, None);
        assert_eq!(marks[0].indistinct_from.as_deref(), Some("auto_glz"));
        let w = never_seen(&quic, &marks[0]);
        assert_eq!(w.code, WarningCode::SwitchIndistinct);
        assert!(w.text.contains("cannot be seen on the wire"));
        // glz → auto_lz: QUIC tells, as LZ does.
        let auto_lz = sent(Preference::Compression(Compression::AutoLz), 4, 0);
        let marks = mark(&[auto_lz], Some(Compression::Glz), &[update(10, &[1])], &[]);
        assert_eq!(marks[0].first_seen.as_deref(), Some("QUIC"));
    }

    #[test]
    fn small_bitmaps_do_not_show_off_in_force() {
        let off = sent(Preference::Compression(Compression::Off), 1, 0);
        let mut small = update(10, &[]);
        small.images = vec![image(0, 8)];
        let mut big = update(20, &[]);
        big.images = vec![image(0, 64)];
        let marks = mark(&[off], Some(Compression::Glz), &[small, big], &[]);
        assert_eq!(marks[0].took_effect_s, Some(20e-6));
        // The small BITMAP is neither proof nor the old kind.
        assert_eq!(marks[0].other_before, 0);
    }

    #[test]
    fn a_codec_switch_takes_effect_at_the_first_stream_created_with_it() {
        let vp8 = VideoCodecList::parse("gstreamer:vp8").unwrap();
        let marks = mark(
            &[sent(Preference::VideoCodecs(vp8.clone()), 30, 5_000_000)],
            Some(Compression::AutoGlz),
            &[update(5_100_000, &[102])],
            &[(4_000_000, 2), (5_200_000, 1), (5_900_000, 2)],
        );
        // The MJPEG stream created after the request does not count; the VP8 one does.
        assert_eq!(marks[0].first_seen.as_deref(), Some("vp8"));
        assert_eq!(marks[0].delay_ms, Some(900.0));
        assert_eq!(marks[0].other_before, 1);
        assert_eq!(marks[0].value, "gstreamer:vp8");
        let unseen = sent(Preference::VideoCodecs(vp8), 30, 0);
        let none = mark(std::slice::from_ref(&unseen), None, &[], &[]);
        assert!(never_seen(&unseen, &none[0]).text.contains("no vp8 stream"));
    }

    #[test]
    fn switches_of_both_kinds_each_read_their_own_evidence() {
        // A codec switch between two compression switches must not swallow the images the
        // second compression switch needs.
        let vp8 = VideoCodecList::parse("gstreamer:vp8").unwrap();
        let switches = [
            sent(Preference::Compression(Compression::Glz), 1, 100),
            sent(Preference::VideoCodecs(vp8), 2, 200),
            sent(Preference::Compression(Compression::Lz), 3, 300),
        ];
        let updates = [
            update(150, &[102]),
            update(250, &[101]),
            update(350, &[101]),
        ];
        let marks = mark(&switches, Some(Compression::Off), &updates, &[(260, 2)]);
        assert_eq!(marks[0].took_effect_s, Some(150e-6));
        assert_eq!(marks[1].first_seen.as_deref(), Some("vp8"));
        // The LZ image at 250 came before the LZ request; the one at 350 after it.
        assert_eq!(marks[2].took_effect_s, Some(350e-6));
    }
}
