//! Scale-out on a real Redis server: three replicas serving the built component
//! with `kv_backend = "redis"` (the component's own Redis store, reached through
//! the outbound Redis interface), sixteen concurrent writers. The replicas are
//! `climbing-host serve`; the race and the killed replicas run again with three
//! `spin up` (the Spin CLI, whatever `CLIMBING_TEST_RUNTIME` says).
//!
//! Each test starts its own `redis-server` (AOF on, fsync on every write) on a free
//! loopback port (tests/common/redis.rs), installing it from Debian first when it
//! is missing. What must
//! hold, in every scenario: no accepted update is lost (the contended climb's final
//! version is 1 + the updates accepted, plus at most the updates whose answer was
//! lost to a crash), every acknowledged climb and tick is listed, nothing is listed
//! twice, no create is stored twice, and no request hangs.

mod common;

use common::mcp::{host_builder, token, ALL};
use common::redis::Redis;
use common::{Host, HostBuilder, Runtime, HOST_BIN};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REPLICAS: usize = 3;
const WRITERS: usize = 16;
/// No request may take longer than this, whatever the store does: the store's
/// call limit (2 s) plus the bounded retries, well under the host's 30 s timeout.
const REQUEST_BOUND: Duration = Duration::from_secs(10);

/// Numbers the climbs the writers create, so each create has its own name.
static NEXT_NAME: AtomicU64 = AtomicU64::new(0);

/// One scenario at a time: each is sized for its own three replicas and sixteen
/// writers, and six of them at once (on both runtimes) on a small machine starve
/// the hot index page's compare-and-swap loop past its time budget, which is a
/// refusal the scenarios rightly count as a failure.
static ONE_SCENARIO: Mutex<()> = Mutex::new(());

/// Holds [`ONE_SCENARIO`] (also after another scenario failed while holding it).
fn one_scenario() -> std::sync::MutexGuard<'static, ()> {
    ONE_SCENARIO.lock().unwrap_or_else(|p| p.into_inner())
}

// ---- replicas -------------------------------------------------------------------

/// A replica as the scenarios start it on `runtime`: the component's own Redis
/// store, one state secret for all, no rate limit (the writers call fast), and
/// served as in production (no metrics: metering slows each request, which
/// widens every compare-and-swap race the writers run).
fn replica(runtime: Runtime, redis: &Redis) -> HostBuilder {
    host_builder()
        .on(runtime)
        .without_metrics()
        .redis(&redis.url())
        .var("state_secret", "scale-out-state-secret-0123456789")
        .var("rate_limit_per_minute", "0")
}

fn start_replicas(runtime: Runtime, redis: &Redis) -> Vec<Host> {
    // One at a time: the first compiles the component into the cache.
    (0..REPLICAS)
        .map(|_| replica(runtime, redis).start())
        .collect()
}

/// The `/mcp` URL of a replica (it changes when the replica is restarted).
fn mcp_url(host: &Host) -> String {
    format!("{}/mcp", host.url())
}

// ---- calls ----------------------------------------------------------------------

