//! Live progress on the POST's own event stream, over a real socket: each
//! notification reaches the client while the work runs, a request that asks for
//! nothing gets plain JSON, and a client that closes the stream stops the work.
//!
//! Runs under Spin too (`CLIMBING_TEST_RUNTIME=spin`). climbing-host is started
//! without `--expose-metrics`, which buffers bodies to put their costs in headers.

mod common;

use common::events::{self, Stream};
use common::mcp::{bearer, host_builder, ok_tool, rpc, ALL};
use common::Host;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Climbs in the long import: with its crag, import_tree's 2,000-node limit.
const CLIMBS: usize = 1_999;

/// A country to import under, and the tree: one crag holding `climbs` climbs.
fn import_args(host: &Host, climbs: usize) -> (String, Value) {
    let country = ok_tool(
        host,
        "create_area",
        json!({"name": "Spain", "kind": "country"}),
    );
    let country = country["id"].as_str().unwrap().to_owned();
    let climbs: Vec<Value> = (0..climbs)
        .map(|i| json!({"name": format!("Route {i}"), "grades": {"french": "6a"}, "disciplines": ["sport"]}))
        .collect();
    let args = json!({
        "parent_id": country,
        "areas": [{"name": "Siurana", "kind": "crag", "climbs": climbs}],
    });
    (country, args)
}

/// POSTs `body`; the import may take a while.
fn open(host: &Host, headers: &[(&str, &str)], body: &Value) -> Stream {
    events::open(host, headers, body, Duration::from_secs(120))
}

fn legacy_headers(auth: &str) -> Vec<(&str, &str)> {
    vec![
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("authorization", auth),
        ("mcp-protocol-version", "2025-11-25"),
    ]
}

fn modern_headers(auth: &str) -> Vec<(&str, &str)> {
    vec![
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("authorization", auth),
        ("mcp-protocol-version", "2026-07-28"),
        ("mcp-method", "tools/call"),
        ("mcp-name", "import_tree"),
    ]
}

fn import_call(args: &Value, meta: Value) -> Value {
    rpc(
        7,
        "tools/call",
        json!({"name": "import_tree", "arguments": args, "_meta": meta}),
    )
}

fn host() -> Host {
    host_builder().without_metrics().start()
}

/// Reads every event to the end of the stream; returns them with their arrival
/// times, the keep-alive comments seen, and when the stream ended.
fn read_all(stream: &mut Stream) -> (Vec<(Instant, Value)>, usize, Instant) {
    let mut events = Vec::new();
    let mut comments = 0;
    while let Some((at, event, c)) = stream.next_event() {
        comments += c;
        events.push((at, event));
    }
    (events, comments, Instant::now())
}

/// The progress notifications' values, checked to strictly increase towards
/// their total, each with a message.
fn progress_values(events: &[(Instant, Value)], token: &Value) -> Vec<f64> {
    let progress: Vec<&Value> = events
        .iter()
        .map(|(_, e)| e)
        .filter(|e| e["method"] == "notifications/progress")
        .collect();
    assert!(progress.len() >= 2, "{progress:?}");
    let mut values = Vec::new();
    for p in &progress {
        assert_eq!(&p["params"]["progressToken"], token);
        assert_eq!(p["params"]["total"], json!(CLIMBS as f64 + 1.0), "{p}");
        assert!(p["params"]["message"].is_string(), "{p}");
        values.push(p["params"]["progress"].as_f64().unwrap());
    }
    assert!(
        values.windows(2).all(|w| w[0] < w[1]),
        "progress must strictly increase: {values:?}"
    );
    assert_eq!(values.last(), Some(&(CLIMBS as f64 + 1.0)));
    values
}

