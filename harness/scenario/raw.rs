//! The scenario file as serde reads it: one struct per table, every key optional and kept
//! with its place in the text ([`toml::Spanned`]), so `rules` can name the line of each value
//! it refuses. serde itself refuses unknown keys (with the list of known ones), wrong types and
//! unknown names of the closed sets, and `toml::de::Error::span` says where.
//!
//! Values with a range that does not depend on their kind ([`Int`], [`Seconds`],
//! [`StepSeconds`]) are refused by serde too, so the error is at the value's line and key.
//!
//! `[target]` and `[[steps]]` are tagged by `kind`, but not as serde's internally tagged
//! enums: those buffer the table before choosing the variant, which loses every span and key
//! path inside it (errors would point at the table, not the key). Each is instead one table of
//! every kind's keys; a rule takes the keys its kind reads, and any key left over belongs to
//! another kind ([`Step::leftover`]).

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::{self, Deserialize, Deserializer, IntoDeserializer, SeqAccess, Visitor};
use toml::Spanned;

use super::access::{TransportKind, ViewerKind};
use super::schema::{Button, Compression};
use super::target_kind::TargetKind;
use super::workload::{DesktopContent, IdleActivity, StreamingVideo, WanCompression};

/// Declares a table whose keys are all optional, and `leftover`, which names the first key
/// still set (with its offset in the text). Every value knows where it is ([`At`]).
macro_rules! raw_table {
    ($(#[$meta:meta])* struct $name:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Default, serde::Deserialize)]
        #[serde(deny_unknown_fields, expecting = "a table")]
        pub(super) struct $name {
            $($(#[$fmeta])* pub(super) $field: Option<$ty>,)+
        }

        impl $name {
            /// The first key still set, with its offset: after a rule has taken every key it
            /// reads, a key left belongs to another kind.
            pub(super) fn leftover(&self) -> Option<(&'static str, usize)> {
                $(if let Some(v) = &self.$field {
                    return Some((stringify!($field), v.at()));
                })+
                None
            }
        }
    };
}

/// Where a value starts in the text.
pub(super) trait At {
    /// Its byte offset.
    fn at(&self) -> usize;
}

impl<T> At for Spanned<T> {
    fn at(&self) -> usize {
        self.span().start
    }
}

impl At for Path {
    fn at(&self) -> usize {
        self.kind.span().start
    }
}

/// An integer in `LO..=HI`, as the type it is used as (which holds every value of the range).
#[derive(Debug, Clone, Copy)]
pub(super) struct Int<T, const LO: i64, const HI: i64>(pub(super) T);

impl<'de, T: TryFrom<i64>, const LO: i64, const HI: i64> Deserialize<'de> for Int<T, LO, HI> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = i64::deserialize(d)?;
        match T::try_from(n) {
            Ok(t) if (LO..=HI).contains(&n) => Ok(Self(t)),
            _ => Err(de::Error::custom(format!(
                "must be between {LO} and {HI}, got {n}"
            ))),
        }
    }
}

/// A duration of `LO_MS..=HI_MS` milliseconds, written in seconds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seconds<const LO_MS: u64, const HI_MS: u64>(pub(super) Duration);

impl<'de, const LO_MS: u64, const HI_MS: u64> Deserialize<'de> for Seconds<LO_MS, HI_MS> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = f64::deserialize(d)?;
        let (lo, hi) = (LO_MS as f64 / 1000.0, HI_MS as f64 / 1000.0);
        // Written so NaN fails too.
        if !(s >= lo && s <= hi) {
            let msg = format!("must be between {lo} and {hi} seconds, got {s}");
            return Err(de::Error::custom(msg));
        }
        Ok(Self(Duration::from_secs_f64(s)))
    }
}

/// Longest single step.
const MAX_STEP_SECONDS: f64 = 600.0;

/// A step's duration in seconds: more than 0, at most [`MAX_STEP_SECONDS`].
#[derive(Debug, Clone, Copy)]
pub(super) struct StepSeconds(pub(super) Duration);

impl<'de> Deserialize<'de> for StepSeconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = f64::deserialize(d)?;
        // Written so NaN fails too.
        if !(s > 0.0 && s <= MAX_STEP_SECONDS) {
            let msg =
                format!("must be greater than 0 and at most {MAX_STEP_SECONDS} seconds, got {s}");
            return Err(de::Error::custom(msg));
        }
        Ok(Self(Duration::from_secs_f64(s)))
    }
}

/// A list whose items keep their places (for "listed twice" at the item's line).
pub(super) type List<T> = Vec<Spanned<T>>;

/// The top level. The tables are not spanned: a table made by dotted keys (`target.kind =
/// …`) has no span, and `Spanned` would refuse it.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct Root {
    pub(super) schema: Option<Spanned<String>>,
    pub(super) name: Option<Spanned<String>>,
    pub(super) description: Option<String>,
    pub(super) seed: Option<Int<u64, 0, { i64::MAX }>>,
    pub(super) repeat: Option<Int<u32, 1, 100>>,
    pub(super) idle_before_s: Option<Seconds<0, 60_000>>,
    pub(super) settle_timeout_s: Option<Seconds<100, 60_000>>,
    pub(super) target: Option<Target>,
    #[serde(default)]
    pub(super) access: Access,
    pub(super) desktop: Option<Desktop>,
    pub(super) steps: Option<Spanned<List<Step>>>,
}

