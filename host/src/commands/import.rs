//! `import FILE`: areas and climbs through `import_tree` (in batches, with
//! `create_area`/`create_climb` one by one where a batch is refused), ticks through
//! `log_tick`. Areas and climbs already in the store (same name under the same
//! parent) are kept and not created again, so an import can be repeated.

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};

mod sources;

use clap::Args;
use std::path::PathBuf;

use crate::mcp_client::{Client, ConnArgs};
use sources::{Format, MpTick, Node, Skip, KINDS};

pub const AFTER_HELP: &str = "\
Formats (--format, default from the extension and the CSV header):
  openbeta  JSON: an area object, an array of them, or {\"areas\": [...]}. Areas: area_name,
            children, climbs, metadata.lat/lng, optional kind. Climbs: name, grades.{yds,
            french, uiaa, ewbank, saxon, norwegian, british, vscale, font}, type.{sport, trad,
            tr, boulder, aid, ice, mixed, alpine, snow, deepwatersolo}, length (m), boltsCount,
            fa, safety, metadata.lat/lng/left_right_index. Kinds: country > region > area >
            crag > sector, derived from the depth unless given.
  csv       one climb per row; columns:
              country, region, area, crag, sector, wall, boulder (the area path, top down)
              name, yds, french, uiaa, ewbank, saxon, norwegian, british, vscale, font,
              disciplines, length_m, bolts, pitches, fa, safety, lat, lng, left_right_index
  mp-ticks  a Mountain Project tick export (Date, Route, Rating, ..., Style, Lead Style,
            Route Type, Length). Each tick goes to the climb of that name whose area matches
            the Location; a climb not found is created under the top-level region
            \"Imported\", in a crag named after the Location. Ticks belong to --subject.

Existing areas and climbs (same name under the same parent) are kept, not duplicated;
ticks already logged (same climb, date, style and attempt) are skipped.

Examples:
  climbing-host import data/demo.json
  climbing-host import ticks.csv --subject alice
  climbing-host import crags.csv --url https://climb.example.com/mcp --token $TOKEN";

/// Most areas and climbs sent in one `import_tree` call (the server takes 2,000).
const BATCH_NODES: usize = 500;
/// Largest `import_tree` body sent (the server takes 1 MiB).
const BATCH_BYTES: usize = 600 * 1024;
/// The top-level region that climbs from a tick export are created under when no
/// climb of their name is found where they were climbed.
pub const IMPORTED_REGION: &str = "Imported";

#[derive(Default)]
struct Summary {
    areas_created: usize,
    climbs_created: usize,
    areas_existing: usize,
    climbs_existing: usize,
    ticks_logged: usize,
    ticks_existing: usize,
    ticks_matched: usize,
    skipped: Vec<Skip>,
    /// Descendants not imported because their area was refused.
    skipped_below: usize,
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

pub fn execute(args: ImportArgs) -> Result<()> {
    let format = sources::detect(&args.file, args.format)?;
    match format {
        Format::Openbeta | Format::Csv => {
            let (nodes, skips, ignored) = if format == Format::Openbeta {
                let (n, s) = sources::read_openbeta(&args.file)?;
                (n, s, Vec::new())
            } else {
                sources::read_climbs_csv(&args.file)?
            };
            if !ignored.is_empty() {
                eprintln!("climbing-host: ignoring columns {}", ignored.join(", "));
            }
            import_tree_file(&args, nodes, skips)
        }
        Format::MpTicks => import_ticks(&args, sources::read_mp_ticks(&args.file)?),
    }
}

fn progress(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} ({{eta}} left) {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn import_tree_file(args: &ImportArgs, nodes: Vec<Node>, skips: Vec<Skip>) -> Result<()> {
    let total: usize = nodes.iter().map(Node::count).sum();
    let areas: usize = nodes.iter().map(count_areas).sum();
    if args.dry_run {
        println!(
            "{}: {areas} areas and {} climbs to import, {} skipped (dry run: nothing written)",
            args.file.display(),
            total - areas,
            skips.len()
        );
        print_skips(&skips);
        return Ok(());
    }
    if nodes.is_empty() {
        print_skips(&skips);
        bail!("{}: nothing to import", args.file.display());
    }
    let client = Client::connect(&args.conn)?;
    let parent = match &args.parent_id {
        Some(id) => {
            let area = client.must("get_area", json!({"id": id}))?;
            Some(Parent {
                id: id.clone(),
                kind: area["kind"].as_str().unwrap_or("area").to_owned(),
            })
        }
        None => None,
    };
    let mut summary = Summary {
        skipped: skips,
        ..Summary::default()
    };
    let bar = progress(total, "importing");
    let mut importer = Importer {
        client: &client,
        bar: &bar,
        summary: &mut summary,
    };
    importer.level(parent.as_ref(), nodes, false)?;
    bar.finish_and_clear();
    println!(
        "imported {} into {}: created {} areas and {} climbs; {} areas and {} climbs were already there; {} skipped",
        args.file.display(),
        client.describe,
        summary.areas_created,
        summary.climbs_created,
        summary.areas_existing,
        summary.climbs_existing,
        summary.skipped.len() + summary.skipped_below,
    );
    print_skips(&summary.skipped);
    if summary.skipped_below > 0 {
        println!(
            "  {} areas and climbs under refused areas were not imported",
            summary.skipped_below
        );
    }
    Ok(())
}

fn count_areas(n: &Node) -> usize {
    1 + n.children.iter().map(count_areas).sum::<usize>()
}

fn print_skips(skips: &[Skip]) {
    const SHOWN: usize = 50;
    for s in skips.iter().take(SHOWN) {
        println!("  skipped {} {}: {}", s.what, s.name, s.reason);
    }
    if skips.len() > SHOWN {
        println!("  ... and {} more skipped", skips.len() - SHOWN);
    }
}

struct Parent {
    id: String,
    kind: String,
}

struct Importer<'a> {
    client: &'a Client,
    bar: &'a ProgressBar,
    summary: &'a mut Summary,
}

/// The kind of an area under a parent of `parent` kind, unless the file says.
fn kind_for(node: &Node, parent: Option<&str>) -> String {
    if let Some(k) = node.kind.as_deref().filter(|k| KINDS.contains(k)) {
        return k.to_owned();
    }
    let leaf = node.children.is_empty();
    let has_climbs = !node.climbs.is_empty();
    match parent {
        None => "country",
        Some("country") => "region",
        Some("region" | "area") => {
            if leaf || has_climbs {
                "crag"
            } else {
                "area"
            }
        }
        Some("crag") if leaf => {
            if node.is_boulder {
                "boulder"
            } else {
                "sector"
            }
        }
        Some("crag") => "crag",
        Some(_) => "sector",
    }
    .to_owned()
}

/// `import_tree`'s shape for `node` and everything under it.
fn tree_json(node: &Node, parent_kind: Option<&str>) -> Value {
    let kind = kind_for(node, parent_kind);
    let mut v = json!({"name": node.name, "kind": kind});
    if let Some((lat, lng)) = node.location {
        v["location"] = json!({"lat": lat, "lng": lng});
    }
    if let Some(d) = &node.description {
        v["description"] = json!(d);
    }
    if !node.climbs.is_empty() {
        v["climbs"] = json!(node.climbs);
    }
    if !node.children.is_empty() {
        v["areas"] = Value::Array(
            node.children
                .iter()
                .map(|c| tree_json(c, Some(&kind)))
                .collect(),
        );
    }
    v
}

fn norm(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Importer<'_> {
    /// Imports `nodes` under `parent`. Unless `fresh` (the parent was just
    /// created), areas already there by name are reused and descended into.
    fn level(&mut self, parent: Option<&Parent>, nodes: Vec<Node>, fresh: bool) -> Result<()> {
        let parent_id = parent.map(|p| p.id.as_str());
        let existing: HashMap<String, Parent> = if fresh {
            HashMap::new()
        } else {
            let args = match parent_id {
                Some(id) => json!({"parent_id": id}),
                None => json!({}),
            };
            self.client
                .all("list_areas", args)?
                .into_iter()
                .map(|a| {
                    (
                        norm(a["name"].as_str().unwrap_or("")),
                        Parent {
                            id: a["id"].as_str().unwrap_or("").to_owned(),
                            kind: a["kind"].as_str().unwrap_or("area").to_owned(),
                        },
                    )
                })
                .collect()
        };
        let mut new = Vec::new();
        for node in nodes {
            match existing.get(&norm(&node.name)) {
                Some(area) => {
                    self.summary.areas_existing += 1;
                    self.bar.inc(1);
                    self.climbs_into(area, &node, false)?;
                    self.level(Some(area), node.children, false)?;
                }
                None => new.push(node),
            }
        }
        self.batches(parent, new)
    }

    /// Creates `nodes` (all new) under `parent` with as few `import_tree` calls as
    /// the limits allow.
    fn batches(&mut self, parent: Option<&Parent>, nodes: Vec<Node>) -> Result<()> {
        let parent_kind = parent.map(|p| p.kind.as_str());
        let mut batch: Vec<(Node, Value)> = Vec::new();
        let (mut count, mut bytes) = (0, 0);
        for node in nodes {
            let json = tree_json(&node, parent_kind);
            let (n, b) = (node.count(), json.to_string().len());
            if n > BATCH_NODES || b > BATCH_BYTES {
                self.one_by_one(parent, node)?;
                continue;
            }
            if count + n > BATCH_NODES || bytes + b > BATCH_BYTES {
                self.send(parent, std::mem::take(&mut batch))?;
                (count, bytes) = (0, 0);
            }
            count += n;
            bytes += b;
            batch.push((node, json));
        }
        self.send(parent, batch)
    }

    fn send(&mut self, parent: Option<&Parent>, batch: Vec<(Node, Value)>) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut args = json!({"areas": batch.iter().map(|(_, j)| j.clone()).collect::<Vec<_>>()});
        if let Some(p) = parent {
            args["parent_id"] = json!(p.id);
        }
        // The bar moves within a batch too, as the server reports each step.
        let start = self.bar.position();
        let bar = self.bar;
        let mut on_progress = |done: f64, _total: Option<f64>| {
            bar.set_position(start + done as u64);
        };
        match self
            .client
            .call_with_progress("import_tree", args, &mut on_progress)?
        {
            Ok(summary) => {
                let n = |k: &str| summary[k].as_u64().unwrap_or(0) as usize;
                self.summary.areas_created += n("areas_created");
                self.summary.climbs_created += n("climbs_created");
                self.bar.set_position(
                    start
                        + batch
                            .iter()
                            .map(|(node, _)| node.count() as u64)
                            .sum::<u64>(),
                );
                Ok(())
            }
            // Checked whole and refused whole: find the culprits one by one.
            Err(_) => {
                self.bar.set_position(start);
                for (node, _) in batch {
                    self.one_by_one(parent, node)?;
                }
                Ok(())
            }
        }
    }

    /// Creates one area, then its climbs one by one, then its sub-areas (in
    /// batches again).
    fn one_by_one(&mut self, parent: Option<&Parent>, node: Node) -> Result<()> {
        let kind = kind_for(&node, parent.map(|p| p.kind.as_str()));
        let mut args = json!({"name": node.name, "kind": kind});
        if let Some(p) = parent {
            args["parent_id"] = json!(p.id);
        }
        if let Some((lat, lng)) = node.location {
            args["location"] = json!({"lat": lat, "lng": lng});
        }
        if let Some(d) = &node.description {
            args["description"] = json!(d);
        }
        match self.client.call("create_area", args)? {
            Ok(area) => {
                self.summary.areas_created += 1;
                self.bar.inc(1);
                let created = Parent {
                    id: area["id"].as_str().unwrap_or("").to_owned(),
                    kind,
                };
                self.climbs_into(&created, &node, true)?;
                self.batches(Some(&created), node.children)
            }
            Err(reason) => {
                let below = node.count() - 1;
                self.summary.skipped.push(Skip {
                    what: "area",
                    name: node.name.clone(),
                    reason: if below > 0 {
                        format!("{reason} (and the {below} areas and climbs in it)")
                    } else {
                        reason
                    },
                });
                self.summary.skipped_below += below;
                self.bar.inc(node.count() as u64);
                Ok(())
            }
        }
    }

    /// Creates the climbs of `node` in `area`, skipping those already there unless
    /// the area is `fresh`.
    fn climbs_into(&mut self, area: &Parent, node: &Node, fresh: bool) -> Result<()> {
        if node.climbs.is_empty() {
            return Ok(());
        }
        let existing: HashSet<String> = if fresh {
            HashSet::new()
        } else {
            self.client
                .all("list_climbs", json!({"area_id": area.id}))?
                .iter()
                // The area's own climbs (list_climbs also lists those below it).
                .filter(|c| c["area_id"] == area.id.as_str())
                .map(|c| norm(c["name"].as_str().unwrap_or("")))
                .collect()
        };
        for climb in &node.climbs {
            let name = climb["name"].as_str().unwrap_or("").to_owned();
            self.bar.inc(1);
            if existing.contains(&norm(&name)) {
                self.summary.climbs_existing += 1;
                continue;
            }
            let mut args = climb.clone();
            args["area_id"] = json!(area.id);
            match self.client.call("create_climb", args)? {
                Ok(_) => self.summary.climbs_created += 1,
                Err(reason) => self.summary.skipped.push(Skip {
                    what: "climb",
                    name: format!("{name} (in {})", node.name),
                    reason,
                }),
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Mountain Project ticks

fn import_ticks(args: &ImportArgs, ticks: Vec<MpTick>) -> Result<()> {
    if args.dry_run {
        println!(
            "{}: {} ticks to import (dry run: nothing written)",
            args.file.display(),
            ticks.len()
        );
        return Ok(());
    }
    let client = Client::connect(&args.conn)?;
    let mut summary = Summary::default();
    let bar = progress(ticks.len(), "ticks");
    let mut t = TickImporter {
        client: &client,
        areas: HashMap::new(),
        climbs: HashMap::new(),
        imported_region: None,
        imported_crags: HashMap::new(),
        logged: HashSet::new(),
    };
    for tick in client.all("list_ticks", json!({}))? {
        t.logged.insert(tick_key(
            tick["climb_id"].as_str().unwrap_or(""),
            tick["date"].as_str().unwrap_or(""),
            tick["style"].as_str().unwrap_or(""),
            tick["attempt"].as_str().unwrap_or(""),
        ));
    }
    for tick in &ticks {
        bar.set_message(tick.route.chars().take(30).collect::<String>());
        if let Err(reason) = t.one(tick, &mut summary)? {
            summary.skipped.push(Skip {
                what: "tick",
                name: format!("{} on {} (row {})", tick.route, tick.date, tick.row),
                reason,
            });
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "imported {} into the logbook of {} on {}: logged {} ticks ({} on climbs found by name and location); created {} climbs and {} areas under \"{IMPORTED_REGION}\" for ticks whose climb was not found; {} were already logged; {} skipped",
        args.file.display(),
        client.subject,
        client.describe,
        summary.ticks_logged,
        summary.ticks_matched,
        summary.climbs_created,
        summary.areas_created,
        summary.ticks_existing,
        summary.skipped.len(),
    );
    print_skips(&summary.skipped);
    Ok(())
}

fn tick_key(climb: &str, date: &str, style: &str, attempt: &str) -> String {
    format!("{climb}\u{1f}{date}\u{1f}{style}\u{1f}{attempt}")
}

struct TickImporter<'a> {
    client: &'a Client,
    /// Area id -> normalized names of the area and its ancestors (its own first).
    areas: HashMap<String, Vec<String>>,
    /// (route, location) -> (climb id, boulder?, found rather than created).
    climbs: HashMap<(String, String), (String, Option<bool>, bool)>,
    imported_region: Option<String>,
    imported_crags: HashMap<String, String>,
    logged: HashSet<String>,
}

fn boulder_of(disciplines: &[Value]) -> Option<bool> {
    let boulder = disciplines.iter().any(|d| d == "boulder");
    let roped = disciplines.iter().any(|d| d != "boulder");
    match (boulder, roped) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

impl TickImporter<'_> {
    /// Logs one tick; `Ok(Err(reason))` when it is skipped.
    fn one(&mut self, tick: &MpTick, summary: &mut Summary) -> Result<Result<(), String>> {
        if tick.route.is_empty() {
            return Ok(Err("no Route".into()));
        }
        let date = tick.date.get(..10).unwrap_or("");
        if !(date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-') {
            return Ok(Err(format!("Date {:?} is not YYYY-MM-DD", tick.date)));
        }
        let key = (norm(&tick.route), norm(&tick.location));
        let (climb_id, boulder, matched) = match self.climbs.get(&key) {
            Some((id, b, found)) => (id.clone(), *b, *found),
            None => match self.find(tick)? {
                Some((id, b)) => {
                    self.climbs.insert(key, (id.clone(), b, true));
                    (id, b, true)
                }
                None => match self.create(tick, summary)? {
                    Ok((id, b)) => {
                        self.climbs.insert(key, (id.clone(), b, false));
                        (id, b, false)
                    }
                    Err(reason) => return Ok(Err(reason)),
                },
            },
        };
        let (style, attempt) = tick.style_attempt(boulder);
        let k = tick_key(&climb_id, date, style, attempt);
        if self.logged.contains(&k) {
            summary.ticks_existing += 1;
            return Ok(Ok(()));
        }
        let mut args =
            json!({"climb_id": climb_id, "date": date, "style": style, "attempt": attempt});
        if let Some(stars) = tick.your_stars.filter(|s| (0..=4).contains(s)) {
            args["stars"] = json!(stars);
        }
        let notes: String = tick.notes.chars().take(2000).collect();
        if !notes.trim().is_empty() {
            args["notes"] = json!(notes.trim());
        }
        match self.client.call("log_tick", args)? {
            Ok(_) => {
                self.logged.insert(k);
                summary.ticks_logged += 1;
                if matched {
                    summary.ticks_matched += 1;
                }
                Ok(Ok(()))
            }
            Err(reason) => Ok(Err(reason)),
        }
    }

    /// The names of `area_id` and its ancestors, normalized.
    fn path_names(&mut self, area_id: &str) -> Result<Vec<String>> {
        if let Some(names) = self.areas.get(area_id) {
            return Ok(names.clone());
        }
        let names: Vec<String> = match self.client.call("get_area_path", json!({"id": area_id}))? {
            Ok(path) => path["path"]
                .as_array()
                .into_iter()
                .flatten()
                .rev()
                .map(|a| norm(a["name"].as_str().unwrap_or("")))
                .collect(),
            Err(_) => Vec::new(),
        };
        self.areas.insert(area_id.to_owned(), names.clone());
        Ok(names)
    }

    /// A climb named like the tick's route whose area (or an ancestor) is named
    /// like a part of the tick's location: the best match (most parts matching,
    /// the route's own area counting most).
    fn find(&mut self, tick: &MpTick) -> Result<Option<(String, Option<bool>)>> {
        let parts: Vec<String> = tick.location_parts().iter().map(|p| norm(p)).collect();
        if parts.is_empty() {
            return Ok(None);
        }
        let wanted = norm(&tick.route);
        // Where an earlier import created it: "Imported" > the whole location.
        let created_in = norm(&tick.location.trim().chars().take(200).collect::<String>());
        let mut best: Option<(usize, String, Option<bool>)> = None;
        let mut args = json!({"query": tick.route, "limit": 200});
        for _page in 0..3 {
            let page = match self.client.call("search_climbs", args.clone())? {
                Ok(page) => page,
                Err(_) => return Ok(None),
            };
            for climb in page["items"].as_array().into_iter().flatten() {
                if norm(climb["name"].as_str().unwrap_or("")) != wanted {
                    continue;
                }
                let names = self.path_names(climb["area_id"].as_str().unwrap_or(""))?;
                let own = names
                    .first()
                    .is_some_and(|n| parts.last() == Some(n) || *n == created_in);
                let score = parts.iter().filter(|p| names.contains(p)).count() + usize::from(own);
                let better = best.as_ref().is_none_or(|(s, _, _)| score > *s);
                if (score >= 2 || own) && better {
                    let disciplines = climb["disciplines"].as_array().cloned().unwrap_or_default();
                    best = Some((
                        score,
                        climb["id"].as_str().unwrap_or("").to_owned(),
                        boulder_of(&disciplines),
                    ));
                }
            }
            match page.get("next_cursor").and_then(Value::as_str) {
                Some(c) => args["cursor"] = json!(c),
                None => break,
            }
        }
        Ok(best.map(|(_, id, b)| (id, b)))
    }

    /// Creates the tick's climb under "Imported" > the tick's location.
    fn create(
        &mut self,
        tick: &MpTick,
        summary: &mut Summary,
    ) -> Result<Result<(String, Option<bool>), String>> {
        let (grades, safety) = tick.grades();
        if grades.is_empty() {
            return Ok(Err(format!(
                "no climb named {:?} in {:?} here, and Rating {:?} has no YDS or V grade to create it with",
                tick.route, tick.location, tick.rating
            )));
        }
        let mut disciplines = tick.disciplines();
        if disciplines.is_empty() {
            disciplines.push(if grades.contains_key("vscale") {
                "boulder"
            } else {
                "trad"
            });
        }
        let crag = self.imported_crag(tick, summary)?;
        let crag = match crag {
            Ok(id) => id,
            Err(reason) => return Ok(Err(reason)),
        };
        let mut args = json!({
            "area_id": crag,
            "name": tick.route,
            "grades": grades,
            "disciplines": disciplines,
        });
        if let Some(s) = safety {
            args["safety"] = json!(s);
        }
        if let Some(ft) = tick.length_ft {
            args["length_m"] = json!((ft * 0.3048 * 10.0).round() / 10.0);
        }
        if let Some(p) = tick.pitches {
            args["pitches"] = json!(p);
        }
        match self.client.call("create_climb", args)? {
            Ok(climb) => {
                summary.climbs_created += 1;
                let d = climb["disciplines"].as_array().cloned().unwrap_or_default();
                Ok(Ok((
                    climb["id"].as_str().unwrap_or("").to_owned(),
                    boulder_of(&d),
                )))
            }
            Err(reason) => Ok(Err(format!("creating the climb: {reason}"))),
        }
    }

    /// The crag for a tick's location under the top-level region "Imported"
    /// (found or created).
    fn imported_crag(
        &mut self,
        tick: &MpTick,
        summary: &mut Summary,
    ) -> Result<Result<String, String>> {
        let region = match &self.imported_region {
            Some(id) => id.clone(),
            None => {
                let found = self
                    .client
                    .all("list_areas", json!({}))?
                    .into_iter()
                    .find(|a| a["name"] == IMPORTED_REGION && a["kind"] == "region");
                let id = match found {
                    Some(a) => a["id"].as_str().unwrap_or("").to_owned(),
                    None => {
                        let a = self.client.must(
                            "create_area",
                            json!({"name": IMPORTED_REGION, "kind": "region",
                                   "description": "Climbs created by `climbing-host import` for ticks whose climb was not found"}),
                        )?;
                        summary.areas_created += 1;
                        a["id"].as_str().unwrap_or("").to_owned()
                    }
                };
                for a in self.client.all("list_areas", json!({"parent_id": id}))? {
                    self.imported_crags.insert(
                        norm(a["name"].as_str().unwrap_or("")),
                        a["id"].as_str().unwrap_or("").to_owned(),
                    );
                }
                self.imported_region = Some(id.clone());
                id
            }
        };
        let location = if tick.location.trim().is_empty() {
            "Unknown location".to_owned()
        } else {
            tick.location.trim().chars().take(200).collect()
        };
        if let Some(id) = self.imported_crags.get(&norm(&location)) {
            return Ok(Ok(id.clone()));
        }
        match self.client.call(
            "create_area",
            json!({"name": location, "kind": "crag", "parent_id": region}),
        )? {
            Ok(a) => {
                summary.areas_created += 1;
                let id = a["id"].as_str().unwrap_or("").to_owned();
                self.imported_crags.insert(norm(&location), id.clone());
                Ok(Ok(id))
            }
            Err(reason) => Ok(Err(format!("creating the crag {location:?}: {reason}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, children: Vec<Node>, climbs: usize) -> Node {
        Node {
            name: name.into(),
            children,
            climbs: vec![json!({"name": "c"}); climbs],
            ..Node::default()
        }
    }

    #[test]
    fn kinds_follow_the_tree() {
        let wall = node("Wall", vec![], 3);
        let crag = node("Crag", vec![wall.clone()], 0);
        let tree = node(
            "USA",
            vec![node(
                "Oregon",
                vec![node("Smith", vec![wall.clone(), crag], 0)],
                0,
            )],
            0,
        );
        let v = tree_json(&tree, None);
        assert_eq!(v["kind"], "country");
        assert_eq!(v["areas"][0]["kind"], "region");
        let smith = &v["areas"][0]["areas"][0];
        assert_eq!(smith["kind"], "area");
        assert_eq!(smith["areas"][0]["kind"], "crag");
        assert_eq!(smith["areas"][1]["kind"], "area");
        assert_eq!(smith["areas"][1]["areas"][0]["kind"], "crag");
        // Under a crag: sectors, or boulders.
        let mut b = wall.clone();
        b.is_boulder = true;
        assert_eq!(kind_for(&wall, Some("crag")), "sector");
        assert_eq!(kind_for(&b, Some("crag")), "boulder");
        let mut given = wall;
        given.kind = Some("wall".into());
        assert_eq!(kind_for(&given, Some("crag")), "wall");
    }
}
