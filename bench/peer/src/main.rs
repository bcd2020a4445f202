//! The native peer of `climbing-bench`: what the same tools cost without a
//! sandbox. An [rmcp] 3.9 server in stateless JSON mode (no sessions, plain
//! `application/json` answers) on axum, serving the read scenarios of the bench
//! (`get_climb`, `list_climbs` with its cursors, `search_climbs`, `tools/list` with
//! the component's own tool definitions) over climbs loaded at start, behind the
//! same HS256 bearer check the component makes (HMAC-SHA256 over the signing
//! input, header and claims decoded into plain structs, `exp`/`nbf` with the same
//! leeway, `aud`, the `climb:read` scope).
//!
//! ```text
//! climbing-bench-peer --listen 127.0.0.1:0 --secret S --audience URL --climbs FILE --tools FILE
//! ```
//!
//! The climbs `FILE` is a JSON array of climbs as the component stores them (the
//! bench read them back); the tools `FILE` is the component's `tools/list` result.
//! Prints `peer listening on http://ADDR` once it accepts connections.

mod auth;
mod catalog;

use anyhow::{bail, Context, Result};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use catalog::{Catalog, Refused};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{RoleServer, ServerHandler};
use serde_json::{Map, Value};
use std::io::Write;
use std::sync::Arc;

#[derive(Clone)]
struct Peer {
    catalog: Arc<Catalog>,
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
        let empty = Map::new();
        let args = request.arguments.as_ref().unwrap_or(&empty);
        let outcome = match request.name.as_ref() {
            "get_climb" => self.catalog.get_climb(args),
            "list_climbs" => self.catalog.list_climbs(args),
            "search_climbs" => self.catalog.search_climbs(args),
            other => {
                return Err(ErrorData::invalid_params(
                    format!("unknown tool {other}"),
                    None,
                ))
            }
        };
        Ok(match outcome {
            // As the component answers: the structured result and the same JSON as text.
            Ok(result) => CallToolResult::structured(result),
            Err(Refused(message)) => CallToolResult::error(vec![ContentBlock::text(message)]),
        }
        .into())
    }
}

async fn require_bearer(
    State(auth): State<Arc<auth::ServiceTokens>>,
    request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        return refuse(StatusCode::UNAUTHORIZED, "invalid_token");
    };
    match auth.verify(token) {
        Some(scopes) if scopes.split(' ').any(|s| s == "climb:read") => next.run(request).await,
        Some(_) => refuse(StatusCode::FORBIDDEN, "insufficient_scope"),
        None => refuse(StatusCode::UNAUTHORIZED, "invalid_token"),
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
    tools: std::path::PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut listen = "127.0.0.1:0".to_owned();
    let (mut secret, mut audience, mut climbs, mut tools) = (None, None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = value()?,
            "--secret" => secret = Some(value()?),
            "--audience" => audience = Some(value()?),
            "--climbs" => climbs = Some(value()?.into()),
            "--tools" => tools = Some(value()?.into()),
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(Args {
        listen,
        secret: secret.context("--secret is required")?,
        audience: audience.context("--audience is required")?,
        climbs: climbs.context("--climbs is required")?,
        tools: tools.context("--tools is required")?,
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("parsing {}", path.display()))
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let tools_list: Value = read_json(&args.tools)?;
    let tools: Vec<Tool> = serde_json::from_value(tools_list["tools"].clone())
        .context("the tools file is not a tools/list result")?;
    let peer = Peer {
        catalog: Arc::new(Catalog::new(
            read_json(&args.climbs)?,
            args.secret.as_bytes(),
        )?),
        tools: Arc::new(tools),
    };
    let auth = Arc::new(auth::ServiceTokens::new(
        args.secret.as_bytes(),
        args.audience,
    ));
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
