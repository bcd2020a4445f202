//! What the server offers: tools, resources, prompts and completions. Each declares
//! its schemas, annotations and the scope a caller needs; the protocol layer lists
//! and dispatches through here and never touches the domain directly.

pub mod admin;
pub mod back_channel;
pub mod completion;
pub mod confirmation;
pub mod elicitation;
pub mod events;
pub mod extension;
pub mod idempotency;
pub mod prompts;
pub mod resources;
mod schema;
mod store_check;
pub mod tasks;
pub mod tools;

use crate::climbing::{Climbing, DomainError};
use crate::identity::MissingScope;
use crate::identity::{Caller, Scope};
use crate::platform::Platform;
use crate::store::cursor::{CursorCodec, CursorError};
use crate::store::{DerivedIds, Store, StoreError};
use extension::Extension;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

/// The scope each method needs before it runs, for the methods that read
/// climbing data (`tools/call` checks each tool's own scope). Methods not listed
/// read nothing but the server's fixed catalog (`initialize`, `tools/list`,
/// `prompts/list`, `resources/templates/list`, `ping`, ...).
pub fn method_scope(method: &str) -> Option<Scope> {
    match method {
        "resources/list" | "resources/read" | "prompts/get" | "completion/complete" => {
            Some(Scope::Read)
        }
        _ => None,
    }
}

/// A notification produced while handling a request (progress, log message). With
/// an [`events::EventSink`] it goes to the client as it is produced; without one,
/// the protocol layer sends the collected notifications ahead of the result on an
/// event stream when the client accepts one, otherwise they are dropped, as
/// nothing outlives the request.
pub type Notification = Value;

/// Everything a handler may use for one request.
pub struct Ctx<'p> {
    pub platform: &'p dyn Platform,
    pub caller: Caller,
    /// The client's progress token for this request, when it asked for progress.
    pub progress_token: Option<Value>,
    /// Whether log messages may be sent for this request.
    pub logging: bool,
    /// The least severe level sent (an index into [`LOG_LEVELS`]): the 2026-07-28
    /// `logLevel` of the request; everything in the initialize era, which sets
    /// levels per session.
    pub min_log_level: usize,
    /// The Host the request was sent to (the default token audience derives from it).
    pub host: String,
    /// What the client declared it can do (2026-07-28 `_meta`); empty in the legacy
    /// era, whose declaration (in `initialize`) no later request carries.
    pub client_capabilities: serde_json::Map<String, Value>,
    /// Multi-round-trip state of a `tools/call`, `prompts/get` or (2026-07-28)
    /// `resources/read`: in 2026-07-28 what the client's retry brought back, in
    /// the legacy era what the [`back_channel`] collected in this request.
    pub round_trip: Option<RoundTrip>,
    /// What the component adds to the catalog (nothing, as deployed).
    pub extension: &'static Extension,
    /// Where notifications go live; `None`: collected for the protocol layer.
    pub sink: Option<&'p dyn events::EventSink>,
    notifications: RefCell<Vec<Notification>>,
    /// The last progress value sent: progress must strictly increase.
    last_progress: Cell<Option<f64>>,
    /// When the open stream last carried something (for keep-alives).
    last_sent_ms: Cell<u64>,
    /// The client closed its stream: the work should stop at the next safe point.
    closed: Cell<bool>,
    cursors: OnceCell<CursorCodec>,
    /// While a tool runs under an idempotency key: where its new ids come from.
    derived_ids: RefCell<Option<Rc<DerivedIds>>>,
}

impl<'p> Ctx<'p> {
    pub fn new(platform: &'p dyn Platform, caller: Caller) -> Self {
        Self {
            platform,
            caller,
            progress_token: None,
            logging: false,
            min_log_level: 0,
            host: String::new(),
            client_capabilities: serde_json::Map::new(),
            round_trip: None,
            extension: &extension::NONE,
            sink: None,
            notifications: RefCell::new(Vec::new()),
            last_progress: Cell::new(None),
            last_sent_ms: Cell::new(0),
            closed: Cell::new(false),
            cursors: OnceCell::new(),
            derived_ids: RefCell::new(None),
        }
    }

