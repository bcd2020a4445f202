//! The tool catalog: definitions (`tools/list`) and dispatch (`tools/call`).

use super::{schema, CatalogError, CatalogResult, Ctx, Scope};
use crate::climbing::area::{Area, NewArea};
use crate::climbing::climb::{Climb, ClimbChanges, NewClimb};
use crate::climbing::{validate, DomainError};
use crate::store::index::Position;
use crate::store::StoreError;
use schemars::JsonSchema;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Value};

/// MCP tool annotations: hints for clients about what a tool does.
#[derive(Debug, Clone, Copy)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

pub const READ: Annotations = Annotations {
    read_only: true,
    destructive: false,
    idempotent: true,
};
pub const CREATE: Annotations = Annotations {
    read_only: false,
    destructive: false,
    idempotent: false,
};
pub const UPDATE: Annotations = Annotations {
    read_only: false,
    destructive: true,
    idempotent: false,
};

/// How a tool call failed, short of a protocol error.
pub enum ToolFailure {
    /// Domain rule, validation, not found, conflict: an `isError` result whose text
    /// tells the caller what to do.
    Refused(String),
    /// Storage failure and the like: a JSON-RPC error.
    Protocol(CatalogError),
}

impl From<DomainError> for ToolFailure {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Store(s) => s.into(),
            DomainError::Invalid(m) => ToolFailure::Refused(m),
        }
    }
}

impl From<StoreError> for ToolFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Kv(_) | StoreError::Corrupt { .. } => {
                ToolFailure::Protocol(CatalogError::Internal(e.to_string()))
            }
            other => ToolFailure::Refused(other.to_string()),
        }
    }
}

impl From<CatalogError> for ToolFailure {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::InvalidParams { message, .. } => ToolFailure::Refused(message),
            other => ToolFailure::Protocol(other),
        }
    }
}

/// One tool: its arguments and result are Rust types, from which the schemas come.
pub trait Tool {
    const NAME: &'static str;
    const TITLE: &'static str;
    const DESCRIPTION: &'static str;
    const SCOPE: Scope;
    const ANNOTATIONS: Annotations;
    type Input: DeserializeOwned + JsonSchema;
    type Output: Serialize + JsonSchema;
    fn call(ctx: &Ctx, input: Self::Input) -> Result<Self::Output, ToolFailure>;
}

/// A tool with its types erased, for the registry.
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub scope: Scope,
    pub annotations: Annotations,
    pub input_schema: fn() -> Value,
    /// Absent for tools whose results are not structured (conformance fixtures).
    pub output_schema: Option<fn() -> Value>,
    /// Runs the tool and returns the whole `CallToolResult`.
    pub run: fn(&Ctx, Value) -> Result<Value, ToolFailure>,
}

pub const fn spec<T: Tool>() -> ToolSpec {
    ToolSpec {
        name: T::NAME,
        title: T::TITLE,
        description: T::DESCRIPTION,
        scope: T::SCOPE,
        annotations: T::ANNOTATIONS,
        input_schema: schema::of::<T::Input>,
        output_schema: Some(schema::of::<T::Output>),
        run: run::<T>,
    }
}

fn run<T: Tool>(ctx: &Ctx, arguments: Value) -> Result<Value, ToolFailure> {
    let input: T::Input = serde_json::from_value(arguments).map_err(|e| {
        ToolFailure::Refused(format!(
            "invalid arguments for {}: {e}. The tool's inputSchema lists the accepted fields.",
            T::NAME
        ))
    })?;
    let output = T::call(ctx, input)?;
    Ok(success_result(
        serde_json::to_value(output).unwrap_or(Value::Null),
    ))
}

impl ToolSpec {
    /// The tool's entry in `tools/list`.
    pub fn describe(&self) -> Value {
        let mut tool = json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": (self.input_schema)(),
            "annotations": {
                "title": self.title,
                "readOnlyHint": self.annotations.read_only,
                "destructiveHint": self.annotations.destructive,
                "idempotentHint": self.annotations.idempotent,
                "openWorldHint": false,
            },
        });
        if let Some(output_schema) = self.output_schema {
            tool["outputSchema"] = output_schema();
        }
        tool
    }
}

