//! The US keyboard spicebench presses: key names, PC/XT set-1 scancodes (what SPICE's
//! KEY_DOWN/KEY_UP carry, `shared/spice-protocol.md` §5.2), X keycodes (what XTest presses on
//! the viewer's own X display, whose evdev keymap numbers keys as Linux input codes + 8), and
//! the keys that type each character. Scenarios name keys by these names (`key` steps) and
//! the input plan types text with them.

/// One physical key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// Set-1 scancode; `0x100 |` for keys sent with the `E0` prefix.
    pub scancode: u16,
    /// X keycode under the evdev keymap (Xvfb's default).
    pub x_keycode: u8,
}

impl Key {
    /// A key without the `E0` prefix: its evdev code equals its set-1 scancode.
    const fn plain(scancode: u8) -> Self {
        Self {
            scancode: scancode as u16,
            x_keycode: scancode + 8,
        }
    }

    /// A key sent as `E0 scancode`, with its own evdev code.
    const fn extended(scancode: u8, evdev: u8) -> Self {
        Self {
            scancode: 0x100 | scancode as u16,
            x_keycode: evdev + 8,
        }
    }

    /// The KEY_DOWN code: the set-1 bytes little-endian in a u32.
    pub fn down_code(self) -> u32 {
        let low = u32::from(self.scancode & 0xff);
        if self.scancode & 0x100 != 0 {
            0xe0 | (low << 8)
        } else {
            low
        }
    }

    /// The KEY_UP code: the same bytes with the break bit (0x80) on the scancode.
    pub fn up_code(self) -> u32 {
        let low = u32::from(self.scancode & 0xff) | 0x80;
        if self.scancode & 0x100 != 0 {
            0xe0 | (low << 8)
        } else {
            low
        }
    }
}

/// Left Shift, held for upper-case and shifted characters.
pub const SHIFT: Key = Key::plain(0x2a);

/// Named keys (lower case), letters and digits included.
const NAMED: &[(&str, Key)] = &[
    ("escape", Key::plain(0x01)),
    ("1", Key::plain(0x02)),
    ("2", Key::plain(0x03)),
    ("3", Key::plain(0x04)),
    ("4", Key::plain(0x05)),
    ("5", Key::plain(0x06)),
    ("6", Key::plain(0x07)),
    ("7", Key::plain(0x08)),
    ("8", Key::plain(0x09)),
    ("9", Key::plain(0x0a)),
    ("0", Key::plain(0x0b)),
    ("minus", Key::plain(0x0c)),
    ("equal", Key::plain(0x0d)),
    ("backspace", Key::plain(0x0e)),
    ("tab", Key::plain(0x0f)),
    ("q", Key::plain(0x10)),
    ("w", Key::plain(0x11)),
    ("e", Key::plain(0x12)),
    ("r", Key::plain(0x13)),
    ("t", Key::plain(0x14)),
    ("y", Key::plain(0x15)),
    ("u", Key::plain(0x16)),
    ("i", Key::plain(0x17)),
    ("o", Key::plain(0x18)),
    ("p", Key::plain(0x19)),
    ("bracketleft", Key::plain(0x1a)),
    ("bracketright", Key::plain(0x1b)),
    ("enter", Key::plain(0x1c)),
    ("ctrl", Key::plain(0x1d)),
    ("a", Key::plain(0x1e)),
    ("s", Key::plain(0x1f)),
    ("d", Key::plain(0x20)),
    ("f", Key::plain(0x21)),
    ("g", Key::plain(0x22)),
    ("h", Key::plain(0x23)),
    ("j", Key::plain(0x24)),
    ("k", Key::plain(0x25)),
    ("l", Key::plain(0x26)),
    ("semicolon", Key::plain(0x27)),
    ("apostrophe", Key::plain(0x28)),
    ("grave", Key::plain(0x29)),
    ("shift", SHIFT),
    ("backslash", Key::plain(0x2b)),
    ("z", Key::plain(0x2c)),
    ("x", Key::plain(0x2d)),
    ("c", Key::plain(0x2e)),
    ("v", Key::plain(0x2f)),
    ("b", Key::plain(0x30)),
    ("n", Key::plain(0x31)),
    ("m", Key::plain(0x32)),
    ("comma", Key::plain(0x33)),
    ("period", Key::plain(0x34)),
    ("slash", Key::plain(0x35)),
    ("alt", Key::plain(0x38)),
    ("space", Key::plain(0x39)),
    ("f1", Key::plain(0x3b)),
    ("f2", Key::plain(0x3c)),
    ("f3", Key::plain(0x3d)),
    ("f4", Key::plain(0x3e)),
    ("f5", Key::plain(0x3f)),
    ("f6", Key::plain(0x40)),
    ("f7", Key::plain(0x41)),
    ("f8", Key::plain(0x42)),
    ("f9", Key::plain(0x43)),
    ("f10", Key::plain(0x44)),
    ("f11", Key::plain(0x57)),
    ("f12", Key::plain(0x58)),
    ("home", Key::extended(0x47, 102)),
    ("up", Key::extended(0x48, 103)),
    ("pageup", Key::extended(0x49, 104)),
    ("left", Key::extended(0x4b, 105)),
    ("right", Key::extended(0x4d, 106)),
    ("end", Key::extended(0x4f, 107)),
    ("down", Key::extended(0x50, 108)),
    ("pagedown", Key::extended(0x51, 109)),
    ("insert", Key::extended(0x52, 110)),
    ("delete", Key::extended(0x53, 111)),
];

