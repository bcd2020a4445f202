//! Domain tests for areas and climbs: the tree rules, moves, deletes, search,
//! geography, imports, statistics, history, repair, and the cost of reads. Its
//! helpers (`climbing`, `area`, `new_climb`) serve the other domain test modules.

use super::area::{AreaChanges, AreaKind, NewArea};
use super::climb::{Discipline, Grades, NewClimb};
use super::grades::GradeSystem;
use super::import::ImportArea;
use super::{Climbing, DomainError, LatLng};
use crate::platform::memory::MemoryPlatform;
use crate::store::{Store, StoreError};

pub(super) fn climbing(p: &MemoryPlatform) -> Climbing<'_> {
    Climbing::new(Store::new(p), "tester")
}

pub(super) fn area(
    c: &Climbing,
    name: &str,
    kind: AreaKind,
    parent: Option<&str>,
    at: Option<(f64, f64)>,
) -> String {
    c.create_area(NewArea {
        name: name.into(),
        kind,
        parent_id: parent.map(Into::into),
        location: at.map(|(lat, lng)| LatLng { lat, lng }),
        description: None,
        access_notes: None,
    })
    .unwrap()
    .id
}

pub(super) fn new_climb(name: &str, area_id: &str) -> NewClimb {
    NewClimb {
        name: name.into(),
        area_id: area_id.into(),
        grades: Grades {
            yds: Some("5.10a".into()),
            ..Default::default()
        },
        disciplines: vec![Discipline::Sport],
        length_m: None,
        bolts: None,
        pitches: None,
        fa: None,
        safety: None,
        location: None,
        left_right_index: None,
        description: None,
    }
}

