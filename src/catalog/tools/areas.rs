//! Area tools.

use super::{open_cursor, page, Annotations, IdArg, Page, Tool, ToolFailure, CREATE, READ};
use crate::catalog::{Ctx, Scope};
use crate::climbing::area::{Area, NewArea};
use crate::climbing::validate;
use schemars::JsonSchema;
use serde::Deserialize;

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

#[derive(Deserialize, JsonSchema)]
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
    const DESCRIPTION: &'static str = "List the sub-areas of an area, or the top-level areas (countries, regions) when parent_id is omitted. Paginated: pass next_cursor back as cursor.";
    const SCOPE: Scope = Scope::Read;
    const ANNOTATIONS: Annotations = READ;
    type Input = ListAreasArgs;
    type Output = Page<Area>;
    fn call(ctx: &Ctx, input: ListAreasArgs) -> Result<Page<Area>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        let list = crate::climbing::area::children_list(input.parent_id.as_deref());
        let from = open_cursor(ctx, &list, input.cursor.as_deref())?;
        let (items, next) =
            ctx.climbing()
                .list_areas(input.parent_id.as_deref(), from.as_ref(), limit)?;
        page(ctx, &list, items, next)
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
    super::spec::<CreateArea>(),
];
