//! Indoor venues: walls, setters and gym routes.
//!
//! Records (one JSON record per key, versioned):
//! - `v/<id>` a [`Venue`] (a climbing gym),
//! - `w/<id>` a [`Wall`] of a venue,
//! - `p/<id>` a [`Setter`] (route setter) of a venue,
//! - `g/<id>` a [`GymRoute`] on a wall.
//!
//! Index lists (paged, see [`crate::store::index`]):
//! - `vl` every venue; `vw/<venue>` its walls; `vs/<venue>` its setters;
//! - `gr/<wall>` every route ever set on a wall;
//! - `gv/<venue>` every route ever set at a venue;
//! - `gc/<venue>` the venue's current set (routes that are `set` or `closed`);
//! - `gm/<venue>/<YYYY-MM>` the venue's routes by the month they were set;
//! - `gs/<setter>` the routes a setter is credited with.
//!
//! Write order keeps every list safe to read after a crash: an entry is added before
//! the record (or the change) that puts the route in the list, and removed after the
//! record (or the change) that takes it out. Readers check every entry against its
//! record (the route is still on that wall, still current, still credits that setter)
//! and skip the ones that no longer match.
//!
//! Deleting a venue, wall or setter is refused while something still depends on it.
//! To keep a concurrent create from slipping in between the check and the delete, the
//! deleter first marks the record with a short lease (`deleting_until_ms`), checks
//! again, then deletes; creators refuse a parent under lease and re-check their
//! parents after writing, undoing their write if the parent went away.

mod aggregates;
mod inputs;
mod parents;
mod routes;
mod rules;
#[cfg(test)]
mod tests;

pub use inputs::*;
pub use rules::{date, date_of_ms};

use super::{invalid, validate, Audit, Climbing, DomainError, DomainResult, LatLng};
use crate::store::{Leased, Listed, Listing, Record};
use rules::*;
use serde::{Deserialize, Serialize};

/// How long a delete in progress holds off new children (longer than any request).
pub const DELETE_LEASE_MS: u64 = 60_000;
/// Index entries a filtered list reads per call at most; it then returns a cursor to
/// continue, possibly with fewer items than asked for (even none).
pub const FILTER_SCAN_ENTRIES: usize = 1_000;
/// Routes an aggregate (distribution, due for strip, setter stats) reads at most.
pub const MAX_AGGREGATE_ROUTES: usize = 5_000;
/// Setters credited on one route at most.
pub const MAX_ROUTE_SETTERS: usize = 10;
/// Routes one `strip_gym_routes` call changes at most.
pub const MAX_STRIP_BATCH: usize = 100;
/// Months a `setter_stats` range may span at most.
pub const MAX_STATS_MONTHS: usize = 36;
const MAX_GRADE_CHARS: usize = 16;
const MAX_WEBSITE_CHARS: usize = 500;
const CHUNK: usize = 200;

// ---- the grade score ------------------------------------------------------------

/// The numeric score of a grade, for grade ranges and sorting; `None` when the grade
/// cannot be read. Gym grades use the same tables as outdoor climbs.
pub fn grade_score(system: &str, text: &str) -> Option<f64> {
    let system = crate::climbing::grades::GradeSystem::parse_name(system)?;
    crate::climbing::grades::parse(system, text)
        .ok()
        .map(|g| g.score)
}

// ---- enums ----------------------------------------------------------------------

/// What a wall is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WallKind {
    Lead,
    TopRope,
    Boulder,
    AutoBelay,
    /// Board, spray or system wall: holds boulder problems.
    Training,
}

impl WallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WallKind::Lead => "lead",
            WallKind::TopRope => "top_rope",
            WallKind::Boulder => "boulder",
            WallKind::AutoBelay => "auto_belay",
            WallKind::Training => "training",
        }
    }

    fn holds_boulders(self) -> bool {
        matches!(self, WallKind::Boulder | WallKind::Training)
    }
}

/// The steepness of a wall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WallAngle {
    Slab,
    Vertical,
    Overhang,
    Roof,
}

