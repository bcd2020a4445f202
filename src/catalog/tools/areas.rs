//! Area tools.

use super::{paged_list, ConfirmedDeleteArgs, IdArg, Page, Tool, ToolFailure, ToolMeta};
use crate::catalog::confirmation::confirm_delete;
use crate::catalog::Ctx;
use crate::climbing::area::{Area, AreaChanges, AreaKind, NewArea};
use crate::climbing::grades::GradeSystem;
use crate::climbing::import::{ImportArea, ImportSummary};
use crate::climbing::lists::List;
use crate::climbing::stats::AreaStats;
use crate::climbing::{validate, LatLng};
use serde::{Deserialize, Serialize};

pub struct GetArea;
impl Tool for GetArea {
    const META: ToolMeta = ToolMeta::read(
        "get_area",
        "Get an area",
        "Get one climbing area (country, region, crag, sector, wall or boulder) by id.",
    );
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
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct ListAreas;
impl Tool for ListAreas {
    const META: ToolMeta = ToolMeta::read(
        "list_areas",
        "List areas",
        "List the sub-areas of an area, or the top-level areas (countries, regions) when parent_id is omitted.",
    );
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
    const META: ToolMeta = ToolMeta::create(
        "create_area",
        "Create an area",
        "Create a climbing area. Areas form a tree: country > region > area > crag > sector/wall/boulder; only countries and regions may be top-level. Returns the new area with its id.",
    );
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
    super::spec::<GetAreaOutline>(),
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
    /// Fields to change; others keep their values.
    pub changes: AreaChanges,
}

pub struct UpdateArea;
impl Tool for UpdateArea {
    const META: ToolMeta = ToolMeta::update(
        "update_area",
        "Update an area",
        "Change an area's name, kind, location, description or access notes. Pass expected_version (from get_area) to be safe against concurrent edits: a stale version is refused with the current one, and nothing is written.",
    );
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
    /// The version you last read; refused if it changed since.
    #[serde(default)]
    pub expected_version: Option<u64>,
}

pub struct DeleteArea;
impl Tool for DeleteArea {
    const META: ToolMeta = ToolMeta::delete(
        "delete_area",
        "Delete an area",
        "Delete an empty area (no sub-areas, no climbs). Returns the deleted area. Confirmed as for delete_climb.",
    );
    type Input = ConfirmedDeleteArgs;
    type Output = Area;
    fn call(ctx: &Ctx, input: ConfirmedDeleteArgs) -> Result<Area, ToolFailure> {
        let climbing = ctx.climbing();
        let version = confirm_delete(ctx, Self::META.name, &input, || {
            climbing.area_delete_loss(&input.id)
        })?;
        Ok(climbing.delete_area(&input.id, version)?)
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
    const META: ToolMeta = ToolMeta::update(
        "move_area",
        "Move an area",
        "Move an area, with its sub-areas and climbs, under another parent. Refuses moves that would put an area inside itself or break the tree's order (country > region > area > crag > sector/wall/boulder).",
    );
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
    /// A previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Entries scanned per page, 1 to 200 (default 50); with several words a page
    /// may hold fewer matches.
    #[serde(default)]
    pub limit: Option<u32>,
}

pub struct SearchAreas;
impl Tool for SearchAreas {
    const META: ToolMeta = ToolMeta::read(
        "search_areas",
        "Search areas by name",
        "Find areas whose name contains every word of the query (case and accents ignored). Paginated.",
    );
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
    const META: ToolMeta = ToolMeta::read(
        "crags_near",
        "Crags near a point",
        "Crags (or other kinds of areas) with a location within a radius of a point, nearest first, with their distance.",
    );
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
    const META: ToolMeta = ToolMeta::read(
        "get_area_path",
        "Where an area is",
        "The chain of areas from the top of the tree (country) down to an area: its breadcrumbs.",
    );
    type Input = IdArg;
    type Output = AreaPath;
    fn call(ctx: &Ctx, input: IdArg) -> Result<AreaPath, ToolFailure> {
        Ok(AreaPath {
            path: ctx.climbing().area_path(&input.id)?,
        })
    }
}

/// Most sub-areas an outline shows (a large crag has a few hundred).
const MAX_OUTLINE_AREAS: usize = 500;

/// One sub-area in an outline: where it sits, without its details.
#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct OutlineEntry {
    pub id: String,
    pub name: String,
    pub kind: AreaKind,
    /// Levels below the area asked for: 1 for its own sub-areas.
    pub depth: usize,
    pub parent_id: String,
}

#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct AreaOutline {
    /// The area asked for.
    pub area: Area,
    /// Every area below it, each followed by its own sub-areas (siblings in list
    /// order), as a table of contents.
    pub sub_areas: Vec<OutlineEntry>,
}

