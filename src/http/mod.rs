//! The HTTP edge: routing, DNS-rebinding defences (Host, Origin), content types,
//! the body size limit, then authentication and the protocol layer.

mod origin;

use crate::catalog::events::EventSink;
use crate::catalog::extension::Extension;
use crate::identity::Caller;
use crate::platform::Platform;
use crate::{auth, protocol};
use serde_json::json;

/// Largest request body accepted on `/mcp` (1 MiB). Bigger bodies get 413 before
/// they are read into memory.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The head of an event-stream response: no caching, and no buffering by a proxy
/// (nginx honours `X-Accel-Buffering`), so each event reaches the client when it
/// is written. The content type comes first.
pub const EVENT_STREAM_HEADERS: [(&str, &str); 3] = [
    ("content-type", "text/event-stream"),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),
];

/// An HTTP request as the edge sees it; header names are lowercase.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    pub method: String,
    /// Path without the query string.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    fn new(status: u16, content_type: Option<&str>, body: Vec<u8>) -> Self {
        let headers = content_type
            .map(|ct| vec![("content-type".to_owned(), ct.to_owned())])
            .unwrap_or_default();
        Self {
            status,
            headers,
            body,
        }
    }

    fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An error at the edge, as a JSON-RPC error without id so MCP clients can read it.
pub fn error_response(status: u16, code: i64, message: &str) -> HttpResponse {
    let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    HttpResponse::new(
        status,
        Some("application/json"),
        serde_json::to_vec(&body).unwrap_or_default(),
    )
}

/// What a component serves: who a request acts as, and what the catalog adds to
/// its own tools, prompts and resources. The deployed component is
/// [`Service::DEPLOYED`]; a component built on this crate (the conformance
/// fixtures in `conformance/`) passes its own to [`Service::answer_head`].
pub struct Service {
    /// Checks a `POST /mcp`'s `Authorization` header (`None` when absent) and
    /// returns who the request acts as.
    pub authenticate: Authenticate,
    pub catalog: &'static Extension,
}

pub type Authenticate =
    fn(&dyn Platform, &auth::Resource, Option<&str>) -> Result<Caller, auth::Denial>;

impl Service {
    /// Bearer tokens checked by [`auth::authenticate`]; the catalog as it is.
    pub const DEPLOYED: Service = Service {
        authenticate: auth::authenticate,
        catalog: &crate::catalog::extension::NONE,
    };

    /// Answers a request whose body is in `req.body`: [`Service::answer_head`],
    /// then [`answer_body`].
    pub fn handle(&'static self, platform: &dyn Platform, req: &HttpRequest) -> HttpResponse {
        match self.answer_head(platform, req) {
            Ok(pending) => answer_body(platform, pending, req),
            Err(response) => response,
        }
    }

    /// Everything that can be decided from the request line and headers, before a
    /// byte of the body is read: the answer for every route but `POST /mcp`, and
    /// for that one the Host/Origin, media-type and bearer-token checks. An
    /// unauthorized client is answered here, so it never holds the server while it
    /// sends (or never finishes sending) a body. `req.body` is not read.
    pub fn answer_head(
        &'static self,
        platform: &dyn Platform,
        req: &HttpRequest,
    ) -> Result<Pending, HttpResponse> {
        head(self, platform, req)
    }
}

/// [`Service::handle`] of the deployed component.
pub fn handle(platform: &dyn Platform, req: &HttpRequest) -> HttpResponse {
    DEPLOYED.handle(platform, req)
}

/// [`Service::answer_head`] of the deployed component.
pub fn answer_head(platform: &dyn Platform, req: &HttpRequest) -> Result<Pending, HttpResponse> {
    DEPLOYED.answer_head(platform, req)
}

static DEPLOYED: Service = Service::DEPLOYED;

/// A `POST /mcp` whose head passed every check: who sends it, ready for its body.
pub struct Pending {
    caller: Caller,
    resource: auth::Resource,
    catalog: &'static Extension,
}

/// Headers that must appear at most once: with two, one reader could take the
/// first and another the last (an admin token followed by junk, two hosts).
const SINGLE_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "origin",
    "content-type",
    "content-length",
    "mcp-protocol-version",
    "mcp-method",
    "mcp-name",
];

