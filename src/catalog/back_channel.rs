//! Questions to the client in the `initialize` era (2024-11-05 to 2025-11-25),
//! without sessions and on any replica.
//!
//! Tools and prompts ask for input one way in both eras: they return an
//! `input_required` result ([`Ctx::input_required`]) and, run again with the
//! answers in [`RoundTrip::input_responses`], finish. In 2026-07-28 that result
//! goes to the client, which retries with the answers. The `initialize` era has
//! no such result: there the server sends each input request as a JSON-RPC
//! request (`elicitation/create`, `sampling/createMessage`, `roots/list`) on the
//! POST's own event stream, and the client answers each with a separate POST.
//! [`run`] does that for every handler, so none of them knows the era:
//!
//! 1. Before a request goes out, a pending record is stored under its id
//!    (`ask/<id>`, the id unguessable), bound to the caller's subject and
//!    expiring with the wait bound.
//! 2. The answer is a POST of a JSON-RPC response (id plus result or error, no
//!    method), which may reach any replica: [`accept_answer`] checks the caller
//!    and the expiry and swaps the record from pending to answered with
//!    compare-and-swap, so an id is answered once; the POST gets 202. An
//!    unknown, expired, already answered or another caller's id is refused
//!    (4xx) and changes nothing.
//! 3. The instance holding the stream polls the records (backing off, sleeping
//!    on the host's clock, sending keep-alives through [`Ctx::cancelled`]), then
//!    runs the handler again with the answers and the state it kept in memory,
//!    for at most [`MAX_ROUNDS`] rounds. It deletes the records when done.
//!
//! The wait is bounded by [`WAIT_VARIABLE`] (default [`DEFAULT_WAIT_MS`]),
//! measured from the first question of a request, because no instance may
//! outlive its request: climbing-host stops a request after `--timeout-ms`
//! (30 s by default), so the default leaves room for the work around the wait.
//!
//! What the server assumes. The `initialize` era carries the client's
//! capabilities in `initialize` only, which a stateless server does not keep, so
//! none counts as declared ([`Ctx::client_supports`] is false): tools that ask
//! only declared clients take their fallbacks, and the back channel serves tools
//! that ask regardless (the conformance fixtures). A client asked what it cannot
//! answer replies with a JSON-RPC error (as it must for a method it does not
//! know), which ends the call with an error naming the method. A client that does not accept an event stream (or sends a
//! batch) is told how to ask again.

use super::{Ctx, RoundTrip};
use crate::identity::Caller;
use crate::platform::{KeyValue, Platform, Swap};
use crate::store::decode_record;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Component variable: how long one request may wait for the client's answers,
/// in milliseconds.
pub const WAIT_VARIABLE: &str = "back_channel_wait_ms";
/// The default wait: well inside climbing-host's default 30 s request limit.
pub const DEFAULT_WAIT_MS: u64 = 20_000;
/// The longest wait the variable may set (an hour); hosts bound requests too.
const MAX_WAIT_MS: u64 = 60 * 60 * 1000;
/// Most rounds of questions one call may ask before it must finish.
pub const MAX_ROUNDS: usize = 8;
/// Most questions in one round.
const MAX_QUESTIONS: usize = 16;
/// Every id this server gives a request starts with this.
pub const ID_PREFIX: &str = "climbing-mcp/ask/";
/// Where pending records live in the store.
const KEY_PREFIX: &str = "ask/";
/// First pause between two looks at the records, doubled up to [`MAX_PAUSE_MS`].
const FIRST_PAUSE_MS: u64 = 10;
const MAX_PAUSE_MS: u64 = 250;
/// Compare-and-swap attempts when recording an answer.
const SWAP_ATTEMPTS: usize = 4;

/// How long this deployment waits for answers.
pub fn wait_ms(platform: &dyn Platform) -> u64 {
    platform
        .variable(WAIT_VARIABLE)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_WAIT_MS, |ms| ms.clamp(1, MAX_WAIT_MS))
}

