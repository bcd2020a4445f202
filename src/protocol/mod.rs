//! MCP over JSON-RPC, statelessly: every request carries all it needs, so any
//! replica answers it. Parses the body, picks the era, checks the 2026-07-28 rules,
//! dispatches to the catalog and shapes the reply (JSON, or an event stream when a
//! handler produced notifications and the client accepts one). A single request
//! that asked for progress or logs streams its notifications live through the
//! request's [`EventSink`], when the component provides one; the reply is then
//! the result event that ends the stream.

pub mod era;
pub mod jsonrpc;
mod strict_json;

use crate::catalog::events::EventSink;
use crate::catalog::{self, CatalogError, Ctx};
use crate::identity::{Caller, Scope};
use crate::meta::{SERVER_NAME, SERVER_TITLE, SERVER_VERSION};
use crate::platform::Platform;
use era::{Era, Headers};
use jsonrpc::{Message, RpcError};
use serde_json::{json, Map, Value};

const INSTRUCTIONS: &str = "Climbing data: areas (country > region > area > crag > sector/wall/boulder) and the climbs in them. Browse with list_areas and list_climbs, read with get_area and get_climb, and change data with the create and update tools. Lists are paginated: pass next_cursor back as cursor.";

/// Most messages in one JSON-RPC batch (2025-03-26), which bounds what one HTTP
/// request can make an instance do.
pub const MAX_BATCH: usize = 32;

/// How long clients may cache lists that only change with a deploy.
const CATALOG_TTL_MS: u64 = 300_000;

/// What the protocol layer answers; the HTTP edge turns it into a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// `None` for an empty body (202).
    pub content_type: Option<&'static str>,
    pub body: Vec<u8>,
    /// Set on a 403: the scope the caller lacks.
    pub insufficient_scope: Option<Scope>,
}

/// The request as the protocol layer sees it.
pub struct Request<'a> {
    /// The Host the request was sent to.
    pub host: &'a str,
    pub headers: Headers,
    pub accepts_event_stream: bool,
    pub body: &'a [u8],
    /// What the component adds to the catalog.
    pub catalog: &'static catalog::extension::Extension,
    /// Where notifications can go while the work runs (`None`: collected and
    /// sent with the result).
    pub sink: Option<&'a dyn EventSink>,
}

/// Appends one server-sent event carrying `message` (a serialized JSON-RPC
/// message) to `out`.
pub fn sse_event(out: &mut Vec<u8>, message: &str) {
    out.extend_from_slice(b"event: message\ndata: ");
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(b"\n\n");
}

/// How many JSON-RPC messages a body holds, for the rate limit: the length of a
/// batch (up to [`MAX_BATCH`] + 1; longer ones are refused unrun), else 1.
pub fn message_count(body: &[u8]) -> usize {
    let starts_batch = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'[');
    if !starts_batch {
        return 1;
    }
    serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(body)
        .map(|batch| batch.len().clamp(1, MAX_BATCH + 1))
        .unwrap_or(1)
}

pub fn handle(platform: &dyn Platform, caller: &Caller, request: &Request) -> Reply {
    let value: Value = match strict_json::parse(request.body) {
        Ok(v) => v,
        Err(e) => {
            let error = RpcError::new(
                jsonrpc::PARSE_ERROR,
                format!("Parse error: the body is not valid JSON without duplicate keys ({e}); send one JSON-RPC message"),
            );
            return json_reply(error.http_status, &error.to_json(&Value::Null));
        }
    };
    match value {
        Value::Array(batch) => handle_batch(platform, caller, request, batch),
        single => match handle_message(platform, caller, request, single, false) {
            None => accepted(),
            Some(answer) => answer.into_reply(request.accepts_event_stream),
        },
    }
}

