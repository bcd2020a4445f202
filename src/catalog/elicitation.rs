//! Asking the person behind the client (2026-07-28 `input_required` with an
//! `elicitation/create` form): whether the client can be asked, the form
//! request, and what came back.

use super::Ctx;
use serde_json::{json, Map, Value};

/// Whether this request can put a form in front of the person: it can answer
/// `input_required` and the client declared elicitation with form mode (an empty
/// `elicitation` capability means form mode). Only 2026-07-28 requests declare
/// capabilities, so `initialize`-era calls take the fallbacks.
pub fn can_ask(ctx: &Ctx) -> bool {
    if ctx.round_trip.is_none() || !ctx.client_supports("elicitation") {
        return false;
    }
    match ctx.client_capabilities.get("elicitation") {
        Some(Value::Object(modes)) => modes.is_empty() || modes.contains_key("form"),
        _ => true,
    }
}

/// An `elicitation/create` form request: `message` above the fields of
/// `properties` (flat primitive fields, as form mode allows), `required` of them
/// required.
pub fn form(message: &str, properties: Value, required: &[&str]) -> Value {
    json!({"method": "elicitation/create", "params": {
        "mode": "form",
        "message": message,
        "requestedSchema": {"type": "object", "properties": properties, "required": required},
    }})
}

/// What the person did with a form.
pub enum Answer<'a> {
    /// Submitted it: the fields they filled in.
    Accepted(&'a Map<String, Value>),
    /// Said no ("decline") or dismissed it ("cancel").
    Refused(&'a str),
    /// No well-formed answer to this question came back.
    Missing,
}

/// The answer to the question `key` of this round trip.
pub fn answer<'a>(ctx: &'a Ctx, key: &str) -> Answer<'a> {
    let Some(reply) = ctx
        .round_trip
        .as_ref()
        .and_then(|rt| rt.input_responses.get(key))
    else {
        return Answer::Missing;
    };
    match reply.get("action").and_then(Value::as_str) {
        Some("accept") => match reply.get("content") {
            Some(Value::Object(content)) => Answer::Accepted(content),
            _ => Answer::Missing,
        },
        Some(action @ ("decline" | "cancel")) => Answer::Refused(action),
        _ => Answer::Missing,
    }
}

/// The state sealed with our last `input_required`, when it was for `purpose`.
pub fn state_for<'a>(ctx: &'a Ctx, purpose: &str) -> Option<&'a Map<String, Value>> {
    let state = ctx.round_trip.as_ref()?.state.as_ref()?.as_object()?;
    (state.get("k").and_then(Value::as_str) == Some(purpose)).then_some(state)
}
