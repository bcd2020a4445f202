//! Idempotency keys: a client that retries a write (after a timeout, a dropped
//! stream, a lost answer) sends the same key, and the write happens once.
//!
//! The key travels in the `_meta` of the `tools/call` request, under
//! [`META_KEY`] (request `_meta` is part of the params in both protocol eras and
//! SDKs let a caller set it; no tool's arguments change, so `tools/list` stays
//! within its size budget). It is honoured by every `climb:write` tool, ignored by
//! read-only tools (they write nothing) and refused by admin tools (their results
//! may carry secrets, which must not be kept for replay).
//!
//! Per caller and key, one entry in the key-value store records the call: a digest
//! of the tool and its arguments, and either a pending marker with a lease or the
//! finished result. The first call takes the entry with compare-and-swap (absent to
//! pending; for a key never used, only the caller elected by the key's creation
//! ticket swaps, since a swap of an absent key is an upsert on Spin's SQLite store:
//! `store::creation`), so of concurrent duplicates on any replicas exactly one runs
//! the tool; the others poll the entry (bounded) until the result is there and
//! answer with it. A call after the first finished gets its stored result; a key
//! reused with other arguments, or for another tool, is refused.
//!
//! Crash safety. A create runs with ids derived from the caller, the key and the
//! call's start time kept in the entry (`store::ids`), so if an instance dies
//! between its write and storing the result, the retry (once the lease has lapsed,
//! keeping that start) writes the same record key, collides with the record already
//! there and returns it: no second record. A key used again after expiry starts
//! anew and derives other ids. Any other write
//! whose pending marker outlived its lease has an unknown outcome, so the retry is
//! refused with that said (read the record, then use a new key) rather than risk
//! writing twice.
//!
//! Expiry without a store TTL (`wasi:keyvalue` has none): every entry carries its
//! time, checked on read; an entry older than [`KEEP_MS`] counts as absent and the
//! next call with that key overwrites it. Entries are small and keyed by caller and
//! key, so an abandoned one costs one small value until an operator clears the
//! `idem/` prefix (documented in docs/protocol.md).
//!
//! Multi-round-trip calls (2026-07-28 `input_required`): an `input_required`
//! answer frees the entry (marks it free, so the key stays one that exists),
//! since nothing has been written yet; the retry that carries the answers runs
//! under the same key and does the one write.

