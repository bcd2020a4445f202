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

use super::{invalid, validate, Audit, Climbing, DomainError, DomainResult, LatLng};
use crate::climbing::grades::GradeSystem;
use crate::store::index::Position;
use crate::store::{Leased, Listed, Listing, Record};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// The colour of a route's holds (or tape); `other`: say which in the name or notes.
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

// ---- inputs ---------------------------------------------------------------------

/// Fields of a new venue.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVenue {
    /// The venue's name, 1 to 200 characters.
    pub name: String,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub location: Option<LatLng>,
    /// An http:// or https:// URL, up to 500 characters.
    #[serde(default)]
    pub website: Option<String>,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Changes to a venue; omitted fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct VenueChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub location: Option<LatLng>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Fields of a new wall.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWall {
    /// The venue the wall is in.
    pub venue_id: String,
    /// The wall's name, 1 to 200 characters (e.g. "The Cave", "Lead wall 2").
    pub name: String,
    /// lead, top_rope, boulder, auto_belay or training.
    pub kind: WallKind,
    /// slab, vertical, overhang or roof; derived from angle_degrees when omitted.
    #[serde(default)]
    pub angle: Option<WallAngle>,
    /// Degrees past vertical, -90 to 90: negative slab, 0 vertical, positive overhang.
    #[serde(default)]
    pub angle_degrees: Option<f64>,
    /// Height in metres, more than 0 and at most 100.
    #[serde(default)]
    pub height_m: Option<f64>,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Changes to a wall; omitted fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WallChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<WallKind>,
    #[serde(default)]
    pub angle: Option<WallAngle>,
    #[serde(default)]
    pub angle_degrees: Option<f64>,
    #[serde(default)]
    pub height_m: Option<f64>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Fields of a new setter.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewSetter {
    /// The venue the setter sets at.
    pub venue_id: String,
    /// The setter's name, 1 to 200 characters.
    pub name: String,
    /// Whether the setter currently sets there (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to a setter; omitted fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SetterChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// Fields of a new gym route. It starts with status `set`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewGymRoute {
    /// The wall it is on (the venue follows from the wall).
    pub wall_id: String,
    pub hold_colour: HoldColour,
    /// The grade as the gym gives it, 1 to 16 characters, e.g. "V4", "6b+", "5.11a".
    pub grade: String,
    /// The grading system of `grade`: e.g. vscale, font, french, yds, uiaa, ewbank,
    /// british, or a gym's own scale; 1 to 16 characters of a-z, 0-9 and _.
    pub grade_system: String,
    /// Boulders go on boulder or training walls, the others on lead, top_rope or
    /// auto_belay walls.
    pub discipline: GymDiscipline,
    /// Setters of the same venue credited with the route (up to 10).
    #[serde(default)]
    pub setter_ids: Vec<String>,
    /// Date set, YYYY-MM-DD.
    pub set_on: String,
    /// Planned strip date, YYYY-MM-DD, on or after set_on.
    #[serde(default)]
    pub strip_on: Option<String>,
    /// Optional name, up to 200 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// Up to 10,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Changes to a gym route; omitted fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GymRouteChanges {
    /// Move the route to another wall of the same venue.
    #[serde(default)]
    pub wall_id: Option<String>,
    #[serde(default)]
    pub hold_colour: Option<HoldColour>,
    /// Give grade_system too when the system changes.
    #[serde(default)]
    pub grade: Option<String>,
    #[serde(default)]
    pub grade_system: Option<String>,
    #[serde(default)]
    pub discipline: Option<GymDiscipline>,
    /// Replaces the credited setters ([] credits nobody).
    #[serde(default)]
    pub setter_ids: Option<Vec<String>>,
    #[serde(default)]
    pub set_on: Option<String>,
    #[serde(default)]
    pub strip_on: Option<String>,
    /// set -> closed, closed -> set, set or closed -> stripped; stripped is final.
    #[serde(default)]
    pub status: Option<RouteStatus>,
    /// With status stripped: the date it was stripped (default today, UTC).
    #[serde(default)]
    pub stripped_on: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Where to list gym routes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteScope {
    Wall(String),
    Venue(String),
}

/// A list of gym routes with filters.
#[derive(Debug, Clone)]
pub struct RouteQuery {
    pub scope: RouteScope,
    pub status: StatusFilter,
    pub discipline: Option<GymDiscipline>,
    pub hold_colour: Option<HoldColour>,
    pub setter_id: Option<String>,
    /// The grading system of `min_grade`/`max_grade`.
    pub grade_system: Option<String>,
    pub min_grade: Option<String>,
    pub max_grade: Option<String>,
}

impl RouteQuery {
    pub fn new(scope: RouteScope) -> Self {
        Self {
            scope,
            status: StatusFilter::Current,
            discipline: None,
            hold_colour: None,
            setter_id: None,
            grade_system: None,
            min_grade: None,
            max_grade: None,
        }
    }

    /// The index list the query reads, which its cursors are bound to.
    pub fn list_name(&self) -> String {
        match &self.scope {
            RouteScope::Wall(w) => wall_routes_list(w),
            RouteScope::Venue(v) if self.status.current_only() => current_routes_list(v),
            RouteScope::Venue(v) => venue_routes_list(v),
        }
    }

    fn is_filtered(&self) -> bool {
        self.status != StatusFilter::Any
            || self.discipline.is_some()
            || self.hold_colour.is_some()
            || self.setter_id.is_some()
            || self.min_grade.is_some()
            || self.max_grade.is_some()
    }
}

// ---- outputs of the aggregates ----------------------------------------------------

/// The routes of a venue due for stripping.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct DueForStrip {
    pub venue_id: String,
    /// Routes whose strip_on is on or before this date (YYYY-MM-DD).
    pub on_or_before: String,
    /// Earliest strip_on first; at most `limit` of them.
    pub routes: Vec<GymRoute>,
    /// How many current routes are due in all (may exceed the routes returned).
    pub total_due: usize,
    /// Current routes read.
    pub scanned_routes: usize,
    /// False when the venue has more than 5,000 current routes and only the first
    /// 5,000 were read.
    pub complete: bool,
}

/// How many routes of one grade a venue has up.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct GradeCount {
    pub grade: String,
    pub grade_system: String,
    /// The grade's numeric score (absent when the grade cannot be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Routes up with this grade (set plus closed).
    pub count: usize,
    /// Of those, the ones currently closed.
    pub closed: usize,
}

/// The grades up for one discipline.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct DisciplineGrades {
    pub discipline: GymDiscipline,
    pub routes: usize,
    /// Easiest first (by score); unreadable grades last.
    pub grades: Vec<GradeCount>,
}

/// A venue's current set by discipline and grade.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct GradeDistribution {
    pub venue_id: String,
    /// Routes up (set or closed).
    pub total_routes: usize,
    pub disciplines: Vec<DisciplineGrades>,
    /// False when the venue has more than 5,000 current routes and only the first
    /// 5,000 were counted.
    pub complete: bool,
}

/// Routes per discipline.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct DisciplineCount {
    pub discipline: GymDiscipline,
    pub routes: usize,
}

/// What one setter set in a date range.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct SetterStat {
    pub setter_id: String,
    /// Absent when the setter record is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Routes credited (a route with two setters counts for both).
    pub routes: usize,
    pub by_discipline: Vec<DisciplineCount>,
}

/// Routes set per setter at a venue in a date range.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct SetterStats {
    pub venue_id: String,
    /// First day counted, YYYY-MM-DD.
    pub from: String,
    /// Last day counted, YYYY-MM-DD.
    pub to: String,
    /// Routes set in the range, stripped ones included.
    pub total_routes: usize,
    /// Routes in the range that credit no setter.
    pub unattributed_routes: usize,
    /// Most routes first.
    pub setters: Vec<SetterStat>,
    /// False when the range holds more than 5,000 routes and only the first 5,000
    /// were counted; narrow the range.
    pub complete: bool,
}

/// The outcome of stripping one route.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct StripOutcome {
    pub id: String,
    /// False when the route was already stripped (nothing changed).
    pub changed: bool,
    pub route: GymRoute,
}

// ---- dates ----------------------------------------------------------------------

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (y, m, d) = (y as i64, m, d);
    ((1900..=2200).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m))
        .then_some((y, m, d))
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