#[test]
fn a_long_import_streams_its_progress_while_it_runs() {
    let host = host();
    let (_, args) = import_args(&host, CLIMBS);
    let auth = bearer(ALL);
    let started = Instant::now();
    let mut stream = open(
        &host,
        &legacy_headers(&auth),
        &import_call(&args, json!({"progressToken": "import-1"})),
    );
    let head_at = Instant::now();
    assert_eq!(stream.status, 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    assert_eq!(stream.header("cache-control"), Some("no-cache"));
    assert_eq!(stream.header("x-accel-buffering"), Some("no"));
    assert_eq!(stream.header("content-length"), None);
    let (events, _, ended) = read_all(&mut stream);
    let values = progress_values(&events, &json!("import-1"));
    let (last_at, result) = events.last().unwrap();
    assert_eq!(result["id"], 7, "the result ends the stream: {result}");
    assert_eq!(
        result["result"]["structuredContent"]["climbs_created"],
        CLIMBS
    );
    let first_at = events[0].0;
    assert!(first_at < *last_at && *last_at <= ended);
    eprintln!(
        "{} progress events; head after {:?}, first event after {:?}, result after {:?}, end after {:?} ({values:?})",
        values.len(),
        head_at - started,
        first_at - started,
        *last_at - started,
        ended - started,
    );
    // The events came apart, as the work produced them, not in one piece at the
    // end: most of them arrived before the result.
    let before_result = events[..events.len() - 1]
        .iter()
        .filter(|(at, _)| at < last_at)
        .count();
    assert!(
        before_result * 2 >= values.len(),
        "events arrived together at the end"
    );
}

/// A 2026-07-28 import asking for progress and logs at `level`: streamed, its
/// progress checked, completed; its events.
fn import_at_log_level(level: &str) -> Vec<(Instant, Value)> {
    let host = host();
    let (_, args) = import_args(&host, CLIMBS);
    let auth = bearer(ALL);
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/logLevel": level,
        "progressToken": 42,
    });
    let mut stream = open(&host, &modern_headers(&auth), &import_call(&args, meta));
    assert_eq!(stream.status, 200);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    let (events, _, _) = read_all(&mut stream);
    progress_values(&events, &json!(42));
    let result = &events.last().unwrap().1;
    assert_eq!(result["result"]["resultType"], "complete", "{result}");
    assert_eq!(
        result["result"]["structuredContent"]["climbs_created"],
        CLIMBS
    );
    events
}

fn has_log_message(events: &[(Instant, Value)]) -> bool {
    events
        .iter()
        .any(|(_, e)| e["method"] == "notifications/message")
}

#[test]
fn the_2026_era_streams_progress_and_logs() {
    let events = import_at_log_level("info");
    assert!(has_log_message(&events), "a log message: {events:?}");
}

/// The 2026-07-28 `logLevel` is the least severe level sent: the import's `info`
/// lines stay out at `warning`, its progress still streams.
#[test]
fn the_2026_log_level_filters_messages() {
    let events = import_at_log_level("warning");
    assert!(!has_log_message(&events), "no info line: {events:?}");
}

/// Asking for nothing: no progress token, and no logs (in the `initialize` era a
/// client that accepts an event stream gets the log messages, as it cannot set a
/// level on a stateless server; one that accepts only JSON asks for none).
#[test]
fn a_request_without_progress_token_gets_plain_json() {
    let host = host();
    let (_, args) = import_args(&host, 200);
    let auth = bearer(ALL);
    let mut json_only = legacy_headers(&auth);
    json_only[1] = ("accept", "application/json");
    for (headers, meta) in [
        (json_only, json!({})),
        (
            modern_headers(&auth),
            json!({
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            }),
        ),
    ] {
        let stream = open(&host, &headers, &import_call(&args, meta));
        assert_eq!(stream.status, 200);
        assert_eq!(stream.header("content-type"), Some("application/json"));
        assert!(stream.header("content-length").is_some());
        let v: Value = serde_json::from_str(&stream.rest()).unwrap();
        assert_eq!(v["result"]["structuredContent"]["climbs_created"], 200);
    }
}

