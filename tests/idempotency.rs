//! Idempotency keys over real HTTP: a write retried with the same key
//! (`_meta["io.climbing-mcp/idempotencyKey"]` of `tools/call`) happens once.
//!
//! Duplicates are sent at the same moment to three replicas sharing one store
//! (SQLite, then Redis): exactly one climb and one tick are created and every
//! answer is the same. A retry after the first finished gets the same answer; the
//! key reused with other arguments is refused; two callers' equal keys are
//! independent; a call without a key behaves as before. Rounds of duplicates under
//! new keys each update once (under Spin, whose SQLite store upserts a swap of an
//! absent key, they did not before a new key's creator was elected by a ticket).

mod common;

use common::mcp::{host_builder, token, ALL};
use common::redis::Redis;
use common::{temp_dir, Host, HostBuilder};
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};

const REPLICAS: usize = 3;
/// Duplicates sent at once, spread over the replicas.
const DUPLICATES: usize = 9;
const META_KEY: &str = "io.climbing-mcp/idempotencyKey";

/// A `tools/call` as `subject`, with `key` in `_meta` when given: the JSON-RPC
/// `result`, or the `error` object.
fn call(host: &Host, subject: &str, tool: &str, args: &Value, key: Option<&str>) -> Value {
    let mut params = json!({"name": tool, "arguments": args});
    if let Some(k) = key {
        params["_meta"] = json!({ META_KEY: k });
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
    let auth = format!("Bearer {}", token(subject, ALL));
    let r = host.post(
        "/mcp",
        &[
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("authorization", &auth),
            ("mcp-protocol-version", "2025-11-25"),
        ],
        body.to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    match v.get("error") {
        Some(e) => json!({ "error": e }),
        None => v["result"].clone(),
    }
}

fn ok(host: &Host, subject: &str, tool: &str, args: &Value, key: Option<&str>) -> Value {
    let r = call(host, subject, tool, args, key);
    assert_eq!(r["isError"], false, "{tool}: {r}");
    r["structuredContent"].clone()
}

/// The climbs of `area` (one page is plenty here).
fn climbs_in(host: &Host, area: &Value) -> Vec<Value> {
    let page = ok(
        host,
        "setter",
        "list_climbs",
        &json!({"area_id": area, "limit": 100}),
        None,
    );
    page["items"].as_array().cloned().unwrap_or_default()
}

fn ticks_of(host: &Host, subject: &str) -> Vec<Value> {
    let page = ok(host, subject, "list_ticks", &json!({"limit": 100}), None);
    page["items"].as_array().cloned().unwrap_or_default()
}

/// Sends `DUPLICATES` copies of one call at the same moment, round robin over
/// `hosts`; every answer.
fn at_once(
    hosts: &Arc<Vec<Host>>,
    subject: &str,
    tool: &str,
    args: &Value,
    key: &str,
) -> Vec<Value> {
    let barrier = Arc::new(Barrier::new(DUPLICATES));
    let threads: Vec<_> = (0..DUPLICATES)
        .map(|n| {
            let (hosts, barrier) = (hosts.clone(), barrier.clone());
            let (subject, tool, args, key) = (
                subject.to_owned(),
                tool.to_owned(),
                args.clone(),
                key.to_owned(),
            );
            std::thread::spawn(move || {
                barrier.wait();
                call(&hosts[n % hosts.len()], &subject, &tool, &args, Some(&key))
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// Everything this file checks, on replicas sharing one store.
fn duplicates_write_once(hosts: Vec<Host>) {
    let hosts = Arc::new(hosts);
    let first = &hosts[0];
    let country = ok(
        first,
        "setter",
        "create_area",
        &json!({"name": "Land", "kind": "country"}),
        None,
    );
    let crag = ok(
        first,
        "setter",
        "create_area",
        &json!({"name": "Crag", "kind": "crag", "parent_id": country["id"]}),
        None,
    );
    let climb = json!({"name": "Line", "area_id": crag["id"], "grades": {"french": "7a"},
                       "disciplines": ["sport"]});

    // Concurrent duplicates of a create: one climb, one answer.
    let answers = at_once(&hosts, "setter", "create_climb", &climb, "create-line-1");
    for a in &answers {
        assert_eq!(a, &answers[0], "answers differ");
    }
    assert_eq!(answers[0]["isError"], false, "{}", answers[0]);
    let created = answers[0]["structuredContent"].clone();
    assert_eq!(climbs_in(first, &crag["id"]).len(), 1);

    // A retry after the first finished: the same answer, from any replica.
    for host in hosts.iter() {
        let again = call(
            host,
            "setter",
            "create_climb",
            &climb,
            Some("create-line-1"),
        );
        assert_eq!(again, answers[0]);
    }
    assert_eq!(climbs_in(&hosts[1], &crag["id"]).len(), 1);

    // The key reused with other arguments: refused, nothing written.
    let mut other = climb.clone();
    other["name"] = "Other line".into();
    let refused = call(
        &hosts[2],
        "setter",
        "create_climb",
        &other,
        Some("create-line-1"),
    );
    assert_eq!(refused["isError"], true, "{refused}");
    let text = refused["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("different call"), "{text}");
    assert_eq!(climbs_in(first, &crag["id"]).len(), 1);

    // Another caller with the same key: their own call.
    let theirs = ok(
        &hosts[1],
        "other-setter",
        "create_climb",
        &climb,
        Some("create-line-1"),
    );
    assert_ne!(theirs["id"], created["id"]);
    assert_eq!(climbs_in(first, &crag["id"]).len(), 2);

    // No key: every call writes, as before.
    ok(first, "setter", "create_climb", &climb, None);
    ok(&hosts[1], "setter", "create_climb", &climb, None);
    assert_eq!(climbs_in(first, &crag["id"]).len(), 4);

    // Ticks: concurrent duplicates log one tick, all answers agree.
    let tick = json!({"climb_id": created["id"], "style": "lead", "attempt": "redpoint",
                      "date": "2024-06-01"});
    let answers = at_once(&hosts, "alice", "log_tick", &tick, "tick-2024-06-01");
    for a in &answers {
        assert_eq!(a, &answers[0], "answers differ");
    }
    assert_eq!(answers[0]["isError"], false, "{}", answers[0]);
    assert_eq!(ticks_of(first, "alice").len(), 1);

    // An update: concurrent duplicates make one new version.
    let tick_id = answers[0]["structuredContent"]["id"].clone();
    let change = json!({"id": tick_id, "changes": {"stars": 3}});
    let answers = at_once(&hosts, "alice", "update_tick", &change, "stars-3");
    for a in &answers {
        assert_eq!(a, &answers[0], "answers differ");
    }
    assert_eq!(
        answers[0]["structuredContent"]["version"], 2,
        "{}",
        answers[0]
    );
    let got = ok(first, "alice", "get_tick", &json!({"id": tick_id}), None);
    assert_eq!(got["version"], 2);

    // A bad key is a JSON-RPC invalid-params error naming the field.
    let bad = call(first, "alice", "log_tick", &tick, Some("not a key"));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let message = bad["error"]["message"].as_str().unwrap();
    assert!(message.contains("invalid idempotency key"), "{message}");
    assert_eq!(ticks_of(first, "alice").len(), 1);
}

#[test]
fn duplicates_on_replicas_sharing_sqlite_write_once() {
    let dir = temp_dir();
    let builder = host_builder()
        .sqlite(dir.path().join("kv.db"))
        .var("rate_limit_per_minute", "0");
    duplicates_write_once(start(builder));
}

#[test]
fn duplicates_on_replicas_sharing_redis_write_once() {
    let redis = Redis::start();
    let builder = host_builder()
        .redis(&redis.url())
        .var("state_secret", "idempotency-state-secret-0123456789")
        .var("rate_limit_per_minute", "0")
        .climbing_host_only("the component's Redis store is configured by variables");
    duplicates_write_once(start(builder));
}

/// Rounds of duplicates of an update, each under a key never used: the race for
/// a new key's entry is between two reads of it as absent and two swaps, which
/// under Spin (`CLIMBING_TEST_RUNTIME=spin`), whose SQLite store writes a swap of
/// an absent key as an upsert, let both duplicates run before the key's creation
/// ticket elected one. Every round makes one new version, and its answers agree.
#[test]
fn every_round_of_duplicates_under_a_new_key_updates_once() {
    const ROUNDS: u64 = 12;
    let dir = temp_dir();
    let builder = host_builder()
        .sqlite(dir.path().join("kv.db"))
        .var("rate_limit_per_minute", "0");
    let hosts = Arc::new(start(builder));
    let country = ok(
        &hosts[0],
        "setter",
        "create_area",
        &json!({"name": "Land", "kind": "country"}),
        None,
    );
    let crag = ok(
        &hosts[0],
        "setter",
        "create_area",
        &json!({"name": "Crag", "kind": "crag", "parent_id": country["id"]}),
        None,
    );
    let climb = ok(
        &hosts[0],
        "setter",
        "create_climb",
        &json!({"name": "Line", "area_id": crag["id"], "grades": {"french": "7a"},
                "disciplines": ["sport"]}),
        None,
    );
    for round in 1..=ROUNDS {
        let change =
            json!({"id": climb["id"], "changes": {"description": format!("round {round}")}});
        let key = format!("round-{round}");
        let answers = at_once(&hosts, "setter", "update_climb", &change, &key);
        for a in &answers {
            assert_eq!(a, &answers[0], "round {round}: answers differ");
        }
        assert_eq!(answers[0]["isError"], false, "{}", answers[0]);
        assert_eq!(
            answers[0]["structuredContent"]["version"],
            round + 1,
            "round {round}: {}",
            answers[0]
        );
    }
    let got = ok(
        &hosts[1],
        "setter",
        "get_climb",
        &json!({"id": climb["id"]}),
        None,
    );
    assert_eq!(got["version"], ROUNDS + 1, "{got}");
}

fn start(builder: HostBuilder) -> Vec<Host> {
    (0..REPLICAS).map(|_| builder.clone().start()).collect()
}

/// What a key costs, from the host's metrics headers: a keyed create makes the
/// unkeyed one's store operations plus seven (a compare-and-swap read, two host
/// operations, and a swap, one, before the tool and again after it, and for a new
/// key the increment of its creation ticket); a replay is
/// that one compare-and-swap read plus what every request does, and runs no tool.
#[test]
fn a_key_costs_two_compare_and_swaps_and_a_ticket_and_a_replay_one_read() {
    let host = host_builder()
        .var("rate_limit_per_minute", "0")
        .climbing_host_only("counts KV operations and fuel from its metrics headers")
        .start();
    let country = ok(
        &host,
        "setter",
        "create_area",
        &json!({"name": "Land", "kind": "country"}),
        None,
    );
    let crag = ok(
        &host,
        "setter",
        "create_area",
        &json!({"name": "Crag", "kind": "crag", "parent_id": country["id"]}),
        None,
    );
    let measure = |n: usize, key: Option<&str>| {
        let args = json!({"name": format!("Line {n}"), "area_id": crag["id"],
                          "grades": {"french": "7a"}, "disciplines": ["sport"]});
        let mut params = json!({"name": "create_climb", "arguments": args});
        if let Some(k) = key {
            params["_meta"] = json!({ META_KEY: k });
        }
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
        let auth = format!("Bearer {}", token("setter", ALL));
        let r = host.post(
            "/mcp",
            &[
                ("content-type", "application/json"),
                ("accept", "application/json, text/event-stream"),
                ("authorization", &auth),
                ("mcp-protocol-version", "2025-11-25"),
            ],
            body.to_string(),
        );
        assert_eq!(r.json()["result"]["isError"], false, "{}", r.text());
        (r.kv_ops().unwrap(), r.fuel().unwrap())
    };
    measure(0, None);
    let (plain_ops, plain_fuel) = measure(1, None);
    let (keyed_ops, keyed_fuel) = measure(2, Some("measure-2"));
    let (replay_ops, replay_fuel) = measure(2, Some("measure-2"));
    println!(
        "create_climb: no key {plain_ops} KV ops / {plain_fuel} fuel; with a key \
         {keyed_ops} / {keyed_fuel}; replay {replay_ops} / {replay_fuel}"
    );
    assert_eq!(keyed_ops, plain_ops + 7);
    assert!(replay_ops <= 3, "a replay made {replay_ops} KV operations");
    assert!(replay_fuel < plain_fuel, "a replay runs no tool");
}

/// The 2026-07-28 revision: the key sits in the same request `_meta` as the
/// protocol version and capabilities, and a replay is decorated like the first
/// answer (`resultType`), refusals included.
#[test]
fn keys_work_in_the_stateless_revision() {
    let host = host_builder().var("rate_limit_per_minute", "0").start();
    let auth = format!("Bearer {}", token("modern", ALL));
    let call = |tool: &str, args: Value, key: &str| {
        let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                          "io.modelcontextprotocol/clientCapabilities": {},
                          META_KEY: key});
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                          "params": {"name": tool, "arguments": args, "_meta": meta}});
        let r = host.post(
            "/mcp",
            &[
                ("content-type", "application/json"),
                ("authorization", &auth),
                ("mcp-protocol-version", "2026-07-28"),
                ("mcp-method", "tools/call"),
                ("mcp-name", tool),
            ],
            body.to_string(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["result"].clone()
    };
    let area = json!({"name": "Modern land", "kind": "country"});
    let first = call("create_area", area.clone(), "modern-1");
    assert_eq!(first["resultType"], "complete", "{first}");
    assert_eq!(first["isError"], false, "{first}");
    assert_eq!(call("create_area", area.clone(), "modern-1"), first);
    let listed = ok(&host, "modern", "list_areas", &json!({"limit": 100}), None);
    let named = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == "Modern land")
        .count();
    assert_eq!(named, 1, "{listed}");
    // A refusal is kept and replayed as it was first given.
    let bad = json!({"name": "Nowhere", "kind": "planet"});
    let refused = call("create_area", bad.clone(), "modern-2");
    assert_eq!(refused["isError"], true, "{refused}");
    assert_eq!(refused["resultType"], "complete", "{refused}");
    assert_eq!(call("create_area", bad, "modern-2"), refused);
}