fn invalid_message<T: std::fmt::Debug>(r: Result<T, DomainError>) -> String {
    match r {
        Err(DomainError::Invalid(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn moves_keep_the_tree_consistent_and_refuse_cycles() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let usa = area(&c, "USA", AreaKind::Country, None, None);
    let oregon = area(&c, "Oregon", AreaKind::Region, Some(&usa), None);
    let central = area(&c, "Central Oregon", AreaKind::Area, Some(&oregon), None);
    let smith = area(&c, "Smith Rock", AreaKind::Crag, Some(&central), None);
    let dihedrals = area(&c, "Dihedrals", AreaKind::Sector, Some(&smith), None);
    let index = area(&c, "Index", AreaKind::Crag, Some(&usa), None);
    let lower_town = area(&c, "Lower Town Wall", AreaKind::Wall, Some(&index), None);
    let before = p.kv.keys();
    assert!(
        invalid_message(c.move_area(&central, Some(&lower_town), None)).contains("cannot contain")
    );
    assert!(invalid_message(c.move_area(&oregon, Some(&dihedrals), None)).contains("cycle"));
    assert!(invalid_message(c.move_area(&central, Some(&smith), None)).contains("cycle"));
    assert!(invalid_message(c.move_area(&oregon, Some(&oregon), None)).contains("cycle"));
    assert_eq!(p.kv.keys(), before, "refused moves wrote nothing");

    let canada = area(&c, "Canada", AreaKind::Country, None, None);
    c.move_area(&oregon, Some(&canada), None).unwrap();
    let moved = c.get_area(&dihedrals).unwrap();
    assert_eq!(
        moved.ancestors,
        [canada.clone(), oregon.clone(), central, smith]
    );
    let (usa_children, _) = c.list_areas(Some(&usa), None, 10).unwrap();
    assert_eq!(usa_children.len(), 1, "only Index is left in the USA");
    let (canada_children, _) = c.list_areas(Some(&canada), None, 10).unwrap();
    assert_eq!(canada_children[0].id, oregon);
    let history = c.history(&oregon, None, 10).unwrap().0;
    assert_eq!(history.last().unwrap().summary, "moved under Canada");
}

#[test]
fn deletes_refuse_non_empty_areas_and_clean_indexes() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let fr = area(&c, "France", AreaKind::Country, None, None);
    let crag = area(&c, "Ceüse", AreaKind::Crag, Some(&fr), Some((44.5, 5.9)));
    let climb = c.create_climb(new_climb("Biographie", &crag)).unwrap();
    assert!(invalid_message(c.delete_area(&fr, None)).contains("still contains areas"));
    assert!(invalid_message(c.delete_area(&crag, None)).contains("still contains climbs"));
    assert!(matches!(
        c.delete_climb(&climb.id, Some(7)),
        Err(DomainError::Store(StoreError::VersionConflict {
            current: 2,
            ..
        })) | Err(DomainError::Store(StoreError::VersionConflict {
            current: 1,
            ..
        }))
    ));
    c.delete_climb(&climb.id, None).unwrap();
    assert!(c
        .search_climbs("biographie", None, 10)
        .unwrap()
        .0
        .is_empty());
    c.delete_area(&crag, None).unwrap();
    assert!(c.search_areas("ceuse", None, 10).unwrap().0.is_empty());
    assert!(c
        .areas_near(
            LatLng {
                lat: 44.5,
                lng: 5.9
            },
            10.0,
            &[],
            10
        )
        .unwrap()
        .is_empty());
    let (top, _) = c.list_areas(Some(&fr), None, 10).unwrap();
    assert!(top.is_empty());
    // The only keys left for the deleted climb are its history.
    assert!(p
        .kv
        .keys()
        .iter()
        .all(|k| !k.starts_with(&format!("c/{}", climb.id))));
}

#[test]
fn search_geography_and_updates_reindex() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let us = area(&c, "USA", AreaKind::Country, None, None);
    let smith = area(
        &c,
        "Smith Rock",
        AreaKind::Crag,
        Some(&us),
        Some((44.3672, -121.1408)),
    );
    area(
        &c,
        "Trout Creek",
        AreaKind::Crag,
        Some(&us),
        Some((44.80, -121.06)),
    );
    area(
        &c,
        "Yosemite Valley",
        AreaKind::Area,
        Some(&us),
        Some((37.74, -119.57)),
    );
    let near = c
        .areas_near(
            LatLng {
                lat: 44.30,
                lng: -121.20,
            },
            60.0,
            &[AreaKind::Crag],
            10,
        )
        .unwrap();
    let names: Vec<&str> = near.iter().map(|(a, _)| a.name.as_str()).collect();
    assert_eq!(names, ["Smith Rock", "Trout Creek"]);
    assert!(near[0].1 < near[1].1);
    assert!(c
        .areas_near(LatLng { lat: 0.0, lng: 0.0 }, 500.0, &[], 10)
        .is_err());

    assert_eq!(c.search_areas("SMITH", None, 10).unwrap().0.len(), 1);
    assert_eq!(c.search_areas("rock smith", None, 10).unwrap().0.len(), 1);
    assert!(c
        .search_areas("smith valley", None, 10)
        .unwrap()
        .0
        .is_empty());
    assert_eq!(c.complete_area_names("smi", 10).unwrap(), ["Smith Rock"]);
    c.update_area(
        &smith,
        Some(1),
        AreaChanges {
            name: Some("Smith Rock State Park".into()),
            location: Some(LatLng {
                lat: 37.7,
                lng: -119.6,
            }),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(c.search_areas("park", None, 10).unwrap().0.len(), 1);
    let near_yosemite = c
        .areas_near(
            LatLng {
                lat: 37.74,
                lng: -119.57,
            },
            20.0,
            &[AreaKind::Crag],
            10,
        )
        .unwrap();
    assert_eq!(near_yosemite.len(), 1);
    assert!(c
        .areas_near(
            LatLng {
                lat: 44.3672,
                lng: -121.1408
            },
            5.0,
            &[AreaKind::Crag],
            10
        )
        .unwrap()
        .is_empty());
    let stale = c.update_area(
        &smith,
        Some(1),
        AreaChanges {
            name: Some("X".into()),
            ..Default::default()
        },
    );
    assert!(matches!(
        stale,
        Err(DomainError::Store(StoreError::VersionConflict {
            current: 2,
            ..
        }))
    ));
    // A crag with climbs cannot become a region.
    c.create_climb(new_climb("Chain Reaction", &smith)).unwrap();
    assert!(invalid_message(c.update_area(
        &smith,
        None,
        AreaChanges {
            kind: Some(AreaKind::Region),
            ..Default::default()
        }
    ))
    .contains("has climbs"));
}

#[test]
fn imports_are_checked_whole_and_counted() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let tree: Vec<ImportArea> = serde_json::from_value(serde_json::json!([{
        "name": "Spain", "kind": "country", "areas": [{
            "name": "Siurana", "kind": "crag", "location": {"lat": 41.25, "lng": 0.93},
            "climbs": [
                {"name": "La Rambla", "grades": {"french": "9a+"}, "disciplines": ["sport"], "length_m": 40},
                {"name": "Kalea Borroka", "grades": {"french": "8b"}, "disciplines": ["sport"]}
            ],
            "areas": [{"name": "El Pati", "kind": "sector", "climbs": [{"name": "Anabolica", "grades": {"french": "8b+"}, "disciplines": ["sport"]}]}]
        }]
    }]))
    .unwrap();
    let mut bad = tree.clone();
    bad[0].areas[0].areas[0].climbs[0].disciplines.clear();
    let before = p.kv.keys();
    let message = invalid_message(c.import_tree(None, bad));
    assert!(
        message.contains("areas[0].areas[0].areas[0].climbs[0]") && message.contains("disciplines"),
        "{message}"
    );
    assert_eq!(p.kv.keys(), before, "a refused import stored something");

    let summary = c.import_tree(None, tree).unwrap();
    assert_eq!((summary.areas_created, summary.climbs_created), (3, 3));
    let spain = &summary.root_ids[0];
    let stats = c
        .area_stats(spain, GradeSystem::French, GradeSystem::Font)
        .unwrap();
    assert_eq!((stats.areas_counted, stats.climbs_counted), (3, 3));
    let sport: Vec<&str> = stats.disciplines["sport"]
        .iter()
        .map(|g| g.grade.as_str())
        .collect();
    assert_eq!(sport, ["8b", "8b+", "9a+"], "easiest first, in French");
    assert!(!stats.truncated);
}

#[test]
fn repair_removes_dangling_and_misplaced_entries() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let fr = area(&c, "France", AreaKind::Country, None, None);
    let a = area(&c, "Buoux", AreaKind::Crag, Some(&fr), None);
    let b = area(&c, "Orgon", AreaKind::Crag, Some(&fr), None);
    let climb = c.create_climb(new_climb("Le Minimum", &a)).unwrap();
    let gone = c.create_climb(new_climb("Gone", &a)).unwrap();
    // A delete that stopped after the record, and a move that stopped before
    // removing the old entry.
    p.kv.data_remove(&format!("c/{}", gone.id));
    crate::store::index::IndexList::new(&p.kv, super::climb::climbs_list(&b))
        .add(&climb.id)
        .unwrap();
    let report = c.repair_area(Some(&b), false).unwrap();
    assert_eq!((report.misplaced, report.dangling), (1, 0));
    // Buoux's two climb entries, and the history lines of Buoux and of its live
    // climb (one each: their creation).
    let report = c.repair_area(Some(&a), true).unwrap();
    assert_eq!(
        (report.entries_checked, report.dangling, report.misplaced),
        (4, 1, 0)
    );
    c.repair_area(Some(&b), true).unwrap();
    let report = c.repair_area(Some(&b), false).unwrap();
    assert_eq!(
        (report.entries_checked, report.misplaced),
        (1, 0),
        "its history line"
    );
    let top = c.repair_area(None, false).unwrap();
    assert_eq!(top.child_area_ids, [fr]);
}

/// The KV cost of reads does not depend on how much is stored.
#[test]
fn read_costs_do_not_grow_with_the_dataset() {
    fn costs(climbs: usize) -> (u64, u64, u64, u64) {
        let p = MemoryPlatform::default();
        let c = climbing(&p);
        let country = area(&c, "Country", AreaKind::Country, None, None);
        let crag = area(&c, "Big Crag", AreaKind::Crag, Some(&country), None);
        let mut some_id = String::new();
        for i in 0..climbs {
            let climb = c
                .create_climb(new_climb(&format!("Route {i} Arete"), &crag))
                .unwrap();
            if i == climbs / 2 {
                some_id = climb.id;
            }
        }
        let measure = |f: &dyn Fn()| {
            let before = p.kv.ops.get();
            f();
            p.kv.ops.get() - before
        };
        let get = measure(&|| {
            c.get_climb(&some_id).unwrap();
        });
        let first_page = measure(&|| {
            c.list_climbs(&crag, None, 50).unwrap();
        });
        let (_, next) = c.list_climbs(&crag, None, 50).unwrap();
        let later_page = measure(&|| {
            c.list_climbs(&crag, next.as_ref(), 50).unwrap();
        });
        let search = measure(&|| {
            assert_eq!(c.search_climbs("arete", None, 50).unwrap().0.len(), 50);
        });
        (get, first_page, later_page, search)
    }
    let small = costs(100);
    let large = costs(10_000);
    assert_eq!(
        small, large,
        "KV operations (get, list, next page, search) at 100 vs 10,000 climbs"
    );
    assert_eq!(small, (1, 2, 2, 2));
}

/// The KV cost of the two common writes (docs/bench.md lists what each operation
/// is for); the memory store counts a compare-and-swap as three (new, current,
/// swap), as the host does.
#[test]
fn write_costs_stay_within_their_operations() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let country = area(&c, "Country", AreaKind::Country, None, None);
    let crag = area(&c, "Big Crag", AreaKind::Crag, Some(&country), None);
    c.create_climb(new_climb("Golden dihedral 1", &crag))
        .unwrap();
    let before = p.kv.ops.get();
    let climb = c
        .create_climb(new_climb("Golden dihedral 1", &crag))
        .unwrap();
    assert_eq!(
        p.kv.ops.get() - before,
        10,
        "create_climb, a name of three words"
    );
    let tick = || super::tick::NewTick {
        climb_id: Some(climb.id.clone()),
        gym_route_id: None,
        date: None,
        style: super::tick::TickStyle::Lead,
        attempt: super::tick::AttemptType::Redpoint,
        stars: None,
        notes: None,
    };
    c.log_tick(tick()).unwrap();
    let before = p.kv.ops.get();
    c.log_tick(tick()).unwrap();
    assert_eq!(p.kv.ops.get() - before, 6, "log_tick");
}

