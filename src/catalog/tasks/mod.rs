//! The Tasks extension (`io.modelcontextprotocol/tasks`, protocol 2026-07-28):
//! long work that outlives the request that asked for it, on a server where
//! nothing does.
//!
//! A tool whose work is a task ([`Runner::Task`](super::tools::Runner::Task))
//! names a [`TaskKind`]: `start` checks the arguments and gives the first
//! checkpoint (and any large input, kept as parts), `step` does one bounded piece
//! of work from a checkpoint to the next, `finish` makes the tool's result from
//! the last. A `tools/call` from a client that declared the extension stores the
//! task ([`crate::store::tasks`]) and answers `resultType: "task"` once it is
//! durable. Each `tasks/get`, on any replica, takes the task's lease with
//! compare-and-swap, does the next step, saves its checkpoint and gives the lease
//! back: two replicas never do the same step at once, and an instance killed
//! mid-step loses that step only (the lease runs out, the next poll redoes it;
//! kinds make their writes safe to redo). A client that did not declare the
//! extension gets the whole work done within its request (or, for a kind that
//! requires tasks, -32021).

pub mod bulk_import;

use super::tools::{error_result, Runner, ToolFailure};
use super::{CatalogError, CatalogResult, Ctx};
use crate::climbing::dates::timestamp_of_ms;
use crate::store::tasks::{self as records, Lease, TaskRecord, TaskStatus};
use serde_json::{json, Map, Value};

/// The extension's name, under `capabilities.extensions`.
pub const EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// How long one request holds a task's lease: well beyond the time a step may
/// take ([`STEP_BUDGET_MS`]), so a live holder never loses it, and short enough
/// that a dead holder's step is redone soon.
pub const LEASE_MS: u64 = 10_000;

/// How long one step should work before it saves its checkpoint.
pub const STEP_BUDGET_MS: u64 = 2_000;

/// Most steps a call without the extension runs within its own request.
const MAX_INLINE_STEPS: usize = 100_000;

/// One kind of long work.
pub struct TaskKind {
    /// Checks the arguments: the work to do, or an answer without a task.
    pub start: fn(&Ctx, Value) -> Result<Start, ToolFailure>,
    /// One bounded step from a checkpoint.
    pub step: fn(&StepCtx, Value) -> Result<Step, ToolFailure>,
    /// The tool's `CallToolResult`, from the checkpoint of the last step.
    pub finish: fn(&StepCtx, Value) -> Result<Value, ToolFailure>,
    /// How long the task stays readable after it was created.
    pub ttl_ms: u64,
    /// How often a client should poll.
    pub poll_interval_ms: u64,
    /// Refuse calls without the extension (-32021) instead of running the work
    /// within the request.
    pub required: bool,
}

/// What `start` makes of a call.
pub enum Start {
    /// Run as a task from `checkpoint`; `parts` is input kept beside the task
    /// record (read back with [`StepCtx::part`]).
    Task {
        checkpoint: Value,
        parts: Vec<Value>,
    },
    /// A result without a task (an `input_required` round, a refusal).
    Answer(Value),
}

/// What one step did.
pub enum Step {
    /// Saved; more to do from `checkpoint`.
    Continue {
        checkpoint: Value,
        message: Option<String>,
    },
    /// Nothing to do yet (waiting for time to pass): nothing is saved.
    Wait,
    /// Needs the client's answers to `requests` (by key) before it goes on.
    Ask {
        checkpoint: Value,
        requests: Map<String, Value>,
    },
    /// The work is done; `finish` makes the result from `checkpoint`.
    Done { checkpoint: Value },
}

/// What a step may use beyond the request.
pub struct StepCtx<'a, 'p> {
    pub ctx: &'a Ctx<'p>,
    /// The task's id (an id made for the call when it runs within its request).
    pub task_id: &'a str,
    /// The answers to the last [`Step::Ask`], by key.
    pub answers: &'a Map<String, Value>,
    /// When the step began.
    pub started_ms: u64,
    parts: Parts<'a>,
}

enum Parts<'a> {
    Stored,
    Inline(&'a [Value]),
}

impl StepCtx<'_, '_> {
    /// Input part `n` given by `start`.
    pub fn part(&self, n: u32) -> Result<Value, ToolFailure> {
        match &self.parts {
            Parts::Inline(parts) => parts.get(n as usize).cloned().ok_or_else(|| {
                ToolFailure::Protocol(CatalogError::Internal(format!("no input part {n}")))
            }),
            Parts::Stored => Ok(records::part(self.ctx.platform.kv(), self.task_id, n)?),
        }
    }

