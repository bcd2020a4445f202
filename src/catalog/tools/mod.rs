//! The tool catalog: definitions (`tools/list`) and dispatch (`tools/call`).

pub mod areas;
pub mod climbs;
mod definitions;
pub mod grades;
pub mod gym;
pub mod records;
pub mod ticks;

use super::schema;
use super::schema::Described;
use super::{CatalogError, CatalogResult, Ctx, Scope};
use crate::climbing::DomainError;
use crate::store::StoreError;
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
pub const DELETE: Annotations = Annotations {
    read_only: false,
    destructive: true,
    idempotent: true,
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
            e if e.is_store_trouble() => {
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
    type Input: DeserializeOwned + Described;
    type Output: Serialize + Described;
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
    pub run: Runner,
}

pub const fn spec<T: Tool>() -> ToolSpec {
    ToolSpec {
        name: T::NAME,
        title: T::TITLE,
        description: T::DESCRIPTION,
        scope: T::SCOPE,
        annotations: T::ANNOTATIONS,
        input_schema: input_schema_fn::<T::Input>(),
        output_schema: Some(output_schema_fn::<T::Output>()),
        run: Runner::Serialized(run::<T>),
    }
}

/// How a tool produces its `CallToolResult`.
#[derive(Clone, Copy)]
pub enum Runner {
    /// Already serialized: typed tools serialize their output once, for both the
    /// structured content and the text.
    Serialized(fn(&Ctx, Value) -> Result<String, ToolFailure>),
    /// As JSON to decorate (conformance fixtures, `input_required` results).
    Json(fn(&Ctx, Value) -> Result<Value, ToolFailure>),
}

/// A `tools/call` result, as the protocol layer sends it on.
pub enum CallResult {
    Serialized(String),
    Json(Value),
}

impl CallResult {
    /// The result as JSON (parsing it back when it was serialized).
    pub fn into_value(self) -> Value {
        match self {
            CallResult::Serialized(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
            CallResult::Json(value) => value,
        }
    }
}

/// The input schema generator of `T`. Inside the component the tool definitions
/// come from [`definitions`], serialized at build time, so schema generation is left
/// out of the `.wasm` altogether.
const fn input_schema_fn<T: Described>() -> fn() -> Value {
    #[cfg(not(target_arch = "wasm32"))]
    {
        schema::input::<T>
    }
    #[cfg(target_arch = "wasm32")]
    {
        || Value::Null
    }
}

/// The output schema generator of `T` (see [`input_schema_fn`]).
const fn output_schema_fn<T: Described>() -> fn() -> Value {
    #[cfg(not(target_arch = "wasm32"))]
    {
        schema::output::<T>
    }
    #[cfg(target_arch = "wasm32")]
    {
        || Value::Null
    }
}

fn run<T: Tool>(ctx: &Ctx, arguments: Value) -> Result<String, ToolFailure> {
    let input: T::Input = serde_json::from_value(arguments).map_err(|e| {
        ToolFailure::Refused(format!(
            "invalid arguments for {}: {e}. The tool's inputSchema lists the accepted fields.",
            T::NAME
        ))
    })?;
    let output = T::call(ctx, input)?;
    let structured = serde_json::to_string(&output).unwrap_or_else(|_| "null".into());
    #[cfg(test)]
    assert_matches_output_schema::<T>(&structured);
    Ok(success_text(&structured))
}

/// Every result a unit test gets from a tool is checked against the full schema of
/// its output type, as a client that validates `structuredContent` would.
#[cfg(test)]
fn assert_matches_output_schema<T: Tool>(structured: &str) {
    let shape = schema::output::<T::Output>();
    let result: Value = serde_json::from_str(structured).unwrap();
    let validator = jsonschema::validator_for(&shape).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&result)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{}: the result does not match the output schema: {errors:?}\nresult: {result}\nschema: {shape}",
        T::NAME
    );
}

