//! The logbook: ticks and their statistics.
//!
//! A tick (`x/<id>`) records that a climber (the subject of the token that logged
//! it) climbed an outdoor climb or a gym route on a date, in a style, with an
//! attempt type. Ticks are private: only their climber reads, changes or deletes
//! them; to anyone else a tick does not exist.
//!
//! Each climber's ticks are listed in one paged index, `xu/<digest of subject>`,
//! in the order they were logged, so listing costs O(page) however long the
//! logbook. As everywhere, the index entry is written before the record and removed
//! after it; readers skip entries whose record is gone.
//!
//! The tick keeps a snapshot of the climb's name and grade (with its score) as they
//! were when it was logged, so statistics need no other reads and survive later
//! edits or the deletion of the climb.

use super::climb::{Climb, Discipline};
use super::grades::{self, Band, Grade, GradeKind, GradeSystem};
use super::gym::{GymDiscipline, GymRoute};
use super::{invalid, validate, Audit, Climbing, DomainError, DomainResult};
use crate::encoding::base64url;
use crate::store::index::{IndexList, Position};
use crate::store::{keys, Record, StoreError, Stored};
use serde::{Deserialize, Serialize};

/// How the climb was climbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TickStyle {
    /// Led on the sharp end.
    Lead,
    /// Seconded a route someone else led.
    Follow,
    /// Climbed with the rope anchored above.
    TopRope,
    /// Free solo or deep-water solo: no rope.
    Solo,
    /// Aided: pulled on or stood in gear.
    Aid,
    /// A boulder problem.
    Boulder,
}

/// How the ascent went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttemptType {
    /// Clean on the first try with no prior information.
    Onsight,
    /// Clean on the first try, with beta or having watched someone.
    Flash,
    /// Led clean after practice, placing the gear (or clipping the bolts) on the go.
    Redpoint,
    /// Led clean after practice, with the gear or draws already in place.
    Pinkpoint,
    /// Climbed clean, style details not recorded.
    Send,
    /// Did not get up clean: fell, hung, or backed off.
    Attempt,
    /// A clean ascent of something already sent before.
    Repeat,
}

const STYLES: [TickStyle; 6] = [
    TickStyle::Lead,
    TickStyle::Follow,
    TickStyle::TopRope,
    TickStyle::Solo,
    TickStyle::Aid,
    TickStyle::Boulder,
];

const ATTEMPTS: [AttemptType; 7] = [
    AttemptType::Onsight,
    AttemptType::Flash,
    AttemptType::Redpoint,
    AttemptType::Pinkpoint,
    AttemptType::Send,
    AttemptType::Attempt,
    AttemptType::Repeat,
];

impl TickStyle {
    pub fn as_str(self) -> &'static str {
        match self {
            TickStyle::Lead => "lead",
            TickStyle::Follow => "follow",
            TickStyle::TopRope => "top_rope",
            TickStyle::Solo => "solo",
            TickStyle::Aid => "aid",
            TickStyle::Boulder => "boulder",
        }
    }

    /// The grade scale a tick of this style is measured on.
    pub fn kind(self) -> GradeKind {
        match self {
            TickStyle::Boulder => GradeKind::Boulder,
            _ => GradeKind::Route,
        }
    }
}

impl AttemptType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptType::Onsight => "onsight",
            AttemptType::Flash => "flash",
            AttemptType::Redpoint => "redpoint",
            AttemptType::Pinkpoint => "pinkpoint",
            AttemptType::Send => "send",
            AttemptType::Attempt => "attempt",
            AttemptType::Repeat => "repeat",
        }
    }

    /// A first clean ascent by this climber: what the grade pyramid counts. A repeat
    /// is clean too, but counting it would count the same climb twice.
    pub fn is_send(self) -> bool {
        matches!(
            self,
            AttemptType::Onsight
                | AttemptType::Flash
                | AttemptType::Redpoint
                | AttemptType::Pinkpoint
                | AttemptType::Send
        )
    }
}

