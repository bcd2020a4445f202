//! Operator commands: `token list`, `token revoke`, `import`, `export`, `doctor`.
//!
//! They speak MCP over HTTP only (the host never reads the component's records):
//! to a running server with `--url`, or, by default, to the embedded component
//! served in-process on an ephemeral loopback port against `--store`, with a token
//! minted from the store's secret.

mod client;
mod import;
mod sources;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;

use client::Client;

/// How an admin command reaches the server.
#[derive(Debug, Args, Clone)]
pub struct ConnArgs {
    /// The MCP endpoint of a running server, e.g. https://climb.example.com/mcp.
    /// Without it the command serves the embedded component in-process on a
    /// loopback port against --store.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Bearer token for --url (needs the scopes climb:read climb:write admin).
    /// Without it a token is minted from the server's secret: --secret-file,
    /// SPIN_VARIABLE_JWT_HS256_SECRET, or the secret file next to --store.
    #[arg(
        long,
        value_name = "JWT",
        env = "CLIMBING_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// With --url and no --token: a file holding the server's jwt_hs256_secret.
    #[arg(long, value_name = "PATH")]
    pub secret_file: Option<PathBuf>,

    /// With --url and no --token: the server's resource_url (`aud`), when it is
    /// not --url itself.
    #[arg(long, value_name = "URL")]
    pub audience: Option<String>,

    /// The SQLite store of the in-process server (ignored with --url, except to
    /// find its secret file).
    #[arg(long, value_name = "PATH", default_value = crate::cli::DEFAULT_STORE)]
    pub store: PathBuf,

    /// Application variable for the in-process server (repeatable), as for `serve`.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,

    /// Who the minted token is for: ticks are imported for, and exported of, this
    /// climber.
    #[arg(long, value_name = "NAME", default_value = crate::access::ADMIN_SUBJECT)]
    pub subject: String,
}

/// `import`, `export` and `doctor` (flattened into the top-level commands).
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Import areas and climbs (OpenBeta-shaped JSON, or CSV with one climb per
    /// row), or a Mountain Project tick export (CSV) into the logbook.
    #[command(after_help = import::AFTER_HELP)]
    Import(ImportArgs),
    /// Export the whole store as JSON lines (one object per line, with a "type").
    Export(ExportArgs),
    /// Check the store (check_store: compare-and-swap, increments, batches), then the
    /// area and climb indexes of the whole tree (--fix repairs them). Exits with
    /// status 3 when the store is unsafe, 2 when index problems were found and not
    /// fixed.
    Doctor(DoctorArgs),
}

/// `token list` and `token revoke` (flattened into the `token` subcommands).
#[derive(Debug, Subcommand)]
pub enum TokenAdminCommand {
    /// List the service tokens the server issued (issue_token), oldest first.
    List(TokenListArgs),
    /// Revoke a token by its id (jti): every later request with it is refused.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub conn: ConnArgs,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token id (`jti`, the ID column of `token list`).
    pub id: String,
    #[command(flatten)]
    pub conn: ConnArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// .json: OpenBeta-shaped tree of areas with climbs.
    Openbeta,
    /// .csv with a `name` column: one climb per row, area path columns.
    Csv,
    /// .csv with Route, Rating, Style... columns: a Mountain Project tick export.
    MpTicks,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import (.json or .csv).
    pub file: PathBuf,
    /// The file's format (default: from its extension and CSV header).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Attach the imported tree under this existing area (default: the top level,
    /// where the tree's roots must be countries or regions).
    #[arg(long, value_name = "AREA_ID")]
    pub parent_id: Option<String>,
    /// Read and check the file, print what would be imported, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub conn: ConnArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub conn: ConnArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Remove the index entries that point nowhere or to the wrong place.
    #[arg(long)]
    pub fix: bool,
    #[command(flatten)]
    pub conn: ConnArgs,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))?;
    crate::variables::validate_name(name)
        .map_err(|reason| format!("variable name {name:?}: {reason}"))?;
    Ok((name.to_owned(), value.to_owned()))
}

