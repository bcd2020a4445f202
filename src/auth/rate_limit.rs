//! Per-subject rate limit: a fixed one-minute window counted with the store's atomic
//! increment, so every replica shares the count. `rate_limit_per_minute` sets the
//! limit (default 600; 0 turns the limit off).

use super::Denial;
use crate::encoding::base64url;
use crate::platform::Platform;

pub const DEFAULT_PER_MINUTE: i64 = 600;
const WINDOW_MS: u64 = 60_000;

fn key(subject: &str, window: u64) -> String {
    // Subjects can be long and contain anything: key by a digest.
    let digest = hmac_sha256::Hash::hash(subject.as_bytes());
    format!("l/{}/{window}", base64url(&digest[..12]))
}

/// Counts one request (one JSON-RPC message) for `subject`.
pub fn check(platform: &dyn Platform, subject: &str) -> Result<(), Denial> {
    charge(platform, subject, 1)
}

/// Counts `messages` more for `subject` (the rest of a batch): the limit is on
/// messages, so a batch of 32 costs what 32 requests cost.
pub fn charge(platform: &dyn Platform, subject: &str, messages: usize) -> Result<(), Denial> {
    let limit = platform
        .variable(climbing_contract::variables::RATE_LIMIT_PER_MINUTE)
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(DEFAULT_PER_MINUTE);
    if limit <= 0 {
        return Ok(());
    }
    let now = platform.now_ms();
    let window = now / WINDOW_MS;
    let kv = platform.kv();
    let delta = i64::try_from(messages).unwrap_or(i64::MAX);
    let count = kv
        .increment(&key(subject, window), delta)
        .map_err(|e| Denial {
            status: 503,
            challenge: None,
            message: format!("Service Unavailable: cannot count requests ({e}); retry shortly"),
            retry_after_secs: Some(1),
        })?;
    if count == delta {
        // First request of a window: drop the previous window's counter (the store
        // has no expiry). A subject that goes idle leaves its last counter behind:
        // one key of a few bytes per subject.
        let _ = kv.delete(&key(subject, window.saturating_sub(1)));
    }
    if count > limit {
        let retry_after = (WINDOW_MS - now % WINDOW_MS).div_ceil(1000);
        return Err(Denial {
            status: 429,
            challenge: None,
            message: format!(
                "Too Many Requests: {subject} may send {limit} messages a minute (each message of a batch counts); retry in {retry_after} s"
            ),
            retry_after_secs: Some(retry_after),
        });
    }
    Ok(())
}
