//! Prompts: reusable conversation starters that put the tools to work.

use super::elicitation::{self, Answer};
use super::{cursor_param, CatalogError, CatalogResult, Ctx};
use crate::climbing::area::Area;
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

/// Candidates shown (and offered to choose from) when a crag name is ambiguous.
const SHOWN_CANDIDATES: usize = 8;

/// The question's key in `inputRequests` and `inputResponses`, and the purpose
/// its sealed state is marked with.
const CRAG_QUESTION: &str = "choose_crag";

/// The area a prompt's `crag` argument names: an id, else the one area whose name
/// is exactly that (case and accents ignored), else the only area whose name
/// contains its words. When several match, the person chooses among them with a
/// form if the client can be asked (the candidates sealed in the request state,
/// so only one of them can be chosen); otherwise, or when they decline, it is
/// refused with the candidates, so the caller can pass an id.
fn resolve_crag(ctx: &Ctx, wanted: &str) -> CatalogResult<Resolved> {
    let climbing = ctx.climbing();
    if let Some(state) = elicitation::state_for(ctx, CRAG_QUESTION) {
        let offered = |id: &str| {
            state
                .get("c")
                .and_then(Value::as_array)
                .is_some_and(|c| c.iter().any(|o| o == id))
        };
        match elicitation::answer(ctx, CRAG_QUESTION) {
            Answer::Accepted(content) => {
                if let Some(id) = content.get("crag").and_then(Value::as_str) {
                    if !offered(id) {
                        return Err(CatalogError::invalid(
                            "the chosen crag is not one of those offered; send back one of the form's values, or start again without requestState",
                        ));
                    }
                    return climbing
                        .get_area(id)
                        .map(|area| Resolved::Area(Box::new(area)))
                        .map_err(|e| CatalogError::invalid(format!("the chosen crag {id}: {e}")));
                }
            }
            Answer::Refused(_) => {
                let candidates = crag_candidates(ctx, wanted)?;
                return Err(ambiguous(wanted, &candidates, " (no crag was chosen)"));
            }
            Answer::Missing => {}
        }
    }
    let candidates = match crag_candidates(ctx, wanted)? {
        Candidates::One(area) => return Ok(Resolved::Area(area)),
        other => other,
    };
    let Candidates::Several(areas) = &candidates else {
        return Err(ambiguous(wanted, &candidates, ""));
    };
    if !elicitation::can_ask(ctx) {
        return Err(ambiguous(wanted, &candidates, ""));
    }
    let shown = &areas[..areas.len().min(SHOWN_CANDIDATES)];
    let options: Vec<Value> = shown
        .iter()
        .map(|a| json!({"const": a.id, "title": crag_title(ctx, a)}))
        .collect();
    let more = areas.len() - shown.len();
    let message = format!(
        "\"{wanted}\" matches {} areas{}. Which one do you mean?",
        areas.len(),
        if more > 0 {
            format!(
                " (the first {} are listed; decline and pass an id for another)",
                shown.len()
            )
        } else {
            String::new()
        }
    );
    let field = json!({"crag": {"type": "string", "title": "Crag", "oneOf": options}});
    let ids: Vec<&str> = shown.iter().map(|a| a.id.as_str()).collect();
    ctx.input_required(
        json!({ CRAG_QUESTION: elicitation::form(&message, field, &["crag"]) }),
        Some(json!({"k": CRAG_QUESTION, "c": ids})),
    )
    .map(Resolved::Ask)
}

/// What a crag argument came to: the area, or the `input_required` result that
/// asks the person to choose.
enum Resolved {
    Area(Box<Area>),
    Ask(Value),
}

/// The areas a crag name could mean.
enum Candidates {
    None,
    One(Box<Area>),
    Several(Vec<Area>),
}

fn crag_candidates(ctx: &Ctx, wanted: &str) -> CatalogResult<Candidates> {
    let climbing = ctx.climbing();
    if crate::climbing::validate::id("crag", wanted).is_ok() {
        if let Ok(area) = climbing.get_area(wanted) {
            return Ok(Candidates::One(Box::new(area)));
        }
    }
    let (found, _) = climbing
        .search_areas(wanted, None, crate::climbing::validate::MAX_PAGE)
        .map_err(|e| CatalogError::invalid(format!("crag: {e}")))?;
    let words = crate::climbing::search::tokens(wanted);
    let (mut exact, partial): (Vec<_>, Vec<_>) = found
        .into_iter()
        .partition(|a| crate::climbing::search::tokens(&a.name) == words);
    Ok(match (exact.len(), partial.len()) {
        (1, _) => Candidates::One(Box::new(exact.remove(0))),
        (0, 1) => Candidates::One(Box::new(partial.into_iter().next().expect("one"))),
        (0, 0) => Candidates::None,
        (0, _) => Candidates::Several(partial),
        _ => Candidates::Several(exact),
    })
}

/// How a candidate is shown in the form: its name, kind and where it is.
fn crag_title(ctx: &Ctx, area: &Area) -> String {
    let parent = area
        .parent_id
        .as_deref()
        .and_then(|p| ctx.climbing().get_area(p).ok())
        .map(|p| format!(", in {}", p.name))
        .unwrap_or_default();
    format!("{} ({}{parent})", area.name, area.kind.as_str())
}

/// The refusal of a crag name that names no area, or several.
fn ambiguous(wanted: &str, candidates: &Candidates, why: &str) -> CatalogError {
    let areas = match candidates {
        Candidates::Several(areas) => areas,
        _ => {
            return CatalogError::invalid(format!(
                "no area named or with id \"{wanted}\"{why}; complete the crag argument or use search_areas"
            ))
        }
    };
    let listed: Vec<String> = areas
        .iter()
        .take(SHOWN_CANDIDATES)
        .map(|a| format!("{} ({}, id {})", a.name, a.kind.as_str(), a.id))
        .collect();
    let more = areas.len().saturating_sub(SHOWN_CANDIDATES);
    CatalogError::invalid(format!(
        "crag \"{wanted}\" matches {} areas{why}: {}{}; pass the id of the one you mean as crag",
        areas.len(),
        listed.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    ))
}

/// Resolves the crag by id or name, so the prompt names a real place.
fn plan_crag_day(ctx: &Ctx, args: &Map<String, Value>) -> CatalogResult<Value> {
    let arg = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or("").trim();
    let crag = match resolve_crag(ctx, arg("crag"))? {
        Resolved::Area(area) => *area,
        Resolved::Ask(asked) => return Ok(asked),
    };
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
