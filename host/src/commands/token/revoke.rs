//! `token revoke ID`: every later request with that token is refused.

use anyhow::Result;
use clap::Args;
use serde_json::{json, Value};

use crate::mcp_client::{Client, ConnArgs};

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token id (`jti`, the ID column of `token list`).
    pub id: String,
    #[command(flatten)]
    pub conn: ConnArgs,
}

pub fn execute(args: TokenRevokeArgs) -> Result<()> {
    let client = Client::connect(&args.conn)?;
    let revoked = client.must("revoke_token", json!({"id": args.id}))?;
    match revoked.get("info") {
        Some(info) => println!(
            "revoked {} (subject {}, scopes {})",
            args.id,
            info["subject"].as_str().unwrap_or("?"),
            info["scopes"]
                .as_array()
                .map(|s| s
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" "))
                .unwrap_or_default()
        ),
        None => println!(
            "revoked {} (not a token this server issued; any token with this jti is refused from now on)",
            args.id
        ),
    }
    Ok(())
}
