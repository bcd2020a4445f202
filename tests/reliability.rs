//! Reliability under concurrency and crashes: nothing acknowledged is lost.
//!
//! - `concurrent_writers_on_three_hosts_lose_nothing`: three host processes on one
//!   SQLite store, sixteen client threads spread over them, racing on the same
//!   crag (creates), the same climb (versioned updates) and the same climber's
//!   logbook (ticks). Every acknowledged write must be in every index it belongs
//!   to, every accepted update must be reflected, every refused one must have been
//!   reported as a version conflict, and the counts must match exactly.
//! - `racing_moves_of_one_climb_list_it_once`: three hosts, twelve clients moving
//!   the same climb to the same sector at the same moment, round after round: the
//!   climb must be listed once, in the sector it is in, and nowhere else.
//! - `killed_hosts_keep_every_acknowledged_write`: rounds of writers against one
//!   host that is SIGKILLed at a random moment and restarted on the same store.
//!   Every write acknowledged before the kill must be readable and listed; the
//!   admin `repair_indexes` walk then reports what the crash left, fixes it, and a
//!   second report must be clean.

mod common;

use common::mcp::{call_tool, host_builder, ok_tool, token};
use common::{agent, send, temp_dir, Host};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A tool call from a client thread: `Ok(result)` (whether or not `isError`) when
/// the host answered 200 with a JSON-RPC result; `Err` for anything else.
fn tool(
    agent: &ureq::Agent,
    url: &str,
    auth: &str,
    name: &str,
    args: Value,
) -> Result<Value, String> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": args}}).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("authorization", auth),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let r = send(
        agent,
        "POST",
        &format!("{url}/mcp"),
        &headers,
        Some(body.as_bytes()),
    )
    .map_err(|e| match e {
        // Never reached a server: certainly not applied.
        ureq::Error::ConnectionFailed => format!("refused: {e}"),
        ureq::Error::Io(ref io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("refused: {e}")
        }
        _ => format!("transport: {e}"),
    })?;
    if r.status != 200 {
        return Err(format!("{name}: HTTP {}: {}", r.status, r.text()));
    }
    let v: Value = serde_json::from_slice(&r.body)
        .map_err(|e| format!("{name}: not JSON ({e}): {}", r.text()))?;
    if v.get("error").is_some() || v.get("result").is_none() {
        return Err(format!("{name}: JSON-RPC error: {v}"));
    }
    Ok(v["result"].clone())
}

