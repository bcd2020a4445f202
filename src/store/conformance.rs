//! A short conformance check of the live key-value store: does it do what the
//! store layer relies on? Run by the `check_store` admin tool (and so by
//! `climbing-host doctor`), because what a backend promises is what its code does:
//! Spin 4.0.2's Redis key-value backend reports committed swaps as failures and
//! cannot batch-read, and nobody should learn that from lost data.
//!
//! Every check works on its own fresh keys under `s/check/<run>/` and deletes them.

use crate::platform::{KeyValue, KvError, Swap};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct Check {
    pub name: &'static str,
    pub passed: bool,
    /// Whether the server's correctness depends on it (else it is a warning).
    pub required: bool,
    /// What was seen, and on failure what it means for the data.
    pub detail: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct StoreReport {
    /// False when any check failed: writes through this store may be lost or
    /// duplicated, so do not use it until it is fixed.
    pub safe: bool,
    pub verdict: String,
    pub checks: Vec<Check>,
}

/// Runs every check with keys under `s/check/<run>/`.
pub fn check(kv: &dyn KeyValue, run: &str) -> StoreReport {
    let base = format!("s/check/{run}");
    let checks = vec![
        outcome(
            "compare_and_swap_detects_conflicts",
            true,
            cas_conflict(kv, &format!("{base}/cas")),
        ),
        // Spin's SQLite store fails this one, and the server does not depend on it:
        // new index pages, the cursor key, a new idempotency entry and a list
        // entry's first claim are elected with increments (`store::creation`), and
        // record ids are random. A warning, then.
        outcome(
            "compare_and_swap_of_an_absent_key",
            false,
            cas_absent(kv, &format!("{base}/new")),
        ),
        outcome(
            "increments_are_unique",
            true,
            increments(kv, &format!("{base}/counter")),
        ),
        outcome("batch_reads_match_keys", true, batch(kv, &base)),
    ];
    for suffix in ["cas", "new", "counter", "b1", "b2"] {
        let _ = kv.delete(&format!("{base}/{suffix}"));
    }
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| c.required && !c.passed)
        .map(|c| c.name)
        .collect();
    let safe = failed.is_empty();
    let verdict = if safe {
        "the store is safe: compare-and-swap, increments and batch reads behave as this server needs".into()
    } else {
        format!(
            "UNSAFE: this store fails {}; writes through it can be lost or reported wrongly. \
             Do not use it (see docs/operations.md for the backends that are safe).",
            failed.join(", ")
        )
    };
    StoreReport {
        safe,
        verdict,
        checks,
    }
}

fn outcome(name: &'static str, required: bool, result: Result<String, String>) -> Check {
    let passed = result.is_ok();
    let detail = result.unwrap_or_else(|e| e);
    Check {
        name,
        passed,
        required,
        detail,
    }
}

fn kv_failed(what: &str) -> impl Fn(KvError) -> String + '_ {
    move |e| format!("{what} failed: {e}")
}

/// Two readers of one value; the first swap must win, the second must be refused.
fn cas_conflict(kv: &dyn KeyValue, key: &str) -> Result<String, String> {
    kv.set(key, b"v0").map_err(kv_failed("set"))?;
    let first = kv.cas_read(key).map_err(kv_failed("cas read"))?;
    let second = kv.cas_read(key).map_err(kv_failed("cas read"))?;
    let won = kv.cas_swap(first, b"v1");
    let stored = kv.get(key).map_err(kv_failed("get"))?;
    match (&won, stored.as_deref()) {
        (Ok(Swap::Written), Some(b"v1")) => {}
        (Ok(Swap::Written), other) => {
            return Err(format!(
                "a swap reported success but the key holds {other:?}: writes are lost"
            ))
        }
        (_, Some(b"v1")) => {
            return Err(format!(
                "a swap wrote its value but reported {won:?}: every update is stored yet \
                 answered as a failure (Spin 4.0.2's Redis key-value backend does this)"
            ))
        }
        (_, _) => {
            return Err(format!(
                "an uncontended swap did not write (answered {won:?})"
            ))
        }
    }
    match kv.cas_swap(second, b"v2") {
        Ok(Swap::Conflict) => {}
        other => {
            let now = kv.get(key).ok().flatten();
            return Err(format!(
                "a swap against a stale read was answered {other:?} and the key now holds \
                 {now:?}: concurrent updates overwrite each other (lost updates)"
            ));
        }
    }
    match kv.get(key).map_err(kv_failed("get"))?.as_deref() {
        Some(b"v1") => Ok("a stale swap was refused and the first write kept".into()),
        other => Err(format!("after a refused swap the key holds {other:?}")),
    }
}