    /// A seed that is the same whenever the `n`th unit of this task's work is
    /// done again (for ids that make a redone write find its first attempt).
    pub fn seed(&self, n: u64) -> [u8; 32] {
        let mut input = Vec::with_capacity(self.task_id.len() + 9);
        input.extend_from_slice(self.task_id.as_bytes());
        input.push(b'/');
        input.extend_from_slice(&n.to_be_bytes());
        hmac_sha256::Hash::hash(&input)
    }

    /// Whether the step has used its time and should save where it is.
    pub fn out_of_time(&self) -> bool {
        self.ctx.platform.now_ms().saturating_sub(self.started_ms) >= STEP_BUDGET_MS
    }
}

/// Whether this request declared the extension (per request, in the 2026-07-28
/// client capabilities).
pub fn negotiated(ctx: &Ctx) -> bool {
    ctx.client_capabilities
        .get("extensions")
        .and_then(|e| e.get(EXTENSION))
        .is_some()
}

fn missing_extension(what: &str) -> CatalogError {
    CatalogError::MissingCapability {
        required: json!({ "extensions": { EXTENSION: {} } }),
        message: format!(
            "Missing required client capability: {what} needs the {EXTENSION} extension; declare it in _meta[\"io.modelcontextprotocol/clientCapabilities\"].extensions"
        ),
    }
}

/// `tools/call` of a task tool.
pub fn call(
    ctx: &Ctx,
    tool: &'static str,
    kind: &TaskKind,
    arguments: Value,
) -> Result<Value, ToolFailure> {
    let as_task = negotiated(ctx);
    if !as_task && kind.required {
        return Err(ToolFailure::Protocol(missing_extension(&format!(
            "the tool {tool}"
        ))));
    }
    let (checkpoint, parts) = match (kind.start)(ctx, arguments)? {
        Start::Answer(result) => return Ok(result),
        Start::Task { checkpoint, parts } => (checkpoint, parts),
    };
    if !as_task {
        return run_inline(ctx, kind, checkpoint, &parts);
    }
    let now = ctx.platform.now_ms();
    let record = TaskRecord {
        id: ctx
            .derived_id()
            .unwrap_or_else(|| crate::encoding::base64url(&ctx.platform.random_bytes(18))),
        subject: ctx.caller.subject.clone(),
        tool: tool.to_owned(),
        status: TaskStatus::Working,
        status_message: None,
        created_at_ms: now,
        updated_at_ms: now,
        ttl_ms: kind.ttl_ms,
        poll_interval_ms: kind.poll_interval_ms,
        checkpoint,
        steps: 0,
        parts: parts.len() as u32,
        lease: None,
        input_requests: Map::new(),
        input_responses: Map::new(),
        result: None,
        error: None,
    };
    let kv = ctx.platform.kv();
    let record = match records::create(kv, &record, &parts) {
        Ok(()) => record,
        // Under an idempotency key the id is derived: a retry finds its first
        // attempt's task, which is the answer.
        Err(e) => match records::load(kv, &record.id)? {
            Some(existing) if existing.subject == record.subject && existing.tool == tool => {
                existing
            }
            _ => return Err(e.into()),
        },
    };
    let mut created = envelope(&record);
    created["resultType"] = "task".into();
    Ok(created)
}

/// The work of a task run to its end within the request (a client without the
/// extension). A kind that waits or asks cannot do that here.
fn run_inline(
    ctx: &Ctx,
    kind: &TaskKind,
    mut checkpoint: Value,
    parts: &[Value],
) -> Result<Value, ToolFailure> {
    let task_id = ctx
        .derived_id()
        .unwrap_or_else(|| crate::encoding::base64url(&ctx.platform.random_bytes(18)));
    let answers = Map::new();
    let step_ctx = |started_ms| StepCtx {
        ctx,
        task_id: &task_id,
        answers: &answers,
        started_ms,
        parts: Parts::Inline(parts),
    };
    for _ in 0..MAX_INLINE_STEPS {
        if ctx.cancelled() {
            return Err(ToolFailure::Refused(
                "stopped: the client went away; what was done stays, each record whole".into(),
            ));
        }
        let sc = step_ctx(ctx.platform.now_ms());
        checkpoint = match (kind.step)(&sc, checkpoint)? {
            Step::Continue { checkpoint, .. } => checkpoint,
            Step::Done { checkpoint } => return (kind.finish)(&sc, checkpoint),
            Step::Wait | Step::Ask { .. } => {
                return Err(ToolFailure::Refused(format!(
                    "this work waits or asks questions, which needs the {EXTENSION} extension: declare it in the request's client capabilities and poll tasks/get"
                )))
            }
        };
    }
    Err(ToolFailure::Refused(
        "the work did not finish within one request; call it with the tasks extension".into(),
    ))
}

