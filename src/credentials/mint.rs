//! Signing service tokens (HS256): the claims this server reads beyond the
//! registered ones, and minting. Verification is the authenticator's (src/auth).

use jwt_simple::prelude::*;

/// The claims this server reads beyond the registered ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScopeClaims {
    /// Space-separated scopes (RFC 8693 / OAuth 2.0 style).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
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
