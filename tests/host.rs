//! Integration tests of climbing-host itself: the process, the sandbox per
//! request, limits, and the imports it provides.
//!
//! Most tests serve the probe component (host/tests/fixtures/probe), which runs
//! one host import per path, so they do not depend on what climbing-mcp does.
//! Only `embedded_component_is_served` uses the embedded component.

mod common;

use common::{send, Host};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Builds the probe component once per test run (wasm32-wasip2, its own target
/// dir so it never waits on the lock of the cargo that runs these tests).
fn probe() -> &'static Path {
    static PROBE: OnceLock<PathBuf> = OnceLock::new();
    PROBE.get_or_init(|| {
        let host_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let manifest = host_dir.join("tests/fixtures/probe/Cargo.toml");
        let target_dir = host_dir.join("../target/probe");
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(&manifest);
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let leaks = [
                "RUSTC_WRAPPER",
                "RUSTC_WORKSPACE_WRAPPER",
                "RUSTFLAGS",
                "MAKEFLAGS",
            ]
            .iter()
            .any(|v| name == *v)
                || [
                    "CARGO_MANIFEST_",
                    "CARGO_PKG_",
                    "CARGO_ENCODED_",
                    "CARGO_MAKEFLAGS",
                    "CARGO_BUILD_",
                    "CARGO_TARGET_",
                ]
                .iter()
                .any(|p| name.starts_with(p));
            if leaks {
                cmd.env_remove(name.as_ref());
            }
        }
        cmd.env("CARGO_TARGET_DIR", &target_dir);
        let out = cmd
            .output()
            .expect("running cargo to build the probe component");
        assert!(
            out.status.success(),
            "building the probe component failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        target_dir.join("wasm32-wasip2/release/climbing_host_probe.wasm")
    })
}

fn probe_host() -> common::HostBuilder {
    Host::builder().component(probe())
}

#[test]
fn embedded_component_is_served() {
    let host = Host::start();
    let out = host.output();
    assert!(
        out.contains(&format!("climbing-host listening on {}", host.url())),
        "{out}"
    );
    assert!(out.contains(&format!("{}/mcp", host.url())), "{out}");
    assert!(out.contains("store: memory"), "{out}");
    assert!(
        out.contains("claude mcp add --transport http climbing"),
        "{out}"
    );
    let resp = host.get("/mcp", &[]);
    // Whatever the component answers, it is the component's answer.
    assert!(resp.status < 500, "{} {}", resp.status, resp.text());
    assert!(resp.kv_ops().is_some() && resp.fuel().is_some() && resp.memory().is_some());
}

#[test]
fn each_request_gets_a_fresh_instance() {
    let host = probe_host().start();
    for _ in 0..5 {
        let resp = host.get("/instance-count", &[]);
        assert_eq!((resp.status, resp.text().as_str()), (200, "1"));
    }
}

#[test]
fn statuses_and_bodies_are_the_components() {
    let host = probe_host().start();
    for method in ["GET", "POST", "DELETE", "PUT"] {
        let resp = host.request(method, "/no/such/path", &[], None);
        assert_eq!(resp.status, 404, "{method}");
        assert_eq!(resp.text(), "no probe at /no/such/path");
        assert_eq!(resp.header("content-type"), Some("text/plain"));
    }
}

