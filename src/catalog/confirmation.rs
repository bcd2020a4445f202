//! A person confirms a delete that takes more than the record with it (see
//! `climbing::losses`): what goes is counted and named, and the delete happens
//! only once they said yes.
//!
//! When the request can put a form in front of the person ([`elicitation::can_ask`]),
//! the tool answers `input_required` with an `elicitation/create` form (a message
//! saying what goes, one boolean field); the retry that carries "accept" with the
//! box ticked deletes, "decline" or "cancel" changes nothing. Otherwise the call is
//! refused with what would go, and the caller, having asked the person, calls again
//! with `confirm: true`. A client that can be asked is always asked: `confirm` is
//! for clients without elicitation, so a model cannot answer for the person.
//!
//! The sealed `requestState` (bound to the caller, the tool and its arguments,
//! expiring; see [`super::RoundTrip`]) carries a one-use nonce, the version the
//! person saw and a digest of what they were told would go. Before the delete the
//! nonce is spent with compare-and-swap (insert if absent of `cf/<nonce>`), so of
//! any number of replays, on any replicas at once, exactly one deletes and the
//! others are refused. If what would go changed meanwhile, nothing is deleted and
//! the person is asked again; the delete is pinned to the version they saw.

use super::elicitation::{self, Answer};
use super::tools::ToolFailure;
use super::{Ctx, ROUND_TRIP_TTL_MS};
use crate::climbing::losses::DeleteLoss;
use crate::climbing::DomainResult;
use crate::platform::Swap;
use crate::store::StoreError;
use serde_json::{json, Value};

/// The question's key in `inputRequests` and `inputResponses`, and the purpose
/// its sealed state is marked with.
pub const QUESTION: &str = "confirm_delete";
/// The form's one field.
pub const FIELD: &str = "confirm";

/// The key that marks the confirmation `nonce` used.
fn used_key(nonce: &str) -> String {
    format!("cf/{nonce}")
}

/// Whether the delete `loss` describes may go ahead. `Ok(Some(version))`: yes,
/// at the version the person confirmed; `Ok(None)`: yes, as the caller asked
/// (nothing beyond the record goes, `confirm` was given without a way to ask, or
/// `expected_version` is stale, which the delete itself refuses). Otherwise the
/// `input_required` result that asks, or a refusal saying why nothing was deleted.
/// `loss` is read only when needed, so a replay is told it is one even once the
/// record is gone.
pub fn confirm_delete(
    ctx: &Ctx,
    tool: &str,
    confirm: Option<bool>,
    expected_version: Option<u64>,
    loss: impl FnOnce() -> DomainResult<DeleteLoss>,
) -> Result<Option<u64>, ToolFailure> {
    if !elicitation::can_ask(ctx) {
        if confirm == Some(true) {
            return Ok(None);
        }
        let loss = loss()?;
        if !needs_asking(&loss, expected_version) {
            return Ok(None);
        }
        return Err(ToolFailure::Refused(format!(
            "{} has {}; deleting it removes them too. Nothing was deleted: ask the person whether to go ahead, and if they agree call {tool} again with confirm: true.",
            capitalised(&loss.label),
            loss.listed()
        )));
    }
    if let Some(state) = elicitation::state_for(ctx, QUESTION) {
        let label = state.get("d").and_then(Value::as_str).unwrap_or("it");
        match elicitation::answer(ctx, QUESTION) {
            Answer::Accepted(content) if content.get(FIELD) == Some(&Value::Bool(true)) => {
                let nonce = state.get("n").and_then(Value::as_str).unwrap_or("");
                if !spend(ctx, nonce)? {
                    return Err(ToolFailure::Refused(format!(
                        "this confirmation was already used: nothing more was deleted. To delete {label} again (if it still exists), call {tool} again without requestState and inputResponses"
                    )));
                }
                let loss = loss()?;
                if state.get("l").and_then(Value::as_str) != Some(&digest(&loss)) {
                    return Err(ToolFailure::Refused(format!(
                        "what deleting {label} removes changed since the person confirmed (now: {}). Nothing was deleted; call {tool} again without requestState to ask them again",
                        if loss.losses.is_empty() { "nothing beyond it".to_owned() } else { loss.listed() }
                    )));
                }
                return Ok(state.get("v").and_then(Value::as_u64));
            }
            Answer::Accepted(_) | Answer::Refused(_) => {
                return Err(ToolFailure::Refused(format!(
                    "Not deleted: the person did not confirm deleting {label}. Nothing changed."
                )));
            }
            // The retry lacks the answer: ask again.
            Answer::Missing => {}
        }
    }
    let loss = loss()?;
    if !needs_asking(&loss, expected_version) {
        return Ok(None);
    }
    let message = format!(
        "Delete {}? It removes {} as well. This cannot be undone.",
        loss.label,
        loss.listed()
    );
    let field = json!({ FIELD: {
        "type": "boolean",
        "title": "Delete it",
        "description": format!("Yes: delete {} and what goes with it.", loss.label),
        "default": false,
    }});
    let nonce = crate::encoding::base64url(&ctx.platform.random_bytes(16));
    let state =
        json!({"k": QUESTION, "n": nonce, "v": loss.version, "l": digest(&loss), "d": loss.label});
    let requests = json!({ QUESTION: elicitation::form(&message, field, &[FIELD]) });
    Err(ctx
        .input_required(requests, Some(state))
        .map_or_else(ToolFailure::from, ToolFailure::InputRequired))
}

/// Something beyond the record goes, and the delete is not already bound to fail
/// on a stale `expected_version` (no point asking the person then).
fn needs_asking(loss: &DeleteLoss, expected_version: Option<u64>) -> bool {
    loss.needs_confirmation() && expected_version.is_none_or(|v| v == loss.version)
}

/// A digest of what the person is told goes.
fn digest(loss: &DeleteLoss) -> String {
    super::idempotency::digest(&loss.label, &json!(loss.losses))
}

/// Spends the one-use `nonce`: true for the one caller that marks it used first,
/// on whichever replica. The mark outlives the state that carries the nonce
/// (which expires after [`ROUND_TRIP_TTL_MS`]), so it may be cleared after that.
fn spend(ctx: &Ctx, nonce: &str) -> Result<bool, ToolFailure> {
    if nonce.is_empty() {
        return Ok(false);
    }
    let kv = ctx.platform.kv();
    let trouble = |e| ToolFailure::from(StoreError::Kv(e));
    let read = kv.cas_read(&used_key(nonce)).map_err(trouble)?;
    if read.current.is_some() {
        return Ok(false);
    }
    let until = (ctx.platform.now_ms() + ROUND_TRIP_TTL_MS).to_string();
    Ok(kv.cas_swap(read, until.as_bytes()).map_err(trouble)? == Swap::Written)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
