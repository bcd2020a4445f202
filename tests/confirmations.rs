//! Questions to the person over real HTTP (2026-07-28 `input_required` with
//! `elicitation/create` forms): confirming a delete that takes more than the
//! record with it, and choosing among crags of the same name.
//!
//! Three replicas share one SQLite file, so a question asked by one is answered
//! at another. A delete of a climb with media and other people's changes asks a
//! client that declared elicitation; accept deletes, decline changes nothing; a
//! client without elicitation is refused with what would go and deletes with
//! `confirm: true`. The sealed `requestState` is refused with other arguments,
//! altered, or from another caller; a confirmation is used once, and nine replays
//! sent at once over the three replicas delete once. Under an idempotency key a
//! confirmed delete replays its answer.

mod common;

use common::mcp::{host_builder, token, ALL};
use common::{temp_dir, Host};
use serde_json::{json, Value};
use std::sync::{Arc, Barrier};

const REPLICAS: usize = 3;
const REPLAYS: usize = 9;
const META_KEY: &str = "io.climbing-mcp/idempotencyKey";
const MODERN: &str = "2026-07-28";

fn with_elicitation() -> Value {
    json!({"elicitation": {}})
}

fn without_elicitation() -> Value {
    json!({})
}

/// A 2026-07-28 request as `subject` declaring `capabilities`, with `extra`
/// params merged in (`requestState`, `inputResponses`, more `_meta`): the
/// JSON-RPC `result`, or `{"error": ...}`.
fn modern(
    host: &Host,
    subject: &str,
    method: &str,
    name: &str,
    arguments: &Value,
    capabilities: &Value,
    extra: &Value,
) -> Value {
    let mut params = json!({"name": name, "arguments": arguments, "_meta": {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    }});
    if let Value::Object(more) = extra {
        for (k, v) in more {
            if k == "_meta" {
                for (mk, mv) in v.as_object().unwrap() {
                    params["_meta"][mk] = mv.clone();
                }
            } else {
                params[k] = v.clone();
            }
        }
    }
    let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let auth = format!("Bearer {}", token(subject, ALL));
    let r = host.post(
        "/mcp",
        &[
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("authorization", &auth),
            ("mcp-protocol-version", MODERN),
            ("mcp-method", method),
            ("mcp-name", name),
        ],
        body.to_string(),
    );
    let v = r.json();
    match v.get("error") {
        Some(e) => json!({ "error": e }),
        None => v["result"].clone(),
    }
}

fn tool(
    host: &Host,
    subject: &str,
    name: &str,
    args: &Value,
    caps: &Value,
    extra: &Value,
) -> Value {
    modern(host, subject, "tools/call", name, args, caps, extra)
}

/// The structured result of a call that must succeed.
fn ok(host: &Host, subject: &str, name: &str, args: Value) -> Value {
    let r = tool(
        host,
        subject,
        name,
        &args,
        &without_elicitation(),
        &json!({}),
    );
    assert_eq!(r["isError"], false, "{name}: {r}");
    r["structuredContent"].clone()
}

fn text(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap_or("")
}

/// An answer to the delete confirmation carrying `state`.
fn answer(state: &Value, action: &str, confirm: bool) -> Value {
    let mut reply = json!({"action": action});
    if action == "accept" {
        reply["content"] = json!({"confirm": confirm});
    }
    json!({"requestState": state, "inputResponses": {"confirm_delete": reply}})
}

fn exists(host: &Host, climb: &Value) -> bool {
    let r = tool(
        host,
        "alice",
        "get_climb",
        &json!({"id": climb}),
        &without_elicitation(),
        &json!({}),
    );
    r["isError"] == false
}