/// Creating by compare-and-swap: a second creator must be refused.
fn cas_absent(kv: &dyn KeyValue, key: &str) -> Result<String, String> {
    kv.delete(key).map_err(kv_failed("delete"))?;
    let first = kv.cas_read(key).map_err(kv_failed("cas read"))?;
    let second = kv.cas_read(key).map_err(kv_failed("cas read"))?;
    if first.current.is_some() {
        return Err("a deleted key still reads as present".into());
    }
    let won = kv.cas_swap(first, b"a");
    if kv.get(key).map_err(kv_failed("get"))?.as_deref() != Some(b"a") {
        return Err(format!(
            "creating an absent key by swap did not write ({won:?})"
        ));
    }
    match kv.cas_swap(second, b"b") {
        Ok(Swap::Conflict) => Ok("a second creator of one key was refused".into()),
        other => Err(format!(
            "a second creator of one key was answered {other:?}: a swap of an absent key \
             is a plain overwrite on this store"
        )),
    }
}

fn increments(kv: &dyn KeyValue, key: &str) -> Result<String, String> {
    const N: i64 = 16;
    kv.delete(key).map_err(kv_failed("delete"))?;
    for expected in 1..=N {
        let got = kv.increment(key, 1).map_err(kv_failed("increment"))?;
        if got != expected {
            return Err(format!(
                "increment number {expected} returned {got}: counters are not exact"
            ));
        }
    }
    match kv.increment(key, -N).map_err(kv_failed("increment"))? {
        0 => Ok(format!("{N} increments returned 1..{N}, each once")),
        other => Err(format!("adding -{N} after {N} increments gave {other}")),
    }
}

fn batch(kv: &dyn KeyValue, base: &str) -> Result<String, String> {
    let (b1, b2, missing) = (
        format!("{base}/b1"),
        format!("{base}/b2"),
        format!("{base}/absent"),
    );
    kv.set(&b1, b"one").map_err(kv_failed("set"))?;
    kv.set(&b2, b"two").map_err(kv_failed("set"))?;
    let three = kv
        .get_many(&[b2.clone(), missing, b1.clone()])
        .map_err(kv_failed("a batch read of 3 keys"))?;
    if three != [Some(b"two".to_vec()), None, Some(b"one".to_vec())] {
        return Err(format!(
            "a batch read of [present, absent, present] returned {three:?}"
        ));
    }
    let one = kv
        .get_many(std::slice::from_ref(&b1))
        .map_err(kv_failed("a batch read of 1 key"))?;
    if one != [Some(b"one".to_vec())] {
        return Err(format!("a batch read of one key returned {one:?}"));
    }
    Ok("batch reads of 1 and 3 keys (one absent) answered in key order".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::memory::{Fault, MemoryKv};

    #[test]
    fn a_correct_store_passes_and_leaves_no_keys() {
        let kv = MemoryKv::default();
        let report = check(&kv, "r1");
        assert!(report.safe, "{report:?}");
        assert!(kv.keys().is_empty(), "{:?}", kv.keys());
    }

    #[test]
    fn stores_that_lose_or_misreport_swaps_are_called_unsafe() {
        for fault in [Fault::RefuseEveryCas, Fault::FailAfterWrite] {
            let kv = MemoryKv::default();
            kv.fault.set(fault);
            let report = check(&kv, "r1");
            assert!(!report.safe, "{fault:?}");
            assert!(report.verdict.starts_with("UNSAFE"), "{}", report.verdict);
            assert!(
                !report.checks[0].passed,
                "{fault:?}: {:?}",
                report.checks[0]
            );
        }
    }

    #[test]
    fn a_store_that_does_not_answer_is_unsafe_with_the_error() {
        let kv = MemoryKv::default();
        kv.fault
            .set(Fault::TimeOut(std::time::Duration::from_millis(1)));
        let report = check(&kv, "r1");
        assert!(!report.safe);
        assert!(report.checks.iter().all(|c| c.detail.contains("timed out")));
    }
}
