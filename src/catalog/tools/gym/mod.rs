//! Gym tools: indoor venues, their walls and setters, and the routes on the walls.

use super::{paged_list, ConfirmedDeleteArgs, IdArg, Page, Tool, ToolFailure, ToolMeta};
use crate::catalog::confirmation::confirm_delete;
use crate::catalog::Ctx;
use crate::climbing::gym::{
    DueForStrip, GradeDistribution, GymDiscipline, GymRoute, GymRouteChanges, HoldColour,
    NewGymRoute, NewSetter, NewVenue, NewWall, RouteQuery, RouteScope, Setter, SetterChanges,
    SetterStats, StatusFilter, StripOutcome, Venue, VenueChanges, Wall, WallChanges,
};
use crate::climbing::lists::List;
use crate::climbing::validate;
use serde::{Deserialize, Serialize};

/// A page of a venue's children (walls, setters).
#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct VenueListArgs {
    /// The venue.
    pub venue_id: String,
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page of venues.
#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PageArgs {
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Deleting one record.
#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteArgs {
    /// The id to delete.
    pub id: String,
    /// The version you last read; refused if it changed since.
    #[serde(default)]
    pub expected_version: Option<u64>,
}

/// What was deleted.
#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Deleted {
    /// venue, wall, setter or gym route.
    pub kind: &'static str,
    pub id: String,
    pub deleted: bool,
}

fn deleted(kind: &'static str, id: String) -> Deleted {
    Deleted {
        kind,
        id,
        deleted: true,
    }
}

// ---- venues -----------------------------------------------------------------------

pub struct CreateVenue;
impl Tool for CreateVenue {
    const META: ToolMeta = ToolMeta::create(
        "create_venue",
        "Create a climbing gym",
        "Create an indoor climbing venue (gym) with its name and optional city, country, location, website and notes. Add walls with create_wall and setters with create_setter. Returns the venue with its id.",
    );
    type Input = NewVenue;
    type Output = Venue;
    fn call(ctx: &Ctx, input: NewVenue) -> Result<Venue, ToolFailure> {
        Ok(ctx.climbing().create_venue(input)?)
    }
}

