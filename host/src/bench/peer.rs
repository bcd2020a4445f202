//! The native peer (bench/peer) as a child process.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::load::Target;

pub struct Peer {
    child: Child,
    pub target: Target,
    /// The climbs and tools files the peer loaded, removed with the peer.
    file: PathBuf,
    tools_file: PathBuf,
}

impl Peer {
    /// Starts `bin` on a free loopback port with `climbs` and the tool definitions
    /// of `tools_list` (a `tools/list` result), and waits until it listens.
    pub async fn start(
        bin: &Path,
        secret: &str,
        audience: &str,
        climbs: &[Value],
        tools_list: &Value,
    ) -> Result<Self> {
        let base = std::env::temp_dir().join(format!(
            "climbing-bench-peer-{}-{}",
            std::process::id(),
            climbing_host::service_token::random_base64url(6)?
        ));
        let file = base.with_extension("climbs.json");
        let tools_file = base.with_extension("tools.json");
        std::fs::write(&file, serde_json::to_vec(climbs)?)?;
        std::fs::write(&tools_file, serde_json::to_vec(tools_list)?)?;
        let mut cmd = Command::new(bin);
        cmd.args([
            "--listen",
            "127.0.0.1:0",
            "--secret",
            secret,
            "--audience",
            audience,
        ])
        .arg("--climbs")
        .arg(&file)
        .arg("--tools")
        .arg(&tools_file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        super::pinning::pin_server_child(&mut cmd);
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting the peer {}", bin.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await??;
        let Some(addr) = line.trim().strip_prefix("peer listening on http://") else {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(&file);
            let _ = std::fs::remove_file(&tools_file);
            bail!("the peer did not start: {line:?}");
        };
        Ok(Self {
            target: Target::new(addr.parse().context("the peer's address")?),
            child,
            file,
            tools_file,
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.file);
        let _ = std::fs::remove_file(&self.tools_file);
    }
}