/// One server-to-client request, as stored under its id.
#[derive(Serialize, Deserialize)]
struct Record {
    /// Who may answer: the subject that made the call.
    #[serde(rename = "u")]
    subject: String,
    /// After this (ms since the epoch) no answer is taken.
    #[serde(rename = "e")]
    expires_at_ms: u64,
    /// The request's method, for messages.
    #[serde(rename = "m")]
    method: String,
    /// The client's JSON-RPC `result` or `error`, once answered.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    answer: Option<Answer>,
}

#[derive(Serialize, Deserialize, Clone)]
enum Answer {
    #[serde(rename = "r")]
    Result(Value),
    #[serde(rename = "x")]
    Error(Value),
}

fn record_key(id: &str) -> String {
    format!("{KEY_PREFIX}{id}")
}

/// Runs a handler that may ask for input, asking the client on the event stream
/// and running it again with the answers until it finishes.
///
/// `ask` tells whether an outcome is an `input_required` result (and gives it);
/// `refuse` turns a message into the outcome a call that cannot go on ends
/// with (a tool error, a prompt's invalid-params error). `scope` is the
/// [`RoundTrip::scope`] of the call, `target` names it in messages
/// (`the tool confirm_delete`).
pub fn run<R, E>(
    ctx: &mut Ctx,
    scope: String,
    target: &str,
    mut handler: impl FnMut(&Ctx) -> Result<R, E>,
    ask: impl Fn(&R) -> Option<&Value>,
    refuse: impl Fn(String) -> Result<R, E>,
) -> Result<R, E> {
    ctx.round_trip = Some(RoundTrip {
        scope: scope.clone(),
        in_process: true,
        ..RoundTrip::default()
    });
    let mut deadline_ms = None;
    for round in 0..=MAX_ROUNDS {
        let outcome = handler(ctx)?;
        let Some(asked) = ask(&outcome) else {
            return Ok(outcome);
        };
        if round == MAX_ROUNDS {
            return refuse(format!(
                "{target} asked the client for input {MAX_ROUNDS} times without finishing; the server stopped it"
            ));
        }
        if ctx.sink.is_none() {
            return refuse(no_stream(target, asked));
        }
        let Some(Value::Object(requests)) = asked.get("inputRequests") else {
            return refuse(format!(
                "{target} asked for input without saying what to ask"
            ));
        };
        let state = asked.get("requestState").cloned();
        let requests = requests.clone();
        let deadline =
            *deadline_ms.get_or_insert_with(|| ctx.platform.now_ms() + wait_ms(ctx.platform));
        match ask_client(ctx, &requests, deadline) {
            Ok(input_responses) => {
                ctx.round_trip = Some(RoundTrip {
                    scope: scope.clone(),
                    input_responses,
                    state,
                    in_process: true,
                    ..RoundTrip::default()
                });
            }
            Err(message) => return refuse(message),
        }
    }
    refuse(format!("{target} did not finish"))
}

/// The error for a client that cannot be asked: it reads no event stream.
fn no_stream(target: &str, asked: &Value) -> String {
    let methods: Vec<&str> = asked
        .get("inputRequests")
        .and_then(Value::as_object)
        .map(|requests| {
            requests
                .values()
                .filter_map(|r| r.get("method")?.as_str())
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{target} needs answers from the client ({}). In protocol versions up to 2025-11-25 the server asks on the response's event stream: send this request alone (not in a batch) with the header Accept: application/json, text/event-stream, and answer each request it sends with a POST of a JSON-RPC response. Or use protocol version 2026-07-28, where the questions come back as an input_required result and the answers go in inputResponses.",
        methods.join(", ")
    )
}

/// Sends each of `requests` (key to `{method, params}`) on the stream and waits
/// for every answer until `deadline_ms`; the answers by key, or why not.
fn ask_client(
    ctx: &Ctx,
    requests: &Map<String, Value>,
    deadline_ms: u64,
) -> Result<Map<String, Value>, String> {
    if requests.is_empty() || requests.len() > MAX_QUESTIONS {
        return Err(format!(
            "a round of input asks between 1 and {MAX_QUESTIONS} questions, not {}",
            requests.len()
        ));
    }
    let platform = ctx.platform;
    let kv = platform.kv();
    let mut waiting: Vec<(String, String, String)> = Vec::with_capacity(requests.len());
    let outcome = (|| {
        for (key, request) in requests {
            let method = request
                .get("method")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("the input request {key} names no method"))?;
            let params = request.get("params").cloned().unwrap_or_else(|| json!({}));
            let id = new_id(platform);
            let record = Record {
                subject: ctx.caller.subject.clone(),
                expires_at_ms: deadline_ms,
                method: method.to_owned(),
                answer: None,
            };
            let bytes = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
            kv.set(&record_key(&id), &bytes).map_err(|e| {
                format!("the question could not be recorded ({e}); try the call again")
            })?;
            waiting.push((key.clone(), id.clone(), method.to_owned()));
            let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
            ctx.send_request(&message).map_err(|_| closed())?;
        }
        collect(ctx, &waiting, deadline_ms)
    })();
    for (_, id, _) in &waiting {
        // Best effort: an expired record left behind is refused and removed by
        // the next answer that names it.
        let _ = kv.delete(&record_key(id));
    }
    outcome
}

