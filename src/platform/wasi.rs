//! The platform inside the component: `wasi:keyvalue@0.2.0-draft2` (through spin-sdk's
//! generated bindings), Spin variables, WASI clocks and random.

use super::{CasRead, KeyValue, KvError, KvResult, Platform, Swap};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store};

/// The Spin key-value store every deployment declares (`key_value_stores = ["default"]`).
const STORE_LABEL: &str = "default";

#[derive(Default)]
pub struct WasiPlatform {
    kv: WasiKv,
}

impl Platform for WasiPlatform {
    fn kv(&self) -> &dyn KeyValue {
        &self.kv
    }

    fn variable(&self, name: &str) -> Option<String> {
        spin_sdk::variables::get(name)
            .ok()
            .filter(|v| !v.is_empty())
    }

    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    fn random_bytes(&self, len: usize) -> Vec<u8> {
        wasi::random::random::get_random_bytes(len as u64)
    }
}

/// Opens the bucket on first use, so requests that never touch the store
/// (errors at the HTTP edge, `ping`) cost no KV call.
#[derive(Default)]
struct WasiKv {
    bucket: std::cell::OnceCell<Result<store::Bucket, KvError>>,
}

fn kv_error(e: store::Error) -> KvError {
    KvError(match e {
        store::Error::NoSuchStore => "the key-value store \"default\" is not configured".into(),
        store::Error::AccessDenied => "access to the key-value store was denied".into(),
        store::Error::Other(msg) => msg,
    })
}

impl WasiKv {
    fn bucket(&self) -> KvResult<&store::Bucket> {
        self.bucket
            .get_or_init(|| store::open(STORE_LABEL).map_err(kv_error))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl KeyValue for WasiKv {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.bucket()?.get(key).map_err(kv_error)
    }

    fn get_many(&self, keys: &[String]) -> KvResult<Vec<Option<Vec<u8>>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let found = batch::get_many(self.bucket()?, keys).map_err(kv_error)?;
        // Backends may omit absent keys or return them in another order: match by key.
        let mut by_key: std::collections::HashMap<String, Option<Vec<u8>>> =
            found.into_iter().collect();
        Ok(keys.iter().map(|k| by_key.remove(k).flatten()).collect())
    }

    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        self.bucket()?.set(key, value).map_err(kv_error)
    }

    fn delete(&self, key: &str) -> KvResult<()> {
        self.bucket()?.delete(key).map_err(kv_error)
    }

    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        atomics::increment(self.bucket()?, key, delta).map_err(kv_error)
    }

    fn cas_read(&self, key: &str) -> KvResult<CasRead> {
        let cas = atomics::Cas::new(self.bucket()?, key).map_err(kv_error)?;
        let current = cas.current().map_err(kv_error)?;
        Ok(CasRead {
            current,
            handle: Box::new(cas),
        })
    }

    fn cas_swap(&self, read: CasRead, value: &[u8]) -> KvResult<Swap> {
        let cas = read
            .handle
            .downcast::<atomics::Cas>()
            .map_err(|_| KvError("compare-and-swap handle from another store".into()))?;
        match atomics::swap(*cas, value) {
            Ok(()) => Ok(Swap::Written),
            Err(atomics::CasError::CasFailed(_)) => Ok(Swap::Conflict),
            Err(atomics::CasError::StoreError(e)) => Err(kv_error(e)),
        }
    }
}
