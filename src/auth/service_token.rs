//! The common case of every request, an HS256 service token, verified without
//! jwt-simple's general path: its header and claims are plain base64url and JSON,
//! decoded with ordinary decoders into plain structs (jwt-simple decodes the whole
//! token in constant time and reads claims through `#[serde(flatten)]`, about 60%
//! of its cost). The MAC is hmac-sha256's and the tag comparison ct-codecs'
//! constant-time one, the same crates jwt-simple uses.
//!
//! It accepts exactly what jwt-simple's HS256 verification accepts with the options
//! `token::verify` gives it, and answers `None` for anything else, which then takes
//! the general path: that one refuses it with its reason.

use super::claims::RawClaims;
use super::token::{AcceptedAudiences, LEEWAY_SECS, MAX_TOKEN_BYTES};
use crate::credentials::ScopeClaims;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jwt_simple::prelude::{Audiences, Duration, JWTClaims};
use serde::Deserialize;
use serde_json::Value;

/// jwt-simple's limit on the encoded header.
const MAX_HEADER_BYTES: usize = 8192;
/// jwt-simple refuses HMAC keys shorter than this (the host checks it too).
const MIN_KEY_BYTES: usize = climbing_contract::claims::MIN_SECRET_BYTES;

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<Vec<String>>,
    /// A salted key's parameter; our key has none, so a token naming one is refused.
    #[serde(default)]
    salt: Option<serde::de::IgnoredAny>,
}

/// `aud`: one audience or a list of them (RFC 7519, 4.1.3). Read by a visitor of
/// its own: `#[serde(untagged)]` would buffer the value and try each shape in turn.
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Shape;
        impl<'de> serde::de::Visitor<'de> for Shape {
            type Value = Audience;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or an array of strings")
            }

            fn visit_str<E: serde::de::Error>(self, aud: &str) -> Result<Audience, E> {
                Ok(Audience::One(aud.to_owned()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Audience, A::Error> {
                let mut all = Vec::new();
                while let Some(aud) = seq.next_element()? {
                    all.push(aud);
                }
                Ok(Audience::Many(all))
            }
        }
        deserializer.deserialize_any(Shape)
    }
}

/// The payload, read once: the registered claims the policy checks stay raw JSON
/// (claims.rs decides their types), the rest as jwt-simple would read them.
#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    iat: Option<Value>,
    #[serde(default)]
    exp: Option<Value>,
    #[serde(default)]
    nbf: Option<Value>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    sub: Option<Value>,
    #[serde(default)]
    aud: Option<Audience>,
    #[serde(default)]
    jti: Option<Value>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// A time claim as jwt-simple reads it (an unsigned number or null); `None` when
/// it would refuse the token.
fn seconds(claim: &Option<Value>) -> Option<Option<u64>> {
    match claim {
        None | Some(Value::Null) => Some(None),
        Some(v) => v.as_u64().map(Some),
    }
}

