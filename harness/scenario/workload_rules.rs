//! The rules of `[desktop]` and of the knob axes in `[target]`: a knob takes one value or a
//! list of them (a matrix axis), each value once.

use super::error::ScenarioError;
use super::validate::{Table, Val};
use super::workload::{
    DesktopContent, DesktopSpec, KnobAxes, StreamingVideo, VideoCodecList, WanCompression,
};

type Result<T> = std::result::Result<T, ScenarioError>;

/// The knob keys of an Xspice `[target]`.
pub(super) const SERVER_KNOB_KEYS: &[&str] = &[
    "jpeg_wan_compression",
    "zlib_glz_wan_compression",
    "streaming_video",
    "video_codecs",
    "playback_compression",
];
const DESKTOP_KEYS: &[&str] = &["content", "compositor"];

/// A knob's values: a single value or an array of them, never empty, no repeats.
fn axis<'a, T: PartialEq>(v: &Val<'a>, parse: impl Fn(&Val<'a>) -> Result<T>) -> Result<Vec<T>> {
    let items = match v.array() {
        Ok(items) => items,
        Err(_) => return Ok(vec![parse(v)?]),
    };
    if items.is_empty() {
        return Err(v.err("the list is empty; give at least one value (or leave the key out)"));
    }
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for item in &items {
        let value = parse(item)?;
        if out.contains(&value) {
            return Err(item.err("this value is listed twice"));
        }
        out.push(value);
    }
    Ok(out)
}

fn named<T: Copy>(v: &Val<'_>, all: &[T], name_of: fn(T) -> &'static str) -> Result<T> {
    let name = v.str()?;
    all.iter()
        .copied()
        .find(|x| name_of(*x) == name)
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|x| name_of(*x)).collect();
            v.err(format!(
                "unknown value `{name}`; use one of: {}",
                names.join(", ")
            ))
        })
}

/// The knob axes of `t`. `server_side` is false for an external target, whose server
/// settings belong to whoever runs it: there only `video_codecs` (a client preference) is
/// allowed.
pub(super) fn knob_axes(t: &Table<'_>, server_side: bool) -> Result<KnobAxes> {
    if !server_side {
        if let Some((key, v)) = SERVER_KNOB_KEYS
            .iter()
            .filter(|k| **k != "video_codecs")
            .find_map(|k| t.get(k).map(|v| (*k, v)))
        {
            return Err(v.err(format!(
                "{key} is a setting of the server, which spicebench does not start for an \
                 external target; set it where the server runs (QEMU -spice {}=…, libvirt \
                 <graphics>) and remove it here. A client can only ask for image compression \
                 (compression) and video codecs (video_codecs)",
                key.replace('_', "-")
            )));
        }
    }
    let wan = |v: &Val<'_>| named(v, &WanCompression::ALL, WanCompression::as_str);
    let mut axes = KnobAxes::default();
    if let Some(v) = t.get("jpeg_wan_compression") {
        axes.jpeg_wan = axis(&v, wan)?;
    }
    if let Some(v) = t.get("zlib_glz_wan_compression") {
        axes.zlib_glz_wan = axis(&v, wan)?;
    }
    if let Some(v) = t.get("streaming_video") {
        axes.streaming_video = axis(&v, |v| {
            named(v, &StreamingVideo::ALL, StreamingVideo::as_str)
        })?;
    }
    if let Some(v) = t.get("video_codecs") {
        axes.video_codecs = axis(&v, |v| {
            VideoCodecList::parse(v.str()?).map_err(|e| v.err(e))
        })?;
    }
    if let Some(v) = t.get("playback_compression") {
        axes.playback = axis(&v, |v| v.bool())?;
    }
    Ok(axes)
}

/// `[desktop]`.
pub(super) fn desktop(t: &Table<'_>) -> Result<DesktopSpec> {
    t.check_keys(DESKTOP_KEYS)?;
    let content = match t.get("content") {
        Some(v) => named(&v, &DesktopContent::ALL, DesktopContent::as_str)?,
        None => DesktopContent::default(),
    };
    let compositor = match t.get("compositor") {
        Some(v) => axis(&v, |v| v.bool())?,
        None => vec![false],
    };
    Ok(DesktopSpec {
        content,
        compositor,
    })
}
