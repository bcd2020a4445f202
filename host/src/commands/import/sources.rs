//! Reading import files into trees of areas and climbs (OpenBeta-shaped JSON,
//! climbs CSV) or tick rows (Mountain Project tick export), mapped to the
//! arguments of the server's tools. Nothing here checks grades or names: the
//! server does, and its refusals are reported per item.

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use serde_json::{json, Map, Value};
use std::path::Path;

/// The formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// .json: OpenBeta-shaped tree of areas with climbs.
    Openbeta,
    /// .csv with a `name` column: one climb per row, area path columns.
    Csv,
    /// .csv with Route, Rating, Style... columns: a Mountain Project tick export.
    MpTicks,
}

/// An area to import, with what is under it.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub name: String,
    /// Given in the file (CSV columns, or a `kind` field); else derived.
    pub kind: Option<String>,
    /// OpenBeta's `metadata.isBoulder`.
    pub is_boulder: bool,
    pub location: Option<(f64, f64)>,
    pub description: Option<String>,
    pub children: Vec<Node>,
    /// `create_climb` arguments without `area_id`.
    pub climbs: Vec<Value>,
}

impl Node {
    /// Areas and climbs in this subtree.
    pub fn count(&self) -> usize {
        1 + self.climbs.len() + self.children.iter().map(Node::count).sum::<usize>()
    }
}

/// Something in the file that will not be imported, and why.
#[derive(Debug, Clone)]
pub struct Skip {
    pub what: &'static str,
    pub name: String,
    pub reason: String,
}

pub const KINDS: &[&str] = &[
    "country", "region", "area", "crag", "sector", "wall", "boulder",
];
const GRADE_SYSTEMS: &[&str] = &[
    "yds",
    "french",
    "uiaa",
    "ewbank",
    "saxon",
    "norwegian",
    "british",
    "vscale",
    "font",
];

/// The format of `path`: the one asked for, else from its extension and header.
pub fn detect(path: &Path, asked: Option<Format>) -> Result<Format> {
    if let Some(f) = asked {
        return Ok(f);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "json" => Ok(Format::Openbeta),
        "csv" => {
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let headers: Vec<String> = reader
                .headers()?
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect();
            let has = |h: &str| headers.iter().any(|x| x == h);
            if has("route") && has("rating") && (has("style") || has("lead style")) {
                Ok(Format::MpTicks)
            } else {
                Ok(Format::Csv)
            }
        }
        _ => bail!(
            "cannot tell the format of {} from its extension; pass --format openbeta, csv or mp-ticks",
            path.display()
        ),
    }
}

// ---------------------------------------------------------------------------
// OpenBeta-shaped JSON

/// Reads a JSON tree: an area object, an array of them, or `{"areas": [...]}`.
pub fn read_openbeta(path: &Path) -> Result<(Vec<Node>, Vec<Skip>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    let roots: Vec<Value> = match doc {
        Value::Array(items) => items,
        Value::Object(ref map) if map.contains_key("areas") && !is_area(&doc) => {
            map["areas"].as_array().cloned().unwrap_or_default()
        }
        Value::Object(_) => vec![doc],
        _ => bail!(
            "{}: expected an area object or an array of areas",
            path.display()
        ),
    };
    let mut skips = Vec::new();
    let mut nodes = Vec::new();
    for (i, root) in roots.iter().enumerate() {
        match openbeta_area(root, &format!("[{i}]"), &mut skips) {
            Some(node) => nodes.push(node),
            None => continue,
        }
    }
    Ok((nodes, skips))
}

fn is_area(v: &Value) -> bool {
    ["area_name", "areaName", "name"]
        .iter()
        .any(|k| v.get(*k).is_some_and(Value::is_string))
}

fn text_field<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn lat_lng(meta: &Value) -> Option<(f64, f64)> {
    let lat = number(meta.get("lat")?)?;
    let lng = number(meta.get("lng").or_else(|| meta.get("lon"))?)?;
    // OpenBeta writes 0,0 for "unknown".
    ((lat, lng) != (0.0, 0.0) && lat.abs() <= 90.0 && lng.abs() <= 180.0).then_some((lat, lng))
}