impl WallAngle {
    /// The angle class of `degrees` past vertical.
    fn of_degrees(degrees: f64) -> Self {
        if degrees < -2.0 {
            WallAngle::Slab
        } else if degrees <= 2.0 {
            WallAngle::Vertical
        } else if degrees < 75.0 {
            WallAngle::Overhang
        } else {
            WallAngle::Roof
        }
    }
}

/// Hold (or tape) colour; `other`: say which in the name or notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HoldColour {
    Red,
    Orange,
    Yellow,
    Green,
    Blue,
    Purple,
    Pink,
    Black,
    White,
    #[serde(alias = "gray")]
    Grey,
    Brown,
    Teal,
    Other,
}

/// How a gym route is climbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum GymDiscipline {
    Boulder,
    Lead,
    TopRope,
    AutoBelay,
}

impl GymDiscipline {
    pub fn as_str(self) -> &'static str {
        match self {
            GymDiscipline::Boulder => "boulder",
            GymDiscipline::Lead => "lead",
            GymDiscipline::TopRope => "top_rope",
            GymDiscipline::AutoBelay => "auto_belay",
        }
    }
}

/// Where a gym route is in its life: `set` (up and open), `closed` (up but closed for
/// now, e.g. a spinning hold; can reopen), `stripped` (taken down; final).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RouteStatus {
    Set,
    Closed,
    Stripped,
}

impl RouteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteStatus::Set => "set",
            RouteStatus::Closed => "closed",
            RouteStatus::Stripped => "stripped",
        }
    }
}

/// Which routes a list shows by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    /// Routes that are up: `set` or `closed` (the default).
    #[default]
    Current,
    Set,
    Closed,
    Stripped,
    /// Every route, stripped ones included.
    Any,
}

impl StatusFilter {
    fn accepts(self, status: RouteStatus) -> bool {
        match self {
            StatusFilter::Current => status != RouteStatus::Stripped,
            StatusFilter::Set => status == RouteStatus::Set,
            StatusFilter::Closed => status == RouteStatus::Closed,
            StatusFilter::Stripped => status == RouteStatus::Stripped,
            StatusFilter::Any => true,
        }
    }

    fn current_only(self) -> bool {
        matches!(
            self,
            StatusFilter::Current | StatusFilter::Set | StatusFilter::Closed
        )
    }
}

// ---- records --------------------------------------------------------------------

/// A record others depend on, named in the messages that refuse its delete.
trait Guarded: Leased {
    fn label(&self) -> String;
}

macro_rules! guarded {
    ($ty:ty) => {
        impl Leased for $ty {
            fn lease(&self) -> Option<u64> {
                self.deleting_until_ms
            }
            fn lease_mut(&mut self) -> &mut Option<u64> {
                &mut self.deleting_until_ms
            }
        }
        impl Guarded for $ty {
            fn label(&self) -> String {
                format!("{} \"{}\" ({})", Self::KIND, self.name, self.id)
            }
        }
    };
}

/// An indoor climbing venue (`v/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Venue {
    pub id: String,
    /// Bumped by every change; pass it back as `expected_version` to update safely.
    pub version: u64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<LatLng>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Set while a delete of this venue is in progress (milliseconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting_until_ms: Option<u64>,
    #[serde(flatten)]
    pub audit: Audit,
}
crate::record!(Venue, "v", "venue");
guarded!(Venue);

impl Listed for Venue {
    fn listings(&self) -> Vec<Listing> {
        vec![Listing::new(venues_list(), self.id.as_str())]
    }
}

/// A wall of a venue (`w/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Wall {
    pub id: String,
    /// Bumped by every change; pass it back as `expected_version` to update safely.
    pub version: u64,
    pub venue_id: String,
    pub name: String,
    pub kind: WallKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub angle: Option<WallAngle>,
    /// Degrees past vertical: negative for a slab, 0 vertical, positive overhanging,
    /// 90 a roof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub angle_degrees: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Set while a delete of this wall is in progress (milliseconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting_until_ms: Option<u64>,
    #[serde(flatten)]
    pub audit: Audit,
}
crate::record!(Wall, "w", "wall");
guarded!(Wall);