#[derive(Debug)]
enum Outcome {
    Ok(Value),
    /// A tool result with isError: a refusal (conflict, validation).
    Refused(String),
    /// A JSON-RPC error or a non-200 answer: the server's own failure.
    Failed(String),
    /// No HTTP answer (the replica died mid-request); the client error.
    Transport(#[allow(dead_code)] String),
}

fn call(agent: &ureq::Agent, url: &str, subject: &str, tool: &str, args: Value) -> Outcome {
    let auth = format!("Bearer {}", token(subject, ALL));
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": tool, "arguments": args}})
    .to_string();
    let headers = [
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
        ("authorization", auth.as_str()),
        ("mcp-protocol-version", "2025-11-25"),
    ];
    let start = Instant::now();
    let answer = common::send(agent, "POST", url, &headers, Some(body.as_bytes()));
    let took = start.elapsed();
    assert!(took < REQUEST_BOUND, "{tool} took {took:?}");
    let response = match answer {
        Ok(r) => r,
        Err(e) => return Outcome::Transport(e.to_string()),
    };
    if response.status != 200 {
        return Outcome::Failed(format!("HTTP {}: {}", response.status, response.text()));
    }
    let v = response.json();
    if let Some(error) = v.get("error") {
        return Outcome::Failed(error["message"].as_str().unwrap_or("").to_owned());
    }
    if v["result"]["isError"] == true {
        return Outcome::Refused(
            v["result"]["content"][0]["text"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
    }
    Outcome::Ok(v["result"]["structuredContent"].clone())
}

fn client() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(REQUEST_BOUND))
        .build()
        .into()
}

fn must(url: &str, tool: &str, args: Value) -> Value {
    match call(&client(), url, "admin", tool, args) {
        Outcome::Ok(v) => v,
        other => panic!("{tool}: {other:?}"),
    }
}

/// Every item of a paginated list tool, as called by `subject`.
fn list_all(url: &str, subject: &str, tool: &str, args: Value) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut a = args.clone();
        a["limit"] = json!(200);
        if let Some(c) = &cursor {
            a["cursor"] = json!(c);
        }
        let page = match call(&client(), url, subject, tool, a) {
            Outcome::Ok(v) => v,
            other => panic!("{tool}: {other:?}"),
        };
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

// ---- the workload ---------------------------------------------------------------

/// What the writers were told, and what may have happened without an answer.
#[derive(Default)]
struct Ledger {
    accepted: AtomicU64,
    conflicts: AtomicU64,
    /// Updates whose outcome the client never learned (transport loss, store error).
    unsure_updates: AtomicU64,
    unsure_creates: AtomicU64,
    climbs: Mutex<Vec<String>>,
    ticks: Mutex<HashMap<String, Vec<String>>>,
    failures: Mutex<Vec<String>>,
}

struct Scene {
    crag: String,
    contended: String,
}

fn seed(url: &str) -> Scene {
    let country = must(
        url,
        "create_area",
        json!({"name": "Norway", "kind": "country"}),
    );
    let crag = must(
        url,
        "create_area",
        json!({"name": "Flatanger", "kind": "crag", "parent_id": country["id"]}),
    );
    let crag = crag["id"].as_str().unwrap().to_owned();
    let climb = must(url, "create_climb", new_climb(&crag, "Silence"));
    Scene {
        contended: climb["id"].as_str().unwrap().to_owned(),
        crag,
    }
}

fn new_climb(crag: &str, name: &str) -> Value {
    json!({"name": name, "area_id": crag, "grades": {"french": "7a"}, "disciplines": ["sport"]})
}

/// Runs the writers until each made `rounds` rounds and `keep_going` is clear,
/// sending request i of a writer to replica i mod 3.
fn run_writers(
    urls: &Arc<Mutex<Vec<String>>>,
    scene: &Scene,
    rounds: usize,
    keep_going: &AtomicBool,
    ledger: &Arc<Ledger>,
) {
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (urls, ledger) = (urls.clone(), ledger.clone());
            s.spawn(move || {
                let agent = client();
                let subject = format!("writer-{w}");
                let mut n = w;
                let mut next_url = || {
                    n += 1;
                    let urls = urls.lock().unwrap();
                    urls[n % urls.len()].clone()
                };
                let mut round = 0;
                while round < rounds || keep_going.load(Ordering::SeqCst) {
                    round += 1;
                    // A versioned update of the one contended climb.
                    if let Outcome::Ok(c) =
                        call(&agent, &next_url(), &subject, "get_climb", json!({"id": scene.contended}))
                    {
                        let args = json!({"id": scene.contended, "expected_version": c["version"],
                                          "changes": {"description": format!("{subject} round {round}")}});
                        match call(&agent, &next_url(), &subject, "update_climb", args) {
                            Outcome::Ok(_) => {
                                ledger.accepted.fetch_add(1, Ordering::SeqCst);
                            }
                            Outcome::Refused(m) if m.contains("changed by someone else") => {
                                ledger.conflicts.fetch_add(1, Ordering::SeqCst);
                            }
                            other => {
                                ledger.unsure_updates.fetch_add(1, Ordering::SeqCst);
                                ledger.failures.lock().unwrap().push(format!("{other:?}"));
                            }
                        }
                    }
                    // Unique across every run of the writers in one test.
                    let name = format!("{subject}-{}", NEXT_NAME.fetch_add(1, Ordering::SeqCst));
                    match call(&agent, &next_url(), &subject, "create_climb", new_climb(&scene.crag, &name)) {
                        Outcome::Ok(c) => ledger.climbs.lock().unwrap().push(c["id"].as_str().unwrap().into()),
                        other => {
                            ledger.unsure_creates.fetch_add(1, Ordering::SeqCst);
                            ledger.failures.lock().unwrap().push(format!("{other:?}"));
                        }
                    }
                    let tick = json!({"climb_id": scene.contended, "style": "lead", "attempt": "redpoint"});
                    match call(&agent, &next_url(), &subject, "log_tick", tick) {
                        Outcome::Ok(t) => ledger
                            .ticks
                            .lock()
                            .unwrap()
                            .entry(subject.clone())
                            .or_default()
                            .push(t["id"].as_str().unwrap().into()),
                        other => {
                            ledger.unsure_creates.fetch_add(1, Ordering::SeqCst);
                            ledger.failures.lock().unwrap().push(format!("{other:?}"));
                        }
                    }
                }
            });
        }
    });
}

