//! `export`: the whole store as JSON lines (one object per line, with a "type"),
//! read through the component's list tools.

use anyhow::{Context, Result};
use clap::Args;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;

use crate::clock;
use crate::mcp_client::{Client, ConnArgs};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub conn: ConnArgs,
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

pub fn execute(args: ExportArgs) -> Result<()> {
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
        json!({"format": "climbing-mcp export", "version": 1, "exported_at_ms": clock::now_secs() * 1000, "climber": client.subject}),
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
