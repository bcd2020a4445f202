//! The HS256 service-token check, done the way the component does it: the MAC
//! with hmac-sha256 over the signing input, compared in constant time
//! (ct-codecs), the header and claims decoded with an ordinary base64 decoder and
//! serde_json into plain structs; `alg`, `typ`, `crit`, `exp`, `nbf`, `iat` (60 s
//! of leeway) and `aud` checked.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use std::time::{SystemTime, UNIX_EPOCH};

const LEEWAY_SECS: u64 = 60;
const MAX_TOKEN_BYTES: usize = 8 * 1024;

pub struct ServiceTokens {
    secret: Vec<u8>,
    audience: String,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    exp: Option<u64>,
    #[serde(default)]
    nbf: Option<u64>,
    #[serde(default)]
    iat: Option<u64>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    aud: Option<Audience>,
    #[serde(default)]
    scope: Option<String>,
}

impl ServiceTokens {
    pub fn new(secret: &[u8], audience: String) -> Self {
        Self {
            secret: secret.to_vec(),
            audience,
        }
    }

    /// The token's scopes when it is valid.
    pub fn verify(&self, token: &str) -> Option<String> {
        if token.len() > MAX_TOKEN_BYTES {
            return None;
        }
        let mut parts = token.split('.');
        let (header_b64, claims_b64, tag_b64) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: Header =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header_b64).ok()?).ok()?;
        let typ_ok = header
            .typ
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("JWT"));
        if header.alg != "HS256" || !typ_ok || header.crit.is_some_and(|c| !c.is_empty()) {
            return None;
        }
        let tag = URL_SAFE_NO_PAD.decode(tag_b64).ok()?;
        let signed = &token[..header_b64.len() + 1 + claims_b64.len()];
        let expected = hmac_sha256::HMAC::mac(signed.as_bytes(), &self.secret);
        if !ct_codecs::verify(&expected, &tag) {
            return None;
        }
        let claims: Claims =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims_b64).ok()?).ok()?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        let in_time = claims.exp.is_some_and(|exp| now <= exp + LEEWAY_SECS)
            && claims.nbf.is_none_or(|nbf| nbf <= now + LEEWAY_SECS)
            && claims.iat.is_none_or(|iat| iat <= now + LEEWAY_SECS);
        let for_us = match &claims.aud {
            Some(Audience::One(aud)) => *aud == self.audience,
            Some(Audience::Many(auds)) => auds.contains(&self.audience),
            None => false,
        };
        let has_subject = claims.sub.is_some_and(|s| !s.is_empty());
        (in_time && for_us && has_subject).then(|| claims.scope.unwrap_or_default())
    }
}
