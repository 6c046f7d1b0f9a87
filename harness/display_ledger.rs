//! Per-head and per-stream accounting of one display channel: the one rule both our client's
//! summary and the capture analysis use, so a live run and `spicebench analyze` of its
//! capture attribute every update the same way.
//!
//! # The per-head rule
//! - An update is a draw (302–313, 318), COPY_BITS, STREAM_DATA or STREAM_DATA_SIZED
//!   ([`display::is_update`]). Its box is `base.box` for draws and COPY_BITS, the stream's
//!   STREAM_CREATE `dest` for STREAM_DATA, and the message's own `dest` for
//!   STREAM_DATA_SIZED; its surface is `base.surface_id`, or the stream's.
//! - The heads are those of the last MONITORS_CONFIG. A head takes an update when it shows
//!   the update's surface and its rectangle intersects the box; the update then counts once
//!   on every such head.
//! - The update's message bytes (header + body) are split among those heads in proportion to
//!   the intersected area, rounding down, with the remainder going to the last of them, so
//!   the shares add up to the message exactly.
//! - Updates before the first MONITORS_CONFIG (the server sends the initial screen first,
//!   §6.3) are attributed under that first layout when it arrives; at most [`MAX_PENDING`]
//!   wait for it, later ones are unattributed. If no MONITORS_CONFIG ever arrives, the
//!   primary surface (its last SURFACE_CREATE) is one head, id 0, so one-head servers that
//!   never announce a layout still get per-head numbers.
//! - Everything else is unattributed: off-screen surfaces, boxes on no head, frames of
//!   streams whose STREAM_CREATE was not seen, and updates whose body could not be read.
//!
//! # Streams
//! STREAM_CREATE maps a stream id to its codec, surface and box until STREAM_DESTROY (or
//! STREAM_DESTROY_ALL) ends it. A stream whose creation and end were both seen is a flap.
//!
//! # Hostile input
//! Stream and head tables are capped ([`MAX_STREAMS`], [`MAX_HEADS`]): a capture cannot
//! make the ledger grow without bound. Nothing here panics on any message body.

use std::collections::BTreeMap;

use crate::results::{CodecStats, DisplayHeads, HeadStats, HeadTraffic, StreamStats};
use crate::wire::display::{self, server, DisplayUpdate, Head, MonitorsConfig, Rect};
use crate::wire::names::video_codec_name;

/// Live streams tracked at once; spice-server keeps at most 50.
pub const MAX_STREAMS: usize = 4096;
/// Heads of one layout kept; spice-server supports at most 16 monitors.
pub const MAX_HEADS: usize = 256;
/// Updates kept for the first MONITORS_CONFIG; the server sends it after one (§6.3).
pub const MAX_PENDING: usize = 1024;

/// A stream from its STREAM_CREATE.
#[derive(Debug, Clone, Copy)]
struct LiveStream {
    codec: u8,
    surface_id: u32,
    dest: Rect,
}

/// Streams, frames and bytes of one codec.
#[derive(Debug, Clone, Copy, Default)]
struct CodecCounts {
    streams: u64,
    frames: u64,
    bytes: u64,
    data_bytes: u64,
}

/// The stream counters of one or more display channels.
#[derive(Debug, Clone, Default)]
pub struct StreamTally {
    created: u64,
    destroyed: u64,
    flaps: u64,
    /// Codec code (0: the stream's creation was not seen) → counts.
    by_codec: BTreeMap<u8, CodecCounts>,
}

impl StreamTally {
    /// Adds another channel's counters.
    pub fn add(&mut self, other: &StreamTally) {
        self.created += other.created;
        self.destroyed += other.destroyed;
        self.flaps += other.flaps;
        for (&code, c) in &other.by_codec {
            let e = self.by_codec.entry(code).or_default();
            e.streams += c.streams;
            e.frames += c.frames;
            e.bytes += c.bytes;
            e.data_bytes += c.data_bytes;
        }
    }

