//! Hostile input in arguments: invisible Unicode, numbers out of any sane range,
//! and what one writer may do to another's records or to the token policy.

use crate::support::*;
use serde_json::json;

/// Characters that show nothing or change how text around them shows.
const INVISIBLE: &[(&str, char)] = &[
    ("tag LATIN CAPITAL A", '\u{E0041}'),
    ("tag BEGIN", '\u{E0001}'),
    ("tag CANCEL", '\u{E007F}'),
    ("variation selector 1", '\u{FE00}'),
    ("variation selector 16 after a letter", '\u{FE0F}'),
    ("variation selector 17", '\u{E0100}'),
    ("Hangul choseong filler", '\u{115F}'),
    ("Hangul jungseong filler", '\u{1160}'),
    ("Hangul filler", '\u{3164}'),
    ("halfwidth Hangul filler", '\u{FFA0}'),
    ("line separator", '\u{2028}'),
    ("paragraph separator", '\u{2029}'),
    ("combining grapheme joiner", '\u{034F}'),
    ("interlinear annotation anchor", '\u{FFF9}'),
    ("interlinear annotation terminator", '\u{FFFB}'),
    ("musical symbol begin beam", '\u{1D173}'),
    ("musical symbol end phrase", '\u{1D17A}'),
    ("Mongolian vowel separator", '\u{180E}'),
    ("Mongolian free variation selector", '\u{180B}'),
    ("function application", '\u{2061}'),
    ("inhibit symmetric swapping", '\u{206A}'),
    ("zero-width joiner between letters", '\u{200D}'),
    ("zero-width non-joiner", '\u{200C}'),
    ("right-to-left override", '\u{202E}'),
    ("right-to-left isolate", '\u{2067}'),
    ("word joiner", '\u{2060}'),
    ("byte-order mark", '\u{FEFF}'),
    ("soft hyphen", '\u{00AD}'),
    ("private use", '\u{E000}'),
    ("shorthand format overlap", '\u{1BCA0}'),
    ("Egyptian hieroglyph joiner", '\u{13430}'),
];

