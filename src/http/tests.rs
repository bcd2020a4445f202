//! The whole stack, natively, on the in-memory platform: every protocol rule the
//! edge, protocol and catalog layers own. The integration tests in `tests/` repeat
//! the important ones against the built component over real HTTP.

use super::{handle, HttpRequest, HttpResponse, MAX_BODY_BYTES};
use crate::credentials::mint_service_token;
use crate::platform::memory::MemoryPlatform;
use serde_json::{json, Value};

const MODERN: &str = "2026-07-28";
pub const SECRET: &str = "test-secret-test-secret-test-secret";
pub const AUDIENCE: &str = "http://localhost:3000/mcp";

pub fn platform() -> MemoryPlatform {
    MemoryPlatform::default().with_variable("jwt_hs256_secret", SECRET)
}

pub fn token(scopes: &[&str]) -> String {
    token_for(AUDIENCE, scopes)
}

pub fn token_for(audience: &str, scopes: &[&str]) -> String {
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    mint_service_token(
        SECRET.as_bytes(),
        audience,
        "tester",
        &scopes,
        "jti-1",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        3600,
    )
}

/// Stored keys, less the rate limiter's request counters and the JWKS cache.
pub fn data_keys(p: &MemoryPlatform) -> Vec<String> {
    p.kv.keys()
        .into_iter()
        .filter(|k| !k.starts_with("l/") && !k.starts_with("k/"))
        .collect()
}

pub fn bearer() -> String {
    format!("Bearer {}", token(&["climb:read", "climb:write", "admin"]))
}

pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpRequest {
    let mut all = vec![
        ("host".to_owned(), "localhost:3000".to_owned()),
        ("content-type".to_owned(), "application/json".to_owned()),
        (
            "accept".to_owned(),
            "application/json, text/event-stream".to_owned(),
        ),
        ("authorization".to_owned(), bearer()),
    ];
    for (name, value) in headers {
        all.retain(|(n, _)| n != name);
        all.push((name.to_string(), value.to_string()));
    }
    HttpRequest {
        method: method.into(),
        path: path.into(),
        headers: all,
        body: body.to_vec(),
    }
}

pub fn post(p: &MemoryPlatform, headers: &[(&str, &str)], body: &Value) -> HttpResponse {
    handle(
        p,
        &request("POST", "/mcp", headers, body.to_string().as_bytes()),
    )
}

pub fn json_of(r: &HttpResponse) -> Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&r.body)))
}

pub fn rpc(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
}

/// A legacy-era call at 2025-11-25.
pub fn call(p: &MemoryPlatform, method: &str, params: Value) -> Value {
    let r = post(
        p,
        &[("mcp-protocol-version", "2025-11-25")],
        &rpc(method, params),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    json_of(&r)
}

pub fn tool(p: &MemoryPlatform, name: &str, args: Value) -> Value {
    call(p, "tools/call", json!({"name": name, "arguments": args}))["result"].clone()
}

fn modern_params(extra: Value) -> Value {
    let mut params = json!({"_meta": {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    }});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            params[k] = v;
        }
    }
    params
}

fn modern(p: &MemoryPlatform, method: &str, name: Option<&str>, extra: Value) -> HttpResponse {
    let mut headers = vec![("mcp-protocol-version", MODERN), ("mcp-method", method)];
    if let Some(n) = name {
        headers.push(("mcp-name", n));
    }
    post(p, &headers, &rpc(method, modern_params(extra)))
}

fn seed(p: &MemoryPlatform) -> (String, String) {
    let country = tool(p, "create_area", json!({"name": "USA", "kind": "country"}));
    let country_id = country["structuredContent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let crag = tool(
        p,
        "create_area",
        json!({"name": "Smith Rock", "kind": "crag", "parent_id": country_id}),
    );
    assert_eq!(crag["isError"], false, "{crag}");
    let crag_id = crag["structuredContent"]["id"].as_str().unwrap().to_owned();
    (country_id, crag_id)
}

