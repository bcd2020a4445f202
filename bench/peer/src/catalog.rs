//! The peer's data and read tools: the bench's climbs in memory, served the way
//! the component serves them (pages in the order climbs were added, a name-token
//! index for search, cursors sealed with an HMAC so a client cannot forge one).

use anyhow::{Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The component's default and largest page sizes.
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;
/// Tokens shorter than this are not indexed (digits excepted), as in the component.
const MIN_TOKEN: usize = 2;

pub struct Catalog {
    climbs: Vec<Value>,
    by_id: HashMap<String, usize>,
    /// Climbs of each area, in the order they were added.
    by_area: HashMap<String, Vec<usize>>,
    /// Climbs whose name has the token, in the order they were added.
    by_token: HashMap<String, Vec<usize>>,
    cursor_key: Vec<u8>,
}

/// A tool call the catalog refuses: the message of an `isError` result.
pub struct Refused(pub String);

impl Catalog {
    pub fn new(list: Vec<Map<String, Value>>, cursor_key: &[u8]) -> Result<Self> {
        let mut catalog = Catalog {
            climbs: Vec::with_capacity(list.len()),
            by_id: HashMap::with_capacity(list.len()),
            by_area: HashMap::new(),
            by_token: HashMap::new(),
            cursor_key: cursor_key.to_vec(),
        };
        for climb in list {
            let field = |name: &str| {
                climb
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .with_context(|| format!("a climb without {name}"))
            };
            let (id, area, name) = (field("id")?, field("area_id")?, field("name")?);
            let index = catalog.climbs.len();
            catalog.by_id.insert(id, index);
            catalog.by_area.entry(area).or_default().push(index);
            for token in tokens(&name) {
                catalog.by_token.entry(token).or_default().push(index);
            }
            catalog.climbs.push(Value::Object(climb));
        }
        Ok(catalog)
    }

    pub fn get_climb(&self, args: &Map<String, Value>) -> Result<Value, Refused> {
        let id = string_arg(args, "id")?.ok_or_else(|| Refused("id is required".into()))?;
        self.by_id
            .get(id)
            .map(|&i| self.climbs[i].clone())
            .ok_or_else(|| Refused(format!("no climb with id \"{id}\"")))
    }

    pub fn list_climbs(&self, args: &Map<String, Value>) -> Result<Value, Refused> {
        let area =
            string_arg(args, "area_id")?.ok_or_else(|| Refused("area_id is required".into()))?;
        let empty = Vec::new();
        let climbs = self.by_area.get(area).unwrap_or(&empty);
        self.page(&format!("l:{area}"), climbs, args, |_| true)
    }

    pub fn search_climbs(&self, args: &Map<String, Value>) -> Result<Value, Refused> {
        let query =
            string_arg(args, "query")?.ok_or_else(|| Refused("query is required".into()))?;
        let words = tokens(query);
        let Some(first) = words.first() else {
            return Err(Refused("the query has no word to search for".into()));
        };
        let empty = Vec::new();
        let candidates = self.by_token.get(first).unwrap_or(&empty);
        self.page(&format!("s:{query}"), candidates, args, |climb| {
            let name = tokens(climb["name"].as_str().unwrap_or_default());
            words[1..].iter().all(|w| name.contains(w))
        })
    }

    /// A page of `list` (climb indexes) from the cursor's position, as
    /// `{"items": [...], "next_cursor": ...}`.
    fn page(
        &self,
        list: &str,
        entries: &[usize],
        args: &Map<String, Value>,
        keep: impl Fn(&Value) -> bool,
    ) -> Result<Value, Refused> {
        let limit = match args.get("limit") {
            None | Some(Value::Null) => DEFAULT_LIMIT,
            Some(v) => match v.as_u64() {
                Some(n @ 1..=200) => n as usize,
                _ => return Err(Refused(format!("limit must be 1 to {MAX_LIMIT}"))),
            },
        };
        let start = match string_arg(args, "cursor")? {
            Some(cursor) => self
                .open_cursor(list, cursor)
                .ok_or_else(|| Refused("invalid cursor".into()))?,
            None => 0,
        };
        let end = entries.len().min(start + limit);
        let items: Vec<Value> = entries
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.climbs[i])
            .filter(|c| keep(c))
            .cloned()
            .collect();
        let mut page = json!({ "items": items });
        if end < entries.len() {
            page["next_cursor"] = json!(self.seal_cursor(list, end));
        }
        Ok(page)
    }

    fn tag(&self, list: &str, position: &str) -> String {
        let mac = hmac_sha256::HMAC::mac(format!("{list}\n{position}"), &self.cursor_key);
        URL_SAFE_NO_PAD.encode(&mac[..16])
    }

    fn seal_cursor(&self, list: &str, position: usize) -> String {
        let position = position.to_string();
        format!("{position}.{}", self.tag(list, &position))
    }

    fn open_cursor(&self, list: &str, cursor: &str) -> Option<usize> {
        let (position, tag) = cursor.split_once('.')?;
        let expected = self.tag(list, position);
        (expected == tag).then_some(())?;
        position.parse().ok()
    }
}

fn string_arg<'a>(args: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Refused> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Refused(format!("{name} must be a string"))),
    }
}

/// Lowercase words of a name, split on anything not alphanumeric (the bench's
/// names are ASCII, so the component's accent folding changes nothing here).
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in text.to_lowercase().split(|c: char| !c.is_alphanumeric()) {
        let keep = t.len() >= MIN_TOKEN || (!t.is_empty() && t.chars().all(|c| c.is_ascii_digit()));
        if keep && !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    out
}
