//! A deployment shape: three replicas on one store behind a round-robin front,
//! and a rolling restart of every replica while clients keep calling. It runs
//! twice: three `climbing-host serve` on one SQLite file, and three `spin up` on
//! one Redis server (`kv_backend = "redis"`), since Spin's SQLite store is for one
//! process (several on one file see "database is locked", docs/operations.md).
//!
//! The front sends each request to the next replica in turn. A request that fails
//! at the transport level (the replica is being restarted) is retried on the next
//! replica, as a load balancer would; those retries are counted apart from errors.
//! The clients must see no JSON-RPC error and no non-2xx answer, and at the end
//! every climb they created and every update the server accepted is there.

mod common;

use common::mcp::{host_builder, token};
use common::redis::Redis;
use common::{agent, send, temp_dir, Host, HostBuilder, Runtime};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

const REPLICAS: usize = 3;
const WORKERS: usize = 4;
/// Calls the workers make (at least; they also keep going until every replica
/// has been restarted).
const MIN_CALLS: u64 = 1_200;
/// Calls before the first restart, and traffic between restarts.
const WARMUP_CALLS: u64 = 150;
const BETWEEN_RESTARTS: Duration = Duration::from_millis(1_500);
/// How long a stopped replica stays in the rotation before it is started again
/// (on top of its start time), so requests do hit the dead address.
const DOWN_TIME: Duration = Duration::from_millis(400);
/// Attempts per request across replicas before the front gives up.
const MAX_ATTEMPTS: usize = 2 * REPLICAS;

/// How a request failed below HTTP.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Transport {
    /// Connection refused: the request never reached a server; retrying is safe.
    Refused,
    /// Reset, EOF or similar after the request may have been sent: a retried
    /// write may have been applied already.
    Broken,
}

/// The round-robin front: replica addresses (updated on restart) and counters.
struct Front {
    addrs: RwLock<Vec<String>>,
    next: AtomicUsize,
    calls: AtomicU64,
    retries_refused: AtomicU64,
    retries_broken: AtomicU64,
}

/// A JSON-RPC answer as the front got it.
struct Answer {
    body: Value,
    /// The request was retried after a `Broken` failure: it may have been
    /// applied twice.
    ambiguous: bool,
}

impl Front {
    fn new(hosts: &[Host]) -> Front {
        Front {
            addrs: RwLock::new(hosts.iter().map(Host::url).collect()),
            next: AtomicUsize::new(0),
            calls: AtomicU64::new(0),
            retries_refused: AtomicU64::new(0),
            retries_broken: AtomicU64::new(0),
        }
    }

    fn set_addr(&self, replica: usize, url: String) {
        self.addrs.write().unwrap()[replica] = url;
    }