fn openbeta_area(v: &Value, at: &str, skips: &mut Vec<Skip>) -> Option<Node> {
    let Some(name) = text_field(v, &["area_name", "areaName", "name"]) else {
        skips.push(Skip {
            what: "area",
            name: at.into(),
            reason: "no area_name".into(),
        });
        return None;
    };
    let meta = v.get("metadata").cloned().unwrap_or(Value::Null);
    let mut node = Node {
        name: name.to_owned(),
        kind: text_field(v, &["kind"]).map(str::to_ascii_lowercase),
        is_boulder: meta["isBoulder"] == true || meta["is_boulder"] == true,
        location: lat_lng(&meta),
        description: description(v),
        ..Node::default()
    };
    for (i, child) in v
        .get("children")
        .or_else(|| v.get("areas"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(c) = openbeta_area(child, &format!("{at}.children[{i}]"), skips) {
            node.children.push(c);
        }
    }
    for c in v
        .get("climbs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match openbeta_climb(c) {
            Ok(climb) => node.climbs.push(climb),
            Err(reason) => skips.push(Skip {
                what: "climb",
                name: format!(
                    "{} (in {name})",
                    text_field(c, &["name", "climb_name", "route_name"]).unwrap_or("?")
                ),
                reason,
            }),
        }
    }
    Some(node)
}

fn description(v: &Value) -> Option<String> {
    let d = v
        .get("content")
        .and_then(|c| c.get("description"))
        .or_else(|| v.get("description"))?;
    let text = match d {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n\n"),
        _ => return None,
    };
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// OpenBeta's climb types (keys of `type`) as the server's disciplines.
fn discipline(key: &str) -> Option<&'static str> {
    Some(
        match key
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_")
            .as_str()
        {
            "sport" => "sport",
            "trad" => "trad",
            "tr" | "toprope" | "top_rope" => "top_rope",
            "boulder" | "bouldering" => "boulder",
            "aid" => "aid",
            "ice" => "ice",
            "mixed" => "mixed",
            "alpine" => "alpine",
            "snow" => "snow",
            "deepwatersolo" | "deep_water_solo" | "dws" => "deep_water_solo",
            _ => return None,
        },
    )
}

/// Disciplines from `type`: an object of flags, an array, or a string list.
fn disciplines(v: Option<&Value>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    let mut add = |key: &str| {
        if let Some(d) = discipline(key) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    };
    match v {
        Some(Value::Object(flags)) => {
            for (key, on) in flags {
                if *on == true {
                    add(key);
                }
            }
        }
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).for_each(&mut add),
        Some(Value::String(s)) => s.split([',', ';', '|', ' ']).for_each(&mut add),
        _ => {}
    }
    out
}

fn openbeta_climb(c: &Value) -> Result<Value, String> {
    let name = text_field(c, &["name", "climb_name", "route_name"]).ok_or("no name")?;
    let mut grades = Map::new();
    if let Some(g) = c.get("grades").and_then(Value::as_object) {
        for system in GRADE_SYSTEMS {
            if let Some(text) = g.get(*system).and_then(Value::as_str).map(str::trim) {
                if !text.is_empty() {
                    grades.insert((*system).into(), json!(text));
                }
            }
        }
    }
    if grades.is_empty() {
        return Err("no grade in a system the server knows (yds, french, uiaa, ewbank, saxon, norwegian, british, vscale, font)".into());
    }
    let mut disc = disciplines(c.get("type").or_else(|| c.get("disciplines")));
    if disc.is_empty() && (grades.contains_key("vscale") || grades.contains_key("font")) {
        disc.push("boulder");
    }
    if disc.is_empty() {
        return Err("no discipline: type has no sport, trad, tr, boulder, aid, ice, mixed, alpine, snow or deepwatersolo set".into());
    }
    let meta = c.get("metadata").cloned().unwrap_or(Value::Null);
    let mut climb = json!({"name": name, "grades": grades, "disciplines": disc});
    let positive = |v: Option<&Value>| v.and_then(number).filter(|n| *n > 0.0);
    if let Some(length) = positive(c.get("length").or_else(|| c.get("length_m"))) {
        climb["length_m"] = json!(length);
    }
    if let Some(bolts) = positive(c.get("boltsCount").or_else(|| c.get("bolts"))) {
        climb["bolts"] = json!(bolts as u32);
    }
    if let Some(pitches) = c.get("pitches").and_then(number).filter(|n| *n > 0.0) {
        climb["pitches"] = json!(pitches as u32);
    }
    if let Some(fa) = text_field(c, &["fa"]) {
        if !fa.eq_ignore_ascii_case("unknown") {
            climb["fa"] = json!(fa);
        }
    }
    if let Some(safety) = safety(text_field(c, &["safety"]).unwrap_or("")) {
        climb["safety"] = json!(safety);
    }
    if let Some((lat, lng)) = lat_lng(&meta) {
        climb["location"] = json!({"lat": lat, "lng": lng});
    }
    let lri = ["left_right_index", "leftRightIndex"]
        .iter()
        .find_map(|k| meta.get(*k).or_else(|| c.get(*k)).and_then(number));
    if let Some(i) = lri.filter(|i| *i >= 0.0 && *i < i32::MAX as f64) {
        climb["left_right_index"] = json!(i as i32);
    }
    if let Some(d) = description(c) {
        climb["description"] = json!(d);
    }
    Ok(climb)
}