impl Listed for Wall {
    fn listings(&self) -> Vec<Listing> {
        vec![Listing::new(walls_list(&self.venue_id), self.id.as_str())]
    }
}

/// A route setter of a venue (`p/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Setter {
    pub id: String,
    /// Bumped by every change; pass it back as `expected_version` to update safely.
    pub version: u64,
    pub venue_id: String,
    pub name: String,
    /// Whether the setter currently sets at the venue.
    pub active: bool,
    /// Set while a delete of this setter is in progress (milliseconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting_until_ms: Option<u64>,
    #[serde(flatten)]
    pub audit: Audit,
}
crate::record!(Setter, "p", "setter");
guarded!(Setter);

impl Listed for Setter {
    fn listings(&self) -> Vec<Listing> {
        vec![Listing::new(setters_list(&self.venue_id), self.id.as_str())]
    }
}

/// A route or boulder problem on a gym wall (`g/<id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct GymRoute {
    pub id: String,
    /// Bumped by every change; pass it back as `expected_version` to update safely.
    pub version: u64,
    pub venue_id: String,
    pub wall_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub hold_colour: HoldColour,
    /// The grade as the gym gives it, e.g. "V4", "6b+", "5.11a".
    pub grade: String,
    /// The grading system of `grade`, e.g. "vscale", "font", "french", "yds".
    pub grade_system: String,
    pub discipline: GymDiscipline,
    /// Setters of the venue credited with the route.
    #[serde(default)]
    pub setter_ids: Vec<String>,
    /// Date set, YYYY-MM-DD.
    pub set_on: String,
    /// Planned strip date, YYYY-MM-DD, on or after `set_on`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip_on: Option<String>,
    /// Date actually stripped, YYYY-MM-DD (status `stripped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripped_on: Option<String>,
    pub status: RouteStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(flatten)]
    pub audit: Audit,
}
crate::record!(GymRoute, "g", "gym route");

impl Listed for GymRoute {
    fn listings(&self) -> Vec<Listing> {
        self.lists()
            .into_iter()
            .map(|list| Listing::new(list, self.id.as_str()))
            .collect()
    }
}

impl GymRoute {
    fn score(&self) -> Option<f64> {
        grade_score(&self.grade_system, &self.grade)
    }

    fn label(&self) -> String {
        let colour = serde_json::to_value(self.hold_colour)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        match &self.name {
            Some(n) => format!("gym route \"{n}\" ({} {colour}, {})", self.grade, self.id),
            None => format!("gym route {} {colour} ({})", self.grade, self.id),
        }
    }

    /// Every index list this route belongs in, given its fields.
    pub fn lists(&self) -> Vec<String> {
        let mut lists = vec![
            wall_routes_list(&self.wall_id),
            venue_routes_list(&self.venue_id),
            month_routes_list(&self.venue_id, &self.set_on),
        ];
        if self.status != RouteStatus::Stripped {
            lists.push(current_routes_list(&self.venue_id));
        }
        lists.extend(self.setter_ids.iter().map(|s| setter_routes_list(s)));
        lists
    }
}

// ---- index list names -----------------------------------------------------------

pub fn venues_list() -> String {
    "vl".to_owned()
}
pub fn walls_list(venue_id: &str) -> String {
    format!("vw/{venue_id}")
}
pub fn setters_list(venue_id: &str) -> String {
    format!("vs/{venue_id}")
}
pub fn wall_routes_list(wall_id: &str) -> String {
    format!("gr/{wall_id}")
}
pub fn venue_routes_list(venue_id: &str) -> String {
    format!("gv/{venue_id}")
}
pub fn current_routes_list(venue_id: &str) -> String {
    format!("gc/{venue_id}")
}
/// Routes of a venue set in the month of `date` (YYYY-MM-DD or YYYY-MM).
pub fn month_routes_list(venue_id: &str, date: &str) -> String {
    format!("gm/{venue_id}/{}", &date[..7.min(date.len())])
}
pub fn setter_routes_list(setter_id: &str) -> String {
    format!("gs/{setter_id}")
}