/// JSON-RPC batches exist only in protocol version 2025-03-26 (which is also what a
/// request without `MCP-Protocol-Version` is taken to speak).
fn handle_batch(
    platform: &dyn Platform,
    caller: &Caller,
    request: &Request,
    batch: Vec<Value>,
) -> Reply {
    let version = request
        .headers
        .protocol_version
        .as_deref()
        .unwrap_or(era::LEGACY_DEFAULT);
    if version != "2025-03-26" {
        let error = RpcError::new(
            jsonrpc::INVALID_REQUEST,
            format!(
                "Invalid Request: JSON-RPC batches are not part of protocol version {version}; send one message per HTTP request"
            ),
        );
        return json_reply(400, &error.to_json(&Value::Null));
    }
    if batch.len() > MAX_BATCH {
        let error = RpcError::new(
            jsonrpc::INVALID_REQUEST,
            format!(
                "Invalid Request: a batch holds at most {MAX_BATCH} messages, this one {}; split it",
                batch.len()
            ),
        );
        return json_reply(400, &error.to_json(&Value::Null));
    }
    if batch.is_empty() {
        let error = RpcError::new(
            jsonrpc::INVALID_REQUEST,
            "Invalid Request: the batch is empty",
        );
        return json_reply(400, &error.to_json(&Value::Null));
    }
    let answers: Vec<String> = batch
        .into_iter()
        .filter_map(|m| handle_message(platform, caller, request, m, true))
        .map(|a| a.message)
        .collect();
    if answers.is_empty() {
        return accepted();
    }
    raw_reply(200, format!("[{}]", answers.join(",")))
}

/// The answer to one request: the JSON-RPC response and what came before it.
struct Answer {
    /// The JSON-RPC response, serialized.
    message: String,
    status: u16,
    notifications: Vec<Value>,
    insufficient_scope: Option<Scope>,
    /// The notifications went out live: the stream is open and waits for this
    /// response as its last event, whatever its status.
    streamed: bool,
}

impl Answer {
    fn into_reply(self, accepts_event_stream: bool) -> Reply {
        if self.streamed {
            let mut body = Vec::with_capacity(self.message.len() + 24);
            sse_event(&mut body, &self.message);
            return Reply {
                status: 200,
                content_type: Some("text/event-stream"),
                body,
                insufficient_scope: None,
            };
        }
        if self.notifications.is_empty() || !accepts_event_stream || self.status != 200 {
            let mut reply = raw_reply(self.status, self.message);
            reply.insufficient_scope = self.insufficient_scope;
            return reply;
        }
        // The notifications, then the result; the stream ends with the response.
        let mut body = Vec::new();
        let notifications = self.notifications.iter().map(Value::to_string);
        for event in notifications.chain(std::iter::once(self.message)) {
            sse_event(&mut body, &event);
        }
        Reply {
            status: 200,
            content_type: Some("text/event-stream"),
            body,
            insufficient_scope: None,
        }
    }
}

