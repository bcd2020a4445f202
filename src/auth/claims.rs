//! The registered claims of a JWT as the token itself spells them, read before
//! jwt-simple reads them.
//!
//! jwt-simple turns `exp`, `nbf` and `iat` into unsigned durations: a negative
//! `exp` wraps into a time that never comes, and an `exp` past 2^32 is clamped.
//! So the payload is decoded here into plain JSON numbers and strings and held to
//! a policy first: times are whole seconds between 0 and the year 9999, `iat` is
//! not in the future, a token lives at most as long as its kind allows, the
//! subject is printable text, and a `jti` is one that `revoke_token` can name.

use super::token::{Invalid, LEEWAY_SECS};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

/// The last second of the year 9999: no honest token names a later time.
pub const MAX_TIMESTAMP: i64 = 253_402_300_799;
/// Longest `sub` and `jti` accepted (the same bound as revocation ids).
pub const MAX_CLAIM_BYTES: usize = climbing_contract::claims::MAX_CLAIM_BYTES;

/// The claims policy reads, each as raw JSON so its type can be checked.
#[derive(Debug, Default, Deserialize)]
pub struct RawClaims {
    #[serde(default)]
    pub exp: Option<Value>,
    #[serde(default)]
    pub nbf: Option<Value>,
    #[serde(default)]
    pub iat: Option<Value>,
    #[serde(default)]
    pub sub: Option<Value>,
    #[serde(default)]
    pub jti: Option<Value>,
}

/// What the policy found, in checked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeClaims {
    pub expires_at: u64,
    pub not_before: Option<u64>,
    pub issued_at: Option<u64>,
    pub jwt_id: Option<String>,
}

/// How long a token of each kind may be valid, counted from now.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime {
    pub max_secs: u64,
    /// Whether the token must carry a `jti` (service tokens always do).
    pub jti_required: bool,
}

/// Reads the payload of `token` and checks its time claims, subject and id.
/// The signature is not checked here; callers verify it as well.
pub fn check(token: &str, now: u64, lifetime: Lifetime) -> Result<TimeClaims, Invalid> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| Invalid("the token is not a JWT (header.payload.signature)".into()))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| Invalid("the token's payload is not base64url".into()))?;
    // A repeated claim is refused (serde reports a duplicate field): two readers
    // could otherwise see two different values.
    let raw: RawClaims = serde_json::from_slice(&bytes).map_err(|e| {
        Invalid(format!(
            "the token's claims are not a JSON object of the registered claims ({})",
            short(&e.to_string())
        ))
    })?;
    check_raw(&raw, now, lifetime)
}

/// The policy of [`check`] on claims already read from the payload (the service
/// token path reads them together with the rest, in one decode).
pub fn check_raw(raw: &RawClaims, now: u64, lifetime: Lifetime) -> Result<TimeClaims, Invalid> {
    let expires_at = match &raw.exp {
        None | Some(Value::Null) => return Err(Invalid("the token has no expiry (exp)".into())),
        Some(v) => timestamp("exp", v)?,
    };
    let not_before = raw
        .nbf
        .as_ref()
        .filter(|v| !v.is_null())
        .map(|v| timestamp("nbf", v))
        .transpose()?;
    let issued_at = raw
        .iat
        .as_ref()
        .filter(|v| !v.is_null())
        .map(|v| timestamp("iat", v))
        .transpose()?;
    if issued_at.is_some_and(|iat| iat > now + LEEWAY_SECS)
        || not_before.is_some_and(|nbf| nbf > now + LEEWAY_SECS)
    {
        return Err(Invalid(
            "the token is not valid yet (nbf or iat in the future)".into(),
        ));
    }
    if not_before.is_some_and(|nbf| nbf > expires_at) || issued_at.is_some_and(|i| i > expires_at) {
        return Err(Invalid(
            "the token expires before it becomes valid (exp before nbf or iat)".into(),
        ));
    }
    if expires_at > now.saturating_add(lifetime.max_secs + LEEWAY_SECS) {
        return Err(Invalid(format!(
            "the token is valid for longer than this server allows ({} days); get one that expires sooner",
            lifetime.max_secs / 86_400
        )));
    }
    match &raw.sub {
        Some(Value::String(s)) => subject(s)?,
        Some(_) => return Err(Invalid("the token's subject (sub) must be a string".into())),
        None => return Err(Invalid("the token has no subject (sub)".into())),
    }
    let jwt_id = match &raw.jti {
        None | Some(Value::Null) if lifetime.jti_required => {
            return Err(Invalid(
                "the token has no id (jti), so it could not be revoked; mint a new one".into(),
            ))
        }
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(jti(s)?),
        Some(_) => return Err(Invalid("the token's id (jti) must be a string".into())),
    };
    Ok(TimeClaims {
        expires_at,
        not_before,
        issued_at,
        jwt_id,
    })
}