    pub fn climbing(&self) -> Climbing<'p> {
        let store = Store::new(self.platform).deriving_ids(self.derived_ids.borrow().clone());
        Climbing::new(store, self.caller.subject.clone())
    }

    /// The position an opaque cursor for `list` stands for. Reading a cursor never
    /// creates signing keys: if none exists, no cursor can be valid.
    pub fn open_cursor<T: DeserializeOwned>(&self, list: &str, cursor: &str) -> CatalogResult<T> {
        let codec = match self.cursors.get() {
            Some(c) => c,
            None => match CursorCodec::existing(self.platform)? {
                Some(c) => self.cursors.get_or_init(|| c),
                None => return Err(CursorError.into()),
            },
        };
        Ok(codec.open(list, cursor)?)
    }

    /// An opaque cursor for a position in `list`.
    pub fn seal_cursor<T: Serialize>(&self, list: &str, position: &T) -> CatalogResult<String> {
        let codec = match self.cursors.get() {
            Some(c) => c,
            None => {
                let c = CursorCodec::get_or_create(self.platform)?;
                self.cursors.get_or_init(|| c)
            }
        };
        Ok(codec.seal(list, position))
    }

    /// Whether the client declared a capability (e.g. `elicitation`, `sampling`).
    pub fn client_supports(&self, capability: &str) -> bool {
        self.client_capabilities.contains_key(capability)
    }

    /// An `input_required` result asking the client for `input_requests` (a map of
    /// key to `{method, params}`), carrying `state` back to us signed: the client
    /// cannot forge or alter it, it is bound to the caller, this request's target
    /// and a digest of its arguments, and it expires after [`ROUND_TRIP_TTL_MS`].
    pub fn input_required(
        &self,
        input_requests: Value,
        state: Option<Value>,
    ) -> CatalogResult<Value> {
        let round_trip = self.round_trip.as_ref().ok_or_else(|| {
            CatalogError::Internal("asked for input outside a 2026-07-28 request".into())
        })?;
        let mut result =
            serde_json::json!({ "resultType": "input_required", "inputRequests": input_requests });
        if round_trip.in_process {
            // Read back by the back channel in this same request: never sent.
            if let Some(state) = state {
                result["requestState"] = state;
            }
            return Ok(result);
        }
        if let Some(state) = state {
            let sealed = SealedState {
                state,
                subject: self.caller.subject.clone(),
                expires_at_ms: self.platform.now_ms() + ROUND_TRIP_TTL_MS,
                arguments: round_trip.arguments_digest.clone(),
            };
            result["requestState"] = self.seal_cursor(&round_trip.scope, &sealed)?.into();
        }
        Ok(result)
    }

    /// Whether progress notifications reach anyone: the client sent a progress
    /// token. Lets a handler skip building messages nobody reads.
    pub fn wants_progress(&self) -> bool {
        self.progress_token.is_some()
    }

    /// Whether `info` messages may be sent for this request: lets a handler skip
    /// building messages nobody reads.
    pub fn wants_logs(&self) -> bool {
        self.sends_level(INFO)
    }

    fn sends_level(&self, severity: usize) -> bool {
        self.logging && severity >= self.min_log_level
    }

    /// Reports progress when the client asked for it. Values that do not
    /// increase on the last one sent (or are not numbers) are dropped, as the
    /// protocol requires progress to strictly increase.
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        if let Some(token) = &self.progress_token {
            if progress.is_nan()
                || self
                    .last_progress
                    .get()
                    .is_some_and(|last| progress <= last)
            {
                return;
            }
            self.last_progress.set(Some(progress));
            let mut params = serde_json::json!({"progressToken": token, "progress": progress});
            if let Some(t) = total {
                params["total"] = t.into();
            }
            if let Some(m) = message {
                params["message"] = m.into();
            }
            self.notify("notifications/progress", params);
        }
    }

    /// Sends a log message at `level` (one of [`LOG_LEVELS`]) when the request
    /// asked for logs at that level or a less severe one.
    pub fn log(&self, level: &str, message: &str) {
        if self.sends_level(log_severity(level)) {
            self.notify(
                "notifications/message",
                serde_json::json!({"level": level, "logger": "climbing-mcp", "data": message}),
            );
        }
    }

    /// Whether the client closed its stream, so the work should stop: handlers
    /// check it between steps, where stopping leaves every record whole. On an
    /// open stream that has been silent for [`events::KEEP_ALIVE_MS`] it also
    /// sends a keep-alive (there is no timer: step boundaries are the clock).
    pub fn cancelled(&self) -> bool {
        if let Some(sink) = self.sink {
            if !self.closed.get() && sink.is_open() {
                let now = self.platform.now_ms();
                if now.saturating_sub(self.last_sent_ms.get()) >= events::KEEP_ALIVE_MS {
                    match sink.keep_alive() {
                        Ok(()) => self.last_sent_ms.set(now),
                        Err(events::StreamClosed) => self.closed.set(true),
                    }
                }
            }
        }
        self.closed.get()
    }

    /// Whether the notifications went out live on an event stream, so the result
    /// must follow them there.
    pub fn streamed(&self) -> bool {
        self.sink.is_some_and(|sink| sink.is_open())
    }

    /// Sends a server-to-client JSON-RPC request on the event stream (the
    /// [`back_channel`]); `Err` when there is no stream or the client closed it.
    pub fn send_request(&self, message: &Value) -> Result<(), events::StreamClosed> {
        let sink = self.sink.ok_or(events::StreamClosed)?;
        if self.closed.get() {
            return Err(events::StreamClosed);
        }
        match sink.send(&message.to_string()) {
            Ok(()) => {
                self.last_sent_ms.set(self.platform.now_ms());
                Ok(())
            }
            Err(closed) => {
                self.closed.set(true);
                Err(closed)
            }
        }
    }

    fn notify(&self, method: &str, params: Value) {
        let message = serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params});
        match self.sink {
            None => self.notifications.borrow_mut().push(message),
            // The client is gone: nobody reads what follows.
            Some(_) if self.closed.get() => {}
            Some(sink) => match sink.send(&message.to_string()) {
                Ok(()) => self.last_sent_ms.set(self.platform.now_ms()),
                Err(events::StreamClosed) => self.closed.set(true),
            },
        }
    }

    /// Runs `f` with new ids drawn from `ids` (see [`idempotency`]).
    pub fn with_derived_ids<T>(&self, ids: Option<Rc<DerivedIds>>, f: impl FnOnce() -> T) -> T {
        let previous = self.derived_ids.replace(ids);
        let out = f();
        self.derived_ids.replace(previous);
        out
    }

    /// The next id derived from the call's idempotency key, when it runs under
    /// one (so a retry draws the same ids); `None` otherwise.
    pub fn derived_id(&self) -> Option<String> {
        self.derived_ids.borrow().as_ref().map(|ids| ids.next())
    }

    pub fn take_notifications(&self) -> Vec<Notification> {
        std::mem::take(&mut self.notifications.borrow_mut())
    }
}