/// The invariants, checked through `url` once everything is healthy again. With
/// `exact`, no answer was lost, so the counts must match exactly.
fn verify(url: &str, scene: &Scene, ledger: &Ledger, exact: bool) {
    let accepted = ledger.accepted.load(Ordering::SeqCst);
    let unsure = ledger.unsure_updates.load(Ordering::SeqCst);
    let climb = must(url, "get_climb", json!({"id": scene.contended}));
    let version = climb["version"].as_u64().unwrap();
    assert!(
        (1 + accepted..=1 + accepted + unsure).contains(&version),
        "lost or phantom updates: version {version}, accepted {accepted}, unsure {unsure}"
    );
    if exact {
        assert_eq!(version, 1 + accepted);
    }

    let listed = list_all(url, "admin", "list_climbs", json!({"area_id": scene.crag}));
    let ids: Vec<&str> = listed.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a climb is listed twice");
    let names: HashSet<&str> = listed.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names.len(),
        listed.len(),
        "one create_climb call stored two climbs"
    );
    let acknowledged = ledger.climbs.lock().unwrap();
    for id in acknowledged.iter() {
        assert!(
            unique.contains(id.as_str()),
            "acknowledged climb {id} is not listed"
        );
    }
    let unsure_creates = ledger.unsure_creates.load(Ordering::SeqCst) as usize;
    assert!(listed.len() <= acknowledged.len() + 1 + unsure_creates);
    if exact {
        assert_eq!(listed.len(), acknowledged.len() + 1);
    }

    for (subject, ticks) in ledger.ticks.lock().unwrap().iter() {
        let listed = list_all(url, subject, "list_ticks", json!({}));
        let ids: HashSet<&str> = listed.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), listed.len(), "{subject}: a tick is listed twice");
        for id in ticks {
            assert!(
                ids.contains(id.as_str()),
                "{subject}: acknowledged tick {id} is not listed"
            );
        }
        if exact {
            assert_eq!(listed.len(), ticks.len(), "{subject}");
        }
    }
    eprintln!(
        "verified: {accepted} updates accepted, {} refused as conflicts, {unsure} unsure; \
         {} climbs and {} ticks acknowledged, {unsure_creates} creates unsure; final version {version}",
        ledger.conflicts.load(Ordering::SeqCst),
        acknowledged.len(),
        ledger.ticks.lock().unwrap().values().map(Vec::len).sum::<usize>()
    );
}

/// `climbing-host doctor` against a replica: the store check passes, and the
/// indexes are clean once `--fix` removed what crashes left.
fn doctor(url: &str) {
    let run = |fix: bool| {
        let mut cmd = Command::new(HOST_BIN);
        cmd.args(["doctor", "--url", url, "--token", &token("admin", ALL)]);
        if fix {
            cmd.arg("--fix");
        }
        cmd.output().expect("running doctor")
    };
    let fixed = run(true);
    let text = String::from_utf8_lossy(&fixed.stdout).into_owned();
    assert!(
        fixed.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&fixed.stderr)
    );
    assert!(text.contains("the store is safe"), "{text}");
    let again = run(false);
    let text = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        again.status.success() && text.contains("no problems found"),
        "{text}"
    );
}

fn urls_of(replicas: &[Host]) -> Arc<Mutex<Vec<String>>> {
    Arc::new(Mutex::new(replicas.iter().map(mcp_url).collect()))
}

// ---- scenarios ------------------------------------------------------------------

#[test]
fn three_hosts_sixteen_writers_lose_nothing() {
    sixteen_writers_lose_nothing(Runtime::ClimbingHost);
}

/// The same race under the Spin CLI: three `spin up` processes, each request's
/// compare-and-swap going through Spin's outbound Redis interface.
#[test]
fn three_spin_replicas_sixteen_writers_lose_nothing() {
    sixteen_writers_lose_nothing(Runtime::Spin);
}

fn sixteen_writers_lose_nothing(runtime: Runtime) {
    let _alone = one_scenario();
    let redis = Redis::start();
    let replicas = start_replicas(runtime, &redis);
    let scene = seed(&mcp_url(&replicas[0]));
    let ledger = Arc::new(Ledger::default());
    run_writers(
        &urls_of(&replicas),
        &scene,
        12,
        &AtomicBool::new(false),
        &ledger,
    );
    let failures = ledger.failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "{failures:?}");
    assert!(ledger.accepted.load(Ordering::SeqCst) > 0);
    verify(&mcp_url(&replicas[1]), &scene, &ledger, true);
    doctor(&mcp_url(&replicas[2]));
}

#[test]
fn hosts_killed_mid_write_lose_nothing_acknowledged() {
    hosts_killed_mid_write(Runtime::ClimbingHost);
}