/// A NumericDate: a whole number of seconds from 0 to [`MAX_TIMESTAMP`].
fn timestamp(claim: &str, value: &Value) -> Result<u64, Invalid> {
    let refused = |what: &str| {
        Err(Invalid(format!(
            "the token's {claim} {what}: it must be whole seconds since 1970, from 0 to {MAX_TIMESTAMP}"
        )))
    };
    let Value::Number(n) = value else {
        return refused("is not a number");
    };
    match (n.as_u64(), n.as_i64()) {
        (Some(secs), _) if secs <= MAX_TIMESTAMP as u64 => Ok(secs),
        (Some(_), _) => refused("is too far in the future"),
        (None, Some(_)) => refused("is negative"),
        // A float: 1.7e9 is not whole seconds, -1e9 is negative; neither is taken.
        (None, None) if n.as_f64().is_some_and(|f| f < 0.0) => refused("is negative"),
        (None, None) => refused("is not a whole number"),
    }
}

/// A subject is printable text: not blank, no control or invisible characters,
/// at most [`MAX_CLAIM_BYTES`].
pub fn subject(sub: &str) -> Result<(), Invalid> {
    if sub.trim().is_empty() {
        return Err(Invalid("the token's subject (sub) is blank".into()));
    }
    if sub.len() > MAX_CLAIM_BYTES {
        return Err(Invalid(format!(
            "the token's subject (sub) is longer than {MAX_CLAIM_BYTES} bytes"
        )));
    }
    if sub
        .chars()
        .any(|c| c.is_control() || crate::climbing::validate::is_invisible(c))
    {
        return Err(Invalid(
            "the token's subject (sub) contains control or invisible characters".into(),
        ));
    }
    Ok(())
}

/// A token id must be one `revoke_token` accepts.
fn jti(id: &str) -> Result<String, Invalid> {
    if id.is_empty() || id.len() > MAX_CLAIM_BYTES || id.chars().any(char::is_control) {
        return Err(Invalid(format!(
            "the token's id (jti) must be 1 to {MAX_CLAIM_BYTES} bytes without control characters, so it can be revoked"
        )));
    }
    Ok(id.to_owned())
}

fn short(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;
    const SERVICE: Lifetime = Lifetime {
        max_secs: 366 * 86_400,
        jti_required: true,
    };

    fn token(claims: Value) -> String {
        format!(
            "e30.{}.sig",
            URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
        )
    }

    fn checked(claims: Value) -> Result<TimeClaims, Invalid> {
        check(&token(claims), NOW, SERVICE)
    }

    fn base() -> Value {
        json!({"sub": "a", "jti": "j1", "iat": NOW, "exp": NOW + 300})
    }

    fn with(k: &str, v: Value) -> Value {
        let mut c = base();
        c[k] = v;
        c
    }

    #[test]
    fn well_formed_claims_pass() {
        let c = checked(base()).unwrap();
        assert_eq!(c.expires_at, NOW + 300);
        assert_eq!(c.jwt_id.as_deref(), Some("j1"));
    }

    #[test]
    fn absurd_times_are_refused() {
        for (claim, value) in [
            ("exp", json!(-1)),
            ("exp", json!(-1e9)),
            ("exp", json!(-(1i64 << 62))),
            ("exp", json!(1u64 << 32)),
            ("exp", json!(u64::MAX)),
            ("exp", json!(1.8e9)),
            ("exp", json!(1_800_000_300.5)),
            ("exp", json!("1800000300")),
            ("exp", json!(null)),
            ("nbf", json!(-5)),
            ("nbf", json!(1.5)),
            ("iat", json!(-1)),
            ("iat", json!(NOW + 3600)),
            ("iat", json!([NOW])),
            ("nbf", json!(NOW + 301)),
        ] {
            assert!(
                checked(with(claim, value.clone())).is_err(),
                "{claim}={value}"
            );
        }
    }

    #[test]
    fn lifetimes_are_bounded() {
        assert!(checked(with("exp", json!(NOW + 367 * 86_400))).is_err());
        assert!(checked(with("exp", json!(NOW + 365 * 86_400))).is_ok());
    }

    #[test]
    fn subjects_and_ids_are_printable_and_bounded() {
        for sub in [
            json!("   "),
            json!("a\u{0}b"),
            json!("x\u{e0041}"),
            json!(7),
            json!("a".repeat(257)),
        ] {
            assert!(checked(with("sub", sub.clone())).is_err(), "{sub}");
        }
        for jti in [json!(""), json!("j".repeat(257)), json!(1), json!("a\nb")] {
            assert!(checked(with("jti", jti.clone())).is_err(), "{jti}");
        }
        let mut no_jti = base();
        no_jti.as_object_mut().unwrap().remove("jti");
        assert!(checked(no_jti.clone()).is_err());
        let user = Lifetime {
            max_secs: 86_400,
            jti_required: false,
        };
        assert!(check(&token(no_jti), NOW, user).is_ok());
    }

    #[test]
    fn repeated_claims_and_junk_are_refused() {
        let dup = format!(
            "e30.{}.sig",
            URL_SAFE_NO_PAD.encode(format!(
                r#"{{"sub":"a","jti":"j","exp":{},"exp":-1}}"#,
                NOW + 5
            ))
        );
        assert!(check(&dup, NOW, SERVICE).is_err());
        assert!(check("e30.!!!.sig", NOW, SERVICE).is_err());
        assert!(check("e30", NOW, SERVICE).is_err());
        assert!(check(&token(json!([1, 2])), NOW, SERVICE).is_err());
    }
}