    /// The result form.
    pub fn stats(&self) -> StreamStats {
        let by_codec: Vec<CodecStats> = self
            .by_codec
            .iter()
            .map(|(&code, c)| CodecStats {
                codec: match (code, video_codec_name(code)) {
                    (0, _) => "unknown".to_string(),
                    (_, Some(n)) => n.to_string(),
                    (_, None) => format!("unknown_{code}"),
                },
                code,
                streams: c.streams,
                frames: c.frames,
                bytes: c.bytes,
                data_bytes: c.data_bytes,
            })
            .collect();
        StreamStats {
            created: self.created,
            destroyed: self.destroyed,
            flaps: self.flaps,
            frames: by_codec.iter().map(|c| c.frames).sum(),
            frame_bytes: by_codec.iter().map(|c| c.bytes).sum(),
            by_codec,
        }
    }
}

/// What one display channel's messages did, per head and per stream. Feed it every
/// server → client display message in order.
#[derive(Debug, Clone, Default)]
pub struct DisplayLedger {
    /// The primary surface: (id, width, height) from its SURFACE_CREATE.
    primary: Option<(u32, u32, u32)>,
    /// The last MONITORS_CONFIG's heads.
    layout: Option<Vec<Head>>,
    streams: BTreeMap<u32, LiveStream>,
    /// Head id → what it carried, under announced layouts.
    heads: BTreeMap<u32, HeadTraffic>,
    /// Before any layout: what the primary surface, as head 0, carried, and what missed it.
    provisional: HeadTraffic,
    provisional_missed: HeadTraffic,
    /// Before any layout: (surface, box, bytes) of each update, for the first layout.
    pending: Vec<(u32, Rect, u64)>,
    /// Before any layout: the updates beyond [`MAX_PENDING`], unattributed if a layout comes.
    overflow: HeadTraffic,
    unattributed: HeadTraffic,
    all: HeadTraffic,
    tally: StreamTally,
}

/// Splits `bytes` among parts of the given areas in proportion to them: each share rounded
/// down, the remainder to the last part, so the shares add up to `bytes` exactly. All zero
/// areas (or none) give all zero shares but the last.
pub fn split_by_area(bytes: u64, areas: &[u64]) -> Vec<u64> {
    let total: u128 = areas.iter().map(|&a| u128::from(a)).sum();
    let mut shares: Vec<u64> = areas
        .iter()
        .map(|&a| {
            (u128::from(bytes) * u128::from(a))
                .checked_div(total)
                .map_or(0, |share| share as u64)
        })
        .collect();
    let given: u64 = shares.iter().sum();
    if let Some(last) = shares.last_mut() {
        *last += bytes - given;
    }
    shares
}

impl DisplayLedger {
    /// Whether a message type matters to the ledger (a caller may skip the others).
    pub fn concerns(msg_type: u16) -> bool {
        display::is_update(msg_type)
            || matches!(
                msg_type,
                server::SURFACE_CREATE
                    | server::SURFACE_DESTROY
                    | server::MONITORS_CONFIG
                    | server::STREAM_CREATE
                    | server::STREAM_DESTROY
                    | server::STREAM_DESTROY_ALL
            )
    }

    /// Takes one message whose body it parses itself; `bytes` is header + body. Returns the
    /// codec (SpiceVideoCodecType) of a stream the message created.
    pub fn on_message(&mut self, msg_type: u16, body: &[u8], bytes: u64) -> Option<u8> {
        if display::is_update(msg_type) {
            let update = display::parse_update(msg_type, body).ok().flatten();
            self.on_update(update.as_ref(), bytes);
            None
        } else {
            self.on_layout(msg_type, body, true)
        }
    }

