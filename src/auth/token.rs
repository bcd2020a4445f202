//! Bearer JWTs: which key verifies a token, what is checked, and minting service
//! tokens. The cryptography is jwt-simple's; this module only decides policy.

use super::claims;
use super::jwks::{self, Jwks};
use crate::credentials::ScopeClaims;
use crate::platform::Platform;
use jwt_simple::prelude::*;
use jwt_simple::JWTError;
use std::collections::HashSet;

/// Tokens longer than this are refused before any parsing (a JWT with a few
/// claims is well under 2 KB).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: u64 = 60;
/// Longest a service token may be valid for (what `issue_token` and
/// `climbing-host token mint` can issue).
pub const MAX_SERVICE_LIFETIME_SECS: u64 = crate::credentials::MAX_TTL_DAYS as u64 * 86_400;
/// Longest an OAuth access token may be valid for: issuers hand out tokens that
/// live minutes or hours; one valid for more than a month is refused.
pub const MAX_USER_LIFETIME_SECS: u64 = 31 * 86_400;
/// How long a remembered RS256 verification is trusted before the signature is
/// checked again.
pub const VERIFIED_TTL_SECS: u64 = 300;

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
    /// The token's digest id ([`crate::credentials::digest_id`]) when verification
    /// computed it (OAuth tokens), so that revocation does not hash it again.
    #[serde(skip)]
    pub digest_id: Option<String>,
}

/// What is remembered about an RS256 verification: the result, the key that
/// made it (its `kid` and a digest of its material) and when.
#[derive(Debug, Serialize, Deserialize)]
struct Remembered {
    verified: Verified,
    kid: Option<String>,
    key_fingerprint: String,
    verified_at: u64,
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

/// The audiences a token may name: this server's resource URL, without and with a
/// trailing slash (in that order, which is also their sorted order). Two strings
/// compared directly: a `HashSet` would seed its hasher from the platform's
/// randomness on every request.
#[derive(Debug, Clone)]
pub struct AcceptedAudiences([String; 2]);

impl AcceptedAudiences {
    pub fn of(resource_url: &str) -> Self {
        let bare = resource_url.trim_end_matches('/');
        Self([bare.to_owned(), [bare, "/"].concat()])
    }

    pub fn contains(&self, aud: &str) -> bool {
        self.0.iter().any(|accepted| accepted == aud)
    }

    /// Both, sorted, separated by `separator`.
    fn joined(&self, separator: &str) -> String {
        self.0.join(separator)
    }

