//! The MCP client behind the operator commands (`import`, `export`, `doctor`,
//! `token list`, `token revoke`): `tools/call` over HTTP with a bearer token, to a
//! running server (`--url`) or to the embedded component served in-process on an
//! ephemeral loopback port against `--store` (the library's runtime and server,
//! as under `serve`). The host never reads the component's records itself.

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use std::cell::Cell;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::access;
use crate::store_dir::{self, StoreArg};
use climbing_contract::{scope, variables::JWT_HS256_SECRET};
use climbing_host::capabilities::kv::{self, KvBackend};
use climbing_host::capabilities::{outbound, variables};
use climbing_host::{runtime, server, service_token};

/// How an operator command reaches the server.
#[derive(Debug, Args, Clone)]
pub struct ConnArgs {
    /// The MCP endpoint of a running server, e.g. https://climb.example.com/mcp.
    /// Without it the command serves the embedded component in-process on a
    /// loopback port against --store.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Bearer token for --url (needs the scopes climb:read climb:write admin).
    /// Without it a token is minted from the server's secret: --secret-file,
    /// SPIN_VARIABLE_JWT_HS256_SECRET, or the secret file next to --store.
    #[arg(
        long,
        value_name = "JWT",
        env = "CLIMBING_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// With --url and no --token: a file holding the server's jwt_hs256_secret.
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,

    /// With --url and no --token: the server's resource_url (`aud`), when it is
    /// not --url itself.
    #[arg(long, value_name = "URL")]
    pub audience: Option<String>,

    /// The SQLite store of the in-process server (ignored with --url, except to
    /// find its secret file).
    #[arg(long, value_name = "PATH", default_value = store_dir::DEFAULT_STORE)]
    pub store: PathBuf,

    /// Application variable for the in-process server (repeatable), as for `serve`.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = variables::parse_flag)]
    pub vars: Vec<(String, String)>,

    /// Who the minted token is for: ticks are imported for, and exported of, this
    /// climber.
    #[arg(long, value_name = "NAME", default_value = access::ADMIN_SUBJECT)]
    pub subject: String,
}

/// The protocol revision the client speaks (the initialize era; every server
/// answers `tools/call` without a prior `initialize`).
const PROTOCOL_VERSION: &str = "2025-11-25";
/// How often a request is retried after `429` (rate limit) or `503` (time limit).
const MAX_RETRIES: u32 = 8;
/// Longest wait the client honours from `Retry-After`.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Lifetime of tokens minted for one command.
const MINTED_TTL_DAYS: u64 = 1;
/// Per-request time limit of the in-process server (bulk imports are big requests).
const IN_PROCESS_TIMEOUT: Duration = Duration::from_secs(120);

/// What a tool call came back with: its structured result, or the refusal
/// (`isError: true`) with the server's message.
pub type ToolResult = std::result::Result<Value, String>;

pub struct Client {
    agent: ureq::Agent,
    url: String,
    authorization: String,
    next_id: Cell<u64>,
    /// Who the token is for: ticks are imported for and exported of this subject.
    pub subject: String,
    /// One line saying which server this is, for summaries.
    pub describe: String,
    /// Keeps the in-process server alive as long as the client.
    _server: Option<InProcess>,
}

/// The component served in-process; dropping it stops the server.
struct InProcess {
    tokio: Option<tokio::runtime::Runtime>,
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(rt) = self.tokio.take() {
            rt.shutdown_background();
        }
    }
}

impl Client {
    /// Connects as `conn` says: `--url` (with `--token`, or a token minted from the
    /// server's secret), or an in-process server on `--store`.
    pub fn connect(conn: &ConnArgs) -> Result<Client> {
        match &conn.url {
            Some(url) => Self::remote(conn, url),
            None => Self::in_process(conn),
        }
    }

