//! Token attacks: time claims jwt-simple would wrap or clamp, over-long lives,
//! unprintable subjects, unrevocable ids, identities crossing token kinds, and a
//! remembered RS256 verification outliving its key.

use crate::support::*;
use serde_json::{json, Value};

/// What a refused token must leave: a 401 with a challenge, and no area written.
fn assert_refused(host: &Host, what: &str, auth: &str) {
    let r = tool(
        host,
        auth,
        "create_area",
        json!({"name": "Smuggled", "kind": "country"}),
    );
    assert_eq!(r.status, 401, "{what}: {}", r.text());
    assert!(
        r.header("www-authenticate")
            .is_some_and(|c| c.contains("invalid_token")),
        "{what}: no challenge"
    );
}

fn area_names(host: &Host) -> Vec<String> {
    let items = ok(host, &service("auditor", ALL), "list_areas", json!({}))["items"].clone();
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Claim values that are not a NumericDate this server accepts.
fn bad_times() -> Vec<(&'static str, &'static str, Value)> {
    let now = now();
    vec![
        ("exp", "negative", json!(-1)),
        ("exp", "negative float", json!(-1e9)),
        ("exp", "-2^62", json!(-(1i64 << 62))),
        ("exp", "2^32 (clamped to 2106)", json!(1u64 << 32)),
        ("exp", "u64::MAX", json!(u64::MAX)),
        ("exp", "a float", json!(now as f64 + 300.5)),
        ("exp", "a string", json!((now + 300).to_string())),
        ("exp", "null", Value::Null),
        ("nbf", "negative", json!(-1)),
        ("nbf", "a float", json!(1.5)),
        ("nbf", "in an hour", json!(now + 3600)),
        ("iat", "negative", json!(-1)),
        ("iat", "in an hour", json!(now + 3600)),
        ("iat", "an array", json!([now])),
    ]
}

#[test]
fn absurd_time_claims_are_refused_for_both_token_kinds() {
    let host = secure_host().start();
    let k1 = key("k1");
    for (claim, what, value) in bad_times() {
        let service_claims = with(claims("mallory", ALL), claim, value.clone());
        assert_refused(
            &host,
            &format!("HS256 {claim} {what}"),
            &bearer(&hs256(&service_claims)),
        );
        let user = with(user_claims("mallory", ALL), claim, value);
        assert_refused(
            &host,
            &format!("RS256 {claim} {what}"),
            &bearer(&rs256(&k1, &user)),
        );
    }
    for missing in ["exp", "sub"] {
        assert_refused(
            &host,
            missing,
            &bearer(&hs256(&without(claims("m", ALL), missing))),
        );
    }
    assert!(area_names(&host).is_empty(), "a refused token wrote");
}

#[test]
fn token_lifetimes_are_bounded_by_kind() {
    let host = secure_host().start();
    let day = 86_400;
    let long_service = with(claims("m", ALL), "exp", json!(now() + 367 * day));
    assert_refused(
        &host,
        "service token for 367 days",
        &bearer(&hs256(&long_service)),
    );
    let long_user = with(user_claims("m", ALL), "exp", json!(now() + 32 * day));
    assert_refused(
        &host,
        "user token for 32 days",
        &bearer(&rs256(&key("k1"), &long_user)),
    );
    // Within the bounds they work.
    let year = with(claims("m", ALL), "exp", json!(now() + 365 * day));
    assert_eq!(
        call(&host, &bearer(&hs256(&year)), "ping", json!({})).status,
        200
    );
}

#[test]
fn subjects_must_be_printable_and_ids_revocable() {
    let host = secure_host().start();
    for (what, sub) in [
        ("spaces", json!("   ")),
        ("empty", json!("")),
        ("NUL", json!("ali\u{0}ce")),
        ("newline", json!("alice\n")),
        ("tag characters", json!("alice\u{e0041}")),
        ("zero-width space", json!("al\u{200b}ice")),
        ("a number", json!(42)),
        ("257 bytes", json!("a".repeat(257))),
        (
            "looks like an OAuth user",
            json!("https://issuer.test#alice"),
        ),
    ] {
        assert_refused(
            &host,
            &format!("sub {what}"),
            &bearer(&hs256(&with(claims("x", ALL), "sub", sub))),
        );
    }
    for (what, jti) in [
        ("300 bytes", json!("j".repeat(300))),
        ("empty", json!("")),
        ("a number", json!(7)),
    ] {
        assert_refused(
            &host,
            &format!("jti {what}"),
            &bearer(&hs256(&with(claims("x", ALL), "jti", jti))),
        );
    }
    assert_refused(
        &host,
        "service token without jti",
        &bearer(&hs256(&without(claims("x", ALL), "jti"))),
    );

    // A user token without a jti works, and is revoked by its digest.
    let user = rs256(
        &key("k1"),
        &without(user_claims("bob", "climb:read"), "jti"),
    );
    assert_eq!(call(&host, &bearer(&user), "ping", json!({})).status, 200);
    // What `printf %s "$TOKEN" | sha256sum` prints.
    let digest: String = <sha2::Sha256 as sha2::Digest>::digest(user.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    ok(
        &host,
        &service("root", "admin"),
        "revoke_token",
        json!({"id": format!("sha256:{digest}")}),
    );
    assert_refused(&host, "revoked by digest", &bearer(&user));
}

#[test]
fn oauth_and_service_identities_are_kept_apart() {
    let host = secure_host().start();
    let writer = service("root", ALL);
    let crag = crag(&host, &writer);
    let climb = ok(
        &host,
        &writer,
        "create_climb",
        json!({"name": "Silence", "area_id": crag,
        "grades": {"french": "9c"}, "disciplines": ["sport"]}),
    );
    let service_alice = service("alice", "climb:read climb:write");
    ok(
        &host,
        &service_alice,
        "log_tick",
        json!({"climb_id": climb["id"], "date": "2026-01-02",
        "style": "lead", "attempt": "redpoint"}),
    );
    let user_alice = bearer(&rs256(
        &key("k1"),
        &user_claims("alice", "climb:read climb:write"),
    ));
    let theirs = ok(&host, &user_alice, "list_ticks", json!({}));
    assert_eq!(
        theirs["items"],
        json!([]),
        "the OAuth alice reads the service alice's ticks"
    );
    let mine = ok(&host, &service_alice, "list_ticks", json!({}));
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
}

#[test]
fn a_remembered_rs256_verification_ends_with_its_key() {
    let dir = crate::common::temp_dir();
    let db = crate::common::db_path(dir.path());
    let k1 = key("k1");
    let with_keys = |keys: &str| {
        host_builder()
            .sqlite(&db)
            .var("oauth_issuer", ISSUER)
            .var("oauth_jwks", keys)
            .var("rate_limit_per_minute", "0")
            .start()
    };
    let token = bearer(&rs256(&k1, &user_claims("carol", "climb:read")));
    let mut host = with_keys(&jwks(&[&k1]));
    assert_eq!(call(&host, &token, "ping", json!({})).status, 200);
    assert_eq!(
        call(&host, &token, "ping", json!({})).status,
        200,
        "remembered"
    );
    host.stop();
    // The issuer drops k1; the store still remembers the verification.
    let host = with_keys(&jwks(&[&other_key("k2")]));
    assert_refused(&host, "token of a removed key", &token);
    drop(host);
    // A different key under the same kid is not the key that verified it either.
    let host = with_keys(&jwks(&[&other_key("k1")]));
    assert_refused(&host, "token of a replaced key", &token);
}
