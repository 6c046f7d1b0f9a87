//! The rules of `[[steps]]`: each step kind's keys, ranges and defaults, with errors that
//! name the file, line and key.

use std::time::Duration;

use super::error::ScenarioError;
use super::keys::{key_for_char, key_named, key_names, Key};
use super::schema::{
    Button, Click, Compression, Drag, DragPath, Geometry, Point, Prefer, Preference, Step,
    WaitCondition, WaitFor, MAX_COORDINATE,
};
use super::validate::{int_in, seconds, Table, Val};
use super::workload::VideoCodecList;

type Result<T> = std::result::Result<T, ScenarioError>;

const DRAG_KEYS: &[&str] = &[
    "kind",
    "from",
    "to",
    "path",
    "duration_s",
    "rate_hz",
    "button",
];
const PAUSE_KEYS: &[&str] = &["kind", "duration_s"];
const ERRATIC_KEYS: &[&str] = &["kind", "step_px"];
const CLICK_KEYS: &[&str] = &["kind", "at", "button", "count"];
const KEY_KEYS: &[&str] = &["kind", "keys"];
const TYPE_KEYS: &[&str] = &["kind", "text", "rate_hz"];
const WAIT_KEYS: &[&str] = &["kind", "window", "quiet_ms", "timeout_s"];
const REPEAT_KEYS: &[&str] = &["kind", "count", "steps"];
const PREFER_KEYS: &[&str] = &["kind", "compression", "video_codecs"];
/// Every step kind, as errors list them.
const KINDS: &str =
    "\"drag\", \"click\", \"key\", \"type\", \"wait_for\", \"pause\", \"prefer\" or \"repeat\"";

/// Longest single step.
pub(super) const MAX_STEP_SECONDS: f64 = 600.0;
/// How deep `repeat` blocks may nest.
const MAX_REPEAT_DEPTH: u32 = 3;
/// Most input events (plus one for every step, as unrolled) one run may plan; repeats
/// multiply. Beyond this a typo in `count` is more likely than a benchmark, and counting the
/// steps too bounds the planner's work: nested repeats of pauses send nothing but would
/// still take the planner forever to unroll.
const MAX_PLANNED_EVENTS: u64 = 2_000_000;
/// Default wait for a window or a quiet display.
const DEFAULT_WAIT_SECONDS: u64 = 30;
/// Default typing speed, characters per second (a fast typist).
const DEFAULT_TYPE_RATE_HZ: u32 = 20;

/// Reads the `steps` array (top level or inside a repeat).
pub(super) fn steps(v: &Val<'_>, bounds: Option<Geometry>, depth: u32) -> Result<Vec<Step>> {
    let items = v.array()?;
    if items.is_empty() {
        return Err(v.err("needs at least one step; add a [[steps]] table"));
    }
    let steps = items
        .iter()
        .map(|item| step(&item.table()?, bounds, depth))
        .collect::<Result<Vec<_>>>()?;
    let events: u64 = steps.iter().map(planned_events).sum();
    if events > MAX_PLANNED_EVENTS {
        return Err(v.err(format!(
            "these steps plan {events} input events and steps (repeats unrolled), more than \
             the {MAX_PLANNED_EVENTS} one run may plan; lower a repeat count, a duration or a \
             rate"
        )));
    }
    Ok(steps)
}

/// About how many input events a step plans, plus one for the step itself (for the size
/// limit only).
fn planned_events(step: &Step) -> u64 {
    match step {
        Step::Drag(d) => super::path::move_count(d).saturating_add(3),
        Step::Pause(_) => 1,
        // Not inputs, but each is a segment and a message or a poll: repeats of them count.
        Step::WaitFor(_) | Step::Prefer(_) => 1,
        Step::Click(c) => 1 + 2 * u64::from(c.count),
        Step::Key(keys) => 2 * keys.len() as u64,
        Step::Type { text, .. } => 4 * text.len() as u64,
        Step::Repeat { count, steps } => u64::from(*count).saturating_mul(
            steps
                .iter()
                .map(planned_events)
                .fold(0, u64::saturating_add),
        ),
    }
}