/// A climb by alice with a photo she added and a change bob made: deleting it
/// takes the photo and bob's work with it.
fn climb_with_history(host: &Host, name: &str) -> Value {
    let country = ok(
        host,
        "alice",
        "create_area",
        json!({"name": format!("Land of {name}"), "kind": "country"}),
    );
    let crag = ok(
        host,
        "alice",
        "create_area",
        json!({"name": format!("Crag of {name}"), "kind": "crag", "parent_id": country["id"]}),
    );
    let climb = ok(
        host,
        "alice",
        "create_climb",
        json!({"name": name, "area_id": crag["id"],
        "grades": {"french": "7a"}, "disciplines": ["sport"]}),
    );
    ok(
        host,
        "alice",
        "add_media",
        json!({"entity_id": climb["id"], "kind": "photo",
        "url": "https://example.org/photo.jpg"}),
    );
    ok(
        host,
        "bob",
        "update_climb",
        json!({"id": climb["id"], "changes": {"bolts": 9}}),
    );
    climb["id"].clone()
}

fn replicas() -> (tempfile::TempDir, Vec<Host>) {
    let dir = temp_dir();
    let builder = host_builder()
        .sqlite(dir.path().join("kv.db"))
        .var("rate_limit_per_minute", "0");
    let hosts = (0..REPLICAS).map(|_| builder.clone().start()).collect();
    (dir, hosts)
}

#[test]
fn a_delete_with_history_is_confirmed_once_across_replicas() {
    let (_dir, hosts) = replicas();
    let hosts = Arc::new(hosts);
    let climb = climb_with_history(&hosts[0], "Long Memory");
    let args = json!({"id": climb});
    let ask = |host: &Host| {
        tool(
            host,
            "alice",
            "delete_climb",
            &args,
            &with_elicitation(),
            &json!({}),
        )
    };

    // The question: a form saying what goes, with one boolean field.
    let asked = ask(&hosts[0]);
    assert_eq!(asked["resultType"], "input_required", "{asked}");
    let form = &asked["inputRequests"]["confirm_delete"];
    assert_eq!(form["method"], "elicitation/create", "{asked}");
    let message = form["params"]["message"].as_str().unwrap();
    assert!(message.contains("\"Long Memory\""), "{message}");
    assert!(message.contains("1 media reference (1 photo)"), "{message}");
    assert!(
        message.contains("the work of 1 other person (1 change"),
        "{message}"
    );
    assert_eq!(
        form["params"]["requestedSchema"]["properties"]["confirm"]["type"],
        "boolean"
    );
    let state = asked["requestState"].clone();
    assert!(state.is_string(), "{asked}");

    // The state is refused with other arguments, altered, or from another caller.
    let other_args = json!({"id": climb, "expected_version": 2});
    let r = tool(
        &hosts[1],
        "alice",
        "delete_climb",
        &other_args,
        &with_elicitation(),
        &answer(&state, "accept", true),
    );
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("other arguments"),
        "{r}"
    );
    let mut altered = state.as_str().unwrap().to_owned();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let r = tool(
        &hosts[1],
        "alice",
        "delete_climb",
        &args,
        &with_elicitation(),
        &answer(&json!(altered), "accept", true),
    );
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("failed verification"),
        "{r}"
    );
    let r = tool(
        &hosts[2],
        "bob",
        "delete_climb",
        &args,
        &with_elicitation(),
        &answer(&state, "accept", true),
    );
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(exists(&hosts[0], &climb));

    // Declined: nothing changes, and that state cannot say yes afterwards.
    let r = tool(
        &hosts[1],
        "alice",
        "delete_climb",
        &args,
        &with_elicitation(),
        &answer(&state, "decline", false),
    );
    assert_eq!(r["isError"], true, "{r}");
    assert!(text(&r).contains("did not confirm"), "{r}");
    assert!(exists(&hosts[0], &climb));
    let r = tool(
        &hosts[2],
        "alice",
        "delete_climb",
        &args,
        &with_elicitation(),
        &answer(&state, "accept", true),
    );
    assert!(text(&r).contains("already used"), "{r}");
    assert!(exists(&hosts[0], &climb));
    // An unticked box is no confirmation either.
    let state = ask(&hosts[2])["requestState"].clone();
    let r = tool(
        &hosts[0],
        "alice",
        "delete_climb",
        &args,
        &with_elicitation(),
        &answer(&state, "accept", false),
    );
    assert!(text(&r).contains("did not confirm"), "{r}");
    assert!(exists(&hosts[0], &climb));

    // Confirmed: nine copies of the answer at once over three replicas delete once.
    let state = ask(&hosts[1])["requestState"].clone();
    let barrier = Arc::new(Barrier::new(REPLAYS));
    let threads: Vec<_> = (0..REPLAYS)
        .map(|n| {
            let (hosts, barrier, args, reply) = (
                hosts.clone(),
                barrier.clone(),
                args.clone(),
                answer(&state, "accept", true),
            );
            std::thread::spawn(move || {
                barrier.wait();
                tool(
                    &hosts[n % REPLICAS],
                    "alice",
                    "delete_climb",
                    &args,
                    &with_elicitation(),
                    &reply,
                )
            })
        })
        .collect();
    let answers: Vec<Value> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let deleted: Vec<&Value> = answers.iter().filter(|a| a["isError"] == false).collect();
    assert_eq!(deleted.len(), 1, "{answers:?}");
    assert_eq!(deleted[0]["structuredContent"]["id"], climb);
    for a in answers.iter().filter(|a| a["isError"] == true) {
        assert!(text(a).contains("already used"), "{a}");
    }
    assert!(!exists(&hosts[0], &climb));
    // A replay later is refused as clearly.
    let r = tool(
        &hosts[0],
        "alice",
        "delete_climb",
        &args,
        &with_elicitation(),
        &answer(&state, "accept", true),
    );
    assert!(
        text(&r).contains("already used: nothing more was deleted"),
        "{r}"
    );
}

