//! The contract between the climbing-mcp component and the programs around it
//! (`climbing-host`, `climbing-bench`): the names and limits both sides must agree
//! on for a token minted by one to be accepted by the other, and for a variable
//! set by one to be read by the other. Plain constants, no dependencies, so the
//! component (wasm32-wasip2) and the host (native) build the same crate.

#![no_std]

/// The scopes a bearer token can grant (the space-separated `scope` claim).
pub mod scope {
    /// Read climbing data.
    pub const READ: &str = "climb:read";
    /// Create, change and delete climbing data.
    pub const WRITE: &str = "climb:write";
    /// Tokens and maintenance.
    pub const ADMIN: &str = "admin";
    /// Every scope, in the order they are listed to users.
    pub const ALL: [&str; 3] = [READ, WRITE, ADMIN];
}

/// Service tokens: HS256 JWTs signed with the `jwt_hs256_secret` variable,
/// carrying the registered claims `sub`, `aud`, `exp`, `iat`, `jti` and the
/// custom claim [`SCOPE`](claims::SCOPE).
pub mod claims {
    /// The custom claim holding the granted scopes.
    pub const SCOPE: &str = "scope";
    /// What separates scopes in the `scope` claim (RFC 8693 `scope`).
    pub const SCOPE_SEPARATOR: &str = " ";
    /// The longest `sub` and `jti` the component accepts, in bytes.
    pub const MAX_CLAIM_BYTES: usize = 256;
    /// The longest lifetime of a service token, in days.
    pub const MAX_TTL_DAYS: u32 = 366;
    /// The shortest HS256 secret the component signs or verifies with (96 bits):
    /// with a shorter `jwt_hs256_secret` no service token is accepted.
    pub const MIN_SECRET_BYTES: usize = 12;
}

/// Application variables the component reads (Spin variables; the host sets them
/// with `--var NAME=VALUE` or `SPIN_VARIABLE_<NAME>`).
pub mod variables {
    /// The HS256 secret of service tokens.
    pub const JWT_HS256_SECRET: &str = "jwt_hs256_secret";
    /// The URL of `/mcp` as clients reach it: the `aud` every token must name.
    pub const RESOURCE_URL: &str = "resource_url";
    /// The `Host` names served besides the loopback ones.
    pub const ALLOWED_HOSTS: &str = "allowed_hosts";
    /// Requests per minute and subject (`0`: no limit).
    pub const RATE_LIMIT_PER_MINUTE: &str = "rate_limit_per_minute";
    /// The key that seals cursors and other state handed to clients.
    pub const STATE_SECRET: &str = "state_secret";
    /// The Redis server of the Redis store (`kv_backend = "redis"`).
    pub const REDIS_URL: &str = "redis_url";
}