fn closed() -> String {
    "the client closed the event stream before answering".to_owned()
}

/// Polls the records of `waiting` (key, id, method) until each is answered.
fn collect(
    ctx: &Ctx,
    waiting: &[(String, String, String)],
    deadline_ms: u64,
) -> Result<Map<String, Value>, String> {
    let platform = ctx.platform;
    let keys: Vec<String> = waiting.iter().map(|(_, id, _)| record_key(id)).collect();
    let mut answers = Map::new();
    let mut pause = FIRST_PAUSE_MS;
    loop {
        let values = platform
            .kv()
            .get_many(&keys)
            .map_err(|e| format!("the answers could not be read ({e}); try the call again"))?;
        answers.clear();
        for (((key, id, method), value), record_key) in waiting.iter().zip(values).zip(&keys) {
            let record: Option<Record> = value.and_then(|v| decode_record(record_key, &v).ok());
            match record.and_then(|r| r.answer) {
                Some(Answer::Result(result)) => {
                    answers.insert(key.clone(), result);
                }
                Some(Answer::Error(error)) => {
                    let code = error.get("code").cloned().unwrap_or(Value::Null);
                    let message = error.get("message").and_then(Value::as_str).unwrap_or("");
                    return Err(format!(
                        "the client answered {method} (request {id}) with error {code}: {message}. The call needs that answer; a client without {method} cannot use this tool"
                    ));
                }
                None => {}
            }
        }
        if answers.len() == waiting.len() {
            return Ok(answers);
        }
        if ctx.cancelled() {
            return Err(closed());
        }
        let now = platform.now_ms();
        if now >= deadline_ms {
            let missing: Vec<&str> = waiting
                .iter()
                .filter(|(key, _, _)| !answers.contains_key(key))
                .map(|(_, _, method)| method.as_str())
                .collect();
            return Err(format!(
                "no answer to {} arrived within {} ms; answer each request the server sends on the event stream with a POST of its JSON-RPC response, then call again",
                missing.join(", "),
                wait_ms(platform)
            ));
        }
        platform.sleep_ms(pause.min(deadline_ms - now));
        pause = (pause * 2).min(MAX_PAUSE_MS);
    }
}

/// An id nobody can guess: 144 random bits.
fn new_id(platform: &dyn Platform) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    format!(
        "{ID_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(platform.random_bytes(18))
    )
}

/// Why an answer was not taken: the HTTP status and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub message: String,
}

fn refusal(status: u16, message: String) -> Refusal {
    Refusal { status, message }
}

