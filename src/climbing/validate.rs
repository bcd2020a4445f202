//! Argument rules shared by every entity: lengths, ranges, ids.

use super::{invalid, DomainResult, LatLng};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_TEXT_CHARS: usize = 10_000;
pub const MAX_ID_CHARS: usize = 64;
pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 200;

/// A required name: trimmed, 1 to 200 characters with at least one letter or
/// digit, no control or invisible formatting characters.
pub fn name(field: &str, value: &str) -> DomainResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return invalid(format!("{field} must not be empty"));
    }
    text(field, trimmed, MAX_NAME_CHARS)?;
    if !trimmed.chars().any(char::is_alphanumeric) {
        return invalid(format!("{field} needs at least one letter or digit"));
    }
    Ok(trimmed.to_owned())
}

/// A name that may be left out (in updates), checked like [`name`] when given.
pub fn optional_name(field: &str, value: Option<&str>) -> DomainResult<Option<String>> {
    value.map(|v| name(field, v)).transpose()
}

/// Optional free text up to `max` characters; empty becomes `None`.
pub fn optional_text(
    field: &str,
    value: Option<String>,
    max: usize,
) -> DomainResult<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => {
            text(field, &v, max)?;
            Ok(Some(v))
        }
        _ => Ok(None),
    }
}