pub struct GetVenue;
impl Tool for GetVenue {
    const META: ToolMeta = ToolMeta::read(
        "get_venue",
        "Get a climbing gym",
        "Get one indoor climbing venue (gym) by id.",
    );
    type Input = IdArg;
    type Output = Venue;
    fn call(ctx: &Ctx, input: IdArg) -> Result<Venue, ToolFailure> {
        Ok(ctx.climbing().get_venue(&input.id)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateVenueArgs {
    /// The venue to change.
    pub id: String,
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// Fields to change; others keep their values.
    pub changes: VenueChanges,
}

pub struct UpdateVenue;
impl Tool for UpdateVenue {
    const META: ToolMeta = ToolMeta::update(
        "update_venue",
        "Update a climbing gym",
        "Change fields of a venue. Pass expected_version (from get_venue) against concurrent edits: a stale one is refused (nothing written) with the current version.",
    );
    type Input = UpdateVenueArgs;
    type Output = Venue;
    fn call(ctx: &Ctx, input: UpdateVenueArgs) -> Result<Venue, ToolFailure> {
        Ok(ctx
            .climbing()
            .update_venue(&input.id, input.expected_version, input.changes)?)
    }
}

pub struct ListVenues;
impl Tool for ListVenues {
    const META: ToolMeta = ToolMeta::read(
        "list_venues",
        "List climbing gyms",
        "List the indoor climbing venues, in the order they were added.",
    );
    type Input = PageArgs;
    type Output = Page<Venue>;
    fn call(ctx: &Ctx, input: PageArgs) -> Result<Page<Venue>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        paged_list(ctx, List::Venues, input.cursor.as_deref(), |from| {
            Ok(ctx.climbing().list_venues(from.as_ref(), limit)?)
        })
    }
}

pub struct DeleteVenue;
impl Tool for DeleteVenue {
    const META: ToolMeta = ToolMeta::delete(
        "delete_venue",
        "Delete a climbing gym",
        "Delete a venue. Refused while it still has walls or setters: delete those first (delete_gym_route, delete_wall, delete_setter).",
    );
    type Input = DeleteArgs;
    type Output = Deleted;
    fn call(ctx: &Ctx, input: DeleteArgs) -> Result<Deleted, ToolFailure> {
        let v = ctx
            .climbing()
            .delete_venue(&input.id, input.expected_version)?;
        Ok(deleted("venue", v.id))
    }
}

// ---- walls ------------------------------------------------------------------------

pub struct CreateWall;
impl Tool for CreateWall {
    const META: ToolMeta = ToolMeta::create(
        "create_wall",
        "Create a gym wall",
        "Add a wall to a venue: its name, kind, angle (or angle_degrees past vertical) and height. Returns the wall with its id.",
    );
    type Input = NewWall;
    type Output = Wall;
    fn call(ctx: &Ctx, input: NewWall) -> Result<Wall, ToolFailure> {
        Ok(ctx.climbing().create_wall(input)?)
    }
}

pub struct GetWall;
impl Tool for GetWall {
    const META: ToolMeta = ToolMeta::read(
        "get_wall",
        "Get a gym wall",
        "Get one wall of a climbing gym by id.",
    );
    type Input = IdArg;
    type Output = Wall;
    fn call(ctx: &Ctx, input: IdArg) -> Result<Wall, ToolFailure> {
        Ok(ctx.climbing().get_wall(&input.id)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateWallArgs {
    /// The wall to change.
    pub id: String,
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// Fields to change; others keep their values.
    pub changes: WallChanges,
}

pub struct UpdateWall;
impl Tool for UpdateWall {
    const META: ToolMeta = ToolMeta::update(
        "update_wall",
        "Update a gym wall",
        "Change fields of a wall (name, kind, angle, height, notes). Pass expected_version (from get_wall) to be safe against concurrent edits.",
    );
    type Input = UpdateWallArgs;
    type Output = Wall;
    fn call(ctx: &Ctx, input: UpdateWallArgs) -> Result<Wall, ToolFailure> {
        Ok(ctx
            .climbing()
            .update_wall(&input.id, input.expected_version, input.changes)?)
    }
}

pub struct ListWalls;
impl Tool for ListWalls {
    const META: ToolMeta = ToolMeta::read(
        "list_walls",
        "List a gym's walls",
        "List the walls of a venue, in the order they were added.",
    );
    type Input = VenueListArgs;
    type Output = Page<Wall>;
    fn call(ctx: &Ctx, input: VenueListArgs) -> Result<Page<Wall>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        validate::id("venue_id", &input.venue_id)?;
        let list = List::Walls(&input.venue_id);
        paged_list(ctx, list, input.cursor.as_deref(), |from| {
            Ok(ctx
                .climbing()
                .list_walls(&input.venue_id, from.as_ref(), limit)?)
        })
    }
}

pub struct DeleteWall;
impl Tool for DeleteWall {
    const META: ToolMeta = ToolMeta::delete(
        "delete_wall",
        "Delete a gym wall",
        "Delete a wall. Refused while any route is on it, stripped ones included: delete those first with delete_gym_route.",
    );
    type Input = DeleteArgs;
    type Output = Deleted;
    fn call(ctx: &Ctx, input: DeleteArgs) -> Result<Deleted, ToolFailure> {
        let w = ctx
            .climbing()
            .delete_wall(&input.id, input.expected_version)?;
        Ok(deleted("wall", w.id))
    }
}

// ---- setters ----------------------------------------------------------------------

pub struct CreateSetter;
impl Tool for CreateSetter {
    const META: ToolMeta = ToolMeta::create(
        "create_setter",
        "Add a route setter",
        "Add a route setter to a venue (name, active flag, default active). Returns the setter with its id, to credit on gym routes.",
    );
    type Input = NewSetter;
    type Output = Setter;
    fn call(ctx: &Ctx, input: NewSetter) -> Result<Setter, ToolFailure> {
        Ok(ctx.climbing().create_setter(input)?)
    }
}

pub struct GetSetter;
impl Tool for GetSetter {
    const META: ToolMeta = ToolMeta::read(
        "get_setter",
        "Get a route setter",
        "Get one route setter by id.",
    );
    type Input = IdArg;
    type Output = Setter;
    fn call(ctx: &Ctx, input: IdArg) -> Result<Setter, ToolFailure> {
        Ok(ctx.climbing().get_setter(&input.id)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateSetterArgs {
    /// The setter to change.
    pub id: String,
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// Fields to change; others keep their values.
    pub changes: SetterChanges,
}

pub struct UpdateSetter;
impl Tool for UpdateSetter {
    const META: ToolMeta = ToolMeta::update(
        "update_setter",
        "Update a route setter",
        "Rename a setter or mark them active or inactive (inactive setters keep their routes and stats). Pass expected_version (from get_setter) to be safe against concurrent edits.",
    );
    type Input = UpdateSetterArgs;
    type Output = Setter;
    fn call(ctx: &Ctx, input: UpdateSetterArgs) -> Result<Setter, ToolFailure> {
        Ok(ctx
            .climbing()
            .update_setter(&input.id, input.expected_version, input.changes)?)
    }
}

pub struct ListSetters;
impl Tool for ListSetters {
    const META: ToolMeta = ToolMeta::read(
        "list_setters",
        "List a gym's setters",
        "List the route setters of a venue, active and inactive, in the order they were added.",
    );
    type Input = VenueListArgs;
    type Output = Page<Setter>;
    fn call(ctx: &Ctx, input: VenueListArgs) -> Result<Page<Setter>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        validate::id("venue_id", &input.venue_id)?;
        let list = List::Setters(&input.venue_id);
        paged_list(ctx, list, input.cursor.as_deref(), |from| {
            Ok(ctx
                .climbing()
                .list_setters(&input.venue_id, from.as_ref(), limit)?)
        })
    }
}

pub struct DeleteSetter;
impl Tool for DeleteSetter {
    const META: ToolMeta = ToolMeta::delete(
        "delete_setter",
        "Delete a route setter",
        "Delete a setter that no route credits (for a setter entered by mistake). A setter who leaves should be marked inactive with update_setter instead, which keeps their history.",
    );
    type Input = DeleteArgs;
    type Output = Deleted;
    fn call(ctx: &Ctx, input: DeleteArgs) -> Result<Deleted, ToolFailure> {
        let s = ctx
            .climbing()
            .delete_setter(&input.id, input.expected_version)?;
        Ok(deleted("setter", s.id))
    }
}

// ---- gym routes -------------------------------------------------------------------

pub struct CreateGymRoute;
impl Tool for CreateGymRoute {
    const META: ToolMeta = ToolMeta::create(
        "create_gym_route",
        "Set a gym route",
        "Record a new route or boulder on a gym wall: hold colour, grade and grade_system (e.g. V4 vscale, 6b+ french), discipline, the venue's setters credited, set_on date and optional planned strip_on date. It starts with status set. Returns the route with its id.",
    );
    type Input = NewGymRoute;
    type Output = GymRoute;
    fn call(ctx: &Ctx, input: NewGymRoute) -> Result<GymRoute, ToolFailure> {
        Ok(ctx.climbing().create_gym_route(input)?)
    }
}

pub struct GetGymRoute;
impl Tool for GetGymRoute {
    const META: ToolMeta = ToolMeta::read(
        "get_gym_route",
        "Get a gym route",
        "Get one gym route or boulder by id.",
    );
    type Input = IdArg;
    type Output = GymRoute;
    fn call(ctx: &Ctx, input: IdArg) -> Result<GymRoute, ToolFailure> {
        Ok(ctx.climbing().get_gym_route(&input.id)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateGymRouteArgs {
    /// The route to change.
    pub id: String,
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// Fields to change; others keep their values.
    pub changes: GymRouteChanges,
}

pub struct UpdateGymRoute;
impl Tool for UpdateGymRoute {
    const META: ToolMeta = ToolMeta::update(
        "update_gym_route",
        "Update a gym route",
        "Change a gym route: grade, colour, discipline, setters, dates, name, notes, its wall (within the venue) or its status (set <-> closed, set or closed -> stripped; stripped is final). Pass expected_version (from get_gym_route) to be safe against concurrent edits.",
    );
    type Input = UpdateGymRouteArgs;
    type Output = GymRoute;
    fn call(ctx: &Ctx, input: UpdateGymRouteArgs) -> Result<GymRoute, ToolFailure> {
        Ok(ctx
            .climbing()
            .update_gym_route(&input.id, input.expected_version, input.changes)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListGymRoutesArgs {
    /// The routes of this wall (give wall_id or venue_id, not both).
    #[serde(default)]
    pub wall_id: Option<String>,
    /// The routes of this venue (give wall_id or venue_id, not both).
    #[serde(default)]
    pub venue_id: Option<String>,
    #[serde(default)]
    pub status: Option<StatusFilter>,
    #[serde(default)]
    pub discipline: Option<GymDiscipline>,
    #[serde(default)]
    pub hold_colour: Option<HoldColour>,
    /// Only routes crediting this setter.
    #[serde(default)]
    pub setter_id: Option<String>,
    /// The grading system min_grade and max_grade are written in (e.g. vscale, french).
    #[serde(default)]
    pub grade_system: Option<String>,
    /// Easiest grade to include, e.g. V3.
    #[serde(default)]
    pub min_grade: Option<String>,
    /// Hardest grade to include, e.g. V6.
    #[serde(default)]
    pub max_grade: Option<String>,
    /// From a previous page's next_cursor (with the same wall_id/venue_id and status).
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct ListGymRoutes;
impl Tool for ListGymRoutes {
    const META: ToolMeta = ToolMeta::read(
        "list_gym_routes",
        "List gym routes",
        "List the routes of a wall or a venue, filtered by status (default current: set or closed), discipline, hold colour, setter and grade range (min_grade/max_grade in grade_system; routes whose grade cannot be compared are left out of a grade range). A filtered page reads at most 1,000 routes, so it may hold fewer than limit (even none) and still have a next_cursor: keep calling until next_cursor is absent.",
    );
    type Input = ListGymRoutesArgs;
    type Output = Page<GymRoute>;
    fn call(ctx: &Ctx, input: ListGymRoutesArgs) -> Result<Page<GymRoute>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        let scope = match (input.wall_id, input.venue_id) {
            (Some(w), None) => RouteScope::Wall(w),
            (None, Some(v)) => RouteScope::Venue(v),
            _ => {
                return Err(ToolFailure::Refused(
                    "give either wall_id (the routes of one wall) or venue_id (the routes of a whole venue), not both".into(),
                ))
            }
        };
        let query = RouteQuery {
            status: input.status.unwrap_or_default(),
            discipline: input.discipline,
            hold_colour: input.hold_colour,
            setter_id: input.setter_id,
            grade_system: input.grade_system,
            min_grade: input.min_grade,
            max_grade: input.max_grade,
            ..RouteQuery::new(scope)
        };
        paged_list(
            ctx,
            List::GymRoutes(&query),
            input.cursor.as_deref(),
            |from| {
                Ok(ctx
                    .climbing()
                    .list_gym_routes(&query, from.as_ref(), limit)?)
            },
        )
    }
}

pub struct DeleteGymRoute;
impl Tool for DeleteGymRoute {
    const META: ToolMeta = ToolMeta::delete(
        "delete_gym_route",
        "Delete a gym route",
        "Delete a gym route entirely, e.g. one entered by mistake; its history and setter credit go with it (confirmed as for delete_climb). To record that a route was taken down, strip it with strip_gym_routes instead.",
    );
    type Input = ConfirmedDeleteArgs;
    type Output = Deleted;
    fn call(ctx: &Ctx, input: ConfirmedDeleteArgs) -> Result<Deleted, ToolFailure> {
        let climbing = ctx.climbing();
        let version = confirm_delete(ctx, Self::META.name, &input, || {
            climbing.gym_route_delete_loss(&input.id)
        })?;
        let r = climbing.delete_gym_route(&input.id, version)?;
        Ok(deleted("gym route", r.id))
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StripArgs {
    /// The routes to strip, 1 to 100.
    pub ids: Vec<String>,
    /// The day they came down, YYYY-MM-DD (default today, UTC); on or after every
    /// route's set_on.
    #[serde(default)]
    pub stripped_on: Option<String>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct StripResult {
    /// One entry per id, in the order given.
    pub routes: Vec<StripOutcome>,
    /// How many routes changed (the others were already stripped).
    pub stripped: usize,
}

pub struct StripGymRoutes;
impl Tool for StripGymRoutes {
    // Stripping is final (destructive), and a route already stripped stays as it
    // is (idempotent).
    const META: ToolMeta = ToolMeta::delete(
        "strip_gym_routes",
        "Strip gym routes",
        "Mark up to 100 routes as stripped (taken down) on stripped_on (default today). Every route is checked first: if one is unknown or was set after stripped_on, nothing is stripped. Routes already stripped are left unchanged. Stripped is final.",
    );
    type Input = StripArgs;
    type Output = StripResult;
    fn call(ctx: &Ctx, input: StripArgs) -> Result<StripResult, ToolFailure> {
        let routes = ctx.climbing().strip_gym_routes_reporting(
            &input.ids,
            input.stripped_on.as_deref(),
            ctx,
        )?;
        let stripped = routes.iter().filter(|r| r.changed).count();
        Ok(StripResult { routes, stripped })
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DueArgs {
    /// The venue.
    pub venue_id: String,
    /// Routes planned to be stripped on or before this date, YYYY-MM-DD (default today, UTC).
    #[serde(default)]
    pub on_or_before: Option<String>,
    /// How many routes to return at most, 1 to 200 (default 50); total_due counts all.
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct RoutesDueForStrip;
impl Tool for RoutesDueForStrip {
    const META: ToolMeta = ToolMeta::read(
        "routes_due_for_strip",
        "Routes due for stripping",
        "The current routes of a venue whose planned strip_on date is on or before a date (default today), earliest first: the next reset's strip list. Reads up to 5,000 current routes (complete is false beyond that).",
    );
    type Input = DueArgs;
    type Output = DueForStrip;
    fn call(ctx: &Ctx, input: DueArgs) -> Result<DueForStrip, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        Ok(ctx.climbing().routes_due_for_strip(
            &input.venue_id,
            input.on_or_before.as_deref(),
            limit,
        )?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DistributionArgs {
    /// The venue.
    pub venue_id: String,
    /// Only this discipline; omit for all.
    #[serde(default)]
    pub discipline: Option<GymDiscipline>,
}

pub struct VenueGradeDistribution;
impl Tool for VenueGradeDistribution {
    const META: ToolMeta = ToolMeta::read(
        "venue_grade_distribution",
        "Grade distribution of a gym",
        "How many routes a venue has up (set or closed) per discipline and grade, easiest first: the set-planning view for spotting gaps in the grade spread. Reads up to 5,000 current routes (complete is false beyond that).",
    );
    type Input = DistributionArgs;
    type Output = GradeDistribution;
    fn call(ctx: &Ctx, input: DistributionArgs) -> Result<GradeDistribution, ToolFailure> {
        Ok(ctx
            .climbing()
            .venue_grade_distribution(&input.venue_id, input.discipline)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SetterStatsArgs {
    /// The venue.
    pub venue_id: String,
    /// First day, YYYY-MM-DD (default: the first day of the month eleven months before `to`).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default today, UTC). At most 36 months after `from`.
    #[serde(default)]
    pub to: Option<String>,
}

pub struct SetterStatsTool;
impl Tool for SetterStatsTool {
    const META: ToolMeta = ToolMeta::read(
        "setter_stats",
        "Routes set per setter",
        "How many routes each setter of a venue set between two dates (by set_on, stripped routes included), per discipline, most first, with the routes that credit no setter. Ranges up to 36 months; reads up to 5,000 routes (complete is false beyond that: narrow the range).",
    );
    type Input = SetterStatsArgs;
    type Output = SetterStats;
    fn call(ctx: &Ctx, input: SetterStatsArgs) -> Result<SetterStats, ToolFailure> {
        Ok(ctx.climbing().setter_stats(
            &input.venue_id,
            input.from.as_deref(),
            input.to.as_deref(),
        )?)
    }
}

pub static TOOLS: &[super::ToolSpec] = &[
    super::spec::<ListVenues>(),
    super::spec::<GetVenue>(),
    super::spec::<CreateVenue>(),
    super::spec::<UpdateVenue>(),
    super::spec::<DeleteVenue>(),
    super::spec::<ListWalls>(),
    super::spec::<GetWall>(),
    super::spec::<CreateWall>(),
    super::spec::<UpdateWall>(),
    super::spec::<DeleteWall>(),
    super::spec::<ListSetters>(),
    super::spec::<GetSetter>(),
    super::spec::<CreateSetter>(),
    super::spec::<UpdateSetter>(),
    super::spec::<DeleteSetter>(),
    super::spec::<ListGymRoutes>(),
    super::spec::<GetGymRoute>(),
    super::spec::<CreateGymRoute>(),
    super::spec::<UpdateGymRoute>(),
    super::spec::<DeleteGymRoute>(),
    super::spec::<StripGymRoutes>(),
    super::spec::<RoutesDueForStrip>(),
    super::spec::<VenueGradeDistribution>(),
    super::spec::<SetterStatsTool>(),
];

#[cfg(test)]
mod tests;
