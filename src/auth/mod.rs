//! Authentication and authorization of every `/mcp` request.
//!
//! A request carries `Authorization: Bearer <JWT>`: an HS256 service token signed
//! with the `jwt_hs256_secret` variable, or an RS256 user token from the OAuth issuer
//! (`oauth_issuer`, keys from `oauth_jwks_url` or `oauth_jwks`). Each time we check
//! the signature with the algorithm pinned by key type, `exp`/`nbf` with a small
//! leeway, `iss`, `aud` (this server's resource URL), revocation of the `jti`, and a
//! per-subject rate limit. Scopes are checked per method and tool by the catalog.

pub mod claims;
pub mod jwks;
mod jws;
pub mod rate_limit;
pub mod token;

use crate::credentials;
use crate::identity::{Caller, Scope};
use crate::platform::Platform;
use serde_json::json;

pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";

/// A refused request: the HTTP status, the `WWW-Authenticate` challenge, and a
/// message for the person reading it (never the token itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub status: u16,
    pub challenge: Option<String>,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

/// This server's identity as an OAuth protected resource.
pub struct Resource {
    /// The canonical URL of `/mcp`: the `resource_url` variable, or derived from the
    /// request's Host when unset.
    pub url: String,
}

impl Resource {
    pub fn new(platform: &dyn Platform, host: &str) -> Self {
        Self {
            url: credentials::resource_url(platform, host),
        }
    }

    /// The same, from the `resource_url` variable's value read by the caller.
    pub fn from_configured(configured: Option<String>, host: &str) -> Self {
        Self {
            url: credentials::resource_url_or_derived(configured, host),
        }
    }

    /// Where the protected-resource metadata lives (RFC 9728: the well-known path
    /// between the URL's origin and its path). Only refusals and the metadata
    /// document need it, so it is not built for every request.
    pub fn metadata_url(&self) -> String {
        let url = self.url.as_str();
        let origin_end = match url.find("://") {
            Some(scheme_end) => {
                let rest = scheme_end + 3;
                url[rest..].find('/').map_or(url.len(), |cut| rest + cut)
            }
            None => url.len(),
        };
        let (origin, path) = url.split_at(origin_end);
        [origin, METADATA_PATH, path].concat()
    }

    /// Audiences a token may name: the resource URL (with and without a trailing slash).
    fn audiences(&self) -> token::AcceptedAudiences {
        token::AcceptedAudiences::of(&self.url)
    }

    fn challenge(&self, error: Option<(&str, &str)>) -> String {
        let mut c = format!("Bearer resource_metadata=\"{}\"", self.metadata_url());
        if let Some((code, description)) = error {
            c.push_str(&format!(
                ", error=\"{code}\", error_description=\"{description}\""
            ));
        }
        c
    }

    fn unauthorized(&self, reason: &str) -> Denial {
        Denial {
            status: 401,
            challenge: Some(self.challenge(Some(("invalid_token", reason)))),
            message: format!("Unauthorized: {reason}"),
            retry_after_secs: None,
        }
    }

    /// RFC 9728 protected-resource metadata.
    pub fn metadata(&self, platform: &dyn Platform) -> serde_json::Value {
        let mut doc = json!({
            "resource": self.url,
            "scopes_supported": [Scope::Read.as_str(), Scope::Write.as_str(), Scope::Admin.as_str()],
            "bearer_methods_supported": ["header"],
            "resource_name": crate::meta::SERVER_TITLE,
        });
        if let Some(issuer) = token::oauth_issuer(platform) {
            doc["authorization_servers"] = json!([issuer]);
        }
        doc
    }
}

/// The challenge sent with a 403 for a missing scope (RFC 6750 `insufficient_scope`).
pub fn insufficient_scope_challenge(resource: &Resource, scope: Scope) -> String {
    format!(
        "{}, error=\"insufficient_scope\", scope=\"{}\"",
        resource.challenge(None),
        scope.as_str()
    )
}

/// Checks the bearer token of a request and returns who it acts as.
pub fn authenticate(
    platform: &dyn Platform,
    resource: &Resource,
    authorization: Option<&str>,
) -> Result<Caller, Denial> {
    let Some(authorization) = authorization else {
        return Err(Denial {
            status: 401,
            challenge: Some(resource.challenge(None)),
            message: "Unauthorized: send Authorization: Bearer <token> (see the README for how to get a token)".into(),
            retry_after_secs: None,
        });
    };
    let token = match authorization.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            token.trim()
        }
        _ => return Err(resource.unauthorized("the Authorization header must be 'Bearer <token>'")),
    };
    let settings = token::Settings::from_platform(platform, resource.audiences());
    if settings.hs256_secret.is_none() && token::oauth_issuer(platform).is_none() {
        return Err(resource.unauthorized(
            "the server accepts no tokens yet: configure jwt_hs256_secret or an OAuth issuer",
        ));
    }
    let verified =
        token::verify(platform, &settings, token).map_err(|e| resource.unauthorized(&e.0))?;
    match credentials::is_revoked(
        platform,
        verified.jwt_id.as_deref(),
        token,
        verified.digest_id.as_deref(),
    ) {
        Ok(false) => {}
        Ok(true) => return Err(resource.unauthorized("the token has been revoked")),
        Err(e) => {
            return Err(Denial {
                status: 503,
                challenge: None,
                message: format!(
                    "Service Unavailable: cannot check revocation ({e}); retry shortly"
                ),
                retry_after_secs: Some(1),
            })
        }
    }
    rate_limit::check(platform, &verified.subject)?;
    Ok(Caller {
        subject: verified.subject,
        scopes: verified
            .scopes
            .iter()
            .filter_map(|s| Scope::parse(s))
            .collect(),
    })
}