use super::tools::{CallResult, ToolFailure, ToolMeta};
use super::{CatalogError, Ctx};
use crate::identity::Scope;
use crate::platform::{KeyValue, Swap};
use crate::store::creation::Creation;
use crate::store::{decode_record, DerivedIds, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Where a `tools/call` request carries its idempotency key: `params._meta`.
pub const META_KEY: &str = "io.climbing-mcp/idempotencyKey";
/// Longest key accepted (a UUID is 36 characters).
pub const MAX_KEY_LEN: usize = 128;
/// How long a finished call's result is kept for replay: 24 hours.
pub const KEEP_MS: u64 = 24 * 60 * 60 * 1000;
/// How long a running call holds its key before a retry may take over.
pub const LEASE_MS: u64 = 60 * 1000;
/// How long a duplicate waits for the running call's result before giving up.
pub const WAIT_MS: u64 = 10 * 1000;
/// Pause between two looks at a running call's entry.
const POLL_MS: u64 = 25;
/// How long a caller that lost the election of a new key's creator waits for the
/// creator's entry before creating it itself (`store::creation`): longer than a
/// store's own retries of one write take (a locked SQLite file: 0.8 s), as the
/// wait ends early only for a creator that died or an entry deleted since.
const CREATOR_WAIT_MS: u64 = 2_000;
/// Lost compare-and-swap races tolerated before reporting store trouble.
const SWAP_ATTEMPTS: usize = 16;

/// The idempotency key of a `tools/call` for `meta`, when it has one that counts.
pub fn requested_key(meta: &ToolMeta, params: &Value) -> Result<Option<String>, CatalogError> {
    let Some(raw) = params.get("_meta").and_then(|m| m.get(META_KEY)) else {
        return Ok(None);
    };
    if meta.annotations.read_only {
        return Ok(None);
    }
    if meta.scope == Scope::Admin {
        return Err(CatalogError::invalid(format!(
            "{}: admin tools take no idempotency key ({META_KEY}); their results are not kept",
            meta.name
        )));
    }
    let Value::String(key) = raw else {
        return Err(bad_key("it must be a string"));
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(bad_key(&format!(
            "it must be 1 to {MAX_KEY_LEN} characters long, not {}",
            key.chars().count()
        )));
    }
    if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.:~".contains(&b))
    {
        return Err(bad_key(
            "it may hold only ASCII letters, digits and - _ . : ~ (a UUID will do)",
        ));
    }
    Ok(Some(key.clone()))
}

fn bad_key(why: &str) -> CatalogError {
    CatalogError::InvalidParams {
        message: format!("invalid idempotency key in _meta[\"{META_KEY}\"]: {why}"),
        data: Some(serde_json::json!({ "field": format!("_meta.{META_KEY}") })),
    }
}

/// A digest of the call a key stands for: the tool and its arguments, with object
/// members in sorted order so equal arguments digest alike however they are
/// written.
pub fn digest(tool: &str, arguments: &Value) -> String {
    let mut canonical = String::from(tool);
    canonical.push('\n');
    write_canonical(&mut canonical, arguments);
    hex(&hmac_sha256::Hash::hash(canonical.as_bytes())[..16])
}

fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<_> = map.iter().collect();
            crate::ordering::sort_by(&mut members, |a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (name, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                write_canonical(out, member);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One caller's key: where its entry lives and the seed of its derived ids. The
/// subject is part of both, so equal keys of two callers never meet.
struct Slot {
    store_key: String,
    seed: [u8; 32],
}

impl Slot {
    /// The ids of the call that started at `started_ms`: a retry taking over a
    /// dead attempt uses that attempt's start, so it draws the same ids; a key used
    /// again after its entry expired starts anew, so it draws others.
    fn ids(&self, started_ms: u64) -> DerivedIds {
        let mut input = self.seed.to_vec();
        input.extend_from_slice(&started_ms.to_be_bytes());
        DerivedIds::new(hmac_sha256::Hash::hash(&input))
    }
}

impl Slot {
    fn of(subject: &str, key: &str) -> Self {
        let mut input = Vec::with_capacity(subject.len() + key.len() + 16);
        input.extend_from_slice(b"idempotency\0");
        input.extend_from_slice(subject.as_bytes());
        input.push(0);
        input.extend_from_slice(key.as_bytes());
        let seed = hmac_sha256::Hash::hash(&input);
        Self {
            store_key: format!("idem/{}", hex(&seed[..16])),
            seed,
        }
    }
}

/// What the store keeps for a key.
#[derive(Serialize, Deserialize, PartialEq, Clone)]
struct Entry {
    /// Digest of the tool and arguments ([`digest`]).
    #[serde(rename = "d")]
    digest: String,
    /// When the call started (its derived ids come from this too); kept when
    /// it finishes, so expiry counts from the start.
    #[serde(rename = "t")]
    at_ms: u64,
    /// Pending: until when the running call holds the key.
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    lease_until_ms: Option<u64>,
    /// Finished: the whole `CallToolResult`, serialized.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    result: Option<String>,
    /// The result was built as JSON (a refusal, an extension tool's result), so
    /// the protocol layer decorates it as such again.
    #[serde(rename = "j", default, skip_serializing_if = "std::ops::Not::not")]
    json: bool,
    /// Released: the call wrote nothing, so the key is free for a new call. Kept
    /// rather than deleted, since only a key that exists is taken by a real
    /// compare-and-swap on every store.
    #[serde(rename = "f", default, skip_serializing_if = "std::ops::Not::not")]
    free: bool,
}

impl Entry {
    /// The stored result, in the shape the tool first gave it.
    fn replay(result: String, json: bool) -> CallResult {
        match json {
            true => CallResult::Json(serde_json::from_str(&result).unwrap_or(Value::Null)),
            false => CallResult::Serialized(result),
        }
    }

    fn expired(&self, now: u64) -> bool {
        now.saturating_sub(self.at_ms) > KEEP_MS
    }
}

fn store_trouble(e: crate::platform::KvError) -> ToolFailure {
    ToolFailure::from(StoreError::from(e))
}

/// Runs `run` once for this caller's `key`: the first call runs it (with ids
/// derived from the key), duplicates and retries get its result.
pub fn run_once(
    ctx: &Ctx,
    meta: &ToolMeta,
    key: &str,
    digest: String,
    run: impl FnOnce(Rc<DerivedIds>) -> Result<CallResult, ToolFailure>,
) -> Result<CallResult, ToolFailure> {
    let slot = Slot::of(&ctx.caller.subject, key);
    let kv = ctx.platform.kv();
    let creates =
        meta.scope == Scope::Write && !meta.annotations.destructive && !meta.annotations.idempotent;
    // The wait is timed on this instance's monotonic clock; leases on the wall
    // clock, which all replicas share.
    let wait_until = Instant::now() + Duration::from_millis(WAIT_MS);
    let mut swaps = 0;
    let mut creation = Creation::of(&slot.store_key);
    loop {
        let read = kv.cas_read(&slot.store_key).map_err(store_trouble)?;
        let now = ctx.platform.now_ms();
        // An entry that does not decode is no call of ours: overwritten.
        let entry = read
            .current
            .as_deref()
            .and_then(|bytes| decode_record::<Entry>(&slot.store_key, bytes).ok())
            .filter(|e| !e.expired(now) && !e.free);
        // Reaching the end of this match means the call is ours to run, from
        // `started_ms`: a new call, or a create whose runner died (it reruns safely,
        // its derived ids find what the earlier attempt wrote).
        let started_ms = match entry {
            Some(e) if e.digest != digest => {
                return Err(ToolFailure::Refused(format!(
                    "this idempotency key was already used for a different call (another \
                     tool or other arguments) in the last 24 hours; use a new key for a new \
                     call, and the same key only to retry the very same {} call",
                    meta.name
                )))
            }
            Some(Entry {
                result: Some(result),
                json,
                ..
            }) => return Ok(Entry::replay(result, json)),
            Some(Entry {
                lease_until_ms: Some(lease),
                ..
            }) if lease > now => {
                if Instant::now() >= wait_until {
                    return Err(ToolFailure::Refused(format!(
                        "a {} call with this idempotency key is still running; retry with \
                         the same key in a few seconds to get its result",
                        meta.name
                    )));
                }
                // As the store's own retry loops do: WASI clocks back the sleep.
                std::thread::sleep(Duration::from_millis(POLL_MS));
                continue;
            }
            Some(Entry { at_ms, .. }) if creates => at_ms,
            Some(_) => {
                return Err(ToolFailure::Refused(format!(
                    "an earlier {} call with this idempotency key was interrupted and whether \
                     it wrote is unknown; read the record to see, then use a new key if the \
                     change is still wanted",
                    meta.name
                )))
            }
            // Absent, expired or freed: a new call.
            None => now,
        };
        // A key never written is created by one elected caller (a swap of an
        // absent key elects no one on every store); the others read it again.
        if read.current.is_none()
            && !creation
                .may_create(kv, Duration::from_millis(CREATOR_WAIT_MS))
                .map_err(store_trouble)?
        {
            std::thread::sleep(Duration::from_millis(POLL_MS));
            continue;
        }
        let pending = Entry {
            digest: digest.clone(),
            at_ms: started_ms,
            lease_until_ms: Some(now + LEASE_MS),
            result: None,
            json: false,
            free: false,
        };
        let bytes = serde_json::to_vec(&pending).unwrap_or_default();
        match kv.cas_swap(read, &bytes).map_err(store_trouble)? {
            Swap::Written => {}
            Swap::Conflict => {
                swaps += 1;
                if swaps >= SWAP_ATTEMPTS {
                    return Err(ToolFailure::Protocol(CatalogError::Internal(
                        "the idempotency entry kept changing under us; retry with the same key"
                            .into(),
                    )));
                }
                continue;
            }
        }
        // A takeover starts from the dead attempt's start, which is always before
        // now (that attempt's lease ran out since).
        let ids = slot.ids(started_ms);
        let ids = if started_ms == now {
            ids
        } else {
            ids.resuming()
        };
        let outcome = run(Rc::new(ids));
        let (result, json, answer) = match outcome {
            // A typed tool asking for input (see below).
            Err(ToolFailure::InputRequired(value)) => {
                release(kv, &slot, &pending);
                return Ok(CallResult::Json(value));
            }
            Ok(CallResult::Json(value))
                if value.get("resultType").and_then(Value::as_str) == Some("input_required") =>
            {
                // Nothing is written before the answers come: the key is free for
                // the retry that brings them.
                release(kv, &slot, &pending);
                return Ok(CallResult::Json(value));
            }
            Ok(CallResult::Json(value)) => (value.to_string(), true, CallResult::Json(value)),
            Ok(CallResult::Serialized(text)) => (text.clone(), false, CallResult::Serialized(text)),
            Err(ToolFailure::Refused(message)) => {
                let value = super::tools::error_result(message);
                (value.to_string(), true, CallResult::Json(value))
            }
            Err(ToolFailure::Protocol(e)) => {
                // Store trouble: a create may rerun at once, with the same ids (its
                // lease is given up, its start kept); for any other write the
                // marker stays, as whether it wrote is unknown.
                if creates {
                    let lapsed = Entry {
                        lease_until_ms: Some(now),
                        ..pending.clone()
                    };
                    replace_ours(kv, &slot, &pending, &lapsed);
                }
                return Err(ToolFailure::Protocol(e));
            }
        };
        let done = Entry {
            lease_until_ms: None,
            result: Some(result),
            json,
            ..pending.clone()
        };
        replace_ours(kv, &slot, &pending, &done);
        return Ok(answer);
    }
}

/// Replaces our pending marker by `next` (the result, or a lapsed lease), unless
/// another attempt has taken the key over since. A failure here is not the
/// caller's: the write is done and its answer goes out; a retry then finds the
/// marker (see the module documentation for what it does with it).
fn replace_ours(kv: &dyn KeyValue, slot: &Slot, pending: &Entry, next: &Entry) {
    let bytes = serde_json::to_vec(next).unwrap_or_default();
    for _ in 0..SWAP_ATTEMPTS {
        let Ok(read) = kv.cas_read(&slot.store_key) else {
            continue;
        };
        let ours = read
            .current
            .as_deref()
            .and_then(|b| decode_record::<Entry>(&slot.store_key, b).ok())
            .is_some_and(|e| e == *pending);
        if !ours {
            return;
        }
        if let Ok(Swap::Written) = kv.cas_swap(read, &bytes) {
            return;
        }
    }
}

/// Frees the key for a new call (this one wrote nothing).
fn release(kv: &dyn KeyValue, slot: &Slot, pending: &Entry) {
    let free = Entry {
        lease_until_ms: None,
        free: true,
        ..pending.clone()
    };
    replace_ours(kv, slot, pending, &free);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_ignore_member_order_and_tell_tools_and_arguments_apart() {
        let a = serde_json::json!({"name": "x", "grade": {"v": 1, "s": "yds"}});
        let b = serde_json::json!({"grade": {"s": "yds", "v": 1}, "name": "x"});
        assert_eq!(digest("create_climb", &a), digest("create_climb", &b));
        assert_ne!(digest("create_climb", &a), digest("create_area", &a));
        let c = serde_json::json!({"name": "y", "grade": {"v": 1, "s": "yds"}});
        assert_ne!(digest("create_climb", &a), digest("create_climb", &c));
    }

    use crate::identity::Caller;
    use crate::platform::memory::{Fault, MemoryPlatform};
    use crate::platform::KeyValue;
    use serde_json::json;

    fn ctx<'p>(p: &'p MemoryPlatform, subject: &str) -> Ctx<'p> {
        Ctx::new(
            p,
            Caller {
                subject: subject.into(),
                scopes: vec![Scope::Read, Scope::Write],
            },
        )
    }

    fn call(ctx: &Ctx, tool: &str, args: Value, key: Option<&str>) -> Value {
        let mut params = json!({"name": tool, "arguments": args});
        if let Some(k) = key {
            params["_meta"] = json!({ META_KEY: k });
        }
        super::super::tools::call(ctx, &params)
            .unwrap()
            .into_value()
    }

    fn climbs(p: &MemoryPlatform) -> usize {
        p.kv.keys().iter().filter(|k| k.starts_with("c/")).count()
    }

    /// A crag to put climbs in, and the arguments of a climb there.
    fn crag(ctx: &Ctx) -> Value {
        let land = call(
            ctx,
            "create_area",
            json!({"name": "Land", "kind": "country"}),
            None,
        );
        let crag = call(
            ctx,
            "create_area",
            json!({"name": "Crag", "kind": "crag", "parent_id": land["structuredContent"]["id"]}),
            None,
        );
        json!({"name": "Line", "area_id": crag["structuredContent"]["id"],
               "grades": {"french": "7a"}, "disciplines": ["sport"]})
    }

    #[test]
    fn a_retried_create_returns_the_first_answer_and_writes_once() {
        let p = MemoryPlatform::default();
        let alice = ctx(&p, "alice");
        let climb = crag(&alice);
        let first = call(&alice, "create_climb", climb.clone(), Some("k-1"));
        assert_eq!(first["isError"], false, "{first}");
        let again = call(&alice, "create_climb", climb.clone(), Some("k-1"));
        assert_eq!(first, again);
        assert_eq!(climbs(&p), 1);
        // Without a key, every call creates.
        call(&alice, "create_climb", climb.clone(), None);
        assert_eq!(climbs(&p), 2);
        // The same key with other arguments, or for another tool, is refused.
        let mut other = climb.clone();
        other["name"] = "Other line".into();
        let refused = call(&alice, "create_climb", other, Some("k-1"));
        assert_eq!(refused["isError"], true);
        assert!(refused["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("different call"));
        assert_eq!(climbs(&p), 2);
        // Another caller's equal key is another key.
        let bob = ctx(&p, "bob");
        let bobs = call(&bob, "create_climb", climb.clone(), Some("k-1"));
        assert_eq!(bobs["isError"], false, "{bobs}");
        assert_ne!(
            bobs["structuredContent"]["id"],
            first["structuredContent"]["id"]
        );
        assert_eq!(climbs(&p), 3);
        // A day later the key is free again: a new call, a new climb.
        p.now_ms.set(p.now_ms.get() + KEEP_MS + 1);
        let later = call(&alice, "create_climb", climb, Some("k-1"));
        assert_eq!(later["isError"], false, "{later}");
        assert_ne!(
            later["structuredContent"]["id"],
            first["structuredContent"]["id"]
        );
        assert_eq!(climbs(&p), 4);
    }

    /// An instance dies after its create and before storing the result: the
    /// retry, once the lease has lapsed, finds the record by its derived id.
    #[test]
    fn a_create_interrupted_before_its_result_is_not_repeated() {
        let p = MemoryPlatform::default();
        let alice = ctx(&p, "alice");
        let climb = crag(&alice);
        let first = call(&alice, "create_climb", climb.clone(), Some("crash"));
        let slot = Slot::of("alice", "crash");
        let stale = Entry {
            digest: digest("create_climb", &climb),
            at_ms: p.now_ms.get(),
            lease_until_ms: Some(p.now_ms.get() + LEASE_MS),
            result: None,
            json: false,
            free: false,
        };
        p.kv.set(&slot.store_key, &serde_json::to_vec(&stale).unwrap())
            .unwrap();
        p.now_ms.set(p.now_ms.get() + LEASE_MS + 1);
        let retry = call(&alice, "create_climb", climb, Some("crash"));
        assert_eq!(retry["isError"], false, "{retry}");
        assert_eq!(
            retry["structuredContent"]["id"],
            first["structuredContent"]["id"]
        );
        assert_eq!(retry["structuredContent"]["name"], "Line");
        assert_eq!(climbs(&p), 1);
        // Listed once.
        let area = &first["structuredContent"]["area_id"];
        let listed = call(&alice, "list_climbs", json!({"area_id": area}), None);
        assert_eq!(
            listed["structuredContent"]["items"]
                .as_array()
                .unwrap()
                .len(),
            1,
            "{listed}"
        );
    }

    /// Any other write interrupted that way has an unknown outcome: refused.
    #[test]
    fn an_interrupted_update_is_refused_not_repeated() {
        let p = MemoryPlatform::default();
        let alice = ctx(&p, "alice");
        let climb = crag(&alice);
        let created = call(&alice, "create_climb", climb, None);
        let id = created["structuredContent"]["id"].clone();
        let args = json!({"id": id, "changes": {"name": "Renamed"}});
        let slot = Slot::of("alice", "u-1");
        let stale = Entry {
            digest: digest("update_climb", &args),
            at_ms: p.now_ms.get(),
            lease_until_ms: Some(p.now_ms.get() + 10),
            result: None,
            json: false,
            free: false,
        };
        p.kv.set(&slot.store_key, &serde_json::to_vec(&stale).unwrap())
            .unwrap();
        p.now_ms.set(p.now_ms.get() + 11);
        let r = call(&alice, "update_climb", args.clone(), Some("u-1"));
        assert_eq!(r["isError"], true, "{r}");
        assert!(
            r["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("interrupted"),
            "{r}"
        );
        // A finished update replays; an expired entry frees the key.
        let done = call(&alice, "update_climb", args.clone(), Some("u-2"));
        assert_eq!(done["isError"], false, "{done}");
        assert_eq!(
            call(&alice, "update_climb", args.clone(), Some("u-2")),
            done
        );
        p.now_ms.set(p.now_ms.get() + KEEP_MS + 1);
        let r = call(&alice, "update_climb", args, Some("u-1"));
        assert_eq!(r["isError"], false, "{r}");
    }

    /// Two duplicates that both read a new key as absent, on a store whose swap of
    /// an absent key is an upsert (Spin's SQLite): the second caller's steps run
    /// between the first one's read and its next step. One update runs; both get
    /// its answer.
    #[test]
    fn duplicates_that_both_find_a_new_key_absent_run_once_on_an_upserting_store() {
        let p = std::rc::Rc::new(MemoryPlatform::default());
        let alice = ctx(&p, "alice");
        let created = call(&alice, "create_climb", crag(&alice), None);
        let id = created["structuredContent"]["id"].clone();
        let args = json!({"id": id, "changes": {"name": "Renamed"}});
        p.kv.fault.set(Fault::UpsertAbsent);
        let slot = Slot::of("alice", "rename-1");
        let (other, other_args) = (p.clone(), args.clone());
        let other_answer = std::rc::Rc::new(std::cell::RefCell::new(Value::Null));
        let answer_out = other_answer.clone();
        *p.kv.interleave.borrow_mut() = Some((
            slot.store_key.clone(),
            Box::new(move || {
                let bob = ctx(&other, "alice");
                *answer_out.borrow_mut() = call(&bob, "update_climb", other_args, Some("rename-1"));
            }),
        ));
        let answer = call(&alice, "update_climb", args, Some("rename-1"));
        assert_eq!(answer["isError"], false, "{answer}");
        assert_eq!(answer, *other_answer.borrow());
        assert_eq!(answer["structuredContent"]["version"], 2, "{answer}");
        let read = call(&alice, "get_climb", json!({"id": id}), None);
        assert_eq!(read["structuredContent"]["version"], 2, "{read}");
    }

    /// An `input_required` answer frees the key without deleting it (a key that
    /// exists is taken by a real swap on every store): the retry runs the call.
    #[test]
    fn a_freed_key_runs_the_next_call() {
        let p = MemoryPlatform::default();
        let alice = ctx(&p, "alice");
        let climb = crag(&alice);
        let slot = Slot::of("alice", "freed");
        let free = Entry {
            digest: digest("create_climb", &json!({"other": true})),
            at_ms: p.now_ms.get(),
            lease_until_ms: None,
            result: None,
            json: false,
            free: true,
        };
        p.kv.set(&slot.store_key, &serde_json::to_vec(&free).unwrap())
            .unwrap();
        let first = call(&alice, "create_climb", climb.clone(), Some("freed"));
        assert_eq!(first["isError"], false, "{first}");
        assert_eq!(call(&alice, "create_climb", climb, Some("freed")), first);
        assert_eq!(climbs(&p), 1);
    }

    #[test]
    fn bad_keys_are_refused_with_why() {
        let p = MemoryPlatform::default();
        let alice = ctx(&p, "alice");
        let long = "k".repeat(MAX_KEY_LEN + 1);
        for bad in [
            json!(""),
            json!(long),
            json!("a b"),
            json!("ключ"),
            json!(7),
        ] {
            let params = json!({"name": "create_area", "arguments": {"name": "X", "kind": "country"},
                                "_meta": { META_KEY: bad }});
            match super::super::tools::call(&alice, &params) {
                Err(CatalogError::InvalidParams { message, .. }) => {
                    assert!(message.contains("invalid idempotency key"), "{message}")
                }
                _ => panic!("{bad} was accepted"),
            }
        }
        // Read-only tools ignore a key; a key at its longest is fine.
        let ok = json!({"name": "list_areas", "arguments": {}, "_meta": { META_KEY: 7 }});
        assert!(super::super::tools::call(&alice, &ok).is_ok());
        let longest = "k".repeat(MAX_KEY_LEN);
        let r = call(
            &alice,
            "create_area",
            json!({"name": "X", "kind": "country"}),
            Some(&longest),
        );
        assert_eq!(r["isError"], false, "{r}");
    }

    #[test]
    fn keys_are_per_caller() {
        assert_ne!(
            Slot::of("alice", "k1").store_key,
            Slot::of("bob", "k1").store_key
        );
        assert_ne!(Slot::of("alice", "k1").seed, Slot::of("alice", "k2").seed);
        let (a, b) = (Slot::of("alice", "k1"), Slot::of("alice", "k1"));
        assert_eq!(a.ids(5).next(), b.ids(5).next());
        assert_ne!(a.ids(5).next(), b.ids(6).next());
    }
}