    /// Takes one update, already parsed (`None`: its body could not be read, e.g. a capture
    /// hole or a parse error; it counts, unattributed). `bytes` is header + body.
    pub fn on_update(&mut self, update: Option<&DisplayUpdate>, bytes: u64) {
        let one = HeadTraffic { updates: 1, bytes };
        add(&mut self.all, one);
        let target = match update {
            Some(DisplayUpdate::Draw {
                surface_id, area, ..
            }) => Some((*surface_id, *area)),
            Some(DisplayUpdate::StreamFrame {
                stream_id,
                data_size,
                area,
            }) => {
                let live = self.streams.get(stream_id).copied();
                let c = self
                    .tally
                    .by_codec
                    .entry(live.map_or(0, |s| s.codec))
                    .or_default();
                c.frames += 1;
                c.bytes += bytes;
                c.data_bytes += data_size;
                live.map(|s| (s.surface_id, area.unwrap_or(s.dest)))
            }
            None => None,
        };
        let Some((surface, area)) = target else {
            add(&mut self.unattributed, one);
            return;
        };
        if self.layout.is_some() {
            self.attribute(surface, area, bytes);
            return;
        }
        // No layout yet: count on the primary surface as head 0 in case none ever comes, and
        // keep the box for the first layout, which the server sends right after the initial
        // screen (§6.3).
        match self.primary_rect() {
            Some((id, rect)) if id == surface && rect.intersection(&area).area() > 0 => {
                add(&mut self.provisional, one)
            }
            _ => add(&mut self.provisional_missed, one),
        }
        if self.pending.len() < MAX_PENDING {
            self.pending.push((surface, area, bytes));
        } else {
            add(&mut self.overflow, one);
        }
    }

    /// Attributes one update under the layout in force.
    fn attribute(&mut self, surface: u32, area: Rect, bytes: u64) {
        let one = HeadTraffic { updates: 1, bytes };
        let Some(heads) = &self.layout else {
            add(&mut self.unattributed, one);
            return;
        };
        let hit: Vec<(u32, u64)> = heads
            .iter()
            .filter(|h| h.surface_id == surface)
            .map(|h| (h.id, h.rect().intersection(&area).area()))
            .filter(|&(_, a)| a > 0)
            .collect();
        if hit.is_empty() {
            add(&mut self.unattributed, one);
            return;
        }
        let areas: Vec<u64> = hit.iter().map(|&(_, a)| a).collect();
        for (&(id, _), share) in hit.iter().zip(split_by_area(bytes, &areas)) {
            add(
                self.heads.entry(id).or_default(),
                HeadTraffic {
                    updates: 1,
                    bytes: share,
                },
            );
        }
    }

    /// Takes a message that is not an update: surfaces, monitor layout, stream life. State
    /// always follows; `counting` says whether stream creations and ends are counted (the
    /// capture analysis keeps its place outside its window without counting). Returns the
    /// codec of a stream the message created.
    pub fn on_layout(&mut self, msg_type: u16, body: &[u8], counting: bool) -> Option<u8> {
        let mut created = None;
        match msg_type {
            server::SURFACE_CREATE => {
                if let Ok(s) = display::SurfaceCreate::parse(body) {
                    if s.is_primary() {
                        self.primary = Some((s.surface_id, s.width, s.height));
                    }
                }
            }
            server::SURFACE_DESTROY => {
                if let Ok(id) = display::parse_surface_destroy(body) {
                    if self.primary.is_some_and(|(p, _, _)| p == id) {
                        self.primary = None;
                    }
                }
            }
            server::MONITORS_CONFIG => {
                if let Ok(mut m) = MonitorsConfig::parse(body) {
                    m.heads.truncate(MAX_HEADS);
                    let first = self.layout.is_none();
                    self.layout = Some(m.heads);
                    if first {
                        // What waited for the layout is attributed under it now.
                        for (surface, area, bytes) in std::mem::take(&mut self.pending) {
                            self.attribute(surface, area, bytes);
                        }
                        let overflow = std::mem::take(&mut self.overflow);
                        add(&mut self.unattributed, overflow);
                    }
                }
            }
            server::STREAM_CREATE => {
                if let Ok(s) = display::StreamCreate::parse(body) {
                    created = Some(s.codec_type);
                    if counting {
                        self.tally.created += 1;
                        self.tally.by_codec.entry(s.codec_type).or_default().streams += 1;
                    }
                    if self.streams.len() < MAX_STREAMS || self.streams.contains_key(&s.id) {
                        self.streams.insert(
                            s.id,
                            LiveStream {
                                codec: s.codec_type,
                                surface_id: s.surface_id,
                                dest: s.dest,
                            },
                        );
                    }
                }
            }
            server::STREAM_DESTROY => {
                if let Ok(id) = display::parse_stream_destroy(body) {
                    let known = self.streams.remove(&id).is_some();
                    if counting {
                        self.tally.destroyed += 1;
                        self.tally.flaps += u64::from(known);
                    }
                }
            }
            server::STREAM_DESTROY_ALL => {
                let ended = std::mem::take(&mut self.streams).len() as u64;
                if counting {
                    self.tally.destroyed += ended;
                    self.tally.flaps += ended;
                }
            }
            _ => {}
        }
        created
    }