#[test]
fn repair_checks_a_venues_lists_through_the_same_lifecycle() {
    use super::gym::*;
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let venue = c
        .create_venue(NewVenue {
            name: "Gym".into(),
            ..Default::default()
        })
        .unwrap();
    let wall = c
        .create_wall(NewWall {
            venue_id: venue.id.clone(),
            name: "Cave".into(),
            kind: WallKind::Boulder,
            angle: None,
            angle_degrees: None,
            height_m: None,
            notes: None,
        })
        .unwrap();
    let route = c
        .create_gym_route(NewGymRoute {
            wall_id: wall.id.clone(),
            hold_colour: HoldColour::Red,
            grade: "V2".into(),
            grade_system: "vscale".into(),
            discipline: GymDiscipline::Boulder,
            setter_ids: vec![],
            set_on: "2025-01-10".into(),
            strip_on: None,
            name: None,
            notes: None,
        })
        .unwrap();
    let top = c.repair_area(None, false).unwrap();
    assert_eq!(top.venue_ids, std::slice::from_ref(&venue.id));
    assert_eq!(c.repair_venue(&venue.id, false).unwrap().dangling, 0);
    // A delete that stopped after the record: the wall's, venue's and current
    // lists still name the route (month lists are found through live routes).
    p.kv.data_remove(&format!("g/{}", route.id));
    let report = c.repair_venue(&venue.id, true).unwrap();
    assert_eq!((report.dangling, report.misplaced), (3, 0));
    let again = c.repair_venue(&venue.id, false).unwrap();
    assert_eq!((again.entries_checked, again.dangling), (1, 0));
}
