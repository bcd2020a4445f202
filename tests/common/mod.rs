//! Test harness shared by the integration tests: runs `climbing-host serve` as a
//! child process on a free loopback port and speaks HTTP to it.
//!
//! With `CLIMBING_TEST_RUNTIME=spin` the same tests run the component under the
//! Spin CLI instead (`spin up` from the project's spin.toml, see spin.rs); a test
//! that needs climbing-host (its metrics headers, its flags) says so with
//! [`HostBuilder::climbing_host_only`] and runs there in both variants.
//!
//! ```ignore
//! mod common;
//! use common::Host;
//!
//! let host = Host::builder().var("jwt_secret", "s3cret").start();
//! let resp = host.post("/mcp", &[("content-type", "application/json")], br#"{...}"#);
//! assert_eq!(resp.status, 200);
//! assert_eq!(resp.kv_ops(), Some(3));
//! ```
#![allow(dead_code)] // each test crate uses a different part of the harness

pub mod deps;
pub mod events;
pub mod mcp;
pub mod raw_http;
pub mod redis;
pub mod spin;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Path of the host binary cargo built for these tests.
pub const HOST_BIN: &str = env!("CARGO_BIN_EXE_climbing-host");

/// How long a host may take to print its listening line. A cold start compiles
/// the component (tens of seconds in a debug build); later starts hit the cache.
const START_TIMEOUT: Duration = Duration::from_secs(300);

/// The first start in a test process compiles the component into the on-disk
/// cache; starting every test's host at once on a cold cache would compile it N
/// times in parallel. The first start holds this lock until it is listening.
static CACHE_WARM: Mutex<bool> = Mutex::new(false);

/// What serves the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// `climbing-host serve` (Wasmtime).
    ClimbingHost,
    /// `spin up --from spin.toml` (the Spin CLI).
    Spin,
}

impl Runtime {
    /// `CLIMBING_TEST_RUNTIME`: `spin`, or `climbing-host` (the default).
    pub fn from_env() -> Runtime {
        match std::env::var("CLIMBING_TEST_RUNTIME").as_deref() {
            Err(_) | Ok("") | Ok("climbing-host") => Runtime::ClimbingHost,
            Ok("spin") => Runtime::Spin,
            Ok(other) => {
                panic!("CLIMBING_TEST_RUNTIME={other}: expected `spin` or `climbing-host`")
            }
        }
    }
}

/// Where a host keeps its key-value data.
#[derive(Debug, Clone)]
pub enum Store {
    /// `--store memory`: gone when the process stops (also across `restart`).
    Memory,
    /// A SQLite file; `restart` and other hosts can share it.
    Sqlite(PathBuf),
    /// The Redis server at this `redis_url`, which the component reaches itself
    /// (`kv_backend = "redis"`); the runtime's own store stays in memory, unused.
    /// The one store several Spin processes can share.
    Redis(String),
}

/// Configures a host before starting it.
#[derive(Debug, Clone)]
pub struct HostBuilder {
    store: Store,
    component: Option<PathBuf>,
    vars: Vec<(String, String)>,
    env: Vec<(String, String)>,
    args: Vec<String>,
    metrics: bool,
    runtime: Runtime,
    allow_outbound: Vec<String>,
}

impl HostBuilder {
    /// The component's variables: those set with [`HostBuilder::var`], then
    /// those the store implies.
    fn all_vars(&self) -> Vec<(String, String)> {
        let mut vars = self.vars.clone();
        if let Store::Redis(url) = &self.store {
            vars.push(("kv_backend".to_owned(), "redis".to_owned()));
            vars.push(("redis_url".to_owned(), url.clone()));
        }
        vars
    }

    /// Runs on climbing-host whatever `CLIMBING_TEST_RUNTIME` says, for a test
    /// that depends on it; `why` is printed, so the choice shows in the output.
    pub fn climbing_host_only(mut self, why: &str) -> Self {
        if self.runtime != Runtime::ClimbingHost {
            eprintln!("climbing-host only ({why})");
        }
        self.runtime = Runtime::ClimbingHost;
        self
    }

    pub fn runtime(&self) -> Runtime {
        self.runtime
    }

    /// Runs on `runtime` whatever `CLIMBING_TEST_RUNTIME` says (tests about one
    /// runtime).
    pub fn on(mut self, runtime: Runtime) -> Self {
        self.runtime = runtime;
        self
    }

