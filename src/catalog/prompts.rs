//! Prompts: reusable conversation starters that put the tools to work.

use super::{cursor_param, CatalogError, CatalogResult, Ctx};
use serde_json::{json, Map, Value};

pub struct PromptArg {
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
}

pub struct PromptSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub args: &'static [PromptArg],
    /// The whole `GetPromptResult` (or an `input_required` result) for the
    /// arguments, which are already checked to be strings with the required ones set.
    pub render: fn(&Ctx, &Map<String, Value>) -> CatalogResult<Value>,
}

static PROMPTS: &[PromptSpec] = &[
    PromptSpec {
        name: "plan_crag_day",
        title: "Plan a day at a crag",
        description: "Plan a day of climbing at a crag for a discipline and grade range.",
        args: &[
            PromptArg {
                name: "crag",
                description: "The crag (or sector): its name or id",
                required: true,
            },
            PromptArg {
                name: "discipline",
                description: "sport, trad, boulder, ... (optional)",
                required: false,
            },
            PromptArg {
                name: "grade_range",
                description: "e.g. 5.9-5.11a, 6a-7a or V2-V5 (optional)",
                required: false,
            },
            PromptArg {
                name: "grade_system",
                description: "The system to show grades in, e.g. yds, french, font (optional)",
                required: false,
            },
        ],
        render: plan_crag_day,
    },
    PromptSpec {
        name: "summarise_logbook",
        title: "Summarise my logbook",
        description: "Summarise the caller's climbing logbook: volume, grade pyramid, hardest sends, and what to try next.",
        args: &[PromptArg {
            name: "since",
            description: "Only ticks on or after this date, YYYY-MM-DD (optional)",
            required: false,
        }],
        render: |_ctx, args| {
            let since = args.get("since").and_then(Value::as_str).unwrap_or("");
            let mut text = String::from(
                "Summarise my climbing logbook. Call logbook_stats for my grade pyramid, hardest send per style and totals, and list_ticks for recent ticks.",
            );
            if !since.is_empty() {
                text.push_str(&format!(" Only consider ticks on or after {since}."));
            }
            text.push_str(" Tell me how my volume and grades have moved, where my pyramid is thin, and suggest three climbs or grades to project next.");
            Ok(json!({
                "description": "Summarise a climbing logbook",
                "messages": [{"role": "user", "content": {"type": "text", "text": text}}],
            }))
        },
    },
];

/// Candidates shown when a crag name is ambiguous.
const SHOWN_CANDIDATES: usize = 8;

/// The area a prompt's `crag` argument names: an id, else the one area whose name
/// is exactly that (case and accents ignored), else the only area whose name
/// contains its words. Anything else is refused with the candidates, so the
/// caller can pass an id.
fn resolve_crag(ctx: &Ctx, wanted: &str) -> CatalogResult<crate::climbing::area::Area> {
    let climbing = ctx.climbing();
    if crate::climbing::validate::id("crag", wanted).is_ok() {
        if let Ok(area) = climbing.get_area(wanted) {
            return Ok(area);
        }
    }
    let (found, _) = climbing
        .search_areas(wanted, None, crate::climbing::validate::MAX_PAGE)
        .map_err(|e| CatalogError::invalid(format!("crag: {e}")))?;
    let words = crate::climbing::search::tokens(wanted);
    let (exact, partial): (Vec<_>, Vec<_>) = found
        .into_iter()
        .partition(|a| crate::climbing::search::tokens(&a.name) == words);
    let candidates = match (exact.len(), partial.len()) {
        (1, _) | (0, 1) => return Ok(exact.into_iter().chain(partial).next().expect("one")),
        (0, 0) => {
            return Err(CatalogError::invalid(format!(
            "no area named or with id \"{wanted}\"; complete the crag argument or use search_areas"
        )))
        }
        (0, _) => partial,
        _ => exact,
    };
    let listed: Vec<String> = candidates
        .iter()
        .take(SHOWN_CANDIDATES)
        .map(|a| format!("{} ({}, id {})", a.name, a.kind.as_str(), a.id))
        .collect();
    let more = candidates.len().saturating_sub(SHOWN_CANDIDATES);
    Err(CatalogError::invalid(format!(
        "crag \"{wanted}\" matches {} areas: {}{}; pass the id of the one you mean as crag",
        candidates.len(),
        listed.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )))
}

