//! Signing service tokens, the component's HS256 JWTs, for `serve`'s ready
//! tokens, `token mint`, the operator commands and the benchmark.
//!
//! The claims are the component's (climbing-contract, and src/credentials/mint.rs
//! `mint_service_token`): `sub`, `aud`, `exp`, `iat`, `jti`, `scope`
//! (space-separated). The host talks to the component only over HTTP, so it signs
//! with jwt-simple itself.

use anyhow::{bail, Context, Result};
use jwt_simple::prelude::*;

use climbing_contract::claims::{MIN_SECRET_BYTES, SCOPE, SCOPE_SEPARATOR};

/// Signs a service token; returns it and its `jti`.
pub fn mint(
    secret: &str,
    audience: &str,
    subject: &str,
    scopes: &[String],
    ttl_days: u64,
) -> Result<(String, String)> {
    if secret.len() < MIN_SECRET_BYTES {
        bail!(
            "the secret is {} bytes long; HS256 secrets must have at least {MIN_SECRET_BYTES} \
             (the server refuses shorter ones too)",
            secret.len()
        );
    }
    let jti = random_base64url(16)?;
    let mut custom = serde_json::Map::new();
    custom.insert(SCOPE.into(), scopes.join(SCOPE_SEPARATOR).into());
    let claims = Claims::with_custom_claims(custom, Duration::from_days(ttl_days))
        .with_subject(subject)
        .with_audience(audience)
        .with_jwt_id(&jti);
    let token = HS256Key::from_bytes(secret.as_bytes())
        .authenticate(claims)
        .map_err(|e| anyhow::anyhow!("could not sign the token: {e}"))?;
    Ok((token, jti))
}

/// `n` random bytes, base64url without padding.
pub fn random_base64url(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).context("the system random number generator failed")?;
    Base64UrlSafeNoPadding::encode_to_string(&bytes)
        .map_err(|e| anyhow::anyhow!("base64 encoding failed: {e}"))
}

/// A new secret for `serve`: 32 random bytes, base64url.
pub fn generate_secret() -> Result<String> {
    random_base64url(32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Scope {
        scope: String,
    }

    const SECRET: &str = "unit-test-secret-0123";

    #[test]
    fn minted_tokens_carry_the_components_claims() {
        let scopes = vec!["climb:read".to_owned(), "admin".to_owned()];
        let (token, jti) = mint(SECRET, "http://a.test/mcp", "me", &scopes, 2).unwrap();
        let claims = HS256Key::from_bytes(SECRET.as_bytes())
            .verify_token::<Scope>(
                &token,
                Some(VerificationOptions {
                    allowed_audiences: Some(["http://a.test/mcp".to_owned()].into()),
                    ..Default::default()
                }),
            )
            .unwrap();
        assert_eq!(claims.subject.as_deref(), Some("me"));
        assert_eq!(claims.jwt_id.as_deref(), Some(jti.as_str()));
        assert_eq!(claims.custom.scope, "climb:read admin");
        let (exp, iat) = (claims.expires_at.unwrap(), claims.issued_at.unwrap());
        assert_eq!((exp - iat).as_secs(), 2 * 86_400);
        assert_eq!(jti.len(), 22); // 16 bytes, base64url without padding
        let e = mint("short", "http://a.test/mcp", "me", &scopes, 2).unwrap_err();
        assert!(e.to_string().contains("at least 12"), "{e}");
        assert_ne!(
            mint(SECRET, "http://a.test/mcp", "me", &scopes, 2)
                .unwrap()
                .1,
            jti
        );
    }
}