impl ToolSpec {
    /// The tool's entry in `tools/list`.
    pub fn describe(&self) -> Value {
        // Hints at their MCP defaults (not read-only, destructive, not idempotent) are
        // left out, and so are the destructive and idempotent hints of a read-only
        // tool, which mean nothing; the display title is `title`.
        let mut hints = serde_json::Map::new();
        if self.annotations.read_only {
            hints.insert("readOnlyHint".into(), true.into());
        } else {
            if !self.annotations.destructive {
                hints.insert("destructiveHint".into(), false.into());
            }
            if self.annotations.idempotent {
                hints.insert("idempotentHint".into(), true.into());
            }
        }
        hints.insert("openWorldHint".into(), false.into());
        // Mutated only natively, where output schemas are attached.
        #[cfg_attr(target_arch = "wasm32", allow(unused_mut))]
        let mut tool = json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": (self.input_schema)(),
            "annotations": hints,
        });
        if let Some(output_schema) = self.output_schema {
            tool["outputSchema"] = schema::served_output(&output_schema());
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
    fixtures.iter().chain(GROUPS.iter().flat_map(|g| g.iter()))
}

/// The tool groups, in the order `tools/list` shows them. Each module owns one
/// group of tools and lists them in its `TOOLS`.
static GROUPS: &[&[ToolSpec]] = &[
    areas::TOOLS,
    climbs::TOOLS,
    records::TOOLS,
    grades::TOOLS,
    gym::TOOLS,
    ticks::TOOLS,
    super::admin::TOOLS,
];

pub fn find(name: &str) -> Option<&'static ToolSpec> {
    all().find(|t| t.name == name)
}

/// `tools/list`, serialized: the tools the caller may call, from definitions
/// serialized at build time (the same for every request, so no request pays for
/// schema generation). One page; a cursor is still checked so a bad one is reported.
pub fn list(ctx: &Ctx, params: &Value) -> CatalogResult<String> {
    if super::cursor_param(params)?.is_some() {
        return Err(CatalogError::invalid(
            "invalid cursor: tools/list has a single page; omit the cursor",
        ));
    }
    let allowed = || {
        definitions::DEFINITIONS
            .iter()
            .filter(|d| ctx.caller.may(d.scope))
            .map(|d| d.json)
    };
    // The answer is tens of kilobytes: written once into a buffer of its size.
    let mut out = String::with_capacity(allowed().map(|j| j.len() + 1).sum::<usize>() + 16);
    out.push_str("{\"tools\":[");
    #[cfg(feature = "conformance")]
    for t in super::conformance::TOOLS
        .iter()
        .filter(|t| ctx.caller.may(t.scope))
    {
        out.push_str(&t.describe().to_string());
        out.push(',');
    }
    for json in allowed() {
        out.push_str(json);
        out.push(',');
    }
    if out.ends_with(',') {
        out.pop();
    }
    out.push_str("]}");
    Ok(out)
}

/// A tool's `tools/list` entry, serialized.
pub struct Definition {
    pub name: &'static str,
    pub scope: Scope,
    pub json: &'static str,
}

/// The source of [`definitions`]: every tool's entry, serialized from its schemas.
#[cfg(not(target_arch = "wasm32"))]
pub fn definitions_source() -> String {
    let mut out = String::from(
        "//! Every tool's `tools/list` entry, one tool per line: its name, title and\n\
         //! description from the tool, its schemas generated by schemars from its Rust types\n\
         //! (settings and transforms in `catalog/schema.rs`), serialized compact, as served.\n\
         //! Generated by a unit test: `UPDATE_TOOL_DEFINITIONS=1 cargo test -p climbing-mcp\n\
         //! --lib tool_definitions` rewrites it, and that test fails while it is out of date.\n\
         //! Do not edit.\n\n\
         use super::Definition;\nuse crate::catalog::Scope;\n\n\
         pub static DEFINITIONS: &[Definition] = &[\n",
    );
    for tool in GROUPS.iter().flat_map(|g| g.iter()) {
        let json = tool.describe().to_string();
        let mut hashes = String::from("#");
        while json.contains(&format!("\"{hashes}")) {
            hashes.push('#');
        }
        out.push_str(&format!(
            "    Definition {{\n        name: \"{}\",\n        scope: Scope::{:?},\n        json: r{hashes}\"{json}\"{hashes},\n    }},\n",
            tool.name, tool.scope
        ));
    }
    out.push_str("];\n");
    out
}