/// A model finding its way around a crag otherwise walks it with one
/// list_areas call per sector; this is the whole tree in one call.
pub struct GetAreaOutline;
impl Tool for GetAreaOutline {
    const META: ToolMeta = ToolMeta::read(
        "get_area_outline",
        "Outline of an area",
        "Every sub-area below an area at every level (e.g. a crag's sectors, walls and boulders) in one call, as a table of contents with id, name, kind and depth; up to 500 sub-areas. Use list_climbs on an entry for its climbs.",
    );
    type Input = IdArg;
    type Output = AreaOutline;
    fn call(ctx: &Ctx, input: IdArg) -> Result<AreaOutline, ToolFailure> {
        let climbing = ctx.climbing();
        let area = climbing.get_area(&input.id)?;
        let below = match climbing.descendants(&area.id, MAX_OUTLINE_AREAS) {
            Err(crate::climbing::DomainError::Invalid(_)) => {
                return Err(ToolFailure::Refused(format!(
                    "{} has more than {MAX_OUTLINE_AREAS} sub-areas: ask for the outline of one of its parts (list_areas shows them)",
                    area.name
                )))
            }
            other => other?,
        };
        // Depth first from the area, each parent's children in the order listed.
        let mut sub_areas = Vec::with_capacity(below.len());
        let mut stack = vec![(area.id.clone(), 0)];
        while let Some((parent, depth)) = stack.pop() {
            if depth > 0 {
                if let Some(a) = below.iter().find(|a| a.id == parent) {
                    sub_areas.push(OutlineEntry {
                        id: a.id.clone(),
                        name: a.name.clone(),
                        kind: a.kind,
                        depth,
                        parent_id: a.parent_id.clone().unwrap_or_default(),
                    });
                }
            }
            let children = below
                .iter()
                .filter(|a| a.parent_id.as_deref() == Some(parent.as_str()));
            stack.extend(children.rev().map(|a| (a.id.clone(), depth + 1)));
        }
        Ok(AreaOutline { area, sub_areas })
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
    const META: ToolMeta = ToolMeta::read(
        "area_stats",
        "Area statistics",
        "Grade histogram by discipline of the climbs in an area and all its sub-areas (read up to 500 areas and 10,000 climbs; larger areas say truncated).",
    );
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
    const META: ToolMeta = ToolMeta::create(
        "import_tree",
        "Import a tree of areas and climbs",
        "Create a nested tree of areas and their climbs in one call (OpenBeta-like shape: areas with sub-areas and climbs). The whole tree is checked before anything is written: one bad node refuses the import and stores nothing.",
    );
    type Input = ImportArgs;
    type Output = ImportSummary;
    fn call(ctx: &Ctx, input: ImportArgs) -> Result<ImportSummary, ToolFailure> {
        Ok(ctx
            .climbing()
            .import_tree_reporting(input.parent_id.as_deref(), input.areas, ctx)?)
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::tools::call;
    use crate::catalog::Ctx;
    use crate::identity::{Caller, Scope};
    use crate::platform::memory::MemoryPlatform;
    use serde_json::{json, Value};

    fn ok(p: &MemoryPlatform, name: &str, args: Value) -> Value {
        let caller = Caller {
            subject: "tester".into(),
            scopes: vec![Scope::Read, Scope::Write],
        };
        let r = call(
            &Ctx::new(p, caller),
            &json!({"name": name, "arguments": args}),
        )
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
        .into_value();
        assert_eq!(r["isError"], false, "{name}: {r}");
        r["structuredContent"].clone()
    }

    fn area(p: &MemoryPlatform, name: &str, kind: &str, parent: Option<&str>) -> String {
        let mut args = json!({"name": name, "kind": kind});
        if let Some(parent) = parent {
            args["parent_id"] = parent.into();
        }
        ok(p, "create_area", args)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn an_outline_lists_every_level_depth_first() {
        let p = MemoryPlatform::default();
        let country = area(&p, "USA", "country", None);
        let crag = area(&p, "Smith Rock", "area", Some(&country));
        let dihedrals = area(&p, "Dihedrals", "crag", Some(&crag));
        area(&p, "Asterisk Pass", "crag", Some(&crag));
        area(&p, "Chain Reaction wall", "wall", Some(&dihedrals));
        let outline = ok(&p, "get_area_outline", json!({"id": crag}));
        assert_eq!(outline["area"]["name"], "Smith Rock");
        let rows: Vec<(String, u64)> = outline["sub_areas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_owned(),
                    e["depth"].as_u64().unwrap(),
                )
            })
            .collect();
        let names: Vec<(&str, u64)> = rows.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        assert_eq!(
            names,
            [
                ("Dihedrals", 1),
                ("Chain Reaction wall", 2),
                ("Asterisk Pass", 1)
            ]
        );
        let top = ok(&p, "get_area_outline", json!({"id": country}));
        assert_eq!(top["sub_areas"].as_array().unwrap().len(), 4);
    }
}
