//! HTML building blocks: escaping, tables, the stylesheet.
//!
//! Every string that comes from results (names, descriptions, warnings, addresses) is
//! written through [`esc`]; result files can come from anywhere, and a report is opened
//! in a browser.

use std::fmt::Write;

use plotters::style::RGBColor;

use super::palette::hex;

/// `s` safe as HTML text and as a double- or single-quoted attribute value.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A small colour square matching the plots (decorative, hidden from screen readers).
pub fn swatch(c: RGBColor) -> String {
    format!(
        "<span class=\"sw\" style=\"background:{}\" aria-hidden=\"true\"></span>",
        hex(c)
    )
}

/// A table cell: `Text` is escaped, `Num` is right-aligned and already safe (numbers
/// this module formatted), `Html` is trusted markup this module built.
pub enum Cell {
    /// Text from results, escaped.
    Text(String),
    /// A formatted number, right-aligned.
    Num(String),
    /// Markup built here.
    Html(String),
}

/// A table with a header row of (escaped) `head` and the given rows. `class` is one of
/// the stylesheet's table classes.
pub fn table(class: &str, head: &[&str], rows: &[Vec<Cell>]) -> String {
    let mut out = format!("<table class=\"{class}\"><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            // Writing to a String cannot fail.
            let _ = match c {
                Cell::Text(t) => write!(out, "<td>{}</td>", esc(t)),
                Cell::Num(n) => write!(out, "<td class=\"n\">{n}</td>"),
                Cell::Html(h) => write!(out, "<td>{h}</td>"),
            };
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

/// A definition list of (term, value) pairs, both escaped.
pub fn facts(pairs: &[(&str, String)]) -> String {
    let mut out = String::from("<dl class=\"facts\">");
    for (k, v) in pairs {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(k), esc(v));
    }
    out.push_str("</dl>\n");
    out
}

/// A figure holding an inline SVG and its caption (escaped).
pub fn figure(svg: &str, caption: &str, class: &str) -> String {
    format!(
        "<figure class=\"{class}\">{svg}<figcaption>{}</figcaption></figure>\n",
        esc(caption)
    )
}

/// The whole stylesheet, inline so the report is one file that needs nothing else.
pub const CSS: &str = r#"
:root { color-scheme: light; }
body { margin: 0; background: #f6f6f4; color: #222; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e4e4e0; }
h3 { font-size: 17px; margin: 28px 0 8px; }
h4 { font-size: 14px; margin: 18px 0 6px; color: #444; }
p.meta, p.note { color: #555; margin: 4px 0; }
p.warn { color: #8a4b00; }
nav ul { margin: 6px 0; padding-left: 20px; columns: 3; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e6e6e6; text-align: left; vertical-align: top; }
th { background: #f1f1ee; font-weight: 600; white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.base td { background: #fbf8e8; }
table.wide { width: 100%; }
.sw { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0 12px; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
figure { margin: 10px 0 18px; }
figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #e6e6e6; }
figcaption { color: #555; font-size: 12.5px; margin-top: 4px; }
.pair { display: flex; flex-wrap: wrap; gap: 16px; }
.pair figure { flex: 1 1 480px; margin: 0 0 12px; }
ul.warnings li { margin: 2px 0; overflow-wrap: anywhere; }
section.config + section.config { border-top: 1px solid #e4e4e0; }
section.config { margin-top: 20px; }
footer { margin-top: 40px; color: #777; font-size: 12px; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esc_neutralises_markup() {
        assert_eq!(esc("<script>x</script>"), "&lt;script&gt;x&lt;/script&gt;");
        assert_eq!(esc("a\"b'c&"), "a&quot;b&#39;c&amp;");
    }

    #[test]
    fn table_escapes_text_cells_only() {
        let t = table(
            "x",
            &["<h>"],
            &[vec![Cell::Text("<b>".into()), Cell::Num("1.0".into())]],
        );
        assert!(t.contains("<th>&lt;h&gt;</th>"));
        assert!(t.contains("<td>&lt;b&gt;</td>"));
        assert!(t.contains("<td class=\"n\">1.0</td>"));
    }
}
