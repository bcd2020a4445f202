//! Bearer JWTs: which key verifies a token, what is checked, and minting service
//! tokens. The cryptography is jwt-simple's; this module only decides policy.

use super::jwks::{self, Jwks};
use crate::platform::Platform;
use jwt_simple::prelude::*;
use jwt_simple::JWTError;
use std::collections::HashSet;

/// Tokens longer than this are refused before any parsing (a JWT with a few
/// claims is well under 2 KB).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: u64 = 60;

/// The claims this server reads beyond the registered ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScopeClaims {
    /// Space-separated scopes (RFC 8693 / OAuth 2.0 style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// A verified token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verified {
    pub subject: String,
    pub scopes: Vec<String>,
    pub jwt_id: Option<String>,
    /// `exp` in seconds since the epoch.
    pub expires_at: u64,
    /// `nbf` in seconds since the epoch.
    #[serde(default)]
    pub not_before: Option<u64>,
    pub kind: TokenKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    /// HS256, signed with this deployment's `jwt_hs256_secret`.
    Service,
    /// RS256 from the configured OAuth issuer.
    User,
}

/// Why a token was refused: a short reason a person can act on, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

fn invalid<T>(reason: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid(reason.into()))
}

/// What verification needs from configuration.
pub struct Settings {
    pub hs256_secret: Option<Vec<u8>>,
    /// Accepted audiences: this server's resource URL (or URLs when unset).
    pub audiences: HashSet<String>,
    pub oauth_issuer: Option<String>,
}

impl Settings {
    pub fn from_platform(platform: &dyn Platform, audiences: HashSet<String>) -> Self {
        Self {
            hs256_secret: platform
                .variable("jwt_hs256_secret")
                .map(String::into_bytes),
            audiences,
            oauth_issuer: platform.variable("oauth_issuer"),
        }
    }
}

fn options(settings: &Settings, issuer: Option<&str>) -> VerificationOptions {
    VerificationOptions {
        allowed_audiences: Some(settings.audiences.clone()),
        allowed_issuers: issuer.map(|i| HashSet::from([i.to_owned()])),
        time_tolerance: Some(Duration::from_secs(LEEWAY_SECS)),
        max_token_length: Some(MAX_TOKEN_BYTES),
        ..Default::default()
    }
}

/// Verifies `token`: algorithm pinned by key type, signature, `exp` (required),
/// `nbf`, `iss` (for user tokens), `aud`, and a subject.
pub fn verify(
    platform: &dyn Platform,
    settings: &Settings,
    token: &str,
) -> Result<Verified, Invalid> {
    if token.len() > MAX_TOKEN_BYTES {
        return invalid("the token is too long");
    }
    if token.split('.').count() != 3 {
        return invalid("the token is not a JWT (header.payload.signature)");
    }
    // Most requests carry a valid service token: verify it as one straight away,
    // with plain decoders (service_token.rs). Any failure (another algorithm, a bad
    // signature, a malformed token) takes the path below, which picks the key by
    // the header and explains the refusal.
    if let Some(secret) = &settings.hs256_secret {
        if let Some(claims) = super::service_token::verify(secret, &settings.audiences, token) {
            return checked(claims, TokenKind::Service);
        }
    }
    let metadata = Token::decode_metadata(token)
        .map_err(|_| Invalid("the token is not a well-formed JWT".into()))?;
    let (claims, kind) = match metadata.algorithm() {
        "HS256" => {
            let Some(secret) = &settings.hs256_secret else {
                return invalid("service tokens (HS256) are not accepted: the server has no jwt_hs256_secret");
            };
            let key = HS256Key::from_bytes(secret);
            let claims = key
                .verify_token::<ScopeClaims>(token, Some(options(settings, None)))
                .map_err(explain)?;
            (claims, TokenKind::Service)
        }
        "RS256" => {
            let Some(issuer) = settings.oauth_issuer.as_deref() else {
                return invalid("user tokens (RS256) are not accepted: the server has no oauth_issuer");
            };
            let cache_key = verified_key(token, issuer, settings);
            if let Some(hit) = cached(platform, &cache_key)? {
                return Ok(hit);
            }
            let keys: Jwks = jwks::keys_for(platform, metadata.key_id()).map_err(Invalid)?;
            let key = keys
                .find(metadata.key_id())
                .ok_or_else(|| Invalid("the token's signing key (kid) is not one of the issuer's keys".into()))?;
            let claims = key
                .verify_token::<ScopeClaims>(token, Some(options(settings, Some(issuer))))
                .map_err(explain)?;
            let verified = checked(claims, TokenKind::User)?;
            // A failed cache write only means the next request verifies again.
            let _ = platform.kv().set(&cache_key, &crate::store::encode(&verified));
            return Ok(verified);
        }
        "none" => return invalid("unsigned tokens (alg none) are never accepted"),
        other => {
            return invalid(format!(
                "tokens signed with {} are not accepted; use HS256 service tokens or RS256 OAuth tokens",
                other.chars().take(16).collect::<String>()
            ))
        }
    };
    checked(claims, kind)
}