fn handle_message(
    platform: &dyn Platform,
    caller: &Caller,
    request: &Request,
    value: Value,
    in_batch: bool,
) -> Option<Answer> {
    let error_answer = |id: &Value, e: RpcError| Answer {
        message: e.to_json(id).to_string(),
        status: e.http_status,
        notifications: Vec::new(),
        insufficient_scope: None,
        streamed: false,
    };
    let (id, method, params) = match jsonrpc::classify(value) {
        Err((id, e)) => return Some(error_answer(&id, e)),
        Ok(Message::Notification { .. }) => return None,
        Ok(Message::Response { id, answer }) => {
            // 2026-07-28 sends no server-to-client requests: acknowledged, as ever.
            if era::detect(&request.headers, &Map::new()) == Era::Modern {
                return None;
            }
            return match catalog::back_channel::accept_answer(platform, caller, &id, answer) {
                Ok(()) => None,
                Err(refusal) => Some(error_answer(
                    &id,
                    RpcError::new(
                        jsonrpc::INVALID_REQUEST,
                        format!("Invalid Request: {}", refusal.message),
                    )
                    .with_status(refusal.status),
                )),
            };
        }
        Ok(Message::Request { id, method, params }) => (id, method, params),
    };
    let era = era::detect(&request.headers, &params);
    let mut ctx = Ctx::new(platform, caller.clone());
    ctx.host = request.host.to_owned();
    ctx.extension = request.catalog;
    ctx.progress_token = params
        .get("_meta")
        .and_then(|m| m.get("progressToken"))
        .filter(|t| t.is_string() || t.is_number())
        .cloned();
    match era {
        Era::Modern => match era::validate_modern(&request.headers, &method, &params) {
            Err(e) => return Some(error_answer(&id, e)),
            Ok(meta) => {
                ctx.logging = meta.log_level.is_some();
                ctx.min_log_level = meta.log_level.as_deref().map_or(0, catalog::log_severity);
                ctx.client_capabilities = meta.client_capabilities;
                if let Some(target) = round_trip_target(&method, &params) {
                    match catalog::RoundTrip::from_params(&ctx, target, &params) {
                        Ok(round_trip) => ctx.round_trip = Some(round_trip),
                        Err(e) => return Some(error_answer(&id, catalog_error(era, e))),
                    }
                }
            }
        },
        // Legacy sessions set a log level with logging/setLevel, which a stateless
        // server cannot remember: log messages go out whenever a stream can carry them.
        // Nor does it remember the capabilities of initialize, so none is taken as
        // declared: tools that ask only declared clients use their fallbacks.
        Era::Legacy(_) => ctx.logging = request.accepts_event_stream,
    }
    if in_batch && method == "initialize" {
        return Some(error_answer(
            &id,
            RpcError::new(
                jsonrpc::INVALID_REQUEST,
                "Invalid Request: initialize must not be part of a batch",
            ),
        ));
    }
    // Live only where the stream carries nothing else: one request (a batch answers
    // with one JSON array), a client that reads event streams, and something asked
    // for. The stream opens with the first notification, if any.
    if !in_batch && request.accepts_event_stream && (ctx.progress_token.is_some() || ctx.logging) {
        ctx.sink = request.sink;
    }
    let asking = match era {
        Era::Legacy(_) if method != "resources/read" => round_trip_target(&method, &params),
        _ => None,
    };
    let params = Value::Object(params);
    let outcome = match asking {
        Some(scope) => dispatch_asking(&mut ctx, era, &method, &params, scope),
        None => dispatch(&ctx, era, &method, &params),
    };
    let notifications = ctx.take_notifications();
    let streamed = ctx.streamed();
    let mut answer = match outcome {
        Ok(result) => Answer {
            message: match result {
                Body::Json(v) => jsonrpc::result_json(&id, decorate(era, &method, v)).to_string(),
                Body::Raw(raw) => envelope_raw(&id, &raw, decoration_raw(era, &method)),
            },
            status: 200,
            notifications,
            insufficient_scope: None,
            streamed: false,
        },
        Err(Failure::Rpc(e)) => error_answer(&id, e),
        Err(Failure::Catalog(e)) => {
            let scope = match &e {
                CatalogError::Forbidden { scope, .. } => Some(*scope),
                _ => None,
            };
            let mut answer = error_answer(&id, catalog_error(era, e));
            answer.insufficient_scope = scope;
            answer
        }
    };
    answer.streamed = streamed;
    Some(answer)
}

/// The requests that may answer `input_required`, and what each targets.
fn round_trip_target(method: &str, params: &Map<String, Value>) -> Option<String> {
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return None,
    };
    let target = params.get(field).and_then(Value::as_str).unwrap_or("");
    Some(["state:", method, ":", target].concat())
}

/// [`dispatch`] of an `initialize`-era `tools/call` or `prompts/get`, whose
/// `input_required` results are asked of the client on the event stream
/// (see [`catalog::back_channel`]).
fn dispatch_asking(
    ctx: &mut Ctx,
    era: Era,
    method: &str,
    params: &Value,
    scope: String,
) -> Result<Body, Failure> {
    let tool_call = method == "tools/call";
    let name = params.get("name").and_then(Value::as_str).unwrap_or("");
    let target = match tool_call {
        true => ["the tool ", name].concat(),
        false => ["the prompt ", name].concat(),
    };
    catalog::back_channel::run(
        ctx,
        scope,
        &target,
        |ctx| dispatch(ctx, era, method, params),
        |body| match body {
            Body::Json(v)
                if v.get("resultType").and_then(Value::as_str) == Some("input_required") =>
            {
                Some(v)
            }
            _ => None,
        },
        |message| match tool_call {
            true => Ok(Body::Json(catalog::tools::error_result(message))),
            false => Err(Failure::Catalog(CatalogError::invalid(message))),
        },
    )
}

enum Failure {
    Rpc(RpcError),
    Catalog(CatalogError),
}