/// `tools/call`: runs a tool and shapes its result (structured content plus the
/// same JSON as text, or an `isError` result).
pub fn call(ctx: &Ctx, params: &Value) -> CatalogResult<CallResult> {
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
            return Ok(CallResult::Json(error_result(format!(
                "arguments for {name} must be a JSON object"
            ))))
        }
    };
    let outcome = match tool.run {
        Runner::Serialized(run) => run(ctx, arguments).map(CallResult::Serialized),
        Runner::Json(run) => run(ctx, arguments).map(CallResult::Json),
    };
    match outcome {
        Ok(result) => Ok(result),
        Err(ToolFailure::Refused(message)) => Ok(CallResult::Json(error_result(message))),
        Err(ToolFailure::Protocol(e)) => Err(e),
    }
}

/// A successful result whose structured content is `structured` (serialized
/// JSON), with the same JSON as its text, built without re-parsing it.
pub fn success_text(structured: &str) -> String {
    let text = serde_json::to_string(structured).unwrap_or_default();
    format!(
        "{{\"content\":[{{\"type\":\"text\",\"text\":{text}}}],\"structuredContent\":{structured},\"isError\":false}}"
    )
}

pub fn error_result(message: String) -> Value {
    json!({
        "content": [{ "type": "text", "text": message }],
        "isError": true,
    })
}

// ---- shared argument and result types ----------------------------------------

/// An entity id.
#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IdArg {
    /// The id, as returned by create and list tools.
    pub id: String,
}

/// A page of results and the cursor for the next one.
#[derive(Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub fn open_cursor<P: serde::de::DeserializeOwned>(
    ctx: &Ctx,
    list: &str,
    cursor: Option<&str>,
) -> Result<Option<P>, ToolFailure> {
    cursor
        .map(|c| ctx.open_cursor(list, c))
        .transpose()
        .map_err(ToolFailure::from)
}

pub fn page<T, P: serde::Serialize>(
    ctx: &Ctx,
    list: &str,
    items: Vec<T>,
    next: Option<P>,
) -> Result<Page<T>, ToolFailure> {
    let next_cursor = match next {
        Some(pos) => Some(ctx.seal_cursor(list, &pos)?),
        None => None,
    };
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    /// The committed definitions match the tools' types; with
    /// UPDATE_TOOL_DEFINITIONS=1 the file is rewritten instead.
    #[test]
    fn tool_definitions_are_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/catalog/tools/definitions.rs"
        );
        let fresh = super::definitions_source();
        if std::env::var_os("UPDATE_TOOL_DEFINITIONS").is_some() {
            std::fs::write(path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap();
        assert!(
            committed == fresh,
            "src/catalog/tools/definitions.rs is out of date with the tools' types; \
             run UPDATE_TOOL_DEFINITIONS=1 cargo test -p climbing-mcp --lib tool_definitions"
        );
    }

    /// What `tools/list` puts into a model's context for a read/write token, to the
    /// byte (deterministic: the definitions are fixed at build time). A change to a
    /// tool's text or types moves it; keep it under 48 KB.
    #[test]
    fn tools_list_size_for_a_read_write_token() {
        use crate::catalog::{Caller, Ctx, Scope};
        let platform = crate::platform::memory::MemoryPlatform::default();
        let caller = Caller {
            subject: "tester".into(),
            scopes: vec![Scope::Read, Scope::Write],
        };
        let listed = super::list(&Ctx::new(&platform, caller), &serde_json::json!({})).unwrap();
        println!("tools/list for a read/write token: {} bytes", listed.len());
        assert!(listed.len() <= 48 * 1024, "{} bytes", listed.len());
        assert_eq!(listed.len(), 47_365);
    }

    #[test]
    fn every_tool_has_a_definition_in_order() {
        let names: Vec<&str> = super::GROUPS
            .iter()
            .flat_map(|g| g.iter())
            .map(|t| t.name)
            .collect();
        let defined: Vec<&str> = super::definitions::DEFINITIONS
            .iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, defined);
    }
}