fn head(
    service: &'static Service,
    platform: &dyn Platform,
    req: &HttpRequest,
) -> Result<Pending, HttpResponse> {
    if let Some(name) = SINGLE_HEADERS
        .iter()
        .find(|name| req.headers.iter().filter(|(n, _)| n == *name).count() > 1)
    {
        return Err(error_response(
            400,
            protocol::jsonrpc::INVALID_REQUEST,
            &format!("Bad Request: the request has more than one {name} header; send exactly one"),
        ));
    }
    // Read once: the Host check and the audience of tokens both need it.
    let resource_url = platform.variable(climbing_contract::variables::RESOURCE_URL);
    origin::check(platform, req, resource_url.as_deref())?;
    let path = req.path.trim_end_matches('/');
    if path
        .strip_prefix(auth::METADATA_PATH)
        .is_some_and(|rest| rest.is_empty() || rest == "/mcp")
    {
        return Err(match req.method.as_str() {
            "GET" | "HEAD" => {
                let resource = auth::Resource::from_configured(
                    resource_url,
                    req.header("host").unwrap_or("localhost"),
                );
                let body = serde_json::to_vec(&resource.metadata(platform)).unwrap_or_default();
                HttpResponse::new(200, Some("application/json"), body)
                    .with_header("cache-control", "public, max-age=3600")
            }
            _ => error_response(
                405,
                protocol::jsonrpc::INVALID_REQUEST,
                "Method Not Allowed: use GET",
            )
            .with_header("allow", "GET, HEAD"),
        });
    }
    Err(match path {
        "/mcp" => match req.method.as_str() {
            "POST" => return mcp_head(service, platform, req, resource_url),
            _ => error_response(
                405,
                protocol::jsonrpc::INVALID_REQUEST,
                "Method Not Allowed: this MCP endpoint is stateless and takes POST only (no SSE stream on GET, no session to DELETE)",
            )
            .with_header("allow", "POST"),
        },
        "" => match req.method.as_str() {
            "GET" | "HEAD" => status_page(platform, req),
            _ => error_response(405, protocol::jsonrpc::INVALID_REQUEST, "Method Not Allowed: use GET")
                .with_header("allow", "GET, HEAD"),
        },
        _ => error_response(
            404,
            protocol::jsonrpc::INVALID_REQUEST,
            &format!("Not Found: {}; the MCP endpoint is POST /mcp", truncate(&req.path)),
        ),
    })
}

fn mcp_head(
    service: &'static Service,
    platform: &dyn Platform,
    req: &HttpRequest,
    resource_url: Option<String>,
) -> Result<Pending, HttpResponse> {
    let content_type = req.header("content-type").unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(error_response(
            415,
            protocol::jsonrpc::INVALID_REQUEST,
            &format!(
                "Unsupported Media Type: send the JSON-RPC message with Content-Type: application/json (got '{}')",
                truncate(content_type)
            ),
        ));
    }
    if let Some(accept) = req.header("accept") {
        if !accepts(accept, "application/json") && !accepts(accept, "text/event-stream") {
            return Err(error_response(
                406,
                protocol::jsonrpc::INVALID_REQUEST,
                "Not Acceptable: the Accept header must allow application/json (and text/event-stream)",
            ));
        }
    }
    let resource =
        auth::Resource::from_configured(resource_url, req.header("host").unwrap_or("localhost"));
    match (service.authenticate)(platform, &resource, req.header("authorization")) {
        Ok(caller) => Ok(Pending {
            caller,
            resource,
            catalog: service.catalog,
        }),
        Err(denial) => Err(denied(denial)),
    }
}

fn denied(denial: auth::Denial) -> HttpResponse {
    let mut response = error_response(
        denial.status,
        protocol::jsonrpc::INVALID_REQUEST,
        &denial.message,
    );
    if let Some(challenge) = denial.challenge {
        response = response.with_header("www-authenticate", challenge);
    }
    if let Some(secs) = denial.retry_after_secs {
        response = response.with_header("retry-after", secs.to_string());
    }
    response
}

/// Runs an authenticated `POST /mcp` with its body; notifications are collected
/// and sent with the result.
pub fn answer_body(platform: &dyn Platform, pending: Pending, req: &HttpRequest) -> HttpResponse {
    answer_body_live(platform, pending, req, None)
}