#[test]
fn invisible_characters_are_refused_in_every_text_field() {
    let host = secure_host().start();
    let auth = service("root", ALL);
    let crag = crag(&host, &auth);
    for (what, c) in INVISIBLE {
        let hidden = format!("Smith{c}Rock");
        for (tool_name, args) in [
            ("create_area", json!({"name": hidden, "kind": "country"})),
            (
                "update_area",
                json!({"id": crag, "changes": {"description": hidden}}),
            ),
            (
                "create_climb",
                json!({"name": hidden, "area_id": crag, "grades": {"yds": "5.10a"}, "disciplines": ["sport"]}),
            ),
            (
                "issue_token",
                json!({"subject": hidden, "scopes": ["climb:read"]}),
            ),
        ] {
            let message = refused(&host, &auth, tool_name, args);
            assert!(
                message.contains("invisible"),
                "{what} in {tool_name}: {message}"
            );
        }
    }
    // Emoji sequences keep their joiners and presentation selectors.
    for name in [
        "Lab 👩\u{200D}🔬",
        "Pride 🏳\u{FE0F}\u{200D}🌈",
        "Love ❤\u{FE0F}",
    ] {
        ok(
            &host,
            &auth,
            "create_area",
            json!({"name": name, "kind": "country"}),
        );
    }
    let names = ok(&host, &auth, "list_areas", json!({}))["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(names, 4, "one seeded country and three emoji names");
}

#[test]
fn numbers_out_of_any_sane_range_are_refused() {
    let host = secure_host().start();
    let auth = service("root", ALL);
    let crag = crag(&host, &auth);
    let climb = |extra: serde_json::Value| {
        let mut args = json!({"name": "Ranged", "area_id": crag, "grades": {"yds": "5.10a"}, "disciplines": ["trad"]});
        for (k, v) in extra.as_object().unwrap() {
            args[k] = v.clone();
        }
        args
    };
    for extra in [
        json!({"pitches": 1_000_000_000u64}),
        json!({"pitches": 201}),
        json!({"pitches": 0}),
        json!({"pitches": -1}),
        json!({"pitches": 1e9}),
        json!({"bolts": 2001}),
        json!({"bolts": 4_294_967_296u64}),
        json!({"left_right_index": 2_000_000_000}),
        json!({"left_right_index": -1_000_001}),
        json!({"length_m": 1e9}),
        json!({"length_m": -5}),
        json!({"location": {"lat": 91, "lng": 0}}),
    ] {
        refused(&host, &auth, "create_climb", climb(extra.clone()));
    }
    let made = ok(
        &host,
        &auth,
        "create_climb",
        climb(json!({"pitches": 40, "bolts": 300, "left_right_index": -5})),
    );
    refused(
        &host,
        &auth,
        "update_climb",
        json!({"id": made["id"], "changes": {"pitches": 500}}),
    );
    refused(
        &host,
        &auth,
        "update_climb",
        json!({"id": made["id"], "changes": {"bolts": 100_000}}),
    );
    let listed = ok(&host, &auth, "list_climbs", json!({"area_id": crag}))["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(listed, 1, "a refused climb was stored");
}

#[test]
fn media_is_removed_only_by_its_contributor_or_an_admin_and_on_record() {
    let host = secure_host().start();
    let root = service("root", ALL);
    let crag = crag(&host, &root);
    let alice = service("alice", "climb:read climb:write");
    let bob = service("bob", "climb:read climb:write");
    let add = |who: &str| {
        ok(
            &host,
            who,
            "add_media",
            json!({"entity_id": crag, "kind": "photo", "url": "https://img.test/a.jpg"}),
        )["id"]
            .clone()
    };
    let photo = add(&alice);
    let message = refused(&host, &bob, "delete_media", json!({"id": photo}));
    assert!(message.contains("someone else"), "{message}");
    ok(&host, &alice, "delete_media", json!({"id": photo}));
    let second = add(&alice);
    ok(&host, &root, "delete_media", json!({"id": second}));
    let history = ok(&host, &root, "get_history", json!({"id": crag}));
    let removals = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["summary"].as_str().unwrap_or("").contains("removed"))
        .count();
    assert_eq!(removals, 2, "{history}");
}

#[test]
fn issued_tokens_follow_the_admin_policy_and_are_recorded() {
    let host = secure_host().start();
    let root = service("root", ALL);
    let message = refused(
        &host,
        &root,
        "issue_token",
        json!({"subject": "eve", "scopes": ["admin"], "ttl_days": 366}),
    );
    assert!(message.contains("1 to 30"), "{message}");
    refused(
        &host,
        &root,
        "issue_token",
        json!({"subject": "eve", "scopes": ["climb:read", "admin"], "ttl_days": 31}),
    );
    refused(
        &host,
        &root,
        "issue_token",
        json!({"subject": "eve", "scopes": ["climb:read"], "ttl_days": 367}),
    );
    refused(
        &host,
        &root,
        "issue_token",
        json!({"subject": "https://issuer.test#alice", "scopes": ["climb:read"]}),
    );
    let issued = ok(
        &host,
        &root,
        "issue_token",
        json!({"subject": "ops", "scopes": ["admin"]}),
    );
    let info = &issued["info"];
    assert!(
        info["expires_at"].as_u64().unwrap() - info["issued_at"].as_u64().unwrap() <= 30 * 86_400
    );
    let history = ok(&host, &root, "get_history", json!({"id": info["id"]}));
    let line = &history["items"][0];
    assert_eq!(line["entity_kind"], "token", "{history}");
    assert!(
        line["summary"]
            .as_str()
            .unwrap()
            .contains("issued to \"ops\""),
        "{history}"
    );
    assert!(line["actor"].as_str().unwrap() == "root", "{history}");
}
