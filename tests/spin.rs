//! Under the Spin CLI itself, whatever `CLIMBING_TEST_RUNTIME` says: the manifest
//! builds and serves from a fresh clone (`spin build && spin up`), and several
//! `spin up` processes share one SQLite file as far as Spin's SQLite store allows
//! (one request at a time). Concurrent Spin replicas use Redis (`kv_backend =
//! "redis"`): tests/replicas.rs (a rolling restart under four clients) and
//! tests/scale_out.rs (sixteen writers racing on one record) run them too.
//!
//! Spin is found through `SPIN_BIN`, `spin` on `PATH`, or `../shared/spin/spin`
//! beside the workspace; without it these tests fail (they never skip).

mod common;

use common::mcp::{bearer, host_builder, ok_tool, post_rpc, rpc, seed_crag, ALL, RESOURCE, SECRET};
use common::{spin, temp_dir, Host, Runtime};
use serde_json::json;
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("running git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A clone of this repository's HEAD in `target/spin-fresh-clone/repo`: only
/// what is committed. The clone's `target/` is kept from the last run (a cold
/// component build takes minutes) but the component itself is removed, so only
/// `spin build` can put it where spin.toml's `source` points.
fn fresh_clone() -> std::path::PathBuf {
    let base = spin::workspace().join("target/spin-fresh-clone");
    let repo = base.join("repo");
    let kept_target = base.join("kept-target");
    std::fs::create_dir_all(&base).unwrap();
    if repo.join("target").is_dir() {
        let _ = std::fs::remove_dir_all(&kept_target);
        std::fs::rename(repo.join("target"), &kept_target).unwrap();
    }
    let _ = std::fs::remove_dir_all(&repo);
    let out = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(spin::workspace())
        .arg(&repo)
        .output()
        .expect("running git clone");
    assert!(
        out.status.success(),
        "git clone failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if kept_target.is_dir() {
        std::fs::rename(&kept_target, repo.join("target")).unwrap();
    }
    git(&repo, &["log", "-1", "--oneline"]);
    repo
}

/// The `source` of spin.toml's component.
fn manifest_source(repo: &Path) -> String {
    let manifest = std::fs::read_to_string(repo.join("spin.toml")).unwrap();
    let line = manifest
        .lines()
        .find(|l| l.starts_with("source = "))
        .expect("spin.toml has a source");
    line["source = ".len()..]
        .trim()
        .trim_matches('"')
        .to_owned()
}

#[test]
fn spin_build_then_spin_up_serves_from_a_fresh_clone() {
    let spin_bin = spin::require();
    let repo = fresh_clone();
    let source = repo.join(manifest_source(&repo));
    let _ = std::fs::remove_file(&source);

    // What a newcomer runs: `spin build` runs the manifest's build command, in
    // the clone, with no target dir of ours leaking in.
    let out = Command::new(&spin_bin)
        .arg("build")
        .current_dir(&repo)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .output()
        .expect("running spin build");
    assert!(
        out.status.success(),
        "spin build failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        source.is_file(),
        "spin build did not produce spin.toml's source {}",
        source.display()
    );

    // `spin up` from the clone (its own manifest, its own build output).
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("runtime-config.toml"),
        spin::runtime_config(None),
    )
    .unwrap();
    let addr = spin::free_addr();
    let mut cmd = Command::new(&spin_bin);
    cmd.arg("up")
        .arg("--from")
        .arg(repo.join("spin.toml"))
        .arg("--listen")
        .arg(&addr)
        .arg("--runtime-config-file")
        .arg(dir.path().join("runtime-config.toml"))
        .env("SPIN_VARIABLE_JWT_HS256_SECRET", SECRET)
        .env("SPIN_VARIABLE_RESOURCE_URL", RESOURCE)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().expect("spawning spin up");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.starts_with("Serving http://") {
                let _ = tx.send(());
            }
        }
    });
    let served = rx.recv_timeout(std::time::Duration::from_secs(300));
    let answer = served.ok().map(|()| {
        common::send(
            &common::agent(),
            "POST",
            &format!("http://{addr}/mcp"),
            &[
                ("content-type", "application/json"),
                ("authorization", &bearer(ALL)),
            ],
            Some(rpc(1, "ping", json!({})).to_string().as_bytes()),
        )
    });
    spin::stop(&mut child);
    let answer = answer
        .expect("spin up did not serve the built app")
        .expect("POST /mcp");
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.json()["result"], json!({}));
}

/// Replicas under Spin: three `spin up` processes on one SQLite file, called in
/// turn, one request at a time, while each is restarted in turn (a rolling
/// restart). Writes on any replica are read on the others, before and after.
///
/// One at a time because that is what Spin's SQLite store supports across
/// processes: under concurrent writes several processes on one file get
/// "database is locked" (docs/operations.md, "Key-value backends"); a deployment
/// with several Spin replicas uses Redis, as
/// `rolling_restart_of_three_spin_replicas_on_redis_is_invisible_to_clients` in
/// tests/replicas.rs does under concurrent clients.
#[test]
fn three_spin_replicas_on_one_sqlite_file_through_a_rolling_restart() {
    let dir = temp_dir();
    let path = dir.path().join("kv.db");
    let start = || host_builder().on(Runtime::Spin).sqlite(&path).start();
    let mut replicas: Vec<Host> = (0..3).map(|_| start()).collect();
    let crag = seed_crag(&replicas[0]);
    let mut created = Vec::new();
    for round in 0..3 {
        // Replica `round` is restarted; the others answer meanwhile.
        replicas[round].stop();
        for i in 0..6 {
            let up: Vec<&Host> = replicas
                .iter()
                .enumerate()
                .filter(|(n, _)| *n != round)
                .map(|(_, h)| h)
                .collect();
            let (writer, reader) = (up[i % 2], up[(i + 1) % 2]);
            let name = format!("Route {round}-{i}");
            let climb = ok_tool(
                writer,
                "create_climb",
                json!({"name": name, "area_id": crag, "grades": {"yds": "5.10a"}, "disciplines": ["sport"]}),
            );
            let got = ok_tool(reader, "get_climb", json!({"id": climb["id"]}));
            assert_eq!(got["name"], name);
            created.push(climb["id"].clone());
        }
        replicas[round].restart();
    }
    for host in &replicas {
        let listed = ok_tool(host, "list_climbs", json!({"area_id": crag, "limit": 50}));
        assert_eq!(
            listed["items"].as_array().unwrap().len(),
            created.len(),
            "{}",
            listed
        );
        let r = post_rpc(host, &bearer(ALL), &[], &rpc(1, "ping", json!({})));
        assert_eq!(r.status, 200);
    }
}
