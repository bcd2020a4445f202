//! `climbing-host`: runs the climbing-mcp WebAssembly component locally, the way
//! Spin would run it for one app: `serve`, the admin commands and the benchmark.

mod access;
mod admin;
mod bench;
mod bindings;
mod bootstrap;
mod cli;
mod kv;
mod metrics;
mod outbound;
mod redis;
mod runtime;
mod server;
mod token;
mod variables;

use anyhow::{Context, Result};
use clap::Parser;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use cli::{Cli, Command, ServeArgs, StoreArg, TokenArgs, TokenCommand};
use kv::KvBackend;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The component this host was built with (see build.rs).
static EMBEDDED_COMPONENT: &[u8] = include_bytes!(env!("CLIMBING_COMPONENT_WASM"));

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The message and its causes, without the backtrace anyhow would add
        // under RUST_BACKTRACE: these are a user's errors to act on.
        Err(e) => {
            eprintln!("climbing-host: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Bench(args) => bench::run(args, EMBEDDED_COMPONENT),
        Command::Admin(command) => admin::run(command),
        Command::Token(TokenArgs {
            command: TokenCommand::Admin(command),
        }) => admin::run_token(command),
        Command::Token(TokenArgs {
            command: TokenCommand::Mint(args),
        }) => {
            let token = token::mint_command(&args, |name| std::env::var(name).ok())?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{token}")?;
            out.flush()?;
            Ok(())
        }
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    let wasm: std::borrow::Cow<'static, [u8]> = match &args.component {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("cannot read component {}", path.display()))?
            .into(),
        None => EMBEDDED_COMPONENT.into(),
    };

    // Bind first: a taken port fails before the component compiles, and the
    // bound address (port 0 picks one) is the default resource URL.
    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;

    // First run on the default store: start with the demo data (bootstrap.rs).
    let seeded = match &args.store {
        StoreArg::Sqlite(db)
            if !args.empty
                && db.as_path() == std::path::Path::new(cli::DEFAULT_STORE)
                && !db.exists() =>
        {
            bootstrap::seed_demo(db, &args.vars)?;
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
        token::record_resource_url(db, &access.resource_url)?;
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
                bootstrap::DEMO_SUMMARY
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
