//! Look-alike names: identifiers that are different strings but look the
//! same on screen and on paper, such as `placebo` in Latin letters and
//! `plаcebo` with a Cyrillic `а`.
//!
//! A spec may use any letters in its names, so two arms (or outcomes) can be
//! told apart by the compiler and not by the pharmacist reading the protocol,
//! and a name pasted from elsewhere may never match the one typed in a rule.
//! The [`skeleton`] of a name replaces every letter on an explicit list of
//! look-alikes by the Latin letter it imitates (the idea of the "skeleton" of
//! Unicode Technical Standard #39, with a short table of the common cases
//! instead of the full one): two names with the same skeleton look alike.
//!
//! The table covers Cyrillic and Greek letters that are drawn like Latin
//! ones, fullwidth Latin letters and digits, and the Latin letters `ı`, `ɑ`
//! and `ɡ`. It does not normalise accents (`é` written as one character or
//! as `e` and a combining accent).

/// Each look-alike and the ASCII character it is drawn like.
const LOOK_ALIKES: &[(char, char)] = &[
    // Cyrillic, lower case.
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('у', 'y'),
    ('х', 'x'),
    ('і', 'i'),
    ('ј', 'j'),
    ('ѕ', 's'),
    ('һ', 'h'),
    ('ԁ', 'd'),
    ('ԛ', 'q'),
    ('ԝ', 'w'),
    ('ӏ', 'l'),
    // Cyrillic, upper case.
    ('А', 'A'),
    ('В', 'B'),
    ('Е', 'E'),
    ('К', 'K'),
    ('М', 'M'),
    ('Н', 'H'),
    ('О', 'O'),
    ('Р', 'P'),
    ('С', 'C'),
    ('Т', 'T'),
    ('Х', 'X'),
    ('У', 'Y'),
    ('Ү', 'Y'),
    ('І', 'I'),
    ('Ӏ', 'I'),
    ('Ј', 'J'),
    ('Ѕ', 'S'),
    ('Ԛ', 'Q'),
    ('Ԝ', 'W'),
    // Greek, lower case.
    ('α', 'a'),
    ('ο', 'o'),
    ('ν', 'v'),
    ('ρ', 'p'),
    ('ι', 'i'),
    ('κ', 'k'),
    ('υ', 'u'),
    ('χ', 'x'),
    ('ϳ', 'j'),
    // Greek, upper case.
    ('Α', 'A'),
    ('Β', 'B'),
    ('Ε', 'E'),
    ('Ζ', 'Z'),
    ('Η', 'H'),
    ('Ι', 'I'),
    ('Κ', 'K'),
    ('Μ', 'M'),
    ('Ν', 'N'),
    ('Ο', 'O'),
    ('Ρ', 'P'),
    ('Τ', 'T'),
    ('Υ', 'Y'),
    ('Χ', 'X'),
    // Latin letters drawn like other Latin letters.
    ('ı', 'i'),
    ('ɑ', 'a'),
    ('ɡ', 'g'),
];

/// The ASCII character `c` is drawn like, if it is a look-alike.
fn look_alike_of(c: char) -> Option<char> {
    match c {
        // Fullwidth digits, letters and low line sit 0xFEE0 above ASCII.
        '\u{FF10}'..='\u{FF19}'
        | '\u{FF21}'..='\u{FF3A}'
        | '\u{FF3F}'
        | '\u{FF41}'..='\u{FF5A}' => char::from_u32(c as u32 - 0xFEE0),
        _ => LOOK_ALIKES
            .iter()
            .find(|(alike, _)| *alike == c)
            .map(|(_, ascii)| *ascii),
    }
}

/// `name` with every look-alike replaced by the character it imitates.
pub fn skeleton(name: &str) -> String {
    name.chars()
        .map(|c| look_alike_of(c).unwrap_or(c))
        .collect()
}

/// Two different names that look the same.
pub fn look_alike(a: &str, b: &str) -> bool {
    a != b && skeleton(a) == skeleton(b)
}

/// A character for a reader: its script when it matters, the character and
/// its code point, e.g. "Cyrillic `а` (U+0430)".
pub fn describe(c: char) -> String {
    let script = match c as u32 {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F => "Latin ",
        0x370..=0x3FF | 0x1F00..=0x1FFF => "Greek ",
        0x400..=0x52F => "Cyrillic ",
        0xFF00..=0xFFEF => "fullwidth ",
        _ => "",
    };
    format!("{script}`{c}` (U+{:04X})", c as u32)
}

/// Where two look-alike names first differ, for a reader: "`plаcebo` has
/// Cyrillic `а` (U+0430) where `placebo` has Latin `a` (U+0061)".
pub fn first_difference(a: &str, b: &str) -> Option<String> {
    a.chars()
        .zip(b.chars())
        .find(|(x, y)| x != y)
        .map(|(x, y)| format!("`{a}` has {} where `{b}` has {}", describe(x), describe(y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_and_greek_letters_look_latin() {
        // "plаcebo" with U+0430, "ρlacebo" with Greek rho.
        assert!(look_alike("placebo", "pl\u{430}cebo"));
        assert!(look_alike("placebo", "\u{3C1}lacebo"));
        assert!(look_alike("pl\u{430}cebo", "\u{3C1}lacebo"));
        assert!(look_alike("PAIN", "\u{420}\u{410}IN"));
        assert!(look_alike("dose_1", "dose\u{FF3F}\u{FF11}"));
        assert_eq!(skeleton("\u{441}\u{43E}\u{440}\u{435}"), "cope");
    }

    #[test]
    fn different_names_stay_different() {
        assert!(
            !look_alike("placebo", "placebo"),
            "the same name is not a look-alike"
        );
        assert!(!look_alike("placebo", "Placebo"));
        assert!(!look_alike("dose_1", "dose_2"));
        // A Cyrillic word that does not look like a Latin one.
        assert!(!look_alike("плацебо", "placebo"));
        // Accents are not normalised.
        assert!(!look_alike("cafe", "caf\u{E9}"));
    }

    #[test]
    fn the_table_maps_to_ascii_and_has_no_repeats() {
        let mut seen = std::collections::HashSet::new();
        for &(alike, ascii) in LOOK_ALIKES {
            assert!(!alike.is_ascii(), "{alike}");
            assert!(ascii.is_ascii_alphanumeric(), "{ascii}");
            assert!(seen.insert(alike), "{alike} twice");
        }
        assert_eq!(look_alike_of('\u{FF41}'), Some('a'));
        assert_eq!(look_alike_of('\u{FF3A}'), Some('Z'));
        assert_eq!(look_alike_of('\u{FF10}'), Some('0'));
    }

    #[test]
    fn the_difference_is_named() {
        assert_eq!(
            first_difference("pl\u{430}cebo", "placebo").as_deref(),
            Some("`pl\u{430}cebo` has Cyrillic `\u{430}` (U+0430) where `placebo` has Latin `a` (U+0061)")
        );
    }
}