/// Which attempt types go with which style:
///
/// | style    | onsight | flash | redpoint | pinkpoint | send | attempt | repeat |
/// |----------|---------|-------|----------|-----------|------|---------|--------|
/// | lead     |   yes   |  yes  |   yes    |    yes    | yes  |   yes   |  yes   |
/// | follow   |         |       |          |           | yes  |   yes   |  yes   |
/// | top_rope |         |       |          |           | yes  |   yes   |  yes   |
/// | solo     |   yes   |  yes  |          |           | yes  |   yes   |  yes   |
/// | aid      |         |       |          |           | yes  |   yes   |  yes   |
/// | boulder  |         |  yes  |          |           | yes  |   yes   |  yes   |
///
/// Why: onsight and flash are claims about leading (or soloing) a climb first go;
/// with a rope from above (follow, top-rope) climbers log a clean ascent as a send.
/// Redpoint and pinkpoint are by definition lead ascents after practice (pinkpoint:
/// with the gear pre-placed), so only lead takes them. Aid ascents are not free
/// ascents, so free-climbing styles do not apply: an aid climb is sent or not.
/// Boulderers flash or send; an "onsight" of a boulder problem is logged as a flash
/// (as 8a.nu and Mountain Project do), and redpoint/pinkpoint mean nothing without a
/// rope. Send, attempt (including a deep-water solo that ended in the water) and
/// repeat go with every style.
pub fn allowed(style: TickStyle, attempt: AttemptType) -> bool {
    use AttemptType::*;
    match style {
        TickStyle::Lead => true,
        TickStyle::Follow | TickStyle::TopRope | TickStyle::Aid => {
            matches!(attempt, Send | Attempt | Repeat)
        }
        TickStyle::Solo => matches!(attempt, Onsight | Flash | Send | Attempt | Repeat),
        TickStyle::Boulder => matches!(attempt, Flash | Send | Attempt | Repeat),
    }
}

fn check_combination(style: TickStyle, attempt: AttemptType) -> DomainResult<()> {
    if allowed(style, attempt) {
        return Ok(());
    }
    let ok: Vec<&str> = ATTEMPTS
        .iter()
        .filter(|a| allowed(style, **a))
        .map(|a| a.as_str())
        .collect();
    let styles: Vec<&str> = STYLES
        .iter()
        .filter(|s| allowed(**s, attempt))
        .map(|s| s.as_str())
        .collect();
    let why = match (style, attempt) {
        (_, AttemptType::Redpoint | AttemptType::Pinkpoint) => {
            "redpoint and pinkpoint are lead ascents after practice"
        }
        (TickStyle::Boulder, AttemptType::Onsight) => {
            "a boulder problem climbed first go is a flash"
        }
        (TickStyle::Aid, _) => "an aid ascent is not a free ascent",
        _ => "onsight and flash are claims about leading or soloing first go; a clean ascent on a rope from above is a send",
    };
    invalid(format!(
        "attempt {} does not go with style {} ({why}). With {} use {}; {} goes with {}",
        attempt.as_str(),
        style.as_str(),
        style.as_str(),
        ok.join(", "),
        attempt.as_str(),
        styles.join(", ")
    ))
}

/// A tick as stored (`x/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Tick {
    pub id: String,
    /// Bumped by every change; pass it back as `expected_version` to update safely.
    pub version: u64,
    /// Who climbed: the subject of the token that logged the tick.
    pub climber: String,
    /// The outdoor climb, when the tick is for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub climb_id: Option<String>,
    /// The gym route, when the tick is for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gym_route_id: Option<String>,
    /// The climb's or gym route's name when the tick was logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The day of the ascent, YYYY-MM-DD.
    pub date: String,
    pub style: TickStyle,
    pub attempt: AttemptType,
    /// The climber's rating, 0 to 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stars: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// The climb's grade when the tick was logged, with its score; absent when the
    /// climb had no grade the server could read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<Grade>,
    #[serde(flatten)]
    pub audit: Audit,
}

crate::record!(Tick, "x", "tick");

/// Whose a stored tick is: all a logbook page checks.
#[derive(Deserialize)]
struct Climber {
    climber: String,
}

/// A new tick: exactly one of `climb_id` and `gym_route_id`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTick {
    /// The outdoor climb you climbed (from get_climb, list_climbs, search).
    #[serde(default)]
    pub climb_id: Option<String>,
    /// The gym route you climbed (from the gym tools).
    #[serde(default)]
    pub gym_route_id: Option<String>,
    /// The day, YYYY-MM-DD; defaults to today (UTC). At most one day ahead of today
    /// (UTC), for time zones ahead of it.
    #[serde(default)]
    pub date: Option<String>,
    // style and attempt, and which combinations are valid, are described in
    // log_tick's description.
    pub style: TickStyle,
    pub attempt: AttemptType,
    /// Your rating, 0 to 4.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), schemars(range(max = 4)))]
    pub stars: Option<u8>,
    /// Up to 2,000 characters.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), schemars(length(max = 2000)))]
    pub notes: Option<String>,
}

/// Changes to a tick; omitted fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TickChanges {
    /// YYYY-MM-DD.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub style: Option<TickStyle>,
    #[serde(default)]
    pub attempt: Option<AttemptType>,
    /// 0 to 4.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), schemars(range(max = 4)))]
    pub stars: Option<u8>,
    /// Up to 2,000 characters; "" removes the notes.
    #[serde(default)]
    #[cfg_attr(not(target_arch = "wasm32"), schemars(length(max = 2000)))]
    pub notes: Option<String>,
}

