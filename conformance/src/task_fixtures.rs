//! The fixtures of the conformance suite's tasks scenarios
//! (`io.modelcontextprotocol/tasks`): a plain tool beside them (`greet`) and
//! task tools built on the server's task machinery, each a (start, step, finish)
//! over a JSON checkpoint. Waiting is a checkpoint holding when it ends: no
//! instance sleeps, each poll checks the clock.

use climbing_mcp::catalog::tasks::{Start, Step, StepCtx, TaskKind};
use climbing_mcp::catalog::tools::{Runner, ToolFailure, ToolMeta, ToolSpec};
use climbing_mcp::catalog::{CatalogError, Ctx};
use serde_json::{json, Map, Value};

/// How long a fixture task stays readable.
const TTL_MS: u64 = 10 * 60 * 1000;
const POLL_MS: u64 = 200;

fn text(t: &str) -> Value {
    json!({ "content": [{ "type": "text", "text": t }] })
}

fn elicit(message: &str, properties: Value) -> Value {
    json!({"method": "elicitation/create", "params": {"mode": "form", "message": message, "requestedSchema": {"type": "object", "properties": properties}}})
}

fn greet_schema() -> Value {
    json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
}

fn slow_schema() -> Value {
    json!({"type": "object", "properties": {"seconds": {"type": "number"}, "label": {"type": "string"}}})
}

fn filename_schema() -> Value {
    json!({"type": "object", "properties": {"filename": {"type": "string"}}})
}

const fn task_tool(
    name: &'static str,
    description: &'static str,
    input_schema: fn() -> Value,
    kind: &'static TaskKind,
) -> ToolSpec {
    ToolSpec {
        meta: ToolMeta::read(name, name, description),
        input_schema,
        output_schema: None,
        run: Runner::Task(kind),
    }
}

/// The task fixtures, as the catalog extension's task tools.
pub static TOOLS: &[ToolSpec] = &[
    ToolSpec {
        meta: ToolMeta::read("greet", "greet", "Greets by name, at once"),
        input_schema: greet_schema,
        output_schema: None,
        run: Runner::Json(greet),
    },
    task_tool(
        "slow_compute",
        "Computes for `seconds` seconds",
        slow_schema,
        &SLOW_COMPUTE,
    ),
    task_tool(
        "failing_job",
        "Fails with a tool error after a second",
        no_args,
        &FAILING_JOB,
    ),
    task_tool(
        "protocol_error_job",
        "Fails with a protocol error",
        no_args,
        &PROTOCOL_ERROR_JOB,
    ),
    task_tool(
        "confirm_delete",
        "Asks before it deletes a file",
        filename_schema,
        &CONFIRM_DELETE,
    ),
    task_tool(
        "multi_input",
        "Asks two questions at once",
        no_args,
        &MULTI_INPUT,
    ),
    task_tool(
        "test_tool_with_task",
        "Asks for a name, then greets from a task",
        no_args,
        &TOOL_WITH_TASK,
    ),
];

fn no_args() -> Value {
    json!({"type": "object", "properties": {}})
}

fn greet(_: &Ctx, arguments: Value) -> Result<Value, ToolFailure> {
    let name = arguments
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("World");
    Ok(text(&format!("Hello, {name}!")))
}

fn field<'a>(checkpoint: &'a Value, name: &str) -> &'a str {
    checkpoint.get(name).and_then(Value::as_str).unwrap_or("")
}

/// A task that waits `delay_ms`, then ends as `finish` says.
fn waiting(ctx: &Ctx, delay_ms: u64, mut checkpoint: Value) -> Start {
    checkpoint["due_ms"] = (ctx.platform.now_ms() + delay_ms).into();
    Start::Task {
        checkpoint,
        parts: Vec::new(),
    }
}

fn wait_until_due(sc: &StepCtx, checkpoint: Value) -> Result<Step, ToolFailure> {
    let due = checkpoint
        .get("due_ms")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    if sc.ctx.platform.now_ms() < due {
        return Ok(Step::Wait);
    }
    Ok(Step::Done { checkpoint })
}

static SLOW_COMPUTE: TaskKind = TaskKind {
    start: |ctx, arguments| {
        let seconds = arguments
            .get("seconds")
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
            .clamp(0.0, 3600.0);
        let label = arguments.get("label").and_then(Value::as_str).unwrap_or("");
        Ok(waiting(
            ctx,
            (seconds * 1000.0) as u64,
            json!({ "label": label, "seconds": seconds }),
        ))
    },
    step: wait_until_due,
    finish: |_, checkpoint| {
        Ok(text(&format!(
            "computed {} after {}s",
            field(&checkpoint, "label"),
            checkpoint["seconds"]
        )))
    },
    ttl_ms: TTL_MS,
    poll_interval_ms: POLL_MS,
    required: false,
};

