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
    if let Some(c) = value.chars().find(|c| is_invisible_format(*c)) {
        return invalid(format!(
            "{field} contains the invisible character U+{:04X} (direction overrides, zero-width characters and byte-order marks can disguise text); remove it",
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

/// Unicode format characters that change how text displays without being seen:
/// bidirectional controls, zero-width characters, the byte-order mark, soft hyphen.
/// (The zero-width joiner stays allowed: emoji and some scripts need it.)
fn is_invisible_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x061C | 0x180E | 0x200B | 0x200C | 0x200E | 0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF)
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
