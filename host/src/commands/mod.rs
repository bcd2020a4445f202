//! The command line (clap), one module per command, each owning its arguments and
//! an `execute`: `serve`, `token` (mint, list, revoke), `import`, `export`,
//! `doctor`. The benchmark is a program of its own (`climbing-bench`).

mod doctor;
mod export;
pub mod import;
mod serve;
mod token;

use anyhow::Result;
use clap::{Parser, Subcommand};

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
    Serve(serve::ServeArgs),
    /// Service tokens (HS256, signed with the jwt_hs256_secret variable).
    Token(token::TokenArgs),
    /// Import areas and climbs (OpenBeta-shaped JSON, or CSV with one climb per
    /// row), or a Mountain Project tick export (CSV) into the logbook.
    #[command(after_help = import::AFTER_HELP)]
    Import(import::ImportArgs),
    /// Export the whole store as JSON lines (one object per line, with a "type").
    Export(export::ExportArgs),
    /// Check the store (check_store: compare-and-swap, increments, batches), then the
    /// area and climb indexes of the whole tree (--fix repairs them). Exits with
    /// status 3 when the store is unsafe, 2 when index problems were found and not
    /// fixed.
    Doctor(doctor::DoctorArgs),
}

impl Cli {
    pub fn execute(self) -> Result<()> {
        match self.command {
            Command::Serve(args) => serve::execute(args),
            Command::Token(args) => token::execute(args),
            Command::Import(args) => import::execute(args),
            Command::Export(args) => export::execute(args),
            Command::Doctor(args) => doctor::execute(args),
        }
    }
}