/// Under Spin the SIGKILL goes to `spin up` and its app process. (Killed, not
/// stopped: a stop is SIGTERM, after which Spin may still answer requests it had
/// taken; the rolling restart of tests/replicas.rs covers that.)
#[test]
fn spin_replicas_killed_mid_write_lose_nothing_acknowledged() {
    hosts_killed_mid_write(Runtime::Spin);
}

fn hosts_killed_mid_write(runtime: Runtime) {
    let _alone = one_scenario();
    let redis = Redis::start();
    let replicas = Arc::new(Mutex::new(start_replicas(runtime, &redis)));
    let scene = seed(&mcp_url(&replicas.lock().unwrap()[0]));
    let urls = urls_of(&replicas.lock().unwrap());
    let ledger = Arc::new(Ledger::default());
    // The writers keep going until three replicas were killed.
    let killing = AtomicBool::new(true);
    let kills = AtomicU64::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            for k in 0..REPLICAS {
                std::thread::sleep(Duration::from_millis(600));
                // SIGKILL one replica while requests are in flight on it, then
                // bring it back (on a new port, which the writers then call).
                let mut replicas = replicas.lock().unwrap();
                let victim = &mut replicas[k % REPLICAS];
                victim.kill();
                kills.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(150));
                victim.restart();
                urls.lock().unwrap()[k % REPLICAS] = mcp_url(victim);
            }
            // Traffic after the last restart, too.
            std::thread::sleep(Duration::from_millis(500));
            killing.store(false, Ordering::SeqCst);
        });
        run_writers(&urls, &scene, 4, &killing, &ledger);
    });
    assert_eq!(kills.load(Ordering::SeqCst), REPLICAS as u64);
    for f in ledger.failures.lock().unwrap().iter() {
        // Only answers lost with a killed host, or store trouble the server named.
        assert!(f.starts_with("Transport"), "{f}");
    }
    let first = mcp_url(&replicas.lock().unwrap()[0]);
    verify(&first, &scene, &ledger, false);
    doctor(&first);
}

#[test]
fn redis_killed_and_restarted_loses_nothing_acknowledged_and_outages_fail_fast() {
    redis_killed_and_restarted(Runtime::ClimbingHost);
}

/// Under Spin each request opens its own connection through Spin's outbound Redis
/// interface, so an outage is met (and named) by the request that meets it.
#[test]
fn redis_killed_under_spin_replicas_loses_nothing_acknowledged_and_outages_fail_fast() {
    redis_killed_and_restarted(Runtime::Spin);
}

fn redis_killed_and_restarted(runtime: Runtime) {
    let _alone = one_scenario();
    let mut redis = Redis::start();
    let replicas = start_replicas(runtime, &redis);
    let url = mcp_url(&replicas[0]);
    let scene = seed(&url);
    let urls = urls_of(&replicas);
    let ledger = Arc::new(Ledger::default());
    run_writers(&urls, &scene, 4, &AtomicBool::new(false), &ledger);
    let failures = ledger.failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "{failures:?}");

    // SIGKILL Redis: with appendfsync always, everything acknowledged is on disk.
    redis.kill();
    let agent = client();
    for replica in &replicas {
        let started = Instant::now();
        match call(
            &agent,
            &mcp_url(replica),
            "admin",
            "create_climb",
            new_climb(&scene.crag, "During outage"),
        ) {
            Outcome::Failed(message) => assert!(
                message.contains("Redis") && message.contains(&redis.port.to_string()),
                "an outage must be named: {message}"
            ),
            other => panic!("a write with Redis down answered {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        match call(
            &agent,
            &mcp_url(replica),
            "admin",
            "get_climb",
            json!({"id": scene.contended}),
        ) {
            Outcome::Failed(message) => assert!(message.contains("Redis"), "{message}"),
            other => panic!("a read with Redis down answered {other:?}"),
        }
    }
    redis.spawn();
    verify(&url, &scene, &ledger, true);

    // Stopped mid-run: writers keep going through an outage of about two seconds.
    let outage = AtomicBool::new(true);
    let redis = Mutex::new(redis);
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(700));
            redis.lock().unwrap().kill();
            std::thread::sleep(Duration::from_secs(2));
            redis.lock().unwrap().spawn();
            // Writes after the store is back, too.
            std::thread::sleep(Duration::from_millis(1_000));
            outage.store(false, Ordering::SeqCst);
        });
        run_writers(&urls, &scene, 4, &outage, &ledger);
    });
    let failures = ledger.failures.lock().unwrap().len();
    assert!(failures > 0, "the writers never met the outage");
    for f in ledger.failures.lock().unwrap().iter() {
        assert!(
            f.contains("Redis") || f.contains("did not confirm"),
            "unclear error: {f}"
        );
    }
    verify(&url, &scene, &ledger, false);
    doctor(&url);
}