fn error_text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[test]
fn racing_moves_of_one_climb_list_it_once() {
    const MOVERS: usize = 12;
    const ROUNDS: usize = 12;
    let dir = temp_dir();
    let path = dir.path().join("kv.db");
    let hosts: Vec<Host> = (0..3)
        .map(|_| {
            host_builder()
                .sqlite(&path)
                .var("rate_limit_per_minute", "0")
                .start()
        })
        .collect();
    let a = &hosts[0];
    let crag = common::mcp::seed_crag(a);
    let sectors: Vec<String> = ["North", "South"]
        .iter()
        .map(|name| {
            ok_tool(
                a,
                "create_area",
                json!({"name": name, "kind": "sector", "parent_id": crag}),
            )["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let climb = ok_tool(
        a,
        "create_climb",
        json!({"name": "Wanderer", "area_id": crag, "grades": {"french": "6a"}, "disciplines": ["sport"]}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let urls: Vec<String> = hosts.iter().map(Host::url).collect();
    let auth = format!("Bearer {}", token("mover", "climb:read climb:write"));
    for round in 0..ROUNDS {
        let to = &sectors[round % 2];
        let barrier = std::sync::Barrier::new(MOVERS);
        let errors: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..MOVERS)
                .map(|i| {
                    let (url, auth, climb, barrier) = (&urls[i % 3], &auth, &climb, &barrier);
                    s.spawn(move || {
                        let agent = agent();
                        barrier.wait();
                        let args = json!({"id": climb, "new_area_id": to});
                        match tool(&agent, url, auth, "move_climb", args) {
                            Ok(r) if r["isError"] == false => None,
                            Ok(r) => Some(error_text(&r)),
                            Err(e) => Some(e),
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().unwrap())
                .collect()
        });
        assert!(errors.is_empty(), "round {round}: {errors:?}");
        let everywhere = id_counts(&all_pages(a, "list_climbs", json!({"area_id": crag})));
        assert_eq!(
            everywhere.get(&climb),
            Some(&1),
            "round {round}: {everywhere:?}"
        );
        for sector in &sectors {
            let here = id_counts(&all_pages(a, "list_climbs", json!({"area_id": sector})));
            let expected = usize::from(sector == to);
            assert_eq!(
                here.get(&climb).copied().unwrap_or(0),
                expected,
                "round {round}: the list of {sector}"
            );
        }
    }
}

/// Every item of a paginated tool, following `next_cursor` to the end.
fn all_pages(host: &Host, name: &str, args: Value) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut a = args.clone();
        a["limit"] = json!(200);
        if let Some(c) = &cursor {
            a["cursor"] = json!(c);
        }
        let page = ok_tool(host, name, a);
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

/// How often each id occurs in `items`.
fn id_counts(items: &[Value]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for item in items {
        *counts
            .entry(item["id"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    counts
}

const THREADS: usize = 16;
const ITERATIONS: usize = 25;

/// What one client thread did.
#[derive(Default)]
struct Tally {
    /// Acknowledged creates: (unique word in the name, climb id).
    created: Vec<(String, String)>,
    /// Creates answered with an error: the unique words of their names.
    create_errors: Vec<(String, String)>,
    /// Accepted updates: (new version, bolts set).
    accepted: Vec<(u64, u32)>,
    /// Updates refused as version conflicts: (expected version, current version).
    rejected: Vec<(u64, u64)>,
    ticks: Vec<String>,
    tick_errors: Vec<String>,
    /// Anything else (an update refused for another reason, a failed read, HTTP errors).
    other: Vec<String>,
}

fn client(i: usize, url: &str, crag: &str, target: &str, start: &std::sync::Barrier) -> Tally {
    let agent = agent();
    // One writer identity for the data, one climber for the logbook: every thread
    // logs ticks for the same user.
    let auth = format!("Bearer {}", token("climber", "climb:read climb:write"));
    let mut t = Tally::default();
    start.wait();
    for j in 0..ITERATIONS {
        // (a) a climb in the shared crag, named with a word no other climb has.
        let word = format!("uniq{i}x{j}q");
        match tool(
            &agent,
            url,
            &auth,
            "create_climb",
            json!({"name": format!("Race {word} route"), "area_id": crag, "grades": {"french": "6b"}, "disciplines": ["sport"]}),
        ) {
            Ok(r) if r["isError"] == false => t.created.push((
                word,
                r["structuredContent"]["id"].as_str().unwrap().to_owned(),
            )),
            Ok(r) => t.create_errors.push((word, error_text(&r))),
            Err(e) => t.create_errors.push((word, e)),
        }
        // (b) read the shared climb's version, then update it with that version.
        // Unique per (thread, iteration) and within the bolts range (0 to 2000).
        let bolts = (i * 100 + j + 1) as u32;
        match tool(&agent, url, &auth, "get_climb", json!({"id": target})) {
            Ok(r) if r["isError"] == false => {
                let v = r["structuredContent"]["version"].as_u64().unwrap();
                match tool(
                    &agent,
                    url,
                    &auth,
                    "update_climb",
                    json!({"id": target, "expected_version": v, "changes": {"bolts": bolts}}),
                ) {
                    Ok(r) if r["isError"] == false => {
                        let s = &r["structuredContent"];
                        assert_eq!(s["bolts"], bolts, "{r}");
                        t.accepted.push((s["version"].as_u64().unwrap(), bolts));
                    }
                    Ok(r) => {
                        let text = error_text(&r);
                        match text
                            .split("current version is ")
                            .nth(1)
                            .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
                            .and_then(|n| n.parse::<u64>().ok())
                        {
                            Some(current) => t.rejected.push((v, current)),
                            None => t.other.push(format!("update_climb refused: {text}")),
                        }
                    }
                    Err(e) => t.other.push(format!("update_climb: {e}")),
                }
            }
            Ok(r) => t.other.push(format!("get_climb: {r}")),
            Err(e) => t.other.push(format!("get_climb: {e}")),
        }
        // (c) a tick in the shared climber's logbook.
        match tool(
            &agent,
            url,
            &auth,
            "log_tick",
            json!({"climb_id": target, "style": "lead", "attempt": "redpoint", "notes": format!("tick {i}/{j}")}),
        ) {
            Ok(r) if r["isError"] == false => t
                .ticks
                .push(r["structuredContent"]["id"].as_str().unwrap().to_owned()),
            Ok(r) => t.tick_errors.push(error_text(&r)),
            Err(e) => t.tick_errors.push(e),
        }
    }
    t
}

#[test]
fn concurrent_writers_on_three_hosts_lose_nothing() {
    let dir = temp_dir();
    let path = dir.path().join("kv.db");
    // Sixteen clients make hundreds of calls a minute as one climber.
    let start = |_| {
        host_builder()
            .sqlite(&path)
            .var("rate_limit_per_minute", "0")
            .start()
    };
    let first = start(0);
    let hosts: Vec<Host> = std::iter::once(first).chain((1..3).map(start)).collect();
    let a = &hosts[0];
    let tools = common::mcp::post_rpc(
        a,
        &common::mcp::bearer("climb:read climb:write"),
        &[],
        &common::mcp::rpc(1, "tools/list", json!({})),
    )
    .json();
    assert!(
        tools["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "log_tick"),
        "log_tick is served"
    );
    let crag = common::mcp::seed_crag(a);
    let target = ok_tool(
        a,
        "create_climb",
        json!({"name": "Contended", "area_id": crag, "grades": {"french": "7a"}, "disciplines": ["sport"], "bolts": 0}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let began = Instant::now();
    let barrier = std::sync::Barrier::new(THREADS);
    let urls: Vec<String> = hosts.iter().map(Host::url).collect();
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (url, crag, target, barrier) = (&urls[i % 3], &crag, &target, &barrier);
                s.spawn(move || client(i, url, crag, target, barrier))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = began.elapsed();

    let created: Vec<(String, String)> = tallies.iter().flat_map(|t| t.created.clone()).collect();
    let create_errors: Vec<(String, String)> = tallies
        .iter()
        .flat_map(|t| t.create_errors.clone())
        .collect();
    let mut accepted: Vec<(u64, u32)> = tallies.iter().flat_map(|t| t.accepted.clone()).collect();
    let rejected: Vec<(u64, u64)> = tallies.iter().flat_map(|t| t.rejected.clone()).collect();
    let ticks: Vec<String> = tallies.iter().flat_map(|t| t.ticks.clone()).collect();
    let tick_errors: Vec<String> = tallies.iter().flat_map(|t| t.tick_errors.clone()).collect();
    let other: Vec<String> = tallies.iter().flat_map(|t| t.other.clone()).collect();
    let attempts = THREADS * ITERATIONS;
    println!(
        "concurrency: {THREADS} clients on 3 hosts, {attempts} attempts of each kind in {elapsed:?}"
    );
    println!(
        "  create_climb: {} acknowledged, {} errors",
        created.len(),
        create_errors.len()
    );
    println!(
        "  update_climb: {} accepted, {} rejected as conflicts, {} other",
        accepted.len(),
        rejected.len(),
        other.len()
    );
    println!(
        "  log_tick:     {} acknowledged, {} errors",
        ticks.len(),
        tick_errors.len()
    );
    for e in create_errors
        .iter()
        .map(|(_, e)| e)
        .chain(&tick_errors)
        .chain(&other)
        .take(10)
    {
        println!("  error: {e}");
    }

    // Every attempt was answered one way or the other.
    assert_eq!(created.len() + create_errors.len(), attempts);
    assert_eq!(accepted.len() + rejected.len() + other.len(), attempts);
    assert_eq!(ticks.len() + tick_errors.len(), attempts);
    assert!(
        other.is_empty(),
        "updates failed other than by conflict: {other:?}"
    );
    assert!(
        create_errors.is_empty(),
        "creates failed: {create_errors:?}"
    );
    assert!(tick_errors.is_empty(), "ticks failed: {tick_errors:?}");

    // Creates: each acknowledged climb is listed exactly once in its crag, found by
    // its unique word, and nothing else is in the crag.
    let listed = all_pages(&hosts[1], "list_climbs", json!({"area_id": crag}));
    let counts = id_counts(&listed);
    for (word, id) in &created {
        assert_eq!(counts.get(id), Some(&1), "climb {id} ({word}) listed once");
    }
    assert_eq!(
        listed.len(),
        created.len() + 1,
        "only the created climbs and the target"
    );
    for (n, (word, id)) in created.iter().enumerate() {
        let found = ok_tool(&hosts[n % 3], "search_climbs", json!({"query": word}));
        let ids: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![id.as_str()], "search for {word}");
    }

    // Updates: versions 2..=1+accepted, each handed out once; the final record
    // carries the last accepted value; every rejection saw a newer version.
    accepted.sort();
    let versions: Vec<u64> = accepted.iter().map(|(v, _)| *v).collect();
    let expected: Vec<u64> = (2..2 + accepted.len() as u64).collect();
    assert_eq!(
        versions, expected,
        "accepted updates got consecutive versions"
    );
    for (expected_version, current) in &rejected {
        assert!(
            current > expected_version,
            "conflict {expected_version} vs {current}"
        );
    }
    let final_climb = ok_tool(&hosts[2], "get_climb", json!({"id": target}));
    assert_eq!(
        final_climb["version"].as_u64().unwrap(),
        1 + accepted.len() as u64,
        "{final_climb}"
    );
    let last_bolts = accepted.last().map(|(_, b)| *b).unwrap_or(0);
    assert_eq!(final_climb["bolts"], last_bolts, "{final_climb}");

    // Ticks: the climber's logbook lists each acknowledged tick exactly once.
    let auth = format!("Bearer {}", token("climber", "climb:read climb:write"));
    let mut logbook = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"limit": 200});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let r = tool(&agent(), &hosts[0].url(), &auth, "list_ticks", args).unwrap();
        assert_eq!(r["isError"], false, "{r}");
        let page = &r["structuredContent"];
        logbook.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let tick_counts = id_counts(&logbook);
    for id in &ticks {
        assert_eq!(tick_counts.get(id), Some(&1), "tick {id} listed once");
    }
    assert_eq!(
        logbook.len(),
        ticks.len(),
        "no tick listed that was not acknowledged"
    );
    println!(
        "  verified: {} climbs listed once and found by search, final version {} (1 + {} accepted), bolts {}, {} ticks listed once",
        created.len(),
        final_climb["version"],
        accepted.len(),
        final_climb["bolts"],
        logbook.len()
    );
}

// ---------------------------------------------------------------------------
// Crash consistency.

const ROUNDS: usize = 10;
const WRITERS: usize = 4;

/// A small deterministic generator (xorshift64*), seeded from the clock and
/// printed, so a failing round can be replayed with `RELIABILITY_SEED`.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What a writer believes about one of its climbs after its acknowledged writes.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    In(String),
    Deleted,
}

#[derive(Default)]
struct Writes {
    /// Climb id -> state after the last acknowledged write.
    climbs: HashMap<String, Expect>,
    /// Climb id -> `bolts` set by its last acknowledged update.
    bolts: HashMap<String, u32>,
    /// An update in flight when the host died: (climb id, bolts if it was applied).
    pending_bolts: Option<(String, u32)>,
    /// Acknowledged sub-areas.
    areas: Vec<String>,
    /// The write in flight when the host died: (climb id, state if it was applied).
    pending: Option<(String, Expect)>,
    /// Whether a write was cut off by the kill (sent, no answer).
    in_flight: bool,
    acknowledged: u64,
    errors: Vec<String>,
}

fn writer(w: usize, url: &str, crag: &str, sector: &str, stop: &AtomicBool, seed: u64) -> Writes {
    let agent = agent();
    let auth = format!(
        "Bearer {}",
        token(&format!("writer-{w}"), "climb:read climb:write")
    );
    let mut rng = Rng(seed | 1);
    let mut out = Writes::default();
    let mut order: Vec<String> = Vec::new();
    let mut step = 0u64;
    while !stop.load(Ordering::Relaxed) {
        step += 1;
        let live: Vec<&String> = order
            .iter()
            .filter(|id| out.climbs.get(*id) != Some(&Expect::Deleted))
            .collect();
        let pick = (!live.is_empty()).then(|| live[rng.below(live.len() as u64) as usize].clone());
        let op = rng.below(10);
        // (tool, args, climb it concerns, state if applied)
        let (name, args, concerns): (&str, Value, Option<(String, Expect)>) = match (op, pick) {
            (0..=4, _) | (_, None) => {
                let area = if rng.below(2) == 0 { crag } else { sector };
                (
                    "create_climb",
                    json!({"name": format!("Crash w{w} s{step}"), "area_id": area, "grades": {"yds": "5.10a"}, "disciplines": ["trad"]}),
                    None,
                )
            }
            (5 | 6, Some(id)) => {
                let to = match out.climbs[&id] {
                    Expect::In(ref a) if a == crag => sector,
                    _ => crag,
                };
                (
                    "move_climb",
                    json!({"id": id, "new_area_id": to}),
                    Some((id, Expect::In(to.to_owned()))),
                )
            }
            (7, Some(id)) => (
                "delete_climb",
                json!({"id": id}),
                Some((id, Expect::Deleted)),
            ),
            (8, Some(id)) => {
                out.pending_bolts = Some((id.clone(), step as u32));
                (
                    "update_climb",
                    json!({"id": id, "changes": {"bolts": step as u32}}),
                    None,
                )
            }
            _ => (
                "create_area",
                json!({"name": format!("Wall w{w} s{step}"), "kind": "wall", "parent_id": crag}),
                None,
            ),
        };
        match tool(&agent, url, &auth, name, args.clone()) {
            Ok(r) if r["isError"] == false => {
                out.acknowledged += 1;
                let s = &r["structuredContent"];
                match name {
                    "create_climb" => {
                        let id = s["id"].as_str().unwrap().to_owned();
                        out.climbs.insert(
                            id.clone(),
                            Expect::In(s["area_id"].as_str().unwrap().to_owned()),
                        );
                        order.push(id);
                    }
                    "create_area" => out.areas.push(s["id"].as_str().unwrap().to_owned()),
                    "update_climb" => {
                        let (id, bolts) = out.pending_bolts.take().unwrap();
                        assert_eq!(s["bolts"], bolts);
                        out.bolts.insert(id, bolts);
                    }
                    _ => {
                        if let Some((id, state)) = concerns {
                            out.climbs.insert(id, state);
                        }
                    }
                }
            }
            Ok(r) => {
                out.pending_bolts = None;
                out.errors
                    .push(format!("{name}({args}): {}", error_text(&r)))
            }
            Err(e) => {
                // The host is gone (or going): this write may or may not have landed.
                out.pending = concerns;
                out.in_flight = e.starts_with("transport");
                if !e.starts_with("transport") && !e.starts_with("refused") {
                    out.errors.push(format!("{name}({args}): {e}"));
                }
                break;
            }
        }
    }
    out
}

/// Walks the area tree with `repair_indexes` from the top level; returns
/// (areas checked, entries checked, dangling, misplaced).
fn repair_walk(host: &Host, fix: bool) -> (usize, usize, usize, usize) {
    let mut queue: Vec<Option<String>> = vec![None];
    let (mut areas, mut entries, mut dangling, mut misplaced) = (0, 0, 0, 0);
    while let Some(area) = queue.pop() {
        let mut args = json!({"fix": fix});
        if let Some(a) = &area {
            args["area_id"] = json!(a);
        }
        let r = ok_tool(host, "repair_indexes", args);
        areas += 1;
        entries += r["entries_checked"].as_u64().unwrap() as usize;
        dangling += r["dangling"].as_u64().unwrap() as usize;
        misplaced += r["misplaced"].as_u64().unwrap() as usize;
        assert_eq!(r["fixed"], fix);
        for child in r["child_area_ids"].as_array().unwrap() {
            queue.push(Some(child.as_str().unwrap().to_owned()));
        }
    }
    (areas, entries, dangling, misplaced)
}

#[test]
fn killed_hosts_keep_every_acknowledged_write() {
    let seed = std::env::var("RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("crash consistency: seed {seed} (set RELIABILITY_SEED to replay)");
    let mut rng = Rng(seed | 1);
    let dir = temp_dir();
    let mut host = host_builder()
        .sqlite(dir.path().join("kv.db"))
        .var("rate_limit_per_minute", "0")
        .start();
    let country = ok_tool(
        &host,
        "create_area",
        json!({"name": "Crashland", "kind": "country"}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (mut total_acked, mut total_pending, mut total_climbs_checked) = (0u64, 0usize, 0usize);
    let mut repairs = Vec::new();
    for round in 0..ROUNDS {
        let crag = ok_tool(
            &host,
            "create_area",
            json!({"name": format!("Crag {round}"), "kind": "crag", "parent_id": country}),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let sector = ok_tool(
            &host,
            "create_area",
            json!({"name": format!("Sector {round}"), "kind": "sector", "parent_id": crag}),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let url = host.url();
        let stop = AtomicBool::new(false);
        let kill_after = Duration::from_millis(150 + rng.below(1350));
        let seeds: Vec<u64> = (0..WRITERS).map(|_| rng.next()).collect();
        let results: Mutex<Vec<Writes>> = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for (w, seed) in seeds.iter().enumerate() {
                let (url, crag, sector, stop, results) = (&url, &crag, &sector, &stop, &results);
                s.spawn(move || {
                    let r = writer(w, url, crag, sector, stop, *seed);
                    results.lock().unwrap().push(r);
                });
            }
            std::thread::sleep(kill_after);
            // SIGKILL (`Child::kill`), mid-request for some writers.
            host.stop();
            stop.store(true, Ordering::Relaxed);
        });
        host.restart();
        let results = results.into_inner().unwrap();
        let acked: u64 = results.iter().map(|r| r.acknowledged).sum();
        let pending = results.iter().filter(|r| r.in_flight).count();
        let errors: Vec<&String> = results.iter().flat_map(|r| &r.errors).collect();
        assert!(
            errors.is_empty(),
            "round {round}: writes refused: {errors:?}"
        );
        total_acked += acked;
        total_pending += pending;

        // Every acknowledged write is readable, and each live climb is in the list
        // of the area it is in.
        let mut lists: HashMap<String, HashSet<String>> = HashMap::new();
        for area in [&crag, &sector] {
            let items = all_pages(&host, "list_climbs", json!({"area_id": area}));
            let counts = id_counts(&items);
            assert!(
                counts.values().all(|n| *n == 1),
                "round {round}: duplicates in {area}"
            );
            lists.insert(area.clone(), counts.into_keys().collect());
        }
        for r in &results {
            for (id, expect) in &r.climbs {
                total_climbs_checked += 1;
                let alt = r.pending.as_ref().filter(|(p, _)| p == id).map(|(_, e)| e);
                let got = call_tool(&host, "get_climb", json!({"id": id}));
                let now = if got["isError"] == false {
                    Expect::In(
                        got["structuredContent"]["area_id"]
                            .as_str()
                            .unwrap()
                            .to_owned(),
                    )
                } else {
                    assert!(
                        error_text(&got).contains("no climb"),
                        "round {round}: {got}"
                    );
                    Expect::Deleted
                };
                assert!(
                    now == *expect || Some(&now) == alt,
                    "round {round}: climb {id} is {now:?}, acknowledged as {expect:?} (in flight: {alt:?})"
                );
                if let (Expect::In(_), Some(bolts)) = (&now, r.bolts.get(id)) {
                    let alt = r
                        .pending_bolts
                        .as_ref()
                        .filter(|(p, _)| p == id)
                        .map(|(_, b)| *b);
                    let got = got["structuredContent"]["bolts"].as_u64().map(|b| b as u32);
                    assert!(
                        got == Some(*bolts) || got == alt,
                        "round {round}: climb {id} has bolts {got:?}, acknowledged {bolts} (in flight: {alt:?})"
                    );
                }
                if let Expect::In(area) = &now {
                    assert!(
                        lists[area].contains(id),
                        "round {round}: climb {id} is missing from the list of {area}"
                    );
                }
            }
            for area in &r.areas {
                let got = ok_tool(&host, "get_area", json!({"id": area}));
                assert_eq!(got["parent_id"], crag.as_str());
            }
        }
        let walls = all_pages(&host, "list_areas", json!({"parent_id": crag}));
        let walls: HashSet<&str> = walls.iter().map(|a| a["id"].as_str().unwrap()).collect();
        for area in results.iter().flat_map(|r| &r.areas) {
            assert!(
                walls.contains(area.as_str()),
                "round {round}: wall {area} not listed"
            );
        }

        // The repair walk: report, fix, report again.
        let report = repair_walk(&host, false);
        let fixed = repair_walk(&host, true);
        let after = repair_walk(&host, false);
        println!(
            "  round {round}: killed after {kill_after:?}, {acked} writes acknowledged, {pending} in flight; \
             repair report: {} areas, {} entries, {} dangling, {} misplaced; after fix: {} dangling, {} misplaced",
            report.0, report.1, report.2, report.3, after.2, after.3
        );
        assert_eq!(
            (fixed.2, fixed.3),
            (report.2, report.3),
            "round {round}: fix saw what report saw"
        );
        assert_eq!(
            (after.2, after.3),
            (0, 0),
            "round {round}: repaired indexes are clean"
        );
        repairs.push((report.2, report.3));
    }
    let needed = repairs.iter().filter(|(d, m)| d + m > 0).count();
    println!(
        "crash consistency: {ROUNDS} rounds, {total_acked} acknowledged writes ({total_climbs_checked} climb checks), \
         {total_pending} writes in flight at a kill; repairs needed in {needed} rounds: {repairs:?}"
    );
}