fn safety(text: &str) -> Option<&'static str> {
    Some(match text.trim().to_ascii_uppercase().as_str() {
        "G" => "G",
        "PG" => "PG",
        "PG13" | "PG-13" => "PG13",
        "R" => "R",
        "X" => "X",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Climbs CSV

/// The columns of a climbs CSV, for `import --help` and docs/operations.md.
pub const CSV_COLUMNS: &str = "\
area path (top down; leave cells empty to skip a level): country, region, area, crag, sector, wall, boulder
climb: name (required), yds, french, uiaa, ewbank, saxon, norwegian, british, vscale, font (at least one grade),
       disciplines (sport, trad, top_rope, boulder, aid, ice, mixed, alpine, snow, deep_water_solo; separated by ; or |),
       length_m, bolts, pitches, fa, safety (G, PG, PG13, R, X), lat, lng, left_right_index, description";

/// Reads a CSV with one climb per row into a tree of areas (kinds from the
/// column names).
pub fn read_climbs_csv(path: &Path) -> Result<(Vec<Node>, Vec<Skip>, Vec<String>)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase().replace([' ', '-'], "_"))
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    if col("name").is_none() {
        bail!(
            "{}: no `name` column; a climbs CSV has these columns:\n{CSV_COLUMNS}",
            path.display()
        );
    }
    let known: Vec<&str> = KINDS
        .iter()
        .chain(GRADE_SYSTEMS)
        .chain(&[
            "name",
            "disciplines",
            "type",
            "length_m",
            "bolts",
            "pitches",
            "fa",
            "safety",
            "lat",
            "lng",
            "left_right_index",
            "description",
        ])
        .copied()
        .collect();
    let ignored: Vec<String> = headers
        .iter()
        .filter(|h| !known.contains(&h.as_str()))
        .cloned()
        .collect();
    let mut roots: Vec<Node> = Vec::new();
    let mut skips = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2; // 1-based, after the header
        let record = record.with_context(|| format!("{}: row {row}", path.display()))?;
        let get = |name: &str| {
            col(name)
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let name = get("name").unwrap_or("").to_owned();
        let levels: Vec<(&str, &str)> = KINDS
            .iter()
            .filter_map(|k| get(k).map(|v| (*k, v)))
            .collect();
        if levels.is_empty() {
            skips.push(Skip {
                what: "climb",
                name: format!("{name} (row {row})"),
                reason: "no area: fill at least one of the columns country, region, area, crag, sector, wall, boulder".into(),
            });
            continue;
        }
        let mut climb = json!({"name": name});
        let mut grades = Map::new();
        for system in GRADE_SYSTEMS {
            if let Some(g) = get(system) {
                grades.insert((*system).into(), json!(g));
            }
        }
        climb["grades"] = Value::Object(grades);
        climb["type"] = json!(get("disciplines").or(get("type")).unwrap_or(""));
        for field in ["length_m", "bolts", "pitches", "left_right_index"] {
            if let Some(v) = get(field) {
                climb[field] = json!(v);
            }
        }
        for field in ["fa", "safety", "description"] {
            if let Some(v) = get(field) {
                climb[field] = json!(v);
            }
        }
        if let (Some(lat), Some(lng)) = (get("lat"), get("lng")) {
            climb["metadata"] = json!({"lat": lat, "lng": lng});
        }
        let at = levels
            .iter()
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(" > ");
        let climb = match openbeta_climb(&climb) {
            Ok(c) => c,
            Err(reason) => {
                skips.push(Skip {
                    what: "climb",
                    name: format!("{name} (row {row}, in {at})"),
                    reason,
                });
                continue;
            }
        };
        insert(&mut roots, &levels, climb);
    }
    Ok((roots, skips, ignored))
}

