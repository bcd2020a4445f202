//! Every method and every tool, with every combination of scopes: a method that
//! reads data answers 403 without `climb:read`, a tool answers 403 without its
//! scope, and nothing is refused that the scopes allow.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const SCOPES: [&str; 3] = ["climb:read", "climb:write", "admin"];

/// Every subset of the scopes, the empty one included.
fn combinations() -> Vec<Vec<&'static str>> {
    (0..8u8)
        .map(|bits| {
            SCOPES
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, s)| *s)
                .collect()
        })
        .collect()
}

/// Every method with parameters that reach its data, and the scope it needs.
fn methods(crag: &str) -> Vec<(&'static str, Value, Option<&'static str>)> {
    vec![
        (
            "initialize",
            json!({"protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "attacker", "version": "1"}}),
            None,
        ),
        ("ping", json!({}), None),
        ("logging/setLevel", json!({"level": "debug"}), None),
        ("tools/list", json!({}), None),
        ("prompts/list", json!({}), None),
        ("resources/templates/list", json!({}), None),
        ("resources/list", json!({}), Some("climb:read")),
        (
            "resources/read",
            json!({"uri": format!("climbing://areas/{crag}")}),
            Some("climb:read"),
        ),
        (
            "prompts/get",
            json!({"name": "plan_crag_day", "arguments": {"crag": crag}}),
            Some("climb:read"),
        ),
        (
            "prompts/get",
            json!({"name": "plan_crag_day", "arguments": {"crag": "Flatanger"}}),
            Some("climb:read"),
        ),
        (
            "prompts/get",
            json!({"name": "summarise_logbook", "arguments": {}}),
            Some("climb:read"),
        ),
        (
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "plan_crag_day"},
            "argument": {"name": "crag", "value": "Fla"}}),
            Some("climb:read"),
        ),
        (
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "plan_crag_day"},
            "argument": {"name": "discipline", "value": "s"}}),
            Some("climb:read"),
        ),
        (
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "climbing://areas/{id}"},
            "argument": {"name": "id", "value": ""}}),
            Some("climb:read"),
        ),
    ]
}

#[test]
fn every_method_with_every_scope_combination() {
    let host = secure_host().start();
    let crag = crag(&host, &service("root", ALL));
    let mut failures = Vec::new();
    for scopes in combinations() {
        let auth = service(&format!("s-{}", scopes.join("+")), &scopes.join(" "));
        for (method, params, needs) in methods(&crag) {
            let r = call(&host, &auth, method, params.clone());
            let allowed = needs.is_none_or(|s| scopes.contains(&s));
            let ok = if allowed {
                r.status == 200 && r.json().get("error").is_none()
            } else {
                r.status == 403
                    && r.header("www-authenticate")
                        .is_some_and(|c| c.contains("insufficient_scope"))
                    && !r.text().contains("Flatanger")
            };
            if !ok {
                failures.push(format!(
                    "{method} {params} with [{}]: {} {}",
                    scopes.join(" "),
                    r.status,
                    r.text()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Which single scope lists each tool in tools/list.
fn tool_scopes(host: &Host) -> BTreeMap<String, &'static str> {
    let mut out = BTreeMap::new();
    for scope in SCOPES {
        let r = call(host, &service("lister", scope), "tools/list", json!({}));
        for t in r.json()["result"]["tools"].as_array().unwrap() {
            let name = t["name"].as_str().unwrap().to_owned();
            assert!(
                out.insert(name.clone(), scope).is_none(),
                "{name} is listed for two scopes"
            );
        }
    }
    let none = call(host, &service("lister", ""), "tools/list", json!({}));
    assert_eq!(
        none.json()["result"]["tools"],
        json!([]),
        "tools listed without a scope"
    );
    out
}

#[test]
fn every_tool_with_every_scope_combination() {
    let host = secure_host().start();
    let tools = tool_scopes(&host);
    assert!(tools.len() > 50, "{tools:?}");
    assert_eq!(tools.get("list_areas"), Some(&"climb:read"));
    assert_eq!(tools.get("issue_token"), Some(&"admin"));
    let mut failures = Vec::new();
    for scopes in combinations() {
        let auth = service(&format!("t-{}", scopes.join("+")), &scopes.join(" "));
        // tools/list shows exactly the tools these scopes allow.
        let listed: Vec<String> = call(&host, &auth, "tools/list", json!({})).json()["result"]
            ["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect();
        for (name, scope) in &tools {
            let allowed = scopes.contains(scope);
            if listed.contains(name) != allowed {
                failures.push(format!("tools/list with [{}] and {name}", scopes.join(" ")));
            }
            // Empty arguments: an allowed call is refused by validation (isError) or
            // runs; a forbidden one never gets that far.
            let r = tool(&host, &auth, name, json!({}));
            let ok = if allowed {
                r.status == 200
            } else {
                r.status == 403
                    && r.header("www-authenticate")
                        .is_some_and(|c| c.contains(&format!("scope=\"{scope}\"")))
            };
            if !ok {
                failures.push(format!(
                    "{name} with [{}]: {} {}",
                    scopes.join(" "),
                    r.status,
                    r.text()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
