//! The native peer of `climbing-host bench`: what the same tool costs without a
//! sandbox. An [rmcp] 3.9 server in stateless JSON mode (no sessions, plain
//! `application/json` answers) on axum, serving `get_climb` over climbs loaded
//! into a map at start, behind the same HS256 bearer check the component makes
//! (signature, `exp`, `aud`, the `climb:read` scope).
//!
//! ```text
//! climbing-bench-peer --listen 127.0.0.1:0 --secret S --audience URL --climbs FILE
//! ```
//!
//! `FILE` is a JSON array of climbs, each with an `"id"` (what the component
//! stores, as the bench read it back). Prints `peer listening on http://ADDR`
//! once it accepts connections.

use anyhow::{bail, Context, Result};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use jwt_simple::prelude::*;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ErrorData, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

/// Climbs by id, shared by every request's handler.
type Climbs = Arc<HashMap<String, Value>>;

#[derive(Clone)]
struct Peer {
    climbs: Climbs,
    tools: Arc<Vec<Tool>>,
}

impl ServerHandler for Peer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items((*self.tools).clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name != "get_climb" {
            return Err(ErrorData::invalid_params(
                format!("unknown tool {}", request.name),
                None,
            ));
        }
        let id = request
            .arguments
            .as_ref()
            .and_then(|a| a.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| ErrorData::invalid_params("id is required", None))?;
        Ok(match self.climbs.get(id) {
            Some(climb) => CallToolResult::structured(climb.clone()),
            None => CallToolResult::structured_error(
                serde_json::json!({"error": format!("no climb with id \"{id}\"")}),
            ),
        }
        .into())
    }
}

fn get_climb_tool() -> Tool {
    let schema = |v: Value| match v {
        Value::Object(m) => Arc::new(m),
        _ => unreachable!(),
    };
    let mut tool = Tool::new(
        "get_climb",
        "Get one climb (route or boulder problem) by id.",
        schema(serde_json::json!({
            "type": "object",
            "properties": {"id": {"type": "string", "description": "The climb's id."}},
            "required": ["id"],
            "additionalProperties": false
        })),
    );
    tool = tool.with_raw_output_schema(schema(serde_json::json!({"type": "object"})));
    tool
}

/// What the bearer check needs.
struct Auth {
    key: HS256Key,
    audience: String,
}

#[derive(Serialize, Deserialize)]
struct Scope {
    #[serde(default)]
    scope: String,
}

async fn require_bearer(State(auth): State<Arc<Auth>>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        return refuse(StatusCode::UNAUTHORIZED, "invalid_token");
    };
    let options = VerificationOptions {
        allowed_audiences: Some(HashSet::from_strings(&[&auth.audience])),
        ..Default::default()
    };
    match auth.key.verify_token::<Scope>(token, Some(options)) {
        Ok(claims) if claims.custom.scope.split(' ').any(|s| s == "climb:read") => {
            next.run(request).await
        }
        Ok(_) => refuse(StatusCode::FORBIDDEN, "insufficient_scope"),
        Err(_) => refuse(StatusCode::UNAUTHORIZED, "invalid_token"),
    }
}

fn refuse(status: StatusCode, error: &str) -> Response {
    (
        status,
        [(
            header::WWW_AUTHENTICATE,
            format!("Bearer error=\"{error}\""),
        )],
    )
        .into_response()
}

struct Args {
    listen: String,
    secret: String,
    audience: String,
    climbs: std::path::PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut listen = "127.0.0.1:0".to_owned();
    let (mut secret, mut audience, mut climbs) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = value()?,
            "--secret" => secret = Some(value()?),
            "--audience" => audience = Some(value()?),
            "--climbs" => climbs = Some(value()?.into()),
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(Args {
        listen,
        secret: secret.context("--secret is required")?,
        audience: audience.context("--audience is required")?,
        climbs: climbs.context("--climbs is required")?,
    })
}

fn load_climbs(path: &std::path::Path) -> Result<Climbs> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let list: Vec<Map<String, Value>> = serde_json::from_slice(&text)?;
    let mut map = HashMap::with_capacity(list.len());
    for climb in list {
        let id = climb
            .get("id")
            .and_then(Value::as_str)
            .context("a climb without an id")?
            .to_owned();
        map.insert(id, Value::Object(climb));
    }
    Ok(Arc::new(map))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let peer = Peer {
        climbs: load_climbs(&args.climbs)?,
        tools: Arc::new(vec![get_climb_tool()]),
    };
    let auth = Arc::new(Auth {
        key: HS256Key::from_bytes(args.secret.as_bytes()),
        audience: args.audience,
    });
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true);
    let service = StreamableHttpService::new(
        move || Ok(peer.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let app = axum::Router::new()
        .nest_service("/mcp", service)
        .layer(middleware::from_fn_with_state(auth, require_bearer));

    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let addr = listener.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "peer listening on http://{addr}")?;
    out.flush()?;
    drop(out);
    tokio::select! {
        result = axum::serve(listener, app) => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
