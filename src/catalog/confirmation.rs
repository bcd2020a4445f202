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
//! nonce is spent with an atomic increment of `cf/<nonce>` (the caller that takes
//! it to 1 spends it), so of any number of replays, on any replicas at once,
//! exactly one deletes and the others are refused. If what would go changed
//! meanwhile, nothing is deleted and the person is asked again; the delete is
//! pinned to the version they saw.

use super::elicitation::{self, Answer};
use super::tools::{ConfirmedDeleteArgs, ToolFailure};
use super::Ctx;
use crate::climbing::losses::DeleteLoss;
use crate::climbing::DomainResult;
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

/// Whether the delete `loss` describes may go ahead, and at which version:
/// `Ok(Some(version))` the version the person confirmed, or the caller's
/// `expected_version`; `Ok(None)` delete whatever is current (nothing beyond the
/// record goes, or `confirm` was given without a way to ask; a stale
/// `expected_version` is refused by the delete itself). Otherwise the
/// `input_required` result that asks, or a refusal saying why nothing was deleted.
/// `loss` is read only when needed, so a replay is told it is one even once the
/// record is gone.
pub fn confirm_delete(
    ctx: &Ctx,
    tool: &str,
    args: &ConfirmedDeleteArgs,
    loss: impl FnOnce() -> DomainResult<DeleteLoss>,
) -> Result<Option<u64>, ToolFailure> {
    let seen = confirmed_version(
        ctx,
        tool,
        args.confirm,
        args.expected_version,
        Box::new(loss),
    )?;
    Ok(args.expected_version.or(seen))
}

