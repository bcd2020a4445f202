//! Races between writers that must not leave a record under a parent that is
//! gone, and the repair that finds such records when something else left them.

use crate::support::*;
use serde_json::{json, Value};
use std::sync::Barrier;

fn new_crag(host: &Host, auth: &str, country: &Value, i: usize) -> String {
    ok(
        host,
        auth,
        "create_area",
        json!({"name": format!("Crag {i}"), "kind": "crag", "parent_id": country["id"]}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn succeeded(r: &Response) -> bool {
    r.status == 200 && r.json()["result"]["isError"] == false
}

/// Runs `a` and `b` at the same moment, `tries` times, each on a fresh crag.
fn race(
    host: &Host,
    tries: usize,
    a: impl Fn(&str) -> Response + Sync,
    b: impl Fn(&str) -> Response + Sync,
    check: impl Fn(&str, bool, bool),
) {
    let root = service("root", ALL);
    let country = ok(
        host,
        &root,
        "create_area",
        json!({"name": "Racing", "kind": "country"}),
    );
    for i in 0..tries {
        let crag = new_crag(host, &root, &country, i);
        let barrier = Barrier::new(2);
        let (ra, rb) = std::thread::scope(|s| {
            let (ba, bb) = (&barrier, &barrier);
            let (a, b, crag) = (&a, &b, crag.as_str());
            let ha = s.spawn(move || {
                ba.wait();
                a(crag)
            });
            let hb = s.spawn(move || {
                bb.wait();
                b(crag)
            });
            (ha.join().unwrap(), hb.join().unwrap())
        });
        check(&crag, succeeded(&ra), succeeded(&rb));
    }
}

fn no_orphans(host: &Host) {
    let report = ok(host, &service("root", ALL), "find_orphans", json!({}));
    for kind in ["orphan_areas", "orphan_climbs"] {
        assert_eq!(report[kind], 0, "{report}");
    }
}

#[test]
fn deleting_an_area_while_a_climb_is_created_in_it_leaves_no_orphan() {
    let host = secure_host().start();
    let root = service("root", ALL);
    race(
        &host,
        15,
        |crag| tool(&host, &root, "delete_area", json!({"id": crag})),
        |crag| {
            tool(
                &host,
                &root,
                "create_climb",
                json!({"name": "Racer", "area_id": crag,
                "grades": {"french": "6a"}, "disciplines": ["sport"]}),
            )
        },
        |crag, deleted, created| {
            assert!(
                !(deleted && created),
                "both the delete and the create of {crag} succeeded"
            );
            let area = tool(&host, &root, "get_area", json!({"id": crag}));
            let climbs = tool(&host, &root, "list_climbs", json!({"area_id": crag}));
            let listed = climbs.json()["result"]["structuredContent"]["items"]
                .as_array()
                .map_or(0, Vec::len);
            if !succeeded(&area) {
                assert_eq!(listed, 0, "a climb is under the deleted area {crag}");
            }
        },
    );
    no_orphans(&host);
}

#[test]
fn deleting_an_area_while_a_sub_area_is_created_or_a_climb_moved_in_leaves_no_orphan() {
    let host = secure_host().start();
    let root = service("root", ALL);
    let home = crag(&host, &root);
    let climb = ok(
        &host,
        &root,
        "create_climb",
        json!({"name": "Mover", "area_id": home,
        "grades": {"french": "6a"}, "disciplines": ["sport"]}),
    )["id"]
        .clone();
    race(
        &host,
        10,
        |crag| tool(&host, &root, "delete_area", json!({"id": crag})),
        |crag| {
            tool(
                &host,
                &root,
                "create_area",
                json!({"name": "Sector", "kind": "sector", "parent_id": crag}),
            )
        },
        |crag, deleted, created| {
            assert!(!(deleted && created), "delete and create_area under {crag}")
        },
    );
    race(
        &host,
        10,
        |crag| tool(&host, &root, "delete_area", json!({"id": crag})),
        |crag| {
            tool(
                &host,
                &root,
                "move_climb",
                json!({"id": climb, "new_area_id": crag}),
            )
        },
        |crag, deleted, moved| {
            assert!(!(deleted && moved), "delete and move_climb into {crag}");
            let at = ok(&host, &root, "get_climb", json!({"id": climb}))["area_id"].clone();
            assert!(
                succeeded(&tool(&host, &root, "get_area", json!({"id": at}))),
                "the climb is in a deleted area"
            );
        },
    );
    no_orphans(&host);
}

#[test]
fn find_orphans_reports_and_removes_media_of_deleted_records() {
    let host = secure_host().start();
    let root = service("root", ALL);
    let crag = crag(&host, &root);
    let climb = ok(
        &host,
        &root,
        "create_climb",
        json!({"name": "Gone", "area_id": crag,
        "grades": {"yds": "5.9"}, "disciplines": ["trad"]}),
    )["id"]
        .clone();
    ok(
        &host,
        &root,
        "add_media",
        json!({"entity_id": climb, "kind": "photo", "url": "https://img.test/gone.jpg"}),
    );
    // Its photo goes with it: confirmed as a client without elicitation does.
    ok(
        &host,
        &root,
        "delete_climb",
        json!({"id": climb, "confirm": true}),
    );
    let report = ok(&host, &root, "find_orphans", json!({}));
    assert_eq!(report["orphan_media"], 1, "{report}");
    assert_eq!(report["fixed"], false);
    let fixed = ok(&host, &root, "find_orphans", json!({"fix": true}));
    assert_eq!(fixed["orphan_media"], 1, "{fixed}");
    let after = ok(&host, &root, "find_orphans", json!({}));
    assert_eq!(after["orphan_media"], 0, "{after}");
    assert_eq!(
        after["tombstones_checked"], 0,
        "a fixed tombstone stays: {after}"
    );
    let media = ok(&host, &root, "list_media", json!({"id": climb}));
    assert_eq!(media["items"], json!([]));
}