    fn remote(conn: &ConnArgs, url: &str) -> Result<Client> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!("--url {url:?} is not an http(s) URL; give the server's MCP endpoint, e.g. http://127.0.0.1:3000/mcp");
        }
        let (token, subject) = match &conn.token {
            Some(t) if !t.trim().is_empty() => (t.trim().to_owned(), subject_of(t)),
            _ => {
                let secret = remote_secret(conn)?;
                let audience = conn.audience.clone().unwrap_or_else(|| url.to_owned());
                let (t, _) = service_token::mint(
                    &secret,
                    &audience,
                    &conn.subject,
                    &all_scopes(),
                    MINTED_TTL_DAYS,
                )?;
                (t, conn.subject.clone())
            }
        };
        Ok(Client {
            agent: agent(),
            url: url.to_owned(),
            authorization: format!("Bearer {token}"),
            next_id: Cell::new(1),
            subject,
            describe: url.to_owned(),
            _server: None,
        })
    }

    fn in_process(conn: &ConnArgs) -> Result<Client> {
        let store = conn.store.clone();
        let listener = std::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .context("cannot listen on a loopback port")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;

        let kv: Arc<dyn KvBackend> = Arc::new(kv::sqlite::SqliteKv::open(&store)?);
        let mut vars = variables::Variables::from_sources(std::env::vars(), &conn.vars)?;
        // Admin work is bulk work by the operator: no per-subject rate limit.
        vars.set(
            climbing_contract::variables::RATE_LIMIT_PER_MINUTE,
            "0".into(),
        );
        let access = access::configure(
            &mut vars,
            &conn.vars,
            &StoreArg::Sqlite(store.clone()),
            addr,
        )?;
        let secret = vars
            .value(JWT_HS256_SECRET)
            .ok_or_else(|| anyhow!("no jwt_hs256_secret for the in-process server"))?
            .to_owned();
        let (token, _) = service_token::mint(
            &secret,
            &access.resource_url,
            &conn.subject,
            &all_scopes(),
            MINTED_TTL_DAYS,
        )?;
        let limits = runtime::Limits {
            max_memory_bytes: 64 << 20,
            timeout: IN_PROCESS_TIMEOUT,
            fuel_limit: None,
            meter_fuel: false,
        };
        let outbound = Arc::new(outbound::AllowList::parse(
            std::env::var(outbound::ENV_ALLOW_OUTBOUND)
                .unwrap_or_default()
                .split(','),
        )?);
        let runtime = Arc::new(runtime::Runtime::new(
            climbing_host::EMBEDDED_COMPONENT,
            limits,
            kv,
            Arc::new(vars),
            outbound,
        )?);
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let server = Arc::new(server::Server::new(runtime, false));
        tokio.spawn(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => {
                    if let Err(e) = server.serve(listener).await {
                        eprintln!("climbing-host: in-process server stopped: {e:#}");
                    }
                }
                Err(e) => eprintln!("climbing-host: in-process server cannot listen: {e}"),
            }
        });
        Ok(Client {
            agent: agent(),
            url: format!("http://{addr}/mcp"),
            authorization: format!("Bearer {token}"),
            next_id: Cell::new(1),
            subject: conn.subject.clone(),
            describe: format!("store {}", store.display()),
            _server: Some(InProcess { tokio: Some(tokio) }),
        })
    }

    /// Calls a tool. `Err` for failures of transport, auth or protocol; `Ok(Err)`
    /// when the tool refused (its message says why).
    pub fn call(&self, tool: &str, arguments: Value) -> Result<ToolResult> {
        self.call_reporting(tool, arguments, None)
    }

    /// [`Client::call`], asking for progress: `on_progress` gets each progress
    /// value (and total) the tool reports while it runs, read from the answer's
    /// event stream as the server sends it.
    pub fn call_with_progress(
        &self,
        tool: &str,
        arguments: Value,
        on_progress: &mut dyn FnMut(f64, Option<f64>),
    ) -> Result<ToolResult> {
        self.call_reporting(tool, arguments, Some(on_progress))
    }

    fn call_reporting(
        &self,
        tool: &str,
        arguments: Value,
        mut on_progress: Option<&mut dyn FnMut(f64, Option<f64>)>,
    ) -> Result<ToolResult> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let mut params = json!({"name": tool, "arguments": arguments});
        if on_progress.is_some() {
            params["_meta"] = json!({"progressToken": id});
        }
        let body = json!({
            "jsonrpc": "2.0",
            "id": id,
            "method": "tools/call",
            "params": params,
        })
        .to_string();
        let accept = match on_progress {
            Some(_) => "application/json, text/event-stream",
            None => "application/json",
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut response = self
                .agent
                .post(&self.url)
                .header("content-type", "application/json")
                .header("accept", accept)
                .header("mcp-protocol-version", PROTOCOL_VERSION)
                .header("authorization", &self.authorization)
                .send(body.as_bytes())
                .with_context(|| format!("cannot reach {}", self.url))?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let retry_after = header("retry-after");
            let challenge = header("www-authenticate");
            let streamed =
                header("content-type").is_some_and(|t| t.starts_with("text/event-stream"));
            let text = match on_progress.as_deref_mut() {
                Some(report) if streamed && status == 200 => {
                    climbing_host::event_stream::read_response(
                        response.body_mut().as_reader(),
                        report,
                    )
                    .with_context(|| format!("reading the answer to {tool}"))?
                }
                _ => response
                    .body_mut()
                    .with_config()
                    .limit(256 << 20)
                    .read_to_string()
                    .with_context(|| format!("reading the answer to {tool}"))?,
            };
            match status {
                200 => {}
                429 | 503 if attempt <= MAX_RETRIES => {
                    let wait = retry_after
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .map(Duration::from_secs)
                        .unwrap_or(Duration::from_millis(250 << attempt.min(6)))
                        .min(MAX_RETRY_AFTER);
                    std::thread::sleep(wait);
                    continue;
                }
                401 => bail!(
                    "the server refused the token (401{}); for --url give --token, or the server's secret \
                     (--secret-file) and its resource_url (--audience) if it differs from --url",
                    describe_challenge(challenge.as_deref())
                ),
                403 => bail!(
                    "the token may not call {tool} (403{}); admin commands need a token with the scopes \
                     climb:read climb:write admin",
                    describe_challenge(challenge.as_deref())
                ),
                _ => bail!(
                    "{tool}: the server answered {status}: {}",
                    text.chars().take(300).collect::<String>()
                ),
            }
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("{tool}: the answer is not JSON"))?;
            if let Some(error) = v.get("error") {
                bail!(
                    "{tool}: {} ({})",
                    error["message"].as_str().unwrap_or("error"),
                    error["code"]
                );
            }
            let result = &v["result"];
            if result["isError"] == true {
                let message = result["content"][0]["text"]
                    .as_str()
                    .unwrap_or("refused")
                    .to_owned();
                return Ok(Err(message));
            }
            return Ok(Ok(result["structuredContent"].clone()));
        }
    }

    /// Calls a tool that must succeed.
    pub fn must(&self, tool: &str, arguments: Value) -> Result<Value> {
        self.call(tool, arguments)?
            .map_err(|message| anyhow!("{tool} refused: {message}"))
    }

    /// Every item of a paginated tool, page by page (200 at a time).
    pub fn each(&self, tool: &str, mut arguments: Value, mut f: impl FnMut(Value)) -> Result<()> {
        arguments["limit"] = json!(200);
        loop {
            let page = self.must(tool, arguments.clone())?;
            for item in page["items"].as_array().into_iter().flatten() {
                f(item.clone());
            }
            match page.get("next_cursor").and_then(Value::as_str) {
                Some(cursor) => arguments["cursor"] = json!(cursor),
                None => return Ok(()),
            }
        }
    }

    /// Every item of a paginated tool, collected.
    pub fn all(&self, tool: &str, arguments: Value) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        self.each(tool, arguments, |item| items.push(item))?;
        Ok(items)
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

