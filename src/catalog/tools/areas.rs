//! Area tools.

use super::{
    paged_list, Annotations, IdArg, Page, Tool, ToolFailure, CREATE, DELETE, READ, UPDATE,
};
use crate::catalog::{Ctx, Scope};
use crate::climbing::area::{Area, AreaChanges, AreaKind, NewArea};
use crate::climbing::grades::GradeSystem;
use crate::climbing::import::{ImportArea, ImportSummary};
use crate::climbing::lists::List;
use crate::climbing::stats::AreaStats;
use crate::climbing::{validate, LatLng};
use serde::{Deserialize, Serialize};

pub struct GetArea;
impl Tool for GetArea {
    const NAME: &'static str = "get_area";
    const TITLE: &'static str = "Get an area";
    const DESCRIPTION: &'static str =
        "Get one climbing area (country, region, crag, sector, wall or boulder) by id.";
    const SCOPE: Scope = Scope::Read;
    const ANNOTATIONS: Annotations = READ;
    type Input = IdArg;
    type Output = Area;
    fn call(ctx: &Ctx, input: IdArg) -> Result<Area, ToolFailure> {
        Ok(ctx.climbing().get_area(&input.id)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListAreasArgs {
    /// List the sub-areas of this area; omit for the top-level areas.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// From a previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct ListAreas;
impl Tool for ListAreas {
    const NAME: &'static str = "list_areas";
    const TITLE: &'static str = "List areas";
    const DESCRIPTION: &'static str = "List the sub-areas of an area, or the top-level areas (countries, regions) when parent_id is omitted.";
    const SCOPE: Scope = Scope::Read;
    const ANNOTATIONS: Annotations = READ;
    type Input = ListAreasArgs;
    type Output = Page<Area>;
    fn call(ctx: &Ctx, input: ListAreasArgs) -> Result<Page<Area>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        let parent = input.parent_id.as_deref();
        paged_list(ctx, List::Areas(parent), input.cursor.as_deref(), |from| {
            Ok(ctx.climbing().list_areas(parent, from.as_ref(), limit)?)
        })
    }
}

pub struct CreateArea;
impl Tool for CreateArea {
    const NAME: &'static str = "create_area";
    const TITLE: &'static str = "Create an area";
    const DESCRIPTION: &'static str = "Create a climbing area. Areas form a tree: country > region > area > crag > sector/wall/boulder; only countries and regions may be top-level. Returns the new area with its id.";
    const SCOPE: Scope = Scope::Write;
    const ANNOTATIONS: Annotations = CREATE;
    type Input = NewArea;
    type Output = Area;
    fn call(ctx: &Ctx, input: NewArea) -> Result<Area, ToolFailure> {
        Ok(ctx.climbing().create_area(input)?)
    }
}

pub static TOOLS: &[super::ToolSpec] = &[
    super::spec::<GetArea>(),
    super::spec::<ListAreas>(),
    super::spec::<SearchAreas>(),
    super::spec::<CragsNear>(),
    super::spec::<GetAreaPath>(),
    super::spec::<GetAreaStats>(),
    super::spec::<CreateArea>(),
    super::spec::<UpdateArea>(),
    super::spec::<MoveArea>(),
    super::spec::<DeleteArea>(),
    super::spec::<ImportTree>(),
];

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateAreaArgs {
    /// The area to change.
    pub id: String,
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// The fields to change; omitted fields keep their values.
    pub changes: AreaChanges,
}

pub struct UpdateArea;
impl Tool for UpdateArea {
    const NAME: &'static str = "update_area";
    const TITLE: &'static str = "Update an area";
    const DESCRIPTION: &'static str = "Change an area's name, kind, location, description or access notes. Pass expected_version (from get_area) to be safe against concurrent edits: a stale version is refused with the current one, and nothing is written.";
    const SCOPE: Scope = Scope::Write;
    const ANNOTATIONS: Annotations = UPDATE;
    type Input = UpdateAreaArgs;
    type Output = Area;
    fn call(ctx: &Ctx, input: UpdateAreaArgs) -> Result<Area, ToolFailure> {
        Ok(ctx
            .climbing()
            .update_area(&input.id, input.expected_version, input.changes)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeleteArgs {
    /// The id to delete.
    pub id: String,
    /// The version you last read; the delete is refused if it changed since.
    #[serde(default)]
    pub expected_version: Option<u64>,
}

pub struct DeleteArea;
impl Tool for DeleteArea {
    const NAME: &'static str = "delete_area";
    const TITLE: &'static str = "Delete an area";
    const DESCRIPTION: &'static str =
        "Delete an empty area (no sub-areas, no climbs). Returns the deleted area.";
    const SCOPE: Scope = Scope::Write;
    const ANNOTATIONS: Annotations = DELETE;
    type Input = DeleteArgs;
    type Output = Area;
    fn call(ctx: &Ctx, input: DeleteArgs) -> Result<Area, ToolFailure> {
        Ok(ctx
            .climbing()
            .delete_area(&input.id, input.expected_version)?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveAreaArgs {
    /// The area to move (with everything in it).
    pub id: String,
    /// The new parent; omit to make a country or region top-level.
    #[serde(default)]
    pub new_parent_id: Option<String>,
    #[serde(default)]
    pub expected_version: Option<u64>,
}

pub struct MoveArea;
impl Tool for MoveArea {
    const NAME: &'static str = "move_area";
    const TITLE: &'static str = "Move an area";
    const DESCRIPTION: &'static str = "Move an area, with its sub-areas and climbs, under another parent. Refuses moves that would put an area inside itself or break the tree's order (country > region > area > crag > sector/wall/boulder).";
    const SCOPE: Scope = Scope::Write;
    const ANNOTATIONS: Annotations = UPDATE;
    type Input = MoveAreaArgs;
    type Output = Area;
    fn call(ctx: &Ctx, input: MoveAreaArgs) -> Result<Area, ToolFailure> {
        Ok(ctx.climbing().move_area(
            &input.id,
            input.new_parent_id.as_deref(),
            input.expected_version,
        )?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Words the area's name must contain (case and accents ignored), e.g.
    /// "smith rock".
    pub query: String,
    /// From a previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Entries scanned per page, 1 to 200 (default 50); a page may hold fewer
    /// matches when the query has several words.
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct SearchAreas;
impl Tool for SearchAreas {
    const NAME: &'static str = "search_areas";
    const TITLE: &'static str = "Search areas by name";
    const DESCRIPTION: &'static str = "Find areas whose name contains every word of the query (case and accents ignored). Paginated.";
    const SCOPE: Scope = Scope::Read;
    const ANNOTATIONS: Annotations = READ;
    type Input = SearchArgs;
    type Output = Page<Area>;
    fn call(ctx: &Ctx, input: SearchArgs) -> Result<Page<Area>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        let list = List::SearchAreas(&input.query);
        paged_list(ctx, list, input.cursor.as_deref(), |from| {
            Ok(ctx
                .climbing()
                .search_areas(&input.query, from.as_ref(), limit)?)
        })
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NearArgs {
    /// The point to search around.
    pub at: LatLng,
    /// Search radius in kilometres, up to 100 (default 25).
    #[serde(default)]
    pub radius_km: Option<f64>,
    /// Only these kinds (default: crag, sector, wall, boulder).
    #[serde(default)]
    pub kinds: Option<Vec<AreaKind>>,
    /// At most this many results, 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct NearbyArea {
    pub area: Area,
    pub distance_km: f64,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Nearby {
    pub items: Vec<NearbyArea>,
}

pub struct CragsNear;
impl Tool for CragsNear {
    const NAME: &'static str = "crags_near";
    const TITLE: &'static str = "Crags near a point";
    const DESCRIPTION: &'static str = "Crags (or other kinds of areas) with a location within a radius of a point, nearest first, with their distance.";
    const SCOPE: Scope = Scope::Read;
    const ANNOTATIONS: Annotations = READ;
    type Input = NearArgs;
    type Output = Nearby;
    fn call(ctx: &Ctx, input: NearArgs) -> Result<Nearby, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        let kinds = input.kinds.unwrap_or_else(|| {
            vec![
                AreaKind::Crag,
                AreaKind::Sector,
                AreaKind::Wall,
                AreaKind::Boulder,
            ]
        });
        let near =
            ctx.climbing()
                .areas_near(input.at, input.radius_km.unwrap_or(25.0), &kinds, limit)?;
        Ok(Nearby {
            items: near
                .into_iter()
                .map(|(area, d)| NearbyArea {
                    area,
                    distance_km: (d * 100.0).round() / 100.0,
                })
                .collect(),
        })
    }
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct AreaPath {
    /// From the top of the tree down to the area itself.
    pub path: Vec<Area>,
}

pub struct GetAreaPath;
impl Tool for GetAreaPath {
    const NAME: &'static str = "get_area_path";
    const TITLE: &'static str = "Where an area is";
    const DESCRIPTION: &'static str =
        "The chain of areas from the top of the tree (country) down to an area: its breadcrumbs.";
    const SCOPE: Scope = Scope::Read;
    const ANNOTATIONS: Annotations = READ;
    type Input = IdArg;
    type Output = AreaPath;
    fn call(ctx: &Ctx, input: IdArg) -> Result<AreaPath, ToolFailure> {
        Ok(AreaPath {
            path: ctx.climbing().area_path(&input.id)?,
        })
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AreaStatsArgs {
    /// The area.
    pub id: String,
    /// The system route grades are shown in (default yds).
    #[serde(default)]
    pub route_system: Option<GradeSystem>,
    /// The system boulder grades are shown in (default vscale).
    #[serde(default)]
    pub boulder_system: Option<GradeSystem>,
}

pub struct GetAreaStats;
impl Tool for GetAreaStats {
    const NAME: &'static str = "area_stats";
    const TITLE: &'static str = "Area statistics";
    const DESCRIPTION: &'static str = "Grade histogram by discipline of the climbs in an area and all its sub-areas (read up to 500 areas and 10,000 climbs; larger areas say truncated).";
    const SCOPE: Scope = Scope::Read;
    const ANNOTATIONS: Annotations = READ;
    type Input = AreaStatsArgs;
    type Output = AreaStats;
    fn call(ctx: &Ctx, input: AreaStatsArgs) -> Result<AreaStats, ToolFailure> {
        Ok(ctx.climbing().area_stats(
            &input.id,
            input.route_system.unwrap_or(GradeSystem::Yds),
            input.boulder_system.unwrap_or(GradeSystem::VScale),
        )?)
    }
}

#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportArgs {
    /// Where to attach the tree; omit when its top areas are countries or regions.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// The areas to create, each with its sub-areas and climbs (up to 2,000 nodes).
    pub areas: Vec<ImportArea>,
}

pub struct ImportTree;
impl Tool for ImportTree {
    const NAME: &'static str = "import_tree";
    const TITLE: &'static str = "Import a tree of areas and climbs";
    const DESCRIPTION: &'static str = "Create a nested tree of areas and their climbs in one call (OpenBeta-like shape: areas with sub-areas and climbs). The whole tree is checked before anything is written: one bad node refuses the import and stores nothing.";
    const SCOPE: Scope = Scope::Write;
    const ANNOTATIONS: Annotations = CREATE;
    type Input = ImportArgs;
    type Output = ImportSummary;
    fn call(ctx: &Ctx, input: ImportArgs) -> Result<ImportSummary, ToolFailure> {
        Ok(ctx
            .climbing()
            .import_tree(input.parent_id.as_deref(), input.areas)?)
    }
}
