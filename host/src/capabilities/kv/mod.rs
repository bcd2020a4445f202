//! `wasi:keyvalue@0.2.0-draft2` for the component: the host bindings (one `"default"`
//! bucket, CAS handles, per-request operation counting) over a [`KvBackend`].
//!
//! Semantics follow Spin's `factor-key-value` + `key-value-spin` (SQLite) where they
//! are sound, with two deliberate differences:
//! - `cas.new` reads and remembers the value, and a swap checks it *including
//!   absence* (Spin upserts when the remembered value is absent, and skips the
//!   check entirely when the guest never called `current`);
//! - `list-keys` pages with a cursor (Spin rejects cursors and returns every key).

pub mod faulty;
pub mod memory;
pub mod sqlite;

use anyhow::Result;
use std::sync::Arc;
use wasmtime::component::{HasSelf, Linker, Resource, ResourceTable};

use bindings::wasi::keyvalue::{atomics, batch, store};

/// Host bindings of `wasi:keyvalue` (wit/deps/keyvalue), with this module's
/// resource types.
mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/deps/keyvalue",
        world: "wasi:keyvalue/imports",
        with: {
            "wasi:keyvalue/store.bucket": super::Bucket,
            "wasi:keyvalue/atomics.cas": super::Cas,
        },
    });
}

/// Keys per `list-keys` page.
pub const LIST_PAGE_SIZE: usize = 1000;

/// The only store identifier the host serves, as in a Spin app that declares
/// `key_value_stores = ["default"]`.
pub const DEFAULT_STORE: &str = "default";

/// Links `wasi:keyvalue` (store, atomics, batch) to the [`KvHost`] that `get`
/// finds in a request's state.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut KvHost,
) -> Result<()> {
    store::add_to_linker::<_, HasSelf<KvHost>>(linker, get)?;
    atomics::add_to_linker::<_, HasSelf<KvHost>>(linker, get)?;
    batch::add_to_linker::<_, HasSelf<KvHost>>(linker, get)?;
    Ok(())
}

/// Result of a conditional write.
#[derive(Debug, PartialEq, Eq)]
pub enum SwapOutcome {
    Swapped,
    /// The key no longer held the expected value; this is what it holds now,
    /// read in the same transaction as the failed comparison.
    Conflict(Option<Vec<u8>>),
}

/// A key-value backend. Methods are synchronous and short: they run on the
/// request's task, as Spin's SQLite store does with `block_in_place`.
pub trait KvBackend: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    fn set(&self, key: &str, value: &[u8]) -> Result<()>;
    fn delete(&self, key: &str) -> Result<()>;
    fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }
    /// Keys in ascending order after `after`, at most `limit` of them.
    fn list_keys(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>>;
    /// Only the keys that exist, each once, in the order first asked for.
    fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Vec<u8>)>>;
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<()>;
    fn delete_many(&self, keys: &[String]) -> Result<()>;
    /// Adds `delta` to the counter at `key` (absent counts as 0) and returns the
    /// new value. Counters are 8-byte little-endian i64, Spin's encoding.
    fn increment(&self, key: &str, delta: i64) -> Result<i64>;
    /// Writes `value` only if `key` currently holds exactly `expected`
    /// (`None`: the key must be absent).
    fn swap(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<SwapOutcome>;
    /// One line for the startup banner.
    fn describe(&self) -> String;
}

/// Spin's counter encoding: the value is an i64 in 8 little-endian bytes.
pub fn decode_counter(key: &str, bytes: &[u8]) -> Result<i64> {
    let bytes: [u8; 8] = bytes.try_into().map_err(|_| {
        anyhow::anyhow!(
            "value of {key:?} is not a counter (expected 8 bytes, little-endian i64; found {} bytes)",
            bytes.len()
        )
    })?;
    Ok(i64::from_le_bytes(bytes))
}

pub fn add_counter(key: &str, current: i64, delta: i64) -> Result<i64> {
    current
        .checked_add(delta)
        .ok_or_else(|| anyhow::anyhow!("counter {key:?} would overflow"))
}

/// Host side of a `bucket` resource: there is only one store, so nothing to hold.
pub struct Bucket;

/// Host side of a `cas` resource: the key and the value read when it was made.
pub struct Cas {
    key: String,
    current: Option<Vec<u8>>,
}

/// Per-request key-value state of a store: resource handles and the operation count.
pub struct KvHost {
    backend: Arc<dyn KvBackend>,
    table: ResourceTable,
    ops: u64,
}

impl KvHost {
    pub fn new(backend: Arc<dyn KvBackend>) -> Self {
        Self {
            backend,
            table: ResourceTable::new(),
            ops: 0,
        }
    }