/// A text claim as jwt-simple reads it (a string or null).
fn text(claim: &Option<Value>) -> Option<Option<String>> {
    match claim {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

/// The claims of `token` when it is an HS256 token signed with `secret`, within its
/// validity period (with the leeway at `now`) and for one of `audiences`, with the
/// registered claims as the token spells them for the claims policy.
pub fn verify(
    secret: &[u8],
    audiences: &AcceptedAudiences,
    token: &str,
    now: u64,
) -> Option<(JWTClaims<ScopeClaims>, RawClaims)> {
    if token.len() > MAX_TOKEN_BYTES || secret.len() < MIN_KEY_BYTES {
        return None;
    }
    let mut parts = token.split('.');
    let (header_b64, claims_b64, tag_b64) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || header_b64.len() > MAX_HEADER_BYTES {
        return None;
    }
    let header: Header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header_b64).ok()?).ok()?;
    let typ_ok = header.typ.as_deref().is_none_or(|t| {
        let t = t.to_uppercase();
        t == "JWT" || t.ends_with("+JWT")
    });
    let crit_ok = header.crit.as_ref().is_none_or(Vec::is_empty);
    if header.alg != "HS256" || !typ_ok || !crit_ok || header.salt.is_some() {
        return None;
    }
    let tag = URL_SAFE_NO_PAD.decode(tag_b64).ok()?;
    let signed = &token[..header_b64.len() + 1 + claims_b64.len()];
    let expected = hmac_sha256::HMAC::mac(signed.as_bytes(), secret);
    if !ct_codecs::verify(&expected, &tag) {
        return None;
    }
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims_b64).ok()?).ok()?;
    let (iat, exp, nbf) = (
        seconds(&claims.iat)?,
        seconds(&claims.exp)?,
        seconds(&claims.nbf)?,
    );
    let (sub, jti) = (text(&claims.sub)?, text(&claims.jti)?);
    let (earliest, latest) = (now.checked_sub(LEEWAY_SECS)?, now + LEEWAY_SECS);
    let in_time = iat.is_none_or(|iat| iat <= latest)
        && nbf.is_none_or(|nbf| nbf <= latest)
        && exp.is_none_or(|exp| earliest <= exp);
    let for_us = match &claims.aud {
        Some(Audience::One(aud)) => audiences.contains(aud),
        Some(Audience::Many(auds)) => auds.iter().any(|aud| audiences.contains(aud)),
        None => false,
    };
    if !in_time || !for_us {
        return None;
    }
    let verified = JWTClaims {
        issued_at: iat.map(Duration::from_secs),
        expires_at: exp.map(Duration::from_secs),
        invalid_before: nbf.map(Duration::from_secs),
        issuer: claims.iss,
        subject: sub,
        audiences: claims.aud.map(|aud| match aud {
            Audience::One(aud) => Audiences::AsString(aud),
            Audience::Many(auds) => Audiences::AsSet(auds.into_iter().collect()),
        }),
        jwt_id: jti,
        nonce: claims.nonce,
        custom: ScopeClaims {
            scope: claims.scope,
        },
    };
    let raw = RawClaims {
        exp: claims.exp,
        nbf: claims.nbf,
        iat: claims.iat,
        sub: claims.sub,
        jti: claims.jti,
    };
    Some((verified, raw))
}

#[cfg(test)]
mod tests {
    use super::AcceptedAudiences;
    use crate::credentials::ScopeClaims;
    use jwt_simple::prelude::*;

    const SECRET: &[u8] = b"a service-token secret of some length";
    const AUD: &str = "https://climbing.example/mcp";

    fn b64(json: &str) -> String {
        Base64UrlSafeNoPadding::encode_to_string(json).unwrap()
    }

    /// A token with this header and these claims, signed with `SECRET`.
    fn signed(header: &str, claims: &str) -> String {
        let input = format!("{}.{}", b64(header), b64(claims));
        let tag = hmac_sha256::HMAC::mac(input.as_bytes(), SECRET);
        format!(
            "{input}.{}",
            Base64UrlSafeNoPadding::encode_to_string(tag).unwrap()
        )
    }