/// Behind a boxed `loss`, so the three confirmed deletes share one copy of it.
fn confirmed_version(
    ctx: &Ctx,
    tool: &str,
    confirm: Option<bool>,
    expected_version: Option<u64>,
    loss: Box<dyn FnOnce() -> DomainResult<DeleteLoss> + '_>,
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
                // A state answers once: after a no, a yes needs a new question.
                spend(ctx, state.get("n").and_then(Value::as_str).unwrap_or(""))?;
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
/// on whichever replica. The mark is an atomic increment, the first caller's
/// taking it to 1: a compare-and-swap from absent would do on Redis, but Spin's
/// SQLite store writes a swap of an absent key as an upsert, so two replays at
/// once could both have won. The mark outlives the state that carries the nonce
/// (which expires after [`super::ROUND_TRIP_TTL_MS`]), so it may be cleared after that.
fn spend(ctx: &Ctx, nonce: &str) -> Result<bool, ToolFailure> {
    if nonce.is_empty() {
        return Ok(false);
    }
    let marks = ctx
        .platform
        .kv()
        .increment(&used_key(nonce), 1)
        .map_err(|e| ToolFailure::from(StoreError::Kv(e)))?;
    Ok(marks == 1)
}

/// A loss's label ("the climb ...", "the crag ...") opening a sentence. Labels begin
/// with ASCII, so no Unicode case table (12 KB of the component) is needed.
fn capitalised(text: &str) -> String {
    let mut text = text.to_owned();
    if let Some(first) = text.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::tools::call;
    use super::super::{CatalogError, Ctx, RoundTrip, ROUND_TRIP_TTL_MS};
    use crate::identity::{Caller, Scope};
    use crate::platform::memory::MemoryPlatform;
    use serde_json::{json, Value};

    const SCOPE: &str = "state:tools/call:delete_area";

    fn caller() -> Caller {
        Caller {
            subject: "alice".into(),
            scopes: vec![Scope::Read, Scope::Write],
        }
    }

    /// A request context as the protocol layer makes it for `params`: a
    /// 2026-07-28 request whose client declared elicitation when `ask`.
    fn ctx<'p>(p: &'p MemoryPlatform, params: &Value, ask: bool) -> Result<Ctx<'p>, CatalogError> {
        let mut ctx = Ctx::new(p, caller());
        if ask {
            ctx.client_capabilities
                .insert("elicitation".into(), json!({}));
        }
        let params = params.as_object().expect("params are an object");
        ctx.round_trip = Some(RoundTrip::from_params(&ctx, SCOPE.into(), params)?);
        Ok(ctx)
    }

    fn run(p: &MemoryPlatform, params: &Value, ask: bool) -> Value {
        let ctx = ctx(p, params, ask).expect("a valid round trip");
        call(&ctx, params).expect("a result").into_value()
    }

    fn tool(p: &MemoryPlatform, name: &str, args: Value) -> Value {
        let ctx = Ctx::new(p, caller());
        let r = call(&ctx, &json!({"name": name, "arguments": args}))
            .expect("a result")
            .into_value();
        assert_eq!(r["isError"], false, "{name}: {r}");
        r["structuredContent"].clone()
    }

    /// An empty crag with a photo: deleting it takes the photo along.
    fn crag_with_photo(p: &MemoryPlatform) -> Value {
        let crag = tool(
            p,
            "create_area",
            json!({"name": "Lonely", "kind": "country"}),
        );
        tool(
            p,
            "add_media",
            json!({"entity_id": crag["id"], "kind": "photo", "url": "https://example.org/a.jpg"}),
        );
        crag["id"].clone()
    }

    fn delete(id: &Value) -> Value {
        json!({"name": "delete_area", "arguments": {"id": id}})
    }

    fn answered(params: &Value, asked: &Value, confirm: bool) -> Value {
        let mut retry = params.clone();
        retry["requestState"] = asked["requestState"].clone();
        retry["inputResponses"] =
            json!({"confirm_delete": {"action": "accept", "content": {"confirm": confirm}}});
        retry
    }

    fn area_exists(p: &MemoryPlatform, id: &Value) -> bool {
        let ctx = Ctx::new(p, caller());
        let r = call(&ctx, &json!({"name": "get_area", "arguments": {"id": id}}))
            .expect("a result")
            .into_value();
        r["isError"] == false
    }

    #[test]
    fn without_a_way_to_ask_the_refusal_says_what_goes() {
        let p = MemoryPlatform::default();
        let id = crag_with_photo(&p);
        let r = run(&p, &delete(&id), false);
        assert_eq!(r["isError"], true, "{r}");
        let said = r["content"][0]["text"].as_str().unwrap();
        assert!(
            said.starts_with("The country \"Lonely\" has 1 media reference (1 photo)"),
            "{said}"
        );
        assert!(area_exists(&p, &id));
        tool(&p, "delete_area", json!({"id": id, "confirm": true}));
        assert!(!area_exists(&p, &id));
    }

    #[test]
    fn an_expired_question_is_refused() {
        let p = MemoryPlatform::default();
        let id = crag_with_photo(&p);
        let params = delete(&id);
        let asked = run(&p, &params, true);
        assert_eq!(asked["resultType"], "input_required", "{asked}");
        p.now_ms.set(p.now_ms.get() + ROUND_TRIP_TTL_MS + 1);
        let refused = ctx(&p, &answered(&params, &asked, true), true).err();
        assert!(
            matches!(&refused, Some(CatalogError::InvalidParams { message, .. }) if message.contains("failed verification")),
            "{refused:?}"
        );
        assert!(area_exists(&p, &id));
    }

    #[test]
    fn a_confirmation_of_what_since_changed_deletes_nothing() {
        let p = MemoryPlatform::default();
        let id = crag_with_photo(&p);
        let params = delete(&id);
        let asked = run(&p, &params, true);
        tool(
            &p,
            "add_media",
            json!({"entity_id": id, "kind": "topo", "url": "https://example.org/b.png"}),
        );
        let r = run(&p, &answered(&params, &asked, true), true);
        let said = r["content"][0]["text"].as_str().unwrap();
        assert!(
            said.contains("changed since the person confirmed"),
            "{said}"
        );
        assert!(
            said.contains("2 media references (1 photo, 1 topo)"),
            "{said}"
        );
        assert!(area_exists(&p, &id));
        // Asked again, confirmed: deleted, pinned to the version seen.
        let asked = run(&p, &params, true);
        let r = run(&p, &answered(&params, &asked, true), true);
        assert_eq!(r["isError"], false, "{r}");
        assert!(!area_exists(&p, &id));
    }
}
