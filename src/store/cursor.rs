//! Opaque, self-contained, tamper-evident pagination cursors.
//!
//! A cursor is `base64url(json) "." base64url(hmac)`, where the HMAC-SHA256 covers the
//! list it belongs to and the position. Any replica can verify any cursor; a cursor
//! edited by hand, truncated, or used on another list is refused as invalid.

use super::creation::{self, Creation};
use super::retry::Budget;
use super::{keys, StoreError, StoreResult, CAS_RETRIES};
use crate::encoding::base64url;
use crate::platform::{Platform, Swap};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{de::DeserializeOwned, Serialize};

/// Cursors longer than this are refused before any decoding work.
pub const MAX_CURSOR_LEN: usize = 512;
const TAG_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorError;

impl std::fmt::Display for CursorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "invalid cursor: pass back the cursor exactly as the server returned it \
             (nextCursor, or next_cursor in tool results), or omit it to start from the first page",
        )
    }
}

pub struct CursorCodec {
    key: Vec<u8>,
}

impl CursorCodec {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    /// The signing key: the `state_secret` variable when configured (every replica
    /// shares it), else a random key kept in the store. `None` when no key exists
    /// yet, in which case no cursor can be valid.
    pub fn existing(platform: &dyn Platform) -> StoreResult<Option<Self>> {
        if let Some(secret) = platform.variable(climbing_contract::variables::STATE_SECRET) {
            return Ok(Some(Self::new(derive(secret.as_bytes(), b"cursor"))));
        }
        Ok(platform.kv().get(keys::CURSOR_KEY)?.map(Self::new))
    }

    /// Like [`CursorCodec::existing`], creating the stored key when there is none:
    /// once, by the replica its creation ticket elects (`store::creation`), so all
    /// replicas agree; the others read it again until it is there.
    pub fn get_or_create(platform: &dyn Platform) -> StoreResult<Self> {
        if let Some(codec) = Self::existing(platform)? {
            return Ok(codec);
        }
        let kv = platform.kv();
        let mut creation = Creation::of(keys::CURSOR_KEY);
        let mut budget = Budget::new(CAS_RETRIES);
        while budget.attempt() {
            let read = kv.cas_read(keys::CURSOR_KEY)?;
            if let Some(key) = &read.current {
                return Ok(Self::new(key.clone()));
            }
            if !creation.may_create(kv, creation::PATIENCE)? {
                continue;
            }
            let fresh = platform.random_bytes(32);
            // A lost swap, or one reported failed after it wrote (some stores do):
            // the next read settles it.
            if let Ok(Swap::Written) = kv.cas_swap(read, &fresh) {
                return Ok(Self::new(fresh));
            }
        }
        Err(StoreError::Contended {
            key: keys::CURSOR_KEY.into(),
        })
    }

    fn tag(&self, scope: &str, payload: &[u8]) -> [u8; 32] {
        let mut mac = hmac_sha256::HMAC::new(&self.key);
        mac.update(scope.as_bytes());
        mac.update([0u8]);
        mac.update(payload);
        mac.finalize()
    }

    pub fn seal<T: Serialize>(&self, scope: &str, value: &T) -> String {
        let payload = serde_json::to_vec(value).unwrap_or_default();
        let tag = self.tag(scope, &payload);
        format!("{}.{}", base64url(&payload), base64url(&tag[..TAG_LEN]))
    }

    pub fn open<T: DeserializeOwned>(&self, scope: &str, cursor: &str) -> Result<T, CursorError> {
        if cursor.len() > MAX_CURSOR_LEN {
            return Err(CursorError);
        }
        let (payload, tag) = cursor.split_once('.').ok_or(CursorError)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| CursorError)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| CursorError)?;
        let expected = self.tag(scope, &payload);
        if tag.len() != TAG_LEN || !constant_time_eq(&tag, &expected[..TAG_LEN]) {
            return Err(CursorError);
        }
        serde_json::from_slice(&payload).map_err(|_| CursorError)
    }
}

/// A purpose-specific key from a shared secret, so one secret can sign several kinds
/// of state without one kind being replayable as another.
pub fn derive(secret: &[u8], purpose: &[u8]) -> Vec<u8> {
    hmac_sha256::HMAC::mac(purpose, secret).to_vec()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::memory::{Fault, MemoryPlatform};
    use crate::platform::KeyValue;
    use std::rc::Rc;

    /// Two replicas that both find no stored key, on a store that upserts a swap
    /// of an absent key (Spin's SQLite): the second one's creation runs between the
    /// first one's read and its next step. Both sign with the one key stored.
    #[test]
    fn replicas_creating_the_key_at_once_agree_on_it() {
        let p = Rc::new(MemoryPlatform::default());
        p.kv.fault.set(Fault::UpsertAbsent);
        let other = p.clone();
        let theirs = Rc::new(std::cell::RefCell::new(None));
        let out = theirs.clone();
        *p.kv.interleave.borrow_mut() = Some((
            keys::CURSOR_KEY.to_owned(),
            Box::new(move || {
                *out.borrow_mut() = Some(CursorCodec::get_or_create(&*other).unwrap())
            }),
        ));
        let ours = CursorCodec::get_or_create(&*p).unwrap();
        let theirs = theirs.borrow_mut().take().expect("the other replica ran");
        let stored = p.kv.get(keys::CURSOR_KEY).unwrap().unwrap();
        assert_eq!(ours.key, stored);
        assert_eq!(theirs.key, stored);
        // Later requests read it.
        assert_eq!(CursorCodec::get_or_create(&*p).unwrap().key, stored);
    }

    /// A creator elected but gone before it wrote: the next one waits, then
    /// creates the key itself.
    #[test]
    fn a_creator_that_never_wrote_is_replaced() {
        let p = MemoryPlatform::default();
        p.kv.increment(&keys::creation_ticket(keys::CURSOR_KEY), 1)
            .unwrap();
        let codec = CursorCodec::get_or_create(&p).unwrap();
        assert_eq!(Some(codec.key), p.kv.get(keys::CURSOR_KEY).unwrap());
    }

    #[test]
    fn round_trip_and_tamper() {
        let codec = CursorCodec::new(b"k".to_vec());
        let c = codec.seal("list", &(3u32, "x"));
        assert_eq!(
            codec.open::<(u32, String)>("list", &c).unwrap(),
            (3, "x".into())
        );
        assert_eq!(codec.open::<(u32, String)>("other", &c), Err(CursorError));
        let mut bytes = c.into_bytes();
        bytes[2] ^= 1;
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(
            codec.open::<(u32, String)>("list", &tampered),
            Err(CursorError)
        );
        assert_eq!(codec.open::<u32>("list", "garbage"), Err(CursorError));
        assert_eq!(codec.open::<u32>("list", ""), Err(CursorError));
        assert_eq!(
            codec.open::<u32>("list", &"a.".repeat(600)),
            Err(CursorError)
        );
    }
}
