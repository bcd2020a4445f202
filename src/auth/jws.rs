//! A JWT in compact serialization (RFC 7515, 7519): its three parts decoded with
//! ordinary decoders, the header held to what this server accepts, and the HS256
//! tag checked (hmac-sha256's MAC, ct-codecs' constant-time comparison). What the
//! claims must say is claims.rs's; which key verifies which algorithm, token.rs's;
//! the RS256 signature, jwks.rs's.

use super::token::Invalid;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

/// Longest encoded header read (a header is a few dozen bytes).
const MAX_HEADER_BYTES: usize = 8192;

/// A token split into its parts; nothing about it is trusted yet.
pub struct Jws<'a> {
    pub header: Header,
    /// `header.payload` as the token spells it: what the signature covers.
    pub signing_input: &'a str,
    /// The claims, still base64url ([`super::claims::read`] decodes them).
    pub payload: &'a str,
    /// Empty when the signature part is not base64url: then nothing verifies it.
    pub signature: Vec<u8>,
}

#[derive(Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    crit: Option<Vec<String>>,
    #[serde(default)]
    pub kid: Option<String>,
    /// A salted key's parameter; our keys have none, so a token naming one is refused.
    #[serde(default)]
    salt: Option<serde::de::IgnoredAny>,
}

fn invalid<T>(reason: &str) -> Result<T, Invalid> {
    Err(Invalid(reason.to_owned()))
}

/// Splits `token` and reads its header: three base64url parts, a JSON header with
/// `alg`, a `typ` (when present) of JWT or `...+jwt` in any case, no critical
/// extensions and no salt.
pub fn decode(token: &str) -> Result<Jws<'_>, Invalid> {
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return invalid("the token is not a JWT (header.payload.signature)");
    };
    if header_b64.len() > MAX_HEADER_BYTES {
        return invalid("the token's header is too long");
    }
    let Some(header) = URL_SAFE_NO_PAD
        .decode(header_b64)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Header>(&bytes).ok())
    else {
        return invalid(
            "the token is not a well-formed JWT (its header is not base64url JSON with alg)",
        );
    };
    let typ_ok = header.typ.as_deref().is_none_or(|t| {
        let t = t.as_bytes();
        t.eq_ignore_ascii_case(b"JWT")
            || t.len() >= 4 && t[t.len() - 4..].eq_ignore_ascii_case(b"+JWT")
    });
    if !typ_ok {
        return invalid("the token's typ header is not JWT");
    }
    if header.crit.as_ref().is_some_and(|crit| !crit.is_empty()) {
        return invalid(
            "the token's header names critical extensions (crit) this server does not support",
        );
    }
    if header.salt.is_some() {
        return invalid("the token's header names a salt, which this server's keys do not use");
    }
    Ok(Jws {
        header,
        signing_input: &token[..header_b64.len() + 1 + payload.len()],
        payload,
        signature: URL_SAFE_NO_PAD.decode(signature_b64).unwrap_or_default(),
    })
}

impl Jws<'_> {
    /// Whether the signature is the HMAC-SHA256 of the signing input under `secret`.
    pub fn is_signed_with(&self, secret: &[u8]) -> bool {
        let expected = hmac_sha256::HMAC::mac(self.signing_input.as_bytes(), secret);
        ct_codecs::verify(&expected, &self.signature)
    }
}
