//! Command line (clap). `serve` for now; `token`, `import`, `export`, `doctor` and
//! `bench` will join the [`Command`] enum.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "climbing-host",
    version,
    about = "Local runner and test harness for the climbing-mcp component"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the component over HTTP on a loopback port.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the real one is printed).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Key-value store: a SQLite file path (parent directories are created), or
    /// `memory` for a store that is discarded on exit.
    #[arg(long, default_value = "./.climbing-mcp/kv.db")]
    pub store: StoreArg,

    /// Serve this component instead of the one embedded at build time.
    #[arg(long, value_name = "PATH")]
    pub component: Option<PathBuf>,

    /// Application variable (repeatable). Also read from SPIN_VARIABLE_<NAME>
    /// environment variables; flags win.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Origin the component may call, e.g. https://issuer.example.com (repeatable;
    /// also CLIMBING_ALLOW_OUTBOUND, comma-separated). Everything else is denied.
    #[arg(long = "allow-outbound", value_name = "URL")]
    pub allow_outbound: Vec<String>,

    /// Add climbing-host-kv-ops, climbing-host-fuel and climbing-host-memory
    /// headers to every response (buffers bodies and turns on fuel metering).
    #[arg(long)]
    pub expose_metrics: bool,

    /// Linear memory limit per instance, in MiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_memory_mib: u64,

    /// Wall-clock limit per request, in milliseconds (exceeded: 503).
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,

    /// Fuel (roughly, wasm instructions) per request (exceeded: 503).
    #[arg(long, value_name = "N")]
    pub fuel_limit: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreArg {
    Memory,
    Sqlite(PathBuf),
}

impl std::str::FromStr for StoreArg {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(if s == "memory" {
            StoreArg::Memory
        } else {
            StoreArg::Sqlite(PathBuf::from(s))
        })
    }
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))?;
    crate::variables::validate_name(name)
        .map_err(|reason| format!("variable name {name:?}: {reason}"))?;
    Ok((name.to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_serve_flags() {
        let cli = Cli::try_parse_from([
            "climbing-host",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            "memory",
            "--var",
            "greeting=hi=there",
            "--var",
            "b=",
            "--allow-outbound",
            "https://a.example",
            "--expose-metrics",
            "--fuel-limit",
            "1000",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command;
        assert_eq!(args.listen.port(), 0);
        assert_eq!(args.store, StoreArg::Memory);
        assert_eq!(
            args.vars,
            vec![
                ("greeting".into(), "hi=there".into()),
                ("b".into(), "".into())
            ]
        );
        assert!(args.expose_metrics);
        assert_eq!(args.fuel_limit, Some(1000));
        assert_eq!(args.max_memory_mib, 64);
        assert_eq!(args.timeout_ms, 30_000);
    }

    #[test]
    fn rejects_bad_variable_names() {
        assert!(Cli::try_parse_from(["climbing-host", "serve", "--var", "Bad=x"]).is_err());
        assert!(Cli::try_parse_from(["climbing-host", "serve", "--var", "novalue"]).is_err());
    }
}
