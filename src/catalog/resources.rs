//! Resources: areas and climbs addressed by URI, through resource templates.

use super::{cursor_param, CatalogError, CatalogResult, Ctx};
use crate::climbing::area::Area;
use crate::climbing::climb::Climb;
use crate::climbing::lists::List;
use crate::climbing::validate;
use crate::identity::Scope;
use crate::store::index::Position;
use crate::store::StoreError;
use serde_json::{json, Value};

pub const AREA_PREFIX: &str = "climbing://areas/";
pub const CLIMB_PREFIX: &str = "climbing://climbs/";

/// `resources/templates/list`.
pub fn templates(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    if cursor_param(params)?.is_some() {
        return Err(CatalogError::invalid(
            "invalid cursor: resources/templates/list has a single page; omit the cursor",
        ));
    }
    let mut templates = json!([
        {
            "uriTemplate": format!("{AREA_PREFIX}{{id}}"),
            "name": "area",
            "title": "Climbing area",
            "description": "A climbing area (country, region, crag, sector, wall or boulder) as JSON.",
            "mimeType": "application/json",
        },
        {
            "uriTemplate": format!("{CLIMB_PREFIX}{{id}}"),
            "name": "climb",
            "title": "Climb",
            "description": "A route or boulder problem as JSON.",
            "mimeType": "application/json",
        },
    ]);
    if let Value::Array(list) = &mut templates {
        list.extend((ctx.extension.resource_templates)());
    }
    Ok(json!({ "resourceTemplates": templates }))
}

fn require_read(ctx: &Ctx) -> CatalogResult<()> {
    if ctx.caller.may(Scope::Read) {
        Ok(())
    } else {
        Err(CatalogError::Forbidden {
            scope: Scope::Read,
            message: "reading resources needs the scope climb:read".into(),
        })
    }
}

/// `resources/list`: the top-level areas, a page at a time; everything below them is
/// reachable through the templates and the tools.
pub fn list(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    require_read(ctx)?;
    let list_name = List::Areas(None).cursor_scope();
    let from: Option<Position> = match cursor_param(params)? {
        Some(c) => Some(ctx.open_cursor(&list_name, c)?),
        None => None,
    };
    let (areas, next) = ctx
        .climbing()
        .list_areas(None, from.as_ref(), validate::DEFAULT_PAGE)?;
    let resources: Vec<Value> = areas
        .iter()
        .map(|a| {
            json!({
                "uri": format!("{AREA_PREFIX}{}", a.id),
                "name": a.name,
                "title": a.name,
                "description": format!("{} ({})", a.name, a.kind.as_str()),
                "mimeType": "application/json",
            })
        })
        .collect();
    let resources = if from.is_none() {
        let mut all = (ctx.extension.resources)();
        all.extend(resources);
        all
    } else {
        resources
    };
    let mut result = json!({ "resources": resources });
    if let Some(pos) = next {
        result["nextCursor"] = ctx.seal_cursor(&list_name, &pos)?.into();
    }
    Ok(result)
}

/// `resources/read`.
pub fn read(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    require_read(ctx)?;
    let uri = match params.get("uri") {
        Some(Value::String(u)) => u.as_str(),
        _ => return Err(CatalogError::invalid("resources/read needs a uri string")),
    };
    let not_found = || CatalogError::ResourceNotFound {
        uri: uri.to_owned(),
    };
    let climbing = ctx.climbing();
    let text = if let Some(id) = uri.strip_prefix(AREA_PREFIX) {
        validate::id("id", id).map_err(|_| not_found())?;
        let area: Area = climbing.find_area(id)?.ok_or_else(not_found)?;
        serde_json::to_string(&area)
    } else if let Some(id) = uri.strip_prefix(CLIMB_PREFIX) {
        validate::id("id", id).map_err(|_| not_found())?;
        let climb: Climb = climbing.find_climb(id)?.ok_or_else(not_found)?;
        serde_json::to_string(&climb)
    } else {
        if let Some(contents) = (ctx.extension.read_resource)(uri) {
            return Ok(json!({ "contents": [contents] }));
        }
        return Err(not_found());
    }
    .map_err(|e| {
        CatalogError::from(StoreError::Corrupt {
            key: uri.to_owned(),
            reason: e.to_string(),
        })
    })?;
    Ok(json!({ "contents": [{ "uri": uri, "mimeType": "application/json", "text": text }] }))
}
