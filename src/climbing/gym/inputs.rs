//! What the gym operations take (new records, changes, queries) and what the
//! aggregates return.

use super::*;

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

    pub(super) fn is_filtered(&self) -> bool {
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
