//! What the server offers: tools, resources, prompts and completions. Each declares
//! its schemas, annotations and the scope a caller needs; the protocol layer lists
//! and dispatches through here and never touches the domain directly.

pub mod admin;
pub mod completion;
pub mod prompts;
pub mod resources;
mod schema;
pub mod tools;

use crate::climbing::{Climbing, DomainError};
use crate::platform::Platform;
use crate::store::cursor::{CursorCodec, CursorError};
use crate::store::{Store, StoreError};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use std::cell::{OnceCell, RefCell};

/// A permission a bearer token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Read climbing data.
    Read,
    /// Create, change and delete climbing data.
    Write,
    /// Tokens and maintenance.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "climb:read",
            Scope::Write => "climb:write",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "climb:read" => Some(Scope::Read),
            "climb:write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

/// Who a request acts as, after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub subject: String,
    pub scopes: Vec<Scope>,
}

impl Caller {
    pub fn may(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// A notification produced while handling a request (progress, log message). The
/// protocol layer sends them ahead of the result on an event stream when the client
/// accepts one; otherwise they are dropped, as nothing outlives the request.
pub type Notification = Value;

/// Everything a handler may use for one request.
pub struct Ctx<'p> {
    pub platform: &'p dyn Platform,
    pub caller: Caller,
    /// The client's progress token for this request, when it asked for progress.
    pub progress_token: Option<Value>,
    /// Whether log messages may be sent for this request.
    pub logging: bool,
    /// The Host the request was sent to (the default token audience derives from it).
    pub host: String,
    /// What the client declared it can do (2026-07-28 `_meta`; empty in the legacy era).
    pub client_capabilities: serde_json::Map<String, Value>,
    notifications: RefCell<Vec<Notification>>,
    cursors: OnceCell<CursorCodec>,
}

impl<'p> Ctx<'p> {
    pub fn new(platform: &'p dyn Platform, caller: Caller) -> Self {
        Self {
            platform,
            caller,
            progress_token: None,
            logging: false,
            host: String::new(),
            client_capabilities: serde_json::Map::new(),
            notifications: RefCell::new(Vec::new()),
            cursors: OnceCell::new(),
        }
    }

    pub fn climbing(&self) -> Climbing<'p> {
        Climbing::new(Store::new(self.platform), self.caller.subject.clone())
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

    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        if let Some(token) = &self.progress_token {
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

    pub fn log(&self, level: &str, message: &str) {
        if self.logging {
            self.notify(
                "notifications/message",
                serde_json::json!({"level": level, "logger": "climbing-mcp", "data": message}),
            );
        }
    }

    fn notify(&self, method: &str, params: Value) {
        self.notifications
            .borrow_mut()
            .push(serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    pub fn take_notifications(&self) -> Vec<Notification> {
        std::mem::take(&mut self.notifications.borrow_mut())
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

impl From<CursorError> for CatalogError {
    fn from(e: CursorError) -> Self {
        CatalogError::invalid(e.to_string())
    }
}

impl From<StoreError> for CatalogError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Kv(_) | StoreError::Corrupt { .. } => CatalogError::Internal(e.to_string()),
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