impl From<CatalogError> for Failure {
    fn from(e: CatalogError) -> Self {
        Failure::Catalog(e)
    }
}

fn method_not_found(era: Era, method: &str) -> Failure {
    let hint = match era {
        Era::Modern if matches!(method, "initialize" | "ping" | "logging/setLevel") => {
            format!(
                " ({method} does not exist in protocol version {}; use server/discover)",
                era::MODERN
            )
        }
        _ => String::new(),
    };
    let e = RpcError::new(
        jsonrpc::METHOD_NOT_FOUND,
        format!("Method not found: {method}{hint}"),
    );
    // 2026-07-28 answers unknown methods with 404; the legacy era never does,
    // because its clients read a 404 as a lost session.
    Failure::Rpc(match era {
        Era::Modern => e.with_status(404),
        Era::Legacy(_) => e,
    })
}

/// A result: JSON to decorate, or text already serialized (the tool catalog, whose
/// definitions are serialized once at build time, and typed tool results, which
/// are serialized once for both their structured content and their text).
enum Body {
    Json(Value),
    Raw(String),
}

fn dispatch(ctx: &Ctx, era: Era, method: &str, params: &Value) -> Result<Body, Failure> {
    if let Some(scope) = catalog::method_scope(method) {
        ctx.caller
            .require(scope, method)
            .map_err(CatalogError::from)?;
    }
    if method == "tools/list" {
        return Ok(Body::Raw(catalog::tools::list(ctx, params)?));
    }
    if method == "tools/call" {
        return Ok(match catalog::tools::call(ctx, params)? {
            catalog::tools::CallResult::Serialized(raw) => Body::Raw(raw),
            catalog::tools::CallResult::Json(value) => Body::Json(value),
        });
    }
    Ok(Body::Json(match (era, method) {
        (Era::Legacy(_), "initialize") => initialize(params),
        (Era::Legacy(_), "ping") => json!({}),
        (Era::Legacy(_), "logging/setLevel") => match params.get("level").and_then(Value::as_str) {
            Some(l) if era::LOG_LEVELS.contains(&l) => json!({}),
            _ => {
                return Err(Failure::Rpc(RpcError::new(
                    jsonrpc::INVALID_PARAMS,
                    format!(
                        "Invalid params: level must be one of {}",
                        era::LOG_LEVELS.join(", ")
                    ),
                )))
            }
        },
        (Era::Modern, "server/discover") => json!({
            "supportedVersions": era::supported_versions(),
            "capabilities": modern_capabilities(),
            "instructions": INSTRUCTIONS,
        }),
        // The tasks extension exists only in 2026-07-28 (see catalog::tasks).
        (Era::Modern, "tasks/get") => catalog::tasks::get(ctx, params)?,
        (Era::Modern, "tasks/update") => catalog::tasks::update(ctx, params)?,
        (Era::Modern, "tasks/cancel") => catalog::tasks::cancel(ctx, params)?,
        (_, "resources/list") => catalog::resources::list(ctx, params)?,
        (_, "resources/templates/list") => catalog::resources::templates(ctx, params)?,
        (_, "resources/read") => catalog::resources::read(ctx, params)?,
        (_, "prompts/list") => catalog::prompts::list(ctx, params)?,
        (_, "prompts/get") => catalog::prompts::get(ctx, params)?,
        (_, "completion/complete") => catalog::completion::complete(ctx, params)?,
        _ => return Err(method_not_found(era, method)),
    }))
}

fn capabilities() -> Value {
    json!({
        "tools": {},
        "resources": {},
        "prompts": {},
        "completions": {},
        "logging": {},
    })
}

/// What a 2026-07-28 client is told: the extensions too.
fn modern_capabilities() -> Value {
    let mut capabilities = capabilities();
    capabilities["extensions"] = json!({ catalog::tasks::EXTENSION: {} });
    capabilities
}

fn server_info() -> Value {
    json!({ "name": SERVER_NAME, "title": SERVER_TITLE, "version": SERVER_VERSION })
}

fn initialize(params: &Value) -> Value {
    let requested = params.get("protocolVersion").and_then(Value::as_str);
    json!({
        "protocolVersion": era::negotiate(requested),
        "capabilities": capabilities(),
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
    })
}

