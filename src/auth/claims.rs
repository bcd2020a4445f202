//! A token's claims as the token itself spells them, and the policy they are held
//! to.
//!
//! The payload is decoded into plain JSON numbers and strings, so a negative `exp`
//! or one past 2^32 is seen as written (a decoder into unsigned durations would
//! wrap or clamp it), and held to a policy: times are whole seconds between 0 and
//! the year 9999, the token is within its validity period (with a small leeway),
//! `iat` is not in the future, a token lives at most as long as its kind allows,
//! the subject is printable text, and a `jti` is one that `revoke_token` can name.

use super::token::{Invalid, LEEWAY_SECS};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

/// The last second of the year 9999: no honest token names a later time.
pub const MAX_TIMESTAMP: i64 = 253_402_300_799;
/// Longest `sub` and `jti` accepted (the same bound as revocation ids).
pub const MAX_CLAIM_BYTES: usize = climbing_contract::claims::MAX_CLAIM_BYTES;

/// The claims this server reads. The ones the policy checks stay raw JSON, so
/// their types are checked here; a repeated claim is refused (serde reports a
/// duplicate field), since two readers could otherwise see two different values.
#[derive(Debug, Default, Deserialize)]
pub struct Claims {
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
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub aud: Option<Audience>,
    /// Space-separated scopes (RFC 8693 / OAuth 2.0 style).
    #[serde(default)]
    pub scope: Option<String>,
}

/// `aud`: one audience or a list of them (RFC 7519, 4.1.3). Read by a visitor of
/// its own: `#[serde(untagged)]` would buffer the value and try each shape in turn.
#[derive(Debug)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Whether this audience, or one of the list, is one `accepted` says.
    pub fn names(&self, accepted: impl Fn(&str) -> bool) -> bool {
        match self {
            Audience::One(aud) => accepted(aud),
            Audience::Many(auds) => auds.iter().any(|aud| accepted(aud)),
        }
    }
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

/// What the policy found, in checked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub subject: String,
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

/// Decodes a token's payload part (base64url JSON).
pub fn read(payload: &str) -> Result<Claims, Invalid> {
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| Invalid("the token's payload is not base64url".into()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Invalid(format!(
            "the token's claims are not a JSON object of the registered claims ({})",
            short(&e.to_string())
        ))
    })
}

/// Holds `claims` to the policy at `now`. The signature, audience and issuer are
/// the caller's to check.
pub fn check(claims: &Claims, now: u64, lifetime: Lifetime) -> Result<Checked, Invalid> {
    let expires_at = match &claims.exp {
        None | Some(Value::Null) => return Err(Invalid("the token has no expiry (exp)".into())),
        Some(v) => timestamp("exp", v)?,
    };
    if now > expires_at.saturating_add(LEEWAY_SECS) {
        return Err(Invalid("the token has expired; get a new one".into()));
    }
    let not_before = claims
        .nbf
        .as_ref()
        .filter(|v| !v.is_null())
        .map(|v| timestamp("nbf", v))
        .transpose()?;
    let issued_at = claims
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
    let subject = match &claims.sub {
        Some(Value::String(s)) => {
            self::subject(s)?;
            s.clone()
        }
        Some(_) => return Err(Invalid("the token's subject (sub) must be a string".into())),
        None => return Err(Invalid("the token has no subject (sub)".into())),
    };
    let jwt_id = match &claims.jti {
        None | Some(Value::Null) if lifetime.jti_required => {
            return Err(Invalid(
                "the token has no id (jti), so it could not be revoked; mint a new one".into(),
            ))
        }
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(jti(s)?),
        Some(_) => return Err(Invalid("the token's id (jti) must be a string".into())),
    };
    Ok(Checked {
        subject,
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

    fn payload(claims: Value) -> String {
        URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
    }

    fn read_and_check(payload: &str, lifetime: Lifetime) -> Result<Checked, Invalid> {
        check(&read(payload)?, NOW, lifetime)
    }

    fn checked(claims: Value) -> Result<Checked, Invalid> {
        read_and_check(&payload(claims), SERVICE)
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
        // Expired, beyond the leeway and within it.
        let expired = json!({"sub": "a", "jti": "j1", "iat": NOW - 600, "exp": NOW - 61});
        assert!(checked(expired).unwrap_err().0.contains("expired"));
        let just = json!({"sub": "a", "jti": "j1", "iat": NOW - 600, "exp": NOW - 60});
        assert!(checked(just).is_ok());
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
        assert!(read_and_check(&payload(no_jti), user).is_ok());
    }

    #[test]
    fn repeated_claims_and_junk_are_refused() {
        let dup = URL_SAFE_NO_PAD.encode(format!(
            r#"{{"sub":"a","jti":"j","exp":{},"exp":-1}}"#,
            NOW + 5
        ));
        assert!(read_and_check(&dup, SERVICE).is_err());
        assert!(read_and_check("!!!", SERVICE).is_err());
        assert!(read_and_check("", SERVICE).is_err());
        assert!(read_and_check(&payload(json!([1, 2])), SERVICE).is_err());
        assert!(read_and_check(
            &payload(json!({"sub": "a", "jti": "j", "exp": NOW + 5, "aud": 7})),
            SERVICE
        )
        .is_err());
    }
}
