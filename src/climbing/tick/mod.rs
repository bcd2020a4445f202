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

mod logbook;
mod rules;
mod stats;
#[cfg(test)]
mod tests;

pub use rules::{check_date, date_of};
pub use stats::*;

use super::climb::{Climb, Discipline};
use super::grades::{self, Band, Grade, GradeKind, GradeSystem};
use super::gym::{GymDiscipline, GymRoute};
use super::{invalid, validate, Audit, Climbing, DomainError, DomainResult};
use crate::encoding::base64url;
use crate::store::{Listed, Listing};
use rules::*;
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

impl Listed for Tick {
    /// Its climber's logbook.
    fn listings(&self) -> Vec<Listing> {
        vec![Listing::new(ticks_list(&self.climber), self.id.as_str())]
    }
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