static FAILING_JOB: TaskKind = TaskKind {
    start: |ctx, _| Ok(waiting(ctx, 1000, json!({}))),
    step: wait_until_due,
    finish: |_, _| {
        Err(ToolFailure::Refused(
            "the job failed, as it always does".into(),
        ))
    },
    ttl_ms: TTL_MS,
    poll_interval_ms: POLL_MS,
    required: true,
};

static PROTOCOL_ERROR_JOB: TaskKind = TaskKind {
    start: |ctx, _| Ok(waiting(ctx, 0, json!({}))),
    step: |_, _| {
        Err(ToolFailure::Protocol(CatalogError::Internal(
            "the job crashed".into(),
        )))
    },
    finish: |_, _| Ok(text("unreachable")),
    ttl_ms: TTL_MS,
    poll_interval_ms: POLL_MS,
    required: false,
};

/// Whether an answer accepts, and its form content.
fn accepted(answer: &Value) -> Option<&Map<String, Value>> {
    (answer.get("action")? == "accept")
        .then(|| answer.get("content")?.as_object())
        .flatten()
}

static CONFIRM_DELETE: TaskKind = TaskKind {
    start: |_, arguments| {
        let filename = arguments
            .get("filename")
            .and_then(Value::as_str)
            .unwrap_or("file");
        Ok(Start::Task {
            checkpoint: json!({ "filename": filename }),
            parts: Vec::new(),
        })
    },
    step: |sc, mut checkpoint| {
        if let Some(answer) = sc.answers.get("confirm") {
            let yes = accepted(answer)
                .and_then(|c| c.get("confirm"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            checkpoint["confirmed"] = yes.into();
            return Ok(Step::Done { checkpoint });
        }
        let question = elicit(
            &format!("Delete {}?", field(&checkpoint, "filename")),
            json!({"confirm": {"type": "boolean"}}),
        );
        let mut requests = Map::new();
        requests.insert("confirm".into(), question);
        Ok(Step::Ask {
            checkpoint,
            requests,
        })
    },
    finish: |_, checkpoint| {
        let verb = if checkpoint["confirmed"] == true {
            "deleted"
        } else {
            "kept"
        };
        Ok(text(&format!("{verb} {}", field(&checkpoint, "filename"))))
    },
    ttl_ms: TTL_MS,
    poll_interval_ms: POLL_MS,
    required: false,
};

static MULTI_INPUT: TaskKind = TaskKind {
    start: |_, _| {
        Ok(Start::Task {
            checkpoint: json!({}),
            parts: Vec::new(),
        })
    },
    step: |sc, mut checkpoint| {
        let keys = ["name", "confirm"];
        if keys.iter().all(|k| sc.answers.contains_key(*k)) {
            let name = accepted(&sc.answers["name"])
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            checkpoint["name"] = name.into();
            return Ok(Step::Done { checkpoint });
        }
        let mut requests = Map::new();
        requests.insert(
            "name".into(),
            elicit("Your name?", json!({"name": {"type": "string"}})),
        );
        requests.insert(
            "confirm".into(),
            elicit("Go ahead?", json!({"confirm": {"type": "boolean"}})),
        );
        Ok(Step::Ask {
            checkpoint,
            requests,
        })
    },
    finish: |_, checkpoint| {
        Ok(text(&format!(
            "both answered ({})",
            field(&checkpoint, "name")
        )))
    },
    ttl_ms: TTL_MS,
    poll_interval_ms: POLL_MS,
    required: false,
};

/// Round 1 asks for a name with `input_required` (no task yet); round 2, with
/// the answer, starts the task that greets.
static TOOL_WITH_TASK: TaskKind = TaskKind {
    start: |ctx, _| {
        let name = ctx
            .round_trip
            .as_ref()
            .and_then(|rt| rt.input_responses.get("user_name"))
            .and_then(accepted)
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str);
        if let Some(name) = name {
            return Ok(Start::Task {
                checkpoint: json!({ "name": name }),
                parts: Vec::new(),
            });
        }
        let requests =
            json!({"user_name": elicit("What is your name?", json!({"name": {"type": "string"}}))});
        ctx.input_required(requests, None)
            .map(Start::Answer)
            .map_err(ToolFailure::Protocol)
    },
    step: |_, checkpoint| Ok(Step::Done { checkpoint }),
    finish: |_, checkpoint| {
        Ok(text(&format!(
            "Hello, {}! (from a task)",
            field(&checkpoint, "name")
        )))
    },
    ttl_ms: TTL_MS,
    poll_interval_ms: POLL_MS,
    required: true,
};