/// [`answer_body`], with notifications sent through `sink` as they are produced
/// when the request asked for them. If the sink opened its stream, the response
/// body is the stream's last event and its head is already sent.
pub fn answer_body_live(
    platform: &dyn Platform,
    pending: Pending,
    req: &HttpRequest,
    sink: Option<&dyn EventSink>,
) -> HttpResponse {
    let Pending {
        caller,
        resource,
        catalog,
    } = pending;
    if req.body.len() > MAX_BODY_BYTES {
        return too_large();
    }
    // The rate limit counts JSON-RPC messages: authentication counted this
    // request as one, a batch is charged for the rest of its messages before any
    // of them runs.
    let messages = protocol::message_count(&req.body);
    if messages > 1 {
        if let Err(denial) = auth::rate_limit::charge(platform, &caller.subject, messages - 1) {
            return denied(denial);
        }
    }
    let accept = req.header("accept");
    let request = protocol::Request {
        host: req.header("host").unwrap_or("localhost"),
        headers: protocol::era::Headers {
            protocol_version: req
                .header("mcp-protocol-version")
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            mcp_method: req.header("mcp-method").map(str::to_owned),
            mcp_name: req.header("mcp-name").map(str::to_owned),
        },
        // Event streams only when the client says it can read them (a missing Accept
        // header gets plain JSON).
        accepts_event_stream: accept.is_some_and(|a| accepts(a, "text/event-stream")),
        body: &req.body,
        catalog,
        sink,
    };
    let reply = protocol::handle(platform, &caller, &request);
    let mut response = HttpResponse::new(reply.status, reply.content_type, reply.body);
    if reply.content_type == Some("text/event-stream") {
        for (name, value) in &EVENT_STREAM_HEADERS[1..] {
            response = response.with_header(name, *value);
        }
    }
    if let Some(scope) = reply.insufficient_scope {
        response = response.with_header(
            "www-authenticate",
            auth::insufficient_scope_challenge(&resource, scope),
        );
    }
    response
}

pub fn too_large() -> HttpResponse {
    error_response(
        413,
        protocol::jsonrpc::INVALID_REQUEST,
        &format!("Payload Too Large: request bodies are limited to {MAX_BODY_BYTES} bytes"),
    )
}

/// Whether an Accept header admits `media_type` (exactly, by `type/*`, or `*/*`).
fn accepts(accept: &str, media_type: &str) -> bool {
    let main = media_type.split('/').next().unwrap_or("");
    accept.split(',').any(|item| {
        let range = item.split(';').next().unwrap_or("").trim();
        range.eq_ignore_ascii_case(media_type)
            || range == "*/*"
            || range
                .strip_suffix("/*")
                .is_some_and(|t| t.eq_ignore_ascii_case(main))
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(100).collect()
}

/// `GET /`: what this server is and how to connect to it, for a person.
fn status_page(platform: &dyn Platform, req: &HttpRequest) -> HttpResponse {
    let resource = auth::Resource::new(platform, req.header("host").unwrap_or("localhost"));
    let mcp_url = escape_html(&resource.url);
    let oauth = auth::token::oauth_issuer(platform)
        .map(|issuer| {
            format!(
                ", or an OAuth access token from <code>{}</code>",
                escape_html(&issuer)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body>\
         <h1>{title}</h1>\
         <p>A stateless remote MCP server for climbing data: areas and crags, climbs, grades, indoor venues and logbooks. Version {version}.</p>\
         <h2>Connect</h2><dl>\
         <dt>MCP endpoint</dt><dd><code id=\"mcp-url\">{mcp_url}</code>: <code>POST</code>, Streamable HTTP, JSON responses, no sessions</dd>\
         <dt>Protocol versions</dt><dd id=\"protocol-versions\">{versions}</dd>\
         <dt>Authentication</dt><dd>Every request needs <code>Authorization: Bearer &lt;token&gt;</code>: a service token from the operator{oauth}. \
         Protected-resource metadata: <a href=\"{metadata}\">{metadata}</a></dd>\
         <dt>Scopes</dt><dd><code>climb:read</code>, <code>climb:write</code>, <code>admin</code></dd></dl>\
         <h2>Claude Code</h2>\
         <pre id=\"connect\">claude mcp add --transport http climbing {mcp_url} --header \"Authorization: Bearer &lt;token&gt;\"</pre>\
         </body></html>",
        title = crate::meta::SERVER_TITLE,
        version = crate::meta::SERVER_VERSION,
        versions = protocol::era::supported_versions().join(", "),
        metadata = escape_html(&resource.metadata_url()),
    );
    HttpResponse::new(200, Some("text/html; charset=utf-8"), body.into_bytes())
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod auth_tests;
#[cfg(test)]
mod tests;
