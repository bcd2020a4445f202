//! `climbing-host`: runs the climbing-mcp WebAssembly component locally, the way
//! Spin would run it for one app (`serve`), and the operator commands. It parses
//! the command line and dispatches; each command is a module of `commands`, and
//! the runtime, server and capabilities are the `climbing_host` library.

mod access;
mod clock;
mod commands;
mod mcp_client;
mod store_dir;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match commands::Cli::parse().execute() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // The message and its causes, without the backtrace anyhow would add
        // under RUST_BACKTRACE: these are a user's errors to act on.
        Err(e) => {
            eprintln!("climbing-host: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