    /// Key-value operations made so far: every store, atomics and batch call
    /// except `open`, including `cas.current` (which answers from the handle; it
    /// counts as the read a guest makes with it). `open` hands out the bucket
    /// handle without touching data (Spin answers it from its store manager's
    /// cache), and a request opens the bucket at most once.
    pub fn ops(&self) -> u64 {
        self.ops
    }

    fn count(&mut self) {
        self.ops += 1;
    }

    fn bucket(&self, bucket: &Resource<Bucket>) -> Result<(), store::Error> {
        self.table
            .get(bucket)
            .map(|_| ())
            .map_err(|e| store::Error::Other(e.to_string()))
    }

    fn new_cas(&mut self, key: String) -> Result<Resource<Cas>, store::Error> {
        let current = self.backend.get(&key).map_err(backend_error)?;
        self.table
            .push(Cas { key, current })
            .map_err(|e| store::Error::Other(e.to_string()))
    }
}

fn backend_error(e: anyhow::Error) -> store::Error {
    eprintln!("climbing-host: key-value error: {e:#}");
    store::Error::Other(format!("{e:#}"))
}

impl store::Host for KvHost {
    fn open(&mut self, identifier: String) -> Result<Resource<Bucket>, store::Error> {
        if identifier != DEFAULT_STORE {
            return Err(store::Error::NoSuchStore);
        }
        self.table
            .push(Bucket)
            .map_err(|e| store::Error::Other(e.to_string()))
    }
}

impl store::HostBucket for KvHost {
    fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> Result<Option<Vec<u8>>, store::Error> {
        self.count();
        self.bucket(&bucket)?;
        self.backend.get(&key).map_err(backend_error)
    }

    fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), store::Error> {
        self.count();
        self.bucket(&bucket)?;
        self.backend.set(&key, &value).map_err(backend_error)
    }

    fn delete(&mut self, bucket: Resource<Bucket>, key: String) -> Result<(), store::Error> {
        self.count();
        self.bucket(&bucket)?;
        self.backend.delete(&key).map_err(backend_error)
    }

    fn exists(&mut self, bucket: Resource<Bucket>, key: String) -> Result<bool, store::Error> {
        self.count();
        self.bucket(&bucket)?;
        self.backend.exists(&key).map_err(backend_error)
    }

    fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> Result<store::KeyResponse, store::Error> {
        self.count();
        self.bucket(&bucket)?;
        let keys = self
            .backend
            .list_keys(cursor.as_deref(), LIST_PAGE_SIZE)
            .map_err(backend_error)?;
        // The cursor is the last key returned: pages stay stable under inserts
        // elsewhere in the key space, and it is opaque enough for admin use.
        let cursor = if keys.len() == LIST_PAGE_SIZE {
            keys.last().cloned()
        } else {
            None
        };
        Ok(store::KeyResponse { keys, cursor })
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl batch::Host for KvHost {
    fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, store::Error> {
        self.count();
        self.bucket(&bucket)?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Like Spin's SQLite store: absent keys are left out rather than paired
        // with `none`; callers must match results by key, not by position.
        let found = self.backend.get_many(&keys).map_err(backend_error)?;
        Ok(found.into_iter().map(|(k, v)| (k, Some(v))).collect())
    }

    fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Result<(), store::Error> {
        self.count();
        self.bucket(&bucket)?;
        if key_values.is_empty() {
            return Ok(());
        }
        self.backend.set_many(&key_values).map_err(backend_error)
    }

    fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Result<(), store::Error> {
        self.count();
        self.bucket(&bucket)?;
        if keys.is_empty() {
            return Ok(());
        }
        self.backend.delete_many(&keys).map_err(backend_error)
    }
}

impl atomics::HostCas for KvHost {
    fn new(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> Result<Resource<Cas>, store::Error> {
        self.count();
        self.bucket(&bucket)?;
        self.new_cas(key)
    }

    fn current(&mut self, cas: Resource<Cas>) -> Result<Option<Vec<u8>>, store::Error> {
        self.count();
        let cas = self
            .table
            .get(&cas)
            .map_err(|e| store::Error::Other(e.to_string()))?;
        Ok(cas.current.clone())
    }

    fn drop(&mut self, cas: Resource<Cas>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl atomics::Host for KvHost {
    fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> Result<i64, store::Error> {
        self.count();
        self.bucket(&bucket)?;
        self.backend.increment(&key, delta).map_err(backend_error)
    }

    fn swap(&mut self, cas: Resource<Cas>, value: Vec<u8>) -> Result<(), atomics::CasError> {
        self.count();
        let Cas { key, current } = self
            .table
            .delete(cas)
            .map_err(|e| atomics::CasError::StoreError(store::Error::Other(e.to_string())))?;
        match self
            .backend
            .swap(&key, current.as_deref(), &value)
            .map_err(|e| atomics::CasError::StoreError(backend_error(e)))?
        {
            SwapOutcome::Swapped => Ok(()),
            // The interface asks for a handle already updated to the latest value,
            // so the guest can retry without another read.
            SwapOutcome::Conflict(latest) => {
                let fresh = self
                    .table
                    .push(Cas {
                        key,
                        current: latest,
                    })
                    .map_err(|e| {
                        atomics::CasError::StoreError(store::Error::Other(e.to_string()))
                    })?;
                Err(atomics::CasError::CasFailed(fresh))
            }
        }
    }
}

/// Shared conformance checks both backends must pass.
#[cfg(test)]
pub(crate) mod contract {
    use super::*;

    pub fn basic_ops(kv: &dyn KvBackend) {
        assert_eq!(kv.get("a").unwrap(), None);
        assert!(!kv.exists("a").unwrap());
        kv.set("a", b"1").unwrap();
        assert_eq!(kv.get("a").unwrap().as_deref(), Some(&b"1"[..]));
        assert!(kv.exists("a").unwrap());
        kv.set("a", b"2").unwrap();
        assert_eq!(kv.get("a").unwrap().as_deref(), Some(&b"2"[..]));
        kv.delete("a").unwrap();
        kv.delete("a").unwrap();
        assert_eq!(kv.get("a").unwrap(), None);
        // The empty value is a value, distinct from absence.
        kv.set("empty", b"").unwrap();
        assert_eq!(kv.get("empty").unwrap(), Some(Vec::new()));
    }

    pub fn cas(kv: &dyn KvBackend) {
        // Read as absent, created meanwhile: the swap must fail and report the new value.
        kv.set("x", b"other").unwrap();
        assert_eq!(
            kv.swap("x", None, b"mine").unwrap(),
            SwapOutcome::Conflict(Some(b"other".to_vec()))
        );
        assert_eq!(kv.get("x").unwrap().as_deref(), Some(&b"other"[..]));
        // Stale value.
        assert_eq!(
            kv.swap("x", Some(b"old"), b"mine").unwrap(),
            SwapOutcome::Conflict(Some(b"other".to_vec()))
        );
        // Success.
        assert_eq!(
            kv.swap("x", Some(b"other"), b"mine").unwrap(),
            SwapOutcome::Swapped
        );
        assert_eq!(kv.get("x").unwrap().as_deref(), Some(&b"mine"[..]));
        // Create-if-absent succeeds once.
        assert_eq!(kv.swap("y", None, b"1").unwrap(), SwapOutcome::Swapped);
        assert_eq!(
            kv.swap("y", None, b"2").unwrap(),
            SwapOutcome::Conflict(Some(b"1".to_vec()))
        );
        // Expected a value, but the key was deleted meanwhile.
        kv.delete("y").unwrap();
        assert_eq!(
            kv.swap("y", Some(b"1"), b"3").unwrap(),
            SwapOutcome::Conflict(None)
        );
    }

    pub fn increment(kv: &dyn KvBackend) {
        assert_eq!(kv.increment("n", 1).unwrap(), 1);
        assert_eq!(kv.increment("n", 2).unwrap(), 3);
        assert_eq!(kv.increment("n", -10).unwrap(), -7);
        assert_eq!(kv.get("n").unwrap(), Some((-7i64).to_le_bytes().to_vec()));
        kv.set("s", b"text").unwrap();
        assert!(kv.increment("s", 1).is_err());
        kv.set("big", &i64::MAX.to_le_bytes()).unwrap();
        assert!(kv.increment("big", 1).is_err());
    }

    pub fn batch(kv: &dyn KvBackend) {
        kv.set_many(&[("b1".into(), b"1".to_vec()), ("b2".into(), b"2".to_vec())])
            .unwrap();
        let got = kv
            .get_many(&["b2".into(), "missing".into(), "b1".into(), "b2".into()])
            .unwrap();
        assert_eq!(
            got,
            vec![("b2".into(), b"2".to_vec()), ("b1".into(), b"1".to_vec())]
        );
        kv.delete_many(&["b1".into(), "missing".into()]).unwrap();
        assert_eq!(kv.get("b1").unwrap(), None);
        assert_eq!(kv.get("b2").unwrap().as_deref(), Some(&b"2"[..]));
    }

    pub fn list_keys(kv: &dyn KvBackend) {
        for i in 0..25 {
            kv.set(&format!("k{i:02}"), b"v").unwrap();
        }
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = kv.list_keys(after.as_deref(), 10).unwrap();
            let done = page.len() < 10;
            after = page.last().cloned();
            all.extend(page);
            if done {
                break;
            }
        }
        let expected: Vec<String> = (0..25).map(|i| format!("k{i:02}")).collect();
        assert_eq!(all, expected);
    }

    pub fn all(kv: &dyn KvBackend) {
        basic_ops(kv);
        cas(kv);
        increment(kv);
        batch(kv);
    }
}
