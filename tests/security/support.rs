//! What the attack files share: a host with both token kinds configured, tokens
//! with any claims at all, JSON-RPC calls, and raw HTTP for what a polite client
//! would never send.
#![allow(dead_code)]

pub use crate::common::mcp::{host_builder, rpc, ALL, RESOURCE, SECRET};
pub use crate::common::{Host, HostBuilder, Response};
use jwt_simple::prelude::*;
use serde_json::{json, Map, Value};
use std::io::{Read, Write};
use std::net::TcpStream;

pub const ISSUER: &str = "https://issuer.test";
const TEST_KEY: &str = include_str!("../fixtures/rsa-test-key.pem");
const OTHER_KEY: &str = include_str!("../fixtures/rsa-other-key.pem");

fn b64(bytes: impl AsRef<[u8]>) -> String {
    Base64UrlSafeNoPadding::encode_to_string(bytes.as_ref()).unwrap()
}

pub fn key(kid: &str) -> RS256KeyPair {
    RS256KeyPair::from_pem(TEST_KEY).unwrap().with_key_id(kid)
}

pub fn other_key(kid: &str) -> RS256KeyPair {
    RS256KeyPair::from_pem(OTHER_KEY).unwrap().with_key_id(kid)
}

pub fn jwks(keys: &[&RS256KeyPair]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| {
            let c = k.public_key().to_components();
            json!({"kty": "RSA", "alg": "RS256", "kid": k.key_id().clone().unwrap(),
                "n": b64(&c.n), "e": b64(&c.e)})
        })
        .collect();
    json!({ "keys": keys }).to_string()
}

/// HS256 service tokens and RS256 user tokens (static JWKS with key `k1`), no
/// rate limit (the scope walk sends hundreds of requests).
pub fn secure_host() -> HostBuilder {
    host_builder()
        .var("oauth_issuer", ISSUER)
        .var("oauth_jwks", &jwks(&[&key("k1")]))
        .var("rate_limit_per_minute", "0")
}

pub fn now() -> i64 {
    Clock::now_since_epoch().as_secs() as i64
}

/// Well-formed claims for `sub` with `scope`: every attack changes some of them.
pub fn claims(sub: &str, scope: &str) -> Value {
    json!({"sub": sub, "aud": RESOURCE, "iat": now(), "exp": now() + 300,
        "jti": format!("jti-{sub}-{}", now()), "scope": scope})
}

pub fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

pub fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

/// An HS256 token over exactly these claims, signed with the server's secret.
pub fn hs256(claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    );
    let mac = HS256Key::from_bytes(SECRET.as_bytes()).authentication_tag(input.as_bytes());
    format!("{input}.{}", b64(mac))
}

#[derive(Serialize, Deserialize)]
struct Raw {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

/// An RS256 token over exactly these claims (jwt-simple's own time claims left
/// out, so ours go through as written), signed with `pair`.
pub fn rs256(pair: &RS256KeyPair, claims: &Value) -> String {
    let mut c = Claims::with_custom_claims(
        Raw {
            claims: claims.as_object().unwrap().clone(),
        },
        Duration::from_secs(1),
    );
    c.expires_at = None;
    c.issued_at = None;
    c.invalid_before = None;
    pair.sign(c).unwrap()
}

/// User claims: as [`claims`], from the issuer.
pub fn user_claims(sub: &str, scope: &str) -> Value {
    with(claims(sub, scope), "iss", json!(ISSUER))
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A service bearer for `sub` with `scope`.
pub fn service(sub: &str, scope: &str) -> String {
    bearer(&hs256(&claims(sub, scope)))
}

/// POSTs one JSON-RPC request (legacy era) with `auth`.
pub fn call(host: &Host, auth: &str, method: &str, params: Value) -> Response {
    crate::common::mcp::post_rpc(host, auth, &[], &rpc(1, method, params))
}

pub fn tool(host: &Host, auth: &str, name: &str, args: Value) -> Response {
    call(
        host,
        auth,
        "tools/call",
        json!({"name": name, "arguments": args}),
    )
}

/// The structured result of a tool call that must succeed.
pub fn ok(host: &Host, auth: &str, name: &str, args: Value) -> Value {
    let r = tool(host, auth, name, args);
    let v = r.json();
    assert_eq!(r.status, 200, "{name}: {v}");
    assert_eq!(v["result"]["isError"], false, "{name}: {v}");
    v["result"]["structuredContent"].clone()
}

/// The message of a tool call that must be refused with `isError`.
pub fn refused(host: &Host, auth: &str, name: &str, args: Value) -> String {
    let r = tool(host, auth, name, args.clone());
    let v = r.json();
    assert_eq!(r.status, 200, "{name} {args}: {v}");
    assert_eq!(v["result"]["isError"], true, "{name} {args}: {v}");
    let message = v["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    // A call refused for its shape proves nothing about the rule under test.
    assert!(
        !message.contains("unknown field"),
        "{name} {args}: {message}"
    );
    message
}

/// A country and a crag in it; returns the crag's id.
pub fn crag(host: &Host, auth: &str) -> String {
    let country = ok(
        host,
        auth,
        "create_area",
        json!({"name": "Norway", "kind": "country"}),
    );
    let crag = ok(
        host,
        auth,
        "create_area",
        json!({"name": "Flatanger", "kind": "crag", "parent_id": country["id"]}),
    );
    crag["id"].as_str().unwrap().to_owned()
}

/// What a raw exchange got back.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: Option<u16>,
    pub text: String,
}

/// Writes `request` whole, then reads the answer (as a client that sends its
/// body before looking at the response does), for at most `timeout`.
pub fn raw(addr: &str, request: &[u8], timeout: std::time::Duration) -> RawAnswer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.set_write_timeout(Some(timeout)).unwrap();
    let written = stream.write_all(request);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    if status.is_none() {
        eprintln!("raw exchange: write {written:?}, read {} bytes", buf.len());
    }
    RawAnswer { status, text }
}

/// A POST /mcp head with `extra` header lines (each ending in \r\n) and a body.
pub fn post_bytes(host: &Host, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /mcp HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\naccept: application/json\r\nmcp-protocol-version: 2025-11-25\r\ncontent-length: {}\r\n{extra}\r\n",
        host.addr(),
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}
