//! `doctor`: the store's own check (compare-and-swap, increments, batches), then
//! the area and climb indexes of the whole tree and the records under deleted
//! ones (`--fix` repairs them). Exit status 3: the store is unsafe; 2: index
//! problems found and not fixed.

use anyhow::Result;
use clap::Args;
use serde_json::json;
use std::collections::VecDeque;
use std::io::Write;

use crate::mcp_client::{Client, ConnArgs};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Remove the index entries that point nowhere or to the wrong place.
    #[arg(long)]
    pub fix: bool,
    #[command(flatten)]
    pub conn: ConnArgs,
}

pub fn execute(args: DoctorArgs) -> Result<()> {
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
    let (mut areas, mut venues, mut entries, mut dangling, mut misplaced) =
        (0usize, 0usize, 0u64, 0u64, 0u64);
    // The top level names the root areas and the venues; each area names its
    // sub-areas. A venue's walls, setters and routes are checked with its id.
    let mut queue: VecDeque<Checked> = VecDeque::from([Checked::TopLevel]);
    let mut problems = Vec::new();
    while let Some(checked) = queue.pop_front() {
        let mut call = json!({"fix": args.fix});
        let place = match &checked {
            Checked::TopLevel => "(top level)".to_owned(),
            Checked::Area(id) => {
                call["area_id"] = json!(id);
                areas += 1;
                id.clone()
            }
            Checked::Venue(id) => {
                call["venue_id"] = json!(id);
                venues += 1;
                format!("venue {id}")
            }
        };
        let report = client.must("repair_indexes", call)?;
        let n = |k: &str| report[k].as_u64().unwrap_or(0);
        entries += n("entries_checked");
        dangling += n("dangling");
        misplaced += n("misplaced");
        if n("dangling") + n("misplaced") > 0 {
            problems.push(format!(
                "  {place}: {} dangling, {} misplaced",
                n("dangling"),
                n("misplaced")
            ));
        }
        let ids = |k: &str| -> Vec<String> {
            report[k]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| id.as_str().map(str::to_owned))
                .collect()
        };
        queue.extend(ids("child_area_ids").into_iter().map(Checked::Area));
        queue.extend(ids("venue_ids").into_iter().map(Checked::Venue));
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
        "doctor: {} ({}): checked {areas} area{}, {venues} venue{} and {entries} index entr{}: {dangling} dangling, {misplaced} misplaced",
        client.describe,
        if args.fix { "fix" } else { "report only" },
        if areas == 1 { "" } else { "s" },
        if venues == 1 { "" } else { "s" },
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

/// What one `repair_indexes` call of the walk checks.
enum Checked {
    TopLevel,
    Area(String),
    Venue(String),
}