    /// POSTs one JSON-RPC message to the next replica, retrying on the following
    /// ones after a transport failure. Non-2xx answers are errors, not retried.
    fn post(&self, agent: &ureq::Agent, auth: &str, msg: &Value) -> Result<Answer, String> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let body = msg.to_string();
        let headers = [
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("authorization", auth),
            ("mcp-protocol-version", "2025-11-25"),
        ];
        let mut ambiguous = false;
        let mut last = String::new();
        for _ in 0..MAX_ATTEMPTS {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % REPLICAS;
            let url = format!("{}/mcp", self.addrs.read().unwrap()[i]);
            match send(agent, "POST", &url, &headers, Some(body.as_bytes())) {
                Ok(r) if (200..300).contains(&r.status) => {
                    let body = if r.body.is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_slice(&r.body).map_err(|e| {
                            format!("{url}: {} body is not JSON ({e}): {}", r.status, r.text())
                        })?
                    };
                    return Ok(Answer { body, ambiguous });
                }
                Ok(r) => {
                    return Err(format!(
                        "{url} answered {} to {}: {}",
                        r.status,
                        msg["method"],
                        r.text()
                    ))
                }
                Err(e) => {
                    let kind = classify(&e);
                    last = format!("{url}: {kind:?}: {e}");
                    match kind {
                        Transport::Refused => &self.retries_refused,
                        Transport::Broken => {
                            ambiguous = true;
                            &self.retries_broken
                        }
                    }
                    .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        Err(format!(
            "no replica answered {} after {MAX_ATTEMPTS} attempts; last: {last}",
            msg["method"]
        ))
    }

    /// A request whose JSON-RPC answer must be a result.
    fn rpc(
        &self,
        agent: &ureq::Agent,
        auth: &str,
        method: &str,
        params: Value,
    ) -> Result<(Value, bool), String> {
        let msg = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let a = self.post(agent, auth, &msg)?;
        if a.body.get("error").is_some() || a.body.get("result").is_none() {
            return Err(format!("JSON-RPC error for {method}: {}", a.body));
        }
        Ok((a.body["result"].clone(), a.ambiguous))
    }

    /// A tool call; `Ok((result, ambiguous))` whether or not `isError`.
    fn tool(
        &self,
        agent: &ureq::Agent,
        auth: &str,
        name: &str,
        args: Value,
    ) -> Result<(Value, bool), String> {
        self.rpc(
            agent,
            auth,
            "tools/call",
            json!({"name": name, "arguments": args}),
        )
    }

    /// A tool call that must succeed; its structured content.
    fn ok_tool(
        &self,
        agent: &ureq::Agent,
        auth: &str,
        name: &str,
        args: Value,
    ) -> Result<Value, String> {
        let (r, _) = self.tool(agent, auth, name, args.clone())?;
        if r["isError"] != false {
            return Err(format!("{name}({args}) failed: {r}"));
        }
        Ok(r["structuredContent"].clone())
    }
}

fn classify(e: &ureq::Error) -> Transport {
    match e {
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            Transport::Refused
        }
        ureq::Error::ConnectionFailed => Transport::Refused,
        _ => Transport::Broken,
    }
}

/// What a worker knows about one of its climbs.
#[derive(Debug, Clone)]
struct Known {
    version: u64,
    description: Option<String>,
}

/// Per-worker results.
#[derive(Default)]
struct Outcome {
    created: HashMap<String, Known>,
    /// Creates retried after a broken connection (each may have made a duplicate).
    ambiguous_creates: u64,
    updates: u64,
    errors: Vec<String>,
}