#[test]
fn without_elicitation_the_delete_says_what_goes_and_waits_for_confirm() {
    let host = host_builder().var("rate_limit_per_minute", "0").start();
    let climb = climb_with_history(&host, "Plain Client");
    let args = json!({"id": climb});
    let r = tool(
        &host,
        "alice",
        "delete_climb",
        &args,
        &without_elicitation(),
        &json!({}),
    );
    assert_eq!(r["isError"], true, "{r}");
    let said = text(&r);
    assert!(
        said.contains("1 media reference") && said.contains("confirm: true"),
        "{said}"
    );
    assert!(exists(&host, &climb));
    // The initialize era has no input_required: the same refusal.
    let legacy = common::mcp::call_tool(&host, "delete_climb", args.clone());
    assert_eq!(legacy["isError"], true, "{legacy}");
    assert!(text(&legacy).contains("confirm: true"), "{legacy}");
    assert!(exists(&host, &climb));
    // A client that can ask is asked, whatever `confirm` says.
    let asked = tool(
        &host,
        "alice",
        "delete_climb",
        &json!({"id": climb, "confirm": true}),
        &with_elicitation(),
        &json!({}),
    );
    assert_eq!(asked["resultType"], "input_required", "{asked}");
    assert!(exists(&host, &climb));
    // With confirm, after asking the person: deleted.
    let gone = ok(
        &host,
        "alice",
        "delete_climb",
        json!({"id": climb, "confirm": true}),
    );
    assert_eq!(gone["id"], climb);
    assert!(!exists(&host, &climb));
    // A climb whose deletion takes nothing else is deleted without a question.
    let country = ok(
        &host,
        "alice",
        "create_area",
        json!({"name": "Quiet land", "kind": "country"}),
    );
    let crag = ok(
        &host,
        "alice",
        "create_area",
        json!({"name": "Quiet crag", "kind": "crag", "parent_id": country["id"]}),
    );
    let fresh = ok(
        &host,
        "alice",
        "create_climb",
        json!({"name": "Typo", "area_id": crag["id"],
        "grades": {"french": "6a"}, "disciplines": ["sport"]}),
    );
    let r = tool(
        &host,
        "alice",
        "delete_climb",
        &json!({"id": fresh["id"]}),
        &with_elicitation(),
        &json!({}),
    );
    assert_eq!(r["isError"], false, "{r}");
}

