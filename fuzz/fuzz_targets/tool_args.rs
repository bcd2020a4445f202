//! Tool argument validation: `tools/call` of every tool with fuzzed JSON
//! arguments, on a store holding a few records (`$CRAG`, `$CLIMB`, ... in the
//! input are replaced by their ids).
//!
//! Input: one byte choosing the tool, then the arguments as JSON text.
#![no_main]

use climbing_mcp_fuzz::{call_tool, check_response, seeded};
use libfuzzer_sys::fuzz_target;

/// Every tool the server offers (src/catalog), including admin tools.
const TOOLS: &[&str] = &[
    "get_area",
    "list_areas",
    "create_area",
    "update_area",
    "delete_area",
    "move_area",
    "search_areas",
    "crags_near",
    "get_area_path",
    "area_stats",
    "import_tree",
    "get_history",
    "add_media",
    "list_media",
    "delete_media",
    "get_climb",
    "list_climbs",
    "create_climb",
    "update_climb",
    "delete_climb",
    "move_climb",
    "search_climbs",
    "log_tick",
    "get_tick",
    "update_tick",
    "delete_tick",
    "list_ticks",
    "logbook_stats",
    "create_venue",
    "get_venue",
    "update_venue",
    "list_venues",
    "delete_venue",
    "create_wall",
    "get_wall",
    "update_wall",
    "list_walls",
    "delete_wall",
    "create_setter",
    "get_setter",
    "update_setter",
    "list_setters",
    "delete_setter",
    "create_gym_route",
    "get_gym_route",
    "update_gym_route",
    "list_gym_routes",
    "delete_gym_route",
    "strip_gym_routes",
    "routes_due_for_strip",
    "venue_grade_distribution",
    "setter_stats",
    "convert_grade",
    "compare_grades",
    "grade_band",
    "list_grade_systems",
    "grade_chart",
    "issue_token",
    "list_tokens",
    "revoke_token",
    "repair_indexes",
    "find_orphans",
    "check_store",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (p, seeds) = seeded();
    let Ok(args) = serde_json::from_str::<serde_json::Value>(&seeds.substitute(text)) else {
        return;
    };
    let name = TOOLS[which as usize % TOOLS.len()];
    let r = call_tool(&p, name, &args);
    check_response(data, &r);
    // A refused call must be answered in a way a model can act on.
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    if v["result"]["isError"] == true {
        let text = v["result"]["content"][0]["text"].as_str().unwrap_or("");
        assert!(!text.is_empty(), "{name}: an error without a message: {v}");
    }
});
