//! Climb tools.

use super::{paged_list, ConfirmedDeleteArgs, IdArg, Page, Tool, ToolFailure, ToolMeta};
use crate::catalog::confirmation::confirm_delete;
use crate::catalog::Ctx;
use crate::climbing::climb::{Climb, ClimbChanges, Discipline, NewClimb};
use crate::climbing::lists::List;
use crate::climbing::subtree::ClimbFilter;
use crate::climbing::validate;
use crate::store::Stored;
use serde::Deserialize;

pub struct GetClimb;
impl Tool for GetClimb {
    const META: ToolMeta = ToolMeta::read(
        "get_climb",
        "Get a climb",
        "Get one climb (route or boulder problem) by id.",
    );
    type Input = IdArg;
    type Output = Stored<Climb>;
    fn call(ctx: &Ctx, input: IdArg) -> Result<Stored<Climb>, ToolFailure> {
        Ok(ctx.climbing().get_climb(&input.id)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListClimbsArgs {
    /// The area whose climbs to list: a sector, wall or boulder lists its own;
    /// a crag, area, region or country every climb below it.
    pub area_id: String,
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 200 (default 50). With filters, a page holds the matches
    /// among that many climbs, so it may be shorter; keep following next_cursor.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Only climbs of this discipline.
    #[serde(default)]
    pub discipline: Option<Discipline>,
    /// Only climbs at least this hard, e.g. "5.10a", "6b+", "V3" or "6C" (any
    /// system of the same discipline as max_grade).
    #[serde(default)]
    pub min_grade: Option<String>,
    /// Only climbs at most this hard.
    #[serde(default)]
    pub max_grade: Option<String>,
}

pub struct ListClimbs;
impl Tool for ListClimbs {
    const META: ToolMeta = ToolMeta::read(
        "list_climbs",
        "List climbs in an area",
        "List the climbs in an area and everything below it (a region or crag lists all its sectors' climbs; a wall only its own), area by area in the order they were added, optionally only one discipline and a grade range (in any system: 5.10a to 5.11d, 6a to 7a, V3 to V6). Paginated: pass next_cursor back as cursor.",
    );
    type Input = ListClimbsArgs;
    type Output = Page<Stored<Climb>>;
    fn call(ctx: &Ctx, input: ListClimbsArgs) -> Result<Page<Stored<Climb>>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        validate::id("area_id", &input.area_id)?;
        let filter = ClimbFilter::new(
            input.discipline,
            input.min_grade.as_deref(),
            input.max_grade.as_deref(),
        )?;
        let area = input.area_id.as_str();
        paged_list(ctx, List::Climbs(area), input.cursor.as_deref(), |from| {
            Ok(ctx
                .climbing()
                .list_filtered_climbs(area, &filter, from, limit)?)
        })
    }
}

pub struct CreateClimb;
impl Tool for CreateClimb {
    const META: ToolMeta = ToolMeta::create(
        "create_climb",
        "Create a climb",
        "Add a route or boulder problem to a crag, sector, wall or boulder, with its grades (e.g. {\"yds\": \"5.10a\"}), disciplines and optional length, bolts, pitches, first ascent, safety and location. Returns the new climb with its id.",
    );
    type Input = NewClimb;
    type Output = Climb;
    fn call(ctx: &Ctx, input: NewClimb) -> Result<Climb, ToolFailure> {
        Ok(ctx.climbing().create_climb(input)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateClimbArgs {
    /// The climb to change.
    pub id: String,
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// Fields to change; others keep their values.
    pub changes: ClimbChanges,
}

pub struct UpdateClimb;
impl Tool for UpdateClimb {
    const META: ToolMeta = ToolMeta::update(
        "update_climb",
        "Update a climb",
        "Change fields of a climb. Pass expected_version (from get_climb) against concurrent edits: a stale one is refused (nothing written) with the current version.",
    );
    type Input = UpdateClimbArgs;
    type Output = Climb;
    fn call(ctx: &Ctx, input: UpdateClimbArgs) -> Result<Climb, ToolFailure> {
        Ok(ctx
            .climbing()
            .update_climb(&input.id, input.expected_version, input.changes)?)
    }
}

pub static TOOLS: &[super::ToolSpec] = &[
    super::spec::<GetClimb>(),
    super::spec::<ListClimbs>(),
    super::spec::<SearchClimbs>(),
    super::spec::<CreateClimb>(),
    super::spec::<UpdateClimb>(),
    super::spec::<MoveClimb>(),
    super::spec::<DeleteClimb>(),
];

pub struct DeleteClimb;
impl Tool for DeleteClimb {
    const META: ToolMeta = ToolMeta::delete(
        "delete_climb",
        "Delete a climb",
        "Delete a climb. Returns the deleted climb. If its media or others' changes would go too, the person confirms first (by form, or pass confirm=true after asking).",
    );
    type Input = ConfirmedDeleteArgs;
    type Output = Climb;
    fn call(ctx: &Ctx, input: ConfirmedDeleteArgs) -> Result<Climb, ToolFailure> {
        let climbing = ctx.climbing();
        let version = confirm_delete(ctx, Self::META.name, &input, || {
            climbing.climb_delete_loss(&input.id)
        })?;
        Ok(climbing.delete_climb(&input.id, version)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveClimbArgs {
    /// The climb to move.
    pub id: String,
    /// The crag, sector, wall or boulder to move it to.
    pub new_area_id: String,
    #[serde(default)]
    pub expected_version: Option<u64>,
}

pub struct MoveClimb;
impl Tool for MoveClimb {
    const META: ToolMeta = ToolMeta::update(
        "move_climb",
        "Move a climb",
        "Move a climb to another crag, sector, wall or boulder.",
    );
    type Input = MoveClimbArgs;
    type Output = Climb;
    fn call(ctx: &Ctx, input: MoveClimbArgs) -> Result<Climb, ToolFailure> {
        Ok(ctx
            .climbing()
            .move_climb(&input.id, &input.new_area_id, input.expected_version)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SearchClimbsArgs {
    /// Words the climb's own name must contain (case and accents ignored), e.g.
    /// "chain reaction". Area names do not match.
    pub query: String,
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Entries scanned per page, 1 to 200 (default 50); with several words a page
    /// may hold fewer matches.
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct SearchClimbs;
impl Tool for SearchClimbs {
    const META: ToolMeta = ToolMeta::read(
        "search_climbs",
        "Search climbs by name",
        "Find climbs whose own name contains every word of the query (case and accents ignored); it does not match area names: for the climbs of a place, find the area with search_areas and call list_climbs with its id. Paginated.",
    );
    type Input = SearchClimbsArgs;
    type Output = Page<Stored<Climb>>;
    fn call(ctx: &Ctx, input: SearchClimbsArgs) -> Result<Page<Stored<Climb>>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        let list = List::SearchClimbs(&input.query);
        paged_list(ctx, list, input.cursor.as_deref(), |from| {
            Ok(ctx
                .climbing()
                .search_climbs(&input.query, from.as_ref(), limit)?)
        })
    }
}
