//! Parses TOML into a plain tree that remembers where each key and value sits in the text,
//! so every validation error can name its line.

use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

// toml hands out spans through serde_spanned's protocol: a struct request with these
// names. `toml::Spanned` speaks it too, but fails outright on values toml has no span
// for (implicit tables made by dotted keys or `[a.b]` headers). Speaking it ourselves
// lets such values through without a span; the caller then falls back to a parent's line.
const SPANNED_NAME: &str = "$__serde_spanned_private_Spanned";
const SPANNED_START: &str = "$__serde_spanned_private_start";
const SPANNED_END: &str = "$__serde_spanned_private_end";
const SPANNED_VALUE: &str = "$__serde_spanned_private_value";
const SPANNED_FIELDS: &[&str] = &[SPANNED_START, SPANNED_END, SPANNED_VALUE];
// How toml presents a datetime to `deserialize_any`: a one-entry map with this key.
const DATETIME_KEY: &str = "$__toml_private_datetime";

/// A TOML value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Located>),
    Table(Vec<Entry>),
}

impl Node {
    /// The value's TOML type with an article, for "expected X, got Y" messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Self::String(_) => "a string",
            Self::Integer(_) => "an integer",
            Self::Float(_) => "a float",
            Self::Boolean(_) => "a boolean",
            Self::Datetime(_) => "a date/time",
            Self::Array(_) => "an array",
            Self::Table(_) => "a table",
        }
    }
}

/// A value and its byte range in the text, if toml knew it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located {
    pub(crate) span: Option<Range<usize>>,
    pub(crate) node: Node,
}

/// One `key = value` of a table, in file order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_span: Option<Range<usize>>,
    pub(crate) value: Located,
}

/// Parses a whole document into its root table's entries.
pub(crate) fn parse(text: &str) -> Result<Vec<Entry>, toml::de::Error> {
    match toml::from_str::<Node>(text)? {
        Node::Table(entries) => Ok(entries),
        // toml's document root is always a table; anything else would be a toml bug.
        other => Err(de::Error::custom(format!(
            "document root is {}, not a table",
            other.type_name()
        ))),
    }
}