/// One client: a mix of calls until `stop`, owning the climbs it creates (so an
/// `expected_version` conflict can only come from a replayed request).
fn worker(w: usize, front: &Front, crag: &str, stop: &AtomicBool) -> Outcome {
    let agent = agent();
    // A subject per client: the rate limit is per subject.
    let auth = format!(
        "Bearer {}",
        token(&format!("client-{w}"), "climb:read climb:write")
    );
    let mut out = Outcome::default();
    let mut order: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut step: u64 = 0;
    let fail = |out: &mut Outcome, e: String| {
        if out.errors.len() < 20 {
            out.errors.push(format!("client {w}: {e}"));
        }
    };

    // What a client does on connect; the later calls go to other replicas.
    let init = front.rpc(
        &agent,
        &auth,
        "initialize",
        json!({"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": format!("replica-client-{w}"), "version": "1"}}),
    );
    if let Err(e) = init {
        fail(&mut out, e);
    }
    if let Err(e) = front.post(
        &agent,
        &auth,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    ) {
        fail(&mut out, e);
    }

    while !stop.load(Ordering::Relaxed) {
        step += 1;
        let r: Result<(), String> = match step % 20 {
            // create (25%)
            0 | 4 | 8 | 12 | 16 => (|| {
                let name = format!("w{w}-climb-{step}");
                let (r, ambiguous) = front.tool(
                    &agent,
                    &auth,
                    "create_climb",
                    json!({"name": name, "area_id": crag, "grades": {"french": "6a"}, "disciplines": ["sport"]}),
                )?;
                if r["isError"] != false {
                    return Err(format!("create_climb {name}: {r}"));
                }
                if ambiguous {
                    out.ambiguous_creates += 1;
                }
                let c = &r["structuredContent"];
                let id = c["id"].as_str().ok_or(format!("no id: {r}"))?.to_owned();
                out.created.insert(
                    id.clone(),
                    Known {
                        version: c["version"].as_u64().unwrap_or(0),
                        description: None,
                    },
                );
                order.push(id);
                Ok(())
            })(),
            // update with expected_version (25%)
            1 | 5 | 9 | 13 | 17 if !order.is_empty() => (|| {
                let id = order[(step as usize * 7) % order.len()].clone();
                let known = out.created[&id].clone();
                let description = format!("w{w} update at step {step}");
                let (r, ambiguous) = front.tool(
                    &agent,
                    &auth,
                    "update_climb",
                    json!({"id": id, "expected_version": known.version, "changes": {"description": description, "bolts": step % 40}}),
                )?;
                let version = if r["isError"] == false {
                    r["structuredContent"]["version"].as_u64().unwrap_or(0)
                } else if ambiguous {
                    // Replayed after a broken connection: the first attempt may
                    // have been applied. It was if the climb now carries it.
                    let now = front.ok_tool(&agent, &auth, "get_climb", json!({"id": id}))?;
                    if now["description"] != description.as_str() {
                        return Err(format!("update of {id} lost after a retry: {r}; now {now}"));
                    }
                    now["version"].as_u64().unwrap_or(0)
                } else {
                    return Err(format!("update_climb {id} v{}: {r}", known.version));
                };
                if version != known.version + 1 {
                    return Err(format!(
                        "update of {id} from v{} gave v{version}",
                        known.version
                    ));
                }
                out.updates += 1;
                out.created.insert(
                    id,
                    Known {
                        version,
                        description: Some(description),
                    },
                );
                Ok(())
            })(),
            // get: the latest write, whichever replica took it (20%)
            2 | 6 | 10 | 14 if !order.is_empty() => (|| {
                let id = &order[(step as usize * 13) % order.len()];
                let got = front.ok_tool(&agent, &auth, "get_climb", json!({"id": id}))?;
                let known = &out.created[id];
                if got["version"].as_u64() != Some(known.version)
                    || got["description"].as_str() != known.description.as_deref()
                {
                    return Err(format!("get_climb {id}: stale {got}, expected {known:?}"));
                }
                Ok(())
            })(),
            // list with cursors: one page per call, each page from the next replica (15%)
            3 | 7 | 11 => (|| {
                let page = front.ok_tool(
                    &agent,
                    &auth,
                    "list_climbs",
                    json!({"area_id": crag, "limit": 25, "cursor": cursor}),
                )?;
                if page["items"].as_array().is_none() {
                    return Err(format!("list_climbs page: {page}"));
                }
                cursor = page["next_cursor"].as_str().map(str::to_owned);
                Ok(())
            })(),
            15 | 19 => front
                .rpc(&agent, &auth, "tools/list", json!({}))
                .and_then(|(r, _)| match r["tools"].as_array() {
                    Some(t) if t.iter().any(|t| t["name"] == "update_climb") => Ok(()),
                    _ => Err(format!("tools/list: {r}")),
                }),
            _ => front.rpc(&agent, &auth, "ping", json!({})).map(drop),
        };
        if let Err(e) = r {
            fail(&mut out, e);
        }
    }
    out
}

#[test]
fn rolling_restart_of_three_replicas_on_one_store_is_invisible_to_clients() {
    let dir = temp_dir();
    let builder = host_builder()
        .climbing_host_only(
            "Spin's SQLite store is for one process; its replicas run on Redis below",
        )
        .sqlite(dir.path().join("kv.db"));
    rolling_restart(builder, "one SQLite store");
}

/// The same clients, front and checks with three `spin up` processes on one
/// `redis-server` of the test's own.
#[test]
fn rolling_restart_of_three_spin_replicas_on_redis_is_invisible_to_clients() {
    let redis = Redis::start();
    let builder = host_builder().on(Runtime::Spin).redis(&redis.url());
    rolling_restart(builder, &format!("Redis at {}", redis.url()));
}

