//! A misbehaving store for tests of the component's write paths over real HTTP:
//! `CLIMBING_KV_FAULT` wraps the configured backend in one of the failures a real
//! backend has been seen to produce. Never for serving data.
//!
//! - `refuse-cas`: every compare-and-swap reports a conflict and writes nothing;
//! - `fail-after-write`: every compare-and-swap writes, then reports an error (what
//!   Spin 4.0.2's Redis key-value backend does);
//! - `time-out:MS`: every call waits MS milliseconds, then fails.

use super::{KvBackend, SwapOutcome};
use anyhow::{anyhow, bail, Result};
use std::sync::Arc;
use std::time::Duration;

/// The environment variable that turns a fault on.
pub const ENV_FAULT: &str = "CLIMBING_KV_FAULT";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    RefuseCas,
    FailAfterWrite,
    TimeOut(Duration),
}

impl std::str::FromStr for Fault {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "refuse-cas" => Fault::RefuseCas,
            "fail-after-write" => Fault::FailAfterWrite,
            other => match other.strip_prefix("time-out:").map(str::parse::<u64>) {
                Some(Ok(ms)) => Fault::TimeOut(Duration::from_millis(ms)),
                _ => bail!(
                    "{ENV_FAULT}={other:?}: expected refuse-cas, fail-after-write or time-out:MS"
                ),
            },
        })
    }
}

pub struct FaultyKv {
    inner: Arc<dyn KvBackend>,
    fault: Fault,
}

impl FaultyKv {
    pub fn new(inner: Arc<dyn KvBackend>, fault: Fault) -> Self {
        Self { inner, fault }
    }

    fn time_out(&self) -> Result<()> {
        match self.fault {
            Fault::TimeOut(wait) => {
                std::thread::sleep(wait);
                Err(anyhow!("timed out waiting for the store"))
            }
            _ => Ok(()),
        }
    }
}

impl KvBackend for FaultyKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.time_out()?;
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.time_out()?;
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<()> {
        self.time_out()?;
        self.inner.delete(key)
    }
    fn list_keys(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        self.time_out()?;
        self.inner.list_keys(after, limit)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<(String, Vec<u8>)>> {
        self.time_out()?;
        self.inner.get_many(keys)
    }
    fn set_many(&self, entries: &[(String, Vec<u8>)]) -> Result<()> {
        self.time_out()?;
        self.inner.set_many(entries)
    }
    fn delete_many(&self, keys: &[String]) -> Result<()> {
        self.time_out()?;
        self.inner.delete_many(keys)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64> {
        self.time_out()?;
        self.inner.increment(key, delta)
    }
    fn swap(&self, key: &str, expected: Option<&[u8]>, value: &[u8]) -> Result<SwapOutcome> {
        self.time_out()?;
        match self.fault {
            Fault::RefuseCas => Ok(SwapOutcome::Conflict(self.inner.get(key)?)),
            Fault::FailAfterWrite => match self.inner.swap(key, expected, value)? {
                SwapOutcome::Swapped => Err(anyhow!("connection reset after the write")),
                conflict => Ok(conflict),
            },
            // Not reached: time_out failed the call above.
            Fault::TimeOut(_) => self.inner.swap(key, expected, value),
        }
    }
    fn describe(&self) -> String {
        format!(
            "{} with injected fault {:?} (tests only)",
            self.inner.describe(),
            self.fault
        )
    }
}
