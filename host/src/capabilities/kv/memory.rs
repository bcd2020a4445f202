//! In-memory backend (`--store memory`): one mutex'd ordered map, gone on exit.

use super::{add_counter, decode_counter, KvBackend, SwapOutcome};
use anyhow::Result;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
pub struct MemoryKv {
    // Ordered so that `list-keys` pages by key like the SQLite backend.
    map: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        // A panic while holding the lock cannot leave the map half-updated (every
        // operation is a single insert/remove), so a poisoned lock is still usable.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl KvBackend for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.lock().get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.lock().insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<()> {
        self.lock().remove(key);
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool> {
        Ok(self.lock().contains_key(key))
    }

    fn list_keys(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        let map = self.lock();
        let start = match after {
            Some(a) => Bound::Excluded(a),
            None => Bound::Unbounded,
        };
        Ok(map
            .range::<str, _>((start, Bound::Unbounded))
            .take(limit)
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
        let map = self.lock();
        let mut seen = std::collections::HashSet::new();
        Ok(keys
            .iter()
            .filter(|k| seen.insert(k.as_str()))
            .filter_map(|k| map.get(k).map(|v| (k.clone(), v.clone())))
            .collect())
    }

    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<()> {
        let mut map = self.lock();
        for (k, v) in entries {
            map.insert(k.clone(), v.clone());
        }
        Ok(())
    }

    fn delete_many(&self, keys: &[String]) -> Result<()> {
        let mut map = self.lock();
        for k in keys {
            map.remove(k);
        }
        Ok(())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        let mut map = self.lock();
        let current = match map.get(key) {
            Some(bytes) => decode_counter(key, bytes)?,
            None => 0,
        };
        let next = add_counter(key, current, delta)?;
        map.insert(key.to_owned(), next.to_le_bytes().to_vec());
        Ok(next)
    }

    fn swap(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<SwapOutcome> {
        let mut map = self.lock();
        let current = map.get(key).map(Vec::as_slice);
        if current != expected {
            return Ok(SwapOutcome::Conflict(current.map(<[u8]>::to_vec)));
        }
        map.insert(key.to_owned(), value.to_vec());
        Ok(SwapOutcome::Swapped)
    }

    fn describe(&self) -> String {
        "memory (discarded on exit)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::kv::contract;

    #[test]
    fn contract() {
        contract::all(&MemoryKv::new());
        contract::list_keys(&MemoryKv::new());
    }
}
