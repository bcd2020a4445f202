//! The task machinery on the in-memory platform: steps under leases, a dead
//! holder's step redone once its lease ran out, tasks bound to their caller.

use super::{Start, Step, TaskKind, EXTENSION, LEASE_MS};
use crate::catalog::extension::Extension;
use crate::catalog::tools::{Runner, ToolMeta, ToolSpec};
use crate::catalog::Ctx;
use crate::identity::{Caller, Scope};
use crate::platform::memory::MemoryPlatform;
use crate::platform::Platform;
use crate::store::tasks::{self as records, Lease};
use serde_json::{json, Value};

/// Counts its steps in the store: three steps, then done.
static COUNTING: TaskKind = TaskKind {
    start: |_, _| {
        Ok(Start::Task {
            checkpoint: json!(0),
            parts: vec![json!("part")],
        })
    },
    step: |sc, checkpoint| {
        sc.ctx.platform.kv().increment("test/steps", 1).unwrap();
        assert_eq!(sc.part(0).ok(), Some(json!("part")));
        let n = checkpoint.as_u64().unwrap() + 1;
        Ok(if n >= 3 {
            Step::Done {
                checkpoint: n.into(),
            }
        } else {
            Step::Continue {
                checkpoint: n.into(),
                message: Some(format!("{n} of 3")),
            }
        })
    },
    finish: |_, n| Ok(json!({ "content": [{ "type": "text", "text": format!("counted {n}") }] })),
    ttl_ms: 60_000,
    poll_interval_ms: 100,
    required: false,
};

static TOOLS: &[ToolSpec] = &[ToolSpec {
    meta: ToolMeta::read("count", "count", "counts"),
    input_schema: || json!({"type": "object"}),
    output_schema: None,
    run: Runner::Task(&COUNTING),
}];

static EXTENSION_TOOLS: Extension = Extension {
    task_tools: TOOLS,
    ..Extension::NONE
};

fn ctx<'p>(platform: &'p MemoryPlatform, subject: &str) -> Ctx<'p> {
    let mut ctx = Ctx::new(
        platform,
        Caller {
            subject: subject.into(),
            scopes: vec![Scope::Read],
        },
    );
    ctx.extension = &EXTENSION_TOOLS;
    ctx.client_capabilities = json!({ "extensions": { EXTENSION: {} } })
        .as_object()
        .unwrap()
        .clone();
    ctx
}

fn steps(platform: &MemoryPlatform) -> i64 {
    platform.kv().increment("test/steps", 0).unwrap()
}

fn status(ctx: &Ctx, id: &str) -> Value {
    super::get(ctx, &json!({ "taskId": id })).unwrap()["status"].clone()
}

#[test]
fn each_poll_does_one_step_and_a_dead_holders_step_is_redone_after_its_lease() {
    let platform = MemoryPlatform::default();
    let alice = ctx(&platform, "alice");
    let Ok(created) = super::call(&alice, "count", &COUNTING, json!({})) else {
        panic!("the call failed")
    };
    assert_eq!(created["resultType"], "task");
    let id = created["taskId"].as_str().unwrap().to_owned();
    assert_eq!(steps(&platform), 0, "nothing runs before the first poll");

    assert_eq!(status(&alice, &id), "working");
    assert_eq!(steps(&platform), 1);

    // Another request holds the lease (it is mid-step): a poll does nothing.
    let now = platform.now_ms();
    records::transition(platform.kv(), &id, |r| {
        r.lease = Some(Lease {
            holder: "elsewhere".into(),
            until_ms: now + LEASE_MS,
        });
        Some(())
    })
    .unwrap();
    assert_eq!(status(&alice, &id), "working");
    assert_eq!(steps(&platform), 1);

    // It died: once its lease has run out, the next poll does the step.
    platform.now_ms.set(now + LEASE_MS + 1);
    assert_eq!(status(&alice, &id), "working");
    assert_eq!(steps(&platform), 2);
    let done = super::get(&alice, &json!({ "taskId": id })).unwrap();
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["content"][0]["text"], "counted 3");
    assert_eq!(steps(&platform), 3);
    // A terminal task does no more work, and its parts are gone.
    assert_eq!(status(&alice, &id), "completed");
    assert_eq!(steps(&platform), 3);
    assert!(records::part(platform.kv(), &id, 0).is_err());

    // Another caller's task is unknown to it; so is an expired one.
    let mallory = ctx(&platform, "mallory");
    assert!(super::get(&mallory, &json!({ "taskId": id })).is_err());
    platform.now_ms.set(now + 120_000);
    assert!(super::get(&alice, &json!({ "taskId": id })).is_err());
    assert!(records::load(platform.kv(), &id).unwrap().is_none());
}

#[test]
fn without_the_extension_the_work_runs_within_the_call_and_task_methods_refuse() {
    let platform = MemoryPlatform::default();
    let mut plain = ctx(&platform, "bob");
    plain.client_capabilities.clear();
    let Ok(result) = super::call(&plain, "count", &COUNTING, json!({})) else {
        panic!("the call failed")
    };
    assert_eq!(result["content"][0]["text"], "counted 3", "{result}");
    assert_eq!(steps(&platform), 3);
    let refused = super::get(&plain, &json!({ "taskId": "x" })).unwrap_err();
    assert!(
        matches!(
            refused,
            crate::catalog::CatalogError::MissingCapability { .. }
        ),
        "{refused:?}"
    );
}
