//! The tasks extension (`io.modelcontextprotocol/tasks`, 2026-07-28) over real
//! HTTP: a bulk import of 20,000 climbs as a task on three replicas sharing one
//! store (climbing-host on one SQLite file; `spin up` on one Redis), advanced by
//! polling alone while replicas are killed mid-step, leaves exactly 20,000 climbs; tasks belong to their caller; cancelling stops
//! the work; a call without the extension runs within its request.

mod common;

use common::mcp::{host_builder, ok_tool, seed_crag, token, ALL};
use common::redis::Redis;
use common::{agent, send, temp_dir, Host, HostBuilder, Runtime};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

const TASKS: &str = "io.modelcontextprotocol/tasks";
const CLIMBS: usize = 20_000;

/// One 2026-07-28 request to `url`; `with_tasks` declares the extension.
fn modern(url: &str, subject: &str, method: &str, params: Value, with_tasks: bool) -> Value {
    try_modern(url, subject, method, params, with_tasks).expect("the request reaches the server")
}

/// [`modern`], or why it got no answer.
fn try_modern(
    url: &str,
    subject: &str,
    method: &str,
    params: Value,
    with_tasks: bool,
) -> Result<Value, ureq::Error> {
    let mut params = params;
    let capabilities = if with_tasks {
        json!({ "extensions": { TASKS: {} } })
    } else {
        json!({})
    };
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    });
    let name = params
        .get("name")
        .or_else(|| params.get("taskId"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let auth = format!("Bearer {}", token(subject, ALL));
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let mut headers = vec![
        ("content-type", "application/json"),
        ("accept", "application/json"),
        ("authorization", auth.as_str()),
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", method),
    ];
    if !name.is_empty() {
        headers.push(("mcp-name", name.as_str()));
    }
    let r = send(
        &agent(),
        "POST",
        url,
        &headers,
        Some(body.to_string().as_bytes()),
    )?;
    Ok(r.json())
}

fn mcp_url(host: &Host) -> String {
    format!("{}/mcp", host.url())
}

/// 20,000 climbs that share their grade and discipline: the rows carry names only.
fn import_args(crag: &str, count: usize) -> Value {
    let climbs: Vec<Value> = (0..count)
        .map(|i| json!({ "name": format!("Route {i:05}") }))
        .collect();
    json!({
        "area_id": crag,
        "defaults": { "grades": { "yds": "5.10a" }, "disciplines": ["sport"] },
        "climbs": climbs,
    })
}

/// Every climb of `crag`, paged through on `host`: (ids, names).
fn climbs_of(host: &Host, crag: &str) -> (Vec<String>, HashSet<String>) {
    let (mut ids, mut names, mut cursor) = (Vec::new(), HashSet::new(), None::<String>);
    loop {
        let mut args = json!({ "area_id": crag, "limit": 200 });
        if let Some(c) = &cursor {
            args["cursor"] = c.as_str().into();
        }
        let page = ok_tool(host, "list_climbs", args);
        for climb in page["items"].as_array().unwrap() {
            ids.push(climb["id"].as_str().unwrap().to_owned());
            names.insert(climb["name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (ids, names),
        }
    }
}

/// Starts an import as a task on `url`: the task's id.
fn start_import(url: &str, subject: &str, args: Value) -> String {
    let created = modern(
        url,
        subject,
        "tools/call",
        json!({ "name": "import_climbs", "arguments": args }),
        true,
    );
    let task = &created["result"];
    assert_eq!(task["resultType"], "task", "{created}");
    assert_eq!(task["status"], "working", "{task}");
    assert!(task["ttlMs"].as_u64().unwrap() > 0, "{task}");
    assert!(task["pollIntervalMs"].as_u64().unwrap() > 0, "{task}");
    task["taskId"].as_str().unwrap().to_owned()
}

#[test]
fn a_bulk_import_completes_through_polling_while_replicas_die_and_leaves_each_climb_once() {
    let dir = temp_dir();
    let builder = host_builder()
        .sqlite(dir.path().join("kv.db"))
        .climbing_host_only(
            "Spin's SQLite store is for one process; its replicas run on Redis below",
        );
    import_across_killed_replicas(builder);
}

/// The same with three `spin up` processes on one `redis-server`.
#[test]
fn a_bulk_import_on_spin_replicas_sharing_redis_survives_killed_replicas() {
    let redis = Redis::start();
    let builder = host_builder().on(Runtime::Spin).redis(&redis.url());
    import_across_killed_replicas(builder);
}

/// Three replicas from `builder` on one store; the import is created on the
/// first and polled round-robin, two replicas killed while they work on a step.
fn import_across_killed_replicas(builder: HostBuilder) {
    let builder = builder.var("rate_limit_per_minute", "0");
    let mut hosts: Vec<Host> = (0..3).map(|_| builder.clone().start()).collect();
    let crag = seed_crag(&hosts[0]);
    let began = Instant::now();
    let task_id = start_import(&mcp_url(&hosts[0]), "importer", import_args(&crag, CLIMBS));
    println!("task created in {:?}", began.elapsed());

    // Poll round-robin; twice, a replica is killed while it works on a step (a
    // poll is under way on it), and later started again.
    let (mut polls, mut kills, mut last_message) = (0usize, 0usize, String::new());
    let mut done = None;
    while began.elapsed() < Duration::from_secs(600) {
        let host = polls % hosts.len();
        polls += 1;
        if (polls == 8 || polls == 20) && kills < 2 {
            let url = mcp_url(&hosts[host]);
            let id = task_id.clone();
            let poll = std::thread::spawn(move || {
                // The replica dies under it: no answer.
                let _ = try_modern(&url, "importer", "tasks/get", json!({ "taskId": id }), true);
            });
            std::thread::sleep(Duration::from_millis(400));
            hosts[host].kill();
            let _ = poll.join();
            kills += 1;
            println!("killed replica {host} mid-step at poll {polls}");
            hosts[host].restart();
            continue;
        }
        let got = modern(
            &mcp_url(&hosts[host]),
            "importer",
            "tasks/get",
            json!({ "taskId": task_id }),
            true,
        );
        let task = &got["result"];
        assert_eq!(task["taskId"], task_id.as_str(), "{got}");
        assert_eq!(task["resultType"], "complete", "{got}");
        if let Some(message) = task["statusMessage"].as_str() {
            last_message = message.to_owned();
        }
        match task["status"].as_str() {
            Some("working") => {}
            Some("completed") => {
                done = Some(task["result"].clone());
                break;
            }
            other => panic!("unexpected status {other:?}: {got}"),
        }
    }
    let result = done.unwrap_or_else(|| panic!("not completed; last: {last_message}"));
    println!(
        "{:?}: {CLIMBS} climbs imported in {:?}, {polls} polls, {kills} replicas killed mid-step",
        hosts[0].runtime(),
        began.elapsed()
    );
    assert_eq!(result["isError"], false, "{result}");
    assert_eq!(
        result["structuredContent"]["climbs_created"], CLIMBS,
        "{result}"
    );

    let (ids, names) = climbs_of(&hosts[1], &crag);
    let distinct: HashSet<&String> = ids.iter().collect();
    println!(
        "listed {} climbs, {} distinct ids, {} distinct names",
        ids.len(),
        distinct.len(),
        names.len()
    );
    assert_eq!(ids.len(), CLIMBS, "climbs listed");
    assert_eq!(distinct.len(), CLIMBS, "distinct climb ids");
    assert_eq!(names.len(), CLIMBS, "distinct names: none lost, none twice");

    // A finished task stays readable, unchanged, until its ttl.
    let again = modern(
        &mcp_url(&hosts[2]),
        "importer",
        "tasks/get",
        json!({ "taskId": task_id }),
        true,
    );
    assert_eq!(again["result"]["status"], "completed", "{again}");
    assert_eq!(again["result"]["result"], result);
}

#[test]
fn tasks_belong_to_their_caller_cancel_stops_them_and_plain_calls_run_inline() {
    let host = host_builder().var("rate_limit_per_minute", "0").start();
    let url = mcp_url(&host);
    let crag = seed_crag(&host);

    // The extension is advertised to 2026-07-28 clients.
    let discovered = modern(&url, "alice", "server/discover", json!({}), false);
    assert!(
        discovered["result"]["capabilities"]["extensions"][TASKS].is_object(),
        "{discovered}"
    );

    let task_id = start_import(&url, "alice", import_args(&crag, 3_000));
    // Another caller, or a request without the extension, cannot see it.
    let stranger = modern(
        &url,
        "mallory",
        "tasks/get",
        json!({ "taskId": task_id }),
        true,
    );
    assert_eq!(stranger["error"]["code"], -32602, "{stranger}");
    let undeclared = modern(
        &url,
        "alice",
        "tasks/get",
        json!({ "taskId": task_id }),
        false,
    );
    assert_eq!(undeclared["error"]["code"], -32021, "{undeclared}");
    let stranger_cancel = modern(
        &url,
        "mallory",
        "tasks/cancel",
        json!({ "taskId": task_id }),
        true,
    );
    assert_eq!(
        stranger_cancel["error"]["code"], -32602,
        "{stranger_cancel}"
    );

    // One step, then cancel: the next poll finds it cancelled and nothing more
    // is created.
    let first = modern(
        &url,
        "alice",
        "tasks/get",
        json!({ "taskId": task_id }),
        true,
    );
    assert_eq!(first["result"]["status"], "working", "{first}");
    let ack = modern(
        &url,
        "alice",
        "tasks/cancel",
        json!({ "taskId": task_id }),
        true,
    );
    assert_eq!(ack["result"]["resultType"], "complete", "{ack}");
    assert!(ack["result"].get("status").is_none(), "{ack}");
    let after = modern(
        &url,
        "alice",
        "tasks/get",
        json!({ "taskId": task_id }),
        true,
    );
    assert_eq!(after["result"]["status"], "cancelled", "{after}");
    let (created, _) = climbs_of(&host, &crag);
    assert!(created.len() < 3_000, "{} climbs", created.len());
    let later = modern(
        &url,
        "alice",
        "tasks/get",
        json!({ "taskId": task_id }),
        true,
    );
    assert_eq!(later["result"]["status"], "cancelled", "{later}");
    assert_eq!(climbs_of(&host, &crag).0.len(), created.len());

    // Without the extension the same tool runs to its end within the call.
    let inline = modern(
        &url,
        "alice",
        "tools/call",
        json!({ "name": "import_climbs", "arguments": import_args(&crag, 50) }),
        false,
    );
    assert_eq!(inline["result"]["resultType"], "complete", "{inline}");
    assert_eq!(
        inline["result"]["structuredContent"]["climbs_created"], 50,
        "{inline}"
    );
}