/// Every tool, in the order `tools/list` shows them.
pub fn all() -> impl Iterator<Item = &'static ToolSpec> {
    #[cfg(feature = "conformance")]
    let fixtures = super::conformance::TOOLS;
    #[cfg(not(feature = "conformance"))]
    let fixtures: &[ToolSpec] = &[];
    fixtures.iter().chain(TOOLS)
}

static TOOLS: &[ToolSpec] = &[
    spec::<GetArea>(),
    spec::<ListAreas>(),
    spec::<CreateArea>(),
    spec::<GetClimb>(),
    spec::<ListClimbs>(),
    spec::<CreateClimb>(),
    spec::<UpdateClimb>(),
    spec::<super::admin::IssueToken>(),
    spec::<super::admin::ListTokens>(),
    spec::<super::admin::RevokeToken>(),
];

pub fn find(name: &str) -> Option<&'static ToolSpec> {
    all().find(|t| t.name == name)
}

/// `tools/list`: the tools the caller may call. The list is short and fixed, so it
/// is one page; a cursor is still checked so a bad one is reported, not ignored.
pub fn list(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    if super::cursor_param(params)?.is_some() {
        return Err(CatalogError::invalid(
            "invalid cursor: tools/list has a single page; omit the cursor",
        ));
    }
    let tools: Vec<Value> = all()
        .filter(|t| ctx.caller.may(t.scope))
        .map(ToolSpec::describe)
        .collect();
    Ok(json!({ "tools": tools }))
}

/// `tools/call`: runs a tool and shapes its result (structured content plus the
/// same JSON as text, or an `isError` result).
pub fn call(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    let name = match params.get("name") {
        Some(Value::String(n)) => n.as_str(),
        Some(_) => return Err(CatalogError::invalid("tools/call: name must be a string")),
        None => return Err(CatalogError::invalid("tools/call: missing the tool name")),
    };
    let tool = find(name).ok_or_else(|| CatalogError::InvalidParams {
        message: format!("Unknown tool: {name}. Call tools/list to see the available tools."),
        data: Some(json!({ "name": name })),
    })?;
    if !ctx.caller.may(tool.scope) {
        return Err(CatalogError::Forbidden {
            scope: tool.scope,
            message: format!(
                "the tool {name} needs the scope {}; ask for a token that grants it",
                tool.scope.as_str()
            ),
        });
    }
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => {
            return Ok(error_result(format!(
                "arguments for {name} must be a JSON object"
            )))
        }
    };
    match (tool.run)(ctx, arguments) {
        Ok(result) => Ok(result),
        Err(ToolFailure::Refused(message)) => Ok(error_result(message)),
        Err(ToolFailure::Protocol(e)) => Err(e),
    }
}

pub fn success_result(structured: Value) -> Value {
    let text = serde_json::to_string(&structured).unwrap_or_default();
    json!({
        "content": [{ "type": "text", "text": text }],
        "structuredContent": structured,
        "isError": false,
    })
}

pub fn error_result(message: String) -> Value {
    json!({
        "content": [{ "type": "text", "text": message }],
        "isError": true,
    })
}

// ---- shared argument and result types ----------------------------------------

/// An entity id.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdArg {
    /// The id, as returned by create and list tools.
    pub id: String,
}

/// A page of results and the cursor for the next one.
#[derive(Serialize, JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn open_cursor(
    ctx: &Ctx,
    list: &str,
    cursor: Option<&str>,
) -> Result<Option<Position>, ToolFailure> {
    cursor
        .map(|c| ctx.open_cursor(list, c))
        .transpose()
        .map_err(ToolFailure::from)
}

