//! Questions to the client in the `initialize` era, over real HTTP, across
//! replicas: a tool that returns `input_required` is asked on the POST's event
//! stream (`elicitation/create` with an unguessable id), the client's answer is
//! POSTed to another replica on the same store, and the replica holding the
//! stream picks it up and finishes (catalog::back_channel). An answer is taken
//! once, from the caller only, while the call waits; a call nobody answers ends
//! with a clear error after the wait bound; a client that reads no event stream
//! is told how to ask.
//!
//! The tools are the conformance fixtures (`test_elicitation`,
//! `test_input_required_result_multi_round`), written in the input_required
//! style every tool uses, so the conformance component is built once and served
//! with tokens checked (no `auth=off`). Two `climbing-host serve` share one
//! SQLite file (Spin's SQLite store is for one process; .ci/conformance runs a
//! Spin pair on Redis). Hosts run without `--expose-metrics`, which buffers
//! bodies.

mod common;

use common::events::{self, Stream};
use common::mcp::{host_builder, rpc, token};
use common::{temp_dir, Host};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The conformance component, built once per test run.
fn conformance_component() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
            let target = root.join("target/conformance");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = std::process::Command::new(cargo)
                .current_dir(&root)
                .args([
                    "build",
                    "--profile",
                    "component",
                    "--target",
                    "wasm32-wasip2",
                    "-p",
                    "climbing-mcp-conformance",
                    "--target-dir",
                ])
                .arg(&target)
                .status()
                .expect("cargo runs");
            assert!(
                status.success(),
                "building the conformance component failed"
            );
            target.join("wasm32-wasip2/component/climbing_mcp_conformance.wasm")
        })
        .clone()
}

/// Two replicas of the conformance component on one SQLite store.
fn pair(dir: &tempfile::TempDir, wait_ms: &str) -> (Host, Host) {
    let db = dir.path().join("kv.db");
    let start = || {
        host_builder()
            .climbing_host_only("two processes on one SQLite file")
            .component(conformance_component())
            .sqlite(&db)
            .var("rate_limit_per_minute", "0")
            .var("back_channel_wait_ms", wait_ms)
            .without_metrics()
            .start()
    };
    let first = start();
    (first, start())
}

fn auth(subject: &str) -> String {
    format!("Bearer {}", token(subject, "climb:read climb:write"))
}

fn legacy_headers<'a>(auth: &'a str, accept: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("content-type", "application/json"),
        ("accept", accept),
        ("authorization", auth),
        ("mcp-protocol-version", "2025-11-25"),
    ]
}

const SSE: &str = "application/json, text/event-stream";

/// Calls `tool` on `host` and returns the response before its body is read.
fn call(host: &Host, auth: &str, accept: &str, tool: &str, arguments: Value) -> Stream {
    let body = rpc(
        1,
        "tools/call",
        json!({"name": tool, "arguments": arguments}),
    );
    events::open(
        host,
        &legacy_headers(auth, accept),
        &body,
        Duration::from_secs(60),
    )
}

/// The next event's data; `None` at the end of the stream.
fn next_event(stream: &mut Stream) -> Option<Value> {
    stream.next_event().map(|(_, event, _)| event)
}

/// The next event, which must be a server request; its id and method.
fn question(stream: &mut Stream) -> (Value, Value) {
    let event = next_event(stream).expect("a question on the stream");
    let id = event["id"].clone();
    assert!(
        id.as_str().is_some_and(|i| i.len() > 30),
        "an unguessable id: {event}"
    );
    (id, event)
}

/// POSTs the client's JSON-RPC response `answer` to the request `id`.
fn answer(host: &Host, auth: &str, id: &Value, result: Value) -> common::Response {
    let body = json!({"jsonrpc": "2.0", "id": id, "result": result});
    host.post("/mcp", &legacy_headers(auth, SSE), body.to_string())
}

