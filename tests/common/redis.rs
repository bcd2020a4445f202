//! A `redis-server` of the test's own on a free loopback port, for the tests of
//! `kv_backend = "redis"` (tests/scale_out.rs, the Spin replicas of
//! tests/replicas.rs): AOF on, fsync on every write, no snapshots, its data in a
//! temporary directory. Installed from Debian first when it is missing.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Installs redis-server from Debian when it is not on PATH; panics with the one
/// command to run when that is impossible (not root, no network).
pub fn ensure_installed() {
    let present = || {
        Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if present() {
        return;
    }
    eprintln!("redis-server is missing; installing it with apt-get");
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    if !apt(&["install", "-y", "-qq", "redis-server"]) {
        apt(&["update", "-qq"]);
        apt(&["install", "-y", "-qq", "redis-server"]);
    }
    assert!(
        present(),
        "these tests need redis-server and could not install it; run \
         `sudo apt-get install -y redis-server`, then run them again"
    );
}

/// A loopback port free now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Waits until something accepts connections on `port`; panics after `within`.
pub fn wait_listening(port: u16, within: Duration, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < within,
            "{what} did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running `redis-server`. Dropping it kills the process (the data directory
/// goes with it).
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    pub fn start() -> Self {
        ensure_installed();
        let mut redis = Redis {
            child: None,
            port: free_port(),
            dir: super::temp_dir(),
        };
        redis.spawn();
        redis
    }

    /// Starts (again) on the same port and data directory: the AOF is replayed.
    pub fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting redis-server");
        self.child = Some(child);
        wait_listening(self.port, Duration::from_secs(20), "redis-server");
    }

    /// SIGKILL: no shutdown save, only what the AOF already holds survives.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `redis://127.0.0.1:PORT`, the `redis_url` of the replicas.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}
