//! Serving a component under the Spin CLI (`spin up`), for the bench's rows
//! under the runtime people deploy: ours with the project's own spin.toml (its
//! `source` pointed at the benchmarked component), the floor with a minimal
//! manifest; variables as `SPIN_VARIABLE_<NAME>` (as a deployment sets them);
//! Spin's own key-value store in memory (`type = "spin"` without a path); all in
//! a temporary directory removed when the app stops.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::load::Target;

/// A cold `spin up` compiles the component (a few seconds for ours).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// The Spin CLI to use: `explicit`, else `$SPIN_BIN`, else `spin` on `PATH`,
/// else the project's provision `../shared/spin/spin` next to the workspace
/// (found from this executable's target dir, or the current directory).
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_owned());
    }
    if let Some(path) = std::env::var_os("SPIN_BIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("spin"))
            .find(|p| p.is_file())
    });
    if on_path.is_some() {
        return on_path;
    }
    // target/<profile>/climbing-bench -> the workspace root, two levels up.
    let workspace = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_owned()));
    workspace
        .into_iter()
        .chain(std::env::current_dir().ok())
        .map(|root| root.join("../shared/spin/spin"))
        .find(|p| p.is_file())
}

/// `spin --version`'s line, e.g. `spin 4.0.2 (bfc7543b 2026-06-23)`.
pub fn version(spin: &Path) -> Result<String> {
    let out = Command::new(spin)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", spin.display()))?;
    if !out.status.success() {
        bail!("{} --version failed", spin.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A running `spin up`; dropping it stops the app and removes its directory.
pub struct SpinApp {
    child: Option<Child>,
    dir: PathBuf,
    pub target: Target,
}

impl SpinApp {
    /// Serves `wasm` as `source = "app.wasm"` of `manifest` with these variables
    /// and the `default` key-value store in memory, on a free loopback port.
    pub fn start(
        spin: &Path,
        name: &str,
        manifest: &str,
        wasm: &[u8],
        vars: &[(String, String)],
    ) -> Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("climbing-bench-spin-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("app.wasm"), wasm)?;
        std::fs::write(dir.join("spin.toml"), manifest)?;
        std::fs::write(
            dir.join("runtime-config.toml"),
            "[key_value_store.default]\ntype = \"spin\"\n",
        )?;
        let addr = free_port()?;
        let mut cmd = Command::new(spin);
        cmd.arg("up")
            .arg("--from")
            .arg(dir.join("spin.toml"))
            .arg("--listen")
            .arg(addr.to_string())
            .arg("--runtime-config-file")
            .arg(dir.join("runtime-config.toml"))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Its own process group: `spin up` runs the app in a child process, and
        // stopping the group stops both.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        super::pinning::pin_server_child(&mut cmd);
        for (key, _) in std::env::vars() {
            if key.starts_with("SPIN_VARIABLE_") {
                cmd.env_remove(key);
            }
        }
        for (var, value) in vars {
            cmd.env(format!("SPIN_VARIABLE_{}", var.to_ascii_uppercase()), value);
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {} up", spin.display()))?;
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let ready = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("Serving http://") {
                    let _ = ready.send(Ok(()));
                }
            }
        });
        std::thread::spawn(move || {
            let mut last = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                last = line;
            }
            let _ = tx.send(Err(last));
        });
        let mut app = Self {
            child: Some(child),
            dir,
            target: Target::new(addr),
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(())) => Ok(app),
            Ok(Err(last)) => {
                app.stop();
                bail!("spin up for {name} exited before serving: {last}")
            }
            Err(_) => {
                app.stop();
                bail!("spin up for {name} did not serve within {START_TIMEOUT:?}")
            }
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM to the group lets `spin up` stop its app process too.
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
            for _ in 0..50 {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            // Usually nothing is left by now; the group's absence is not news.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &group])
                .stderr(Stdio::null())
                .status();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for SpinApp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The project's spin.toml, serving `app.wasm`, without its build section (the
/// bench serves a component already built).
pub fn project_manifest() -> Result<String> {
    const PROJECT: &str = include_str!("../../../spin.toml");
    let mut out = String::new();
    let mut replaced = false;
    let mut in_build = false;
    for line in PROJECT.lines() {
        if line.starts_with('[') {
            in_build = line.starts_with("[component.") && line.ends_with(".build]");
        }
        if in_build {
            continue;
        }
        if line.starts_with("source = ") && !replaced {
            out.push_str("source = \"app.wasm\"\n");
            replaced = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        bail!("spin.toml has no `source = ` line");
    }
    Ok(out)
}

/// One component without variables or stores (the bench floor).
pub fn floor_manifest() -> &'static str {
    "spin_manifest_version = 2\n\n[application]\nname = \"bench-floor\"\n\n\
     [[trigger.http]]\nroute = \"/...\"\ncomponent = \"floor\"\n\n\
     [component.floor]\nsource = \"app.wasm\"\n"
}

/// A loopback port free now (Spin takes the address, not a listener).
fn free_port() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}