pub fn run(command: AdminCommand) -> Result<()> {
    match command {
        AdminCommand::Import(args) => import::run(args),
        AdminCommand::Export(args) => export(args),
        AdminCommand::Doctor(args) => doctor(args),
    }
}

pub fn run_token(command: TokenAdminCommand) -> Result<()> {
    match command {
        TokenAdminCommand::List(args) => token_list(args),
        TokenAdminCommand::Revoke(args) => token_revoke(args),
    }
}

fn token_list(args: TokenListArgs) -> Result<()> {
    let client = Client::connect(&args.conn)?;
    let tokens = client.all("list_tokens", json!({}))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        for t in &tokens {
            writeln!(out, "{t}")?;
        }
        return Ok(out.flush()?);
    }
    let now = now_secs();
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
            date_of(t["issued_at"].as_u64().unwrap_or(0)),
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

fn token_revoke(args: TokenRevokeArgs) -> Result<()> {
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

/// Counts of what `export` wrote, by type.
#[derive(Default)]
struct Counts(std::collections::BTreeMap<&'static str, usize>);

impl Counts {
    fn add(&mut self, kind: &'static str) {
        *self.0.entry(kind).or_default() += 1;
    }
    fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(k, n)| format!("{n} {k}{}", if *n == 1 { "" } else { "s" }))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn export(args: ExportArgs) -> Result<()> {
    let client = Client::connect(&args.conn)?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut counts = Counts::default();
    let mut line = |out: &mut dyn Write, kind: &'static str, mut record: Value| -> Result<()> {
        if let Some(map) = record.as_object_mut() {
            map.insert("type".into(), json!(kind));
        }
        writeln!(out, "{record}")?;
        if kind != "export" {
            counts.add(kind);
        }
        Ok(())
    };
    line(
        &mut out,
        "export",
        json!({"format": "climbing-mcp export", "version": 1, "exported_at_ms": now_secs() * 1000, "climber": client.subject}),
    )?;

    // Areas breadth-first from the top, each followed by its climbs.
    let mut queue: VecDeque<Option<String>> = VecDeque::from([None]);
    while let Some(parent) = queue.pop_front() {
        let args = match &parent {
            Some(id) => json!({"parent_id": id}),
            None => json!({}),
        };
        for area in client.all("list_areas", args)? {
            let id = area["id"].as_str().unwrap_or_default().to_owned();
            line(&mut out, "area", area)?;
            // list_climbs covers the subtree; each climb goes out with its own area.
            for climb in client.all("list_climbs", json!({"area_id": id}))? {
                if climb["area_id"] == id.as_str() {
                    line(&mut out, "climb", climb)?;
                }
            }
            queue.push_back(Some(id));
        }
    }
    // Indoor venues: walls, setters, and every gym route whatever its status.
    for venue in client.all("list_venues", json!({}))? {
        let id = venue["id"].as_str().unwrap_or_default().to_owned();
        line(&mut out, "venue", venue)?;
        for wall in client.all("list_walls", json!({"venue_id": id}))? {
            line(&mut out, "wall", wall)?;
        }
        for setter in client.all("list_setters", json!({"venue_id": id}))? {
            line(&mut out, "setter", setter)?;
        }
        for route in client.all("list_gym_routes", json!({"venue_id": id, "status": "any"}))? {
            line(&mut out, "gym_route", route)?;
        }
    }
    // The logbook of the token's subject (ticks are private to their climber).
    for tick in client.all("list_ticks", json!({}))? {
        line(&mut out, "tick", tick)?;
    }
    out.flush()?;
    drop(out);
    eprintln!(
        "exported {} from {} (ticks of {})",
        if counts.0.is_empty() {
            "nothing".to_owned()
        } else {
            counts.describe()
        },
        client.describe,
        client.subject
    );
    Ok(())
}

fn doctor(args: DoctorArgs) -> Result<()> {
    let client = Client::connect(&args.conn)?;
    // The store itself first: index checks mean nothing on a store that loses writes.
    let store = client.must("check_store", json!({}))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "doctor: store check: {}",
            store["verdict"].as_str().unwrap_or("no verdict")
        )?;
        for check in store["checks"].as_array().into_iter().flatten() {
            let passed = check["passed"].as_bool() == Some(true);
            let mark = match (passed, check["required"].as_bool() == Some(true)) {
                (true, _) => "ok  ",
                (false, true) => "FAIL",
                (false, false) => "warn",
            };
            writeln!(
                out,
                "  {mark} {}: {}",
                check["name"].as_str().unwrap_or("?"),
                check["detail"].as_str().unwrap_or("")
            )?;
        }
        if store["safe"].as_bool() != Some(true) {
            writeln!(
                out,
                "doctor: the store is UNSAFE; stop writing through this deployment and fix its store first"
            )?;
            out.flush()?;
            drop(out);
            drop(client);
            std::process::exit(3);
        }
    }
    let (mut areas, mut entries, mut dangling, mut misplaced) = (0usize, 0u64, 0u64, 0u64);
    let mut queue: VecDeque<Option<String>> = VecDeque::from([None]);
    let mut problems = Vec::new();
    while let Some(area) = queue.pop_front() {
        let mut call = json!({"fix": args.fix});
        if let Some(id) = &area {
            call["area_id"] = json!(id);
            areas += 1;
        }
        let report = client.must("repair_indexes", call)?;
        let n = |k: &str| report[k].as_u64().unwrap_or(0);
        entries += n("entries_checked");
        dangling += n("dangling");
        misplaced += n("misplaced");
        if n("dangling") + n("misplaced") > 0 {
            problems.push(format!(
                "  {}: {} dangling, {} misplaced",
                area.as_deref().unwrap_or("(top level)"),
                n("dangling"),
                n("misplaced")
            ));
        }
        for child in report["child_area_ids"].as_array().into_iter().flatten() {
            if let Some(id) = child.as_str() {
                queue.push_back(Some(id.to_owned()));
            }
        }
    }
    // Then the records the walk cannot meet: those under deleted areas and climbs.
    let (mut orphans, mut restored) = (0u64, 0u64);
    let mut cursor: Option<String> = None;
    loop {
        let mut call = json!({"fix": args.fix});
        if let Some(c) = &cursor {
            call["cursor"] = json!(c);
        }
        let page = client.must("find_orphans", call)?;
        let n = |k: &str| page[k].as_u64().unwrap_or(0);
        let page_orphans = n("orphan_areas") + n("orphan_climbs") + n("orphan_media");
        if page_orphans > 0 {
            problems.push(format!(
                "  under deleted records: {} areas, {} climbs, {} media",
                n("orphan_areas"),
                n("orphan_climbs"),
                n("orphan_media")
            ));
        }
        orphans += page_orphans;
        restored += page["restored_areas"]
            .as_array()
            .map_or(0, |a| a.len() as u64);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let found = dangling + misplaced + orphans;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "doctor: {} ({}): checked {areas} area{} and {entries} index entr{}: {dangling} dangling, {misplaced} misplaced",
        client.describe,
        if args.fix { "fix" } else { "report only" },
        if areas == 1 { "" } else { "s" },
        if entries == 1 { "y" } else { "ies" },
    )?;
    if orphans > 0 {
        writeln!(
            out,
            "doctor: {orphans} record{} whose parent is gone{}",
            if orphans == 1 { "" } else { "s" },
            if restored > 0 {
                format!(
                    " ({restored} deleted area{} put back)",
                    if restored == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        )?;
    }
    for p in &problems {
        writeln!(out, "{p}")?;
    }
    if found == 0 {
        writeln!(out, "doctor: no problems found")?;
    } else if args.fix {
        writeln!(
            out,
            "doctor: removed {found} bad index entr{}",
            if found == 1 { "y" } else { "ies" }
        )?;
    } else {
        writeln!(
            out,
            "doctor: {found} problem{} found; run `climbing-host doctor --fix` to remove the bad entries",
            if found == 1 { "" } else { "s" }
        )?;
        out.flush()?;
        drop(out);
        drop(client);
        std::process::exit(2);
    }
    Ok(out.flush()?)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// YYYY-MM-DD of a Unix time (UTC).
fn date_of(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(1_700_000_000), "2023-11-14");
        assert_eq!(date_of(951_782_400), "2000-02-29");
    }
}
