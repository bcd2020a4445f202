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
    /// The climbs file the peer loaded, removed with the peer.
    file: PathBuf,
}

impl Peer {
    /// Starts `bin` on a free loopback port with `climbs` and waits until it listens.
    pub async fn start(bin: &Path, secret: &str, audience: &str, climbs: &[Value]) -> Result<Self> {
        let file = std::env::temp_dir().join(format!(
            "climbing-bench-peer-{}-{}.json",
            std::process::id(),
            crate::token::random_base64url(6)?
        ));
        std::fs::write(&file, serde_json::to_vec(climbs)?)?;
        let mut child = Command::new(bin)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--secret",
                secret,
                "--audience",
                audience,
            ])
            .arg("--climbs")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
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
            bail!("the peer did not start: {line:?}");
        };
        Ok(Self {
            target: Target::new(addr.parse().context("the peer's address")?),
            child,
            file,
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.file);
    }
}