#[test]
fn requests_look_as_they_do_on_spin() {
    let host = probe_host().start();
    let text = host.get("/request?a=1", &[("x-test", "yes")]).text();
    let lines: HashSet<&str> = text.lines().collect();
    let addr = host.addr();
    assert!(
        lines.contains(format!("authority {addr}").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(format!("spin-full-url: http://{addr}/request?a=1").as_str()),
        "{text}"
    );
    assert!(lines.contains("spin-path-info: /request"), "{text}");
    assert!(lines.contains("x-test: yes"), "{text}");
    // Forbidden in wasi:http guests (on Spin too): read the authority instead.
    assert!(!text.to_ascii_lowercase().contains("\nhost:"), "{text}");
}

#[test]
fn counters_and_cas_lose_nothing_across_two_hosts_on_one_sqlite_file() {
    let dir = common::temp_dir();
    let db = common::db_path(dir.path());
    let a = probe_host().sqlite(&db).start();
    let b = probe_host().sqlite(&db).start();
    let urls = [a.url(), b.url()];
    const THREADS: usize = 8;
    const PER_THREAD: usize = 200;

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let urls = urls.clone();
            std::thread::spawn(move || {
                let agent = common::agent();
                let mut counts = Vec::new();
                for i in 0..PER_THREAD {
                    let url = &urls[(t + i) % 2];
                    if i % 2 == 0 {
                        let r =
                            send(&agent, "POST", &format!("{url}/incr?hits"), &[], None).unwrap();
                        assert_eq!(r.status, 200, "{}", r.text());
                        counts.push(r.text().parse::<i64>().unwrap());
                    } else {
                        let r = send(&agent, "POST", &format!("{url}/cas-incr?cas"), &[], None)
                            .unwrap();
                        assert_eq!(r.status, 200, "{}", r.text());
                    }
                }
                counts
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for t in threads {
        for n in t.join().unwrap() {
            assert!(seen.insert(n), "increment returned {n} twice");
        }
    }
    let increments = (THREADS * PER_THREAD / 2) as i64;
    assert_eq!(seen, (1..=increments).collect::<HashSet<_>>());
    assert_eq!(a.get("/get?cas", &[]).text(), increments.to_string());
    assert_eq!(
        b.post("/incr?hits", &[], "").text(),
        (increments + 1).to_string()
    );
}

#[test]
fn sqlite_store_persists_across_restart() {
    let dir = common::temp_dir();
    let db = dir.path().join("nested/dirs/kv.db");
    let mut host = probe_host().sqlite(&db).start();
    assert_eq!(host.post("/set?greeting", &[], "kept").text(), "ok");
    assert_eq!(host.post("/incr?n", &[], "").text(), "1");
    host.restart();
    assert_eq!(host.get("/get?greeting", &[]).text(), "kept");
    assert_eq!(host.post("/incr?n", &[], "").text(), "2");
    assert!(db.exists());
}

#[test]
fn memory_store_starts_empty() {
    let mut host = probe_host().memory().start();
    assert_eq!(host.post("/set?k", &[], "v").text(), "ok");
    assert_eq!(host.get("/get?k", &[]).text(), "v");
    host.restart();
    assert_eq!(host.get("/get?k", &[]).text(), "<none>");
}

#[test]
fn keyvalue_semantics() {
    let host = probe_host().start();
    assert_eq!(host.get("/open?default", &[]).text(), "opened");
    assert_eq!(host.get("/open?other", &[]).text(), "Error::NoSuchStore");

    // CAS create-if-absent: the second one sees the first one's value.
    assert_eq!(host.post("/cas-create?c", &[], "first").text(), "created");
    assert_eq!(
        host.post("/cas-create?c", &[], "second").text(),
        "exists first"
    );
    // Read as absent, created meanwhile: the swap fails and the fresh handle
    // carries the new value. Same for a stale value.
    assert_eq!(
        host.post("/cas-race?r1", &[], "").text(),
        "conflict intruder"
    );
    assert_eq!(
        host.post("/cas-race?r2", &[], "old").text(),
        "conflict intruder"
    );
    assert_eq!(host.get("/get?r1", &[]).text(), "intruder");

    assert_eq!(host.get("/exists?c", &[]).text(), "true");
    assert_eq!(host.post("/delete?c", &[], "").text(), "ok");
    assert_eq!(host.get("/exists?c", &[]).text(), "false");

    // get-many leaves out absent keys (as Spin's SQLite store does).
    assert_eq!(host.post("/set-many", &[], "a=1 b=2").text(), "ok");
    assert_eq!(host.get("/get-many?b,missing,a", &[]).text(), "b=2 a=1");
    assert_eq!(host.post("/delete-many?a,missing", &[], "").text(), "ok");
    assert_eq!(host.get("/get-many?a,b", &[]).text(), "b=2");

    // list-keys pages with a cursor (b, r1, r2 and 1500 more).
    let pairs: Vec<String> = (0..1500).map(|i| format!("k{i:04}=v")).collect();
    assert_eq!(host.post("/set-many", &[], pairs.join(" ")).text(), "ok");
    assert_eq!(host.get("/list-keys", &[]).text(), "1503 2");

    // Counters use Spin's encoding and refuse other values.
    assert_eq!(host.post("/set?text", &[], "not a number").text(), "ok");
    assert_eq!(host.post("/incr?text", &[], "").status, 500);
}

#[test]
fn metrics_headers_count_costs() {
    let host = probe_host().start();
    // 5 gets (opening the bucket is not a data operation)
    assert_eq!(host.get("/ops?5", &[]).kv_ops(), Some(5));
    assert_eq!(host.post("/incr?x", &[], "").kv_ops(), Some(1));
    assert_eq!(host.get("/var?x", &[]).kv_ops(), Some(0));

    let small = host.get("/work?1000", &[]);
    let again = host.get("/work?1000", &[]);
    let large = host.get("/work?100000", &[]);
    assert_eq!(small.fuel(), again.fuel(), "fuel is deterministic");
    assert!(large.fuel().unwrap() > small.fuel().unwrap() + 100_000);
    assert_eq!(small.memory(), again.memory());

    let big = host.get("/alloc?8", &[]);
    assert!(big.memory().unwrap() >= 8 << 20, "{:?}", big.memory());

    let plain = probe_host().without_metrics().start();
    assert_eq!(plain.get("/ops?1", &[]).kv_ops(), None);
}

#[test]
fn trap_is_500_and_serving_goes_on() {
    let host = probe_host().start();
    let resp = host.get("/trap", &[]);
    assert_eq!(resp.status, 500);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert!(resp.json()["error"].is_string());
    assert_eq!(host.get("/instance-count", &[]).status, 200);
}

#[test]
fn time_limit_is_503() {
    let host = probe_host().args(["--timeout-ms", "300"]).start();
    let started = std::time::Instant::now();
    let resp = host.get("/spin", &[]);
    assert_eq!(resp.status, 503);
    assert_eq!(
        resp.text(),
        r#"{"error":"request exceeded the time limit"}"#
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(host.get("/instance-count", &[]).status, 200);
}

#[test]
fn fuel_limit_is_503() {
    let host = probe_host().args(["--fuel-limit", "2000000"]).start();
    assert_eq!(host.get("/work?10", &[]).status, 200);
    let resp = host.get("/work?100000000", &[]);
    assert_eq!(resp.status, 503);
    assert_eq!(resp.json()["error"], "request exceeded the fuel limit");
}

#[test]
fn memory_limit_applies_per_instance() {
    let host = probe_host().args(["--max-memory-mib", "16"]).start();
    assert_eq!(host.get("/alloc?4", &[]).status, 200);
    assert_eq!(host.get("/alloc?32", &[]).status, 500);
    assert_eq!(host.get("/alloc?4", &[]).status, 200);
}

#[test]
fn variables_from_flags_and_environment() {
    let host = probe_host()
        .var("greeting", "from flag")
        .env("SPIN_VARIABLE_GREETING", "from env")
        .env("SPIN_VARIABLE_ONLY_ENV", "env value")
        .start();
    assert_eq!(host.get("/var?greeting", &[]).text(), "value from flag");
    assert_eq!(host.get("/var?only_env", &[]).text(), "value env value");
    assert!(host
        .get("/var?missing", &[])
        .text()
        .starts_with("Error::Undefined"));
    assert!(host
        .get("/var?Bad", &[])
        .text()
        .starts_with("Error::InvalidName"));
    assert!(host
        .get("/var?a__b", &[])
        .text()
        .starts_with("Error::InvalidName"));
}

#[test]
fn invalid_variable_flag_is_refused() {
    let out = Command::new(common::HOST_BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            "memory",
            "--var",
            "Bad=x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Bad"));
}

#[test]
fn outbound_http_only_to_allowed_origins() {
    let target = probe_host().start();
    let url = format!("{}/instance-count", target.url());
    let query = format!("/outbound?{url}");

    let denied = probe_host().start();
    assert_eq!(
        denied.get(&query, &[]).text(),
        "error ErrorCode::HttpRequestDenied"
    );

    let allowed = probe_host()
        .args(["--allow-outbound", &target.url()])
        .start();
    assert_eq!(allowed.get(&query, &[]).text(), "status 200");

    let from_env = probe_host()
        .env(
            "CLIMBING_ALLOW_OUTBOUND",
            &format!("https://example.invalid,{}", target.url()),
        )
        .start();
    assert_eq!(from_env.get(&query, &[]).text(), "status 200");
}
