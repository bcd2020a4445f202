//! Bearer JWTs: which key verifies a token and what is checked. The token's parts
//! are jws.rs's, the claims policy claims.rs's, the cryptography hmac-sha256's
//! (HS256) and rsa's (RS256, jwks.rs); this module decides which applies.

use super::claims::{self, Claims};
use super::jwks::{self, Jwks};
use super::jws::{self, Jws};
use crate::platform::Platform;
use serde::{Deserialize, Serialize};

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
}

/// What verification needs from configuration on every request. The OAuth issuer
/// ([`oauth_issuer`]) is read only for an RS256 token.
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

/// Verifies `token`: the algorithm pinned by key type, the signature, `aud`, `iss`
/// (for user tokens) and the claims policy (claims.rs: `exp` required, `nbf`,
/// `iat`, lifetime, subject, `jti`).
pub fn verify(
    platform: &dyn Platform,
    settings: &Settings,
    token: &str,
) -> Result<Verified, Invalid> {
    if token.len() > MAX_TOKEN_BYTES {
        return invalid("the token is too long");
    }
    let jws = jws::decode(token)?;
    let now = platform.now_ms() / 1000;
    match jws.header.alg.as_str() {
        "HS256" => {
            let Some(secret) = &settings.hs256_secret else {
                return invalid("service tokens (HS256) are not accepted: the server has no jwt_hs256_secret");
            };
            service(secret, &settings.audiences, &jws, now)
        }
        "RS256" => {
            let Some(issuer) = oauth_issuer(platform) else {
                return invalid("user tokens (RS256) are not accepted: the server has no oauth_issuer");
            };
            user(platform, settings, &issuer, &jws, token, now)
        }
        "none" => invalid("unsigned tokens (alg none) are never accepted"),
        other => invalid(format!(
            "tokens signed with {} are not accepted; use HS256 service tokens or RS256 OAuth tokens",
            other.chars().take(16).collect::<String>()
        )),
    }
}

/// An HS256 token: the MAC first, so nothing of an unsigned payload is parsed.
fn service(
    secret: &[u8],
    audiences: &AcceptedAudiences,
    jws: &Jws,
    now: u64,
) -> Result<Verified, Invalid> {
    if secret.len() < climbing_contract::claims::MIN_SECRET_BYTES {
        return invalid(
            "service tokens (HS256) are not accepted: the server's jwt_hs256_secret is too short",
        );
    }
    if !jws.is_signed_with(secret) {
        return invalid("the token's signature does not verify");
    }
    let claims = claims::read(jws.payload)?;
    for_us(&claims, audiences)?;
    let checked = claims::check(&claims, now, SERVICE)?;
    // A service subject that looks like a user's would share their logbook.
    if checked.subject.contains("://") {
        return invalid(
            "a service token's subject (sub) must not contain \"://\" (that names OAuth users)",
        );
    }
    Ok(verified(checked, claims.scope, TokenKind::Service))
}

/// An RS256 token from the OAuth issuer. The claims are checked before the
/// signature (a 2048-bit modular exponentiation, milliseconds in the sandbox), and
/// a verification is remembered for the next request with the same token.
fn user(
    platform: &dyn Platform,
    settings: &Settings,
    issuer: &str,
    jws: &Jws,
    token: &str,
    now: u64,
) -> Result<Verified, Invalid> {
    let claims = claims::read(jws.payload)?;
    let mut checked = claims::check(&claims, now, USER)?;
    for_us(&claims, &settings.audiences)?;
    if claims.iss.as_deref() != Some(issuer) {
        return invalid("the token's issuer (iss) is not the configured OAuth issuer");
    }
    let kid = jws.header.kid.as_deref();
    let keys: Jwks = jwks::keys_for(platform, kid).map_err(Invalid)?;
    let Some(key) = keys.find(kid) else {
        return invalid("the token's signing key (kid) is not one of the issuer's keys");
    };
    let digest_id = crate::credentials::digest_id(token);
    let cache_key = verified_key(&digest_id, issuer, settings);
    if let Some(hit) = remembered(platform, &cache_key, kid, &key.fingerprint, now) {
        return Ok(Verified {
            digest_id: Some(digest_id),
            ..hit
        });
    }
    if !key.verifies(jws.signing_input, &jws.signature) {
        return invalid("the token's signature does not verify");
    }
    // OAuth users act as <issuer>#<sub>, apart from service tokens and other issuers.
    checked.subject = user_subject(issuer, &checked.subject);
    let verified = verified(checked, claims.scope, TokenKind::User);
    let entry = Remembered {
        verified: verified.clone(),
        kid: kid.map(str::to_owned),
        key_fingerprint: key.fingerprint.clone(),
        verified_at: now,
    };
    // A failed cache write only means the next request verifies again.
    let _ = platform.kv().set(&cache_key, &crate::store::encode(&entry));
    Ok(Verified {
        digest_id: Some(digest_id),
        ..verified
    })
}

