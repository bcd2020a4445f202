//! The official MCP SDK clients (Python `mcp`, TypeScript `@modelcontextprotocol/sdk`)
//! against the built component over Streamable HTTP with a bearer token.
//!
//! The client scripts live in `tests/clients/`; their packages are pinned there and
//! installed by `.ci/install-clients`. A missing interpreter or package fails the
//! test (with that instruction) instead of skipping it.

mod common;

use common::mcp::{host_builder, token};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Generous: the Python script runs its checks twice (both protocol eras).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

const INSTALL_HINT: &str =
    "run .ci/install-clients (pip install -r tests/clients/requirements.txt \
     and npm ci --prefix tests/clients) to install the SDK clients";

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
        .unwrap_or_else(|e| panic!("cannot run {what} ({e}); {INSTALL_HINT}"));
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

/// Fails (never skips) when `python3` or its `mcp` package is missing.
fn require_python() {
    let mut cmd = Command::new("python3");
    cmd.args(["-c", "import mcp, jwt, httpx2"]);
    let (ok, _, err) = run(cmd, "python3");
    assert!(
        ok,
        "python3 cannot import the MCP SDK: {}\n{INSTALL_HINT}",
        err.trim()
    );
}

/// Fails (never skips) when `node` or the installed SDK is missing.
fn require_node() {
    let (ok, _, err) = run(
        {
            let mut cmd = Command::new("node");
            cmd.arg("--version");
            cmd
        },
        "node",
    );
    assert!(ok, "node does not run: {}\n{INSTALL_HINT}", err.trim());
    let sdk = clients_dir().join("node_modules/@modelcontextprotocol/sdk/package.json");
    assert!(sdk.exists(), "{} is missing; {INSTALL_HINT}", sdk.display());
}

/// Runs `interpreter script URL` with the token in `MCP_TOKEN` against a fresh
/// host and returns the script's stdout; panics with both outputs on failure.
fn run_client(interpreter: &str, script: &str) -> String {
    let host = host_builder().start();
    let url = format!("{}/mcp", host.url());
    let mut cmd = Command::new(interpreter);
    cmd.current_dir(clients_dir())
        .arg(script)
        .arg(&url)
        .env("MCP_TOKEN", token("sdk", "climb:read climb:write"))
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
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
    require_python();
    let out = run_client("python3", "python_client.py");
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
    require_node();
    let out = run_client("node", "ts_client.mjs");
    assert!(
        out.contains("(protocol 2025-11-25): 9 checks passed"),
        "{out}"
    );
}