/// Resolves the crag by id or name, so the prompt names a real place.
fn plan_crag_day(ctx: &Ctx, args: &Map<String, Value>) -> CatalogResult<Value> {
    let arg = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or("").trim();
    let crag = resolve_crag(ctx, arg("crag"))?;
    let mut text = format!(
        "Plan a day of climbing at {} (a {}, area id {}). Use get_area_path for where it is, list_climbs with area_id {} to see its climbs (and those of its sub-areas)",
        crag.name,
        crag.kind.as_str(),
        crag.id,
        crag.id
    );
    if !arg("discipline").is_empty() {
        text.push_str(&format!(" (discipline {})", arg("discipline")));
    }
    if let Some((low, high)) = arg("grade_range").split_once('-') {
        text.push_str(&format!(
            " in the grade range {} (min_grade {}, max_grade {})",
            arg("grade_range"),
            low.trim(),
            high.trim()
        ));
    }
    text.push('.');
    if !arg("grade_system").is_empty() {
        text.push_str(&format!(
            " Show grades in {} (convert_grade converts them).",
            arg("grade_system")
        ));
    }
    if let Some(notes) = &crag.access_notes {
        text.push_str(&format!(" Access notes: {notes}."));
    }
    text.push_str(" Suggest an order: warm-ups first, the hardest climbs in the middle of the day, and easier ones to finish.");
    Ok(json!({
        "description": format!("Plan a day at {}", crag.name),
        "messages": [{"role": "user", "content": {"type": "text", "text": text}}],
    }))
}

/// Every prompt, in the order `prompts/list` shows them: the extension's, then
/// the catalog's.
pub fn all(ctx: &Ctx) -> impl Iterator<Item = &'static PromptSpec> {
    ctx.extension.prompts.iter().chain(PROMPTS)
}

/// `prompts/list`.
pub fn list(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    if cursor_param(params)?.is_some() {
        return Err(CatalogError::invalid(
            "invalid cursor: prompts/list has a single page; omit the cursor",
        ));
    }
    let prompts: Vec<Value> = all(ctx)
        .map(|p| {
            let args: Vec<Value> = p
                .args
                .iter()
                .map(|a| json!({"name": a.name, "description": a.description, "required": a.required}))
                .collect();
            json!({"name": p.name, "title": p.title, "description": p.description, "arguments": args})
        })
        .collect();
    Ok(json!({ "prompts": prompts }))
}

pub fn find(ctx: &Ctx, name: &str) -> Option<&'static PromptSpec> {
    all(ctx).find(|p| p.name == name)
}

/// `prompts/get`.
pub fn get(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    // Prompts read areas, climbs and logbooks into their text.
    ctx.caller
        .require(crate::identity::Scope::Read, "prompts/get")?;
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| CatalogError::invalid("prompts/get needs a prompt name string"))?;
    let prompt = find(ctx, name).ok_or_else(|| {
        CatalogError::invalid(format!(
            "Unknown prompt: {name}. Call prompts/list to see the available prompts."
        ))
    })?;
    let empty = Map::new();
    let args = match params.get("arguments") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(CatalogError::invalid(
                "prompt arguments must be an object of strings",
            ))
        }
    };
    for (key, value) in args {
        if !value.is_string() {
            return Err(CatalogError::invalid(format!(
                "prompt argument {key} must be a string"
            )));
        }
    }
    for a in prompt.args.iter().filter(|a| a.required) {
        if args
            .get(a.name)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(CatalogError::invalid(format!(
                "prompt {name} needs the argument {} ({})",
                a.name, a.description
            )));
        }
    }
    (prompt.render)(ctx, args)
}

impl PromptSpec {
    pub fn has_arg(&self, name: &str) -> bool {
        self.args.iter().any(|a| a.name == name)
    }
}