/// The token names this server's resource URL among its audiences.
fn for_us(claims: &Claims, audiences: &AcceptedAudiences) -> Result<(), Invalid> {
    if claims
        .aud
        .as_ref()
        .is_some_and(|aud| aud.names(|a| audiences.contains(a)))
    {
        return Ok(());
    }
    // Naming the expected audience is safe (it is public, in the protected-resource
    // metadata) and is what fixes a token minted for another address.
    invalid(format!(
        "the token's audience (aud) is not this server's resource URL; mint it with aud {}",
        audiences.joined(" or ")
    ))
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

/// The verified token, from what the policy checked.
fn verified(checked: claims::Checked, scope: Option<String>, kind: TokenKind) -> Verified {
    Verified {
        subject: checked.subject,
        scopes: scope
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        jwt_id: checked.jwt_id,
        expires_at: checked.expires_at,
        not_before: checked.not_before,
        kind,
        digest_id: None,
    }
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
/// the current key set has under the token's `kid` and is younger than
/// [`VERIFIED_TTL_SECS`]. (Its validity period is the token's own, which the
/// claims policy checked before this.)
fn remembered(
    platform: &dyn Platform,
    key: &str,
    kid: Option<&str>,
    fingerprint: &str,
    now: u64,
) -> Option<Verified> {
    let bytes = platform.kv().get(key).ok()??;
    let entry = serde_json::from_slice::<Remembered>(&bytes).ok()?;
    let same_key = entry.kid.as_deref() == kid && entry.key_fingerprint == fingerprint;
    let fresh = entry.verified_at <= now && now - entry.verified_at < VERIFIED_TTL_SECS;
    (same_key && fresh).then_some(entry.verified)
}

#[cfg(test)]
mod tests {
    use super::{jws, service, AcceptedAudiences, Invalid, Verified};
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

    /// The HS256 path of `verify`, as a server with `SECRET` takes it.
    fn verify_service(
        token: &str,
        audiences: &AcceptedAudiences,
        now: u64,
    ) -> Result<Verified, Invalid> {
        let jws = jws::decode(token)?;
        match jws.header.alg.as_str() {
            "HS256" => service(SECRET, audiences, &jws, now),
            _ => Err(Invalid("not HS256".into())),
        }
    }

    #[derive(Serialize, Deserialize)]
    struct Scope {
        scope: String,
    }

    /// A service token is accepted exactly when jwt-simple, an independent
    /// implementation with the same audiences and leeway, accepts it (every case
    /// carries the claims this server's policy requires beyond jwt-simple's: `exp`,
    /// `sub`, `jti`).
    #[test]
    fn accepts_what_jwt_simple_accepts() {
        let now = Clock::now_since_epoch().as_secs();
        let (past, soon, later) = (now - 3600, now + 30, now + 3600);
        let header = r#"{"alg":"HS256","typ":"JWT"}"#;
        let claims =
            |extra: &str| format!(r#"{{"sub":"svc","jti":"j1","scope":"climb:read"{extra}}}"#);
        let minted = HS256Key::from_bytes(SECRET)
            .authenticate(
                Claims::with_custom_claims(
                    Scope {
                        scope: "climb:read".into(),
                    },
                    Duration::from_secs(600),
                )
                .with_subject("svc")
                .with_audience(AUD)
                .with_jwt_id("j1"),
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
                &claims(&format!(r#","aud":"{AUD}","exp":{later}"#)),
            ),
            signed(
                header,
                &claims(&format!(
                    r#","aud":"{AUD}","exp":{soon},"nbf":{soon},"iat":{soon}"#
                )),
            ),
            // Refused:
            signed(header, &claims(&format!(r#","aud":"{AUD}","exp":{past}"#))),
            signed(
                header,
                &claims(&format!(r#","aud":"{AUD}","exp":{later},"nbf":{later}"#)),
            ),
            signed(
                header,
                &claims(&format!(r#","aud":"{AUD}","exp":{later},"iat":{later}"#)),
            ),
            signed(
                header,
                &claims(&format!(
                    r#","aud":"https://other.example/mcp","exp":{later}"#
                )),
            ),
            signed(header, &claims(&format!(r#","exp":{later}"#))),
            signed(header, &claims(&format!(r#","aud":7,"exp":{later}"#))),
            signed(header, &claims(&format!(r#","aud":[],"exp":{later}"#))),
            signed(header, &claims(&format!(r#","aud":null,"exp":{later}"#))),
            signed(
                header,
                &claims(&format!(r#","aud":["{AUD}",7],"exp":{later}"#)),
            ),
            signed(
                r#"{"alg":"HS384","typ":"JWT"}"#,
                &claims(&format!(r#","aud":"{AUD}","exp":{later}"#)),
            ),
            signed(
                r#"{"alg":"none"}"#,
                &claims(&format!(r#","aud":"{AUD}","exp":{later}"#)),
            ),
            signed(
                r#"{"alg":"HS256","typ":"JOSE"}"#,
                &claims(&format!(r#","aud":"{AUD}","exp":{later}"#)),
            ),
            signed(
                r#"{"alg":"HS256","crit":["exp"]}"#,
                &claims(&format!(r#","aud":"{AUD}","exp":{later}"#)),
            ),
            signed(
                r#"{"alg":"HS256","salt":"c2FsdA"}"#,
                &claims(&format!(r#","aud":"{AUD}","exp":{later}"#)),
            ),
            signed(
                header,
                &format!(r#"{{"sub":"svc","jti":"j1","scope":7,"aud":"{AUD}","exp":{later}}}"#),
            ),
            format!("{}x", &minted[..minted.len() - 1]),
            format!("{minted}.extra"),
            minted.replace('.', ""),
        ];
        let audiences = AcceptedAudiences::of(AUD);
        let options = || VerificationOptions {
            allowed_audiences: Some(HashSet::from([AUD.to_owned(), format!("{AUD}/")])),
            time_tolerance: Some(Duration::from_secs(super::LEEWAY_SECS)),
            ..Default::default()
        };
        let mut accepted = 0;
        for (i, token) in cases.iter().enumerate() {
            let ours = verify_service(token, &audiences, now);
            let theirs = HS256Key::from_bytes(SECRET).verify_token::<Scope>(token, Some(options()));
            assert_eq!(ours.is_ok(), theirs.is_ok(), "case {i}: {token}: {ours:?}");
            if let (Ok(ours), Ok(theirs)) = (ours, theirs) {
                accepted += 1;
                assert_eq!(Some(ours.subject), theirs.subject, "case {i}");
                assert_eq!(ours.scopes.join(" "), theirs.custom.scope, "case {i}");
                assert_eq!(
                    Some(ours.expires_at),
                    theirs.expires_at.map(|t| t.as_secs()),
                    "case {i}"
                );
                assert_eq!(ours.jwt_id, theirs.jwt_id, "case {i}");
            }
        }
        assert_eq!(accepted, 7);
    }
}