/// Domain work reports through the request: progress when the client sent a
/// token, notes as `info` log messages when it asked for logs, and stops once the
/// client closed its stream.
impl crate::climbing::progress::Progress for Ctx<'_> {
    fn report(&self, done: usize, total: usize, message: &dyn Fn() -> String) {
        if self.wants_progress() {
            self.progress(done as f64, Some(total as f64), Some(&message()));
        }
    }

    fn note(&self, message: &dyn Fn() -> String) {
        if self.wants_logs() {
            self.log("info", &message());
        }
    }

    fn stop(&self) -> bool {
        self.cancelled()
    }
}

/// The log levels of the protocol, least severe first (RFC 5424's, as MCP uses them).
pub const LOG_LEVELS: &[&str] = &[
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];

const INFO: usize = 1;

/// Where `level` stands in [`LOG_LEVELS`]; an unknown level counts as the most
/// severe, so it is never filtered away.
pub fn log_severity(level: &str) -> usize {
    LOG_LEVELS
        .iter()
        .position(|l| *l == level)
        .unwrap_or(LOG_LEVELS.len() - 1)
}

/// How long a client may take to answer an `input_required` result.
pub const ROUND_TRIP_TTL_MS: u64 = 10 * 60 * 1000;

/// The signed `requestState` payload.
#[derive(Serialize, serde::Deserialize)]
struct SealedState {
    #[serde(rename = "s")]
    state: Value,
    #[serde(rename = "u")]
    subject: String,
    #[serde(rename = "e")]
    expires_at_ms: u64,
    /// The digest of the arguments it was issued for ([`arguments_digest`]).
    #[serde(rename = "a", default)]
    arguments: String,
}

/// A digest of a multi-round-trip request's arguments (`arguments` of
/// `tools/call` and `prompts/get`; absent and `null` count as `{}`), so state
/// issued for one set of arguments is refused with another. `resources/read` has
/// none: its URI is part of the target already.
fn arguments_digest(target: &str, params: &serde_json::Map<String, Value>) -> String {
    let empty = Value::Object(serde_json::Map::new());
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(v) => v,
    };
    idempotency::digest(target, arguments)
}

