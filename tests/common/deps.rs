//! What the interop tests need besides the built component, installed on first use
//! so `cargo test --workspace` alone runs everything on a fresh machine:
//!
//! - the official Python SDK client: a virtual environment under
//!   `target/test-deps/venv` with `tests/clients/requirements.txt`;
//! - the official TypeScript SDK client: `npm ci` into `tests/clients/node_modules`;
//! - headless Chromium: Debian's package, through `.ci/apt-install` (root or sudo).
//!
//! Each install runs once per machine (a marker records what was installed, keyed
//! by the pinned requirements), under a file lock, so test binaries and threads
//! running at once do not install twice. A failed install fails the test with the
//! one command to run by hand; nothing is skipped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Serialises installs between the threads of one test binary (the file lock
/// below does it between processes).
static INSTALLING: Mutex<()> = Mutex::new(());

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ lives in the workspace")
        .to_path_buf()
}

fn clients_dir() -> PathBuf {
    workspace().join("tests/clients")
}

fn deps_dir() -> PathBuf {
    workspace().join("target/test-deps")
}

/// The Python interpreter of the test virtual environment, with the MCP SDK
/// (and PyJWT) installed.
pub fn python() -> PathBuf {
    let venv = deps_dir().join("venv");
    let python = venv.join("bin/python3");
    let requirements = clients_dir().join("requirements.txt");
    let pinned = std::fs::read_to_string(&requirements)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", requirements.display()));
    ensure("python-sdk", &pinned, || {
        if !python.exists() {
            run(
                Command::new("python3").arg("-m").arg("venv").arg(&venv),
                "python3 -m venv target/test-deps/venv (install Python 3 with its venv module)",
            )?;
        }
        run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "-q",
                    "-r",
                ])
                .arg(&requirements),
            "target/test-deps/venv/bin/python3 -m pip install -r tests/clients/requirements.txt",
        )
    });
    python
}

/// `tests/clients/node_modules` with the pinned TypeScript SDK; returns `node`.
pub fn node_clients() -> PathBuf {
    let lock = clients_dir().join("package-lock.json");
    let pinned = std::fs::read_to_string(&lock)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", lock.display()));
    let sdk = clients_dir().join("node_modules/@modelcontextprotocol/sdk/package.json");
    ensure("node-sdk", &pinned, || {
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(clients_dir()),
            "npm ci --prefix tests/clients (install Node.js and npm first)",
        )
    });
    assert!(
        sdk.exists(),
        "{} is missing after npm ci; run npm ci --prefix tests/clients",
        sdk.display()
    );
    PathBuf::from("node")
}

/// Debian's headless Chromium.
pub fn chromium() -> PathBuf {
    let chromium = PathBuf::from("/usr/bin/chromium");
    if !chromium.exists() {
        ensure("chromium", "chromium", || {
            run(
                Command::new(workspace().join(".ci/apt-install")).arg("chromium"),
                "sudo apt-get install -y chromium (the test loads the status page in it)",
            )
        });
    }
    assert!(
        chromium.exists(),
        "{} is still missing; install it with: sudo apt-get install -y chromium",
        chromium.display()
    );
    chromium
}

/// Runs `install` unless the marker for `name` already records `pinned`.
fn ensure(name: &str, pinned: &str, install: impl FnOnce() -> Result<(), String>) {
    let _threads = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = deps_dir();
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let lock = File::create(dir.join(format!("{name}.lock")))
        .unwrap_or_else(|e| panic!("cannot create the install lock for {name}: {e}"));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock the install lock for {name}: {e}"));
    let marker = dir.join(format!("{name}.installed"));
    if std::fs::read_to_string(&marker).is_ok_and(|done| done == pinned) {
        return;
    }
    eprintln!("installing {name} for the interop tests (once)...");
    if let Err(instruction) = install() {
        panic!("installing {name} failed; run by hand: {instruction}");
    }
    std::fs::write(&marker, pinned)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", marker.display()));
}

/// Runs an install command, its output passed through; `Err(instruction)` when it
/// cannot run or fails.
fn run(cmd: &mut Command, instruction: &str) -> Result<(), String> {
    match cmd.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{instruction} (it exited with {status})")),
        Err(e) => Err(format!("{instruction} (it could not start: {e})")),
    }
}
