//! `serve`: the component over HTTP on a loopback port (or any `--listen`), the
//! way Spin would run it for one app: the store, variables and outbound allow list
//! it is given, the banner that says how to connect, then requests until Ctrl-C.

mod first_run;

use anyhow::{Context, Result};
use clap::Args;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::access;
use crate::store_dir::{self, StoreArg};
use climbing_host::capabilities::kv::{self, KvBackend};
use climbing_host::capabilities::{outbound, variables};
use climbing_host::{runtime, server};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the real one is printed).
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Key-value store: a SQLite file path (parent directories are created), or
    /// `memory` for a store that is discarded on exit.
    #[arg(long, default_value = store_dir::DEFAULT_STORE)]
    pub store: StoreArg,

    /// On the first run of the default store, start empty instead of with the
    /// bundled demo data.
    #[arg(long)]
    pub empty: bool,

    /// Serve this component instead of the one embedded at build time.
    #[arg(long, value_name = "PATH")]
    pub component: Option<PathBuf>,

    /// Application variable (repeatable). Also read from SPIN_VARIABLE_<NAME>
    /// environment variables; flags win.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = variables::parse_flag)]
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

pub fn execute(args: ServeArgs) -> Result<()> {
    let wasm: std::borrow::Cow<'static, [u8]> = match &args.component {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("cannot read component {}", path.display()))?
            .into(),
        None => climbing_host::EMBEDDED_COMPONENT.into(),
    };

    // Bind first: a taken port fails before the component compiles, and the
    // bound address (port 0 picks one) is the default resource URL.
    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;

    // First run on the default store: start with the demo data (first_run.rs).
    let seeded = match &args.store {
        StoreArg::Sqlite(db)
            if !args.empty
                && db.as_path() == std::path::Path::new(store_dir::DEFAULT_STORE)
                && !db.exists() =>
        {
            first_run::seed_demo_data(db, &args.vars)?;
            true
        }
        _ => false,
    };
    let kv: Arc<dyn KvBackend> = match &args.store {
        StoreArg::Memory => Arc::new(kv::memory::MemoryKv::new()),
        StoreArg::Sqlite(path) => Arc::new(kv::sqlite::SqliteKv::open(path)?),
    };
    let kv: Arc<dyn KvBackend> = match std::env::var(kv::faulty::ENV_FAULT) {
        Ok(fault) if !fault.is_empty() => Arc::new(kv::faulty::FaultyKv::new(kv, fault.parse()?)),
        _ => kv,
    };
    let mut vars = variables::Variables::from_sources(std::env::vars(), &args.vars)?;
    let access = access::configure(&mut vars, &args.vars, &args.store, addr)?;
    if let StoreArg::Sqlite(db) = &args.store {
        store_dir::record_resource_url(db, &access.resource_url)?;
    }
    let vars = Arc::new(vars);
    let env_outbound = std::env::var(outbound::ENV_ALLOW_OUTBOUND).unwrap_or_default();
    let outbound = Arc::new(outbound::AllowList::parse(
        args.allow_outbound
            .iter()
            .map(String::as_str)
            .chain(env_outbound.split(',')),
    )?);

    let limits = runtime::Limits {
        max_memory_bytes: usize::try_from(args.max_memory_mib << 20)?,
        timeout: Duration::from_millis(args.timeout_ms),
        fuel_limit: args.fuel_limit,
        meter_fuel: args.fuel_limit.is_some() || args.expose_metrics,
    };
    let store_description = kv.describe();
    let runtime = Arc::new(runtime::Runtime::new(
        &wasm,
        limits,
        kv,
        vars.clone(),
        outbound.clone(),
    )?);
    let engine_description = format!(
        "{} allocator; component {}",
        match runtime.allocator() {
            runtime::Allocator::Pooling => "pooling",
            runtime::Allocator::OnDemand => "on-demand",
        },
        match &runtime.compiled_from {
            runtime::CompileSource::Cache(path) => format!("loaded from cache {}", path.display()),
            runtime::CompileSource::Compiled {
                cached_at: Some(path),
            } => format!("compiled, cached at {}", path.display()),
            runtime::CompileSource::Compiled { cached_at: None } => "compiled (not cached)".into(),
        }
    );

    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    tokio.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;

        let mut out = std::io::stdout().lock();
        // Tests parse this exact line; keep it first and unchanged.
        writeln!(out, "climbing-host listening on http://{addr}")?;
        writeln!(out, "MCP endpoint: http://{addr}/mcp")?;
        writeln!(out, "store: {store_description}")?;
        if seeded {
            writeln!(
                out,
                "store: new, seeded with the bundled demo data ({}); `serve --empty` on a new store starts without it",
                first_run::DEMO_SUMMARY
            )?;
        }
        writeln!(out, "engine: {engine_description}")?;
        let mut names: Vec<&str> = vars.names().collect();
        names.sort_unstable();
        writeln!(
            out,
            "variables: {}",
            if names.is_empty() {
                "(none)".into()
            } else {
                names.join(", ")
            }
        )?;
        if !outbound.is_empty() {
            writeln!(out, "outbound allowed to: {}", outbound.describe())?;
        }
        // Ends with the Claude Code command: the test harness waits for that line.
        access.write_banner(&mut out)?;
        out.flush()?;
        drop(out);
        for warning in &access.warnings {
            eprintln!("climbing-host: warning: {warning}");
        }

        let server = Arc::new(server::Server::new(runtime, args.expose_metrics));
        tokio::select! {
            result = server.serve(listener) => result,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `serve`'s arguments alone, as `climbing-host serve` parses them.
    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    #[test]
    fn parses_serve_flags() {
        let args = Serve::try_parse_from([
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
        .unwrap()
        .args;
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
        assert!(Serve::try_parse_from(["serve", "--var", "Bad=x"]).is_err());
        assert!(Serve::try_parse_from(["serve", "--var", "novalue"]).is_err());
    }
}