#[test]
fn a_confirmed_delete_under_an_idempotency_key_replays_its_answer() {
    let host = host_builder().var("rate_limit_per_minute", "0").start();
    let climb = climb_with_history(&host, "Keyed");
    let args = json!({"id": climb});
    let key = json!({"_meta": {META_KEY: "delete-keyed-1"}});
    // The question releases the key: nothing is written before the answer.
    let asked = tool(
        &host,
        "alice",
        "delete_climb",
        &args,
        &with_elicitation(),
        &key,
    );
    assert_eq!(asked["resultType"], "input_required", "{asked}");
    let mut reply = answer(&asked["requestState"], "accept", true);
    reply["_meta"] = key["_meta"].clone();
    let first = tool(
        &host,
        "alice",
        "delete_climb",
        &args,
        &with_elicitation(),
        &reply,
    );
    assert_eq!(first["isError"], false, "{first}");
    assert!(!exists(&host, &climb));
    // The retry with the same key and answer gets the same answer, not a refusal.
    let again = tool(
        &host,
        "alice",
        "delete_climb",
        &args,
        &with_elicitation(),
        &reply,
    );
    assert_eq!(again, first);
}

#[test]
fn an_ambiguous_crag_is_chosen_in_a_form() {
    let host = host_builder().var("rate_limit_per_minute", "0").start();
    let mut ids = Vec::new();
    for region in ["North", "South"] {
        let country = ok(
            &host,
            "alice",
            "create_area",
            json!({"name": format!("{region} land"), "kind": "country"}),
        );
        let crag = ok(
            &host,
            "alice",
            "create_area",
            json!({"name": "Twin Rocks", "kind": "crag", "parent_id": country["id"]}),
        );
        ids.push(crag["id"].clone());
    }
    let args = json!({"crag": "Twin Rocks"});
    let prompt = |caps: &Value, extra: &Value| {
        modern(
            &host,
            "alice",
            "prompts/get",
            "plan_crag_day",
            &args,
            caps,
            extra,
        )
    };
    // Without elicitation: refused with the candidates.
    let r = prompt(&without_elicitation(), &json!({}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let message = r["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("matches 2 areas") && message.contains(ids[0].as_str().unwrap()),
        "{message}"
    );

    // With elicitation: a form whose field offers the candidates, titled.
    let asked = prompt(&with_elicitation(), &json!({}));
    assert_eq!(asked["resultType"], "input_required", "{asked}");
    let field =
        &asked["inputRequests"]["choose_crag"]["params"]["requestedSchema"]["properties"]["crag"];
    let options = field["oneOf"].as_array().unwrap();
    assert_eq!(options.len(), 2, "{field}");
    assert_eq!(options[1]["const"], ids[1]);
    assert_eq!(options[1]["title"], "Twin Rocks (crag, in South land)");
    let state = asked["requestState"].clone();
    let choose = |id: &Value| json!({"requestState": state, "inputResponses": {"choose_crag": {"action": "accept", "content": {"crag": id}}}});

    let chosen = prompt(&with_elicitation(), &choose(&ids[1]));
    assert_eq!(chosen["resultType"], "complete", "{chosen}");
    let said = chosen["messages"][0]["content"]["text"].as_str().unwrap();
    assert!(
        said.contains(&format!("area id {}", ids[1].as_str().unwrap())),
        "{said}"
    );
    // Only an offered crag can be chosen.
    let r = prompt(&with_elicitation(), &choose(&json!("AAAAAAAAAAAA")));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    // Declined: the refusal with the candidates.
    let declined =
        json!({"requestState": state, "inputResponses": {"choose_crag": {"action": "decline"}}});
    let r = prompt(&with_elicitation(), &declined);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no crag was chosen"),
        "{r}"
    );
}