/// Adds `climb` at `path` (kind, name) under `level`, creating areas as needed.
fn insert(level: &mut Vec<Node>, path: &[(&str, &str)], climb: Value) {
    let (kind, name) = path[0];
    let idx = match level
        .iter()
        .position(|n| n.name == name && n.kind.as_deref() == Some(kind))
    {
        Some(i) => i,
        None => {
            level.push(Node {
                name: name.to_owned(),
                kind: Some(kind.to_owned()),
                ..Node::default()
            });
            level.len() - 1
        }
    };
    if path.len() == 1 {
        level[idx].climbs.push(climb);
    } else {
        insert(&mut level[idx].children, &path[1..], climb);
    }
}

// ---------------------------------------------------------------------------
// Mountain Project tick export

/// One row of a Mountain Project tick export.
#[derive(Debug, Clone, Default)]
pub struct MpTick {
    pub row: usize,
    pub date: String,
    pub route: String,
    pub rating: String,
    pub notes: String,
    pub pitches: Option<u32>,
    pub location: String,
    pub your_stars: Option<i64>,
    pub style: String,
    pub lead_style: String,
    pub route_type: String,
    pub length_ft: Option<f64>,
}

/// Reads a Mountain Project tick export (Date, Route, Rating, Notes, URL,
/// Pitches, Location, Avg Stars, Your Stars, Style, Lead Style, Route Type, Your
/// Rating, Length, Rating Code).
pub fn read_mp_ticks(path: &Path) -> Result<Vec<MpTick>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    for required in ["date", "route"] {
        if col(required).is_none() {
            bail!(
                "{}: no `{required}` column; a Mountain Project tick export has Date, Route, Rating, Notes, URL, Pitches, Location, Avg Stars, Your Stars, Style, Lead Style, Route Type, Your Rating, Length, Rating Code",
                path.display()
            );
        }
    }
    let mut ticks = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{}: row {}", path.display(), i + 2))?;
        let get = |name: &str| {
            col(name)
                .and_then(|i| record.get(i))
                .map(str::trim)
                .unwrap_or("")
                .to_owned()
        };
        ticks.push(MpTick {
            row: i + 2,
            date: get("date"),
            route: get("route"),
            rating: get("rating"),
            notes: get("notes"),
            pitches: get("pitches").parse().ok().filter(|p| *p > 0),
            location: get("location"),
            your_stars: get("your stars").parse::<f64>().ok().map(|s| s as i64),
            style: get("style"),
            lead_style: get("lead style"),
            route_type: get("route type"),
            length_ft: get("length").parse().ok().filter(|l: &f64| *l > 0.0),
        });
    }
    Ok(ticks)
}

impl MpTick {
    /// The grades and safety in MP's Rating ("5.10a PG13", "V4", "5.9 R", "V3-4").
    pub fn grades(&self) -> (Map<String, Value>, Option<&'static str>) {
        let mut grades = Map::new();
        let mut safety_rating = None;
        for token in self.rating.split_whitespace() {
            if let Some(s) = safety(token) {
                safety_rating = Some(s);
            } else if token.starts_with("5.") && !grades.contains_key("yds") {
                grades.insert("yds".into(), json!(token));
            } else if (token.starts_with('V') || token.starts_with('v'))
                && token[1..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == 'B')
                && !grades.contains_key("vscale")
            {
                grades.insert("vscale".into(), json!(token.to_ascii_uppercase()));
            }
        }
        (grades, safety_rating)
    }

