//! Tests of the gym tools, through the catalog.

use super::TOOLS;
use crate::catalog::tools::call;
use crate::catalog::Ctx;
use crate::identity::{Caller, Scope};
use crate::platform::memory::MemoryPlatform;
use serde_json::{json, Value};

fn ctx(p: &MemoryPlatform) -> Ctx<'_> {
    Ctx::new(
        p,
        Caller {
            subject: "tester".into(),
            scopes: vec![Scope::Read, Scope::Write],
        },
    )
}

fn tool(p: &MemoryPlatform, name: &str, args: Value) -> Value {
    call(&ctx(p), &json!({"name": name, "arguments": args}))
        .unwrap_or_else(|e| panic!("{name}: {e:?}"))
        .into_value()
}

fn ok(p: &MemoryPlatform, name: &str, args: Value) -> Value {
    let r = tool(p, name, args);
    assert_eq!(r["isError"], false, "{name}: {r}");
    r["structuredContent"].clone()
}

fn err(p: &MemoryPlatform, name: &str, args: Value) -> String {
    let r = tool(p, name, args);
    assert_eq!(r["isError"], true, "{name}: {r}");
    r["content"][0]["text"].as_str().unwrap().to_owned()
}

#[test]
fn the_catalog_declares_scopes_and_annotations() {
    assert!(TOOLS.len() >= 20);
    for t in TOOLS {
        let a = t.meta.annotations;
        let reads = t.meta.name.starts_with("get_")
            || t.meta.name.starts_with("list_")
            || matches!(
                t.meta.name,
                "routes_due_for_strip" | "venue_grade_distribution" | "setter_stats"
            );
        assert_eq!(a.read_only, reads, "{}", t.meta.name);
        assert_eq!(
            t.meta.scope,
            if reads { Scope::Read } else { Scope::Write },
            "{}",
            t.meta.name
        );
        if t.meta.name.starts_with("delete_") || t.meta.name == "strip_gym_routes" {
            assert!(a.destructive && a.idempotent, "{}", t.meta.name);
        }
        if t.meta.name.starts_with("create_") {
            assert!(!a.destructive && !a.idempotent, "{}", t.meta.name);
        }
        let described = t.describe();
        assert_eq!(
            described["inputSchema"]["type"], "object",
            "{}",
            t.meta.name
        );
    }
}

#[test]
fn gym_tools_round_trip() {
    let p = MemoryPlatform::default();
    let venue = ok(
        &p,
        "create_venue",
        json!({"name": "Boulder Barn", "city": "Bristol"}),
    );
    let vid = venue["id"].as_str().unwrap();
    let wall = ok(
        &p,
        "create_wall",
        json!({"venue_id": vid, "name": "Barrel", "kind": "boulder", "angle": "roof"}),
    );
    let wid = wall["id"].as_str().unwrap();
    let setter = ok(
        &p,
        "create_setter",
        json!({"venue_id": vid, "name": "Cleo"}),
    );
    let sid = setter["id"].as_str().unwrap();
    let route = |grade: &str, colour: &str| {
        json!({"wall_id": wid, "hold_colour": colour, "grade": grade,
               "grade_system": "vscale", "discipline": "boulder",
               "setter_ids": [sid], "set_on": "2025-06-01", "strip_on": "2025-07-01"})
    };
    let mut ids = Vec::new();
    for (g, c) in [("V1", "yellow"), ("V3", "green"), ("V5", "blue")] {
        ids.push(ok(&p, "create_gym_route", route(g, c))["id"].clone());
    }

    // A bad colour is refused with the choices, and writes nothing.
    let before = p.kv.keys();
    let msg = err(&p, "create_gym_route", route("V2", "chartreuse"));
    assert!(
        msg.contains("chartreuse") && msg.contains("purple"),
        "{msg}"
    );
    assert_eq!(p.kv.keys(), before);

    // Pages of one, through cursors.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut args = json!({"venue_id": vid, "limit": 1});
        if let Some(c) = &cursor {
            args["cursor"] = c.clone().into();
        }
        let page = ok(&p, "list_gym_routes", args);
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    let c = cursor_of(&p, vid);
    let msg = err(
        &p,
        "list_gym_routes",
        json!({"venue_id": vid, "status": "any", "cursor": c}),
    );
    assert!(msg.contains("invalid cursor"), "{msg}");
    let msg = err(
        &p,
        "list_gym_routes",
        json!({"venue_id": vid, "wall_id": wid}),
    );
    assert!(msg.contains("not both"), "{msg}");
    let hard = ok(
        &p,
        "list_gym_routes",
        json!({"wall_id": wid, "grade_system": "vscale", "min_grade": "V3"}),
    );
    assert_eq!(hard["items"].as_array().unwrap().len(), 2);

    // Strip, due list, distribution, stats.
    let stripped = ok(
        &p,
        "strip_gym_routes",
        json!({"ids": [ids[0]], "stripped_on": "2025-06-20"}),
    );
    assert_eq!(stripped["stripped"], 1);
    let due = ok(
        &p,
        "routes_due_for_strip",
        json!({"venue_id": vid, "on_or_before": "2025-07-01"}),
    );
    assert_eq!(due["total_due"], 2);
    let dist = ok(&p, "venue_grade_distribution", json!({"venue_id": vid}));
    assert_eq!(dist["total_routes"], 2);
    assert_eq!(dist["disciplines"][0]["grades"][0]["grade"], "V3");
    let stats = ok(
        &p,
        "setter_stats",
        json!({"venue_id": vid, "from": "2025-06-01", "to": "2025-06-30"}),
    );
    assert_eq!(stats["setters"][0]["routes"], 3);
    assert_eq!(stats["setters"][0]["name"], "Cleo");

    // Version conflicts say what the current version is.
    let msg = err(
        &p,
        "update_venue",
        json!({"id": vid, "expected_version": 5, "changes": {"city": "Bath"}}),
    );
    assert!(msg.contains("current version is 1"), "{msg}");
    let updated = ok(
        &p,
        "update_venue",
        json!({"id": vid, "expected_version": 1, "changes": {"city": "Bath"}}),
    );
    assert_eq!(updated["version"], 2);
    let msg = err(&p, "delete_venue", json!({"id": vid}));
    assert!(msg.contains("delete_wall"), "{msg}");
    // Its setter's credit would go: without a way to ask the person, the delete
    // says so and waits for confirm.
    let msg = err(&p, "delete_gym_route", json!({"id": ids[0]}));
    assert!(
        msg.contains("setting credit of \"Cleo\"") && msg.contains("confirm: true"),
        "{msg}"
    );
    let gone = ok(
        &p,
        "delete_gym_route",
        json!({"id": ids[0], "confirm": true}),
    );
    assert_eq!(gone["deleted"], true);
}

/// A valid cursor of the venue's current-routes list (not of its all-routes list).
fn cursor_of(p: &MemoryPlatform, venue_id: &str) -> String {
    let page = ok(
        p,
        "list_gym_routes",
        json!({"venue_id": venue_id, "limit": 1}),
    );
    page["next_cursor"].as_str().unwrap().to_owned()
}