    fn primary_rect(&self) -> Option<(u32, Rect)> {
        self.primary.map(|(id, w, h)| {
            let head = Head {
                surface_id: id,
                width: w,
                height: h,
                ..Head::default()
            };
            (id, head.rect())
        })
    }

    /// The channel's stream counters.
    pub fn streams(&self) -> &StreamTally {
        &self.tally
    }

    /// The per-head result of this channel.
    pub fn heads(&self, channel_id: u8, client: Option<String>) -> DisplayHeads {
        let (announced, heads, unattributed) = match &self.layout {
            Some(layout) => {
                let heads = layout
                    .iter()
                    .map(|h| {
                        let t = self.heads.get(&h.id).copied().unwrap_or_default();
                        head_stats(h, t)
                    })
                    .collect();
                (true, heads, self.unattributed)
            }
            None => {
                let heads = self
                    .primary
                    .map(|(id, width, height)| {
                        let h = Head {
                            surface_id: id,
                            width,
                            height,
                            ..Head::default()
                        };
                        vec![head_stats(&h, self.provisional)]
                    })
                    .unwrap_or_default();
                let mut unattributed = self.unattributed;
                add(&mut unattributed, self.provisional_missed);
                if heads.is_empty() {
                    add(&mut unattributed, self.provisional);
                }
                (false, heads, unattributed)
            }
        };
        DisplayHeads {
            channel_id,
            client,
            announced,
            updates: self.all.updates,
            update_bytes: self.all.bytes,
            heads,
            unattributed,
        }
    }
}

fn add(to: &mut HeadTraffic, t: HeadTraffic) {
    to.updates += t.updates;
    to.bytes += t.bytes;
}

