//! The Spin side of the harness: finds the Spin CLI and starts the component with
//! `spin up`, from the project's own spin.toml, in place of `climbing-host serve`.
//!
//! What differs from climbing-host, and how the harness bridges it:
//! - the manifest is spin.toml with its `source` pointed at the component the
//!   host embeds (the same bytes on both runtimes) and no build section;
//! - variables go as `SPIN_VARIABLE_<NAME>` environment variables, so only those
//!   spin.toml declares reach the component (others panic here, loudly);
//! - the key-value store is Spin's own (`type = "spin"`): in memory, or a SQLite
//!   file at the test's path, through a generated runtime-config file; or Redis,
//!   reached by the component itself (`kv_backend = "redis"`), the same variables
//!   as on climbing-host;
//! - outbound HTTP is allowed by spin.toml's `allowed_outbound_hosts`, i.e. the
//!   `oauth_jwks_origin` variable (climbing-host: `--allow-outbound`);
//! - Spin adds no metrics headers (kv ops, fuel, memory): tests asserting those
//!   are marked `climbing_host_only`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The workspace root (tests are targets of the host package, one level down).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ has a parent")
        .to_owned()
}

/// The component the host embeds, as a file (host/build.rs writes it).
pub const COMPONENT: &str = env!("CLIMBING_COMPONENT_WASM");

/// `$SPIN_BIN`, else `spin` on `PATH`, else the project's provision
/// `../shared/spin/spin` beside the workspace; `None` if none exists.
pub fn find() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SPIN_BIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    if let Some(paths) = std::env::var_os("PATH") {
        if let Some(found) = std::env::split_paths(&paths)
            .map(|dir| dir.join("spin"))
            .find(|p| p.is_file())
        {
            return Some(found);
        }
    }
    Some(workspace().join("../shared/spin/spin")).filter(|p| p.is_file())
}

/// The Spin CLI, or a panic saying how to provide one: a test that asked for
/// Spin never passes without it.
pub fn require() -> PathBuf {
    find().unwrap_or_else(|| {
        panic!(
            "the tests run under Spin (CLIMBING_TEST_RUNTIME=spin) but no Spin CLI was found: \
             set SPIN_BIN, put `spin` on PATH, or provide ../shared/spin/spin beside the workspace"
        )
    })
}

/// The variables spin.toml declares (`[variables]`): the only ones Spin passes on.
pub fn declared_variables() -> Vec<String> {
    let manifest = std::fs::read_to_string(workspace().join("spin.toml")).expect("spin.toml");
    let mut in_variables = false;
    let mut names = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_variables = line == "[variables]";
            continue;
        }
        if in_variables && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                names.push(name.trim().to_owned());
            }
        }
    }
    names
}

/// spin.toml serving `component`, without its build section.
pub fn manifest(component: &Path) -> String {
    let project = std::fs::read_to_string(workspace().join("spin.toml")).expect("spin.toml");
    let mut out = String::new();
    let mut in_build = false;
    let mut replaced = false;
    for line in project.lines() {
        if line.starts_with('[') {
            in_build = line.starts_with("[component.") && line.ends_with(".build]");
        }
        if in_build {
            continue;
        }
        if line.starts_with("source = ") && !replaced {
            out.push_str(&format!("source = {:?}\n", component.display().to_string()));
            replaced = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(replaced, "spin.toml has no `source = ` line");
    out
}

/// `[key_value_store.default]` of Spin's runtime config: in memory, or SQLite at
/// `path`.
pub fn runtime_config(sqlite: Option<&Path>) -> String {
    match sqlite {
        None => "[key_value_store.default]\ntype = \"spin\"\n".to_owned(),
        Some(path) => format!(
            "[key_value_store.default]\ntype = \"spin\"\npath = {:?}\n",
            path.display().to_string()
        ),
    }
}

/// A loopback address free now (Spin takes an address, not a listener).
pub fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().unwrap().to_string()
}

/// `spin up` for `manifest` in `dir` on `addr`, in its own process group (it runs
/// the app in a child process; [`stop`] stops both).
pub fn command(spin: &Path, dir: &Path, addr: &str) -> Command {
    let mut cmd = Command::new(spin);
    cmd.arg("up")
        .arg("--from")
        .arg(dir.join("spin.toml"))
        .arg("--listen")
        .arg(addr)
        .arg("--runtime-config-file")
        .arg(dir.join("runtime-config.toml"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd
}

/// SIGTERM to the group (Spin stops its app process), then SIGKILL for anything
/// left, and reaps `spin up`.
pub fn stop(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
    for _ in 0..100 {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

/// SIGKILL to the group at once (a crash of `spin up` and its app process), and
/// reaps `spin up`.
pub fn kill(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

/// The origin (`scheme://host[:port]`) of `url`.
pub fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("an absolute URL");
    let authority = rest.split('/').next().unwrap_or_default();
    format!("{scheme}://{authority}")
}

impl super::Host {
    /// `spin up` with this host's configuration; waits until Spin serves.
    pub(super) fn spawn_spin(&mut self) {
        use std::io::{BufRead, BufReader};
        let c = &self.config;
        assert!(
            c.args.is_empty(),
            "climbing-host flags {:?} have no Spin equivalent: mark the test climbing_host_only",
            c.args
        );
        let spin = require();
        let declared = declared_variables();
        let dir = tempfile::tempdir().expect("a temp dir for the Spin app");
        let component = c
            .component
            .clone()
            .unwrap_or_else(|| PathBuf::from(COMPONENT));
        std::fs::write(dir.path().join("spin.toml"), manifest(&component)).unwrap();
        let sqlite = match &c.store {
            super::Store::Memory | super::Store::Redis(_) => None,
            super::Store::Sqlite(path) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).unwrap();
                }
                Some(path.as_path())
            }
        };
        std::fs::write(
            dir.path().join("runtime-config.toml"),
            runtime_config(sqlite),
        )
        .unwrap();
        let addr = free_addr();
        let mut cmd = command(&spin, dir.path(), &addr);
        for (name, _) in std::env::vars() {
            if name.starts_with("SPIN_VARIABLE_") {
                cmd.env_remove(name);
            }
        }
        let mut vars = c.all_vars();
        for url in &c.allow_outbound {
            vars.push(("oauth_jwks_origin".to_owned(), origin(url)));
        }
        for (name, value) in &vars {
            assert!(
                declared.contains(name),
                "variable {name} is not declared in spin.toml, so Spin would not pass it on"
            );
            cmd.env(
                format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()),
                value,
            );
        }
        cmd.envs(c.env.iter().map(|(k, v)| (k, v)));

        let mut child = cmd.spawn().expect("spawning spin up");
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        let output = self.output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                output.lock().unwrap().push_str(&format!("{line}\n"));
                if line.starts_with("Serving http://") {
                    let _ = tx.send(());
                }
            }
        });
        let output = self.output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[spin] {line}");
                output.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        if rx.recv_timeout(super::START_TIMEOUT).is_err() {
            stop(&mut child);
            std::thread::sleep(Duration::from_millis(100));
            panic!("spin up did not serve; output:\n{}", self.output());
        }
        self.addr = addr;
        self.child = Some(child);
        self.spin_dir = Some(dir);
    }
}
