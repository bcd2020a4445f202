//! Task records: the one place a long piece of work lives between requests.
//!
//! No instance outlives its request, so a task is a record in the key-value store
//! (`task/<id>`) plus, for work whose input is large, numbered parts beside it
//! (`task/<id>/<n>`, written once before the task is announced). Every change of a
//! record is a compare-and-swap of the whole record ([`transition`]): taking the
//! lease that lets one request do the next step, saving the step's checkpoint,
//! cancelling, answering its questions. Two replicas racing for the same record
//! see one swap win and the other re-read, so no change is ever lost or applied
//! on a stale state.

use super::keys::{task as record_key, task_part as part_key};
use super::retry::{Budget, CAS_ATTEMPTS};
use super::{decode, decode_record, encode, StoreError, StoreResult};
use crate::platform::{KeyValue, Swap};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where a task stands (the extension's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Working,
    InputRequired,
    Completed,
    Failed,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Working => "working",
            TaskStatus::InputRequired => "input_required",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// Nothing changes a task in a terminal status any more.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }
}

/// Who may do the next step, until when. A holder that dies simply lets it run
/// out; the next request after `until_ms` takes over and redoes that one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// A random token of the request holding it.
    pub holder: String,
    pub until_ms: u64,
}

/// One task, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRecord {
    pub id: String,
    /// The caller that created it: nobody else can see or change it.
    pub subject: String,
    /// The tool whose work it is (which says how to step it).
    pub tool: String,
    pub status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    /// After `created_at_ms + ttl_ms` the task is gone.
    pub ttl_ms: u64,
    pub poll_interval_ms: u64,
    /// What the work has done so far, in the terms of its kind.
    pub checkpoint: Value,
    /// Steps saved so far: a step is saved once, whoever did it.
    pub steps: u64,
    /// How many input parts sit beside the record.
    #[serde(default)]
    pub parts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// Questions still waiting for an answer, by key.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub input_requests: Map<String, Value>,
    /// Answers received and not yet read by a step, by key.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub input_responses: Map<String, Value>,
    /// The `CallToolResult` of a completed task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// The JSON-RPC error of a failed task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

impl TaskRecord {
    pub fn expires_at_ms(&self) -> u64 {
        self.created_at_ms.saturating_add(self.ttl_ms)
    }

    /// Whether someone else may be doing a step right now.
    pub fn leased_at(&self, now_ms: u64) -> bool {
        self.lease.as_ref().is_some_and(|l| l.until_ms > now_ms)
    }
}

/// Stores the input parts of task `id`, then its record: only once this returns
/// is the task there for any replica (the record names the parts, so it goes
/// last). The id is fresh and random, so the record is written if absent.
pub fn create(kv: &dyn KeyValue, record: &TaskRecord, parts: &[Value]) -> StoreResult<()> {
    if !parts.is_empty() {
        let entries: Vec<(String, Vec<u8>)> = parts
            .iter()
            .enumerate()
            .map(|(n, part)| (part_key(&record.id, n as u32), encode(part)))
            .collect();
        kv.set_many(&entries)?;
    }
    let key = record_key(&record.id);
    let bytes = encode(record);
    let read = kv.cas_read(&key)?;
    if read.current.is_some() {
        return Err(StoreError::Contended { key });
    }
    match kv.cas_swap(read, &bytes)? {
        Swap::Written => Ok(()),
        Swap::Conflict => Err(StoreError::Contended { key }),
    }
}

pub fn load(kv: &dyn KeyValue, id: &str) -> StoreResult<Option<TaskRecord>> {
    let key = record_key(id);
    kv.get(&key)?
        .map(|bytes| decode_record(&key, &bytes))
        .transpose()
}

/// Input part `n` of task `id`.
pub fn part(kv: &dyn KeyValue, id: &str, n: u32) -> StoreResult<Value> {
    let key = part_key(id, n);
    match kv.get(&key)? {
        Some(bytes) => decode(&key, &bytes),
        None => Err(StoreError::NotFound {
            kind: "task part",
            id: format!("{id}/{n}"),
        }),
    }
}

/// Removes a task and its parts (parts first: the record names them).
pub fn remove(kv: &dyn KeyValue, record: &TaskRecord) -> StoreResult<()> {
    for n in 0..record.parts {
        kv.delete(&part_key(&record.id, n))?;
    }
    Ok(kv.delete(&record_key(&record.id))?)
}

/// Removes the input parts of a task that no longer needs them.
pub fn remove_parts(kv: &dyn KeyValue, record: &TaskRecord) -> StoreResult<()> {
    for n in 0..record.parts {
        kv.delete(&part_key(&record.id, n))?;
    }
    Ok(())
}

/// A compare-and-swap change of task `id`: `change` sees the current record and
/// either changes it and says what came of it (`Some`), or leaves it alone
/// (`None`: nothing is written). On a lost race it runs again on the new state.
/// `Ok(None)` when there is no such task; otherwise the record as it now stands,
/// with what `change` said if it was written.
pub fn transition<T>(
    kv: &dyn KeyValue,
    id: &str,
    mut change: impl FnMut(&mut TaskRecord) -> Option<T>,
) -> StoreResult<Option<(TaskRecord, Option<T>)>> {
    let key = record_key(id);
    let mut budget = Budget::new(CAS_ATTEMPTS);
    while budget.attempt() {
        let read = kv.cas_read(&key)?;
        let Some(bytes) = read.current.as_deref() else {
            return Ok(None);
        };
        let mut record: TaskRecord = decode_record(&key, bytes)?;
        let Some(outcome) = change(&mut record) else {
            return Ok(Some((record, None)));
        };
        match kv.cas_swap(read, &encode(&record))? {
            Swap::Written => return Ok(Some((record, Some(outcome)))),
            Swap::Conflict => {}
        }
    }
    Err(StoreError::Contended { key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::memory::MemoryPlatform;
    use crate::platform::Platform;

    fn record(id: &str) -> TaskRecord {
        TaskRecord {
            id: id.into(),
            subject: "me".into(),
            tool: "t".into(),
            status: TaskStatus::Working,
            status_message: None,
            created_at_ms: 1,
            updated_at_ms: 1,
            ttl_ms: 10,
            poll_interval_ms: 1,
            checkpoint: Value::Null,
            steps: 0,
            parts: 2,
            lease: None,
            input_requests: Map::new(),
            input_responses: Map::new(),
            result: None,
            error: None,
        }
    }

    #[test]
    fn a_task_is_created_once_changed_by_swap_and_removed_with_its_parts() {
        let platform = MemoryPlatform::default();
        let kv = platform.kv();
        let parts = [Value::from(1), Value::from(2)];
        create(kv, &record("x"), &parts).unwrap();
        assert!(create(kv, &record("x"), &[]).is_err());
        assert_eq!(part(kv, "x", 1).unwrap(), Value::from(2));
        let (after, said) = transition(kv, "x", |r| {
            r.steps += 1;
            Some("stepped")
        })
        .unwrap()
        .unwrap();
        assert_eq!((after.steps, said), (1, Some("stepped")));
        let (same, said) = transition(kv, "x", |_| None::<()>).unwrap().unwrap();
        assert_eq!((same.steps, said), (1, None));
        assert!(transition(kv, "y", |_| Some(())).unwrap().is_none());
        remove(kv, &same).unwrap();
        assert!(load(kv, "x").unwrap().is_none());
        assert!(part(kv, "x", 0).is_err());
    }
}
