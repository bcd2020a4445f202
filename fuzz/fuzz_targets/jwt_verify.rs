//! JWT parsing and verification: `climbing_mcp::auth::token::verify`.
//!
//! Input: a mode byte, then
//! - 0: the token text as is;
//! - 1: header JSON and claims JSON (split at the first 0xff byte), HS256-signed
//!   with the server's secret, so claim parsing and policy are reached;
//! - 2: claims built from fuzz (subject, audience, issuer, scope, lifetime, key id)
//!   and signed RS256 with the issuer's key, checked against its JWKS;
//! - 3: a valid service token with fuzz bytes overwriting some of it.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use climbing_mcp::auth::token::{verify, AcceptedAudiences, Settings};
use climbing_mcp::platform::memory::MemoryPlatform;
use climbing_mcp_fuzz::{admin_token, platform, AUDIENCE, ISSUER, RSA_KEY, SECRET};
use jwt_simple::prelude::*;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn key_pair() -> &'static RS256KeyPair {
    static K: OnceLock<RS256KeyPair> = OnceLock::new();
    K.get_or_init(|| RS256KeyPair::from_pem(RSA_KEY).unwrap().with_key_id("k1"))
}

fn jwks() -> &'static str {
    static J: OnceLock<String> = OnceLock::new();
    J.get_or_init(|| {
        let c = key_pair().public_key().to_components();
        serde_json::json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
            "n": URL_SAFE_NO_PAD.encode(&c.n), "e": URL_SAFE_NO_PAD.encode(&c.e)}]})
        .to_string()
    })
}

fn oauth_platform() -> MemoryPlatform {
    platform()
        .with_variable("oauth_issuer", ISSUER)
        .with_variable("oauth_jwks", jwks())
}

fn settings() -> Settings {
    Settings {
        hs256_secret: Some(SECRET.as_bytes().to_vec()),
        audiences: AcceptedAudiences::of(AUDIENCE),
    }
}

fn field(bytes: &mut &[u8]) -> String {
    let n = bytes.first().copied().unwrap_or(0) as usize % 48;
    let take = (1 + n).min(bytes.len());
    let (f, rest) = bytes.split_at(take);
    *bytes = rest;
    String::from_utf8_lossy(f.get(1..).unwrap_or(&[])).into_owned()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let p = oauth_platform();
    let s = settings();
    match mode % 4 {
        0 => {
            let _ = verify(&p, &s, &String::from_utf8_lossy(rest));
        }
        1 => {
            let split = rest.iter().position(|&b| b == 0xff).unwrap_or(rest.len());
            let header = &rest[..split];
            let claims = rest.get(split + 1..).unwrap_or(&[]);
            let input = format!(
                "{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(claims)
            );
            let sig = hmac_sha256::HMAC::mac(input.as_bytes(), SECRET.as_bytes());
            let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig));
            if let Ok(v) = verify(&p, &s, &token) {
                // Accepted: the policy's promises hold.
                assert!(!v.subject.is_empty() && v.subject.len() <= 256, "{v:?}");
                let claims: serde_json::Value = serde_json::from_slice(claims).unwrap();
                assert!(
                    claims.get("exp").is_some(),
                    "accepted without exp: {claims}"
                );
            }
        }
        2 => {
            let mut b = rest;
            let subject = field(&mut b);
            let audience = if b.first().is_some_and(|x| x & 1 == 0) {
                AUDIENCE.to_owned()
            } else {
                field(&mut b)
            };
            let issuer = if b.first().is_some_and(|x| x & 2 == 0) {
                ISSUER.to_owned()
            } else {
                field(&mut b)
            };
            let scope = field(&mut b);
            let kid = if b.first().is_some_and(|x| x & 4 == 0) {
                "k1".to_owned()
            } else {
                field(&mut b)
            };
            let secs = b.first().copied().unwrap_or(60) as u64 * 60;
            let mut custom = serde_json::Map::new();
            custom.insert("scope".into(), scope.into());
            let claims = Claims::with_custom_claims(
                custom,
                Duration::from_secs(secs),
            )
            .with_issuer(&issuer)
            .with_audience(&audience)
            .with_subject(&subject);
            let token = key_pair().clone().with_key_id(&kid).sign(claims).unwrap();
            if let Ok(v) = verify(&p, &s, &token) {
                // OAuth users act as <issuer>#<sub>, apart from service tokens.
                assert_eq!(v.subject, format!("{ISSUER}#{subject}"));
                assert_eq!(issuer, ISSUER, "accepted another issuer");
                // The resource URL, with or without a trailing slash.
                assert!(
                    audience == AUDIENCE || audience == format!("{AUDIENCE}/"),
                    "accepted another audience: {audience}"
                );
                assert_eq!(kid, "k1", "accepted an unknown key id");
            }
        }
        _ => {
            let original = admin_token();
            let mut token = original.as_bytes().to_vec();
            for pair in rest.chunks(2) {
                if let [at, byte] = pair {
                    let i = *at as usize * 7 % token.len();
                    token[i] = *byte;
                }
            }
            let token = String::from_utf8_lossy(&token).into_owned();
            if let Ok(v) = verify(&p, &s, &token) {
                // Only encodings of the same header, claims and signature verify.
                assert_eq!(v.subject, "fuzzer", "{token}");
            }
        }
    }
});
