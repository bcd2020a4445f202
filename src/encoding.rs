//! Byte encodings shared across layers (cursors, token fingerprints, rate-limit
//! and store keys). Depends on nothing in the crate.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Unpadded URL-safe base64 (RFC 4648 section 5): safe in keys, URLs and JSON.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}
