//! The tool catalog: definitions (`tools/list`) and dispatch (`tools/call`).

pub mod areas;
pub mod climbs;
mod definitions;
pub mod grades;
pub mod gym;
pub mod meta;
pub mod records;
pub mod ticks;

use super::schema;
use super::schema::Described;
use super::{CatalogError, CatalogResult, Ctx};
use crate::climbing::DomainError;
use crate::encoding::JsonText;
use crate::identity::Scope;
use crate::store::StoreError;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub use meta::{Annotations, ToolMeta};

/// How a tool call failed, short of a protocol error.
pub enum ToolFailure {
    /// Domain rule, validation, not found, conflict: an `isError` result whose text
    /// tells the caller what to do.
    Refused(String),
    /// Storage failure and the like: a JSON-RPC error.
    Protocol(CatalogError),
    /// Not a failure: the tool cannot go on before the client answers questions
    /// (a person confirming, choosing); the `input_required` result from
    /// [`Ctx::input_required`]. It leaves a typed tool the way a refusal does,
    /// with nothing written.
    InputRequired(Value),
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

/// One tool: its arguments and result are Rust types, from which the schemas
/// come; everything else about it is its [`ToolMeta`].
pub trait Tool {
    const META: ToolMeta;
    type Input: DeserializeOwned + Described;
    type Output: Serialize + Described;
    fn call(ctx: &Ctx, input: Self::Input) -> Result<Self::Output, ToolFailure>;
}

/// A tool with its types erased, for the registry.
pub struct ToolSpec {
    pub meta: ToolMeta,
    pub input_schema: fn() -> Value,
    /// Absent for tools whose results are not structured (extension tools that
    /// build their whole result).
    pub output_schema: Option<fn() -> Value>,
    /// Runs the tool and returns the whole `CallToolResult`.
    pub run: Runner,
}

pub const fn spec<T: Tool>() -> ToolSpec {
    ToolSpec {
        meta: T::META.catalogued(),
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
    /// The whole result as JSON: content other than structured JSON, or an
    /// `input_required` result. The tools of a catalog
    /// [`Extension`](super::extension::Extension) run this way.
    Json(fn(&Ctx, Value) -> Result<Value, ToolFailure>),
    /// Long work in bounded steps, run as a task for a client that declared the
    /// tasks extension (see [`super::tasks`]).
    Task(&'static super::tasks::TaskKind),
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
pub(crate) const fn input_schema_fn<T: Described>() -> fn() -> Value {
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
    let name = T::META.name;
    let input = T::Input::deserialize(arguments_object(name, arguments)?)
        .map_err(|e| invalid_arguments(name, e))?;
    let output = T::call(ctx, input)?;
    let structured = serde_json::to_string(&output).unwrap_or_else(|_| "null".into());
    #[cfg(test)]
    assert_matches_output_schema::<T>(&structured);
    Ok(success_text(&structured))
}

/// The arguments as their map (`call` hands over an object only). Read from the
/// map rather than from the `Value`, an argument type leaves out the code that
/// would read it from a JSON array (about 40 KB of the component).
fn arguments_object(tool: &str, arguments: Value) -> Result<Map<String, Value>, ToolFailure> {
    match arguments {
        Value::Object(map) => Ok(map),
        _ => Err(ToolFailure::Refused(format!(
            "arguments for {tool} must be a JSON object"
        ))),
    }
}

/// Outside [`run`], which has a copy for every tool.
fn invalid_arguments(tool: &str, e: serde_json::Error) -> ToolFailure {
    ToolFailure::Refused(format!(
        "invalid arguments for {tool}: {e}. The tool's inputSchema lists the accepted fields."
    ))
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
        T::META.name
    );
}

impl ToolSpec {
    /// The tool's entry in `tools/list`.
    pub fn describe(&self) -> Value {
        // Hints at their MCP defaults (not read-only, destructive, not idempotent) are
        // left out, and so are the destructive and idempotent hints of a read-only
        // tool, which mean nothing; the display title is `title`.
        let mut hints = serde_json::Map::new();
        if self.meta.annotations.read_only {
            hints.insert("readOnlyHint".into(), true.into());
        } else {
            if !self.meta.annotations.destructive {
                hints.insert("destructiveHint".into(), false.into());
            }
            if self.meta.annotations.idempotent {
                hints.insert("idempotentHint".into(), true.into());
            }
        }
        hints.insert("openWorldHint".into(), false.into());
        // Mutated only natively, where output schemas are attached.
        #[cfg_attr(target_arch = "wasm32", allow(unused_mut))]
        let mut tool = json!({
            "name": self.meta.name,
            "title": self.meta.title,
            "description": self.meta.description,
            "inputSchema": (self.input_schema)(),
            "annotations": hints,
        });
        if let Some(output_schema) = self.output_schema {
            tool["outputSchema"] = schema::served_output(&output_schema());
        }
        if let Runner::Task(kind) = self.run {
            let support = if kind.required {
                "required"
            } else {
                "optional"
            };
            tool["execution"] = json!({ "taskSupport": support });
        }
        tool
    }
}

/// The catalog's own tools, in the order `tools/list` shows them (after those
/// of the request's extension).
pub fn all() -> impl Iterator<Item = &'static ToolSpec> {
    GROUPS.iter().flat_map(|g| g.iter())
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
    super::tasks::bulk_import::TOOLS,
];

/// The tool `name`: the extension's, else the catalog's.
pub fn find(ctx: &Ctx, name: &str) -> Option<&'static ToolSpec> {
    ctx.extension
        .tools
        .iter()
        .chain(ctx.extension.task_tools)
        .chain(all())
        .find(|t| t.meta.name == name)
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
    for t in ctx
        .extension
        .tools
        .iter()
        .chain(ctx.extension.task_tools)
        .filter(|t| ctx.caller.may(t.meta.scope))
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

/// The text of `definitions.json`: every tool's `tools/list` entry with the scope
/// it needs, pretty-printed, one tool per block, in `tools/list` order. The build
/// script compacts it into what is served ([`definitions`]).
#[cfg(not(target_arch = "wasm32"))]
pub fn definitions_source() -> String {
    let entries: Vec<Value> = GROUPS
        .iter()
        .flat_map(|g| g.iter())
        .map(|tool| json!({"scope": tool.meta.scope.as_str(), "tool": tool.describe()}))
        .collect();
    let mut text = serde_json::to_string_pretty(&entries).unwrap_or_default();
    text.push('\n');
    text
}

/// `tools/call`: runs a tool and shapes its result (structured content plus the
/// same JSON as text, or an `isError` result).
pub fn call(ctx: &Ctx, params: &Value) -> CatalogResult<CallResult> {
    let name = match params.get("name") {
        Some(Value::String(n)) => n.as_str(),
        Some(_) => return Err(CatalogError::invalid("tools/call: name must be a string")),
        None => return Err(CatalogError::invalid("tools/call: missing the tool name")),
    };
    let tool = find(ctx, name).ok_or_else(|| CatalogError::InvalidParams {
        message: format!("Unknown tool: {name}. Call tools/list to see the available tools."),
        data: Some(json!({ "name": name })),
    })?;
    if !ctx.caller.may(tool.meta.scope) {
        return Err(CatalogError::Forbidden {
            scope: tool.meta.scope,
            message: format!(
                "the tool {name} needs the scope {}; ask for a token that grants it",
                tool.meta.scope.as_str()
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
    let key = super::idempotency::requested_key(&tool.meta, params)?;
    let execute = |arguments: Value| match tool.run {
        Runner::Serialized(run) => run(ctx, arguments).map(CallResult::Serialized),
        Runner::Json(run) => run(ctx, arguments).map(CallResult::Json),
        Runner::Task(kind) => {
            super::tasks::call(ctx, tool.meta.name, kind, arguments).map(CallResult::Json)
        }
    };
    let outcome = match key {
        None => execute(arguments),
        // Under a key the tool runs at most once per caller and key; see
        // `catalog::idempotency`.
        Some(key) => {
            let digest = super::idempotency::digest(name, &arguments);
            super::idempotency::run_once(ctx, &tool.meta, &key, digest, |ids| {
                ctx.with_derived_ids(Some(ids), || execute(arguments))
            })
        }
    };
    match outcome {
        Ok(result) => Ok(result),
        Err(ToolFailure::Refused(message)) => Ok(CallResult::Json(error_result(message))),
        Err(ToolFailure::Protocol(e)) => Err(e),
        Err(ToolFailure::InputRequired(result)) => Ok(CallResult::Json(result)),
    }
}

/// A successful result whose structured content is `structured` (serialized
/// JSON), with the same JSON as its text, built without re-parsing it, in one
/// buffer of about its final size (`format!` grows its buffer by doubling from a
/// few bytes, and a page of 50 climbs is about 55 KB here).
pub fn success_text(structured: &str) -> String {
    const HEAD: &str = "{\"content\":[{\"type\":\"text\",\"text\":";
    const MIDDLE: &str = "}],\"structuredContent\":";
    const TAIL: &str = ",\"isError\":false}";
    // The text block is the structured JSON as a string literal.
    let text = JsonText::string_size(structured);
    let mut out =
        JsonText::with_capacity(HEAD.len() + text + MIDDLE.len() + structured.len() + TAIL.len());
    out.push_raw(HEAD);
    out.push_string(structured);
    out.push_raw(MIDDLE);
    out.push_raw(structured);
    out.push_raw(TAIL);
    out.into_string()
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
    /// The id (from create and list tools).
    pub id: String,
}

/// A delete that may take more than the record with it (see
/// [`super::confirmation`]).
#[derive(Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfirmedDeleteArgs {
    /// The id to delete.
    pub id: String,
    /// The version you last read; refused if it changed since.
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// true after the person agreed (see the refusal).
    #[serde(default)]
    pub confirm: Option<bool>,
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

/// One page of a list: the cursor opened against the list's scope, `read` called
/// with the position it stands for, the next position sealed for the same scope.
/// Every list tool pages through this, so cursors work alike everywhere.
pub fn paged<T, P: serde::Serialize + serde::de::DeserializeOwned>(
    ctx: &Ctx,
    scope: &str,
    cursor: Option<&str>,
    read: impl FnOnce(Option<P>) -> Result<(Vec<T>, Option<P>), ToolFailure>,
) -> Result<Page<T>, ToolFailure> {
    let from = open_cursor(ctx, scope, cursor)?;
    let (items, next) = read(from)?;
    page(ctx, scope, items, next)
}

/// [`paged`] through a list of the domain, whose scope the domain names.
pub fn paged_list<T, P: serde::Serialize + serde::de::DeserializeOwned>(
    ctx: &Ctx,
    list: crate::climbing::lists::List,
    cursor: Option<&str>,
    read: impl FnOnce(Option<P>) -> Result<(Vec<T>, Option<P>), ToolFailure>,
) -> Result<Page<T>, ToolFailure> {
    paged(ctx, &list.cursor_scope(), cursor, read)
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
            "/src/catalog/tools/definitions.json"
        );
        let fresh = super::definitions_source();
        if std::env::var_os("UPDATE_TOOL_DEFINITIONS").is_some() {
            std::fs::write(path, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap();
        assert!(
            committed == fresh,
            "src/catalog/tools/definitions.json is out of date with the tools' types; \
             run UPDATE_TOOL_DEFINITIONS=1 cargo test -p climbing-mcp --lib tool_definitions"
        );
    }

    /// What the build script made of the committed file is, byte for byte, each
    /// tool's entry as generated, with its scope.
    #[test]
    fn served_definitions_are_the_tools_entries() {
        let tools: Vec<_> = super::all().collect();
        assert_eq!(tools.len(), super::definitions::DEFINITIONS.len());
        for (tool, served) in tools.iter().zip(super::definitions::DEFINITIONS) {
            assert_eq!(served.name, tool.meta.name);
            assert_eq!(served.scope, tool.meta.scope, "{}", tool.meta.name);
            assert_eq!(
                served.json,
                tool.describe().to_string(),
                "{}",
                tool.meta.name
            );
        }
    }

    /// What `tools/list` puts into a model's context for a read/write token, to the
    /// byte (deterministic: the definitions are fixed at build time). A change to a
    /// tool's text or types moves it; keep it within 48 KB (48,000 bytes).
    #[test]
    fn tools_list_size_for_a_read_write_token() {
        use crate::catalog::Ctx;
        use crate::identity::{Caller, Scope};
        let platform = crate::platform::memory::MemoryPlatform::default();
        let caller = Caller {
            subject: "tester".into(),
            scopes: vec![Scope::Read, Scope::Write],
        };
        let listed = super::list(&Ctx::new(&platform, caller), &serde_json::json!({})).unwrap();
        println!("tools/list for a read/write token: {} bytes", listed.len());
        assert!(listed.len() <= 48_000, "{} bytes", listed.len());
        assert_eq!(listed.len(), 47_997);
    }

    /// The README's table of tools (under "What the server offers") names every
    /// tool of the registry and nothing else (`create_*` stands for the tools it
    /// matches), and its count is right.
    #[test]
    fn the_readme_lists_every_tool() {
        let readme = include_str!("../../../README.md");
        let section = readme
            .split("## What the server offers")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("README.md has a section \"What the server offers\"");
        let tools: Vec<&str> = super::all().map(|t| t.meta.name).collect();
        assert!(
            section.contains(&format!("\n{} tools.", tools.len())),
            "README.md should say {} tools",
            tools.len()
        );
        let mut named: Vec<&str> = Vec::new();
        for row in section.lines().filter(|l| l.starts_with("| ")).skip(2) {
            named.extend(row.split('`').skip(1).step_by(2));
        }
        let matches = |pattern: &str, tool: &str| match pattern.strip_suffix('*') {
            Some(prefix) => tool.starts_with(prefix),
            None => pattern == tool,
        };
        for tool in &tools {
            assert!(
                named.iter().any(|n| matches(n, tool)),
                "README.md's table of tools lacks {tool}"
            );
        }
        for name in named.iter().filter(|n| n.contains('_')) {
            assert!(
                tools.iter().any(|t| matches(name, t)),
                "README.md's table of tools names {name}, which is no tool"
            );
        }
    }

    #[test]
    fn every_tool_has_a_definition_in_order() {
        let names: Vec<&str> = super::GROUPS
            .iter()
            .flat_map(|g| g.iter())
            .map(|t| t.meta.name)
            .collect();
        let defined: Vec<&str> = super::definitions::DEFINITIONS
            .iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, defined);
    }
}