/// The task's id from `params`, and the task if it is the caller's and alive.
fn find(ctx: &Ctx, method: &str, params: &Value) -> CatalogResult<TaskRecord> {
    if !negotiated(ctx) {
        return Err(missing_extension(method));
    }
    let id = match params.get("taskId") {
        Some(Value::String(id)) => id.as_str(),
        _ => {
            return Err(CatalogError::invalid(format!(
                "{method}: taskId must be the string a tools/call returned"
            )))
        }
    };
    let unknown = || CatalogError::InvalidParams {
        message: format!(
            "Unknown task: {id} (it never existed, expired, or belongs to another caller)"
        ),
        data: Some(json!({ "taskId": id })),
    };
    let kv = ctx.platform.kv();
    let record = records::load(kv, id)?.ok_or_else(unknown)?;
    if record.subject != ctx.caller.subject {
        return Err(unknown());
    }
    if record.expires_at_ms() <= ctx.platform.now_ms() {
        records::remove(kv, &record)?;
        return Err(unknown());
    }
    Ok(record)
}

/// `tasks/get`: does the next step when the task is working and nobody holds it,
/// then describes it (with its result, error or questions when it has them).
pub fn get(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    let record = find(ctx, "tasks/get", params)?;
    let record = advance(ctx, record)?;
    let mut detailed = envelope(&record);
    match record.status {
        TaskStatus::Completed => detailed["result"] = record.result.unwrap_or(Value::Null),
        TaskStatus::Failed => detailed["error"] = record.error.unwrap_or(Value::Null),
        TaskStatus::InputRequired => {
            detailed["inputRequests"] = Value::Object(record.input_requests)
        }
        TaskStatus::Working | TaskStatus::Cancelled => {}
    }
    Ok(detailed)
}

/// `tasks/update`: answers to the task's questions. Answers to keys it did not
/// ask (or no longer asks) are ignored; once every question is answered the task
/// works again. The answer is an empty acknowledgement.
pub fn update(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    let record = find(ctx, "tasks/update", params)?;
    let responses = match params.get("inputResponses") {
        Some(Value::Object(r)) => r.clone(),
        _ => {
            return Err(CatalogError::invalid(
                "tasks/update: inputResponses must be an object of answers by key",
            ))
        }
    };
    records::transition(ctx.platform.kv(), &record.id, |r| {
        if r.status != TaskStatus::InputRequired {
            return None;
        }
        let answered: Vec<String> = responses
            .keys()
            .filter(|k| r.input_requests.contains_key(*k))
            .cloned()
            .collect();
        if answered.is_empty() {
            return None;
        }
        for key in answered {
            r.input_requests.remove(&key);
            if let Some(answer) = responses.get(&key) {
                r.input_responses.insert(key, answer.clone());
            }
        }
        if r.input_requests.is_empty() {
            r.status = TaskStatus::Working;
        }
        r.updated_at_ms = ctx.platform.now_ms();
        Some(())
    })?;
    Ok(json!({}))
}

/// `tasks/cancel`: a task not yet terminal becomes `cancelled` (a step under way
/// finds that when it saves, and saves nothing). Cancelling a terminal task
/// changes nothing; either way the answer is an empty acknowledgement.
pub fn cancel(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    let record = find(ctx, "tasks/cancel", params)?;
    let kv = ctx.platform.kv();
    let changed = records::transition(kv, &record.id, |r| {
        if r.status.is_terminal() {
            return None;
        }
        r.status = TaskStatus::Cancelled;
        r.status_message = Some("cancelled by the client".into());
        r.input_requests.clear();
        r.updated_at_ms = ctx.platform.now_ms();
        Some(())
    })?;
    if let Some((record, Some(()))) = changed {
        records::remove_parts(kv, &record)?;
    }
    Ok(json!({}))
}

/// The fields every description of a task carries.
fn envelope(record: &TaskRecord) -> Value {
    let mut task = json!({
        "taskId": record.id,
        "status": record.status.as_str(),
        "createdAt": timestamp_of_ms(record.created_at_ms),
        "lastUpdatedAt": timestamp_of_ms(record.updated_at_ms),
        "ttlMs": record.ttl_ms,
        "pollIntervalMs": record.poll_interval_ms,
    });
    if let Some(message) = &record.status_message {
        task["statusMessage"] = message.as_str().into();
    }
    task
}

/// The kind of the tool that made a task.
fn kind_of(ctx: &Ctx, tool: &str) -> Option<&'static TaskKind> {
    match super::tools::find(ctx, tool)?.run {
        Runner::Task(kind) => Some(kind),
        _ => None,
    }
}

/// Where a step left the task.
enum Outcome {
    Saved(Step),
    /// The tool's result (the work is over, well or with a tool error).
    Completed(Value),
    /// A protocol-level failure.
    Failed(Value),
}

