//! The built component against a store that misbehaves, over real HTTP: the host
//! wraps its SQLite store in an injected fault (`CLIMBING_KV_FAULT`). Every write
//! must end within a bound, with a bounded number of store calls, a clear answer,
//! and nothing stored twice: checked afterwards on the same file with a healthy host.

mod common;

use common::mcp::{bearer, host_builder, ok_tool, post_rpc, rpc, seed_crag, ALL};
use common::{db_path, temp_dir, Host};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A request against a failing store ends well inside any client's timeout.
const REQUEST_BOUND: Duration = Duration::from_secs(5);
/// Store calls (the host's climbing-host-kv-ops counter) one such request may make.
const CALL_BOUND: u64 = 600;

/// Calls a tool; returns the JSON-RPC answer (or the HTTP error text) after
/// checking the bounds.
fn bounded_call(host: &Host, name: &str, args: Value) -> (u16, String) {
    let start = Instant::now();
    let r = post_rpc(
        host,
        &bearer(ALL),
        &[],
        &rpc(1, "tools/call", json!({"name": name, "arguments": args})),
    );
    let took = start.elapsed();
    assert!(took < REQUEST_BOUND, "{name} took {took:?}");
    if let Some(ops) = r.kv_ops() {
        assert!(ops < CALL_BOUND, "{name}: {ops} store calls");
    }
    (r.status, r.text())
}

fn climb_args(crag: &str, name: &str) -> Value {
    json!({"name": name, "area_id": crag, "grades": {"yds": "5.11a"}, "disciplines": ["sport"]})
}

#[test]
fn writes_against_a_failing_store_are_bounded_clear_and_never_doubled() {
    let dir = temp_dir();
    let db = db_path(dir.path());
    let (crag, climb) = {
        let healthy = host_builder().sqlite(&db).start();
        let crag = seed_crag(&healthy);
        let climb = ok_tool(&healthy, "create_climb", climb_args(&crag, "Biographie"));
        ok_tool(
            &healthy,
            "log_tick",
            json!({"climb_id": climb["id"], "style": "lead", "attempt": "redpoint"}),
        );
        (crag, climb["id"].as_str().unwrap().to_owned())
    };

    for fault in ["refuse-cas", "fail-after-write", "time-out:300"] {
        let host = host_builder()
            .sqlite(&db)
            .env("CLIMBING_KV_FAULT", fault)
            .start();
        let calls = [
            (
                "create_area",
                json!({"name": format!("Sector {fault}"), "kind": "sector", "parent_id": crag}),
            ),
            ("create_climb", climb_args(&crag, &format!("Climb {fault}"))),
            (
                "log_tick",
                json!({"climb_id": climb, "style": "lead", "attempt": "redpoint"}),
            ),
            (
                "update_climb",
                json!({"id": climb, "changes": {"description": format!("by {fault}")}}),
            ),
        ];
        for (name, args) in calls {
            let (status, text) = bounded_call(&host, name, args);
            match fault {
                // Nothing lands; the answer says so and that a retry is fine.
                "refuse-cas" => assert!(
                    status == 200
                        && text.contains("\"isError\":true")
                        && text.contains("retry the request"),
                    "{fault} {name}: {status} {text}"
                ),
                // Each swap lands and reports an error; reading back finds it.
                "fail-after-write" => assert!(
                    status == 200 && text.contains("\"isError\":false"),
                    "{fault} {name}: {status} {text}"
                ),
                // Store calls time out: an error naming it, quickly.
                _ => assert!(
                    text.contains("timed out") && !text.contains("\"isError\":false"),
                    "{fault} {name}: {status} {text}"
                ),
            }
        }
    }

    let healthy = host_builder().sqlite(&db).start();
    let listed = ok_tool(
        &healthy,
        "list_climbs",
        json!({"area_id": crag, "limit": 200}),
    );
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Biographie", "Climb fail-after-write"],
        "each create stored once, only the one that landed"
    );
    let sectors = ok_tool(&healthy, "list_areas", json!({"parent_id": crag}));
    let sector_names: Vec<&str> = sectors["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(sector_names, ["Sector fail-after-write"]);
    let ticks = ok_tool(&healthy, "list_ticks", json!({}));
    assert_eq!(ticks["items"].as_array().unwrap().len(), 2);
    let updated = ok_tool(&healthy, "get_climb", json!({"id": climb}));
    assert_eq!(updated["version"], 2, "one update applied once: {updated}");
    assert_eq!(updated["description"], "by fail-after-write");
}
