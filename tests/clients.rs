//! The official MCP SDK clients (Python `mcp`, TypeScript `@modelcontextprotocol/sdk`)
//! against the built component over Streamable HTTP with a bearer token.
//!
//! The client scripts live in `tests/clients/`; their packages are pinned there and
//! installed on first use (`common::deps`). A failed install fails the test with
//! the command to run by hand; nothing is skipped.

mod common;

use common::mcp::{host_builder, token};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: the Python script runs its checks twice (both protocol eras).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("clients")
}

/// Output of a command that must run to completion, or a panic that says why not.
fn run(mut cmd: Command, what: &str) -> (bool, String, String) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what} ({e})"));
    // Drain both pipes on threads so a chatty script never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for a client script") {
            break status;
        }
        if start.elapsed() > SCRIPT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} did not finish within {SCRIPT_TIMEOUT:?}; stderr:\n{}",
                err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.success(), out.join().unwrap(), err.join().unwrap())
}

/// Runs `interpreter script URL` with the token in `MCP_TOKEN` against a fresh
/// host and returns the script's stdout; panics with both outputs on failure.
fn run_client(interpreter: &Path, script: &str) -> String {
    let host = host_builder().start();
    let url = format!("{}/mcp", host.url());
    let mut cmd = Command::new(interpreter);
    cmd.current_dir(clients_dir())
        .arg(script)
        .arg(&url)
        .env("MCP_TOKEN", token("sdk", "climb:read climb:write"))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let interpreter = interpreter.display();
    let (ok, out, err) = run(cmd, &format!("{interpreter} {script}"));
    assert!(
        ok,
        "{interpreter} {script} failed against {url}\nstdout:\n{out}\nstderr:\n{err}\nhost output:\n{}",
        host.output()
    );
    println!("{}", out.trim_end());
    out
}

#[test]
fn python_sdk_client_over_streamable_http_with_bearer_token() {
    let out = run_client(&common::deps::python(), "python_client.py");
    // One line per protocol era: the initialize handshake and server/discover.
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("checks passed"))
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains("(protocol 2025-11-25): 9 checks passed"),
        "{out}"
    );
    assert!(
        lines[1].contains("(protocol 2026-07-28): 9 checks passed"),
        "{out}"
    );
}

#[test]
fn typescript_sdk_client_over_streamable_http_with_bearer_token() {
    let out = run_client(&common::deps::node_clients(), "ts_client.mjs");
    assert!(
        out.contains("(protocol 2025-11-25): 9 checks passed"),
        "{out}"
    );
}
