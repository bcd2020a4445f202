//! The `initialize`-era back channel as the protocol layer wires it, with a
//! client simulated in the event sink: it answers each question the moment the
//! server sends it, as a POST to another replica would (the same store).

use super::{era::Headers, handle, Request};
use crate::catalog::back_channel::accept_answer;
use crate::catalog::events::{EventSink, StreamClosed};
use crate::catalog::extension::Extension;
use crate::catalog::idempotency::META_KEY;
use crate::catalog::tools::{Runner, ToolFailure, ToolMeta, ToolSpec};
use crate::catalog::Ctx;
use crate::identity::{Caller, Scope};
use crate::platform::memory::MemoryPlatform;
use crate::platform::Platform;
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};

const WRITES: &str = "test/writes";

/// A write that asks for a confirmation first, and counts its writes.
fn confirmed_write(ctx: &Ctx, _: Value) -> Result<Value, ToolFailure> {
    let round_trip = ctx.round_trip.as_ref().expect("a round trip in both eras");
    if round_trip.input_responses.contains_key("confirm") {
        let n = ctx.platform.kv().increment(WRITES, 1).expect("store");
        return Ok(json!({"content": [{"type": "text", "text": format!("written ({n})")}]}));
    }
    let ask = json!({"confirm": {"method": "elicitation/create", "params": {"message": "Sure?", "requestedSchema": {"type": "object", "properties": {}}}}});
    ctx.input_required(ask, Some(json!({"asked": true})))
        .map_err(ToolFailure::Protocol)
}

static TOOLS: &[ToolSpec] = &[ToolSpec {
    meta: ToolMeta::create("confirmed_write", "Confirmed write", "Asks, then writes"),
    input_schema: || json!({"type": "object"}),
    output_schema: None,
    run: Runner::Json(confirmed_write),
}];

static EXTENSION: Extension = Extension {
    tools: TOOLS,
    ..Extension::NONE
};

/// The client: records the events and answers every question at once.
struct Client<'p> {
    platform: &'p MemoryPlatform,
    caller: Caller,
    events: RefCell<Vec<Value>>,
    open: Cell<bool>,
}

impl EventSink for Client<'_> {
    fn send(&self, message: &str) -> Result<(), StreamClosed> {
        self.open.set(true);
        let event: Value = serde_json::from_str(message).unwrap();
        if event.get("method").is_some() {
            accept_answer(
                self.platform,
                &self.caller,
                &event["id"],
                Ok(json!({"action": "accept", "content": {}})),
            )
            .expect("the answer is taken");
        }
        self.events.borrow_mut().push(event);
        Ok(())
    }
    fn keep_alive(&self) -> Result<(), StreamClosed> {
        Ok(())
    }
    fn is_open(&self) -> bool {
        self.open.get()
    }
}

fn call(platform: &MemoryPlatform, key: &str) -> (Value, Vec<Value>) {
    let caller = Caller {
        subject: "alice".into(),
        scopes: vec![Scope::Read, Scope::Write],
    };
    let client = Client {
        platform,
        caller: caller.clone(),
        events: RefCell::new(Vec::new()),
        open: Cell::new(false),
    };
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "confirmed_write", "arguments": {}, "_meta": {META_KEY: key}}});
    let body = body.to_string();
    let request = Request {
        host: "localhost",
        headers: Headers {
            protocol_version: Some("2025-11-25".into()),
            ..Headers::default()
        },
        accepts_event_stream: true,
        body: body.as_bytes(),
        catalog: &EXTENSION,
        sink: Some(&client),
    };
    let reply = handle(platform, &caller, &request);
    let text = String::from_utf8(reply.body).unwrap();
    let data = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .next_back()
        .unwrap_or(&text);
    (
        serde_json::from_str(data).unwrap(),
        client.events.into_inner(),
    )
}

/// The question releases the idempotency key; the round with the answer takes
/// it and writes once; a retry with the key gets that answer without asking.
#[test]
fn a_question_keeps_an_idempotent_write_single() {
    let platform = MemoryPlatform::default();
    let (result, events) = call(&platform, "k-1");
    assert_eq!(events.len(), 1, "one question: {events:?}");
    assert_eq!(events[0]["method"], "elicitation/create");
    assert_eq!(result["result"]["content"][0]["text"], "written (1)");
    let (again, events) = call(&platform, "k-1");
    assert!(events.is_empty(), "the retry asks nothing: {events:?}");
    assert_eq!(again["result"], result["result"]);
    assert_eq!(platform.kv().increment(WRITES, 0).unwrap(), 1);
    // Nothing is left of the question.
    let left: Vec<String> = platform
        .kv
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("ask/"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