/// Records the client's answer (`Ok(result)` or `Err(error)`) to the request
/// `id`, once; any replica may take it.
pub fn accept_answer(
    platform: &dyn Platform,
    caller: &Caller,
    id: &Value,
    answer: Result<Value, Value>,
) -> Result<(), Refusal> {
    let unknown = || {
        refusal(
            400,
            format!(
                "no server request is waiting for the answer with id {id}: it is not one this server sent, it was already answered and the call has finished, or it expired. Answer only requests from the call's event stream, once, while the call is open"
            ),
        )
    };
    let Some(id_text) = id.as_str().filter(|i| i.starts_with(ID_PREFIX)) else {
        return Err(unknown());
    };
    let kv = platform.kv();
    let key = record_key(id_text);
    let store_trouble = |e: crate::platform::KvError| {
        refusal(
            503,
            format!("the answer could not be recorded ({e}); send it again"),
        )
    };
    for _ in 0..SWAP_ATTEMPTS {
        let read = kv.cas_read(&key).map_err(store_trouble)?;
        let Some(current) = read.current.as_deref() else {
            return Err(unknown());
        };
        let Ok(mut record) = decode_record::<Record>(&key, current) else {
            return Err(unknown());
        };
        if record.subject != caller.subject {
            return Err(refusal(
                403,
                format!(
                    "the request {id_text} was sent to another caller; answer it with the credentials of the call that received it"
                ),
            ));
        }
        if record.expires_at_ms < platform.now_ms() {
            remove_expired(kv, &key);
            return Err(refusal(
                400,
                format!(
                    "the request {id_text} ({}) expired before the answer came; call the tool again",
                    record.method
                ),
            ));
        }
        if record.answer.is_some() {
            return Err(refusal(
                409,
                format!(
                    "the request {id_text} ({}) was already answered; each request takes one answer",
                    record.method
                ),
            ));
        }
        record.answer = Some(match answer.clone() {
            Ok(result) => Answer::Result(result),
            Err(error) => Answer::Error(error),
        });
        let bytes = serde_json::to_vec(&record).map_err(|e| refusal(500, e.to_string()))?;
        match kv.cas_swap(read, &bytes).map_err(store_trouble)? {
            Swap::Written => return Ok(()),
            // Another answer (or the asker's clean-up) came first: look again.
            Swap::Conflict => continue,
        }
    }
    Err(refusal(
        409,
        format!("the request {id_text} kept changing while its answer was recorded; it was answered already"),
    ))
}

fn remove_expired(kv: &dyn KeyValue, key: &str) {
    // Best effort: the asking instance deletes its records too.
    let _ = kv.delete(key);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Scope;
    use crate::platform::memory::MemoryPlatform;

    fn caller(subject: &str) -> Caller {
        Caller {
            subject: subject.into(),
            scopes: vec![Scope::Read],
        }
    }

    fn pending(platform: &MemoryPlatform, id: &str, subject: &str, ttl_ms: u64) {
        let record = Record {
            subject: subject.into(),
            expires_at_ms: platform.now_ms() + ttl_ms,
            method: "elicitation/create".into(),
            answer: None,
        };
        platform
            .kv()
            .set(&record_key(id), &serde_json::to_vec(&record).unwrap())
            .unwrap();
    }

    #[test]
    fn an_answer_is_taken_once_from_its_caller_before_expiry() {
        let platform = MemoryPlatform::default();
        let id = format!("{ID_PREFIX}abc");
        pending(&platform, &id, "alice", 1_000);
        let answer = || Ok(json!({"action": "accept"}));
        let other = accept_answer(&platform, &caller("bob"), &json!(id), answer());
        assert_eq!(other.unwrap_err().status, 403);
        assert!(accept_answer(&platform, &caller("alice"), &json!(id), answer()).is_ok());
        let again = accept_answer(&platform, &caller("alice"), &json!(id), answer());
        assert_eq!(again.unwrap_err().status, 409);
        let unknown = accept_answer(&platform, &caller("alice"), &json!(7), answer());
        assert_eq!(unknown.unwrap_err().status, 400);
    }

    #[test]
    fn an_expired_request_refuses_its_answer_and_is_removed() {
        let platform = MemoryPlatform::default();
        let id = format!("{ID_PREFIX}late");
        pending(&platform, &id, "alice", 10);
        platform.sleep_ms(11);
        let late = accept_answer(&platform, &caller("alice"), &json!(id), Ok(json!({})));
        assert_eq!(late.unwrap_err().status, 400);
        assert!(platform.kv().get(&record_key(&id)).unwrap().is_none());
    }

    #[test]
    fn the_wait_is_configurable_and_bounded() {
        let platform = MemoryPlatform::default();
        assert_eq!(wait_ms(&platform), DEFAULT_WAIT_MS);
        let platform = platform.with_variable(WAIT_VARIABLE, "1500");
        assert_eq!(wait_ms(&platform), 1_500);
    }
}
