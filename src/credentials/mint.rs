//! Signing service tokens (HS256). Verification is the authenticator's (src/auth).

use crate::encoding::base64url;
use climbing_contract::claims::{SCOPE, SCOPE_SEPARATOR};
use serde_json::json;

/// The header of every service token.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Signs a service token (HS256) for `subject` with `scopes`, issued at
/// `issued_at` (seconds since the epoch) and valid for `valid_for_secs`.
pub fn mint_service_token(
    secret: &[u8],
    audience: &str,
    subject: &str,
    scopes: &[String],
    jwt_id: &str,
    issued_at: u64,
    valid_for_secs: u64,
) -> String {
    let claims = json!({
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + valid_for_secs,
        "sub": subject,
        "aud": audience,
        "jti": jwt_id,
        SCOPE: scopes.join(SCOPE_SEPARATOR),
    });
    let signing_input = [
        base64url(HEADER.as_bytes()),
        base64url(claims.to_string().as_bytes()),
    ]
    .join(".");
    let tag = hmac_sha256::HMAC::mac(signing_input.as_bytes(), secret);
    [signing_input, base64url(&tag)].join(".")
}
