//! The HTTP edge and the protocol layer: an `HttpRequest` built from fuzz bytes
//! through `climbing_mcp::http::handle`, as the component's entry point calls it.
//!
//! Input: four selector bytes (method, path, content type, accept, auth, protocol
//! version, Host/Origin, Mcp-Method/Mcp-Name headers), then the body. Most
//! selections carry a valid token, so the protocol layer is reached.
#![no_main]

use climbing_mcp::http::{handle, HttpRequest};
use climbing_mcp_fuzz::{admin_token, check_response, read_token, seeded, HOST};
use libfuzzer_sys::fuzz_target;

const VERSIONS: [Option<&str>; 8] = [
    Some("2025-11-25"),
    None,
    Some("2025-03-26"),
    Some("2024-11-05"),
    Some("2026-07-28"),
    Some("2025-06-18"),
    Some("1999-01-01"),
    Some(""),
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (sel, rest) = data.split_at(4);
    let (p, seeds) = seeded();
    let body = seeds.substitute(&String::from_utf8_lossy(rest));
    // Keep invalid UTF-8 when there is no placeholder to fill.
    let body = if body.len() == rest.len() && !body.contains('\u{fffd}') {
        body.into_bytes()
    } else if body.contains('\u{fffd}') {
        rest.to_vec()
    } else {
        body.into_bytes()
    };

    let method = [
        "POST", "POST", "GET", "DELETE", "HEAD", "PUT", "OPTIONS", "POST",
    ][(sel[0] & 7) as usize];
    let path = [
        "/mcp",
        "/mcp",
        "/mcp/",
        "/",
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
        "/other",
        "/mcp",
    ][((sel[0] >> 3) & 7) as usize];
    let content_type = [
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("text/plain"),
        None,
    ][((sel[0] >> 6) & 3) as usize];

    let mut headers: Vec<(String, String)> = Vec::new();
    let host = match sel[2] & 3 {
        0 | 1 => Some(HOST),
        2 => Some("evil.example.com"),
        _ => None,
    };
    if let Some(h) = host {
        headers.push(("host".into(), h.into()));
    }
    match (sel[2] >> 2) & 3 {
        1 => headers.push(("origin".into(), "http://localhost:3000".into())),
        2 => headers.push(("origin".into(), "http://evil.example.com".into())),
        3 => headers.push(("origin".into(), "null".into())),
        _ => {}
    }
    if let Some(ct) = content_type {
        headers.push(("content-type".into(), ct.into()));
    }
    match sel[1] & 3 {
        0 | 1 => headers.push((
            "accept".into(),
            "application/json, text/event-stream".into(),
        )),
        2 => headers.push(("accept".into(), "application/json".into())),
        _ => {}
    }
    let auth = match (sel[1] >> 2) & 7 {
        0..=3 => Some(format!("Bearer {}", admin_token())),
        4 => Some(format!("Bearer {}", read_token())),
        5 => None,
        6 => Some("Bearer not.a.jwt".into()),
        _ => Some(format!("Basic {}", admin_token())),
    };
    if let Some(a) = auth {
        headers.push(("authorization".into(), a));
    }
    if let Some(v) = VERSIONS[((sel[1] >> 5) & 7) as usize] {
        headers.push(("mcp-protocol-version".into(), v.into()));
    }
    // Mcp-Method / Mcp-Name: absent, copied from the body (as a modern client
    // sends them), or wrong.
    match sel[3] & 3 {
        1 => {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                if let Some(m) = v["method"].as_str() {
                    headers.push(("mcp-method".into(), m.into()));
                }
                if let Some(n) = v["params"]["name"].as_str().or(v["params"]["uri"].as_str()) {
                    headers.push(("mcp-name".into(), n.into()));
                }
            }
        }
        2 => headers.push(("mcp-method".into(), "tools/list".into())),
        3 => headers.push(("mcp-session-id".into(), "stale-session".into())),
        _ => {}
    }

    let req = HttpRequest {
        method: method.into(),
        path: path.into(),
        headers,
        body,
    };
    let r = handle(&p, &req);
    check_response(data, &r);
});
