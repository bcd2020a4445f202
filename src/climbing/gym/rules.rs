//! Field rules of the gym records: dates, grades, texts, and what fits where.

use super::*;

// ---- dates ----------------------------------------------------------------------

pub use crate::climbing::dates::date_of_ms;

/// A day of the years gym dates may name.
pub(super) fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    crate::climbing::dates::parse(s).filter(|(y, _, _)| (1900..=2200).contains(y))
}

/// A calendar date, YYYY-MM-DD (years 1900 to 2200).
pub fn date(field: &str, value: &str) -> DomainResult<String> {
    let v = value.trim();
    match parse_date(v) {
        Some(_) => Ok(v.to_owned()),
        None => invalid(format!(
            "{field} \"{}\" is not a date: use YYYY-MM-DD, e.g. 2025-03-14",
            value.chars().take(40).collect::<String>()
        )),
    }
}

/// The months (YYYY-MM) from the month of `from` to the month of `to`, inclusive.
pub(super) fn months(from: &str, to: &str) -> Vec<String> {
    if parse_date(from).is_none() || parse_date(to).is_none() {
        return Vec::new();
    }
    crate::climbing::dates::months(from, to, MAX_STATS_MONTHS)
}

pub(super) use crate::climbing::dates::months_before;

// ---- field rules ----------------------------------------------------------------

pub(super) fn grade_text(value: &str) -> DomainResult<String> {
    let g = value.trim();
    if g.is_empty() || g.chars().count() > MAX_GRADE_CHARS || g.chars().any(char::is_control) {
        return invalid(format!(
            "grade \"{}\" is not a grade: use 1 to {MAX_GRADE_CHARS} characters such as V4, 6b+ or 5.11a",
            value.chars().take(40).collect::<String>()
        ));
    }
    Ok(g.to_owned())
}

pub(super) fn grade_system(value: &str) -> DomainResult<String> {
    let s = value.trim().to_ascii_lowercase();
    let ok = !s.is_empty()
        && s.len() <= MAX_GRADE_CHARS
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(s)
    } else {
        invalid(format!(
            "grade_system \"{}\" is not a grading system: use a short name of a-z, 0-9 and _, such as vscale, font, french or yds",
            value.chars().take(40).collect::<String>()
        ))
    }
}

pub(super) fn website(value: Option<String>) -> DomainResult<Option<String>> {
    let Some(url) = validate::optional_text("website", value, MAX_WEBSITE_CHARS)? else {
        return Ok(None);
    };
    let url = url.trim().to_owned();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        return invalid(format!(
            "website \"{}\" is not a web address: give a full http:// or https:// URL without spaces",
            url.chars().take(80).collect::<String>()
        ));
    }
    Ok(Some(url))
}

pub(super) fn short_text(field: &str, value: Option<String>) -> DomainResult<Option<String>> {
    Ok(
        validate::optional_text(field, value, validate::MAX_NAME_CHARS)?
            .map(|v| v.trim().to_owned()),
    )
}

pub(super) fn notes(value: Option<String>) -> DomainResult<Option<String>> {
    validate::optional_text("notes", value, validate::MAX_TEXT_CHARS)
}

pub(super) fn angle_degrees(value: Option<f64>) -> DomainResult<Option<f64>> {
    match value {
        Some(d) if !(-90.0..=90.0).contains(&d) => invalid(format!(
            "angle_degrees {d} is out of range: give degrees past vertical, -90 (flat slab) to 90 (roof), 0 for vertical"
        )),
        v => Ok(v),
    }
}

pub(super) fn height(value: Option<f64>) -> DomainResult<Option<f64>> {
    match value {
        Some(h) if !(h > 0.0 && h <= 100.0) => invalid(format!(
            "height_m {h} is out of range: give the wall's height in metres, more than 0 and at most 100"
        )),
        v => Ok(v),
    }
}

pub(super) fn check_dates(set_on: &str, strip_on: Option<&str>) -> DomainResult<()> {
    if let Some(strip) = strip_on {
        if strip < set_on {
            return invalid(format!(
                "strip_on {strip} is before set_on {set_on}: a route is stripped on or after the day it is set; give a later strip_on"
            ));
        }
    }
    Ok(())
}

pub(super) fn check_discipline(wall: &Wall, discipline: GymDiscipline) -> DomainResult<()> {
    let boulder = discipline == GymDiscipline::Boulder;
    if boulder != wall.kind.holds_boulders() {
        let fits = if wall.kind.holds_boulders() {
            "boulder"
        } else {
            "lead, top_rope or auto_belay"
        };
        let walls = if boulder {
            "a boulder or training wall"
        } else {
            "a lead, top_rope or auto_belay wall"
        };
        return invalid(format!(
            "a {} route cannot go on wall \"{}\" ({}), which holds {fits} routes; put it on {walls} of the venue",
            discipline.as_str(),
            wall.name,
            wall.kind.as_str()
        ));
    }
    Ok(())
}

pub(super) fn check_transition(route: &GymRoute, to: RouteStatus) -> DomainResult<()> {
    use RouteStatus::*;
    match (route.status, to) {
        (a, b) if a == b => Ok(()),
        (Set, Closed) | (Closed, Set) | (Set | Closed, Stripped) => Ok(()),
        (Stripped, _) => invalid(format!(
            "{} was stripped{}; stripped is final. If it was put back up, create a new route",
            route.label(),
            route
                .stripped_on
                .as_deref()
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        )),
        (from, to) => invalid(format!(
            "{} cannot go from {} to {}: the statuses go set <-> closed, and set or closed -> stripped",
            route.label(),
            from.as_str(),
            to.as_str()
        )),
    }
}

pub(super) fn dedup(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}