    /// Lets the component fetch from `url`'s origin: `--allow-outbound` on
    /// climbing-host, the `oauth_jwks_origin` variable behind spin.toml's
    /// `allowed_outbound_hosts` on Spin.
    pub fn allow_outbound(mut self, url: &str) -> Self {
        self.allow_outbound.push(url.to_owned());
        self
    }

    /// In-memory store (the default).
    pub fn memory(mut self) -> Self {
        self.store = Store::Memory;
        self
    }

    /// SQLite store at `path` (parent directories are created by the host).
    pub fn sqlite(mut self, path: impl Into<PathBuf>) -> Self {
        self.store = Store::Sqlite(path.into());
        self
    }

    /// The Redis server at `url` (`redis://127.0.0.1:PORT`): the variables
    /// `kv_backend = "redis"` and `redis_url`, on either runtime.
    pub fn redis(mut self, url: &str) -> Self {
        self.store = Store::Redis(url.to_owned());
        self
    }

    /// Serve another component than the embedded one (`--component`).
    pub fn component(mut self, path: impl Into<PathBuf>) -> Self {
        self.component = Some(path.into());
        self
    }

    /// `--var NAME=VALUE`.
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.push((name.into(), value.into()));
        self
    }

    /// An environment variable for the host process (e.g. `SPIN_VARIABLE_X`).
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Any other `serve` flag(s), e.g. `.args(["--timeout-ms", "500"])`.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Leave out `--expose-metrics` (on by default in tests), e.g. to measure
    /// the host as it serves in production.
    pub fn without_metrics(mut self) -> Self {
        self.metrics = false;
        self
    }

    /// Starts the host and waits until it listens. Panics if it does not.
    pub fn start(self) -> Host {
        let mut host = Host {
            config: self,
            child: None,
            addr: String::new(),
            output: Arc::new(Mutex::new(String::new())),
            agent: agent(),
            spin_dir: None,
        };
        host.spawn();
        host
    }
}

/// A running `climbing-host serve`. Dropping it kills the process.
pub struct Host {
    config: HostBuilder,
    child: Option<Child>,
    addr: String,
    output: Arc<Mutex<String>>,
    agent: ureq::Agent,
    /// Under Spin: the manifest and runtime config (and nothing else).
    spin_dir: Option<tempfile::TempDir>,
}

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Names lowercased, in arrival order; repeated headers appear repeatedly.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body text if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The JSON-RPC response the body carries: the body itself, or on an event
    /// stream (a tool that logged or reported progress) the event holding the
    /// response, after the notifications.
    pub fn rpc_response(&self) -> serde_json::Value {
        let streamed = self
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/event-stream"));
        if !streamed {
            return self.json();
        }
        self.text()
            .split("\n\n")
            .filter_map(|event| {
                let data: Vec<&str> = event
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim_start)
                    .collect();
                serde_json::from_str::<serde_json::Value>(&data.join("\n")).ok()
            })
            .find(|message| message.get("id").is_some())
            .unwrap_or_else(|| panic!("no JSON-RPC response in the event stream: {}", self.text()))
    }

    /// `climbing-host-kv-ops`: key-value calls the request made.
    pub fn kv_ops(&self) -> Option<u64> {
        self.header("climbing-host-kv-ops")?.parse().ok()
    }

    /// `climbing-host-fuel`: fuel the request consumed.
    pub fn fuel(&self) -> Option<u64> {
        self.header("climbing-host-fuel")?.parse().ok()
    }

    /// `climbing-host-memory`: peak linear memory of the instance, in bytes.
    pub fn memory(&self) -> Option<u64> {
        self.header("climbing-host-memory")?.parse().ok()
    }
}

impl Host {
    /// A host on the embedded component with an in-memory store and metrics.
    pub fn start() -> Host {
        Host::builder().start()
    }

    pub fn builder() -> HostBuilder {
        HostBuilder {
            store: Store::Memory,
            component: None,
            vars: Vec::new(),
            env: Vec::new(),
            args: Vec::new(),
            metrics: true,
            runtime: Runtime::from_env(),
            allow_outbound: Vec::new(),
        }
    }

    /// What serves the component.
    pub fn runtime(&self) -> Runtime {
        self.config.runtime
    }

