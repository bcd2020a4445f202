//! MCP helpers for the integration tests: tokens, JSON-RPC requests, tool calls.
#![allow(dead_code)]

use super::{Host, Response};
use jwt_simple::prelude::*;
use serde_json::{json, Value};

/// The HS256 secret and resource URL every test host is started with.
pub const SECRET: &str = "integration-test-secret-0123456789";
pub const RESOURCE: &str = "http://mcp.test/mcp";

/// A host serving the component with auth configured.
pub fn host_builder() -> super::HostBuilder {
    Host::builder()
        .var("jwt_hs256_secret", SECRET)
        .var("resource_url", RESOURCE)
}

#[derive(Serialize, Deserialize)]
struct Scope {
    scope: String,
}

/// A service token for `subject` with space-separated `scopes`.
pub fn token(subject: &str, scopes: &str) -> String {
    let claims = Claims::with_custom_claims(
        Scope {
            scope: scopes.into(),
        },
        Duration::from_mins(10),
    )
    .with_subject(subject)
    .with_audience(RESOURCE)
    .with_jwt_id(format!("jti-{subject}"));
    HS256Key::from_bytes(SECRET.as_bytes())
        .authenticate(claims)
        .unwrap()
}

pub fn bearer(scopes: &str) -> String {
    format!("Bearer {}", token("tester", scopes))
}

pub const ALL: &str = "climb:read climb:write admin";

pub fn rpc(id: i64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

/// POSTs one JSON-RPC message as a legacy (2025-11-25) client would.
pub fn post_rpc(host: &Host, auth: &str, extra: &[(&str, &str)], body: &Value) -> Response {
    let mut headers = vec![
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("authorization", auth),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    for (name, value) in extra {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name, value));
    }
    host.post("/mcp", &headers, body.to_string())
}

/// Calls a tool with full scopes and returns the `result` (panics on a JSON-RPC error).
pub fn call_tool(host: &Host, name: &str, args: Value) -> Value {
    let r = post_rpc(
        host,
        &bearer(ALL),
        &[],
        &rpc(1, "tools/call", json!({"name": name, "arguments": args})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.rpc_response();
    assert!(v.get("error").is_none(), "{v}");
    v["result"].clone()
}

/// The structured result of a tool call that must succeed.
pub fn ok_tool(host: &Host, name: &str, args: Value) -> Value {
    let result = call_tool(host, name, args);
    assert_eq!(result["isError"], false, "{result}");
    result["structuredContent"].clone()
}

/// Creates a country and a crag in it; returns the crag's id.
pub fn seed_crag(host: &Host) -> String {
    let country = ok_tool(
        host,
        "create_area",
        json!({"name": "France", "kind": "country"}),
    );
    let crag = ok_tool(
        host,
        "create_area",
        json!({"name": "Ceüse", "kind": "crag", "parent_id": country["id"]}),
    );
    crag["id"].as_str().unwrap().to_owned()
}
