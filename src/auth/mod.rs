//! Authentication: who is calling, and with which scopes.
//!
//! This is the seam every `/mcp` request passes through before the protocol layer.
//! Bearer-token verification (HS256 service tokens, RS256 OAuth tokens, revocation,
//! rate limits) plugs in here; until it does, a request acts as the local operator
//! with every scope, which is only fit for a server bound to loopback.

use crate::catalog::{Caller, Scope};
use crate::platform::Platform;

/// A refused request: the HTTP status and the `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    pub status: u16,
    pub challenge: Option<String>,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

pub fn authenticate(
    _platform: &dyn Platform,
    _authorization: Option<&str>,
) -> Result<Caller, Denial> {
    Ok(Caller {
        subject: "local".into(),
        scopes: vec![Scope::Read, Scope::Write, Scope::Admin],
    })
}

/// The challenge sent with a 403 for a missing scope (RFC 6750 `insufficient_scope`).
pub fn insufficient_scope_challenge(scope: Scope) -> String {
    format!(
        "Bearer error=\"insufficient_scope\", scope=\"{}\"",
        scope.as_str()
    )
}