pub const MAX_NOTES_CHARS: usize = 2000;
/// `logbook_stats` reads at most this many ticks.
pub const STATS_TICK_LIMIT: usize = 5000;

/// The index list of a climber's ticks. Subjects can be long and contain anything,
/// so the list is keyed by a digest of the subject.
pub fn ticks_list(subject: &str) -> String {
    let digest = hmac_sha256::Hash::hash(subject.as_bytes());
    format!("xu/{}", base64url(&digest[..12]))
}

// ---- dates -------------------------------------------------------------------------

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The UTC date `days_ahead` days after the instant `now_ms`, as YYYY-MM-DD.
pub fn date_of(now_ms: u64, days_ahead: i64) -> String {
    let (y, m, d) = civil_from_days((now_ms / 86_400_000) as i64 + days_ahead);
    format!("{y:04}-{m:02}-{d:02}")
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// A tick date: a real YYYY-MM-DD day from 1900 on, at most one day after today
/// (UTC), since a climber east of UTC may already be living tomorrow.
pub fn check_date(field: &str, value: &str, now_ms: u64) -> DomainResult<String> {
    let v = value.trim();
    let shown: String = v.chars().take(40).collect();
    let b = v.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return invalid(format!(
            "{field} \"{shown}\" is not a date: write it as YYYY-MM-DD, e.g. {}",
            date_of(now_ms, 0)
        ));
    }
    let year: u32 = v[..4].parse().unwrap_or(0);
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

fn check_stars(stars: Option<u8>) -> DomainResult<()> {
    match stars {
        Some(s) if s > 4 => invalid(format!("stars {s} is out of range: rate from 0 to 4")),
        _ => Ok(()),
    }
}

fn check_notes(notes: Option<String>) -> DomainResult<Option<String>> {
    validate::optional_text("notes", notes, MAX_NOTES_CHARS)
}

// ---- what was climbed ----------------------------------------------------------------

/// The climb or gym route a tick is for, as read when checking it.
enum Target {
    Climb(Climb),
    Gym(GymRoute),
}

impl Target {
    /// Whether it is a boulder problem, a roped route, or could be either.
    fn boulder(&self) -> Option<bool> {
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

    fn name(&self) -> Option<String> {
        match self {
            Target::Climb(c) => Some(c.name.clone()),
            Target::Gym(r) => r.name.clone(),
        }
    }

    /// The grade to keep with the tick: the first readable grade of the style's
    /// discipline, else the first readable grade.
    fn grade(&self, style: TickStyle) -> Option<Grade> {
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

    fn check_style(&self, style: TickStyle) -> DomainResult<()> {
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

fn not_yours(id: &str) -> DomainError {
    DomainError::Invalid(format!(
        "no tick with id \"{id}\" in your logbook: ticks can be read and changed only by the climber who logged them; list_ticks shows yours"
    ))
}

impl Climbing<'_> {
    fn target(&self, climb_id: Option<&str>, gym_route_id: Option<&str>) -> DomainResult<Target> {
        match (climb_id, gym_route_id) {
            (Some(id), None) => {
                validate::id("climb_id", id)?;
                let climb: Climb = self.store.get(id)?.ok_or_else(|| {
                    DomainError::Invalid(format!(
                        "climb_id \"{id}\" is not an existing climb; find it with list_climbs or search, or create it first"
                    ))
                })?;
                Ok(Target::Climb(climb))
            }
            (None, Some(id)) => {
                validate::id("gym_route_id", id)?;
                let route: GymRoute = self.store.get(id)?.ok_or_else(|| {
                    DomainError::Invalid(format!(
                        "gym_route_id \"{id}\" is not an existing gym route; find it with the gym route tools"
                    ))
                })?;
                Ok(Target::Gym(route))
            }
            (Some(_), Some(_)) => invalid(
                "give either climb_id or gym_route_id, not both: one tick records one ascent",
            ),
            (None, None) => invalid(
                "say what you climbed: give climb_id (an outdoor climb) or gym_route_id (a gym route)",
            ),
        }
    }

    pub fn log_tick(&self, new: NewTick) -> DomainResult<Tick> {
        // Everything is checked before anything is written.
        let now = self.store.platform().now_ms();
        let date = match &new.date {
            Some(d) => check_date("date", d, now)?,
            None => date_of(now, 0),
        };
        check_combination(new.style, new.attempt)?;
        check_stars(new.stars)?;
        let notes = check_notes(new.notes)?;
        let target = self.target(new.climb_id.as_deref(), new.gym_route_id.as_deref())?;
        target.check_style(new.style)?;
        let list = IndexList::new(self.store.kv(), ticks_list(&self.actor));
        // A fresh id only after a clean "id taken"; a store error ends the loop.
        for _ in 0..crate::store::ID_ATTEMPTS {
            let mut tick = Tick {
                id: self.store.new_id(),
                version: 1,
                climber: self.actor.clone(),
                climb_id: new.climb_id.clone(),
                gym_route_id: new.gym_route_id.clone(),
                name: target.name(),
                date: date.clone(),
                style: new.style,
                attempt: new.attempt,
                stars: new.stars,
                notes: notes.clone(),
                grade: target.grade(new.style),
                audit: self.audit_new(),
            };
            // Index first, record second (see the module documentation).
            list.add(&tick.id)?;
            if self.store.insert(&mut tick)? {
                return Ok(tick);
            }
            list.remove(&tick.id, None)?;
        }
        Err(crate::store::ids_exhausted("tick").into())
    }

    pub fn get_tick(&self, id: &str) -> DomainResult<Tick> {
        validate::id("id", id)?;
        match self.store.get::<Tick>(id)? {
            Some(t) if t.climber == self.actor => Ok(t),
            _ => Err(not_yours(id)),
        }
    }

    pub fn update_tick(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: TickChanges,
    ) -> DomainResult<Tick> {
        let current = self.get_tick(id)?;
        let now = self.store.platform().now_ms();
        let date = changes
            .date
            .as_deref()
            .map(|d| check_date("date", d, now))
            .transpose()?;
        check_stars(changes.stars)?;
        let notes = match &changes.notes {
            Some(n) if n.trim().is_empty() => Some(None),
            Some(n) => Some(check_notes(Some(n.clone()))?),
            None => None,
        };
        let style = changes.style.unwrap_or(current.style);
        check_combination(style, changes.attempt.unwrap_or(current.attempt))?;
        // A new style must still fit what was climbed (when it still exists).
        if changes.style.is_some_and(|s| s != current.style) {
            let target = match (&current.climb_id, &current.gym_route_id) {
                (Some(c), _) => self.store.get::<Climb>(c)?.map(Target::Climb),
                (_, Some(g)) => self.store.get::<GymRoute>(g)?.map(Target::Gym),
                _ => None,
            };
            if let Some(t) = target {
                t.check_style(style)?;
            }
        }
        self.store.update(id, expected_version, |tick: &mut Tick| {
            if tick.climber != self.actor {
                return Err(not_yours(id));
            }
            let style = changes.style.unwrap_or(tick.style);
            let attempt = changes.attempt.unwrap_or(tick.attempt);
            // Re-checked on the record being written: another change may have won.
            check_combination(style, attempt)?;
            tick.style = style;
            tick.attempt = attempt;
            if let Some(d) = &date {
                tick.date = d.clone();
            }
            if changes.stars.is_some() {
                tick.stars = changes.stars;
            }
            if let Some(n) = &notes {
                tick.notes = n.clone();
            }
            self.touch(&mut tick.audit);
            Ok(())
        })
    }

    /// Deletes a tick of the caller's: the record first, then its index entry.
    pub fn delete_tick(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Tick> {
        let tick = self.get_tick(id)?;
        if let Some(expected) = expected_version {
            if expected != tick.version {
                return Err(StoreError::VersionConflict {
                    kind: Tick::KIND,
                    id: id.to_owned(),
                    expected,
                    current: tick.version,
                }
                .into());
            }
        }
        self.store.kv().delete(&keys::record::<Tick>(id))?;
        IndexList::new(self.store.kv(), ticks_list(&self.actor)).remove(id, None)?;
        Ok(tick)
    }

    /// A page of the caller's ticks, in the order they were logged.
    pub fn list_ticks(
        &self,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Stored<Tick>>, Option<Position>)> {
        let list = IndexList::new(self.store.kv(), ticks_list(&self.actor));
        let slice = list.slice(from, limit)?;
        let mut ticks = Vec::with_capacity(slice.ids.len());
        for tick in self.store.get_many_stored::<Tick>(&slice.ids)? {
            // Only the climber's own ticks, whatever the list holds; the tick goes
            // out as stored.
            let Climber { climber } = tick.view()?;
            if climber == self.actor {
                ticks.push(tick);
            }
        }
        Ok((ticks, slice.next))
    }

    /// Statistics over the caller's logbook (at most [`STATS_TICK_LIMIT`] ticks, read
    /// page by page). The pyramids use `route_system` and `boulder_system`, or by
    /// default the system the climber's ticks use most.
    pub fn logbook_stats(
        &self,
        route_system: Option<GradeSystem>,
        boulder_system: Option<GradeSystem>,
    ) -> DomainResult<LogbookStats> {
        for (field, system, kind) in [
            ("route_system", route_system, GradeKind::Route),
            ("boulder_system", boulder_system, GradeKind::Boulder),
        ] {
            if let Some(s) = system.filter(|s| s.discipline() != kind) {
                return invalid(format!(
                    "{field} {} is a {} system: use a {} system ({})",
                    s.as_str(),
                    s.discipline().as_str(),
                    kind.as_str(),
                    grades::systems()
                        .iter()
                        .filter(|s| s.discipline() == kind)
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        let list = IndexList::new(self.store.kv(), ticks_list(&self.actor));
        let mut ticks = Vec::new();
        let mut from: Option<Position> = None;
        let mut read = 0;
        let truncated = loop {
            let take = validate::MAX_PAGE.min(STATS_TICK_LIMIT - read);
            let slice = list.slice(from.as_ref(), take)?;
            read += slice.ids.len();
            let page: Vec<Tick> = self.store.get_many(&slice.ids)?;
            ticks.extend(page.into_iter().filter(|t| t.climber == self.actor));
            match slice.next {
                None => break false,
                Some(_) if read >= STATS_TICK_LIMIT => break true,
                next => from = next,
            }
        };
        Ok(stats(&ticks, route_system, boulder_system, truncated))
    }
}

// ---- statistics -----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct AttemptCount {
    pub attempt: AttemptType,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct StyleCount {
    pub style: TickStyle,
    /// Ticks of this style.
    pub ticks: u32,
    /// Of which sends (onsight, flash, redpoint, pinkpoint or send).
    pub sends: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct PyramidStep {
    /// The grade in the pyramid's system.
    pub grade: String,
    pub score: f64,
    pub band: Band,
    pub sends: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Pyramid {
    pub discipline: GradeKind,
    /// The system the steps are written in (each send's grade converted to it).
    pub system: GradeSystem,
    pub sends: u32,
    /// Hardest first.
    pub steps: Vec<PyramidStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct HardestSend {
    pub style: TickStyle,
    /// The grade as it was when the tick was logged.
    pub grade: Grade,
    pub tick_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub date: String,
    pub attempt: AttemptType,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct LogbookStats {
    /// Ticks counted.
    pub ticks: u32,
    /// Of which sends: onsight, flash, redpoint, pinkpoint or send (repeats and
    /// attempts are not sends).
    pub sends: u32,
    /// Sends whose climb had no grade the server could read (not in the pyramids).
    pub ungraded_sends: u32,
    /// At most this many ticks are read.
    pub tick_limit: u32,
    /// True when the logbook has more ticks than `tick_limit`: the statistics cover
    /// the first `tick_limit` ticks logged.
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_date: Option<String>,
    /// Ticks per attempt type (only types that occur).
    pub by_attempt: Vec<AttemptCount>,
    /// Ticks and sends per style (only styles that occur).
    pub by_style: Vec<StyleCount>,
    /// Grade pyramids: sends per grade, one per discipline with sends.
    pub pyramids: Vec<Pyramid>,
    /// The hardest send of each style, by score.
    pub hardest: Vec<HardestSend>,
}

/// The system most used by `ticks` for a discipline (ties go to the first system in
/// [`grades::systems`]).
fn usual_system(ticks: &[Tick], kind: GradeKind) -> GradeSystem {
    let candidates: Vec<GradeSystem> = grades::systems()
        .iter()
        .copied()
        .filter(|s| s.discipline() == kind)
        .collect();
    let count = |s: GradeSystem| {
        ticks
            .iter()
            .filter(|t| t.grade.as_ref().is_some_and(|g| g.system == s))
            .count()
    };
    let mut best = candidates[0];
    for s in &candidates[1..] {
        if count(*s) > count(best) {
            best = *s;
        }
    }
    best
}

pub fn stats(
    ticks: &[Tick],
    route_system: Option<GradeSystem>,
    boulder_system: Option<GradeSystem>,
    truncated: bool,
) -> LogbookStats {
    let by_attempt = ATTEMPTS
        .iter()
        .map(|a| AttemptCount {
            attempt: *a,
            count: ticks.iter().filter(|t| t.attempt == *a).count() as u32,
        })
        .filter(|c| c.count > 0)
        .collect();
    let by_style = STYLES
        .iter()
        .map(|s| StyleCount {
            style: *s,
            ticks: ticks.iter().filter(|t| t.style == *s).count() as u32,
            sends: ticks
                .iter()
                .filter(|t| t.style == *s && t.attempt.is_send())
                .count() as u32,
        })
        .filter(|c| c.ticks > 0)
        .collect();
    let sends: Vec<&Tick> = ticks.iter().filter(|t| t.attempt.is_send()).collect();
    let mut pyramids = Vec::new();
    for (kind, chosen) in [
        (GradeKind::Route, route_system),
        (GradeKind::Boulder, boulder_system),
    ] {
        let system = chosen.unwrap_or_else(|| usual_system(ticks, kind));
        let mut steps: Vec<PyramidStep> = Vec::new();
        let mut count = 0;
        for t in &sends {
            let Some(g) = t.grade.as_ref().filter(|g| g.system.discipline() == kind) else {
                continue;
            };
            let Ok(step) = grades::convert(g, system) else {
                continue;
            };
            count += 1;
            match steps.iter_mut().find(|s| s.grade == step.text) {
                Some(s) => s.sends += 1,
                None => steps.push(PyramidStep {
                    band: grades::band(step.score, kind),
                    grade: step.text,
                    score: step.score,
                    sends: 1,
                }),
            }
        }
        if count > 0 {
            steps.sort_by(|a, b| b.score.total_cmp(&a.score));
            pyramids.push(Pyramid {
                discipline: kind,
                system,
                sends: count,
                steps,
            });
        }
    }
    let hardest = STYLES
        .iter()
        .filter_map(|style| {
            sends
                .iter()
                .filter(|t| t.style == *style)
                .filter_map(|t| {
                    let g = t.grade.as_ref()?;
                    (g.system.discipline() == style.kind()).then_some((t, g))
                })
                .max_by(|a, b| a.1.score.total_cmp(&b.1.score))
                .map(|(t, g)| HardestSend {
                    style: *style,
                    grade: g.clone(),
                    tick_id: t.id.clone(),
                    name: t.name.clone(),
                    date: t.date.clone(),
                    attempt: t.attempt,
                })
        })
        .collect();
    LogbookStats {
        ticks: ticks.len() as u32,
        sends: sends.len() as u32,
        ungraded_sends: sends.iter().filter(|t| t.grade.is_none()).count() as u32,
        tick_limit: STATS_TICK_LIMIT as u32,
        truncated,
        first_date: ticks.iter().map(|t| t.date.clone()).min(),
        last_date: ticks.iter().map(|t| t.date.clone()).max(),
        by_attempt,
        by_style,
        pyramids,
        hardest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::climbing::area::{AreaKind, NewArea};
    use crate::climbing::climb::{Grades, NewClimb};
    use crate::platform::memory::MemoryPlatform;
    use crate::store::Store;

    /// 2026-03-15T12:00:00Z
    const NOW_MS: u64 = 1_773_576_000_000;

    #[test]
    fn rule_matrix() {
        use AttemptType::*;
        use TickStyle::*;
        let table: [(TickStyle, [bool; 7]); 6] = [
            // onsight flash redpoint pinkpoint send attempt repeat
            (Lead, [true, true, true, true, true, true, true]),
            (Follow, [false, false, false, false, true, true, true]),
            (TopRope, [false, false, false, false, true, true, true]),
            (Solo, [true, true, false, false, true, true, true]),
            (Aid, [false, false, false, false, true, true, true]),
            (Boulder, [false, true, false, false, true, true, true]),
        ];
        for (style, row) in table {
            for (attempt, ok) in ATTEMPTS.iter().zip(row) {
                assert_eq!(allowed(style, *attempt), ok, "{style:?} {attempt:?}");
                assert_eq!(check_combination(style, *attempt).is_ok(), ok);
            }
        }
        let DomainError::Invalid(msg) = check_combination(Follow, Redpoint).unwrap_err() else {
            panic!()
        };
        assert!(
            msg.contains("With follow use send, attempt, repeat"),
            "{msg}"
        );
        assert!(msg.contains("redpoint goes with lead"), "{msg}");
        let DomainError::Invalid(msg) = check_combination(Boulder, Onsight).unwrap_err() else {
            panic!()
        };
        assert!(msg.contains("flash"), "{msg}");
    }

    #[test]
    fn dates() {
        assert_eq!(date_of(NOW_MS, 0), "2026-03-15");
        assert_eq!(date_of(0, 0), "1970-01-01");
        assert_eq!(date_of(951_782_400_000, 0), "2000-02-29");
        assert_eq!(
            check_date("date", "2026-03-15", NOW_MS).unwrap(),
            "2026-03-15"
        );
        assert_eq!(
            check_date("date", " 2026-03-16 ", NOW_MS).unwrap(),
            "2026-03-16"
        );
        assert!(check_date("date", "2026-03-17", NOW_MS).is_err());
        assert!(check_date("date", "2024-02-29", NOW_MS).is_ok());
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-04-31",
            "2026-00-10",
            "2026-1-5",
            "15/03/2026",
            "1899-12-31",
            "",
            "2026-03-1x",
        ] {
            assert!(check_date("date", bad, NOW_MS).is_err(), "{bad}");
        }
    }

    fn setup(p: &MemoryPlatform) -> (String, String) {
        p.now_ms.set(NOW_MS);
        let c = Climbing::new(Store::new(p), "setter");
        let country = c
            .create_area(NewArea {
                name: "Land".into(),
                kind: AreaKind::Country,
                parent_id: None,
                location: None,
                description: None,
                access_notes: None,
            })
            .unwrap();
        let crag = c
            .create_area(NewArea {
                name: "Crag".into(),
                kind: AreaKind::Crag,
                parent_id: Some(country.id),
                location: None,
                description: None,
                access_notes: None,
            })
            .unwrap();
        let new = |name: &str, grades: Grades, d: Discipline| -> NewClimb {
            serde_json::from_value(serde_json::json!({
                "name": name, "area_id": crag.id, "grades": grades, "disciplines": [d],
            }))
            .unwrap()
        };
        let route = c
            .create_climb(new(
                "Arête",
                Grades {
                    yds: Some("5.11a".into()),
                    ..Grades::default()
                },
                Discipline::Sport,
            ))
            .unwrap();
        let problem = c
            .create_climb(new(
                "Roof",
                Grades {
                    vscale: Some("V5".into()),
                    ..Grades::default()
                },
                Discipline::Boulder,
            ))
            .unwrap();
        (route.id, problem.id)
    }

    fn tick(climb: &str, date: &str, style: TickStyle, attempt: AttemptType) -> NewTick {
        NewTick {
            climb_id: Some(climb.into()),
            gym_route_id: None,
            date: Some(date.into()),
            style,
            attempt,
            stars: None,
            notes: None,
        }
    }

    #[test]
    fn log_update_delete_and_privacy() {
        use AttemptType::*;
        use TickStyle::*;
        let p = MemoryPlatform::default();
        let (route, problem) = setup(&p);
        let alice = Climbing::new(Store::new(&p), "alice");
        let bob = Climbing::new(Store::new(&p), "bob");
        let t = alice
            .log_tick(tick(&route, "2026-03-01", Lead, Redpoint))
            .unwrap();
        assert_eq!(t.grade.as_ref().unwrap().text, "5.11a");
        assert_eq!(t.name.as_deref(), Some("Arête"));
        assert_eq!(t.climber, "alice");
        // Refusals store nothing.
        let before = p.kv.keys().len();
        for bad in [
            tick(&route, "2026-03-01", TopRope, Redpoint),
            tick(&route, "2026-03-01", Boulder, Send),
            tick(&problem, "2026-03-01", Lead, Send),
            tick(&route, "2027-01-01", Lead, Send),
            tick("nope", "2026-03-01", Lead, Send),
            NewTick {
                stars: Some(5),
                ..tick(&route, "2026-03-01", Lead, Send)
            },
            NewTick {
                notes: Some("x".repeat(2001)),
                ..tick(&route, "2026-03-01", Lead, Send)
            },
            NewTick {
                gym_route_id: Some("g1".into()),
                ..tick(&route, "2026-03-01", Lead, Send)
            },
            NewTick {
                climb_id: None,
                ..tick(&route, "2026-03-01", Lead, Send)
            },
        ] {
            assert!(alice.log_tick(bad).is_err());
        }
        assert_eq!(p.kv.keys().len(), before);
        // Without a date, today.
        let today = alice
            .log_tick(NewTick {
                date: None,
                ..tick(&problem, "", Boulder, Flash)
            })
            .unwrap();
        assert_eq!(today.date, "2026-03-15");
        assert_eq!(today.grade.as_ref().unwrap().system, GradeSystem::VScale);
        // Only alice sees and changes her ticks.
        assert!(bob.get_tick(&t.id).is_err());
        assert!(bob
            .update_tick(&t.id, None, TickChanges::default())
            .is_err());
        assert!(bob.delete_tick(&t.id, None).is_err());
        assert!(bob.list_ticks(None, 50).unwrap().0.is_empty());
        // Updates check the merged record and the version.
        let changes = |style, attempt| TickChanges {
            style: Some(style),
            attempt: Some(attempt),
            ..TickChanges::default()
        };
        assert!(alice
            .update_tick(&t.id, Some(1), changes(Follow, Redpoint))
            .is_err());
        assert!(alice
            .update_tick(
                &t.id,
                Some(1),
                TickChanges {
                    style: Some(Follow),
                    ..TickChanges::default()
                }
            )
            .is_err());
        assert!(alice
            .update_tick(&t.id, Some(1), changes(Boulder, Send))
            .is_err());
        let u = alice
            .update_tick(
                &t.id,
                Some(1),
                TickChanges {
                    stars: Some(3),
                    notes: Some("pumpy".into()),
                    ..changes(Follow, Send)
                },
            )
            .unwrap();
        assert_eq!(
            (u.version, u.stars, u.notes.as_deref()),
            (2, Some(3), Some("pumpy"))
        );
        let stale = alice.update_tick(&t.id, Some(1), TickChanges::default());
        assert!(matches!(
            stale,
            Err(DomainError::Store(StoreError::VersionConflict {
                current: 2,
                ..
            }))
        ));
        let cleared = alice
            .update_tick(
                &t.id,
                None,
                TickChanges {
                    notes: Some(String::new()),
                    ..TickChanges::default()
                },
            )
            .unwrap();
        assert_eq!(cleared.notes, None);
        // Delete: record gone, index entry gone.
        assert!(alice.delete_tick(&t.id, Some(1)).is_err());
        alice.delete_tick(&t.id, None).unwrap();
        assert!(alice.get_tick(&t.id).is_err());
        let (left, _) = alice.list_ticks(None, 50).unwrap();
        let left: Vec<Tick> = left.iter().map(|t| t.decode().unwrap()).collect();
        assert_eq!(left.iter().map(|t| &t.id).collect::<Vec<_>>(), [&today.id]);
        let index_key = format!("i/{}/0", ticks_list("alice"));
        let page = String::from_utf8(
            crate::platform::KeyValue::get(&p.kv, &index_key)
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        assert!(!page.contains(&t.id), "{page}");
    }

    #[test]
    fn stats_on_a_small_logbook() {
        use AttemptType::*;
        use TickStyle::*;
        let p = MemoryPlatform::default();
        let (route, problem) = setup(&p);
        let c = Climbing::new(Store::new(&p), "alice");
        for (climb, style, attempt) in [
            (&route, Lead, Attempt),
            (&route, Lead, Redpoint),
            (&route, Lead, Repeat),
            (&route, TopRope, Send),
            (&problem, Boulder, Attempt),
            (&problem, Boulder, Send),
        ] {
            c.log_tick(tick(climb, "2026-02-01", style, attempt))
                .unwrap();
        }
        // A 5.9 onsight and a V2 flash logged with other grades.
        let c2 = Climbing::new(Store::new(&p), "setter");
        let crag = c2.get_climb(&route).unwrap().decode().unwrap().area_id;
        let easy: NewClimb = serde_json::from_value(serde_json::json!({
            "name": "Easy", "area_id": crag, "grades": {"french": "5b"}, "disciplines": ["trad"],
        }))
        .unwrap();
        let easy = c2.create_climb(easy).unwrap();
        c.log_tick(tick(&easy.id, "2025-12-24", Lead, Onsight))
            .unwrap();
        let s = c.logbook_stats(None, None).unwrap();
        assert_eq!((s.ticks, s.sends, s.ungraded_sends), (7, 4, 0));
        assert!(!s.truncated);
        assert_eq!(s.first_date.as_deref(), Some("2025-12-24"));
        assert_eq!(s.last_date.as_deref(), Some("2026-02-01"));
        let count = |a| {
            s.by_attempt
                .iter()
                .find(|c| c.attempt == a)
                .map(|c| c.count)
        };
        assert_eq!(count(Attempt), Some(2));
        assert_eq!(count(Repeat), Some(1));
        assert_eq!(count(Flash), None);
        let lead = s.by_style.iter().find(|c| c.style == Lead).unwrap();
        assert_eq!((lead.ticks, lead.sends), (4, 2));
        // Route pyramid in YDS (the most used route system): 5.11a x2, 5.9 x1.
        let routes = &s.pyramids[0];
        assert_eq!(
            (routes.discipline, routes.system, routes.sends),
            (GradeKind::Route, GradeSystem::Yds, 3)
        );
        let steps: Vec<(&str, u32)> = routes
            .steps
            .iter()
            .map(|s| (s.grade.as_str(), s.sends))
            .collect();
        assert_eq!(steps, [("5.11a", 2), ("5.9", 1)]);
        let boulders = &s.pyramids[1];
        assert_eq!(boulders.system, GradeSystem::VScale);
        assert_eq!(boulders.steps[0].grade, "V5");
        let hardest_lead = s.hardest.iter().find(|h| h.style == Lead).unwrap();
        assert_eq!(hardest_lead.grade.text, "5.11a");
        assert_eq!(hardest_lead.attempt, Redpoint);
        // Asked for French: the same sends in French.
        let s = c
            .logbook_stats(Some(GradeSystem::French), Some(GradeSystem::Font))
            .unwrap();
        assert_eq!(s.pyramids[0].steps[0].grade, "6b+");
        assert_eq!(s.pyramids[1].steps[0].grade, "6C");
        assert!(c.logbook_stats(Some(GradeSystem::Font), None).is_err());
        // Another climber's logbook is empty.
        let bob = Climbing::new(Store::new(&p), "bob");
        let s = bob.logbook_stats(None, None).unwrap();
        assert_eq!((s.ticks, s.pyramids.len()), (0, 0));
    }
}