fn result_text(event: &Value) -> String {
    event["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn an_answer_posted_to_another_replica_finishes_the_call_once() {
    let dir = temp_dir();
    let (a, b) = pair(&dir, "20000");
    let alice = auth("alice");
    let mut stream = call(
        &a,
        &alice,
        SSE,
        "test_elicitation",
        json!({"message": "Who are you?"}),
    );
    assert_eq!(stream.status, 200);
    assert!(stream
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/event-stream"));
    let (id, request) = question(&mut stream);
    assert_eq!(request["method"], "elicitation/create");
    assert_eq!(request["params"]["message"], "Who are you?");

    // Another caller cannot answer it, nor can an id the server never sent.
    let mallory = answer(&b, &auth("mallory"), &id, json!({"action": "decline"}));
    assert_eq!(mallory.status, 403, "{}", mallory.text());
    assert!(mallory.text().contains("another caller"));
    let unknown = answer(
        &b,
        &alice,
        &json!("climbing-mcp/ask/never-sent"),
        json!({"action": "accept"}),
    );
    assert_eq!(unknown.status, 400, "{}", unknown.text());
    assert!(unknown.text().contains("no server request is waiting"));

    let content = json!({"username": "alice", "email": "alice@example.com"});
    let answered = Instant::now();
    let taken = answer(
        &b,
        &alice,
        &id,
        json!({"action": "accept", "content": content}),
    );
    assert_eq!(
        (taken.status, taken.body.len()),
        (202, 0),
        "{}",
        taken.text()
    );
    // A second answer is refused, whether the call is still open or done.
    let again = answer(&a, &alice, &id, json!({"action": "decline"}));
    assert!(matches!(again.status, 400 | 409), "{}", again.text());
    assert!(again.json()["error"]["message"].is_string());

    let result = next_event(&mut stream).expect("the result ends the stream");
    // The asking replica looks at the store at most 250 ms apart.
    let latency = answered.elapsed();
    eprintln!("answer POSTed to the other replica -> result on the stream: {latency:?}");
    assert!(latency < Duration::from_secs(2), "{latency:?}");
    assert_eq!(result["id"], 1);
    assert_eq!(result["result"]["isError"], Value::Null, "{result}");
    let text = result_text(&result);
    assert!(text.contains("action=accept"), "{text}");
    assert!(text.contains("alice@example.com"), "{text}");
    assert!(next_event(&mut stream).is_none());
}

#[test]
fn each_round_may_be_answered_at_any_replica() {
    let dir = temp_dir();
    let (a, b) = pair(&dir, "20000");
    let alice = auth("alice");
    let mut stream = call(
        &b,
        &alice,
        SSE,
        "test_input_required_result_multi_round",
        json!({}),
    );
    let (first, request) = question(&mut stream);
    assert!(request["params"]["message"]
        .as_str()
        .unwrap()
        .contains("Step 1"));
    let r = answer(
        &a,
        &alice,
        &first,
        json!({"action": "accept", "content": {"name": "Alex"}}),
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let (second, request) = question(&mut stream);
    assert_ne!(first, second);
    assert!(request["params"]["message"]
        .as_str()
        .unwrap()
        .contains("Step 2"));
    let r = answer(
        &b,
        &alice,
        &second,
        json!({"action": "accept", "content": {"color": "red"}}),
    );
    assert_eq!(r.status, 202, "{}", r.text());
    let result = next_event(&mut stream).expect("the result");
    // The state of round one (the name) was kept in the asking instance.
    assert_eq!(result_text(&result), "Alex likes red");
}

#[test]
fn a_call_nobody_answers_ends_with_a_clear_error_after_the_bound() {
    let dir = temp_dir();
    let (a, b) = pair(&dir, "1500");
    let alice = auth("alice");
    let started = Instant::now();
    let mut stream = call(&a, &alice, SSE, "test_sampling", json!({"prompt": "Hi"}));
    let (id, request) = question(&mut stream);
    assert_eq!(request["method"], "sampling/createMessage");
    let result = next_event(&mut stream).expect("the result");
    let waited = started.elapsed();
    assert_eq!(result["result"]["isError"], true, "{result}");
    let text = result_text(&result);
    assert!(
        text.contains("no answer to sampling/createMessage arrived within 1500 ms"),
        "{text}"
    );
    assert!(
        waited >= Duration::from_millis(1_500) && waited < Duration::from_secs(10),
        "{waited:?}"
    );
    // Its question is gone: a late answer changes nothing.
    let late = answer(&b, &alice, &id, json!({"role": "assistant"}));
    assert_eq!(late.status, 400, "{}", late.text());
}

#[test]
fn a_client_that_reads_no_event_stream_is_told_how_to_ask() {
    let dir = temp_dir();
    let (a, _b) = pair(&dir, "20000");
    let stream = call(
        &a,
        &auth("alice"),
        "application/json",
        "test_elicitation",
        json!({"message": "Who?"}),
    );
    assert_eq!(stream.status, 200);
    assert!(stream
        .header("content-type")
        .unwrap_or("")
        .starts_with("application/json"));
    let body: Value = serde_json::from_str(&stream.rest()).unwrap();
    assert_eq!(body["result"]["isError"], true, "{body}");
    let text = result_text(&body);
    for needed in [
        "elicitation/create",
        "Accept: application/json, text/event-stream",
        "2026-07-28",
    ] {
        assert!(text.contains(needed), "{needed}: {text}");
    }
}