#[test]
fn initialize_negotiates_and_issues_no_session() {
    let p = platform();
    for (asked, answered) in [
        ("2025-11-25", "2025-11-25"),
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("2024-11-05", "2024-11-05"),
        ("2099-01-01", "2025-11-25"),
        (MODERN, "2025-11-25"),
    ] {
        let r = post(
            &p,
            &[],
            &rpc(
                "initialize",
                json!({"protocolVersion": asked, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
            ),
        );
        assert_eq!(r.status, 200);
        assert!(r.header("mcp-session-id").is_none());
        let v = json_of(&r);
        assert_eq!(v["result"]["protocolVersion"], answered);
        assert_eq!(v["result"]["serverInfo"]["name"], "climbing-mcp");
        assert!(v["result"]["capabilities"]["tools"].is_object());
    }
}

#[test]
fn any_method_works_without_initialize_and_ignores_session_ids() {
    let p = platform();
    let r = post(
        &p,
        &[
            ("mcp-session-id", "made-up-session"),
            ("mcp-protocol-version", "2025-06-18"),
        ],
        &rpc("tools/list", json!({})),
    );
    assert_eq!(r.status, 200);
    assert!(r.header("mcp-session-id").is_none());
    assert!(json_of(&r)["result"]["tools"].as_array().unwrap().len() >= 7);
    assert_eq!(call(&p, "ping", json!({}))["result"], json!({}));
    assert_eq!(
        call(&p, "logging/setLevel", json!({"level": "debug"}))["result"],
        json!({})
    );
    assert_eq!(
        call(&p, "logging/setLevel", json!({"level": "loud"}))["error"]["code"],
        -32602
    );
}

#[test]
fn notifications_get_202_without_body() {
    let p = platform();
    for body in [
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}),
    ] {
        let r = post(&p, &[], &body);
        assert_eq!((r.status, r.body.len()), (202, 0), "{body}");
    }
}

/// A response answers a request the server sent on an event stream
/// (catalog::back_channel); one to a request it never sent changes nothing and
/// says so.
#[test]
fn a_response_to_no_server_request_is_refused() {
    let p = platform();
    for id in [json!(5), json!("climbing-mcp/ask/unknown")] {
        let body = json!({"jsonrpc": "2.0", "id": id, "result": {}});
        let r = post(&p, &[], &body);
        assert_eq!(r.status, 400, "{body}");
        let answer: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(answer["id"], id);
        assert!(answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no server request is waiting"));
    }
}

#[test]
fn http_method_content_type_accept_and_size_rules() {
    let p = platform();
    for method in ["GET", "DELETE", "PUT"] {
        let r = handle(&p, &request(method, "/mcp", &[], b""));
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("POST"));
    }
    let body = rpc("ping", json!({})).to_string();
    let r = handle(
        &p,
        &request(
            "POST",
            "/mcp",
            &[("content-type", "text/plain")],
            body.as_bytes(),
        ),
    );
    assert_eq!(r.status, 415);
    assert!(json_of(&r)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("application/json"));
    let r = handle(
        &p,
        &request(
            "POST",
            "/mcp",
            &[("content-type", "application/json; charset=utf-8")],
            body.as_bytes(),
        ),
    );
    assert_eq!(r.status, 200);
    let r = handle(
        &p,
        &request("POST", "/mcp", &[("accept", "text/html")], body.as_bytes()),
    );
    assert_eq!(r.status, 406);
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(handle(&p, &request("POST", "/mcp", &[], &big)).status, 413);
    let r = handle(&p, &request("POST", "/nope", &[], b""));
    assert_eq!(r.status, 404);
    let page = handle(&p, &request("GET", "/", &[], b""));
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).unwrap();
    assert!(
        html.contains("<code id=\"mcp-url\">http://localhost:3000/mcp</code>"),
        "{html}"
    );
    assert!(html.contains("2026-07-28") && html.contains("claude mcp add"));
    let hostile = platform().with_variable("resource_url", "http://x/<script>");
    let html = String::from_utf8(handle(&hostile, &request("GET", "/", &[], b"")).body).unwrap();
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
}