/// The key called `name` (case-insensitive; `esc`, `return` and `control` are accepted too).
pub fn key_named(name: &str) -> Option<Key> {
    let lower = name.to_ascii_lowercase();
    let canonical = match lower.as_str() {
        "esc" => "escape",
        "return" => "enter",
        "control" => "ctrl",
        other => other,
    };
    NAMED.iter().find(|(n, _)| *n == canonical).map(|(_, k)| *k)
}

/// Every key name, for error messages.
pub fn key_names() -> Vec<&'static str> {
    NAMED.iter().map(|(n, _)| *n).collect()
}

/// Whether `c` can be typed: printable ASCII, tab and newline, the characters of the US
/// layout spicebench types with ([`key_for_char`] covers exactly these).
pub fn is_typeable(c: char) -> bool {
    matches!(c, ' '..='~' | '\t' | '\n')
}

/// The key and shift state that type `c` on a US layout, for printable ASCII, space, tab
/// and newline.
pub fn key_for_char(c: char) -> Option<(Key, bool)> {
    const SHIFTED: &[(char, &str)] = &[
        ('!', "1"),
        ('@', "2"),
        ('#', "3"),
        ('$', "4"),
        ('%', "5"),
        ('^', "6"),
        ('&', "7"),
        ('*', "8"),
        ('(', "9"),
        (')', "0"),
        ('_', "minus"),
        ('+', "equal"),
        ('{', "bracketleft"),
        ('}', "bracketright"),
        (':', "semicolon"),
        ('"', "apostrophe"),
        ('~', "grave"),
        ('|', "backslash"),
        ('<', "comma"),
        ('>', "period"),
        ('?', "slash"),
    ];
    const PLAIN: &[(char, &str)] = &[
        (' ', "space"),
        ('\n', "enter"),
        ('\t', "tab"),
        ('-', "minus"),
        ('=', "equal"),
        ('[', "bracketleft"),
        (']', "bracketright"),
        (';', "semicolon"),
        ('\'', "apostrophe"),
        ('`', "grave"),
        ('\\', "backslash"),
        (',', "comma"),
        ('.', "period"),
        ('/', "slash"),
    ];
    if c.is_ascii_lowercase() || c.is_ascii_digit() {
        return key_named(c.encode_utf8(&mut [0; 4])).map(|k| (k, false));
    }
    if c.is_ascii_uppercase() {
        return key_named(&c.to_ascii_lowercase().to_string()).map(|k| (k, true));
    }
    if let Some((_, name)) = PLAIN.iter().find(|(p, _)| *p == c) {
        return key_named(name).map(|k| (k, false));
    }
    SHIFTED
        .iter()
        .find(|(p, _)| *p == c)
        .and_then(|(_, name)| key_named(name))
        .map(|k| (k, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_set_one_and_the_evdev_keymap() {
        // 'a' is 0x1e; its break code sets 0x80 (spice-gtk spice_make_scancode).
        let a = key_named("A").unwrap();
        assert_eq!((a.down_code(), a.up_code(), a.x_keycode), (0x1e, 0x9e, 38));
        // Up arrow: E0 48 / E0 C8, X keycode 111 under evdev.
        let up = key_named("up").unwrap();
        assert_eq!(
            (up.down_code(), up.up_code(), up.x_keycode),
            (0x48e0, 0xc8e0, 111)
        );
        assert_eq!(key_named("Return"), key_named("enter"));
        assert_eq!(key_named("enter").unwrap().x_keycode, 36);
        assert_eq!(key_named("nope"), None);
    }

    #[test]
    fn characters_map_to_keys_and_shift() {
        assert_eq!(key_for_char('a'), Some((key_named("a").unwrap(), false)));
        assert_eq!(key_for_char('Q'), Some((key_named("q").unwrap(), true)));
        assert_eq!(key_for_char('?'), Some((key_named("slash").unwrap(), true)));
        assert_eq!(
            key_for_char(' '),
            Some((key_named("space").unwrap(), false))
        );
        assert_eq!(key_for_char('é'), None);
        // Exactly the characters a scenario accepts in a `type` step have keys.
        for c in (0..0x11_0000).filter_map(char::from_u32) {
            assert_eq!(key_for_char(c).is_some(), is_typeable(c), "{c:?}");
        }
    }
}