fn step(st: &Table<'_>, bounds: Option<Geometry>, depth: u32) -> Result<Step> {
    let kind = st.require("kind", &format!("add kind = one of {KINDS}"))?;
    match kind.str()? {
        "drag" => drag(st, bounds).map(Step::Drag),
        "pause" => {
            st.check_keys(PAUSE_KEYS)?;
            let d = st.require("duration_s", "add duration_s = 0.5")?;
            Ok(Step::Pause(seconds(&d, 0.0, false, MAX_STEP_SECONDS)?))
        }
        "click" => click(st, bounds).map(Step::Click),
        "key" => {
            st.check_keys(KEY_KEYS)?;
            let v = st.require("keys", "add keys = \"ctrl+s\" (names joined by +)")?;
            chord(&v).map(Step::Key)
        }
        "type" => {
            st.check_keys(TYPE_KEYS)?;
            let v = st.require("text", "add text = \"what to type\"")?;
            let text = v.str()?;
            if text.is_empty() {
                return Err(v.err("the text is empty; give at least one character"));
            }
            if let Some(c) = text.chars().find(|c| key_for_char(*c).is_none()) {
                return Err(v.err(format!(
                    "cannot type {c:?}: only printable ASCII, tab and newline have keys on the \
                     US layout spicebench types with"
                )));
            }
            let rate_hz = match st.get("rate_hz") {
                // At most 40 a second, so a shifted character (24 ms) ends before the next starts.
                Some(r) => u32::try_from(int_in(&r, 1, 40)?).unwrap_or(1),
                None => DEFAULT_TYPE_RATE_HZ,
            };
            Ok(Step::Type {
                text: text.to_owned(),
                rate_hz,
            })
        }
        "wait_for" => wait_for(st).map(Step::WaitFor),
        "prefer" => prefer(st).map(Step::Prefer),
        "repeat" => {
            st.check_keys(REPEAT_KEYS)?;
            if depth >= MAX_REPEAT_DEPTH {
                return Err(st.err(format!(
                    "repeat blocks nest at most {MAX_REPEAT_DEPTH} deep"
                )));
            }
            let count = st.require("count", "add count = 10")?;
            let count = u32::try_from(int_in(&count, 1, 10_000)?).unwrap_or(1);
            let inner = st.require(
                "steps",
                "add the steps to repeat, e.g. [[steps.steps]] tables after this one",
            )?;
            Ok(Step::Repeat {
                count,
                steps: steps(&inner, bounds, depth + 1)?,
            })
        }
        other => Err(kind.err(format!("unknown step kind `{other}`; use {KINDS}"))),
    }
}

fn drag(st: &Table<'_>, bounds: Option<Geometry>) -> Result<Drag> {
    st.check_keys(DRAG_KEYS)?;
    let from = point(&st.require("from", "add from = [x, y]")?, bounds)?;
    let path = match (st.get("to"), st.get("path")) {
        (Some(_), Some(p)) => return Err(p.err("give either `to` or `path`, not both")),
        (Some(to), None) => DragPath::To(point(&to, bounds)?),
        (None, Some(p)) => erratic(&p.table()?)?,
        (None, None) => {
            return Err(st.err("a drag needs either to = [x, y] or path = { kind = \"erratic\" }"))
        }
    };
    let duration = seconds(
        &st.require("duration_s", "add duration_s = 1.0")?,
        0.0,
        false,
        MAX_STEP_SECONDS,
    )?;
    let rate = st.require("rate_hz", "add rate_hz = 100 (pointer events per second)")?;
    let rate_hz = u32::try_from(int_in(&rate, 1, 1000)?).unwrap_or(1);
    Ok(Drag {
        from,
        path,
        duration,
        rate_hz,
        button: button(st)?,
    })
}

fn button(st: &Table<'_>) -> Result<Button> {
    match st.get("button") {
        Some(v) => {
            let name = v.str()?;
            Button::from_name(name).ok_or_else(|| {
                v.err(format!(
                    "unknown button `{name}`; use \"left\", \"middle\" or \"right\""
                ))
            })
        }
        None => Ok(Button::Left),
    }
}

fn click(st: &Table<'_>, bounds: Option<Geometry>) -> Result<Click> {
    st.check_keys(CLICK_KEYS)?;
    let at = point(&st.require("at", "add at = [x, y]")?, bounds)?;
    let count = match st.get("count") {
        Some(v) => u32::try_from(int_in(&v, 1, 3)?).unwrap_or(1),
        None => 1,
    };
    Ok(Click {
        at,
        button: button(st)?,
        count,
    })
}