raw_table! {
    /// `[target]`: the keys of every kind.
    struct Target {
        kind: Spanned<TargetKind>,
        geometry: Spanned<String>,
        compression: Spanned<List<Compression>>,
        image_compression: Spanned<List<Compression>>,
        /// At most 4: the qxl driver's NumHeads default.
        heads: Spanned<Int<u32, 1, 4>>,
        tls: Spanned<bool>,
        idle_activity: Spanned<IdleActivity>,
        jpeg_wan_compression: Spanned<OneOrMany<WanCompression>>,
        zlib_glz_wan_compression: Spanned<OneOrMany<WanCompression>>,
        streaming_video: Spanned<OneOrMany<StreamingVideo>>,
        video_codecs: Spanned<OneOrMany<String>>,
        playback_compression: Spanned<OneOrMany<bool>>,
        uri: Spanned<String>,
        tls_port: Spanned<Int<u16, 1, 65535>>,
        ca_file: Spanned<String>,
        insecure_skip_verify: Spanned<bool>,
        password_env: Spanned<String>,
        password_file: Spanned<String>,
        gpu: Spanned<crate::scenario::Gpu>,
        x_driver: Spanned<crate::scenario::XDriver>,
        pointer: Spanned<crate::scenario::PointerDevice>,
        accel: Spanned<crate::scenario::Accel>,
        memory_mib: Spanned<Int<u32, 256, 65536>>,
        cpus: Spanned<Int<u32, 1, 64>>,
        /// Never allowed: read only to say what to write instead.
        password: Spanned<toml::Value>,
    }
}

/// `[access]`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct Access {
    pub(super) transports: Option<Spanned<List<TransportKind>>>,
    pub(super) ssh_compression: Option<Spanned<List<bool>>>,
    pub(super) viewers: Option<Spanned<List<ViewerKind>>>,
    pub(super) ssh: Option<Spanned<String>>,
    pub(super) ssh_config: Option<Spanned<String>>,
    /// Not spanned: a table (`[access.lan]`), whose values serde checks itself.
    pub(super) lan: Option<super::lan::LanLink>,
}

raw_table! {
    /// `[desktop]`.
    struct Desktop {
        content: Spanned<DesktopContent>,
        compositor: Spanned<OneOrMany<bool>>,
    }
}

raw_table! {
    /// One `[[steps]]` table: the keys of every step kind.
    struct Step {
        kind: Spanned<StepKind>,
        from: Spanned<List<i64>>,
        to: Spanned<List<i64>>,
        /// Not spanned: a table made by dotted keys (`path.kind = …`) has no span.
        path: Path,
        at: Spanned<List<i64>>,
        duration_s: Spanned<StepSeconds>,
        rate_hz: Spanned<i64>,
        hold_s: Spanned<Seconds<0, 10_000>>,
        button: Spanned<Button>,
        count: Spanned<i64>,
        keys: Spanned<String>,
        text: Spanned<String>,
        window: Spanned<String>,
        quiet_ms: Spanned<Int<u64, 1, 60_000>>,
        timeout_s: Spanned<StepSeconds>,
        compression: Spanned<Compression>,
        video_codecs: Spanned<String>,
        steps: Spanned<List<Step>>,
    }
}

crate::named_enum::named_enum! {
    /// The kinds of `[[steps]]`.
    pub enum StepKind {
        /// Press, move, release.
        Drag = "drag",
        /// Click at a point.
        Click = "click",
        /// Press a chord.
        Key = "key",
        /// Type text.
        Type = "type",
        /// Wait for a window or a quiet display.
        WaitFor = "wait_for",
        /// Send nothing for a while.
        Pause = "pause",
        /// Ask for another compression or codecs mid-session.
        Prefer = "prefer",
        /// Repeat inner steps.
        Repeat = "repeat",
    }
}

crate::named_enum::named_enum! {
    /// The kinds of a drag's `path`.
    pub enum PathKind {
        /// The seeded random walk.
        Erratic = "erratic",
    }
}

/// A drag's `path = { kind = "erratic", step_px = 10 }`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table")]
pub(super) struct Path {
    pub(super) kind: Spanned<PathKind>,
    pub(super) step_px: Option<Int<u32, 1, 200>>,
}

/// A knob's value: one, or a list of them (a matrix axis).
#[derive(Debug)]
pub(super) enum OneOrMany<T> {
    /// `key = value`.
    One(T),
    /// `key = [value, …]`.
    Many(List<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Not `#[serde(untagged)]`: it buffers, and the items would lose their spans.
        d.deserialize_any(OneOrManyVisitor(PhantomData))
    }
}

struct OneOrManyVisitor<T>(PhantomData<T>);

impl<T> OneOrManyVisitor<T> {
    fn one<'de, E: de::Error>(v: impl IntoDeserializer<'de, E>) -> Result<OneOrMany<T>, E>
    where
        T: Deserialize<'de>,
    {
        T::deserialize(v.into_deserializer()).map(OneOrMany::One)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = OneOrMany<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or an array of values")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::one(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::one(v)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::one(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Self::one(v.to_owned())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(OneOrMany::Many(items))
    }
}
