//! The host imports the server needs, as traits, so every layer above runs natively in
//! unit tests (with [`memory::MemoryPlatform`]) and inside the component (with `wasi`).

pub mod allocator;
pub mod batch_order;
pub mod memory;
#[cfg(target_arch = "wasm32")]
pub mod redis;
pub mod retry;
#[cfg(target_arch = "wasm32")]
pub mod wasi;

use std::fmt;

/// A failure of the key-value store itself (not "key absent", which is `Ok(None)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvError(pub String);

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key-value store error: {}", self.0)
    }
}

impl std::error::Error for KvError {}

pub type KvResult<T> = Result<T, KvError>;

/// What a compare-and-swap read saw. `handle` is the backend's token that `cas_swap`
/// consumes; `current` is the value at read time (`None` when the key was absent).
pub struct CasRead {
    pub current: Option<Vec<u8>>,
    pub handle: Box<dyn std::any::Any>,
}

/// Outcome of a compare-and-swap write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    Written,
    /// Someone else wrote the key after our read; read again and retry.
    Conflict,
}

/// The key-value store: `wasi:keyvalue@0.2.0-draft2` store, atomics and batch.
/// There is no transaction and no prefix scan on request paths; see `store` for how
/// records and indexes are built on top.
pub trait KeyValue {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>>;
    /// Values in the order of `keys`; `None` for absent keys.
    fn get_many(&self, keys: &[String]) -> KvResult<Vec<Option<Vec<u8>>>>;
    fn set(&self, key: &str, value: &[u8]) -> KvResult<()>;
    /// Several writes in one round trip. Not atomic on every backend: a failure
    /// may leave some of them written, so batch only writes whose order does not
    /// matter for crash safety.
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> KvResult<()>;
    fn delete(&self, key: &str) -> KvResult<()>;
    /// Atomically adds `delta` and returns the new value (absent counts as 0).
    fn increment(&self, key: &str, delta: i64) -> KvResult<i64>;
    fn cas_read(&self, key: &str) -> KvResult<CasRead>;
    /// Writes `value` only if the key still holds what `read` saw (absence included).
    fn cas_swap(&self, read: CasRead, value: &[u8]) -> KvResult<Swap>;
}

/// A store that cannot be used (misconfigured): every call fails with why.
pub struct Unavailable(pub KvError);

impl KeyValue for Unavailable {
    fn get(&self, _: &str) -> KvResult<Option<Vec<u8>>> {
        Err(self.0.clone())
    }
    fn get_many(&self, _: &[String]) -> KvResult<Vec<Option<Vec<u8>>>> {
        Err(self.0.clone())
    }
    fn set(&self, _: &str, _: &[u8]) -> KvResult<()> {
        Err(self.0.clone())
    }
    fn set_many(&self, _: &[(String, Vec<u8>)]) -> KvResult<()> {
        Err(self.0.clone())
    }
    fn delete(&self, _: &str) -> KvResult<()> {
        Err(self.0.clone())
    }
    fn increment(&self, _: &str, _: i64) -> KvResult<i64> {
        Err(self.0.clone())
    }
    fn cas_read(&self, _: &str) -> KvResult<CasRead> {
        Err(self.0.clone())
    }
    fn cas_swap(&self, _: CasRead, _: &[u8]) -> KvResult<Swap> {
        Err(self.0.clone())
    }
}

/// Everything the server takes from its host besides HTTP itself.
pub trait Platform {
    fn kv(&self) -> &dyn KeyValue;
    /// An application variable (Spin `[variables]`), `None` when undefined or empty.
    fn variable(&self, name: &str) -> Option<String>;
    /// Wall-clock time in milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
    /// Cryptographically secure random bytes.
    fn random_bytes(&self, len: usize) -> Vec<u8>;
    /// An outbound HTTP GET (only the OAuth issuer's JWKS): the body of a 200
    /// response, or why there is none. The host limits which URLs may be reached.
    fn http_get(&self, url: &str) -> Result<Vec<u8>, String>;
    /// Waits `ms` milliseconds without computing (a request waiting on another
    /// replica, polling the store). The component waits on the host's monotonic
    /// clock; the default is the standard library's sleep.
    fn sleep_ms(&self, ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