fn text(field: &str, value: &str, max: usize) -> DomainResult<()> {
    let chars = value.chars().count();
    if chars > max {
        return invalid(format!(
            "{field} is {chars} characters long; the limit is {max}"
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return invalid(format!("{field} contains control characters; remove them"));
    }
    if let Some(c) = first_invisible(value) {
        return invalid(format!(
            "{field} contains the invisible character U+{:04X} (format characters, tag characters, variation selectors, fillers and line separators can hide or disguise text); remove it",
            c as u32
        ));
    }
    let mut run = 0;
    for c in value.chars() {
        run = if is_combining_mark(c) { run + 1 } else { 0 };
        if run > MAX_COMBINING_RUN {
            return invalid(format!(
                "{field} stacks more than {MAX_COMBINING_RUN} combining marks on one character; remove them"
            ));
        }
    }
    Ok(())
}

/// Most combining marks on one base character (real scripts need a few).
const MAX_COMBINING_RUN: usize = 4;

/// Whether `c` is a character that shows nothing or changes how the text around
/// it shows: every format character (general category Cf: bidirectional
/// controls, zero-width characters, tag characters U+E0000.., interlinear
/// annotations U+FFF9..U+FFFB, musical beam controls U+1D173..), line and
/// paragraph separators (Zl, Zp), private-use characters, and the Unicode
/// Default_Ignorable_Code_Point set (variation selectors, the combining grapheme
/// joiner, Hangul fillers, Mongolian selectors, ...), from DerivedCoreProperties.txt.
pub fn is_invisible(c: char) -> bool {
    // No ASCII character is one (its controls are Cc); most text is ASCII.
    !c.is_ascii() && (is_format_separator_or_private(c) || is_default_ignorable(c))
}

/// General categories Cf, Zl, Zp and Co (Unicode 18): the 24 ranges of them in
/// unicode-properties' category table, which is 2,700 rows (32 KB of the
/// component) for these few; `format_separator_and_private_ranges_match_unicode`
/// checks them against that table for every code point.
fn is_format_separator_or_private(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xE000..=0xF8FF | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F
        | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

/// Default_Ignorable_Code_Point (Unicode 16, DerivedCoreProperties.txt); the
/// property is stable, so the list only ever grows inside reserved blocks.
fn is_default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

const ZWJ: char = '\u{200D}';
const EMOJI_PRESENTATION: char = '\u{FE0F}';
const TEXT_PRESENTATION: char = '\u{FE0E}';

fn is_pictograph(c: char) -> bool {
    use unicode_properties::UnicodeEmoji;
    // Digits, '#' and '*' are emoji characters too (keycaps); they take no joiner.
    c.is_emoji_char() && !c.is_ascii()
}

/// The first invisible character of `value` that is not part of an emoji
/// sequence. Emoji need two of them: a presentation selector (U+FE0E, U+FE0F)
/// right after a pictograph, and the zero-width joiner between two pictographs
/// ("👩‍🔬", "🏳️‍🌈"). Anywhere else they are refused like the rest.
fn first_invisible(value: &str) -> Option<char> {
    let chars: Vec<char> = value.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !is_invisible(c) {
            continue;
        }
        let before = i.checked_sub(1).map(|j| chars[j]);
        let allowed = match c {
            EMOJI_PRESENTATION | TEXT_PRESENTATION => before.is_some_and(is_pictograph),
            ZWJ => {
                // The pictograph before may carry its presentation selector.
                let base = match before {
                    Some(EMOJI_PRESENTATION) => i.checked_sub(2).map(|j| chars[j]),
                    other => other,
                };
                base.is_some_and(is_pictograph)
                    && chars.get(i + 1).is_some_and(|&n| is_pictograph(n))
            }
            _ => false,
        };
        if !allowed {
            return Some(c);
        }
    }
    None
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// An id as the server issues them: 1 to 64 URL-safe characters.
pub fn id(field: &str, value: &str) -> DomainResult<()> {
    let ok = !value.is_empty()
        && value.len() <= MAX_ID_CHARS
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        invalid(format!(
            "{field} \"{}\" is not an id: ids are 1 to {MAX_ID_CHARS} characters of A-Z, a-z, 0-9, - and _, as returned by the create and list tools",
            value.chars().take(80).collect::<String>()
        ))
    }
}

pub fn location(field: &str, value: Option<LatLng>) -> DomainResult<Option<LatLng>> {
    if let Some(p) = value {
        if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lng) {
            return invalid(format!(
                "{field} ({}, {}) is off the map: lat must be within -90..90 and lng within -180..180",
                p.lat, p.lng
            ));
        }
    }
    Ok(value)
}

/// A page size: default 50, 1 to 200.
pub fn page_size(limit: Option<u32>) -> DomainResult<usize> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE as u32).contains(&n) => Ok(n as usize),
        Some(n) => invalid(format!("limit {n} is out of range: use 1 to {MAX_PAGE}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_separator_and_private_ranges_match_unicode() {
        use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
        for c in (0x80..=0x10FFFF).filter_map(char::from_u32) {
            let category = c.general_category();
            let listed = matches!(
                category,
                G::Format | G::LineSeparator | G::ParagraphSeparator | G::PrivateUse
            );
            assert_eq!(
                is_format_separator_or_private(c),
                listed,
                "U+{:04X} is {category:?}",
                c as u32
            );
        }
    }

    #[test]
    fn invisible_characters_are_found_beyond_ascii_only() {
        assert!((0..128u8).all(|b| !is_invisible(b as char)));
        for c in [
            '\u{AD}',
            '\u{200B}',
            '\u{202E}',
            '\u{2028}',
            '\u{2029}',
            '\u{E000}',
            '\u{FE0F}',
            '\u{E0041}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
        }
        assert!(!is_invisible('é') && !is_invisible('🧗'));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  Smith Rock ").unwrap(), "Smith Rock");
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"x".repeat(201)).is_err());
        assert!(name("name", "a\u{0}b").is_err());
        assert!(name("name", "\u{202e}kcor").is_err());
        assert!(name("name", "\u{200b}\u{200b}").is_err());
        assert!(name("name", "\u{200d}").is_err());
        assert!(name("name", "\u{feff}x").is_err());
        assert!(name("name", &format!("a{}", "\u{301}".repeat(5))).is_err());
        assert_eq!(name("name", "Ceu\u{308}se").unwrap(), "Ceu\u{308}se");
        assert!(name("name", "Škrlatica ⛰").is_ok());
    }

    #[test]
    fn invisible_characters_are_refused_outside_emoji_sequences() {
        for c in [
            '\u{E0041}',
            '\u{E0001}',
            '\u{E007F}',
            '\u{FE00}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{115F}',
            '\u{1160}',
            '\u{3164}',
            '\u{FFA0}',
            '\u{2028}',
            '\u{2029}',
            '\u{034F}',
            '\u{FFF9}',
            '\u{FFFA}',
            '\u{FFFB}',
            '\u{1D173}',
            '\u{1D17A}',
            '\u{180B}',
            '\u{180F}',
            '\u{2061}',
            '\u{206A}',
            '\u{200D}',
            '\u{E000}',
            '\u{F0000}',
            '\u{110BD}',
            '\u{13430}',
            '\u{1BCA0}',
        ] {
            let text = format!("Smith{c}Rock");
            assert!(name("name", &text).is_err(), "U+{:04X} accepted", c as u32);
            assert!(optional_text("d", Some(text), 100).is_err());
        }
        // Emoji sequences keep their joiners and presentation selectors.
        for ok in [
            "Crag 👩\u{200D}🔬",
            "Pride 🏳\u{FE0F}\u{200D}🌈",
            "Heart ❤\u{FE0F}",
            "Mtn ⛰",
        ] {
            assert!(name("name", ok).is_ok(), "{ok:?}");
        }
        // ...but only there.
        for bad in [
            "a\u{200D}b",
            "👩\u{200D}",
            "\u{200D}🔬 x",
            "x\u{FE0F}",
            "👩\u{200D}\u{200D}🔬",
        ] {
            assert!(name("name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_and_locations() {
        assert!(id("id", "abc_DEF-123").is_ok());
        assert!(id("id", "a/b").is_err());
        assert!(id("id", "").is_err());
        assert!(location(
            "location",
            Some(LatLng {
                lat: 91.0,
                lng: 0.0
            })
        )
        .is_err());
        assert!(page_size(Some(0)).is_err());
        assert_eq!(page_size(None).unwrap(), 50);
    }
}