    /// The fast path accepts a token exactly when jwt-simple, with the options the
    /// general path gives it, does.
    #[test]
    fn accepts_what_jwt_simple_accepts() {
        let now = Clock::now_since_epoch().as_secs();
        let (past, soon, later) = (now - 3600, now + 30, now + 3600);
        let header = r#"{"alg":"HS256","typ":"JWT"}"#;
        let claims = |extra: &str| format!(r#"{{"sub":"svc","scope":"climb:read"{extra}}}"#);
        let minted = HS256Key::from_bytes(SECRET)
            .authenticate(
                Claims::with_custom_claims(
                    ScopeClaims {
                        scope: Some("climb:read".into()),
                    },
                    Duration::from_secs(600),
                )
                .with_subject("svc")
                .with_audience(AUD),
            )
            .unwrap();
        let cases = [
            minted.clone(),
            signed(header, &claims(&format!(r#","aud":"{AUD}","exp":{later}"#))),
            signed(
                header,
                &claims(&format!(r#","aud":["x","{AUD}"],"exp":{later}"#)),
            ),
            signed(
                header,
                &claims(&format!(r#","aud":"{AUD}/","exp":{later}"#)),
            ),
            signed(
                r#"{"alg":"HS256"}"#,
                &claims(&format!(r#","aud":"{AUD}","exp":{later}"#)),
            ),
            signed(
                r#"{"alg":"HS256","typ":"at+jwt"}"#,
                &claims(&format!(r#","aud":"{AUD}""#)),
            ),
            signed(
                header,
                &claims(&format!(
                    r#","aud":"{AUD}","exp":{soon},"nbf":{soon},"iat":{soon}"#
                )),
            ),
            // Refused:
            signed(header, &claims(&format!(r#","aud":"{AUD}","exp":{past}"#))),
            signed(header, &claims(&format!(r#","aud":"{AUD}","nbf":{later}"#))),
            signed(header, &claims(&format!(r#","aud":"{AUD}","iat":{later}"#))),
            signed(header, &claims(r#","aud":"https://other.example/mcp""#)),
            signed(header, &claims(r#","exp":99999999999"#)),
            signed(header, &claims(r#","aud":7"#)),
            signed(header, &claims(r#","aud":[]"#)),
            signed(header, &claims(r#","aud":null"#)),
            signed(header, &claims(&format!(r#","aud":["{AUD}",7]"#))),
            signed(
                r#"{"alg":"HS384","typ":"JWT"}"#,
                &claims(&format!(r#","aud":"{AUD}""#)),
            ),
            signed(r#"{"alg":"none"}"#, &claims(&format!(r#","aud":"{AUD}""#))),
            signed(
                r#"{"alg":"HS256","typ":"JOSE"}"#,
                &claims(&format!(r#","aud":"{AUD}""#)),
            ),
            signed(
                r#"{"alg":"HS256","crit":["exp"]}"#,
                &claims(&format!(r#","aud":"{AUD}""#)),
            ),
            signed(
                r#"{"alg":"HS256","salt":"c2FsdA"}"#,
                &claims(&format!(r#","aud":"{AUD}""#)),
            ),
            signed(header, &claims(&format!(r#","aud":"{AUD}","scope":7"#))),
            format!("{}x", &minted[..minted.len() - 1]),
            format!("{minted}.extra"),
            minted.replace('.', ""),
        ];
        let audiences = AcceptedAudiences::of(AUD);
        let options = || VerificationOptions {
            allowed_audiences: Some(HashSet::from([AUD.to_owned(), format!("{AUD}/")])),
            time_tolerance: Some(Duration::from_secs(super::LEEWAY_SECS)),
            max_token_length: Some(super::MAX_TOKEN_BYTES),
            ..Default::default()
        };
        let mut accepted = 0;
        for (i, token) in cases.iter().enumerate() {
            let ours = super::verify(SECRET, &audiences, token, now).map(|(claims, _)| claims);
            let theirs =
                HS256Key::from_bytes(SECRET).verify_token::<ScopeClaims>(token, Some(options()));
            assert_eq!(ours.is_some(), theirs.is_ok(), "case {i}: {token}");
            if let (Some(ours), Ok(theirs)) = (ours, theirs) {
                accepted += 1;
                assert_eq!(ours.subject, theirs.subject, "case {i}");
                assert_eq!(ours.custom.scope, theirs.custom.scope, "case {i}");
                assert_eq!(ours.expires_at, theirs.expires_at, "case {i}");
                assert_eq!(ours.jwt_id, theirs.jwt_id, "case {i}");
            }
        }
        assert_eq!(accepted, 7);
    }
}