/// Starts [`REPLICAS`] hosts from `builder` (all on one shared `store`), runs the
/// [`WORKERS`] clients through the front while each host is restarted in turn,
/// then checks every climb created and every update accepted.
fn rolling_restart(builder: HostBuilder, store: &str) {
    let runtime = builder.runtime();
    // The limiter stays on (it is part of the deployment); the clients just call
    // faster than the default 600 per subject per minute.
    let builder = builder.var("rate_limit_per_minute", "100000");
    let mut hosts: Vec<Host> = (0..REPLICAS).map(|_| builder.clone().start()).collect();
    let front = Arc::new(Front::new(&hosts));

    let setup = agent();
    let admin = format!("Bearer {}", token("setup", "climb:read climb:write"));
    let country = front
        .ok_tool(
            &setup,
            &admin,
            "create_area",
            json!({"name": "Replicaland", "kind": "country"}),
        )
        .unwrap();
    let crag = front
        .ok_tool(
            &setup,
            &admin,
            "create_area",
            json!({"name": "Rolling Crag", "kind": "crag", "parent_id": country["id"]}),
        )
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (front, stop, crag) = (front.clone(), stop.clone(), crag.clone());
            std::thread::spawn(move || worker(w, &front, &crag, &stop))
        })
        .collect();

    // The operator: restart each replica in turn under load. The process is killed
    // (SIGKILL, under Spin to `spin up` and its app process) with requests in
    // flight, which the front retries elsewhere; until the new one listens, its old
    // address stays in the rotation. A SIGTERM would not do under Spin: it cancels
    // the requests in flight and answers them 500, which only a balancer that
    // drains the replica first can hide (docs/operations.md).
    let wait_for_calls = |n: u64| {
        while front.calls.load(Ordering::Relaxed) < n {
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for_calls(WARMUP_CALLS);
    let mut restarts = 0;
    let mut restart_times = Vec::new();
    for (i, host) in hosts.iter_mut().enumerate() {
        let t = Instant::now();
        host.kill();
        std::thread::sleep(DOWN_TIME);
        host.restart();
        front.set_addr(i, host.url());
        restart_times.push(t.elapsed());
        restarts += 1;
        std::thread::sleep(BETWEEN_RESTARTS);
    }
    wait_for_calls(MIN_CALLS);
    stop.store(true, Ordering::Relaxed);
    let outcomes: Vec<Outcome> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let load_calls = front.calls.load(Ordering::Relaxed);
    let load_elapsed = started.elapsed();

    let errors: Vec<&String> = outcomes.iter().flat_map(|o| &o.errors).collect();
    assert!(
        errors.is_empty(),
        "{} client errors during the rolling restart, first ones:\n{}",
        errors.len(),
        errors
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Every climb created is there, as last written, whichever replica answers.
    let mut created: HashMap<String, Known> = HashMap::new();
    for o in &outcomes {
        created.extend(o.created.clone());
    }
    let ambiguous_creates: u64 = outcomes.iter().map(|o| o.ambiguous_creates).sum();
    let updates: u64 = outcomes.iter().map(|o| o.updates).sum();
    let failures = Mutex::new(Vec::new());
    for (id, known) in &created {
        match front.ok_tool(&setup, &admin, "get_climb", json!({"id": id})) {
            Ok(got)
                if got["version"].as_u64() == Some(known.version)
                    && got["description"].as_str() == known.description.as_deref() => {}
            Ok(got) => failures
                .lock()
                .unwrap()
                .push(format!("{id}: {got} but expected {known:?}")),
            Err(e) => failures.lock().unwrap().push(e),
        }
    }
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} climbs not as written: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );

    // And paging list_climbs (each page from the next replica) finds each once.
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = front
            .ok_tool(
                &setup,
                &admin,
                "list_climbs",
                json!({"area_id": crag, "limit": 50, "cursor": cursor}),
            )
            .unwrap();
        for c in page["items"].as_array().unwrap() {
            listed.push(c["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let unique: HashSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "a climb listed twice");
    let missing: Vec<&String> = created.keys().filter(|id| !unique.contains(id)).collect();
    assert!(missing.is_empty(), "created but not listed: {missing:?}");
    // Extra climbs can only come from creates replayed after a broken connection.
    let extra = listed.len() - created.len();
    assert!(
        extra as u64 <= ambiguous_creates,
        "{extra} climbs listed that no client created ({ambiguous_creates} replayed creates)"
    );

    let calls = front.calls.load(Ordering::Relaxed);
    println!(
        "replicas: {REPLICAS} on {runtime:?} sharing {store}, {WORKERS} clients; {load_calls} calls under load \
         ({calls} with verification) in {:.1}s; {restarts} restarts (each {:?}); transport-level \
         retries: {} refused, {} broken ({ambiguous_creates} replayed creates); errors: 0; \
         climbs verified: {} (get_climb and {} listed), updates verified: {updates}",
        load_elapsed.as_secs_f64(),
        restart_times
            .iter()
            .map(|t| format!("{:.1}s", t.as_secs_f64()))
            .collect::<Vec<_>>(),
        front.retries_refused.load(Ordering::Relaxed),
        front.retries_broken.load(Ordering::Relaxed),
        created.len(),
        listed.len(),
    );
    assert!(load_calls >= MIN_CALLS);
    assert_eq!(restarts, REPLICAS);
    assert!(
        front.retries_refused.load(Ordering::Relaxed)
            + front.retries_broken.load(Ordering::Relaxed)
            > 0,
        "no request ever hit a restarting replica: the restarts were not under load"
    );
}

/// Writes the replicas' `/mcp` URLs, one per line, atomically (the Python client
/// re-reads the file when it changes).
fn write_urls(path: &Path, hosts: &[Host]) {
    let text: String = hosts.iter().map(|h| format!("{}/mcp\n", h.url())).collect();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The same scenario driven by the official Python SDK: one `ClientSession`
/// whose requests a round-robin transport spreads over the replicas
/// (`tests/clients/python_replicas.py`), through a rolling restart.
#[test]
fn python_sdk_session_round_robin_through_a_rolling_restart() {
    let python = common::deps::python();
    let dir = temp_dir();
    let builder = host_builder()
        .sqlite(dir.path().join("kv.db"))
        .var("rate_limit_per_minute", "100000");
    let mut hosts: Vec<Host> = (0..REPLICAS).map(|_| builder.clone().start()).collect();
    let urls = dir.path().join("urls.txt");
    let ready = dir.path().join("ready");
    let stop = dir.path().join("stop");
    write_urls(&urls, &hosts);

    let clients = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/clients");
    let mut child = Command::new(&python)
        .current_dir(&clients)
        .arg("python_replicas.py")
        .arg("--urls-file")
        .arg(&urls)
        .arg("--ready-file")
        .arg(&ready)
        .arg("--stop-file")
        .arg(&stop)
        .args(["--min-calls", "300"])
        .env("MCP_TOKEN", token("py-replicas", "climb:read climb:write"))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {} ({e})", python.display()));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    let deadline = Instant::now() + Duration::from_secs(120);
    let wait = |cond: &dyn Fn() -> bool, child: &mut std::process::Child| {
        while !cond() {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            assert!(
                Instant::now() < deadline,
                "python_replicas.py took too long"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    };
    let early = wait(&|| ready.exists(), &mut child);
    let mut restarts = 0;
    if early.is_none() {
        std::thread::sleep(Duration::from_millis(500));
        for i in 0..REPLICAS {
            hosts[i].stop();
            std::thread::sleep(DOWN_TIME);
            hosts[i].restart();
            write_urls(&urls, &hosts);
            restarts += 1;
            std::thread::sleep(Duration::from_millis(700));
        }
    }
    std::fs::write(&stop, "").unwrap();
    let status = match early {
        Some(status) => status,
        None => loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "python_replicas.py took too long:\n{}",
                    stderr.join().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        },
    };
    let (out, err) = (stdout.join().unwrap(), stderr.join().unwrap());
    assert!(
        status.success(),
        "python_replicas.py failed ({status})\nstdout:\n{out}\nstderr:\n{err}"
    );
    println!("{} (restarts: {restarts})", out.trim_end());
    assert_eq!(restarts, REPLICAS);
    assert!(out.contains("errors: 0"), "{out}");
}