/// `"ctrl+shift+s"`: key names joined by `+`, each at most once.
fn chord(v: &Val<'_>) -> Result<Vec<Key>> {
    let text = v.str()?;
    let mut keys = Vec::new();
    for name in text.split('+').map(str::trim) {
        let key = key_named(name).ok_or_else(|| {
            v.err(format!(
                "unknown key `{name}` in \"{text}\"; keys are joined by + from: {}",
                key_names().join(", ")
            ))
        })?;
        if keys.contains(&key) {
            return Err(v.err(format!("`{name}` appears twice in \"{text}\"")));
        }
        keys.push(key);
    }
    Ok(keys)
}

fn wait_for(st: &Table<'_>) -> Result<WaitFor> {
    st.check_keys(WAIT_KEYS)?;
    let condition = match (st.get("window"), st.get("quiet_ms")) {
        (Some(_), Some(q)) => {
            return Err(q.err("give either `window` or `quiet_ms`, not both (use two steps)"))
        }
        (Some(w), None) => {
            let title = w.str()?;
            if title.trim().is_empty() {
                return Err(w.err("the window title is empty; give part of the title to wait for"));
            }
            WaitCondition::Window(title.to_owned())
        }
        (None, Some(q)) => {
            let ms = int_in(&q, 1, 60_000)?;
            WaitCondition::Quiet(Duration::from_millis(u64::try_from(ms).unwrap_or(1)))
        }
        (None, None) => {
            return Err(st.err(
                "a wait_for needs window = \"part of a title\" or quiet_ms = 500 (display quiet \
                 that long)",
            ))
        }
    };
    let timeout = match st.get("timeout_s") {
        Some(v) => seconds(&v, 0.0, false, MAX_STEP_SECONDS)?,
        None => Duration::from_secs(DEFAULT_WAIT_SECONDS),
    };
    Ok(WaitFor {
        condition,
        timeout,
        line: st.line,
    })
}

fn prefer(st: &Table<'_>) -> Result<Prefer> {
    st.check_keys(PREFER_KEYS)?;
    let preference = match (st.get("compression"), st.get("video_codecs")) {
        (Some(_), Some(v)) => {
            return Err(v.err(
                "give either `compression` or `video_codecs`, not both (use two prefer steps: \
                 each gets its own mark of when it took effect)",
            ))
        }
        (Some(v), None) => Preference::Compression(
            v.str()?
                .parse::<Compression>()
                .map_err(|e| v.err(e.to_string()))?,
        ),
        (None, Some(v)) => {
            Preference::VideoCodecs(VideoCodecList::parse(v.str()?).map_err(|e| v.err(e))?)
        }
        (None, None) => {
            return Err(st.err(
                "a prefer step needs compression = \"glz\" (an image compression) or \
                 video_codecs = \"gstreamer:vp8\" (video codecs, first preferred)",
            ))
        }
    };
    Ok(Prefer {
        preference,
        line: st.line,
    })
}

fn erratic(p: &Table<'_>) -> Result<DragPath> {
    p.check_keys(ERRATIC_KEYS)?;
    let kind = p.require("kind", "add kind = \"erratic\"")?;
    let k = kind.str()?;
    if k != "erratic" {
        return Err(kind.err(format!(
            "unknown path kind `{k}`; the only path kind is \"erratic\" (use `to` for a straight line)"
        )));
    }
    let step_px = match p.get("step_px") {
        Some(v) => u32::try_from(int_in(&v, 1, 200)?).unwrap_or(1),
        None => 10,
    };
    Ok(DragPath::Erratic { step_px })
}

fn point(v: &Val<'_>, bounds: Option<Geometry>) -> Result<Point> {
    let items = v.array()?;
    let [x, y] = items.as_slice() else {
        return Err(v.err(format!(
            "expected a point [x, y], got an array of {} values",
            items.len()
        )));
    };
    let coordinate = |c: &Val<'_>| {
        int_in(c, 0, i64::from(MAX_COORDINATE)).map(|n| u32::try_from(n).unwrap_or_default())
    };
    let p = Point {
        x: coordinate(x)?,
        y: coordinate(y)?,
    };
    if let Some(g) = bounds {
        if !g.contains(p) {
            return Err(v.err(format!(
                "[{}, {}] lies outside the target geometry {g}; x must be below {} and y below {}",
                p.x, p.y, g.width, g.height
            )));
        }
    }
    Ok(p)
}
