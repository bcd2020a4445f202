//! In-memory platform for native unit tests: same semantics as the host's memory backend.

use super::{CasRead, KeyValue, KvError, KvResult, Platform, Swap};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// A misbehaving store, for tests of the retry paths: each is something a real
/// backend has been seen to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    #[default]
    None,
    /// Every compare-and-swap reports a conflict and writes nothing.
    RefuseEveryCas,
    /// Every compare-and-swap writes, then reports an error (Spin 4.0.2's Redis
    /// key-value backend does this on every swap).
    FailAfterWrite,
    /// Every call waits this long and then fails, as a store that stopped answering.
    TimeOut(Duration),
    /// A compare-and-swap of a key read as absent writes whatever is there by now:
    /// Spin's SQLite store writes it as `INSERT ... ON CONFLICT DO UPDATE`.
    UpsertAbsent,
}

/// Another caller's steps, run inside the first compare-and-swap read of `key`
/// after the value is read: what that caller does between its read and its swap.
pub type Interleave = (String, Box<dyn FnOnce()>);

#[derive(Default)]
pub struct MemoryKv {
    data: RefCell<BTreeMap<String, Vec<u8>>>,
    /// Number of KV calls made, as the host's `climbing-host-kv-ops` counter counts them.
    pub ops: Cell<u64>,
    /// Calls that changed stored data (set, delete, increment, a swap that wrote).
    pub writes: Cell<u64>,
    pub fault: Cell<Fault>,
    pub interleave: RefCell<Option<Interleave>>,
}

impl MemoryKv {
    fn count(&self) {
        self.ops.set(self.ops.get() + 1);
    }

    fn wrote(&self) {
        self.writes.set(self.writes.get() + 1);
    }

    /// The injected time-out, if any: waits, then fails the call.
    fn time_out(&self) -> KvResult<()> {
        match self.fault.get() {
            Fault::TimeOut(wait) => {
                std::thread::sleep(wait);
                Err(KvError("timed out waiting for the store".into()))
            }
            _ => Ok(()),
        }
    }

    /// Removes a key without counting an operation (tests simulating crashes).
    pub fn data_remove(&self, key: &str) {
        self.data.borrow_mut().remove(key);
    }

    /// Every key currently stored (tests only; the server never lists keys).
    pub fn keys(&self) -> Vec<String> {
        self.data.borrow().keys().cloned().collect()
    }
}

impl KeyValue for MemoryKv {
    fn get(&self, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.count();
        self.time_out()?;
        Ok(self.data.borrow().get(key).cloned())
    }

    fn get_many(&self, keys: &[String]) -> KvResult<Vec<Option<Vec<u8>>>> {
        self.count();
        self.time_out()?;
        let data = self.data.borrow();
        Ok(keys.iter().map(|k| data.get(k).cloned()).collect())
    }

    fn set(&self, key: &str, value: &[u8]) -> KvResult<()> {
        self.count();
        self.time_out()?;
        self.wrote();
        self.data
            .borrow_mut()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        self.count();
        self.time_out()?;
        self.wrote();
        let mut data = self.data.borrow_mut();
        for (key, value) in entries {
            data.insert(key.clone(), value.clone());
        }
        Ok(())
    }

    fn delete(&self, key: &str) -> KvResult<()> {
        self.count();
        self.time_out()?;
        self.wrote();
        self.data.borrow_mut().remove(key);
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> KvResult<i64> {
        self.count();
        self.time_out()?;
        self.wrote();
        let mut data = self.data.borrow_mut();
        let current = data
            .get(key)
            .and_then(|v| std::str::from_utf8(v).ok()?.parse::<i64>().ok())
            .unwrap_or(0);
        let next = current.saturating_add(delta);
        data.insert(key.to_owned(), next.to_string().into_bytes());
        Ok(next)
    }

    fn cas_read(&self, key: &str) -> KvResult<CasRead> {
        // Two calls, as in WASI: `cas.new` and `cas.current`.
        self.count();
        self.count();
        self.time_out()?;
        let current = self.data.borrow().get(key).cloned();
        let cut_in = self.interleave.borrow_mut().take_if(|(k, _)| k == key);
        if let Some((_, steps)) = cut_in {
            steps();
        }
        Ok(CasRead {
            current: current.clone(),
            handle: Box::new((key.to_owned(), current)),
        })
    }

    fn cas_swap(&self, read: CasRead, value: &[u8]) -> KvResult<Swap> {
        self.count();
        self.time_out()?;
        if self.fault.get() == Fault::RefuseEveryCas {
            return Ok(Swap::Conflict);
        }
        let (key, seen) = *read
            .handle
            .downcast::<(String, Option<Vec<u8>>)>()
            .expect("a CasRead from MemoryKv");
        let mut data = self.data.borrow_mut();
        let upsert = seen.is_none() && self.fault.get() == Fault::UpsertAbsent;
        if data.get(&key) != seen.as_ref() && !upsert {
            return Ok(Swap::Conflict);
        }
        data.insert(key, value.to_vec());
        self.wrote();
        if self.fault.get() == Fault::FailAfterWrite {
            return Err(KvError("connection reset after EXEC".into()));
        }
        Ok(Swap::Written)
    }
}

/// A platform with an in-memory store, fixed variables, a settable clock and a
/// deterministic random source.
pub struct MemoryPlatform {
    pub kv: MemoryKv,
    pub variables: HashMap<String, String>,
    pub now_ms: Cell<u64>,
    seed: Cell<u64>,
    /// Bodies served to `http_get`, by URL.
    pub http: RefCell<HashMap<String, Vec<u8>>>,
    /// How many `http_get` calls were made.
    pub http_gets: Cell<u64>,
}

impl Default for MemoryPlatform {
    fn default() -> Self {
        Self {
            kv: MemoryKv::default(),
            variables: HashMap::new(),
            now_ms: Cell::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0),
            ),
            seed: Cell::new(0x9E37_79B9_7F4A_7C15),
            http: RefCell::new(HashMap::new()),
            http_gets: Cell::new(0),
        }
    }
}

impl MemoryPlatform {
    pub fn with_variable(mut self, name: &str, value: &str) -> Self {
        self.variables.insert(name.to_owned(), value.to_owned());
        self
    }
}

impl Platform for MemoryPlatform {
    fn kv(&self) -> &dyn KeyValue {
        &self.kv
    }

    fn variable(&self, name: &str) -> Option<String> {
        self.variables.get(name).filter(|v| !v.is_empty()).cloned()
    }

    fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }

    fn http_get(&self, url: &str) -> Result<Vec<u8>, String> {
        self.http_gets.set(self.http_gets.get() + 1);
        self.http
            .borrow()
            .get(url)
            .cloned()
            .ok_or_else(|| format!("GET {url}: connection refused"))
    }

    /// The clock is simulated: waiting moves it on at once.
    fn sleep_ms(&self, ms: u64) {
        self.now_ms.set(self.now_ms.get() + ms);
    }

    fn random_bytes(&self, len: usize) -> Vec<u8> {
        // splitmix64: deterministic, so tests are repeatable.
        (0..len)
            .map(|_| {
                let mut z = self.seed.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
                self.seed.set(z);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                (z ^ (z >> 31)) as u8
            })
            .collect()
    }
}