/// The claims every token must carry, read out of verified claims.
fn checked(claims: JWTClaims<ScopeClaims>, kind: TokenKind) -> Result<Verified, Invalid> {
    let Some(expires_at) = claims.expires_at else {
        return invalid("the token has no expiry (exp)");
    };
    let subject = match claims.subject {
        Some(s) if !s.is_empty() && s.len() <= 256 => s,
        _ => return invalid("the token has no subject (sub)"),
    };
    let scopes = claims
        .custom
        .scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    Ok(Verified {
        subject,
        scopes,
        jwt_id: claims.jwt_id,
        expires_at: expires_at.as_secs(),
        not_before: claims.invalid_before.map(|t| t.as_secs()),
        kind,
    })
}

/// RS256 verification is a 2048-bit modular exponentiation: milliseconds of pure
/// computation inside the sandbox, on every request of an OAuth user. A token
/// that verified is remembered under a digest of the token itself and of the
/// issuer and audiences it was checked against, so the next request with the very
/// same token only re-checks its validity period. Only the server writes these
/// entries, and only after a full verification, so no entry can be forged; a
/// changed issuer or resource URL names other entries.
fn verified_key(token: &str, issuer: &str, settings: &Settings) -> String {
    let mut audiences: Vec<&str> = settings.audiences.iter().map(String::as_str).collect();
    audiences.sort_unstable();
    let mut h = hmac_sha256::Hash::new();
    for part in [token, issuer, &audiences.join(" ")] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    format!(
        "vt/{}",
        crate::store::cursor::base64url(&h.finalize()[..18])
    )
}

fn cached(platform: &dyn Platform, key: &str) -> Result<Option<Verified>, Invalid> {
    let Ok(Some(bytes)) = platform.kv().get(key) else {
        return Ok(None);
    };
    let Ok(verified) = serde_json::from_slice::<Verified>(&bytes) else {
        return Ok(None);
    };
    let now = platform.now_ms() / 1000;
    if now > verified.expires_at + LEEWAY_SECS {
        return invalid("the token has expired; get a new one");
    }
    if verified
        .not_before
        .is_some_and(|nbf| nbf > now + LEEWAY_SECS)
    {
        return invalid("the token is not valid yet (nbf or iat in the future)");
    }
    Ok(Some(verified))
}

fn explain(e: jwt_simple::Error) -> Invalid {
    let reason = match e.downcast_ref::<JWTError>() {
        Some(JWTError::TokenHasExpired) => "the token has expired; get a new one",
        Some(JWTError::TokenNotValidYet | JWTError::ClockDrift) => {
            "the token is not valid yet (nbf or iat in the future)"
        }
        Some(JWTError::RequiredAudienceMismatch) | Some(JWTError::RequiredAudienceMissing) => {
            "the token's audience (aud) is not this server's resource URL"
        }
        Some(JWTError::RequiredIssuerMismatch) | Some(JWTError::RequiredIssuerMissing) => {
            "the token's issuer (iss) is not the configured OAuth issuer"
        }
        Some(JWTError::InvalidSignature) => "the token's signature does not verify",
        Some(JWTError::AlgorithmMismatch) => "the token's algorithm does not match its key",
        Some(JWTError::TokenTooLong) => "the token is too long",
        Some(JWTError::RequiredSignatureTypeMismatch | JWTError::NotJWT) => {
            "the token's typ header is not JWT"
        }
        _ => "the token is malformed or its signature does not verify",
    };
    Invalid(reason.to_owned())
}

/// Signs a service token (HS256) for `subject` with `scopes`, valid for `valid_for_secs`.
pub fn mint_service_token(
    secret: &[u8],
    audience: &str,
    subject: &str,
    scopes: &[String],
    jwt_id: &str,
    valid_for_secs: u64,
) -> Result<String, String> {
    let claims = Claims::with_custom_claims(
        ScopeClaims {
            scope: Some(scopes.join(" ")),
        },
        Duration::from_secs(valid_for_secs),
    )
    .with_subject(subject)
    .with_audience(audience)
    .with_jwt_id(jwt_id);
    HS256Key::from_bytes(secret)
        .authenticate(claims)
        .map_err(|e| format!("could not sign the token: {e}"))
}
