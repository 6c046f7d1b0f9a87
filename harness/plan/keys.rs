//! The keys that type a character on the US layout spicebench types with: the one place a
//! `type` step's text becomes key presses.

use crate::scenario::{key_named, Key};

/// The key and shift state that type `c` on a US layout, for printable ASCII, space, tab
/// and newline.
pub(super) fn key_for_char(c: char) -> Option<(Key, bool)> {
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
    use crate::scenario::is_typeable;

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