fn head_stats(h: &Head, t: HeadTraffic) -> HeadStats {
    HeadStats {
        id: h.id,
        x: h.x,
        y: h.y,
        width: h.width,
        height: h.height,
        updates: t.updates,
        bytes: t.bytes,
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::wire::codec::Writer;

    fn rect(left: i32, top: i32, right: i32, bottom: i32) -> Rect {
        Rect {
            top,
            left,
            bottom,
            right,
        }
    }

    fn draw(area: Rect) -> DisplayUpdate {
        DisplayUpdate::Draw {
            msg_type: server::DRAW_COPY,
            surface_id: 0,
            area,
            images: Vec::new(),
            fill: None,
        }
    }

    fn surface_create(w: u32, h: u32) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [0, w, h, 32, 1] {
            b.put_u32(v);
        }
        b
    }

    fn two_heads() -> Vec<u8> {
        let head = |id: u32, x: u32| Head {
            id,
            surface_id: 0,
            width: 1920,
            height: 1200,
            x,
            y: 0,
            flags: 0,
        };
        MonitorsConfig {
            max_allowed: 2,
            heads: vec![head(0, 0), head(1, 1920)],
        }
        .emit()
    }

    fn stream_create(id: u32, codec: u8, dest: Rect) -> Vec<u8> {
        let mut b = Vec::new();
        b.put_u32(0);
        b.put_u32(id);
        b.put_u8(1);
        b.put_u8(codec);
        b.put_u64(0);
        for _ in 0..4 {
            b.put_u32(16);
        }
        for v in [dest.top, dest.left, dest.bottom, dest.right] {
            b.put_i32(v);
        }
        b.put_u8(0);
        b
    }

    #[test]
    fn split_is_proportional_and_exact() {
        assert_eq!(split_by_area(100, &[1, 1]), vec![50, 50]);
        assert_eq!(split_by_area(101, &[1, 1]), vec![50, 51]);
        assert_eq!(split_by_area(10, &[1, 2, 0, 1]), vec![2, 5, 0, 3]);
        assert_eq!(split_by_area(7, &[5]), vec![7]);
        assert_eq!(
            split_by_area(u64::MAX, &[u64::MAX, u64::MAX])
                .iter()
                .sum::<u64>(),
            u64::MAX
        );
        assert!(split_by_area(9, &[]).is_empty());
    }

    #[test]
    fn an_update_across_two_heads_counts_on_both_and_splits_its_bytes() {
        let mut l = DisplayLedger::default();
        l.on_layout(server::SURFACE_CREATE, &surface_create(3840, 1200), true);
        // The initial screen comes before the layout and is split under it when it arrives.
        l.on_update(Some(&draw(rect(0, 0, 3840, 1200))), 1000);
        l.on_layout(server::MONITORS_CONFIG, &two_heads(), true);
        // 120 px on head 0, 40 px on head 1, 10 rows: 3/4 and 1/4 of 999 bytes.
        l.on_update(Some(&draw(rect(1800, 0, 1960, 10))), 999);
        l.on_update(Some(&draw(rect(2000, 0, 2010, 10))), 50);
        // Outside both heads, and unreadable: unattributed.
        l.on_update(Some(&draw(rect(0, 1300, 10, 1310))), 7);
        l.on_update(None, 3);
        let d = l.heads(0, None);
        assert!(d.announced);
        assert_eq!((d.updates, d.update_bytes), (5, 2059));
        let per: Vec<(u32, u64, u64)> =
            d.heads.iter().map(|h| (h.id, h.updates, h.bytes)).collect();
        assert_eq!(per, vec![(0, 2, 500 + 749), (1, 3, 500 + 250 + 50)]);
        assert_eq!(
            d.unattributed,
            HeadTraffic {
                updates: 2,
                bytes: 7 + 3
            }
        );
        let sum: u64 = d.heads.iter().map(|h| h.bytes).sum();
        assert_eq!(sum + d.unattributed.bytes, d.update_bytes);
        assert_eq!((d.heads[1].x, d.heads[1].width), (1920, 1920));
    }

    #[test]
    fn without_a_layout_the_primary_surface_is_head_0() {
        let mut l = DisplayLedger::default();
        l.on_message(server::SURFACE_CREATE, &surface_create(1024, 768), 26);
        l.on_update(Some(&draw(rect(0, 0, 1024, 768))), 500);
        // An off-screen surface is not on a head.
        l.on_update(
            Some(&DisplayUpdate::Draw {
                msg_type: server::DRAW_FILL,
                surface_id: 3,
                area: rect(0, 0, 10, 10),
                images: Vec::new(),
                fill: None,
            }),
            40,
        );
        let d = l.heads(0, Some("127.0.0.1:4000".into()));
        assert!(!d.announced);
        assert_eq!(d.heads.len(), 1);
        let h = &d.heads[0];
        assert_eq!(
            (h.id, h.width, h.height, h.updates, h.bytes),
            (0, 1024, 768, 1, 500)
        );
        assert_eq!(d.unattributed.bytes, 40);
        // Nothing known about the surface: nothing to attribute to.
        let mut blind = DisplayLedger::default();
        blind.on_update(Some(&draw(rect(0, 0, 5, 5))), 9);
        let d = blind.heads(0, None);
        assert!(d.heads.is_empty());
        assert_eq!(d.unattributed.bytes, 9);
    }

    #[test]
    fn streams_by_codec_with_flaps_and_unknown_streams() {
        let mut l = DisplayLedger::default();
        l.on_layout(server::SURFACE_CREATE, &surface_create(1024, 768), true);
        let dest = rect(100, 100, 420, 340);
        // A creation says its codec (the client keeps the times of these).
        let created = l.on_layout(server::STREAM_CREATE, &stream_create(5, 1, dest), true);
        assert_eq!(created, Some(1));
        l.on_layout(server::STREAM_CREATE, &stream_create(6, 2, dest), true);
        let frame = |id: u32| DisplayUpdate::StreamFrame {
            stream_id: id,
            data_size: 100,
            area: None,
        };
        l.on_update(Some(&frame(5)), 118);
        l.on_update(Some(&frame(5)), 118);
        l.on_update(Some(&frame(6)), 118);
        // A frame of a stream created before the capture began.
        l.on_update(Some(&frame(9)), 118);
        l.on_layout(server::STREAM_DESTROY, &5u32.to_le_bytes(), true);
        l.on_layout(server::STREAM_DESTROY_ALL, &[], true);
        // Outside the analysis window: the stream is followed, not counted.
        l.on_layout(server::STREAM_CREATE, &stream_create(7, 1, dest), false);
        let s = l.streams().stats();
        assert_eq!((s.created, s.destroyed, s.flaps), (2, 2, 2));
        assert_eq!((s.frames, s.frame_bytes), (4, 472));
        let codecs: Vec<(&str, u64, u64, u64)> = s
            .by_codec
            .iter()
            .map(|c| (c.codec.as_str(), c.streams, c.frames, c.data_bytes))
            .collect();
        assert_eq!(
            codecs,
            vec![
                ("unknown", 0, 1, 100),
                ("mjpeg", 1, 2, 200),
                ("vp8", 1, 1, 100)
            ]
        );
        let d = l.heads(0, None);
        assert_eq!(
            d.heads[0].updates, 3,
            "frames of known streams land on their box"
        );
        assert_eq!(d.unattributed.updates, 1);
    }

    #[test]
    fn only_so_many_updates_wait_for_the_first_layout() {
        let mut l = DisplayLedger::default();
        l.on_layout(server::SURFACE_CREATE, &surface_create(3840, 1200), true);
        for _ in 0..MAX_PENDING + 5 {
            l.on_update(Some(&draw(rect(0, 0, 10, 10))), 2);
        }
        // Without a layout every one of them is on head 0, the primary surface.
        assert_eq!(l.heads(0, None).heads[0].updates, MAX_PENDING as u64 + 5);
        l.on_layout(server::MONITORS_CONFIG, &two_heads(), true);
        let d = l.heads(0, None);
        assert_eq!(d.heads[0].updates, MAX_PENDING as u64);
        assert_eq!(
            d.unattributed,
            HeadTraffic {
                updates: 5,
                bytes: 10
            }
        );
    }

    #[test]
    fn hostile_layouts_and_streams_stay_bounded() {
        let mut l = DisplayLedger::default();
        let many = MonitorsConfig {
            max_allowed: 1,
            heads: vec![Head::default(); 1000],
        };
        l.on_layout(server::MONITORS_CONFIG, &many.emit(), true);
        assert_eq!(l.heads(0, None).heads.len(), MAX_HEADS);
        for id in 0..(MAX_STREAMS as u32 + 10) {
            l.on_layout(
                server::STREAM_CREATE,
                &stream_create(id, 1, Rect::default()),
                true,
            );
        }
        assert_eq!(l.streams.len(), MAX_STREAMS);
        // Garbage bodies change nothing and do not panic.
        for t in [
            server::MONITORS_CONFIG,
            server::STREAM_CREATE,
            server::STREAM_DESTROY,
            server::SURFACE_CREATE,
            server::STREAM_DATA,
        ] {
            l.on_message(t, &[1, 2, 3], 9);
        }
    }
}