    /// As jwt-simple's verification options take them.
    fn to_set(&self) -> HashSet<String> {
        self.0.iter().cloned().collect()
    }
}

/// What verification needs from configuration on every request. The OAuth issuer
/// ([`oauth_issuer`]) is read only for a token that is not a valid service token.
pub struct Settings {
    pub hs256_secret: Option<Vec<u8>>,
    pub audiences: AcceptedAudiences,
}

/// The `oauth_issuer` variable: the issuer whose RS256 user tokens are accepted.
pub fn oauth_issuer(platform: &dyn Platform) -> Option<String> {
    platform.variable("oauth_issuer")
}

impl Settings {
    pub fn from_platform(platform: &dyn Platform, audiences: AcceptedAudiences) -> Self {
        Self {
            hs256_secret: platform
                .variable(climbing_contract::variables::JWT_HS256_SECRET)
                .map(String::into_bytes),
            audiences,
        }
    }
}

fn options(settings: &Settings, issuer: Option<&str>) -> VerificationOptions {
    VerificationOptions {
        allowed_audiences: Some(settings.audiences.to_set()),
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
    let now = platform.now_ms() / 1000;
    // Most requests carry a valid service token: verify it as one straight away,
    // with plain decoders (service_token.rs). Any failure (another algorithm, a bad
    // signature, a malformed token) takes the path below, which picks the key by
    // the header and explains the refusal.
    if let Some(secret) = &settings.hs256_secret {
        if let Some((claims, raw)) =
            super::service_token::verify(secret, &settings.audiences, token, now)
        {
            // The claims policy still applies: the fast path checks the signature,
            // the audience and exp as jwt-simple would, nothing more.
            let times = claims::check_raw(&raw, now, SERVICE)?;
            return checked(claims, times, TokenKind::Service, None);
        }
    }
    let metadata = Token::decode_metadata(token)
        .map_err(|_| Invalid("the token is not a well-formed JWT".into()))?;
    match metadata.algorithm() {
        "HS256" => {
            let Some(secret) = &settings.hs256_secret else {
                return invalid("service tokens (HS256) are not accepted: the server has no jwt_hs256_secret");
            };
            // The claims policy first: jwt-simple would wrap a negative exp.
            let times = claims::check(token, now, SERVICE)?;
            let key = HS256Key::from_bytes(secret);
            let claims = key
                .verify_token::<ScopeClaims>(token, Some(options(settings, None)))
                .map_err(|e| explain(e, settings))?;
            checked(claims, times, TokenKind::Service, None)
        }
        "RS256" => {
            let Some(issuer) = oauth_issuer(platform) else {
                return invalid("user tokens (RS256) are not accepted: the server has no oauth_issuer");
            };
            let issuer = issuer.as_str();
            let times = claims::check(token, now, USER)?;
            let kid = metadata.key_id();
            let keys: Jwks = jwks::keys_for(platform, kid).map_err(Invalid)?;
            let (Some(key), Some(fingerprint)) = (keys.find(kid), keys.fingerprint(kid)) else {
                return invalid("the token's signing key (kid) is not one of the issuer's keys");
            };
            let digest_id = crate::credentials::digest_id(token);
            let cache_key = verified_key(&digest_id, issuer, settings);
            if let Some(hit) = remembered(platform, &cache_key, kid, fingerprint, now)? {
                return Ok(Verified {
                    digest_id: Some(digest_id),
                    ..hit
                });
            }
            let claims = key
                .verify_token::<ScopeClaims>(token, Some(options(settings, Some(issuer))))
                .map_err(|e| explain(e, settings))?;
            let verified = checked(claims, times, TokenKind::User, Some(issuer))?;
            let entry = Remembered {
                verified: verified.clone(),
                kid: kid.map(str::to_owned),
                key_fingerprint: fingerprint.to_owned(),
                verified_at: now,
            };
            // A failed cache write only means the next request verifies again.
            let _ = platform.kv().set(&cache_key, &crate::store::encode(&entry));
            Ok(Verified {
                digest_id: Some(digest_id),
                ..verified
            })
        }
        "none" => invalid("unsigned tokens (alg none) are never accepted"),
        other => invalid(format!(
            "tokens signed with {} are not accepted; use HS256 service tokens or RS256 OAuth tokens",
            other.chars().take(16).collect::<String>()
        )),
    }
}

const SERVICE: claims::Lifetime = claims::Lifetime {
    max_secs: MAX_SERVICE_LIFETIME_SECS,
    jti_required: true,
};
const USER: claims::Lifetime = claims::Lifetime {
    max_secs: MAX_USER_LIFETIME_SECS,
    jti_required: false,
};

/// The subject of an OAuth user: the issuer's `sub` qualified by the issuer, so
/// a user token and a service token with the same `sub` (or two issuers' users)
/// are never the same climber.
pub fn user_subject(issuer: &str, sub: &str) -> String {
    format!("{issuer}#{sub}")
}

/// The claims every token must carry, from verified claims; the times come
/// from [`claims::check`], which read them as the token spells them.
fn checked(
    claims: JWTClaims<ScopeClaims>,
    times: claims::TimeClaims,
    kind: TokenKind,
    issuer: Option<&str>,
) -> Result<Verified, Invalid> {
    let Some(sub) = claims.subject else {
        return invalid("the token has no subject (sub)");
    };
    claims::subject(&sub)?;
    let subject =
        match (kind, issuer) {
            (TokenKind::User, Some(issuer)) => user_subject(issuer, &sub),
            // A service subject that looks like a user's would share their logbook.
            _ if sub.contains("://") => return invalid(
                "a service token's subject (sub) must not contain \"://\" (that names OAuth users)",
            ),
            _ => sub,
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
        jwt_id: times.jwt_id,
        expires_at: times.expires_at,
        not_before: times.not_before,
        kind,
        digest_id: None,
    })
}

/// RS256 verification is a 2048-bit modular exponentiation: milliseconds of pure
/// computation inside the sandbox, on every request of an OAuth user. A token
/// that verified is remembered under a digest of the token itself and of the
/// issuer and audiences it was checked against, so the next request with the very
/// same token only re-checks its validity period and that the key which verified
/// it is still the issuer's (see [`remembered`]). Only the server writes these
/// entries, and only after a full verification, so no entry can be forged; a
/// changed issuer or resource URL names other entries.
fn verified_key(digest_id: &str, issuer: &str, settings: &Settings) -> String {
    let mut h = hmac_sha256::Hash::new();
    for part in [digest_id, issuer, &settings.audiences.joined(" ")] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    format!("vt/{}", crate::encoding::base64url(&h.finalize()[..18]))
}

/// A remembered verification of this token, if one exists, was made by the key
/// the current key set has under the token's `kid`, is younger than
/// [`VERIFIED_TTL_SECS`], and the token is still within its validity period.
fn remembered(
    platform: &dyn Platform,
    key: &str,
    kid: Option<&str>,
    fingerprint: &str,
    now: u64,
) -> Result<Option<Verified>, Invalid> {
    let Ok(Some(bytes)) = platform.kv().get(key) else {
        return Ok(None);
    };
    let Ok(entry) = serde_json::from_slice::<Remembered>(&bytes) else {
        return Ok(None);
    };
    let same_key = entry.kid.as_deref() == kid && entry.key_fingerprint == fingerprint;
    let fresh = entry.verified_at <= now && now - entry.verified_at < VERIFIED_TTL_SECS;
    if !same_key || !fresh {
        return Ok(None);
    }
    let verified = entry.verified;
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

fn explain(e: jwt_simple::Error, settings: &Settings) -> Invalid {
    let reason = match e.downcast_ref::<JWTError>() {
        Some(JWTError::RequiredAudienceMismatch) | Some(JWTError::RequiredAudienceMissing) => {
            // Naming the expected audience is safe (it is public, in the
            // protected-resource metadata) and is what fixes a token minted
            // for another address.
            return Invalid(format!(
                "the token's audience (aud) is not this server's resource URL; mint it with aud {}",
                settings.audiences.joined(" or ")
            ));
        }
        Some(JWTError::TokenHasExpired) => "the token has expired; get a new one",
        Some(JWTError::TokenNotValidYet | JWTError::ClockDrift) => {
            "the token is not valid yet (nbf or iat in the future)"
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
