//! `completion/complete`: suggestions for prompt and resource-template arguments.

use super::{prompts, CatalogError, CatalogResult, Ctx};
use serde_json::{json, Value};

const DISCIPLINES: &[&str] = &[
    "sport",
    "trad",
    "boulder",
    "top_rope",
    "aid",
    "ice",
    "mixed",
    "alpine",
    "deep_water_solo",
    "snow",
];
const GRADE_RANGES: &[&str] = &[
    "5.6-5.9",
    "5.10a-5.11d",
    "5.12a-5.13d",
    "5a-6a",
    "6a-7a",
    "7a-8a",
    "V0-V3",
    "V4-V7",
];

const SYSTEMS: &[&str] = &[
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

/// At most this many values per answer, as the spec requires.
const MAX_VALUES: usize = 100;

pub fn complete(ctx: &Ctx, params: &Value) -> CatalogResult<Value> {
    // Completions suggest area names from the store.
    ctx.caller
        .require(crate::identity::Scope::Read, "completion/complete")?;
    let reference = params
        .get("ref")
        .ok_or_else(|| CatalogError::invalid("completion/complete needs a ref"))?;
    let argument = params.get("argument").ok_or_else(|| {
        CatalogError::invalid("completion/complete needs an argument {name, value}")
    })?;
    let arg_name = argument.get("name").and_then(Value::as_str).unwrap_or("");
    let prefix = argument.get("value").and_then(Value::as_str).unwrap_or("");
    let candidates: &[&str] = match reference.get("type").and_then(Value::as_str) {
        Some("ref/prompt") => {
            let name = reference.get("name").and_then(Value::as_str).unwrap_or("");
            let prompt = prompts::find(ctx, name)
                .ok_or_else(|| CatalogError::invalid(format!("Unknown prompt: {name}")))?;
            if !prompt.has_arg(arg_name) {
                return Err(CatalogError::invalid(format!(
                    "prompt {name} has no argument {arg_name}"
                )));
            }
            match arg_name {
                "discipline" => DISCIPLINES,
                "grade_range" => GRADE_RANGES,
                "grade_system" => SYSTEMS,
                // Area names come from the name index, a page at a time.
                "crag" => {
                    let names = ctx.climbing().complete_area_names(prefix, MAX_VALUES)?;
                    return Ok(values(names.iter().map(String::as_str).collect()));
                }
                _ => (ctx.extension.complete)(name, arg_name).unwrap_or(&[]),
            }
        }
        Some("ref/resource") => &[],
        _ => {
            return Err(CatalogError::invalid(
                "ref.type must be ref/prompt or ref/resource",
            ))
        }
    };
    Ok(values(
        candidates
            .iter()
            .copied()
            .filter(|c| c.starts_with(prefix))
            .collect(),
    ))
}

fn values(matches: Vec<&str>) -> Value {
    let total = matches.len();
    let values: Vec<&str> = matches.into_iter().take(MAX_VALUES).collect();
    json!({ "completion": { "values": values, "total": total, "hasMore": total > MAX_VALUES } })
}
