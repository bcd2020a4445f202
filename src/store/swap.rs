//! The compare-and-swap loops of [`Store::insert`] and [`Store::update`], over a
//! record's bytes.
//!
//! The typed methods are generic over the record (and an update over its change and
//! error), so each record type had its own copy of these loops: 15 of `update` and
//! 10 of `insert`, about 40 KB of the component. The loops themselves never look
//! inside a record; here they exist once, and the typed methods only decode,
//! change and encode.

use super::{retry, Store, StoreError};
use crate::platform::{CasRead, KeyValue, KvError, Swap};
use retry::Budget;

/// The read that opens each attempt of a compare-and-swap loop. A failed read is
/// kept in `last_error` (what the loop reports if its budget runs out) and answers
/// `None`: the caller tries again.
pub(super) fn cas_read_noting(
    kv: &dyn KeyValue,
    key: &str,
    last_error: &mut Option<KvError>,
) -> Option<CasRead> {
    match kv.cas_read(key) {
        Ok(read) => Some(read),
        Err(e) => {
            *last_error = Some(e);
            None
        }
    }
}

/// Why [`Store::swap_bytes`] ended without writing.
pub(super) enum Halt {
    /// A store error, a version conflict, or no record to change.
    Store(StoreError),
    /// The caller's change refused; the caller keeps its error.
    Refused,
}

/// What [`Store::swap_bytes`] writes in place of the bytes it read.
pub(super) type NextBytes<'a> = dyn FnMut(&[u8]) -> Result<Vec<u8>, Halt> + 'a;

impl From<StoreError> for Halt {
    fn from(e: StoreError) -> Self {
        Halt::Store(e)
    }
}

impl Store<'_> {
    /// Writes `bytes` at `key` if nothing is there: `Ok(false)` if the key holds
    /// other bytes. A store error or a lost swap is settled by reading the key back:
    /// our own bytes there mean the write landed (some stores report failure after
    /// committing), someone else's mean the key is taken, absence means try again.
    /// The loop is bounded; when it ends without an answer the error says whether
    /// the record may still have been written ([`StoreError::Unconfirmed`]) or
    /// certainly was not.
    pub(super) fn insert_bytes(
        &self,
        kind: &'static str,
        id: &str,
        key: &str,
        bytes: &[u8],
    ) -> Result<bool, StoreError> {
        let mut budget = Budget::new(retry::CAS_ATTEMPTS);
        let mut ambiguous: Option<KvError> = None;
        let mut last_error: Option<KvError> = None;
        while budget.attempt() {
            let Some(read) = cas_read_noting(self.kv(), key, &mut last_error) else {
                continue;
            };
            if let Some(current) = &read.current {
                return Ok(current.as_slice() == bytes);
            }
            match self.kv().cas_swap(read, bytes) {
                Ok(Swap::Written) => return Ok(true),
                // Lost a race for this very key, or a store that fails swaps: the
                // next read tells which.
                Ok(Swap::Conflict) => {}
                Err(e) => ambiguous = Some(e),
            }
        }
        let gave_up =
            |read_back: Option<KvError>| match (&ambiguous, read_back.or(last_error.clone())) {
                (Some(e), _) => StoreError::Unconfirmed {
                    kind,
                    id: id.to_owned(),
                    detail: e.0.clone(),
                },
                (None, Some(e)) => StoreError::Kv(e),
                (None, None) => StoreError::Contended {
                    key: key.to_owned(),
                },
            };
        match self.kv().get(key) {
            Ok(Some(current)) => Ok(current == bytes),
            Ok(None) => Err(gave_up(None)),
            Err(e) => Err(gave_up(Some(e))),
        }
    }

    /// Replaces the bytes at `key` with what `next` makes of them, under
    /// compare-and-swap, retrying (bounded in attempts and time, backing off) when
    /// another writer came first. After a swap that failed with a store error, the
    /// next read settles it: our bytes mean it landed, the bytes we had read mean it
    /// did not (versions only grow, so they cannot come back), anything else means
    /// the record moved on and our change may or may not be in it, which is
    /// [`StoreError::Unconfirmed`] rather than a second apply.
    pub(super) fn swap_bytes(
        &self,
        kind: &'static str,
        id: &str,
        key: &str,
        next: &mut NextBytes<'_>,
    ) -> Result<(), Halt> {
        let mut budget = Budget::new(retry::CAS_ATTEMPTS);
        // After an ambiguous swap: what we had read, what we tried to write, why.
        let mut in_doubt: Option<(Vec<u8>, Vec<u8>, KvError)> = None;
        let mut last_error: Option<KvError> = None;
        while budget.attempt() {
            let Some(read) = cas_read_noting(self.kv(), key, &mut last_error) else {
                continue;
            };
            let Some(bytes) = read.current.as_deref() else {
                return Err(StoreError::NotFound {
                    kind,
                    id: id.to_owned(),
                }
                .into());
            };
            if let Some((before, attempted, error)) = in_doubt.take() {
                if bytes == attempted.as_slice() {
                    return Ok(());
                }
                if bytes != before.as_slice() {
                    return Err(StoreError::Unconfirmed {
                        kind,
                        id: id.to_owned(),
                        detail: error.0,
                    }
                    .into());
                }
            }
            let attempted = next(bytes)?;
            let before = bytes.to_vec();
            match self.kv().cas_swap(read, &attempted) {
                Ok(Swap::Written) => return Ok(()),
                Ok(Swap::Conflict) => {}
                Err(e) => in_doubt = Some((before, attempted, e)),
            }
        }
        Err(match (in_doubt, last_error) {
            (Some((.., error)), _) => StoreError::Unconfirmed {
                kind,
                id: id.to_owned(),
                detail: error.0,
            },
            (None, Some(e)) => StoreError::Kv(e),
            (None, None) => StoreError::Contended {
                key: key.to_owned(),
            },
        }
        .into())
    }

    /// Writes `bytes` over the record at `key` if it is at version `at`: a
    /// [`Store::swap_bytes`] that looks only at the stored version, so that a
    /// rewrite, which has the whole next record, decodes nothing of the current one.
    pub(super) fn replace_at(
        &self,
        kind: &'static str,
        id: &str,
        key: &str,
        at: u64,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let outcome = self.swap_bytes(kind, id, key, &mut |current| {
            super::expect_version(kind, id, Some(at), stored_version(key, current)?)?;
            Ok(bytes.to_vec())
        });
        match outcome {
            Ok(()) => Ok(()),
            Err(Halt::Store(e)) => Err(e),
            // The change above never refuses.
            Err(Halt::Refused) => Err(StoreError::Contended {
                key: key.to_owned(),
            }),
        }
    }
}

/// The `version` of a stored record.
fn stored_version(key: &str, bytes: &[u8]) -> Result<u64, StoreError> {
    let record: serde_json::Value = super::decode(key, bytes)?;
    record
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| super::corrupt(key, "no version".into()))
}
