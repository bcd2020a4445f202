//! Authentication through the whole stack, natively: the happy paths of both token
//! kinds and a matrix of hostile and broken tokens, each refused with the right
//! status and challenge and none changing data.

use super::tests::{
    call, data_keys, json_of, platform, post, request, rpc, token, token_for, AUDIENCE, SECRET,
};
use super::{handle, HttpResponse};
use crate::platform::memory::MemoryPlatform;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jwt_simple::prelude::*;
use serde_json::{json, Value};

const ISSUER: &str = "https://issuer.example.com";
const JWKS_URL: &str = "https://issuer.example.com/jwks.json";
const TEST_KEY: &str = include_str!("../../tests/fixtures/rsa-test-key.pem");
const OTHER_KEY: &str = include_str!("../../tests/fixtures/rsa-other-key.pem");

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

/// A token with exactly the header and claims given, HMAC-signed with `secret`.
fn raw_hs256(header: Value, claims: Value, secret: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = hmac_sha256::HMAC::mac(signing_input.as_bytes(), secret);
    format!("{signing_input}.{}", b64(&sig))
}

fn claims(overrides: Value) -> Value {
    let mut c = json!({
        "sub": "alice", "aud": AUDIENCE, "iat": now(), "exp": now() + 600,
        "jti": "j-1", "scope": "climb:read climb:write",
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn key_pair(pem: &str, kid: &str) -> RS256KeyPair {
    RS256KeyPair::from_pem(pem).unwrap().with_key_id(kid)
}

fn jwks_of(pairs: &[&RS256KeyPair]) -> String {
    let keys: Vec<Value> = pairs
        .iter()
        .map(|k| {
            let c = k.public_key().to_components();
            json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": k.key_id().clone().unwrap(), "n": b64(&c.n), "e": b64(&c.e)})
        })
        .collect();
    json!({ "keys": keys }).to_string()
}

fn rs256(
    pair: &RS256KeyPair,
    issuer: &str,
    audience: &str,
    scope: &str,
    valid_secs: u64,
) -> String {
    #[derive(Serialize, Deserialize)]
    struct Scope {
        scope: String,
    }
    let claims = Claims::with_custom_claims(
        Scope {
            scope: scope.into(),
        },
        Duration::from_secs(valid_secs),
    )
    .with_issuer(issuer)
    .with_audience(audience)
    .with_subject("bob@example.com")
    .with_jwt_id("user-jti");
    pair.sign(claims).unwrap()
}

fn oauth_platform() -> MemoryPlatform {
    let p = platform()
        .with_variable("oauth_issuer", ISSUER)
        .with_variable("oauth_jwks_url", JWKS_URL);
    p.http.borrow_mut().insert(
        JWKS_URL.into(),
        jwks_of(&[&key_pair(TEST_KEY, "k1")]).into_bytes(),
    );
    p
}

/// Calls create_area with `authorization` (None: no header).
fn create_with(p: &MemoryPlatform, authorization: Option<&str>) -> HttpResponse {
    let body = rpc(
        "tools/call",
        json!({"name": "create_area", "arguments": {"name": "X", "kind": "country"}}),
    )
    .to_string();
    let mut req = request("POST", "/mcp", &[], body.as_bytes());
    req.headers.retain(|(n, _)| n != "authorization");
    if let Some(a) = authorization {
        req.headers.push(("authorization".into(), a.into()));
    }
    handle(p, &req)
}

#[test]
fn hostile_and_broken_tokens_are_refused_and_change_nothing() {
    let p = oauth_platform();
    let k1 = key_pair(TEST_KEY, "k1");
    let other = key_pair(OTHER_KEY, "k1");
    let public_pem = k1.public_key().to_pem().unwrap();
    let good = token(&["climb:read", "climb:write"]);
    // Revoke one jti first (as an admin would).
    let admin = token(&["admin"]);
    let r = post(
        &p,
        &[("authorization", &format!("Bearer {admin}"))],
        &rpc(
            "tools/call",
            json!({"name": "revoke_token", "arguments": {"id": "revoked-1"}}),
        ),
    );
    assert_eq!(json_of(&r)["result"]["isError"], false);
    let before = data_keys(&p);

    let hs = |header: Value, c: Value| raw_hs256(header, c, SECRET.as_bytes());
    let jwt = json!({"alg": "HS256", "typ": "JWT"});
    let mut tampered: Vec<&str> = good.split('.').collect();
    let admin_claims = b64(claims(json!({"scope": "admin"})).to_string().as_bytes());
    tampered[1] = &admin_claims;
    let tampered = tampered.join(".");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none","typ":"JWT"}"#),
                b64(claims(json!({})).to_string().as_bytes())
            ),
            "alg none",
        ),
        (
            "HS256 signed with the RSA public key",
            raw_hs256(
                json!({"alg": "HS256", "typ": "JWT", "kid": "k1"}),
                claims(json!({})),
                public_pem.as_bytes(),
            ),
            "signature",
        ),
        (
            "expired",
            hs(
                jwt.clone(),
                claims(json!({"exp": now() - 3600, "iat": now() - 7200})),
            ),
            "expired",
        ),
        (
            "not yet valid",
            hs(jwt.clone(), claims(json!({"nbf": now() + 3600}))),
            "not valid yet",
        ),
        (
            "issued in the future",
            hs(
                jwt.clone(),
                claims(json!({"iat": now() + 3600, "exp": now() + 7200})),
            ),
            "not valid yet",
        ),
        (
            "wrong audience",
            hs(
                jwt.clone(),
                claims(json!({"aud": "https://other.example.com/mcp"})),
            ),
            "audience",
        ),
        (
            "no audience",
            hs(jwt.clone(), claims(json!({"aud": null}))),
            "audience",
        ),
        (
            "no expiry",
            hs(jwt.clone(), claims(json!({"exp": null}))),
            "expiry",
        ),
        (
            "no subject",
            hs(jwt.clone(), claims(json!({"sub": null}))),
            "subject",
        ),
        (
            "revoked",
            hs(jwt.clone(), claims(json!({"jti": "revoked-1"}))),
            "revoked",
        ),
        (
            "wrong secret",
            raw_hs256(jwt.clone(), claims(json!({})), b"not-the-secret"),
            "signature",
        ),
        ("tampered payload", tampered, "signature"),
        ("truncated", good[..good.len() - 10].to_owned(), "signature"),
        (
            "two parts",
            good.rsplit_once('.').unwrap().0.to_owned(),
            "not a JWT",
        ),
        ("four parts", format!("{good}.x"), "not a JWT"),
        (
            "huge",
            format!(
                "{}.{}.x",
                b64(jwt.to_string().as_bytes()),
                "A".repeat(20_000)
            ),
            "too long",
        ),
        ("non-base64", "!!!.@@@.###".to_owned(), "well-formed"),
        ("garbage parts", "a.b.c".to_owned(), "well-formed"),
        (
            "wrong typ",
            hs(json!({"alg": "HS256", "typ": "xyz"}), claims(json!({}))),
            "typ",
        ),
        (
            "HS512",
            raw_hs256(
                json!({"alg": "HS512", "typ": "JWT"}),
                claims(json!({})),
                SECRET.as_bytes(),
            ),
            "not accepted",
        ),
        (
            "ES256",
            raw_hs256(
                json!({"alg": "ES256", "typ": "JWT"}),
                claims(json!({})),
                SECRET.as_bytes(),
            ),
            "not accepted",
        ),
        (
            "RS256 unknown kid",
            rs256(
                &key_pair(TEST_KEY, "k9"),
                ISSUER,
                AUDIENCE,
                "climb:write",
                600,
            ),
            "kid",
        ),
        (
            "RS256 wrong key, known kid",
            rs256(&other, ISSUER, AUDIENCE, "climb:write", 600),
            "signature",
        ),
        (
            "RS256 wrong issuer",
            rs256(
                &k1,
                "https://evil.example.com",
                AUDIENCE,
                "climb:write",
                600,
            ),
            "issuer",
        ),
        (
            "RS256 wrong audience",
            rs256(&k1, ISSUER, "https://other/mcp", "climb:write", 600),
            "audience",
        ),
    ];
    assert!(cases.len() >= 20);
    for (name, token, reason) in &cases {
        let r = create_with(&p, Some(&format!("Bearer {token}")));
        assert_eq!(
            r.status,
            401,
            "{name}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let challenge = r.header("www-authenticate").unwrap_or_default();
        assert!(challenge.starts_with("Bearer resource_metadata=\"http://localhost:3000/.well-known/oauth-protected-resource/mcp\""), "{name}: {challenge}");
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "{name}: {challenge}"
        );
        let message = json_of(&r)["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains(reason), "{name}: {message}");
        assert!(
            !message.contains(token.as_str()) || token.len() < 8,
            "{name}: the token was echoed"
        );
    }
    for (name, header) in [
        ("no header", None),
        ("basic scheme", Some("Basic dXNlcjpwYXNz")),
        ("empty bearer", Some("Bearer ")),
        ("bare token", Some(good.as_str())),
    ] {
        let r = create_with(&p, header);
        assert_eq!(r.status, 401, "{name}");
        assert!(
            r.header("www-authenticate")
                .unwrap()
                .contains("resource_metadata="),
            "{name}"
        );
    }
    assert_eq!(data_keys(&p), before, "a refused request changed the store");
}

#[test]
fn both_token_kinds_work_and_jwks_is_cached_and_rotated() {
    let p = oauth_platform();
    let k1 = key_pair(TEST_KEY, "k1");
    let r = create_with(&p, Some(&format!("Bearer {}", token(&["climb:write"]))));
    assert_eq!(json_of(&r)["result"]["isError"], false);
    assert_eq!(
        json_of(&r)["result"]["structuredContent"]["created_by"],
        "tester"
    );

    let user = rs256(&k1, ISSUER, AUDIENCE, "climb:read climb:write", 600);
    let r = create_with(&p, Some(&format!("Bearer {user}")));
    // OAuth users are named by issuer and subject, apart from service tokens.
    assert_eq!(
        json_of(&r)["result"]["structuredContent"]["created_by"],
        format!("{ISSUER}#bob@example.com")
    );
    assert_eq!(p.http_gets.get(), 1);
    create_with(&p, Some(&format!("Bearer {user}")));
    assert_eq!(
        p.http_gets.get(),
        1,
        "the second request must use the cached keys"
    );

    // Rotation: the issuer adds k2; a token signed with k2 triggers one refetch
    // once the cache is a minute old.
    let k2 = key_pair(OTHER_KEY, "k2");
    p.http
        .borrow_mut()
        .insert(JWKS_URL.into(), jwks_of(&[&k1, &k2]).into_bytes());
    let rotated = rs256(&k2, ISSUER, AUDIENCE, "climb:read", 600);
    let r = create_with(&p, Some(&format!("Bearer {rotated}")));
    assert_eq!(
        r.status, 401,
        "an unknown kid within a minute of the last fetch is refused without refetching"
    );
    assert_eq!(p.http_gets.get(), 1);
    p.now_ms.set(p.now_ms.get() + 61_000);
    let r = post(
        &p,
        &[("authorization", &format!("Bearer {rotated}"))],
        &rpc("tools/list", json!({})),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(p.http_gets.get(), 2);

    // A static JWKS needs no fetch at all.
    let s = platform()
        .with_variable("oauth_issuer", ISSUER)
        .with_variable("oauth_jwks", &jwks_of(&[&k1]));
    let r = post(
        &s,
        &[("authorization", &format!("Bearer {user}"))],
        &rpc("tools/list", json!({})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(s.http_gets.get(), 0);
}

#[test]
fn scopes_filter_tools_and_forbid_calls() {
    let p = platform();
    let reader = format!("Bearer {}", token(&["climb:read"]));
    let list = post(
        &p,
        &[("authorization", &reader)],
        &rpc("tools/list", json!({})),
    );
    let names: Vec<String> = json_of(&list)["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"get_climb".to_owned()));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("create_") || n.ends_with("_token")),
        "{names:?}"
    );
    let r = create_with(&p, Some(&reader));
    assert_eq!(r.status, 403);
    let challenge = r.header("www-authenticate").unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\"")
            && challenge.contains("scope=\"climb:write\""),
        "{challenge}"
    );
    let writer = format!("Bearer {}", token(&["climb:write"]));
    let r = post(
        &p,
        &[("authorization", &writer)],
        &rpc(
            "tools/call",
            json!({"name": "get_area", "arguments": {"id": "x"}}),
        ),
    );
    assert_eq!(r.status, 403);
    assert!(data_keys(&p).is_empty());
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let p = platform().with_variable("rate_limit_per_minute", "3");
    for _ in 0..3 {
        assert_eq!(post(&p, &[], &rpc("ping", json!({}))).status, 200);
    }
    let r = post(&p, &[], &rpc("ping", json!({})));
    assert_eq!(r.status, 429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    p.now_ms.set(p.now_ms.get() + 60_000);
    assert_eq!(post(&p, &[], &rpc("ping", json!({}))).status, 200);
}

#[test]
fn admin_tools_issue_list_and_revoke() {
    let p = platform();
    let issued = call(
        &p,
        "tools/call",
        json!({"name": "issue_token", "arguments": {"subject": "importer", "scopes": ["climb:read"], "ttl_days": 7, "description": "nightly import"}}),
    );
    let result = &issued["result"]["structuredContent"];
    let new_token = result["token"].as_str().unwrap().to_owned();
    let jti = result["info"]["id"].as_str().unwrap().to_owned();
    let r = post(
        &p,
        &[("authorization", &format!("Bearer {new_token}"))],
        &rpc("tools/list", json!({})),
    );
    assert_eq!(r.status, 200);
    let listed = call(
        &p,
        "tools/call",
        json!({"name": "list_tokens", "arguments": {}}),
    );
    assert_eq!(
        listed["result"]["structuredContent"]["items"][0]["subject"],
        "importer"
    );
    assert!(
        !listed.to_string().contains(&new_token),
        "list_tokens must never show a token"
    );
    call(
        &p,
        "tools/call",
        json!({"name": "revoke_token", "arguments": {"id": jti}}),
    );
    let r = post(
        &p,
        &[("authorization", &format!("Bearer {new_token}"))],
        &rpc("tools/list", json!({})),
    );
    assert_eq!(r.status, 401);
    let bad = call(
        &p,
        "tools/call",
        json!({"name": "issue_token", "arguments": {"subject": "x", "scopes": ["root"]}}),
    );
    assert_eq!(bad["result"]["isError"], true);
}

#[test]
fn metadata_is_served_without_auth_and_no_secret_means_no_access() {
    let p = oauth_platform()
        .with_variable("resource_url", "https://climb.example.com/mcp")
        .with_variable("allowed_hosts", "*");
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let mut req = request("GET", path, &[], b"");
        req.headers.retain(|(n, _)| n != "authorization");
        let r = handle(&p, &req);
        assert_eq!(r.status, 200);
        let doc = json_of(&r);
        assert_eq!(doc["resource"], "https://climb.example.com/mcp");
        assert_eq!(doc["authorization_servers"], json!([ISSUER]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert!(doc["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("climb:write")));
    }
    let r = create_with(
        &p,
        Some(&format!(
            "Bearer {}",
            token_for("https://climb.example.com/mcp", &["climb:write"])
        )),
    );
    assert_eq!(json_of(&r)["result"]["isError"], false);
    let r = create_with(
        &MemoryPlatform::default(),
        Some(&format!("Bearer {}", token(&["climb:read"]))),
    );
    assert_eq!(r.status, 401);
    assert!(json_of(&r)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("jwt_hs256_secret"));
}

#[test]
fn verified_rs256_tokens_are_remembered_but_still_expire_and_revoke() {
    let p = oauth_platform();
    let k1 = key_pair(TEST_KEY, "k1");
    let user = format!("Bearer {}", rs256(&k1, ISSUER, AUDIENCE, "climb:read", 600));
    let ping = || {
        post(
            &p,
            &[("authorization", user.as_str())],
            &rpc("ping", json!({})),
        )
    };
    assert_eq!(ping().status, 200);
    assert!(
        p.kv.keys().iter().any(|k| k.starts_with("vt/")),
        "the verified token is remembered"
    );
    let before = p.kv.ops.get();
    assert_eq!(ping().status, 200);
    let cached_ops = p.kv.ops.get() - before;
    assert_eq!(
        cached_ops, 4,
        "remembered token + the cached key set (is its key still there?) + revocation + rate limit, no JWKS fetch"
    );
    // Revocation applies to remembered tokens too.
    let admin = format!("Bearer {}", token(&["admin"]));
    post(
        &p,
        &[("authorization", &admin)],
        &rpc(
            "tools/call",
            json!({"name": "revoke_token", "arguments": {"id": "user-jti"}}),
        ),
    );
    assert_eq!(ping().status, 401);
    // And so does expiry, past the leeway.
    let fresh = format!("Bearer {}", rs256(&k1, ISSUER, AUDIENCE, "climb:read", 10));
    let other = oauth_platform();
    assert_eq!(
        post(
            &other,
            &[("authorization", fresh.as_str())],
            &rpc("ping", json!({}))
        )
        .status,
        200
    );
    other.now_ms.set(other.now_ms.get() + 120_000);
    let r = post(
        &other,
        &[("authorization", fresh.as_str())],
        &rpc("ping", json!({})),
    );
    assert_eq!(r.status, 401);
    assert!(json_of(&r)["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expired"));
}