/// How many climbs the store lists under `country`, each listed one checked to
/// read back whole.
fn climbs_under(host: &Host, country: &str) -> usize {
    let mut total = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"area_id": country, "limit": 200});
        if let Some(c) = &cursor {
            args["cursor"] = c.clone().into();
        }
        let page = ok_tool(host, "list_climbs", args);
        let climbs = page["items"].as_array().unwrap();
        for climb in climbs.iter().step_by(50) {
            let got = ok_tool(host, "get_climb", json!({"id": climb["id"]}));
            assert_eq!(got["name"], climb["name"]);
        }
        total += climbs.len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return total,
        }
    }
}

#[test]
fn closing_the_stream_stops_the_import() {
    let host = host();
    let (country, args) = import_args(&host, CLIMBS);
    let auth = bearer(ALL);
    let mut stream = open(
        &host,
        &legacy_headers(&auth),
        &import_call(&args, json!({"progressToken": "gone"})),
    );
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    loop {
        let (_, event, _) = stream.next_event().expect("a progress event");
        if event["method"] == "notifications/progress" {
            break;
        }
    }
    drop(stream);
    // The instance stops at its next step once a write fails; wait until the
    // store stops growing.
    let mut last = usize::MAX;
    let deadline = Instant::now() + Duration::from_secs(60);
    let count = loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = climbs_under(&host, &country);
        if now == last || Instant::now() > deadline {
            break now;
        }
        last = now;
    };
    eprintln!("the import stopped after {count} of {CLIMBS} climbs");
    assert!(
        count < CLIMBS,
        "the import ran to the end after its client left"
    );
}

/// A bulk strip reports each route, and says which routes it left alone and why.
#[test]
fn a_bulk_strip_reports_its_routes_and_what_it_skipped() {
    let host = host();
    let venue = ok_tool(
        &host,
        "create_venue",
        json!({"name": "Boulder Barn", "city": "Bristol"}),
    );
    let wall = ok_tool(
        &host,
        "create_wall",
        json!({"venue_id": venue["id"], "name": "Barrel", "kind": "boulder", "angle": "roof"}),
    );
    let ids: Vec<Value> = (0..20)
        .map(|_| {
            ok_tool(
                &host,
                "create_gym_route",
                json!({"wall_id": wall["id"], "hold_colour": "blue", "grade": "V3",
                       "grade_system": "vscale", "discipline": "boulder", "set_on": "2025-06-01"}),
            )["id"]
                .clone()
        })
        .collect();
    ok_tool(
        &host,
        "strip_gym_routes",
        json!({"ids": ids[..5], "stripped_on": "2025-06-10"}),
    );
    let auth = bearer(ALL);
    let mut headers = modern_headers(&auth);
    headers[5] = ("mcp-name", "strip_gym_routes");
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/logLevel": "info",
        "progressToken": "strip",
    });
    let call = rpc(
        3,
        "tools/call",
        json!({"name": "strip_gym_routes", "arguments": {"ids": ids, "stripped_on": "2025-06-20"}, "_meta": meta}),
    );
    let mut stream = open(&host, &headers, &call);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    let (events, _, _) = read_all(&mut stream);
    let progress: Vec<(f64, f64)> = events
        .iter()
        .filter(|(_, e)| e["method"] == "notifications/progress")
        .map(|(_, e)| {
            let p = &e["params"];
            (
                p["progress"].as_f64().unwrap(),
                p["total"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(progress.len(), 20, "{progress:?}");
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(progress.last(), Some(&(20.0, 20.0)));
    let skipped = events
        .iter()
        .filter(|(_, e)| e["method"] == "notifications/message")
        .filter(|(_, e)| {
            e["params"]["data"]
                .as_str()
                .is_some_and(|m| m.contains("already stripped"))
        })
        .count();
    assert_eq!(skipped, 5, "{events:?}");
    let result = &events.last().unwrap().1;
    assert_eq!(
        result["result"]["structuredContent"]["stripped"], 15,
        "{result}"
    );
}
