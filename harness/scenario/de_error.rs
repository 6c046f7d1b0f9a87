//! serde's and toml's own errors (a wrong type, an unknown key or name, bad syntax) as
//! [`ScenarioError`]s in TOML's words: serde speaks of `i64`, `f64`, sequences and maps, and a
//! scenario's author writes integers, floats, arrays and tables. This is the one place those
//! words are translated; everything else in the message is serde's.

use std::fmt::Write as _;
use std::path::Path;

use serde_path_to_error::Segment;
use toml::Value;

use super::access::{TransportKind, ViewerKind};
use super::error::ScenarioError;
use super::raw::{PathKind, StepKind};
use super::schema::{Button, Compression};
use super::target_kind::TargetKind;
use super::workload::{DesktopContent, IdleActivity, StreamingVideo, WanCompression};

/// 1-based line of a byte offset; offsets past the end count as the last line.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    1 + text.bytes().take(offset).filter(|b| *b == b'\n').count()
}

/// `e` against `text` (the file at `path`): the dotted key, the line, and the message.
pub(super) fn scenario_error(
    text: &str,
    path: &Path,
    e: serde_path_to_error::Error<toml::de::Error>,
) -> ScenarioError {
    // `Spanned` reads its value as a field of its own, whose name starts with `$`: no key of
    // the file.
    let segments: Vec<Segment> = (e.path().iter())
        .filter(|s| !matches!(s, Segment::Map { key } if key.starts_with('$')))
        .cloned()
        .collect();
    let mut key = String::new();
    for s in &segments {
        match s {
            Segment::Seq { index } => {
                let _ = write!(key, "[{index}]");
            }
            Segment::Map { key: k } => {
                key.push_str(if key.is_empty() { "" } else { "." });
                key.push_str(k);
            }
            _ => {}
        }
    }
    let e = e.into_inner();
    let line = e.span().map(|s| line_of(text, s.start));
    let serde_words = (e.message().lines().map(str::trim))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let message = value_at(text, &segments)
        .and_then(|got| toml_words(&serde_words, &key, &segments, &got))
        .unwrap_or(serde_words);
    match line {
        Some(line) if !key.is_empty() => ScenarioError::Invalid {
            path: path.to_owned(),
            line,
            key,
            message,
        },
        _ => ScenarioError::Syntax {
            path: path.to_owned(),
            line,
            message,
        },
    }
}

/// The value the file holds at `segments`, read again without a schema.
fn value_at(text: &str, segments: &[Segment]) -> Option<Value> {
    let mut v = Value::Table(text.parse::<toml::Table>().ok()?);
    for s in segments {
        v = match (s, v) {
            (Segment::Map { key }, Value::Table(mut t)) => t.remove(key.as_str())?,
            (Segment::Seq { index }, Value::Array(mut a)) if *index < a.len() => {
                a.swap_remove(*index)
            }
            _ => return None,
        };
    }
    Some(v)
}