#[test]
fn malformed_messages_get_specific_errors() {
    let p = platform();
    let cases: &[(&[u8], u16, i64)] = &[
        (b"{not json", 400, -32700),
        (b"", 400, -32700),
        (b"42", 400, -32600),
        (b"\"ping\"", 400, -32600),
        (br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, 400, -32600),
        (br#"{"id":1,"method":"ping"}"#, 400, -32600),
        (br#"{"jsonrpc":"2.0","id":1,"method":7}"#, 400, -32600),
        (br#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#, 400, -32600),
        (br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1,2]}"#, 200, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"no/such"}"#, 200, -32601),
        (br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"nope"}}"#, 200, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}"#, 200, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"bogus"}}"#, 200, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"resources/list","params":{"cursor":"x.y"}}"#, 200, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"climbing://areas/none"}}"#, 200, -32002),
        (br#"{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"plan_crag_day"}}"#, 200, -32602),
    ];
    for (body, status, code) in cases {
        let r = handle(&p, &request("POST", "/mcp", &[], body));
        assert_eq!(r.status, *status, "{}", String::from_utf8_lossy(body));
        let v = json_of(&r);
        assert_eq!(
            v["error"]["code"],
            *code,
            "{}: {v}",
            String::from_utf8_lossy(body)
        );
        assert!(v["error"]["message"].as_str().unwrap().len() > 10);
    }
    assert!(
        data_keys(&p).is_empty(),
        "bad input stored something: {:?}",
        data_keys(&p)
    );
}

#[test]
fn protocol_version_header_and_batches() {
    let p = platform();
    let r = post(
        &p,
        &[("mcp-protocol-version", "1999-01-01")],
        &rpc("tools/list", json!({})),
    );
    assert_eq!(r.status, 400);
    assert!(json_of(&r)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("2025-11-25"));
    // No header means 2025-03-26, which has batches.
    let batch = json!([rpc("ping", json!({})), {"jsonrpc": "2.0", "method": "notifications/initialized"}, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}]);
    let r = post(&p, &[], &batch);
    assert_eq!(r.status, 200);
    assert_eq!(json_of(&r).as_array().unwrap().len(), 2);
    let r = post(
        &p,
        &[],
        &json!([{"jsonrpc": "2.0", "method": "notifications/initialized"}]),
    );
    assert_eq!(r.status, 202);
    let r = post(&p, &[], &json!([]));
    assert_eq!(r.status, 400);
    let r = post(
        &p,
        &[],
        &json!([rpc("initialize", json!({"protocolVersion": "2025-03-26"}))]),
    );
    assert_eq!(json_of(&r)[0]["error"]["code"], -32600);
    let r = post(&p, &[("mcp-protocol-version", "2025-06-18")], &batch);
    assert_eq!(r.status, 400);
    assert!(json_of(&r)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("batches"));
}

#[test]
fn host_and_origin_are_checked() {
    let p = platform();
    let body = rpc("ping", json!({})).to_string();
    let r = handle(
        &p,
        &request(
            "POST",
            "/mcp",
            &[("host", "evil.example.com")],
            body.as_bytes(),
        ),
    );
    assert_eq!(r.status, 403);
    let r = handle(
        &p,
        &request(
            "POST",
            "/mcp",
            &[("origin", "http://evil.example.com")],
            body.as_bytes(),
        ),
    );
    assert_eq!(r.status, 403);
    let r = handle(
        &p,
        &request(
            "POST",
            "/mcp",
            &[("origin", "http://localhost:3000")],
            body.as_bytes(),
        ),
    );
    assert_eq!(r.status, 200);
    let configured = platform()
        .with_variable("allowed_hosts", "mcp.example.com")
        .with_variable("allowed_origins", "https://app.example.com");
    let r = handle(
        &configured,
        &request(
            "POST",
            "/mcp",
            &[
                ("host", "mcp.example.com"),
                ("origin", "https://app.example.com"),
                (
                    "authorization",
                    &format!(
                        "Bearer {}",
                        token_for("http://mcp.example.com/mcp", &["climb:read"])
                    ),
                ),
            ],
            body.as_bytes(),
        ),
    );
    assert_eq!(r.status, 200);
    let r = handle(&configured, &request("POST", "/mcp", &[], body.as_bytes()));
    assert_eq!(
        r.status, 403,
        "loopback is not allowed once allowed_hosts is set"
    );
}

#[test]
fn modern_era_discover_and_validation() {
    let p = platform();
    let r = modern(&p, "server/discover", None, json!({}));
    assert_eq!(r.status, 200);
    let v = json_of(&r)["result"].clone();
    assert_eq!(v["resultType"], "complete");
    assert!(v["supportedVersions"]
        .as_array()
        .unwrap()
        .contains(&json!(MODERN)));
    assert!(v["ttlMs"].is_u64());
    assert_eq!(
        v["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "climbing-mcp"
    );

    let r = modern(&p, "tools/list", None, json!({}));
    let v = json_of(&r)["result"].clone();
    assert_eq!(
        (v["resultType"].as_str(), v["cacheScope"].as_str()),
        (Some("complete"), Some("private"))
    );

    // Removed and unknown methods: 404 with -32601.
    for method in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "unknown/method",
    ] {
        let r = modern(&p, method, None, json!({}));
        assert_eq!(r.status, 404, "{method}");
        assert_eq!(json_of(&r)["error"]["code"], -32601);
        assert_eq!(json_of(&r)["id"], 1);
    }
    // _meta without protocol version, with the modern header: -32602 and 400.
    let r = post(
        &p,
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "server/discover"),
        ],
        &rpc("server/discover", json!({"_meta": {}})),
    );
    assert_eq!(
        (r.status, json_of(&r)["error"]["code"].as_i64()),
        (400, Some(-32602))
    );
    // Header disagrees with _meta: -32020.
    let mut params = modern_params(json!({}));
    params["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    let r = post(
        &p,
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "server/discover"),
        ],
        &rpc("server/discover", params.clone()),
    );
    assert_eq!(
        (r.status, json_of(&r)["error"]["code"].as_i64()),
        (400, Some(-32020))
    );
    // Both say an unknown version: -32022 with the supported list.
    let r = post(
        &p,
        &[
            ("mcp-protocol-version", "v999.0.0"),
            ("mcp-method", "server/discover"),
        ],
        &rpc("server/discover", params),
    );
    let v = json_of(&r);
    assert_eq!((r.status, v["error"]["code"].as_i64()), (400, Some(-32022)));
    assert_eq!(v["error"]["data"]["requested"], "v999.0.0");
    // Mcp-Method and Mcp-Name must match the body.
    let r = post(
        &p,
        &[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "prompts/list"),
        ],
        &rpc("tools/list", modern_params(json!({}))),
    );
    assert_eq!(
        (r.status, json_of(&r)["error"]["code"].as_i64()),
        (400, Some(-32020))
    );
    let r = post(
        &p,
        &[("mcp-protocol-version", MODERN)],
        &rpc("tools/list", modern_params(json!({}))),
    );
    assert_eq!(r.status, 400);
    let r = modern(
        &p,
        "tools/call",
        Some("wrong_tool"),
        json!({"name": "get_area", "arguments": {"id": "x"}}),
    );
    assert_eq!(
        (r.status, json_of(&r)["error"]["code"].as_i64()),
        (400, Some(-32020))
    );
    let r = modern(
        &p,
        "tools/call",
        None,
        json!({"name": "get_area", "arguments": {"id": "x"}}),
    );
    assert_eq!(r.status, 400);
    let r = modern(
        &p,
        "tools/call",
        Some("  get_area  "),
        json!({"name": "get_area", "arguments": {"id": "x"}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(json_of(&r)["result"]["isError"], true);
    assert_eq!(json_of(&r)["result"]["resultType"], "complete");
    // Resource not found is -32602 with the uri in this era.
    let r = modern(
        &p,
        "resources/read",
        Some("climbing://areas/none"),
        json!({"uri": "climbing://areas/none"}),
    );
    let v = json_of(&r);
    assert_eq!(
        (
            v["error"]["code"].as_i64(),
            v["error"]["data"]["uri"].as_str()
        ),
        (Some(-32602), Some("climbing://areas/none"))
    );
    assert!(data_keys(&p).is_empty());
}

#[test]
fn areas_and_climbs_round_trip_with_pagination() {
    let p = platform();
    let (country_id, crag_id) = seed(&p);
    let listed = tool(&p, "list_areas", json!({}));
    assert_eq!(
        listed["structuredContent"]["items"][0]["id"],
        country_id.as_str()
    );
    let children = tool(&p, "list_areas", json!({"parent_id": country_id}));
    assert_eq!(
        children["structuredContent"]["items"][0]["ancestors"],
        json!([country_id])
    );
    for i in 0..5 {
        let c = tool(
            &p,
            "create_climb",
            json!({"name": format!("Route {i}"), "area_id": crag_id, "grades": {"yds": "5.10a"}, "disciplines": ["sport"], "length_m": 25, "bolts": 8}),
        );
        assert_eq!(c["isError"], false, "{c}");
        // The text content is the structured content, serialized.
        let text: Value = serde_json::from_str(c["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(text, c["structuredContent"]);
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"area_id": crag_id, "limit": 2});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = tool(&p, "list_climbs", args);
        for item in page["structuredContent"]["items"].as_array().unwrap() {
            names.push(item["name"].as_str().unwrap().to_owned());
        }
        match page["structuredContent"]["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        names,
        ["Route 0", "Route 1", "Route 2", "Route 3", "Route 4"]
    );
    // A cursor for one list is refused on another.
    let first = tool(&p, "list_climbs", json!({"area_id": crag_id, "limit": 2}));
    let c = first["structuredContent"]["next_cursor"].as_str().unwrap();
    let other = tool(&p, "list_areas", json!({"cursor": c}));
    assert_eq!(other["isError"], true);
    assert!(other["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("invalid cursor"));
    // Resources.
    let read = call(
        &p,
        "resources/read",
        json!({"uri": format!("climbing://areas/{crag_id}")}),
    );
    assert!(read["result"]["contents"][0]["text"]
        .as_str()
        .unwrap()
        .contains("Smith Rock"));
    let res = call(&p, "resources/list", json!({}));
    assert_eq!(
        res["result"]["resources"][0]["uri"],
        format!("climbing://areas/{country_id}")
    );
}

#[test]
fn updates_use_versions_and_refusals_change_nothing() {
    let p = platform();
    let (_, crag_id) = seed(&p);
    let climb = tool(
        &p,
        "create_climb",
        json!({"name": "Chain Reaction", "area_id": crag_id, "grades": {"yds": "5.12c"}, "disciplines": ["sport"]}),
    );
    let id = climb["structuredContent"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ok = tool(
        &p,
        "update_climb",
        json!({"id": id, "expected_version": 1, "changes": {"bolts": 6}}),
    );
    assert_eq!(ok["structuredContent"]["version"], 2);
    let stale = tool(
        &p,
        "update_climb",
        json!({"id": id, "expected_version": 1, "changes": {"bolts": 7}}),
    );
    assert_eq!(stale["isError"], true);
    let msg = stale["content"][0]["text"].as_str().unwrap();
    assert!(msg.contains("current version is 2"), "{msg}");
    let got = tool(&p, "get_climb", json!({"id": id}));
    assert_eq!(got["structuredContent"]["bolts"], 6);

    let keys_before = data_keys(&p);
    let refusals = [
        ("create_area", json!({"name": "X", "kind": "crag"})),
        ("create_area", json!({"name": "", "kind": "country"})),
        ("create_area", json!({"name": "X", "kind": "volcano"})),
        (
            "create_area",
            json!({"name": "X", "kind": "sector", "parent_id": "nope"}),
        ),
        (
            "create_area",
            json!({"name": "X", "kind": "country", "extra": 1}),
        ),
        (
            "create_area",
            json!({"name": "x".repeat(201), "kind": "country"}),
        ),
        (
            "create_area",
            json!({"name": "X", "kind": "country", "location": {"lat": 100, "lng": 0}}),
        ),
        (
            "create_climb",
            json!({"name": "Y", "area_id": crag_id, "grades": {}, "disciplines": ["sport"]}),
        ),
        (
            "create_climb",
            json!({"name": "Y", "area_id": crag_id, "grades": {"yds": "5.9"}, "disciplines": []}),
        ),
        (
            "create_climb",
            json!({"name": "Y", "area_id": crag_id, "grades": {"yds": "5.9"}, "disciplines": ["flying"]}),
        ),
        (
            "create_climb",
            json!({"name": "Y", "area_id": crag_id, "grades": {"yds": "5.9"}, "disciplines": ["sport"], "length_m": -3}),
        ),
        (
            "create_climb",
            json!({"name": "Y", "area_id": "a/b", "grades": {"yds": "5.9"}, "disciplines": ["sport"]}),
        ),
        ("update_climb", json!({"id": id, "changes": {"name": ""}})),
        (
            "update_climb",
            json!({"id": "missing", "changes": {"bolts": 1}}),
        ),
        ("get_climb", json!({"id": 5})),
        ("list_climbs", json!({"area_id": crag_id, "limit": 0})),
        (
            "list_climbs",
            json!({"area_id": crag_id, "cursor": "tampered.cursor"}),
        ),
    ];
    for (name, args) in refusals {
        let r = tool(&p, name, args.clone());
        assert_eq!(r["isError"], true, "{name} {args}: {r}");
        assert!(r["content"][0]["text"].as_str().unwrap().len() > 15);
    }
    let country = tool(&p, "list_areas", json!({}))["structuredContent"]["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = tool(
        &p,
        "create_climb",
        json!({"name": "Y", "area_id": country, "grades": {"yds": "5.9"}, "disciplines": ["sport"]}),
    );
    assert!(r["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("climbs go in a crag"));
    assert_eq!(
        data_keys(&p),
        keys_before,
        "a refused call changed the store"
    );
}

#[test]
fn prompts_and_completion() {
    let p = platform();
    let list = call(&p, "prompts/list", json!({}));
    assert_eq!(list["result"]["prompts"][0]["name"], "plan_crag_day");
    let (_, crag_id) = seed(&p);
    // By name (any case, accents ignored) or by id.
    for crag in ["smith rock", crag_id.as_str()] {
        let got = call(
            &p,
            "prompts/get",
            json!({"name": "plan_crag_day", "arguments": {"crag": crag, "grade_range": "6a-7a"}}),
        );
        let text = got["result"]["messages"][0]["content"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            text.contains("Smith Rock") && text.contains(&crag_id) && text.contains("6a-7a"),
            "{text}"
        );
    }
    let missing = call(
        &p,
        "prompts/get",
        json!({"name": "plan_crag_day", "arguments": {"crag": "Nowhere"}}),
    );
    assert_eq!(missing["error"]["code"], -32602);
    let names = call(
        &p,
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "plan_crag_day"}, "argument": {"name": "crag", "value": "Smi"}}),
    );
    assert_eq!(
        names["result"]["completion"]["values"],
        json!(["Smith Rock"])
    );
    let systems = call(
        &p,
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "plan_crag_day"}, "argument": {"name": "grade_system", "value": "f"}}),
    );
    assert_eq!(
        systems["result"]["completion"]["values"],
        json!(["french", "font"])
    );
    let c = call(
        &p,
        "completion/complete",
        json!({"ref": {"type": "ref/prompt", "name": "plan_crag_day"}, "argument": {"name": "discipline", "value": "tr"}}),
    );
    assert_eq!(c["result"]["completion"]["values"], json!(["trad"]));
    let t = call(&p, "resources/templates/list", json!({}));
    assert_eq!(
        t["result"]["resourceTemplates"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn climbs_filter_by_discipline_and_grade_range() {
    let p = platform();
    let (_, crag_id) = seed(&p);
    for (name, grades, discipline) in [
        ("Easy", json!({"yds": "5.7"}), "trad"),
        ("Mid", json!({"french": "6b"}), "sport"),
        ("Hard", json!({"yds": "5.12a"}), "sport"),
        ("Problem", json!({"vscale": "V5"}), "boulder"),
    ] {
        let r = tool(
            &p,
            "create_climb",
            json!({"name": name, "area_id": crag_id, "grades": grades, "disciplines": [discipline]}),
        );
        assert_eq!(r["isError"], false, "{r}");
    }
    let names = |args: Value| -> Vec<String> {
        let r = tool(&p, "list_climbs", args);
        assert_eq!(r["isError"], false, "{r}");
        r["structuredContent"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(json!({"area_id": crag_id, "discipline": "sport"})),
        ["Mid", "Hard"]
    );
    assert_eq!(
        names(json!({"area_id": crag_id, "min_grade": "5.10a", "max_grade": "7a"})),
        ["Mid"]
    );
    assert_eq!(
        names(json!({"area_id": crag_id, "min_grade": "V4"})),
        ["Problem"]
    );
    let bad = tool(
        &p,
        "list_climbs",
        json!({"area_id": crag_id, "min_grade": "5.10a", "max_grade": "V5"}),
    );
    assert_eq!(bad["isError"], true);
    let stored = tool(
        &p,
        "create_climb",
        json!({"name": "Norm", "area_id": crag_id, "grades": {"yds": " 5.10A "}, "disciplines": ["sport"]}),
    );
    assert_eq!(
        stored["structuredContent"]["grades"]["yds"], "5.10a",
        "grades are stored normalized"
    );
    let unknown = tool(
        &p,
        "create_climb",
        json!({"name": "X", "area_id": crag_id, "grades": {"yds": "5.99z"}, "disciplines": ["sport"]}),
    );
    assert!(unknown["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("grades.yds"));
}
