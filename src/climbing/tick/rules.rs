//! What a tick may say: its date, stars and notes, and the style that fits what
//! was climbed.

use super::*;

// ---- dates -------------------------------------------------------------------------

pub use crate::climbing::dates::date_of;
use crate::climbing::dates::{days_in_month, has_date_shape};

/// A tick date: a real YYYY-MM-DD day from 1900 on, at most one day after today
/// (UTC), since a climber east of UTC may already be living tomorrow.
pub fn check_date(field: &str, value: &str, now_ms: u64) -> DomainResult<String> {
    let v = value.trim();
    let shown: String = v.chars().take(40).collect();
    let shape = has_date_shape(v);
    if !shape {
        return invalid(format!(
            "{field} \"{shown}\" is not a date: write it as YYYY-MM-DD, e.g. {}",
            date_of(now_ms, 0)
        ));
    }
    let year: i64 = v[..4].parse().unwrap_or(0);
    let month: u32 = v[5..7].parse().unwrap_or(0);
    let day: u32 = v[8..].parse().unwrap_or(0);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return invalid(format!(
            "{field} \"{shown}\" is not a day of the calendar: check the month (01-12) and the day of the month"
        ));
    }
    if year < 1900 {
        return invalid(format!(
            "{field} \"{shown}\" is before 1900: give the day of the ascent"
        ));
    }
    let latest = date_of(now_ms, 1);
    if v > latest.as_str() {
        return invalid(format!(
            "{field} {v} is in the future: log ticks on or before today ({}, UTC)",
            date_of(now_ms, 0)
        ));
    }
    Ok(v.to_owned())
}

pub(super) fn check_stars(stars: Option<u8>) -> DomainResult<()> {
    match stars {
        Some(s) if s > 4 => invalid(format!("stars {s} is out of range: rate from 0 to 4")),
        _ => Ok(()),
    }
}

pub(super) fn check_notes(notes: Option<String>) -> DomainResult<Option<String>> {
    validate::optional_text("notes", notes, MAX_NOTES_CHARS)
}

// ---- what was climbed ----------------------------------------------------------------

/// The climb or gym route a tick is for, as read when checking it.
pub(super) enum Target {
    Climb(Climb),
    Gym(GymRoute),
}

impl Target {
    /// Whether it is a boulder problem, a roped route, or could be either.
    pub(super) fn boulder(&self) -> Option<bool> {
        match self {
            Target::Climb(c) => {
                let boulder = c.disciplines.contains(&Discipline::Boulder);
                let roped = c.disciplines.iter().any(|d| *d != Discipline::Boulder);
                match (boulder, roped) {
                    (true, false) => Some(true),
                    (false, true) => Some(false),
                    _ => None,
                }
            }
            Target::Gym(r) => Some(r.discipline == GymDiscipline::Boulder),
        }
    }

    pub(super) fn name(&self) -> Option<String> {
        match self {
            Target::Climb(c) => Some(c.name.clone()),
            Target::Gym(r) => r.name.clone(),
        }
    }

    /// The grade to keep with the tick: the first readable grade of the style's
    /// discipline, else the first readable grade.
    pub(super) fn grade(&self, style: TickStyle) -> Option<Grade> {
        let all: Vec<Grade> = match self {
            Target::Climb(c) => c.grades.parsed(),
            Target::Gym(r) => GradeSystem::parse_name(&r.grade_system)
                .and_then(|s| grades::parse(s, &r.grade).ok())
                .into_iter()
                .collect(),
        };
        all.iter()
            .find(|g| g.system.discipline() == style.kind())
            .or(all.first())
            .cloned()
    }

    pub(super) fn check_style(&self, style: TickStyle) -> DomainResult<()> {
        let what = match self {
            Target::Climb(_) => "climb",
            Target::Gym(_) => "gym route",
        };
        match self.boulder() {
            Some(true) if style != TickStyle::Boulder => invalid(format!(
                "this {what} is a boulder problem: log it with style boulder"
            )),
            Some(false) if style == TickStyle::Boulder => invalid(format!(
                "this {what} is not a boulder problem: log it with style lead, follow, top_rope, solo or aid"
            )),
            _ => Ok(()),
        }
    }
}

pub(super) fn not_yours(id: &str) -> DomainError {
    DomainError::Invalid(format!(
        "no tick with id \"{id}\" in your logbook: ticks can be read and changed only by the climber who logged them; list_ticks shows yours"
    ))
}
