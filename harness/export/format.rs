//! Stable number formatting shared by every exporter.
//!
//! Reports are diffed and snapshot-tested, so every number is printed with a fixed
//! number of decimals, never with `{}` (whose shortest-round-trip output changes with the
//! value's binary representation). Non-finite values, which JSON cannot carry but a
//! result built in code can, print as "absent" instead of `NaN`/`inf`.

/// `v` with exactly `decimals` decimals, or `None` when it is not finite.
///
/// A value that rounds to zero loses its sign, so `-0.0001` prints as `0.000`, not
/// `-0.000`, which would look like a different number in a diff.
pub fn fixed(v: f64, decimals: usize) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        Some(s[1..].to_string())
    } else {
        Some(s)
    }
}

/// [`fixed`] of an optional value, with `absent` for a missing or non-finite one.
pub fn fixed_or(v: Option<f64>, decimals: usize, absent: &str) -> String {
    v.and_then(|v| fixed(v, decimals))
        .unwrap_or_else(|| absent.to_string())
}

/// An integer with thin groups of three digits (`8 997 257`), for tables people read.
///
/// Uses a narrow no-break space so a number never wraps inside an HTML table cell.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// A byte count in the largest binary unit that keeps it at or above 1 (`8.58 MiB`).
pub fn bytes_human(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[unit])
    }
}

/// A signed difference with an explicit `+` (`+3.1`, `-0.4`, `+0.0`).
pub fn signed(v: f64, decimals: usize) -> Option<String> {
    let s = fixed(v, decimals)?;
    Some(if s.starts_with('-') {
        s
    } else {
        format!("+{s}")
    })
}

/// Axis tick text: as few decimals as the tick spacing needs, so ticks 0.0005 apart
/// do not all print as `0.00` and ticks 50 apart do not print as `50.000`.
pub fn tick(v: f64, span: f64, ticks: usize) -> String {
    let step = if span.is_finite() && span > 0.0 {
        span / ticks.max(1) as f64
    } else {
        1.0
    };
    // One decimal more than the step's leading digit needs, at most 6.
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    fixed(v, decimals).unwrap_or_default()
}

/// Shortens `s` to at most `max` characters with a middle ellipsis, keeping both ends:
/// configuration names differ at the end (`-r2`) as often as at the start.
pub fn abbreviate(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max || max < 3 {
        return s.to_string();
    }
    let keep = max - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(n - tail));
    out
}

/// A configuration (or channel) name as shown to people: `(unnamed)` for an empty one,
/// so a link or a legend row is never blank.
pub fn shown(name: &str) -> &str {
    if name.trim().is_empty() {
        "(unnamed)"
    } else {
        name
    }
}

/// Compression and how it was asked for, e.g. `auto_glz (server-setting)`; without
/// the parenthesis when the mechanism is unknown.
pub fn compression(what: &str, how: &str) -> String {
    let what = if what.is_empty() { "—" } else { what };
    if how.is_empty() {
        what.to_string()
    } else {
        format!("{what} ({how})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_is_stable_and_hides_negative_zero() {
        assert_eq!(fixed(0.953039, 3).as_deref(), Some("0.953"));
        assert_eq!(fixed(-0.0001, 3).as_deref(), Some("0.000"));
        assert_eq!(fixed(-1.5, 1).as_deref(), Some("-1.5"));
        assert_eq!(fixed(f64::NAN, 2), None);
        assert_eq!(fixed_or(None, 2, "—"), "—");
        assert_eq!(fixed_or(Some(f64::INFINITY), 2, ""), "");
    }

    #[test]
    fn grouped_and_human_bytes() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(8_997_257), "8\u{202f}997\u{202f}257");
        assert_eq!(bytes_human(512), "512 B");
        assert_eq!(bytes_human(8_997_257), "8.58 MiB");
        assert_eq!(bytes_human(u64::MAX), "16777216.00 TiB");
    }

    #[test]
    fn signed_and_ticks() {
        assert_eq!(signed(3.12, 1).as_deref(), Some("+3.1"));
        assert_eq!(signed(-0.44, 1).as_deref(), Some("-0.4"));
        assert_eq!(signed(-0.01, 1).as_deref(), Some("+0.0"));
        assert_eq!(tick(0.0015, 0.003, 6), "0.0015");
        assert_eq!(tick(50.0, 300.0, 6), "50");
        assert_eq!(tick(2.5, 3.0, 6), "2.5");
        assert_eq!(tick(1.0, f64::NAN, 6), "1");
    }

    #[test]
    fn abbreviate_keeps_both_ends() {
        assert_eq!(abbreviate("auto_glz", 10), "auto_glz");
        assert_eq!(
            abbreviate("a_very_long_configuration-r2", 11),
            "a_ver…on-r2"
        );
        assert_eq!(
            abbreviate("a_very_long_configuration-r2", 11)
                .chars()
                .count(),
            11
        );
        assert_eq!(abbreviate("ééééééééé", 5), "éé…éé");
        assert_eq!(shown(" "), "(unnamed)");
        assert_eq!(shown("off"), "off");
        assert_eq!(compression("glz", "server-setting"), "glz (server-setting)");
        assert_eq!(compression("", ""), "—");
    }
}