    /// `http://127.0.0.1:PORT` (no trailing slash). Changes on `restart`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub fn store(&self) -> &Store {
        &self.config.store
    }

    /// Everything the host printed so far (stdout and stderr, interleaved by line).
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.request("GET", path, headers, None)
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: impl AsRef<[u8]>) -> Response {
        self.request("POST", path, headers, Some(body.as_ref()))
    }

    pub fn delete(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.request("DELETE", path, headers, None)
    }

    /// Any method; `path` starts with `/` and may carry a query.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Response {
        send(
            &self.agent,
            method,
            &format!("{}{path}", self.url()),
            headers,
            body,
        )
        .unwrap_or_else(|e| {
            panic!(
                "{method} {path} failed: {e}\nhost output:\n{}",
                self.output()
            )
        })
    }

    /// Kills the process and waits for it. Idempotent.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            match self.config.runtime {
                Runtime::ClimbingHost => {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                Runtime::Spin => spin::stop(&mut child),
            }
        }
    }

    /// Kills the process at once, as a crash would (SIGKILL; under Spin, to
    /// `spin up` and its app process), and waits for it. Idempotent.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            match self.config.runtime {
                Runtime::ClimbingHost => {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                Runtime::Spin => spin::kill(&mut child),
            }
        }
    }

    /// Stops and starts again with the same configuration and store (a SQLite
    /// store keeps its data; a memory store starts empty). The port changes.
    pub fn restart(&mut self) {
        self.stop();
        // Pooled connections point at the old port.
        self.agent = agent();
        self.spawn();
    }

    fn spawn(&mut self) {
        if self.config.runtime == Runtime::Spin {
            return self.spawn_spin();
        }
        let c = &self.config;
        let mut cmd = Command::new(HOST_BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--store"]);
        match &c.store {
            Store::Memory | Store::Redis(_) => cmd.arg("memory"),
            Store::Sqlite(path) => cmd.arg(path),
        };
        if c.metrics {
            cmd.arg("--expose-metrics");
        }
        if let Some(component) = &c.component {
            cmd.arg("--component").arg(component);
        }
        for (name, value) in c.all_vars() {
            cmd.arg("--var").arg(format!("{name}={value}"));
        }
        for url in &c.allow_outbound {
            cmd.arg("--allow-outbound").arg(url);
        }
        cmd.args(&c.args);
        // Only what the test asks for: no SPIN_VARIABLE_* or allow-list from the
        // environment cargo test runs in.
        for (name, _) in std::env::vars() {
            if name.starts_with("SPIN_VARIABLE_") || name == "CLIMBING_ALLOW_OUTBOUND" {
                cmd.env_remove(name);
            }
        }
        cmd.envs(c.env.iter().map(|(k, v)| (k, v)));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());

        let warm = CACHE_WARM.lock().unwrap_or_else(|p| p.into_inner());
        // Only the first start keeps the lock (the others queue behind it); once
        // the cache is warm, starts run in parallel.
        let mut first_start = if *warm { None } else { Some(warm) };
        let mut child = cmd.spawn().expect("spawning climbing-host");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let output = self.output.clone();
        // Readers drain both pipes for the life of the process, so the host never
        // blocks on a full pipe; the stdout one reports the listening line.
        std::thread::spawn(move || {
            let mut addr = None;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                output.lock().unwrap().push_str(&format!("{line}\n"));
                if let Some(a) = line.strip_prefix("climbing-host listening on http://") {
                    addr = Some(a.trim().to_owned());
                }
                // The banner ends with the Claude Code command; once it is out,
                // the whole banner is in `output`.
                if line.trim_start().starts_with("claude mcp add") {
                    if let Some(addr) = addr.take() {
                        let _ = tx.send(addr);
                    }
                }
            }
        });
        let output = self.output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[climbing-host] {line}");
                output.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });

        let addr = rx.recv_timeout(START_TIMEOUT);
        if let Some(warm) = first_start.as_mut() {
            **warm = addr.is_ok();
        }
        drop(first_start);
        match addr {
            Ok(addr) => {
                self.addr = addr;
                self.child = Some(child);
            }
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                // Give the reader threads a moment to collect the last words.
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "climbing-host did not start ({status:?}); output:\n{}",
                    self.output()
                );
            }
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A client with connection reuse, no status-as-error, and a generous timeout.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// One request with `agent`, body read in full. Usable from many threads (clone
/// the agent or make one per thread).
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Response, ureq::Error> {
    let mut builder = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    // `()` sends no body at all (no `content-length: 0` on a GET).
    let mut response = match body {
        Some(body) => agent.run(builder.body(body).expect("valid request"))?,
        None => agent.run(builder.body(()).expect("valid request"))?,
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A fresh temporary directory for a test's store files, removed on drop.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("creating a temp dir")
}

/// `dir/kv.db`.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("kv.db")
}
