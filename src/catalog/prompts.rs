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

static PROMPTS: &[PromptSpec] = &[PromptSpec {
    name: "plan_crag_day",
    title: "Plan a day at a crag",
    description: "Plan a day of climbing at a crag for a grade range and discipline.",
    args: &[
        PromptArg {
            name: "area_id",
            description: "The crag (or sector) to plan for",
            required: true,
        },
        PromptArg {
            name: "discipline",
            description: "sport, trad, boulder, ... (optional)",
            required: false,
        },
        PromptArg {
            name: "grade_range",
            description: "e.g. 5.9-5.11a or 6a-7a (optional)",
            required: false,
        },
    ],
    render: |_ctx, args| {
        let arg = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or("");
        let mut text = format!(
            "Plan a day of climbing at the area with id {}. Use get_area for the crag and list_climbs to see its climbs.",
            arg("area_id")
        );
        if !arg("discipline").is_empty() {
            text.push_str(&format!(" Only consider {} climbs.", arg("discipline")));
        }
        if !arg("grade_range").is_empty() {
            text.push_str(&format!(" Keep to the grade range {}.", arg("grade_range")));
        }
        text.push_str(" Suggest an order: warm-ups first, the hardest climbs in the middle of the day, and easier ones to finish.");
        Ok(json!({
            "description": "Plan a day of climbing at a crag",
            "messages": [{"role": "user", "content": {"type": "text", "text": text}}],
        }))
    },
}];

pub fn all() -> impl Iterator<Item = &'static PromptSpec> {
    #[cfg(feature = "conformance")]
    let fixtures = super::conformance::PROMPTS;
    #[cfg(not(feature = "conformance"))]
    let fixtures: &[PromptSpec] = &[];
    fixtures.iter().chain(PROMPTS)
}

/// `prompts/list`.
pub fn list(_ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    if cursor_param(params)?.is_some() {
        return Err(CatalogError::invalid(
            "invalid cursor: prompts/list has a single page; omit the cursor",
        ));
    }
    let prompts: Vec<Value> = all()
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

pub fn find(name: &str) -> Option<&'static PromptSpec> {
    all().find(|p| p.name == name)
}

/// `prompts/get`.
pub fn get(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| CatalogError::invalid("prompts/get needs a prompt name string"))?;
    let prompt = find(name).ok_or_else(|| {
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