/// What a retried multi-round-trip request brought back.
#[derive(Debug, Default)]
pub struct RoundTrip {
    /// What the request targets (`tools/call:<name>`, ...): state sealed for one
    /// target is refused by another.
    pub scope: String,
    /// The client's answers to our input requests, by key.
    pub input_responses: serde_json::Map<String, Value>,
    /// The state we sent with the last `input_required`, verified.
    pub state: Option<Value>,
    /// The digest of this request's arguments, sealed into the state we send.
    pub arguments_digest: String,
    /// The round trip runs inside this request (legacy era, [`back_channel`]):
    /// `input_required` keeps its state as it is instead of sealing it.
    pub in_process: bool,
}

impl RoundTrip {
    /// Reads `inputResponses` and `requestState` of a retry; a `requestState` that
    /// fails verification, belongs to another caller or target, expired, or was
    /// issued for other arguments, is an invalid-params error.
    pub fn from_params(
        ctx: &Ctx,
        scope: String,
        params: &serde_json::Map<String, Value>,
    ) -> CatalogResult<Self> {
        let input_responses = match params.get("inputResponses") {
            None => serde_json::Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                return Err(CatalogError::invalid(
                    "inputResponses must be an object of answers by key",
                ))
            }
        };
        let digest = arguments_digest(&scope, params);
        let state = match params.get("requestState") {
            None => None,
            Some(Value::String(sealed)) => {
                let refused = || {
                    CatalogError::invalid(
                    "requestState failed verification: send back the requestState of the last input_required result unchanged, or start the request again without it",
                )
                };
                let opened: SealedState = ctx.open_cursor(&scope, sealed).map_err(|_| refused())?;
                if opened.subject != ctx.caller.subject
                    || opened.expires_at_ms < ctx.platform.now_ms()
                {
                    return Err(refused());
                }
                // A retry repeats the request with the answers added: other
                // arguments would apply answers (a confirmation, a choice) given
                // for something else.
                if opened.arguments != digest {
                    return Err(CatalogError::invalid(
                        "requestState was issued for other arguments: a retry must repeat the arguments unchanged; to change them, start the request again without requestState and inputResponses",
                    ));
                }
                Some(opened.state)
            }
            Some(_) => return Err(CatalogError::invalid("requestState must be a string")),
        };
        Ok(Self {
            scope,
            input_responses,
            state,
            arguments_digest: digest,
            in_process: false,
        })
    }
}

/// Why a catalog call failed at the protocol level (as opposed to a tool's own
/// `isError` result).
#[derive(Debug, Clone, PartialEq)]
pub enum CatalogError {
    /// Unknown tool/prompt/resource, bad cursor, missing argument: JSON-RPC -32602.
    InvalidParams {
        message: String,
        data: Option<Value>,
    },
    /// `resources/read` of a URI that names nothing (the code differs between eras).
    ResourceNotFound { uri: String },
    /// The caller lacks a scope: answered 403 with `insufficient_scope`.
    Forbidden { scope: Scope, message: String },
    /// The request needs a client capability it did not declare (-32021).
    MissingCapability { required: Value, message: String },
    /// The store failed: JSON-RPC -32603.
    Internal(String),
}

impl CatalogError {
    pub fn invalid(message: impl Into<String>) -> Self {
        CatalogError::InvalidParams {
            message: message.into(),
            data: None,
        }
    }
}

impl From<MissingScope> for CatalogError {
    fn from(e: MissingScope) -> Self {
        CatalogError::Forbidden {
            scope: e.scope,
            message: e.message,
        }
    }
}

impl From<CursorError> for CatalogError {
    fn from(e: CursorError) -> Self {
        CatalogError::invalid(e.to_string())
    }
}

impl From<StoreError> for CatalogError {
    fn from(e: StoreError) -> Self {
        match e {
            e if e.is_store_trouble() => CatalogError::Internal(e.to_string()),
            other => CatalogError::invalid(other.to_string()),
        }
    }
}

impl From<DomainError> for CatalogError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Store(s) => s.into(),
            DomainError::Invalid(m) => CatalogError::invalid(m),
        }
    }
}

pub type CatalogResult<T> = Result<T, CatalogError>;

/// Reads an optional `cursor` param as a string.
pub fn cursor_param(params: &Value) -> CatalogResult<Option<&str>> {
    match params.get("cursor") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(CatalogError::invalid(
            "cursor must be a string: pass back nextCursor exactly as returned",
        )),
    }
}