fn page<T>(
    ctx: &Ctx,
    list: &str,
    items: Vec<T>,
    next: Option<Position>,
) -> Result<Page<T>, ToolFailure> {
    let next_cursor = match next {
        Some(pos) => Some(ctx.seal_cursor(list, &pos)?),
        None => None,
    };
    Ok(Page { items, next_cursor })
}

// ---- areas -------------------------------------------------------------------

struct GetArea;
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

struct ListAreas;
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

struct CreateArea;
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

// ---- climbs ------------------------------------------------------------------

struct GetClimb;
impl Tool for GetClimb {
    const NAME: &'static str = "get_climb";
    const TITLE: &'static str = "Get a climb";
    const DESCRIPTION: &'static str = "Get one climb (route or boulder problem) by id.";
    const SCOPE: Scope = Scope::Read;
    const ANNOTATIONS: Annotations = READ;
    type Input = IdArg;
    type Output = Climb;
    fn call(ctx: &Ctx, input: IdArg) -> Result<Climb, ToolFailure> {
        Ok(ctx.climbing().get_climb(&input.id)?)
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListClimbsArgs {
    /// The crag, sector, wall or boulder whose climbs to list.
    pub area_id: String,
    /// From a previous page's next_cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

struct ListClimbs;
impl Tool for ListClimbs {
    const NAME: &'static str = "list_climbs";
    const TITLE: &'static str = "List climbs in an area";
    const DESCRIPTION: &'static str = "List the climbs in a crag, sector, wall or boulder, in the order they were added. Paginated: pass next_cursor back as cursor.";
    const SCOPE: Scope = Scope::Read;
    const ANNOTATIONS: Annotations = READ;
    type Input = ListClimbsArgs;
    type Output = Page<Climb>;
    fn call(ctx: &Ctx, input: ListClimbsArgs) -> Result<Page<Climb>, ToolFailure> {
        let limit = validate::page_size(input.limit)?;
        validate::id("area_id", &input.area_id)?;
        let list = crate::climbing::climb::climbs_list(&input.area_id);
        let from = open_cursor(ctx, &list, input.cursor.as_deref())?;
        let (items, next) = ctx
            .climbing()
            .list_climbs(&input.area_id, from.as_ref(), limit)?;
        page(ctx, &list, items, next)
    }
}

struct CreateClimb;
impl Tool for CreateClimb {
    const NAME: &'static str = "create_climb";
    const TITLE: &'static str = "Create a climb";
    const DESCRIPTION: &'static str = "Add a route or boulder problem to a crag, sector, wall or boulder, with its grades (e.g. {\"yds\": \"5.10a\"}), disciplines and optional length, bolts, pitches, first ascent, safety and location. Returns the new climb with its id.";
    const SCOPE: Scope = Scope::Write;
    const ANNOTATIONS: Annotations = CREATE;
    type Input = NewClimb;
    type Output = Climb;
    fn call(ctx: &Ctx, input: NewClimb) -> Result<Climb, ToolFailure> {
        Ok(ctx.climbing().create_climb(input)?)
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClimbArgs {
    /// The climb to change.
    pub id: String,
    /// The version you last read; the update is refused if the climb changed since.
    /// Omit to apply the change to whatever version is current.
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// The fields to change; omitted fields keep their values.
    pub changes: ClimbChanges,
}

struct UpdateClimb;
impl Tool for UpdateClimb {
    const NAME: &'static str = "update_climb";
    const TITLE: &'static str = "Update a climb";
    const DESCRIPTION: &'static str = "Change fields of a climb. Pass expected_version (from get_climb) to be safe against concurrent edits: a stale version is refused with the current version, and nothing is written.";
    const SCOPE: Scope = Scope::Write;
    const ANNOTATIONS: Annotations = UPDATE;
    type Input = UpdateClimbArgs;
    type Output = Climb;
    fn call(ctx: &Ctx, input: UpdateClimbArgs) -> Result<Climb, ToolFailure> {
        Ok(ctx
            .climbing()
            .update_climb(&input.id, input.expected_version, input.changes)?)
    }
}