/// serde's type error `serde_words` about `got` at `key`, in TOML's words with an example of
/// a right value; `None` for any other error (unknown keys and names read well as they are).
fn toml_words(serde_words: &str, key: &str, segments: &[Segment], got: &Value) -> Option<String> {
    let leaf = segments.iter().rev().find_map(|s| match s {
        Segment::Map { key } => Some(key.as_str()),
        _ => None,
    })?;
    let in_list = matches!(segments.last(), Some(Segment::Seq { .. }));
    if serde_words.contains("expected a borrowed string") {
        // toml's `Spanned` cannot read a table made by dotted keys (`path.kind = …`).
        return Some(format!(
            "`{leaf}` is written with dotted keys ({leaf}.… = …), which cannot be read here; \
             write it as an inline table: {leaf} = {{ … }}"
        ));
    }
    let expected = match serde_words.strip_prefix("invalid type: ") {
        Some(rest) => rest.rsplit_once(", expected ")?.1,
        // An enum given something other than a string.
        None if serde_words == "wanted string or table" => "enum",
        None => return None,
    };
    let has = |words: &[&str]| words.iter().any(|w| expected.contains(w));
    let names = names_of(key, leaf);
    // What the key wants, and an example of it (from what was written, where it helps).
    let (wanted, example) = if has(&["i64", "u64", "u32", "u16", "u8", "integer"]) {
        let n = match got {
            Value::Float(f) if f.is_finite() => f.round() as i64,
            Value::String(s) => s.trim().parse().unwrap_or(10),
            _ => 10,
        };
        ("an integer (a whole number)".to_string(), n.to_string())
    } else if has(&["f64", "f32"]) {
        let x = match got {
            Value::String(s) => s.trim().parse().unwrap_or(1.5),
            _ => 1.5,
        };
        ("a number".to_string(), format!("{x:?}"))
    } else if has(&["bool"]) {
        ("a boolean".to_string(), "true".to_string())
    } else if has(&["value or an array"]) {
        let example = names.map_or("[…]".to_string(), |n| format!("[{}]", n.join(", ")));
        ("a value or an array of values".to_string(), example)
    } else if has(&["sequence", "array"]) && matches!(leaf, "from" | "to" | "at") {
        ("an array".to_string(), "[100, 200]".to_string())
    } else if has(&["sequence", "array"]) {
        ("an array".to_string(), format!("[{}]", scalar(got)))
    } else if has(&["table", "map", "struct"]) {
        let kind = match leaf {
            "target" => "kind = \"xspice\"",
            "path" => "kind = \"erratic\"",
            _ => "…",
        };
        ("a table".to_string(), format!("{{ {kind} }}"))
    } else if let Some(names) = names {
        let first = names[0].clone();
        (format!("a string, one of {}", names.join(", ")), first)
    } else {
        let text = match got {
            Value::String(s) => s.clone(),
            other => scalar(other),
        };
        ("a string".to_string(), format!("\"{text}\""))
    };
    let example = if leaf == "steps" {
        "[[steps]] tables".to_string()
    } else if in_list {
        example
    } else {
        format!("{leaf} = {example}")
    };
    let subject = if in_list {
        format!("each item of `{leaf}`")
    } else {
        format!("`{leaf}`")
    };
    Some(format!(
        "{subject} must be {wanted}, got {}; write e.g. {example}",
        described(got)
    ))
}

/// `got` as the author wrote it: `the float 1.5`, `the string "x"`, `a table`.
fn described(got: &Value) -> String {
    match got {
        Value::Integer(n) => format!("the integer {n}"),
        Value::Float(f) => format!("the float {f:?}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Boolean(b) => format!("the boolean {b}"),
        Value::Datetime(d) => format!("the date {d}"),
        Value::Array(_) => "an array".to_string(),
        Value::Table(_) => "a table".to_string(),
    }
}

/// A scalar as TOML writes it (a string's with quotes), or `…` for an array or a table.
fn scalar(got: &Value) -> String {
    match got {
        Value::Array(_) | Value::Table(_) => "…".into(),
        other => other.to_string(),
    }
}

/// The names allowed at `key` (whose last key is `leaf`), quoted, when it takes a name.
fn names_of(key: &str, leaf: &str) -> Option<Vec<String>> {
    fn quoted<T: std::fmt::Display>(all: impl IntoIterator<Item = T>) -> Option<Vec<String>> {
        Some(all.into_iter().map(|v| format!("\"{v}\"")).collect())
    }
    match leaf {
        "kind" if key.starts_with("target") => quoted(TargetKind::ALL),
        "kind" if key.ends_with("path.kind") => quoted(PathKind::ALL),
        "kind" => quoted(StepKind::ALL),
        "button" => quoted(Button::ALL),
        "compression" | "image_compression" => quoted(Compression::ALL),
        "transports" => quoted(TransportKind::ALL),
        "viewers" => quoted(ViewerKind::ALL),
        "idle_activity" => quoted(IdleActivity::ALL),
        "content" => quoted(DesktopContent::ALL),
        "jpeg_wan_compression" | "zlib_glz_wan_compression" => quoted(WanCompression::ALL),
        "streaming_video" => quoted(StreamingVideo::ALL),
        _ => None,
    }
}