/// The next step of a working task that nobody holds, under its lease. Returns
/// the task as it stands after (or as it was, when there was nothing to do).
fn advance(ctx: &Ctx, record: TaskRecord) -> CatalogResult<TaskRecord> {
    let kv = ctx.platform.kv();
    let started_ms = ctx.platform.now_ms();
    if record.status != TaskStatus::Working || record.leased_at(started_ms) {
        return Ok(record);
    }
    let Some(kind) = kind_of(ctx, &record.tool) else {
        return Ok(record);
    };
    let holder = crate::encoding::base64url(&ctx.platform.random_bytes(12));
    let taken = records::transition(kv, &record.id, |r| {
        if r.status != TaskStatus::Working || r.leased_at(started_ms) {
            return None;
        }
        r.lease = Some(Lease {
            holder: holder.clone(),
            until_ms: started_ms + LEASE_MS,
        });
        Some(())
    })?;
    let leased = match taken {
        None => return Ok(record),
        Some((current, None)) => return Ok(current),
        Some((leased, Some(()))) => leased,
    };
    let step_ctx = StepCtx {
        ctx,
        task_id: &leased.id,
        answers: &leased.input_responses,
        started_ms,
        parts: Parts::Stored,
    };
    let outcome = match (kind.step)(&step_ctx, leased.checkpoint.clone()) {
        Ok(Step::Done { checkpoint }) => match (kind.finish)(&step_ctx, checkpoint) {
            Ok(result) => Outcome::Completed(result),
            Err(failure) => failed(failure),
        },
        Ok(step) => Outcome::Saved(step),
        Err(failure) => failed(failure),
    };
    let saved = records::transition(kv, &leased.id, |r| {
        if r.lease.as_ref().map(|l| l.holder.as_str()) != Some(holder.as_str()) {
            // The lease ran out and another request took the task over: what this
            // step did is redone there, so nothing is saved here.
            return None;
        }
        r.lease = None;
        if r.status != TaskStatus::Working {
            // Cancelled meanwhile: the step's work is dropped.
            return Some(false);
        }
        let now = ctx.platform.now_ms();
        match &outcome {
            Outcome::Saved(Step::Wait) => return Some(false),
            Outcome::Saved(Step::Continue {
                checkpoint,
                message,
            }) => {
                r.checkpoint = checkpoint.clone();
                r.status_message = message.clone();
            }
            Outcome::Saved(Step::Ask {
                checkpoint,
                requests,
            }) => {
                r.checkpoint = checkpoint.clone();
                r.status = TaskStatus::InputRequired;
                r.input_requests = requests.clone();
            }
            Outcome::Saved(Step::Done { .. }) => {}
            Outcome::Completed(result) => {
                r.status = TaskStatus::Completed;
                r.status_message = None;
                r.result = Some(result.clone());
            }
            Outcome::Failed(error) => {
                r.status = TaskStatus::Failed;
                r.status_message = None;
                r.error = Some(error.clone());
            }
        }
        r.input_responses.clear();
        r.steps += 1;
        r.updated_at_ms = now;
        Some(r.status.is_terminal())
    })?;
    match saved {
        None => Ok(leased),
        Some((current, terminal)) => {
            if terminal == Some(true) {
                records::remove_parts(kv, &current)?;
            }
            Ok(current)
        }
    }
}

/// A failed step: a tool error completes the task with an `isError` result; a
/// protocol error fails it with the JSON-RPC error.
fn failed(failure: ToolFailure) -> Outcome {
    match failure {
        ToolFailure::Refused(message) => Outcome::Completed(error_result(message)),
        ToolFailure::Protocol(e) => Outcome::Failed(rpc_error(e)),
        // A step asks with `Step::Ask`; a request's own `input_required` round
        // has no request to answer it inside a task.
        ToolFailure::InputRequired(_) => Outcome::Completed(error_result(
            "the work asked for input the way a single request does, which a task cannot answer"
                .into(),
        )),
    }
}

/// The JSON-RPC error object of a protocol failure inside a task.
fn rpc_error(e: CatalogError) -> Value {
    match e {
        CatalogError::InvalidParams { message, data } => {
            let mut error = json!({ "code": -32602, "message": message });
            if let Some(data) = data {
                error["data"] = data;
            }
            error
        }
        CatalogError::MissingCapability { required, message } => json!({
            "code": -32021,
            "message": message,
            "data": { "requiredCapabilities": required },
        }),
        CatalogError::ResourceNotFound { uri } => {
            json!({ "code": -32602, "message": format!("Resource not found: {uri}") })
        }
        CatalogError::Forbidden { message, .. } => {
            json!({ "code": -32600, "message": format!("Forbidden: {message}") })
        }
        CatalogError::Internal(message) => {
            json!({ "code": -32603, "message": format!("Internal error: {message}") })
        }
    }
}

#[cfg(test)]
mod tests;
