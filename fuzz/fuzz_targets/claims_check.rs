//! The claims policy: `climbing_mcp::auth::claims::read` and `check`, which read
//! `exp`, `nbf`, `iat`, `sub` and `jti` as the token spells them.
//!
//! Input: a mode byte, then
//! - 0: the payload JSON as is (base64url-encoded, as a token carries it);
//! - 1: the payload part's text as is.
//!
//! Whatever comes in, the policy never panics, and what it accepts is sane: an
//! `exp` within the lifetime from now, `nbf`/`iat` not after `exp`, a `jti` of
//! at most 256 bytes.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use climbing_mcp::auth::claims::{check, read, Lifetime, MAX_CLAIM_BYTES, MAX_TIMESTAMP};
use libfuzzer_sys::fuzz_target;

const NOW: u64 = 1_800_000_000;
const LIFETIME: Lifetime = Lifetime {
    max_secs: 366 * 86_400,
    jti_required: false,
};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let payload = match mode % 2 {
        0 => URL_SAFE_NO_PAD.encode(rest),
        _ => String::from_utf8_lossy(rest).into_owned(),
    };
    if let Ok(c) = read(&payload).and_then(|claims| check(&claims, NOW, LIFETIME)) {
        assert!(c.expires_at <= MAX_TIMESTAMP as u64);
        assert!(c.expires_at + 60 >= NOW, "accepted an expired token");
        assert!(c.expires_at <= NOW + LIFETIME.max_secs + 60);
        assert!(c.not_before.is_none_or(|nbf| nbf <= c.expires_at && nbf <= NOW + 60));
        assert!(c.issued_at.is_none_or(|iat| iat <= c.expires_at && iat <= NOW + 60));
        assert!(c.jwt_id.is_none_or(|j| !j.is_empty() && j.len() <= MAX_CLAIM_BYTES));
    }
});