    /// The disciplines in MP's Route Type ("Trad, Aid", "Sport, TR", "Boulder").
    pub fn disciplines(&self) -> Vec<&'static str> {
        disciplines(Some(&json!(self.route_type.replace(',', ";"))))
    }

    /// The location's areas from the top down ("Oregon > Central Oregon > Smith Rock").
    pub fn location_parts(&self) -> Vec<&str> {
        self.location
            .split('>')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The server's style and attempt for this tick on a climb that is a boulder
    /// problem (`true`), a roped route (`false`) or either (`None`). See the table in
    /// docs/operations.md.
    pub fn style_attempt(&self, boulder: Option<bool>) -> (&'static str, &'static str) {
        let style = self.style.trim().to_ascii_lowercase();
        let lead = self.lead_style.trim().to_ascii_lowercase();
        let boulder_style = matches!(style.as_str(), "send" | "flash" | "attempt");
        let is_boulder = match boulder {
            Some(b) => b,
            None => boulder_style,
        };
        if is_boulder {
            let attempt = match (style.as_str(), lead.as_str()) {
                ("flash", _) | (_, "flash") | (_, "onsight") => "flash",
                ("attempt", _) | (_, "fell/hung") => "attempt",
                _ => "send",
            };
            return ("boulder", attempt);
        }
        match style.as_str() {
            "follow" => ("follow", "send"),
            "tr" | "toprope" | "top rope" => ("top_rope", "send"),
            "solo" => match lead.as_str() {
                "onsight" => ("solo", "onsight"),
                "flash" => ("solo", "flash"),
                _ => ("solo", "send"),
            },
            "flash" => ("lead", "flash"),
            "attempt" => ("lead", "attempt"),
            // Lead, Send, or no style at all.
            _ => match lead.as_str() {
                "onsight" => ("lead", "onsight"),
                "flash" => ("lead", "flash"),
                "redpoint" => ("lead", "redpoint"),
                "pinkpoint" => ("lead", "pinkpoint"),
                "fell/hung" => ("lead", "attempt"),
                _ => ("lead", "send"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(style: &str, lead: &str) -> MpTick {
        MpTick {
            style: style.into(),
            lead_style: lead.into(),
            ..MpTick::default()
        }
    }

    #[test]
    fn mp_styles_map_to_allowed_combinations() {
        let route = Some(false);
        assert_eq!(
            tick("Lead", "Onsight").style_attempt(route),
            ("lead", "onsight")
        );
        assert_eq!(
            tick("Lead", "Redpoint").style_attempt(route),
            ("lead", "redpoint")
        );
        assert_eq!(
            tick("Lead", "Pinkpoint").style_attempt(route),
            ("lead", "pinkpoint")
        );
        assert_eq!(
            tick("Lead", "Fell/Hung").style_attempt(route),
            ("lead", "attempt")
        );
        assert_eq!(tick("Lead", "").style_attempt(route), ("lead", "send"));
        assert_eq!(tick("Follow", "").style_attempt(route), ("follow", "send"));
        assert_eq!(tick("TR", "").style_attempt(route), ("top_rope", "send"));
        assert_eq!(tick("Solo", "").style_attempt(route), ("solo", "send"));
        assert_eq!(tick("", "").style_attempt(route), ("lead", "send"));
        let boulder = Some(true);
        assert_eq!(tick("Send", "").style_attempt(boulder), ("boulder", "send"));
        assert_eq!(
            tick("Flash", "").style_attempt(boulder),
            ("boulder", "flash")
        );
        assert_eq!(
            tick("Attempt", "").style_attempt(boulder),
            ("boulder", "attempt")
        );
        assert_eq!(
            tick("Lead", "Onsight").style_attempt(boulder),
            ("boulder", "flash")
        );
        assert_eq!(tick("Send", "").style_attempt(None), ("boulder", "send"));
        assert_eq!(tick("TR", "").style_attempt(None), ("top_rope", "send"));
    }

    #[test]
    fn mp_ratings() {
        let t = MpTick {
            rating: "5.10a PG13".into(),
            ..MpTick::default()
        };
        let (g, s) = t.grades();
        assert_eq!(g["yds"], "5.10a");
        assert_eq!(s, Some("PG13"));
        let t = MpTick {
            rating: "V3-4".into(),
            ..MpTick::default()
        };
        assert_eq!(t.grades().0["vscale"], "V3-4");
        let t = MpTick {
            rating: "WI4 M5".into(),
            ..MpTick::default()
        };
        assert!(t.grades().0.is_empty());
    }

    #[test]
    fn openbeta_climbs() {
        let c = openbeta_climb(&json!({
            "name": "Chain Reaction",
            "grades": {"yds": "5.12c", "brazilian_crux": "9"},
            "type": {"sport": true, "trad": false},
            "length": 20,
            "safety": "UNSPECIFIED",
            "metadata": {"lat": 44.37, "lng": -121.14, "left_right_index": 3}
        }))
        .unwrap();
        assert_eq!(
            c,
            json!({"name": "Chain Reaction", "grades": {"yds": "5.12c"}, "disciplines": ["sport"],
                   "length_m": 20.0, "location": {"lat": 44.37, "lng": -121.14}, "left_right_index": 3})
        );
        let e =
            openbeta_climb(&json!({"name": "x", "grades": {"wi": "WI4"}, "type": {"ice": true}}))
                .unwrap_err();
        assert!(e.contains("no grade"), "{e}");
        let b = openbeta_climb(&json!({"name": "x", "grades": {"vscale": "V4"}})).unwrap();
        assert_eq!(b["disciplines"], json!(["boulder"]));
    }
}
