//! The bench's dataset: generated climbs in crags, loaded through the
//! component's own tools (`import_tree`) and read back through them.

use anyhow::{Context, Result};
use bytes::Bytes;
use serde_json::{json, Value};

use super::load::Client;
use super::requests::{str_field, tool_call};

/// Climbs per crag in the base dataset, and per crag (= per import batch) in the
/// scale step (one crag + 1,980 climbs = 1,981 nodes, under import_tree's 2,000).
pub const BASE_CRAG_CLIMBS: usize = 100;
pub const SCALE_CRAG_CLIMBS: usize = 1_980;
/// import_tree refuses more nodes than this in one call.
const MAX_IMPORT_NODES: usize = 2_000;

/// Words of the generated climb names: a search for one adjective matches one
/// climb in [`ADJECTIVES`]`.len()`, whatever the dataset's size.
const ADJECTIVES: &[&str] = &[
    "crimson", "silent", "golden", "hidden", "broken", "wild", "lazy", "frozen", "quiet", "bright",
    "hollow", "steep", "narrow", "ancient", "lonely", "rusty", "velvet", "savage", "gentle",
    "iron",
];
const NOUNS: &[&str] = &[
    "arete", "dihedral", "roof", "crack", "slab", "chimney", "flake", "pillar", "traverse",
    "corner", "groove", "ramp", "buttress", "prow", "overhang", "ledge", "seam", "edge", "wall",
    "tower", "spire", "gully", "scoop", "rib", "face",
];
const YDS: &[&str] = &[
    "5.6", "5.7", "5.8", "5.9", "5.10a", "5.10b", "5.10c", "5.10d", "5.11a", "5.11b", "5.11c",
    "5.11d", "5.12a", "5.12b",
];
pub const SEARCH_QUERY: &str = "crimson";

/// Imports `count` climbs (numbered from `first`) as crags of `per_crag` under
/// `parent`, as many crags per import_tree call as fit; returns the crag ids.
pub async fn import_climbs(
    client: &Client,
    parent: &str,
    first: usize,
    count: usize,
    per_crag: usize,
    crag_name: &str,
) -> Result<Vec<String>> {
    let mut crag_ids = Vec::new();
    let mut next = first;
    let end = first + count;
    let mut crag_no = first / per_crag;
    while next < end {
        let mut areas = Vec::new();
        let mut nodes = 0;
        while next < end {
            let n = per_crag.min(end - next);
            if nodes + 1 + n > MAX_IMPORT_NODES && !areas.is_empty() {
                break;
            }
            let climbs: Vec<Value> = (next..next + n).map(|i| climb_json(i, None)).collect();
            areas.push(json!({
                "name": format!("{crag_name} {crag_no}"),
                "kind": "crag",
                "climbs": climbs,
            }));
            nodes += 1 + n;
            next += n;
            crag_no += 1;
        }
        let summary = client
            .tool("import_tree", json!({"parent_id": parent, "areas": areas}))
            .await?;
        let roots = summary["root_ids"]
            .as_array()
            .context("import_tree gave no root_ids")?;
        for id in roots {
            crag_ids.push(id.as_str().context("a root id is not a string")?.to_owned());
        }
    }
    Ok(crag_ids)
}

/// Every climb of a crag, following cursors.
pub async fn list_all_climbs(client: &Client, crag: &str) -> Result<Vec<Value>> {
    let mut climbs = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"area_id": crag, "limit": 200});
        if let Some(c) = &cursor {
            args["cursor"] = json!(c);
        }
        let page = client.tool("list_climbs", args).await?;
        climbs.extend(
            page["items"]
                .as_array()
                .context("list_climbs gave no items")?
                .iter()
                .cloned(),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return Ok(climbs),
        }
    }
}

/// The generated climb number `i`: name "<adjective> <noun> <i>", a YDS grade,
/// sport, length and bolts.
pub fn climb_json(i: usize, area_id: Option<&str>) -> Value {
    let adjective = ADJECTIVES[i % ADJECTIVES.len()];
    let noun = NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()];
    let mut climb = json!({
        "name": format!("{} {noun} {i}", capitalize(adjective)),
        "grades": {"yds": YDS[i % YDS.len()]},
        "disciplines": ["sport"],
        "length_m": 12 + (i % 25) as u32,
        "bolts": 4 + (i % 9) as u32,
        "description": format!("Follow the {noun} past the {adjective} bulge to the chains."),
    });
    if let Some(area) = area_id {
        climb["area_id"] = json!(area);
    }
    climb
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The request for the page after the first of `list_climbs` with `args`, through
/// the cursor `client` answered.
pub async fn next_page_body(client: &Client, args: &Value) -> Result<Bytes> {
    let first = client.tool("list_climbs", args.clone()).await?;
    let mut next = args.clone();
    next["cursor"] = json!(str_field(&first, "next_cursor")?);
    Ok(tool_call("list_climbs", next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_spread_over_the_search_word() {
        let matches = (0..1_000)
            .filter(|&i| {
                climb_json(i, None)["name"]
                    .as_str()
                    .unwrap()
                    .starts_with("Crimson ")
            })
            .count();
        assert_eq!(matches, 1_000 / ADJECTIVES.len());
        assert_eq!(climb_json(7, Some("x"))["area_id"], "x");
    }
}