/// 1-based line of a byte offset; offsets past the end count as the last line.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    1 + text.bytes().take(offset).filter(|b| *b == b'\n').count()
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct(SPANNED_NAME, SPANNED_FIELDS, LocatedVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Boolean(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        i64::try_from(v)
            .map(Node::Integer)
            .map_err(|_| E::custom("integer does not fit in 64 signed bits"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Located>()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let first = map.next_key::<Located>()?;
        read_table(first, map)
    }
}

struct LocatedVisitor;

impl LocatedVisitor {
    fn bare(node: Node) -> Located {
        Located { span: None, node }
    }
}

impl<'de> Visitor<'de> for LocatedVisitor {
    type Value = Located;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TOML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Located, E> {
        NodeVisitor.visit_bool(v).map(Self::bare)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Located, E> {
        NodeVisitor.visit_i64(v).map(Self::bare)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Located, E> {
        NodeVisitor.visit_u64(v).map(Self::bare)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Located, E> {
        NodeVisitor.visit_f64(v).map(Self::bare)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Located, E> {
        NodeVisitor.visit_str(v).map(Self::bare)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Located, E> {
        NodeVisitor.visit_string(v).map(Self::bare)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Located, A::Error> {
        NodeVisitor.visit_seq(seq).map(Self::bare)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Located, A::Error> {
        let first = map.next_key::<Located>()?;
        let is_span =
            matches!(&first, Some(Located { node: Node::String(k), .. }) if k == SPANNED_START);
        if !is_span {
            return read_table(first, map).map(Self::bare);
        }
        let start: usize = map.next_value()?;
        expect_key(&mut map, SPANNED_END)?;
        let end: usize = map.next_value()?;
        expect_key(&mut map, SPANNED_VALUE)?;
        let node: Node = map.next_value()?;
        Ok(Located {
            span: Some(start..end),
            node,
        })
    }
}

fn expect_key<'de, A: MapAccess<'de>>(map: &mut A, want: &'static str) -> Result<(), A::Error> {
    match map.next_key::<String>()? {
        Some(k) if k == want => Ok(()),
        _ => Err(de::Error::custom(format!("span protocol: expected {want}"))),
    }
}

/// Reads the rest of a map whose first key has already been taken.
fn read_table<'de, A: MapAccess<'de>>(
    first: Option<Located>,
    mut map: A,
) -> Result<Node, A::Error> {
    let mut entries = Vec::new();
    let mut next = first;
    while let Some(key) = next {
        let Node::String(name) = key.node else {
            return Err(de::Error::custom("table key is not a string"));
        };
        if name == DATETIME_KEY && entries.is_empty() {
            let text: String = map.next_value()?;
            return Ok(Node::Datetime(text));
        }
        let value: Located = map.next_value()?;
        entries.push(Entry {
            key: name,
            key_span: key.span,
            value,
        });
        next = map.next_key::<Located>()?;
    }
    Ok(Node::Table(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str, entry: &Entry) -> (Option<usize>, Option<usize>) {
        (
            entry.key_span.as_ref().map(|s| line_of(text, s.start)),
            entry.value.span.as_ref().map(|s| line_of(text, s.start)),
        )
    }

    fn table(node: &Node) -> &[Entry] {
        match node {
            Node::Table(e) => e,
            other => panic!("expected table, got {other:?}"),
        }
    }

    #[test]
    fn keys_and_values_carry_their_lines() {
        let text = "a = 1\n\n[t]\nb = \"x\"\nc = [\n  1.5,\n  true,\n]\n";
        let root = parse(text).unwrap();
        assert_eq!(root.len(), 2);
        assert_eq!(root[0].key, "a");
        assert_eq!(lines(text, &root[0]), (Some(1), Some(1)));
        assert_eq!(root[0].value.node, Node::Integer(1));
        assert_eq!(root[1].key, "t");
        assert_eq!(lines(text, &root[1]).1, Some(3));
        let t = table(&root[1].value.node);
        assert_eq!(lines(text, &t[0]), (Some(4), Some(4)));
        assert_eq!(t[0].value.node, Node::String("x".into()));
        let Node::Array(items) = &t[1].value.node else {
            panic!("array expected")
        };
        assert_eq!(items[0].node, Node::Float(1.5));
        assert_eq!(line_of(text, items[1].span.clone().unwrap().start), 7);
        assert_eq!(items[1].node, Node::Boolean(true));
    }

    #[test]
    fn array_of_tables_keeps_order_and_lines() {
        let text = "[[s]]\nk = 1\n\n[[s]]\nk = 2\np = { q = 3 }\n";
        let root = parse(text).unwrap();
        let Node::Array(items) = &root[0].value.node else {
            panic!("array expected")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(line_of(text, items[1].span.clone().unwrap().start), 4);
        let second = table(&items[1].node);
        assert_eq!(lines(text, &second[1]), (Some(6), Some(6)));
        assert_eq!(table(&second[1].value.node)[0].value.node, Node::Integer(3));
    }

    #[test]
    fn implicit_tables_parse_without_span_but_children_keep_theirs() {
        let text = "x = 1\ntarget.kind = \"xspice\"\n[s.sub]\nk = 2\n";
        let root = parse(text).unwrap();
        let target = table(&root[1].value.node);
        assert_eq!(target[0].key, "kind");
        assert_eq!(lines(text, &target[0]).1, Some(2));
        let sub = table(&table(&root[2].value.node)[0].value.node);
        assert_eq!(lines(text, &sub[0]).1, Some(4));
    }

    #[test]
    fn datetimes_become_their_own_node() {
        let root = parse("d = 1979-05-27T07:32:00Z\n").unwrap();
        assert_eq!(root[0].value.node.type_name(), "a date/time");
        assert_eq!(line_of("d = 1\n", 999), 2);
    }

    #[test]
    fn syntax_errors_come_back_with_a_span() {
        let text = "a = 1\nb = \n";
        let e = parse(text).unwrap_err();
        assert_eq!(line_of(text, e.span().unwrap().start), 2);
        let dup = parse("a = 1\na = 2\n").unwrap_err();
        assert!(dup.message().contains("duplicate key"), "{dup}");
    }
}
