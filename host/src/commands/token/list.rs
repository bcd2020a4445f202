//! `token list`: the service tokens the server issued (`issue_token`), oldest
//! first, as a table or JSON lines.

use anyhow::Result;
use clap::Args;
use serde_json::{json, Value};
use std::io::Write;

use crate::clock;
use crate::mcp_client::{Client, ConnArgs};

#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub conn: ConnArgs,
}

pub fn execute(args: TokenListArgs) -> Result<()> {
    let client = Client::connect(&args.conn)?;
    let tokens = client.all("list_tokens", json!({}))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for t in &tokens {
            writeln!(out, "{t}")?;
        }
        return Ok(out.flush()?);
    }
    let now = clock::now_secs();
    writeln!(
        out,
        "{:<24} {:<20} {:<32} {:<10} {:<12} DESCRIPTION",
        "ID", "SUBJECT", "SCOPES", "ISSUED", "STATUS"
    )?;
    for t in &tokens {
        let expires = t["expires_at"].as_u64().unwrap_or(0);
        let status = if t.get("revoked_at").is_some_and(|v| !v.is_null()) {
            "revoked".to_owned()
        } else if expires <= now {
            "expired".to_owned()
        } else {
            format!("{}d left", (expires - now).div_ceil(86_400))
        };
        let scopes: Vec<&str> = t["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        writeln!(
            out,
            "{:<24} {:<20} {:<32} {:<10} {:<12} {}",
            t["id"].as_str().unwrap_or(""),
            t["subject"].as_str().unwrap_or(""),
            scopes.join(" "),
            clock::date_of(t["issued_at"].as_u64().unwrap_or(0)),
            status,
            t["description"].as_str().unwrap_or(""),
        )?;
    }
    out.flush()?;
    eprintln!(
        "{} token{} issued by {} (tokens minted with `token mint` are not recorded by the server)",
        tokens.len(),
        if tokens.len() == 1 { "" } else { "s" },
        client.describe
    );
    Ok(())
}
