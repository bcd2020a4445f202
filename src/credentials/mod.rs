//! Credentials this server issues: service tokens (minting and the records of
//! issued ones), revocation, and the resource URL tokens are minted for. The
//! authenticator (src/auth) checks revocation here; the admin tools issue,
//! list and revoke through it.
//!
//! An issued token is returned once and never stored; its metadata is kept as
//! `t/<jti>` and listed through the `tk` index. Revoking writes `r/<jti>`, which
//! every request checks (one batch read, with the token's digest id), for tokens
//! of either kind; a token without a `jti` is revoked by its digest id.

mod mint;

pub use mint::mint_service_token;

use crate::identity::Scope;
use crate::platform::{KvResult, Platform};
use crate::store::index::Position;
use crate::store::{Listed, Listing, Store, StoreError, StoreResult};
use serde::{Deserialize, Serialize};

pub const TOKEN_LIST: &str = "tk";
/// Longest lifetime of an issued service token.
pub const MAX_TTL_DAYS: u32 = climbing_contract::claims::MAX_TTL_DAYS;
/// Longest lifetime of an issued token that carries the `admin` scope: an admin
/// token can mint more tokens, so it is kept short (docs/security.md).
pub const MAX_ADMIN_TTL_DAYS: u32 = 30;

/// The canonical URL of `/mcp`, the audience tokens are minted for: the
/// `resource_url` variable, or derived from the request's Host when unset.
pub fn resource_url(platform: &dyn Platform, host: &str) -> String {
    resource_url_or_derived(
        platform.variable(climbing_contract::variables::RESOURCE_URL),
        host,
    )
}

/// [`resource_url`] from the variable's value, for a caller that has read it already.
pub fn resource_url_or_derived(configured: Option<String>, host: &str) -> String {
    configured.unwrap_or_else(|| ["http://", host, "/mcp"].concat())
}

fn revoked_key(jti: &str) -> String {
    ["r/", jti].concat()
}

/// The id that revokes a token by its digest (for tokens without a `jti`):
/// `sha256:` and the hex SHA-256 of the token text, what
/// `printf %s "$TOKEN" | sha256sum` prints.
pub fn digest_id(token: &str) -> String {
    let digest = hmac_sha256::Hash::hash(token.as_bytes());
    // Written out by hand: a `format!` per byte costs more than the hash itself.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(7 + 64);
    id.push_str("sha256:");
    for b in digest {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 15)] as char);
    }
    id
}

/// Whether the token is revoked: by its `jti` when it has one, else by its digest
/// (what `revoke_token` documents). Authentication refuses a `jti` that
/// `revoke_token` could not name, so every token accepted can be revoked one way
/// or the other. Hashing the token costs as much as verifying its MAC, so it is
/// done only for tokens that need it, and only once (`known_digest_id`).
pub fn is_revoked(
    platform: &dyn Platform,
    jti: Option<&str>,
    token: &str,
    known_digest_id: Option<&str>,
) -> KvResult<bool> {
    let key = match (jti, known_digest_id) {
        (Some(jti), _) => revoked_key(jti),
        (None, Some(digest_id)) => revoked_key(digest_id),
        (None, None) => revoked_key(&digest_id(token)),
    };
    Ok(platform.kv().get(&key)?.is_some())
}

/// What is kept about an issued token (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct TokenInfo {
    /// The token id (`jti`); pass it to revoke_token.
    pub id: String,
    pub version: u64,
    pub subject: String,
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Seconds since the Unix epoch.
    pub issued_at: u64,
    pub expires_at: u64,
    pub issued_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<u64>,
}

crate::record!(TokenInfo, "t", "token");

impl Listed for TokenInfo {
    /// Every issued token is in one list.
    fn listings(&self) -> Vec<Listing> {
        vec![Listing::new(TOKEN_LIST, self.id.as_str())]
    }
}

/// Issues a service token; returns the token and its metadata.
pub fn issue(
    store: &Store,
    audience: &str,
    issued_by: &str,
    subject: &str,
    scopes: &[Scope],
    ttl_days: u32,
    description: Option<String>,
) -> Result<(String, TokenInfo), String> {
    let secret = store
        .platform()
        .variable(climbing_contract::variables::JWT_HS256_SECRET)
        .ok_or("this server has no jwt_hs256_secret, so it cannot issue service tokens")?;
    let now = store.platform().now_ms() / 1000;
    let scopes: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    let info = store
        .create(
            |jti| TokenInfo {
                id: jti,
                version: 1,
                subject: subject.to_owned(),
                scopes: scopes.clone(),
                description: description.clone(),
                issued_at: now,
                expires_at: now + u64::from(ttl_days) * 86_400,
                issued_by: issued_by.to_owned(),
                revoked_at: None,
            },
            |_| Ok::<(), StoreError>(()),
        )
        .map_err(|e| e.to_string())?;
    let token = mint_service_token(
        secret.as_bytes(),
        audience,
        subject,
        &scopes,
        &info.id,
        now,
        u64::from(ttl_days) * 86_400,
    );
    Ok((token, info))
}

pub fn list(
    store: &Store,
    from: Option<&Position>,
    limit: usize,
) -> StoreResult<(Vec<TokenInfo>, Option<Position>)> {
    store.page(TOKEN_LIST, from, limit)
}

/// Revokes the token with id `jti` (issued here or by the OAuth issuer).
/// Revocation is written first, so the token stops working even if the metadata
/// update fails.
pub fn revoke(store: &Store, jti: &str) -> StoreResult<Option<TokenInfo>> {
    let now = store.platform().now_ms() / 1000;
    store
        .kv()
        .set(&revoked_key(jti), now.to_string().as_bytes())?;
    if store.get::<TokenInfo>(jti)?.is_none() {
        return Ok(None);
    }
    let info = store.update(jti, None, |t: &mut TokenInfo| {
        t.revoked_at.get_or_insert(now);
        Ok::<(), crate::store::StoreError>(())
    })?;
    Ok(Some(info))
}