/// 2026-07-28 results say what they are (`resultType`), who answered, and how long
/// they may be cached. Legacy results stay exactly as their era defines them.
fn decorate(era: Era, method: &str, mut result: Value) -> Value {
    if era != Era::Modern {
        return result;
    }
    let Value::Object(obj) = &mut result else {
        return result;
    };
    let complete = obj.entry("resultType").or_insert_with(|| "complete".into()) == "complete";
    let meta = obj
        .entry("_meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(m) = meta {
        m.insert(era::META_SERVER_INFO.into(), server_info());
    }
    if let Some((ttl, scope)) = cache_hints(method).filter(|_| complete) {
        obj.insert("ttlMs".into(), ttl.into());
        obj.insert("cacheScope".into(), scope.into());
    }
    result
}

/// The JSON-RPC response around a result that is already JSON text, with the
/// serialized object `fields` (from [`decoration_raw`]) spliced in before the
/// result's closing brace. One buffer of the final size: `format!` would grow it by
/// doubling from a few bytes, and splicing first would copy the result twice.
fn envelope_raw(id: &Value, result: &str, fields: Option<String>) -> String {
    let id = id.to_string();
    let head = "{\"jsonrpc\":\"2.0\",\"id\":";
    match fields {
        None => [head, &id, ",\"result\":", result, "}"].concat(),
        Some(fields) => {
            let body = result.trim_end().strip_suffix('}').unwrap_or(result);
            // The fields' object without its opening brace closes the result.
            [head, &id, ",\"result\":", body, ",", &fields[1..], "}"].concat()
        }
    }
}

/// `decorate`'s fields, serialized, for a result that is already JSON text and
/// has no `resultType` or `_meta` of its own (what `decorate` adds to an empty
/// object); `None` before the modern era.
fn decoration_raw(era: Era, method: &str) -> Option<String> {
    (era == Era::Modern).then(|| decorate(era, method, json!({})).to_string())
}

/// How long a complete result may be cached, and by whom.
fn cache_hints(method: &str) -> Option<(u64, &'static str)> {
    match method {
        // Same for every caller of a deploy.
        "server/discover" | "resources/templates/list" | "prompts/list" => {
            Some((CATALOG_TTL_MS, "public"))
        }
        // Filtered by the caller's scopes.
        "tools/list" => Some((CATALOG_TTL_MS, "private")),
        // Live data that any write may change.
        "resources/list" | "resources/read" => Some((0, "private")),
        _ => None,
    }
}

fn catalog_error(era: Era, e: CatalogError) -> RpcError {
    match e {
        CatalogError::InvalidParams { message, data } => {
            let error = RpcError::new(jsonrpc::INVALID_PARAMS, message);
            match data {
                Some(d) => error.with_data(d),
                None => error,
            }
        }
        CatalogError::ResourceNotFound { uri } => {
            let code = match era {
                Era::Modern => jsonrpc::INVALID_PARAMS,
                Era::Legacy(_) => jsonrpc::RESOURCE_NOT_FOUND,
            };
            RpcError::new(code, format!("Resource not found: {uri}"))
                .with_data(json!({ "uri": uri }))
        }
        CatalogError::Forbidden { message, .. } => {
            RpcError::new(jsonrpc::INVALID_REQUEST, format!("Forbidden: {message}"))
                .with_status(403)
        }
        CatalogError::MissingCapability { required, message } => {
            RpcError::new(jsonrpc::MISSING_CLIENT_CAPABILITY, message)
                .with_data(json!({ "requiredCapabilities": required }))
                .with_status(400)
        }
        CatalogError::Internal(message) => RpcError::new(
            jsonrpc::INTERNAL_ERROR,
            format!("Internal error: {message}"),
        ),
    }
}

fn json_reply(status: u16, body: &Value) -> Reply {
    raw_reply(status, body.to_string())
}

fn raw_reply(status: u16, body: String) -> Reply {
    Reply {
        status,
        content_type: Some("application/json"),
        body: body.into_bytes(),
        insufficient_scope: None,
    }
}

fn accepted() -> Reply {
    Reply {
        status: 202,
        content_type: None,
        body: Vec::new(),
        insufficient_scope: None,
    }
}

#[cfg(test)]
mod back_channel_tests;