/// Operator commands act with every scope.
fn all_scopes() -> Vec<String> {
    scope::ALL.iter().map(|s| (*s).to_owned()).collect()
}

fn describe_challenge(challenge: Option<&str>) -> String {
    challenge
        .and_then(|c| c.split("error_description=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(|d| format!(": {d}"))
        .unwrap_or_default()
}

/// The secret to mint a token for a running server: `--secret-file`,
/// SPIN_VARIABLE_JWT_HS256_SECRET, or the file `serve` keeps next to `--store`.
fn remote_secret(conn: &ConnArgs) -> Result<String> {
    if let Some(path) = &conn.secret_file {
        return store_dir::read_secret_file(path);
    }
    if let Ok(secret) = std::env::var(access::SECRET_ENV) {
        if !secret.is_empty() {
            return Ok(secret);
        }
    }
    let file = store_dir::secret_file_for_store(&conn.store);
    if file.exists() {
        return store_dir::read_secret_file(&file);
    }
    bail!(
        "no token for --url: pass --token T (or CLIMBING_TOKEN), or the server's secret with \
         --secret-file PATH or {}, so a token can be minted (the default is {}, which does not exist)",
        access::SECRET_ENV,
        file.display()
    )
}

/// The `sub` of a JWT, read without checking it (the server checks it).
fn subject_of(jwt: &str) -> String {
    use jwt_simple::prelude::*;
    jwt.split('.')
        .nth(1)
        .and_then(|claims| Base64UrlSafeNoPadding::decode_to_vec(claims, None).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|claims| claims["sub"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "(token's subject)".into())
}