/// The UTC date of `now_ms`, YYYY-MM-DD.
pub fn date_of_ms(now_ms: u64) -> String {
    let days = (now_ms / 86_400_000) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The months (YYYY-MM) from the month of `from` to the month of `to`, inclusive.
fn months(from: &str, to: &str) -> Vec<String> {
    let (Some((mut y, mut m, _)), Some((ty, tm, _))) = (parse_date(from), parse_date(to)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while (y, m) <= (ty, tm) && out.len() <= MAX_STATS_MONTHS {
        out.push(format!("{y:04}-{m:02}"));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

/// The first day of the month `back` months before the month of `date`.
fn months_before(date: &str, back: u32) -> String {
    let (y, m, _) = parse_date(date).unwrap_or((1970, 1, 1));
    let total = y * 12 + (m as i64 - 1) - back as i64;
    format!(
        "{:04}-{:02}-01",
        total.div_euclid(12),
        total.rem_euclid(12) + 1
    )
}

// ---- field rules ----------------------------------------------------------------

fn grade_text(value: &str) -> DomainResult<String> {
    let g = value.trim();
    if g.is_empty() || g.chars().count() > MAX_GRADE_CHARS || g.chars().any(char::is_control) {
        return invalid(format!(
            "grade \"{}\" is not a grade: use 1 to {MAX_GRADE_CHARS} characters such as V4, 6b+ or 5.11a",
            value.chars().take(40).collect::<String>()
        ));
    }
    Ok(g.to_owned())
}

fn grade_system(value: &str) -> DomainResult<String> {
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

fn website(value: Option<String>) -> DomainResult<Option<String>> {
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

fn short_text(field: &str, value: Option<String>) -> DomainResult<Option<String>> {
    Ok(
        validate::optional_text(field, value, validate::MAX_NAME_CHARS)?
            .map(|v| v.trim().to_owned()),
    )
}

fn notes(value: Option<String>) -> DomainResult<Option<String>> {
    validate::optional_text("notes", value, validate::MAX_TEXT_CHARS)
}

fn angle_degrees(value: Option<f64>) -> DomainResult<Option<f64>> {
    match value {
        Some(d) if !(-90.0..=90.0).contains(&d) => invalid(format!(
            "angle_degrees {d} is out of range: give degrees past vertical, -90 (flat slab) to 90 (roof), 0 for vertical"
        )),
        v => Ok(v),
    }
}

fn height(value: Option<f64>) -> DomainResult<Option<f64>> {
    match value {
        Some(h) if !(h > 0.0 && h <= 100.0) => invalid(format!(
            "height_m {h} is out of range: give the wall's height in metres, more than 0 and at most 100"
        )),
        v => Ok(v),
    }
}

fn check_dates(set_on: &str, strip_on: Option<&str>) -> DomainResult<()> {
    if let Some(strip) = strip_on {
        if strip < set_on {
            return invalid(format!(
                "strip_on {strip} is before set_on {set_on}: a route is stripped on or after the day it is set; give a later strip_on"
            ));
        }
    }
    Ok(())
}

fn check_discipline(wall: &Wall, discipline: GymDiscipline) -> DomainResult<()> {
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

fn check_transition(route: &GymRoute, to: RouteStatus) -> DomainResult<()> {
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

fn dedup(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

// ---- the domain -----------------------------------------------------------------

impl Climbing<'_> {
    fn now(&self) -> u64 {
        self.store.platform().now_ms()
    }

    /// Today's date (UTC), YYYY-MM-DD.
    pub fn today(&self) -> String {
        date_of_ms(self.now())
    }

    /// An existing parent not being deleted; `hint` says where to find or make one.
    fn live_parent<R: Guarded>(&self, field: &str, id: &str, hint: &str) -> DomainResult<R> {
        validate::id(field, id)?;
        let parent: R = self.store.get(id)?.ok_or_else(|| {
            DomainError::Invalid(format!(
                "{field} \"{id}\" is not an existing {}; {hint}",
                R::KIND
            ))
        })?;
        if parent.lease().is_some_and(|until| until > self.now()) {
            return invalid(format!(
                "{} is being deleted; nothing can be added to it. If the delete fails it will be usable again within a minute",
                parent.label()
            ));
        }
        Ok(parent)
    }

    /// Deletes a record others depend on through the guarded delete of the record
    /// lifecycle, under a lease of [`DELETE_LEASE_MS`].
    fn delete_guarded<R: Guarded + Listed>(
        &self,
        id: &str,
        expected_version: Option<u64>,
        dependents: impl Fn(&R) -> DomainResult<()>,
    ) -> DomainResult<R> {
        validate::id("id", id)?;
        self.store.delete_guarded(
            id,
            expected_version,
            self.now() + DELETE_LEASE_MS,
            dependents,
        )
    }

    // ---- venues -------------------------------------------------------------------

    pub fn create_venue(&self, new: NewVenue) -> DomainResult<Venue> {
        let name = validate::name("name", &new.name)?;
        let city = short_text("city", new.city)?;
        let country = short_text("country", new.country)?;
        let location = validate::location("location", new.location)?;
        let website = website(new.website)?;
        let notes = notes(new.notes)?;
        self.store.create(
            |id| Venue {
                id,
                version: 1,
                name: name.clone(),
                city: city.clone(),
                country: country.clone(),
                location,
                website: website.clone(),
                notes: notes.clone(),
                deleting_until_ms: None,
                audit: self.audit_new(),
            },
            |_| Ok::<(), DomainError>(()),
        )
    }

    pub fn get_venue(&self, id: &str) -> DomainResult<Venue> {
        validate::id("id", id)?;
        Ok(self.store.require(id)?)
    }

    pub fn update_venue(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: VenueChanges,
    ) -> DomainResult<Venue> {
        validate::id("id", id)?;
        let name = validate::optional_name("name", changes.name.as_deref())?;
        let city = short_text("city", changes.city)?;
        let country = short_text("country", changes.country)?;
        let location = validate::location("location", changes.location)?;
        let website = website(changes.website)?;
        let notes = notes(changes.notes)?;
        self.store.update(id, expected_version, |v: &mut Venue| {
            if let Some(n) = &name {
                v.name = n.clone();
            }
            v.city = city.clone().or(v.city.take());
            v.country = country.clone().or(v.country.take());
            v.location = location.or(v.location);
            v.website = website.clone().or(v.website.take());
            v.notes = notes.clone().or(v.notes.take());
            self.touch(&mut v.audit);
            Ok::<(), DomainError>(())
        })
    }

    pub fn list_venues(
        &self,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Venue>, Option<Position>)> {
        let scan = self
            .store
            .scan(&venues_list(), from, limit, limit, limit, &|_: &Venue| true)?;
        Ok((scan.items, scan.next))
    }

    /// Deletes a venue that has no walls and no setters left.
    pub fn delete_venue(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Venue> {
        let venue = self.delete_guarded(id, expected_version, |v: &Venue| {
            if let Some(w) = self.store.first_in(&walls_list(&v.id), &|w: &Wall| w.venue_id == v.id)? {
                return invalid(format!(
                    "{} still has walls (such as \"{}\", {}); delete its walls with delete_wall first (list them with list_walls)",
                    v.label(),
                    w.name,
                    w.id
                ));
            }
            if let Some(s) =
                self.store.first_in(&setters_list(&v.id), &|s: &Setter| s.venue_id == v.id)?
            {
                return invalid(format!(
                    "{} still has setters (such as \"{}\", {}); delete them with delete_setter first (list them with list_setters)",
                    v.label(),
                    s.name,
                    s.id
                ));
            }
            Ok(())
        })?;
        Ok(venue)
    }

    // ---- walls --------------------------------------------------------------------

    pub fn create_wall(&self, new: NewWall) -> DomainResult<Wall> {
        let name = validate::name("name", &new.name)?;
        let degrees = angle_degrees(new.angle_degrees)?;
        let height_m = height(new.height_m)?;
        let notes = notes(new.notes)?;
        let angle = new.angle.or(degrees.map(WallAngle::of_degrees));
        let venue: Venue = self.live_parent(
            "venue_id",
            &new.venue_id,
            "find it with list_venues or create it with create_venue first",
        )?;
        self.store.create(
            |id| Wall {
                id,
                version: 1,
                venue_id: venue.id.clone(),
                name: name.clone(),
                kind: new.kind,
                angle,
                angle_degrees: degrees,
                height_m,
                notes: notes.clone(),
                deleting_until_ms: None,
                audit: self.audit_new(),
            },
            |_| {
                self.live_parent::<Venue>("venue_id", &venue.id, "it was deleted meanwhile")
                    .map(|_| ())
            },
        )
    }

    pub fn get_wall(&self, id: &str) -> DomainResult<Wall> {
        validate::id("id", id)?;
        Ok(self.store.require(id)?)
    }

    pub fn update_wall(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: WallChanges,
    ) -> DomainResult<Wall> {
        validate::id("id", id)?;
        let name = validate::optional_name("name", changes.name.as_deref())?;
        let degrees = angle_degrees(changes.angle_degrees)?;
        let height_m = height(changes.height_m)?;
        let notes = notes(changes.notes)?;
        self.store.update(id, expected_version, |w: &mut Wall| {
            if let Some(n) = &name {
                w.name = n.clone();
            }
            w.kind = changes.kind.unwrap_or(w.kind);
            if let Some(d) = degrees {
                w.angle_degrees = Some(d);
                if changes.angle.is_none() {
                    w.angle = Some(WallAngle::of_degrees(d));
                }
            }
            w.angle = changes.angle.or(w.angle);
            w.height_m = height_m.or(w.height_m);
            w.notes = notes.clone().or(w.notes.take());
            self.touch(&mut w.audit);
            Ok::<(), DomainError>(())
        })
    }

    pub fn list_walls(
        &self,
        venue_id: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Wall>, Option<Position>)> {
        validate::id("venue_id", venue_id)?;
        let scan = self.store.scan(
            &walls_list(venue_id),
            from,
            limit,
            limit,
            limit,
            &|w: &Wall| w.venue_id == venue_id,
        )?;
        Ok((scan.items, scan.next))
    }

    /// Deletes a wall with no routes left (stripped ones included).
    pub fn delete_wall(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Wall> {
        let wall = self.delete_guarded(id, expected_version, |w: &Wall| {
            if let Some(r) =
                self.store.first_in(&wall_routes_list(&w.id), &|r: &GymRoute| r.wall_id == w.id)?
            {
                return invalid(format!(
                    "{} still has routes (such as {}); delete them with delete_gym_route first, stripped ones too (list them with list_gym_routes, wall_id {} and status any)",
                    w.label(),
                    r.label(),
                    w.id
                ));
            }
            Ok(())
        })?;
        Ok(wall)
    }

    // ---- setters ------------------------------------------------------------------

    pub fn create_setter(&self, new: NewSetter) -> DomainResult<Setter> {
        let name = validate::name("name", &new.name)?;
        let venue: Venue = self.live_parent(
            "venue_id",
            &new.venue_id,
            "find it with list_venues or create it with create_venue first",
        )?;
        self.store.create(
            |id| Setter {
                id,
                version: 1,
                venue_id: venue.id.clone(),
                name: name.clone(),
                active: new.active.unwrap_or(true),
                deleting_until_ms: None,
                audit: self.audit_new(),
            },
            |_| {
                self.live_parent::<Venue>("venue_id", &venue.id, "it was deleted meanwhile")
                    .map(|_| ())
            },
        )
    }

    pub fn get_setter(&self, id: &str) -> DomainResult<Setter> {
        validate::id("id", id)?;
        Ok(self.store.require(id)?)
    }

    pub fn update_setter(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: SetterChanges,
    ) -> DomainResult<Setter> {
        validate::id("id", id)?;
        let name = validate::optional_name("name", changes.name.as_deref())?;
        self.store.update(id, expected_version, |s: &mut Setter| {
            if let Some(n) = &name {
                s.name = n.clone();
            }
            s.active = changes.active.unwrap_or(s.active);
            self.touch(&mut s.audit);
            Ok::<(), DomainError>(())
        })
    }

    pub fn list_setters(
        &self,
        venue_id: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<Setter>, Option<Position>)> {
        validate::id("venue_id", venue_id)?;
        let scan = self.store.scan(
            &setters_list(venue_id),
            from,
            limit,
            limit,
            limit,
            &|s: &Setter| s.venue_id == venue_id,
        )?;
        Ok((scan.items, scan.next))
    }

    /// Deletes a setter no route credits.
    pub fn delete_setter(&self, id: &str, expected_version: Option<u64>) -> DomainResult<Setter> {
        let setter = self.delete_guarded(id, expected_version, |s: &Setter| {
            if let Some(r) = self.store.first_in(&setter_routes_list(&s.id), &|r: &GymRoute| {
                r.setter_ids.contains(&s.id)
            })? {
                return invalid(format!(
                    "{} is credited on routes (such as {}); mark the setter inactive with update_setter (active false) to keep the history, or take them off those routes with update_gym_route first",
                    s.label(),
                    r.label()
                ));
            }
            Ok(())
        })?;
        Ok(setter)
    }

    // ---- gym routes ---------------------------------------------------------------

    fn route_wall(&self, wall_id: &str) -> DomainResult<Wall> {
        self.live_parent(
            "wall_id",
            wall_id,
            "find it with list_walls or create it with create_wall first",
        )
    }

    /// Checks that `setter_ids` are setters of `venue_id` not being deleted.
    fn route_setters(&self, venue_id: &str, setter_ids: &[String]) -> DomainResult<()> {
        if setter_ids.len() > MAX_ROUTE_SETTERS {
            return invalid(format!(
                "setter_ids lists {} setters; credit at most {MAX_ROUTE_SETTERS}",
                setter_ids.len()
            ));
        }
        for id in setter_ids {
            let setter: Setter = self.live_parent(
                "setter_ids",
                id,
                "find the venue's setters with list_setters or add one with create_setter",
            )?;
            if setter.venue_id != venue_id {
                return invalid(format!(
                    "{} sets at another venue ({}), not at this route's venue ({venue_id}); credit setters of the route's venue (list_setters) or add the setter there with create_setter",
                    setter.label(),
                    setter.venue_id
                ));
            }
        }
        Ok(())
    }

    /// That the wall and setters of `route` still stand (after a write).
    fn route_parents_stand(&self, route: &GymRoute) -> DomainResult<()> {
        self.route_wall(&route.wall_id)?;
        self.route_setters(&route.venue_id, &route.setter_ids)
    }

    pub fn create_gym_route(&self, new: NewGymRoute) -> DomainResult<GymRoute> {
        let grade = grade_text(&new.grade)?;
        let system = grade_system(&new.grade_system)?;
        let set_on = date("set_on", &new.set_on)?;
        let strip_on = new
            .strip_on
            .as_deref()
            .map(|d| date("strip_on", d))
            .transpose()?;
        check_dates(&set_on, strip_on.as_deref())?;
        let name = short_text("name", new.name)?;
        let notes = notes(new.notes)?;
        let setter_ids = dedup(&new.setter_ids);
        let wall = self.route_wall(&new.wall_id)?;
        check_discipline(&wall, new.discipline)?;
        self.route_setters(&wall.venue_id, &setter_ids)?;
        let template = GymRoute {
            id: String::new(),
            version: 1,
            venue_id: wall.venue_id.clone(),
            wall_id: wall.id.clone(),
            name,
            hold_colour: new.hold_colour,
            grade,
            grade_system: system,
            discipline: new.discipline,
            setter_ids,
            set_on,
            strip_on,
            stripped_on: None,
            status: RouteStatus::Set,
            notes,
            audit: self.audit_new(),
        };
        self.store.create(
            |id| GymRoute {
                id,
                ..template.clone()
            },
            |route| self.route_parents_stand(route),
        )
    }

    pub fn get_gym_route(&self, id: &str) -> DomainResult<GymRoute> {
        validate::id("id", id)?;
        Ok(self.store.require(id)?)
    }

    /// `route` with `changes` applied and checked (reads the wall and new setters).
    fn changed_route(
        &self,
        route: &GymRoute,
        changes: &GymRouteChanges,
        today: &str,
    ) -> DomainResult<GymRoute> {
        let mut next = route.clone();
        if let Some(g) = &changes.grade {
            next.grade = grade_text(g)?;
        }
        if let Some(s) = &changes.grade_system {
            next.grade_system = grade_system(s)?;
        }
        if let Some(d) = &changes.set_on {
            next.set_on = date("set_on", d)?;
        }
        if let Some(d) = &changes.strip_on {
            next.strip_on = Some(date("strip_on", d)?);
        }
        if let Some(n) = short_text("name", changes.name.clone())? {
            next.name = Some(n);
        }
        if let Some(n) = notes(changes.notes.clone())? {
            next.notes = Some(n);
        }
        next.hold_colour = changes.hold_colour.unwrap_or(next.hold_colour);
        next.discipline = changes.discipline.unwrap_or(next.discipline);
        if let Some(ids) = &changes.setter_ids {
            next.setter_ids = dedup(ids);
        }
        if changes.stripped_on.is_some() && changes.status != Some(RouteStatus::Stripped) {
            return invalid(
                "stripped_on goes with status stripped; to strip the route send both, or use strip_gym_routes",
            );
        }
        if let Some(status) = changes.status {
            check_transition(route, status)?;
            // Stripping sets stripped_on; on a stripped route it can be corrected.
            if status == RouteStatus::Stripped
                && (route.status != RouteStatus::Stripped || changes.stripped_on.is_some())
            {
                let on = match &changes.stripped_on {
                    Some(d) => date("stripped_on", d)?,
                    None => today.to_owned(),
                };
                next.stripped_on = Some(on);
            }
            next.status = status;
        }
        check_dates(&next.set_on, next.strip_on.as_deref())?;
        if let Some(stripped) = next.stripped_on.as_deref() {
            if stripped < next.set_on.as_str() {
                return invalid(format!(
                    "stripped_on {stripped} is before set_on {}: a route is stripped on or after the day it is set",
                    next.set_on
                ));
            }
        }
        let wall_id = changes.wall_id.as_deref().unwrap_or(&route.wall_id);
        let wall = self.route_wall(wall_id)?;
        if wall.venue_id != route.venue_id {
            return invalid(format!(
                "wall \"{}\" ({}) is at another venue; a route moves only between walls of its own venue. Create a new route at the other venue instead",
                wall.name, wall.id
            ));
        }
        if wall.id != route.wall_id || next.discipline != route.discipline {
            check_discipline(&wall, next.discipline)?;
        }
        next.wall_id = wall.id;
        let added: Vec<String> = next
            .setter_ids
            .iter()
            .filter(|s| !route.setter_ids.contains(s))
            .cloned()
            .collect();
        if next.setter_ids.len() > MAX_ROUTE_SETTERS {
            return invalid(format!(
                "setter_ids lists {} setters; credit at most {MAX_ROUTE_SETTERS}",
                next.setter_ids.len()
            ));
        }
        self.route_setters(&route.venue_id, &added)?;
        Ok(next)
    }

    /// Writes `route` changed by `change` through the record lifecycle (index
    /// entries move with it), putting it back if a new wall or setter it now names
    /// was deleted meanwhile.
    fn rewrite_route(
        &self,
        id: &str,
        expected_version: Option<u64>,
        change: impl Fn(&GymRoute) -> DomainResult<Option<GymRoute>>,
    ) -> DomainResult<(GymRoute, bool)> {
        validate::id("id", id)?;
        self.store.rewrite(
            id,
            expected_version,
            |current: &GymRoute| {
                Ok(change(current)?.map(|mut next| {
                    self.touch(&mut next.audit);
                    next
                }))
            },
            |before, after| {
                let new_parents = after.wall_id != before.wall_id
                    || after
                        .setter_ids
                        .iter()
                        .any(|s| !before.setter_ids.contains(s));
                if new_parents {
                    self.route_parents_stand(after)?;
                }
                Ok(())
            },
        )
    }

    pub fn update_gym_route(
        &self,
        id: &str,
        expected_version: Option<u64>,
        changes: GymRouteChanges,
    ) -> DomainResult<GymRoute> {
        let today = self.today();
        let (route, _) = self.rewrite_route(id, expected_version, |current| {
            self.changed_route(current, &changes, &today).map(Some)
        })?;
        Ok(route)
    }

    /// Deletes a gym route (its history goes too; to take it down, strip it).
    pub fn delete_gym_route(
        &self,
        id: &str,
        expected_version: Option<u64>,
    ) -> DomainResult<GymRoute> {
        validate::id("id", id)?;
        self.store
            .delete_listed(id, expected_version, |_: &GymRoute| Ok(()), |_| Ok(()))
    }

    /// Checks a route query and returns the grade range as scores.
    fn query_range(&self, q: &RouteQuery) -> DomainResult<(Option<f64>, Option<f64>)> {
        match &q.scope {
            RouteScope::Wall(w) => validate::id("wall_id", w)?,
            RouteScope::Venue(v) => validate::id("venue_id", v)?,
        }
        if let Some(s) = &q.setter_id {
            validate::id("setter_id", s)?;
        }
        if q.min_grade.is_none() && q.max_grade.is_none() {
            return Ok((None, None));
        }
        let Some(system) = q.grade_system.as_deref() else {
            return invalid(
                "min_grade and max_grade need grade_system, the system they are written in (e.g. vscale for V4, french for 6b+)",
            );
        };
        let system = grade_system(system)?;
        let bound = |field: &str, text: &Option<String>| -> DomainResult<Option<f64>> {
            match text {
                None => Ok(None),
                Some(t) => grade_score(&system, t).map(Some).ok_or_else(|| {
                    DomainError::Invalid(format!(
                        "{field} \"{t}\" is not a grade the server can read in the {system} system; check the grade and grade_system (e.g. V4 with vscale, 6b+ with french)"
                    ))
                }),
            }
        };
        let (min, max) = (
            bound("min_grade", &q.min_grade)?,
            bound("max_grade", &q.max_grade)?,
        );
        if let (Some(a), Some(b)) = (min, max) {
            if a > b {
                return invalid("min_grade is harder than max_grade; swap them");
            }
        }
        Ok((min, max))
    }

    /// A page of gym routes matching `q`. Filtered lists read at most
    /// [`FILTER_SCAN_ENTRIES`] index entries per call, so a page may hold fewer than
    /// `limit` routes (even none) while a next position is returned.
    pub fn list_gym_routes(
        &self,
        q: &RouteQuery,
        from: Option<&Position>,
        limit: usize,
    ) -> DomainResult<(Vec<GymRoute>, Option<Position>)> {
        let (min, max) = self.query_range(q)?;
        // Scores only compare within a discipline: a V-scale range never matches a
        // French route whose score happens to fall inside it.
        let kind = q
            .grade_system
            .as_deref()
            .and_then(GradeSystem::parse_name)
            .map(GradeSystem::discipline);
        let keep = |r: &GymRoute| -> bool {
            let in_scope = match &q.scope {
                RouteScope::Wall(w) => &r.wall_id == w,
                RouteScope::Venue(v) => &r.venue_id == v,
            };
            let same_kind =
                GradeSystem::parse_name(&r.grade_system).map(GradeSystem::discipline) == kind;
            let in_range = if min.is_some() || max.is_some() {
                match r.score().filter(|_| same_kind) {
                    Some(s) => min.is_none_or(|m| s >= m) && max.is_none_or(|m| s <= m),
                    None => false,
                }
            } else {
                true
            };
            in_scope
                && in_range
                && q.status.accepts(r.status)
                && q.discipline.is_none_or(|d| d == r.discipline)
                && q.hold_colour.is_none_or(|c| c == r.hold_colour)
                && q.setter_id
                    .as_ref()
                    .is_none_or(|s| r.setter_ids.contains(s))
        };
        let chunk = if q.is_filtered() { CHUNK } else { limit };
        let scan = self.store.scan(
            &q.list_name(),
            from,
            limit,
            FILTER_SCAN_ENTRIES,
            chunk,
            &keep,
        )?;
        Ok((scan.items, scan.next))
    }

    /// Marks routes stripped (on `stripped_on`, default today). Every route is
    /// checked first, so a refusal changes nothing; routes already stripped are left
    /// as they are.
    pub fn strip_gym_routes(
        &self,
        ids: &[String],
        stripped_on: Option<&str>,
    ) -> DomainResult<Vec<StripOutcome>> {
        let ids = dedup(ids);
        if ids.is_empty() || ids.len() > MAX_STRIP_BATCH {
            return invalid(format!(
                "ids lists {} routes; strip 1 to {MAX_STRIP_BATCH} routes per call",
                ids.len()
            ));
        }
        for id in &ids {
            validate::id("ids", id)?;
        }
        let on = match stripped_on {
            Some(d) => date("stripped_on", d)?,
            None => self.today(),
        };
        let routes: Vec<GymRoute> = self.store.get_many(&ids)?;
        if routes.len() != ids.len() {
            let missing: Vec<&str> = ids
                .iter()
                .filter(|id| !routes.iter().any(|r| &r.id == *id))
                .map(String::as_str)
                .collect();
            return invalid(format!(
                "no gym route with id {}; nothing was stripped. Check the ids with list_gym_routes",
                missing.join(", ")
            ));
        }
        for r in &routes {
            if r.status != RouteStatus::Stripped && on < r.set_on {
                return invalid(format!(
                    "{} was set on {}, after stripped_on {on}; nothing was stripped. Give a stripped_on on or after every route's set_on",
                    r.label(),
                    r.set_on
                ));
            }
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            let (route, changed) = self.rewrite_route(id, None, |current| {
                if current.status == RouteStatus::Stripped {
                    return Ok(None);
                }
                if on < current.set_on {
                    return invalid(format!(
                        "{} was set on {}, after stripped_on {on}",
                        current.label(),
                        current.set_on
                    ));
                }
                let mut next = current.clone();
                next.status = RouteStatus::Stripped;
                next.stripped_on = Some(on.clone());
                Ok(Some(next))
            })?;
            out.push(StripOutcome {
                id: id.clone(),
                changed,
                route,
            });
        }
        Ok(out)
    }

    /// The venue's current routes (set or closed), up to [`MAX_AGGREGATE_ROUTES`];
    /// the flag says whether all were read.
    fn current_routes(&self, venue_id: &str) -> DomainResult<(Vec<GymRoute>, bool)> {
        validate::id("venue_id", venue_id)?;
        self.store.require::<Venue>(venue_id)?;
        let scan = self.store.scan(
            &current_routes_list(venue_id),
            None,
            usize::MAX,
            MAX_AGGREGATE_ROUTES,
            CHUNK,
            &|r: &GymRoute| r.venue_id == venue_id && r.status != RouteStatus::Stripped,
        )?;
        Ok((scan.items, scan.next.is_none()))
    }

    /// Current routes of a venue whose planned strip date is on or before `on_or_before`
    /// (default today), earliest first, at most `limit`.
    pub fn routes_due_for_strip(
        &self,
        venue_id: &str,
        on_or_before: Option<&str>,
        limit: usize,
    ) -> DomainResult<DueForStrip> {
        let day = match on_or_before {
            Some(d) => date("on_or_before", d)?,
            None => self.today(),
        };
        let (routes, complete) = self.current_routes(venue_id)?;
        let scanned_routes = routes.len();
        let mut due: Vec<GymRoute> = routes
            .into_iter()
            .filter(|r| r.strip_on.as_deref().is_some_and(|s| s <= day.as_str()))
            .collect();
        due.sort_by(|a, b| {
            (&a.strip_on, &a.wall_id, &a.set_on).cmp(&(&b.strip_on, &b.wall_id, &b.set_on))
        });
        let total_due = due.len();
        due.truncate(limit);
        Ok(DueForStrip {
            venue_id: venue_id.to_owned(),
            on_or_before: day,
            routes: due,
            total_due,
            scanned_routes,
            complete,
        })
    }

    /// The venue's current routes counted per discipline and grade.
    pub fn venue_grade_distribution(
        &self,
        venue_id: &str,
        discipline: Option<GymDiscipline>,
    ) -> DomainResult<GradeDistribution> {
        let (routes, complete) = self.current_routes(venue_id)?;
        let mut groups: BTreeMap<GymDiscipline, BTreeMap<(String, String), GradeCount>> =
            BTreeMap::new();
        let mut total_routes = 0;
        for r in routes
            .iter()
            .filter(|r| discipline.is_none_or(|d| d == r.discipline))
        {
            total_routes += 1;
            let entry = groups
                .entry(r.discipline)
                .or_default()
                .entry((r.grade_system.clone(), r.grade.clone()))
                .or_insert_with(|| GradeCount {
                    grade: r.grade.clone(),
                    grade_system: r.grade_system.clone(),
                    score: r.score(),
                    count: 0,
                    closed: 0,
                });
            entry.count += 1;
            if r.status == RouteStatus::Closed {
                entry.closed += 1;
            }
        }
        let disciplines = groups
            .into_iter()
            .map(|(discipline, grades)| {
                let mut grades: Vec<GradeCount> = grades.into_values().collect();
                grades.sort_by(|a, b| match (a.score, b.score) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => (&a.grade_system, &a.grade).cmp(&(&b.grade_system, &b.grade)),
                });
                DisciplineGrades {
                    discipline,
                    routes: grades.iter().map(|g| g.count).sum(),
                    grades,
                }
            })
            .collect();
        Ok(GradeDistribution {
            venue_id: venue_id.to_owned(),
            total_routes,
            disciplines,
            complete,
        })
    }

    /// Routes set per setter at a venue between `from` and `to` (inclusive; default
    /// the last twelve months up to today), read month by month.
    pub fn setter_stats(
        &self,
        venue_id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> DomainResult<SetterStats> {
        validate::id("venue_id", venue_id)?;
        let to = match to {
            Some(d) => date("to", d)?,
            None => self.today(),
        };
        let from = match from {
            Some(d) => date("from", d)?,
            None => months_before(&to, 11),
        };
        if from > to {
            return invalid(format!(
                "from {from} is after to {to}; give from on or before to"
            ));
        }
        let months = months(&from, &to);
        if months.len() > MAX_STATS_MONTHS {
            return invalid(format!(
                "from {from} to {to} spans more than {MAX_STATS_MONTHS} months; ask for a shorter range (several calls for longer periods)"
            ));
        }
        self.store.require::<Venue>(venue_id)?;
        let mut routes: Vec<GymRoute> = Vec::new();
        let mut complete = true;
        for month in &months {
            let budget = MAX_AGGREGATE_ROUTES - routes.len();
            if budget == 0 {
                complete = false;
                break;
            }
            let scan = self.store.scan(
                &month_routes_list(venue_id, month),
                None,
                usize::MAX,
                budget,
                CHUNK,
                &|r: &GymRoute| {
                    r.venue_id == venue_id
                        && r.set_on.starts_with(month.as_str())
                        && r.set_on >= from
                        && r.set_on <= to
                },
            )?;
            if scan.next.is_some() {
                complete = false;
            }
            routes.extend(scan.items);
        }
        let mut per: BTreeMap<String, BTreeMap<GymDiscipline, usize>> = BTreeMap::new();
        let mut unattributed_routes = 0;
        for r in &routes {
            if r.setter_ids.is_empty() {
                unattributed_routes += 1;
            }
            for s in &r.setter_ids {
                *per.entry(s.clone())
                    .or_default()
                    .entry(r.discipline)
                    .or_default() += 1;
            }
        }
        let ids: Vec<String> = per.keys().cloned().collect();
        let setters: Vec<Setter> = self.store.get_many(&ids)?;
        let mut stats: Vec<SetterStat> = per
            .into_iter()
            .map(|(setter_id, by)| {
                let setter = setters.iter().find(|s| s.id == setter_id);
                SetterStat {
                    name: setter.map(|s| s.name.clone()),
                    active: setter.map(|s| s.active),
                    routes: by.values().sum(),
                    by_discipline: by
                        .into_iter()
                        .map(|(discipline, routes)| DisciplineCount { discipline, routes })
                        .collect(),
                    setter_id,
                }
            })
            .collect();
        stats.sort_by(|a, b| b.routes.cmp(&a.routes).then(a.setter_id.cmp(&b.setter_id)));
        Ok(SetterStats {
            venue_id: venue_id.to_owned(),
            from,
            to,
            total_routes: routes.len(),
            unattributed_routes,
            setters: stats,
            complete,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::memory::MemoryPlatform;
    use crate::platform::KeyValue;
    use crate::store::index::IndexList;
    use crate::store::{Store, StoreError};

    impl Climbing<'_> {
        fn index(&self, name: &str) -> IndexList<'_> {
            IndexList::new(self.store.kv(), name)
        }
    }

    fn gym(p: &MemoryPlatform) -> Climbing<'_> {
        Climbing::new(Store::new(p), "tester")
    }

    /// Every key and value in the store, to prove a refusal wrote nothing.
    fn snapshot(p: &MemoryPlatform) -> Vec<(String, Option<Vec<u8>>)> {
        p.kv.keys()
            .into_iter()
            .map(|k| {
                let v = p.kv.get(&k).unwrap();
                (k, v)
            })
            .collect()
    }

    fn refused<T: std::fmt::Debug>(r: DomainResult<T>, needle: &str) -> String {
        match r {
            Err(DomainError::Invalid(m)) => {
                assert!(m.contains(needle), "message {m:?} lacks {needle:?}");
                m
            }
            other => panic!("expected a refusal containing {needle:?}, got {other:?}"),
        }
    }

    struct Fixture {
        venue: Venue,
        boulder_wall: Wall,
        lead_wall: Wall,
        ana: Setter,
        ben: Setter,
    }

    fn fixture(c: &Climbing) -> Fixture {
        let venue = c
            .create_venue(NewVenue {
                name: "  Crimp City ".into(),
                city: Some("Leeds".into()),
                country: Some("UK".into()),
                location: Some(LatLng {
                    lat: 53.8,
                    lng: -1.55,
                }),
                website: Some("https://crimp.example".into()),
                notes: None,
            })
            .unwrap();
        assert_eq!(venue.name, "Crimp City");
        let wall = |name: &str, kind: WallKind, degrees: Option<f64>| NewWall {
            venue_id: venue.id.clone(),
            name: name.into(),
            kind,
            angle: None,
            angle_degrees: degrees,
            height_m: Some(4.5),
            notes: None,
        };
        let boulder_wall = c
            .create_wall(wall("The Cave", WallKind::Boulder, Some(40.0)))
            .unwrap();
        assert_eq!(boulder_wall.angle, Some(WallAngle::Overhang));
        let lead_wall = c
            .create_wall(wall("Lead 1", WallKind::Lead, Some(0.0)))
            .unwrap();
        let setter = |name: &str| NewSetter {
            venue_id: venue.id.clone(),
            name: name.into(),
            active: None,
        };
        let ana = c.create_setter(setter("Ana")).unwrap();
        let ben = c.create_setter(setter("Ben")).unwrap();
        assert!(ana.active);
        Fixture {
            venue,
            boulder_wall,
            lead_wall,
            ana,
            ben,
        }
    }

    fn boulder(wall: &Wall, grade: &str, colour: HoldColour, setters: &[&Setter]) -> NewGymRoute {
        NewGymRoute {
            wall_id: wall.id.clone(),
            hold_colour: colour,
            grade: grade.into(),
            grade_system: "vscale".into(),
            discipline: GymDiscipline::Boulder,
            setter_ids: setters.iter().map(|s| s.id.clone()).collect(),
            set_on: "2025-03-01".into(),
            strip_on: Some("2025-04-01".into()),
            name: None,
            notes: None,
        }
    }

    fn all_routes(c: &Climbing, q: &RouteQuery, limit: usize) -> Vec<GymRoute> {
        let mut out = Vec::new();
        let mut from = None;
        loop {
            let (items, next) = c.list_gym_routes(q, from.as_ref(), limit).unwrap();
            out.extend(items);
            match next {
                Some(p) => from = Some(p),
                None => return out,
            }
        }
    }

    #[test]
    fn a_venue_with_walls_setters_and_routes() {
        let p = MemoryPlatform::default();
        let c = gym(&p);
        let f = fixture(&c);
        let (walls, next) = c.list_walls(&f.venue.id, None, 50).unwrap();
        assert_eq!(
            walls.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(),
            ["The Cave", "Lead 1"]
        );
        assert!(next.is_none());
        let (setters, _) = c.list_setters(&f.venue.id, None, 50).unwrap();
        assert_eq!(setters.len(), 2);
        let (venues, _) = c.list_venues(None, 50).unwrap();
        assert_eq!(venues.len(), 1);

        use HoldColour::*;
        let grades = [
            ("V2", Yellow),
            ("V3", Green),
            ("V4", Blue),
            ("V4", Red),
            ("V5", Black),
            ("V7", Purple),
        ];
        let mut routes = Vec::new();
        for (i, (grade, colour)) in grades.iter().enumerate() {
            let setters: Vec<&Setter> = if i % 2 == 0 {
                vec![&f.ana]
            } else {
                vec![&f.ana, &f.ben]
            };
            routes.push(
                c.create_gym_route(boulder(&f.boulder_wall, grade, *colour, &setters))
                    .unwrap(),
            );
        }
        let lead = c
            .create_gym_route(NewGymRoute {
                wall_id: f.lead_wall.id.clone(),
                hold_colour: White,
                grade: "6b+".into(),
                grade_system: "French".into(),
                discipline: GymDiscipline::Lead,
                setter_ids: vec![f.ben.id.clone(), f.ben.id.clone()],
                set_on: "2025-02-10".into(),
                strip_on: Some("2025-03-20".into()),
                name: Some("Pocket Rocket".into()),
                notes: None,
            })
            .unwrap();
        assert_eq!(lead.grade_system, "french");
        assert_eq!(lead.setter_ids, std::slice::from_ref(&f.ben.id));
        assert_eq!(lead.venue_id, f.venue.id);
        assert_eq!(lead.status, RouteStatus::Set);

        // Lists: a wall, the venue, filters, small pages.
        let venue_q = RouteQuery::new(RouteScope::Venue(f.venue.id.clone()));
        assert_eq!(all_routes(&c, &venue_q, 2).len(), 7);
        let wall_q = RouteQuery::new(RouteScope::Wall(f.boulder_wall.id.clone()));
        assert_eq!(all_routes(&c, &wall_q, 4).len(), 6);
        let q = RouteQuery {
            discipline: Some(GymDiscipline::Lead),
            ..venue_q.clone()
        };
        assert_eq!(all_routes(&c, &q, 50), std::slice::from_ref(&lead));
        let q = RouteQuery {
            grade_system: Some("vscale".into()),
            min_grade: Some("V3".into()),
            max_grade: Some("V5".into()),
            ..venue_q.clone()
        };
        let mid: Vec<String> = all_routes(&c, &q, 1).into_iter().map(|r| r.grade).collect();
        assert_eq!(mid, ["V3", "V4", "V4", "V5"]);
        let q = RouteQuery {
            hold_colour: Some(Blue),
            ..wall_q.clone()
        };
        assert_eq!(all_routes(&c, &q, 50).len(), 1);
        let q = RouteQuery {
            setter_id: Some(f.ben.id.clone()),
            ..venue_q.clone()
        };
        assert_eq!(all_routes(&c, &q, 50).len(), 4);

        // Close one, reopen it; strip two.
        let closed = c
            .update_gym_route(
                &routes[0].id,
                Some(1),
                GymRouteChanges {
                    status: Some(RouteStatus::Closed),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!((closed.status, closed.version), (RouteStatus::Closed, 2));
        let q = RouteQuery {
            status: StatusFilter::Closed,
            ..venue_q.clone()
        };
        assert_eq!(all_routes(&c, &q, 50).len(), 1);
        let stripped = c
            .strip_gym_routes(
                &[routes[1].id.clone(), routes[2].id.clone()],
                Some("2025-04-02"),
            )
            .unwrap();
        assert!(stripped.iter().all(|s| s.changed
            && s.route.status == RouteStatus::Stripped
            && s.route.stripped_on.as_deref() == Some("2025-04-02")));
        // Stripping again changes nothing.
        let again = c.strip_gym_routes(&[routes[1].id.clone()], None).unwrap();
        assert!(!again[0].changed);
        assert_eq!(again[0].route.version, stripped[0].route.version);
        assert_eq!(all_routes(&c, &venue_q, 50).len(), 5);
        let q = RouteQuery {
            status: StatusFilter::Stripped,
            ..venue_q.clone()
        };
        assert_eq!(all_routes(&c, &q, 50).len(), 2);
        let q = RouteQuery {
            status: StatusFilter::Any,
            ..wall_q.clone()
        };
        assert_eq!(all_routes(&c, &q, 50).len(), 6);
        // The current set no longer lists stripped routes at all.
        let current = c
            .index(&current_routes_list(&f.venue.id))
            .slice(None, 50)
            .unwrap();
        assert_eq!(current.ids.len(), 5);

        // Due for strip: the lead route (03-20) and the boulders (04-01) still up.
        let due = c
            .routes_due_for_strip(&f.venue.id, Some("2025-03-31"), 50)
            .unwrap();
        assert_eq!(due.routes, std::slice::from_ref(&lead));
        assert!(due.complete);
        let due = c
            .routes_due_for_strip(&f.venue.id, Some("2025-04-01"), 2)
            .unwrap();
        assert_eq!(due.total_due, 5);
        assert_eq!(due.routes.len(), 2);
        assert_eq!(due.routes[0].id, lead.id);

        // Distribution of what is up: V2 (closed), V4 red, V5, V7 boulders; 6b+ lead.
        let dist = c.venue_grade_distribution(&f.venue.id, None).unwrap();
        assert_eq!(dist.total_routes, 5);
        let boulders = &dist.disciplines[0];
        assert_eq!(boulders.discipline, GymDiscipline::Boulder);
        let spread: Vec<(&str, usize, usize)> = boulders
            .grades
            .iter()
            .map(|g| (g.grade.as_str(), g.count, g.closed))
            .collect();
        assert_eq!(
            spread,
            [("V2", 1, 1), ("V4", 1, 0), ("V5", 1, 0), ("V7", 1, 0)]
        );
        assert_eq!(dist.disciplines[1].discipline, GymDiscipline::Lead);
        let only_lead = c
            .venue_grade_distribution(&f.venue.id, Some(GymDiscipline::Lead))
            .unwrap();
        assert_eq!(only_lead.total_routes, 1);

        // Setter stats count stripped routes too.
        let stats = c
            .setter_stats(&f.venue.id, Some("2025-01-01"), Some("2025-03-31"))
            .unwrap();
        assert_eq!(stats.total_routes, 7);
        assert_eq!(stats.unattributed_routes, 0);
        assert_eq!(stats.setters[0].setter_id, f.ana.id);
        assert_eq!(stats.setters[0].routes, 6);
        assert_eq!(stats.setters[1].name.as_deref(), Some("Ben"));
        assert_eq!(stats.setters[1].routes, 4);
        let march = c
            .setter_stats(&f.venue.id, Some("2025-03-01"), Some("2025-03-01"))
            .unwrap();
        assert_eq!(march.total_routes, 6);
        assert!(march.complete);
    }

    #[test]
    fn moving_and_recrediting_a_route_moves_its_index_entries() {
        let p = MemoryPlatform::default();
        let c = gym(&p);
        let f = fixture(&c);
        let other_boulders = c
            .create_wall(NewWall {
                venue_id: f.venue.id.clone(),
                name: "Slab".into(),
                kind: WallKind::Training,
                angle: None,
                angle_degrees: Some(-10.0),
                height_m: None,
                notes: None,
            })
            .unwrap();
        assert_eq!(other_boulders.angle, Some(WallAngle::Slab));
        let r = c
            .create_gym_route(boulder(&f.boulder_wall, "V1", HoldColour::Pink, &[&f.ana]))
            .unwrap();
        let moved = c
            .update_gym_route(
                &r.id,
                None,
                GymRouteChanges {
                    wall_id: Some(other_boulders.id.clone()),
                    setter_ids: Some(vec![f.ben.id.clone()]),
                    set_on: Some("2025-05-02".into()),
                    strip_on: Some("2025-06-01".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(moved.wall_id, other_boulders.id);
        let ids = |list: String| c.index(&list).slice(None, 50).unwrap().ids;
        assert!(ids(wall_routes_list(&f.boulder_wall.id)).is_empty());
        assert_eq!(
            ids(wall_routes_list(&other_boulders.id)),
            std::slice::from_ref(&r.id)
        );
        assert!(ids(setter_routes_list(&f.ana.id)).is_empty());
        assert_eq!(
            ids(setter_routes_list(&f.ben.id)),
            std::slice::from_ref(&r.id)
        );
        assert!(ids(month_routes_list(&f.venue.id, "2025-03")).is_empty());
        assert_eq!(
            ids(month_routes_list(&f.venue.id, "2025-05")),
            std::slice::from_ref(&r.id)
        );
        // Ana is credited nowhere now, so she can go; Ben cannot.
        c.delete_setter(&f.ana.id, None).unwrap();
        refused(c.delete_setter(&f.ben.id, None), "update_setter");
    }

    #[test]
    fn refusals_change_nothing() {
        let p = MemoryPlatform::default();
        let c = gym(&p);
        let f = fixture(&c);
        let other = c
            .create_venue(NewVenue {
                name: "Other Gym".into(),
                ..Default::default()
            })
            .unwrap();
        let stranger = c
            .create_setter(NewSetter {
                venue_id: other.id.clone(),
                name: "Stranger".into(),
                active: Some(false),
            })
            .unwrap();
        let route = c
            .create_gym_route(boulder(
                &f.boulder_wall,
                "V3",
                HoldColour::Orange,
                &[&f.ana],
            ))
            .unwrap();
        let before = snapshot(&p);

        refused(
            c.create_wall(NewWall {
                venue_id: "nope".into(),
                name: "W".into(),
                kind: WallKind::Lead,
                angle: None,
                angle_degrees: None,
                height_m: None,
                notes: None,
            }),
            "create_venue",
        );
        refused(
            c.create_setter(NewSetter {
                venue_id: "nope".into(),
                name: "S".into(),
                active: None,
            }),
            "is not an existing venue",
        );
        refused(
            c.create_gym_route(boulder(
                &f.boulder_wall,
                "V4",
                HoldColour::Red,
                &[&f.ana, &stranger],
            )),
            "another venue",
        );
        refused(
            c.create_gym_route(NewGymRoute {
                strip_on: Some("2025-02-01".into()),
                ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
            }),
            "before set_on",
        );
        refused(
            c.create_gym_route(NewGymRoute {
                set_on: "2025-02-30".into(),
                ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
            }),
            "YYYY-MM-DD",
        );
        refused(
            c.create_gym_route(NewGymRoute {
                wall_id: "missing".into(),
                ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
            }),
            "is not an existing wall",
        );
        refused(
            c.create_gym_route(boulder(&f.lead_wall, "V4", HoldColour::Red, &[])),
            "boulder or training wall",
        );
        refused(
            c.create_gym_route(NewGymRoute {
                grade: "an extremely hard grade".into(),
                ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
            }),
            "not a grade",
        );
        refused(
            c.create_gym_route(NewGymRoute {
                grade_system: "V scale!".into(),
                ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
            }),
            "grading system",
        );
        // A colour outside the list does not even parse, and says which ones exist.
        let mut bad = serde_json::json!({
            "wall_id": f.boulder_wall.id, "hold_colour": "chartreuse", "grade": "V1",
            "grade_system": "vscale", "discipline": "boulder", "set_on": "2025-03-01"
        });
        let e = serde_json::from_value::<NewGymRoute>(bad.clone()).unwrap_err();
        assert!(e.to_string().contains("purple"), "{e}");
        bad["hold_colour"] = "gray".into();
        assert_eq!(
            serde_json::from_value::<NewGymRoute>(bad)
                .unwrap()
                .hold_colour,
            HoldColour::Grey
        );
        refused(
            c.create_venue(NewVenue {
                name: "X".into(),
                website: Some("crimp.example".into()),
                ..Default::default()
            }),
            "https://",
        );
        refused(
            c.create_wall(NewWall {
                venue_id: f.venue.id.clone(),
                name: "W".into(),
                kind: WallKind::Lead,
                angle: None,
                angle_degrees: None,
                height_m: Some(0.0),
                notes: None,
            }),
            "height_m",
        );

        // Updates: stale version, bad transitions, strip before set.
        let conflict = c.update_gym_route(
            &route.id,
            Some(7),
            GymRouteChanges {
                grade: Some("V5".into()),
                ..Default::default()
            },
        );
        match conflict {
            Err(DomainError::Store(StoreError::VersionConflict { current: 1, .. })) => {}
            other => panic!("expected a version conflict, got {other:?}"),
        }
        refused(
            c.update_gym_route(
                &route.id,
                None,
                GymRouteChanges {
                    strip_on: Some("2025-01-01".into()),
                    ..Default::default()
                },
            ),
            "before set_on",
        );
        refused(
            c.update_gym_route(
                &route.id,
                None,
                GymRouteChanges {
                    setter_ids: Some(vec![stranger.id.clone()]),
                    ..Default::default()
                },
            ),
            "another venue",
        );
        refused(
            c.update_gym_route(
                &route.id,
                None,
                GymRouteChanges {
                    discipline: Some(GymDiscipline::Lead),
                    ..Default::default()
                },
            ),
            "lead, top_rope or auto_belay wall",
        );
        refused(
            c.update_gym_route(
                &route.id,
                None,
                GymRouteChanges {
                    stripped_on: Some("2025-05-01".into()),
                    ..Default::default()
                },
            ),
            "status stripped",
        );
        refused(
            c.strip_gym_routes(std::slice::from_ref(&route.id), Some("2025-02-01")),
            "nothing was stripped",
        );
        refused(
            c.strip_gym_routes(&[route.id.clone(), "ghost".into()], None),
            "ghost",
        );
        refused(c.strip_gym_routes(&[], None), "1 to 100");

        // Deletes of things still in use, and bad queries.
        refused(c.delete_venue(&f.venue.id, None), "delete_wall");
        refused(c.delete_wall(&f.boulder_wall.id, None), "delete_gym_route");
        refused(c.delete_setter(&f.ana.id, None), "inactive");
        refused(c.delete_venue(&other.id, None), "delete_setter");
        let q = RouteQuery {
            min_grade: Some("V3".into()),
            ..RouteQuery::new(RouteScope::Venue(f.venue.id.clone()))
        };
        refused(c.list_gym_routes(&q, None, 10), "grade_system");
        let q = RouteQuery {
            grade_system: Some("vscale".into()),
            min_grade: Some("V6".into()),
            max_grade: Some("V2".into()),
            ..q
        };
        refused(c.list_gym_routes(&q, None, 10), "swap");
        refused(
            c.setter_stats(&f.venue.id, Some("2020-01-01"), Some("2025-01-01")),
            "36 months",
        );
        refused(
            c.setter_stats(&f.venue.id, Some("2025-02-01"), Some("2025-01-01")),
            "after to",
        );
        assert_eq!(snapshot(&p), before);

        // Stripped is final: a refusal there changes nothing either.
        let stripped = c
            .strip_gym_routes(std::slice::from_ref(&route.id), Some("2025-03-05"))
            .unwrap();
        let before = snapshot(&p);
        for to in [RouteStatus::Set, RouteStatus::Closed] {
            refused(
                c.update_gym_route(
                    &route.id,
                    Some(stripped[0].route.version),
                    GymRouteChanges {
                        status: Some(to),
                        ..Default::default()
                    },
                ),
                "stripped is final",
            );
        }
        assert_eq!(snapshot(&p), before);
    }

    #[test]
    fn deletes_go_children_first_and_clean_their_lists() {
        let p = MemoryPlatform::default();
        let c = gym(&p);
        let f = fixture(&c);
        let r = c
            .create_gym_route(boulder(&f.boulder_wall, "V3", HoldColour::Teal, &[&f.ana]))
            .unwrap();
        let conflict = c.delete_gym_route(&r.id, Some(9));
        assert!(matches!(
            conflict,
            Err(DomainError::Store(StoreError::VersionConflict {
                current: 1,
                ..
            }))
        ));
        c.delete_gym_route(&r.id, Some(1)).unwrap();
        assert!(matches!(
            c.get_gym_route(&r.id),
            Err(DomainError::Store(StoreError::NotFound { .. }))
        ));
        for wall in [&f.boulder_wall, &f.lead_wall] {
            c.delete_wall(&wall.id, None).unwrap();
        }
        for s in [&f.ana, &f.ben] {
            c.delete_setter(&s.id, None).unwrap();
        }
        c.delete_venue(&f.venue.id, Some(1)).unwrap();
        let (venues, _) = c.list_venues(None, 50).unwrap();
        assert!(venues.is_empty());
        // Only emptied index pages (and their claim counters) remain.
        for key in p.kv.keys() {
            assert!(key.starts_with("i/"), "left behind: {key}");
        }
        for list in [
            venues_list(),
            walls_list(&f.venue.id),
            setters_list(&f.venue.id),
            wall_routes_list(&f.boulder_wall.id),
            current_routes_list(&f.venue.id),
            venue_routes_list(&f.venue.id),
            setter_routes_list(&f.ana.id),
        ] {
            assert!(
                c.index(&list).slice(None, 10).unwrap().ids.is_empty(),
                "{list}"
            );
        }
    }

    #[test]
    fn a_parent_being_deleted_takes_no_children() {
        let p = MemoryPlatform::default();
        let c = gym(&p);
        let f = fixture(&c);
        let until = p.now_ms.get() + DELETE_LEASE_MS;
        c.store
            .update(&f.lead_wall.id, None, |w: &mut Wall| {
                w.deleting_until_ms = Some(until);
                Ok::<(), StoreError>(())
            })
            .unwrap();
        let before = snapshot(&p);
        let mut new = boulder(&f.lead_wall, "6a", HoldColour::Red, &[]);
        new.discipline = GymDiscipline::TopRope;
        new.grade_system = "french".into();
        refused(c.create_gym_route(new.clone()), "being deleted");
        assert_eq!(snapshot(&p), before);
        // A lease left by a crashed delete runs out.
        p.now_ms.set(until + 1);
        c.create_gym_route(new).unwrap();
    }

    #[test]
    fn filtered_lists_read_a_bounded_number_of_entries_per_call() {
        let p = MemoryPlatform::default();
        let c = gym(&p);
        let f = fixture(&c);
        for _ in 0..FILTER_SCAN_ENTRIES + 20 {
            c.create_gym_route(boulder(&f.boulder_wall, "V0", HoldColour::White, &[]))
                .unwrap();
        }
        let last = c
            .create_gym_route(boulder(&f.boulder_wall, "V9", HoldColour::Black, &[]))
            .unwrap();
        let q = RouteQuery {
            hold_colour: Some(HoldColour::Black),
            ..RouteQuery::new(RouteScope::Wall(f.boulder_wall.id.clone()))
        };
        let ops = p.kv.ops.get();
        let (items, next) = c.list_gym_routes(&q, None, 10).unwrap();
        assert!(items.is_empty());
        assert!(next.is_some());
        assert!(
            p.kv.ops.get() - ops < 30,
            "{} KV calls",
            p.kv.ops.get() - ops
        );
        let (items, next) = c.list_gym_routes(&q, next.as_ref(), 10).unwrap();
        assert_eq!(items, [last]);
        assert!(next.is_none());
        // Unfiltered pages cost O(page): one index page and one batch read.
        let plain = RouteQuery {
            status: StatusFilter::Any,
            ..RouteQuery::new(RouteScope::Venue(f.venue.id.clone()))
        };
        let ops = p.kv.ops.get();
        let (items, next) = c.list_gym_routes(&plain, None, 50).unwrap();
        assert_eq!(items.len(), 50);
        assert!(next.is_some());
        assert_eq!(p.kv.ops.get() - ops, 2);
    }

    #[test]
    fn status_transitions_and_updates() {
        let p = MemoryPlatform::default();
        let c = gym(&p);
        let f = fixture(&c);
        let r = c
            .create_gym_route(boulder(&f.boulder_wall, "V2", HoldColour::Brown, &[]))
            .unwrap();
        let status = |to: RouteStatus| GymRouteChanges {
            status: Some(to),
            ..Default::default()
        };
        use RouteStatus::*;
        for to in [Closed, Set, Set, Closed] {
            assert_eq!(
                c.update_gym_route(&r.id, None, status(to)).unwrap().status,
                to
            );
        }
        let gone = c
            .update_gym_route(
                &r.id,
                None,
                GymRouteChanges {
                    status: Some(Stripped),
                    stripped_on: Some("2025-03-10".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(gone.stripped_on.as_deref(), Some("2025-03-10"));
        assert!(c
            .index(&current_routes_list(&f.venue.id))
            .slice(None, 10)
            .unwrap()
            .ids
            .is_empty());
        // The strip date can be corrected; the status cannot go back.
        let fixed = c
            .update_gym_route(
                &r.id,
                None,
                GymRouteChanges {
                    status: Some(Stripped),
                    stripped_on: Some("2025-03-12".into()),
                    notes: Some("came down with the cave reset".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(fixed.stripped_on.as_deref(), Some("2025-03-12"));
        refused(
            c.update_gym_route(&r.id, None, status(Set)),
            "create a new route",
        );

        let wall = c
            .update_wall(
                &f.lead_wall.id,
                Some(1),
                WallChanges {
                    kind: Some(WallKind::AutoBelay),
                    angle_degrees: Some(85.0),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(
            (wall.kind, wall.angle, wall.version),
            (WallKind::AutoBelay, Some(WallAngle::Roof), 2)
        );
        let ana = c
            .update_setter(
                &f.ana.id,
                Some(1),
                SetterChanges {
                    active: Some(false),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(!ana.active);
        assert!(matches!(
            c.update_setter(&f.ana.id, Some(1), SetterChanges::default()),
            Err(DomainError::Store(StoreError::VersionConflict {
                current: 2,
                ..
            }))
        ));
        let venue = c
            .update_venue(
                &f.venue.id,
                Some(1),
                VenueChanges {
                    notes: Some("Closed Mondays".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(venue.city.as_deref(), Some("Leeds"));
        assert_eq!(venue.notes.as_deref(), Some("Closed Mondays"));
    }

    #[test]
    fn dates_and_grades() {
        assert_eq!(date_of_ms(0), "1970-01-01");
        assert_eq!(date_of_ms(1_709_164_800_000), "2024-02-29");
        assert!(date("d", "2024-02-29").is_ok());
        assert!(date("d", "2023-02-29").is_err());
        assert!(date("d", "2023-13-01").is_err());
        assert!(date("d", "2023-1-01").is_err());
        assert_eq!(
            months("2024-11-15", "2025-02-01"),
            ["2024-11", "2024-12", "2025-01", "2025-02"]
        );
        assert_eq!(months_before("2025-03-14", 11), "2024-04-01");
        assert_eq!(months_before("2025-01-01", 0), "2025-01-01");
        let v = |g| grade_score("vscale", g).unwrap();
        assert!(v("VB") < v("V0") && v("V0") < v("V3") && v("V3") < v("V10"));
        let fr = |g| grade_score("french", g).unwrap();
        assert!(fr("5c") < fr("6a") && fr("6a") < fr("6a+") && fr("6a+") < fr("6b"));
        assert_eq!(grade_score("vscale", "V99"), None);
        assert_eq!(grade_score("gym_circuit", "blue"), None);
    }
}
