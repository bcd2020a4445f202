//! Shared setup for the fuzz targets: an in-memory platform configured like the
//! unit tests (`src/http/tests.rs`), tokens, requests, a small seeded store, and
//! the invariants every response must hold.

use climbing_mcp::credentials::mint_service_token;
use climbing_mcp::http::{handle, HttpRequest, HttpResponse};
use climbing_mcp::platform::memory::MemoryPlatform;
use serde_json::{json, Value};
use std::sync::OnceLock;

pub const SECRET: &str = "fuzz-secret-fuzz-secret-fuzz-secret";
pub const AUDIENCE: &str = "http://localhost:3000/mcp";
pub const HOST: &str = "localhost:3000";
/// The RSA key of the fake OAuth issuer (the unit tests' fixture).
pub const RSA_KEY: &str = include_str!("../../tests/fixtures/rsa-test-key.pem");
pub const ISSUER: &str = "https://issuer.example.com";

pub fn platform() -> MemoryPlatform {
    MemoryPlatform::default().with_variable("jwt_hs256_secret", SECRET)
}

fn mint(scopes: &[&str]) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    mint_service_token(
        SECRET.as_bytes(),
        AUDIENCE,
        "fuzzer",
        &scopes,
        "jti-fuzz",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_secs(),
        24 * 3600,
    )
}

/// A token with every scope.
pub fn admin_token() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| mint(&["climb:read", "climb:write", "admin"]))
}

/// A token that may only read.
pub fn read_token() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| mint(&["climb:read"]))
}

/// A POST /mcp as a 2025-11-25 client sends it.
pub fn mcp_request(body: Vec<u8>) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        path: "/mcp".into(),
        headers: vec![
            ("host".into(), HOST.into()),
            ("content-type".into(), "application/json".into()),
            (
                "accept".into(),
                "application/json, text/event-stream".into(),
            ),
            ("authorization".into(), format!("Bearer {}", admin_token())),
            ("mcp-protocol-version".into(), "2025-11-25".into()),
        ],
        body,
    }
}

pub fn call_tool(p: &MemoryPlatform, name: &str, args: &Value) -> HttpResponse {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": args}});
    handle(p, &mcp_request(body.to_string().into_bytes()))
}

/// The structured result of a tool call that must succeed.
pub fn ok_tool(p: &MemoryPlatform, name: &str, args: Value) -> Value {
    let r = call_tool(p, name, &args);
    let v: Value = serde_json::from_slice(&r.body).expect("JSON");
    assert_eq!(v["result"]["isError"], false, "seeding {name}: {v}");
    v["result"]["structuredContent"].clone()
}

/// Ids of the records [`seeded`] creates.
pub struct Seeds {
    pub country: String,
    pub crag: String,
    pub sector: String,
    pub climb: String,
    pub tick: String,
}

impl Seeds {
    /// Replaces `$COUNTRY`, `$CRAG`, `$SECTOR`, `$CLIMB` and `$TICK` in fuzz input,
    /// so seed inputs can name records that exist.
    pub fn substitute(&self, text: &str) -> String {
        text.replace("$COUNTRY", &self.country)
            .replace("$CRAG", &self.crag)
            .replace("$SECTOR", &self.sector)
            .replace("$CLIMB", &self.climb)
            .replace("$TICK", &self.tick)
    }
}

/// A platform with a country, a crag, a sector, a climb and a tick.
pub fn seeded() -> (MemoryPlatform, Seeds) {
    let p = platform();
    let id = |v: Value| v["id"].as_str().unwrap().to_owned();
    let country = id(ok_tool(
        &p,
        "create_area",
        json!({"name": "France", "kind": "country"}),
    ));
    let crag = id(ok_tool(
        &p,
        "create_area",
        json!({"name": "Céüse", "kind": "crag", "parent_id": country, "location": {"lat": 44.5, "lng": 5.9}}),
    ));
    let sector = id(ok_tool(
        &p,
        "create_area",
        json!({"name": "Berlin", "kind": "sector", "parent_id": crag}),
    ));
    let climb = id(ok_tool(
        &p,
        "create_climb",
        json!({"name": "Biographie", "area_id": crag, "grades": {"french": "9a+"}, "disciplines": ["sport"], "bolts": 12}),
    ));
    let tick = id(ok_tool(
        &p,
        "log_tick",
        json!({"climb_id": climb, "style": "lead", "attempt": "redpoint", "stars": 4}),
    ));
    (
        p,
        Seeds {
            country,
            crag,
            sector,
            climb,
            tick,
        },
    )
}

/// What every response must satisfy, whatever the input: no server error, no
/// JSON-RPC internal error, and a JSON content type means a JSON body.
pub fn check_response(input: &[u8], r: &HttpResponse) {
    let body = String::from_utf8_lossy(&r.body);
    assert!(
        r.status < 500,
        "status {} for input {:?}: {body}",
        r.status,
        String::from_utf8_lossy(input)
    );
    if r.header("content-type") == Some("application/json") && !r.body.is_empty() {
        let v: Value = serde_json::from_slice(&r.body)
            .unwrap_or_else(|e| panic!("a JSON response is not JSON ({e}): {body}"));
        let internal = |m: &Value| m["error"]["code"] == json!(-32603);
        let any_internal = match &v {
            Value::Array(items) => items.iter().any(internal),
            single => internal(single),
        };
        assert!(
            !any_internal,
            "internal error for input {:?}: {body}",
            String::from_utf8_lossy(input)
        );
    }
}
