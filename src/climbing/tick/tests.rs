//! Tests of the logbook.

use super::*;
use crate::climbing::area::{AreaKind, NewArea};
use crate::climbing::climb::{Grades, NewClimb};
use crate::platform::memory::MemoryPlatform;
use crate::store::{Store, StoreError};

/// 2026-03-15T12:00:00Z
const NOW_MS: u64 = 1_773_576_000_000;

#[test]
fn rule_matrix() {
    use AttemptType::*;
    use TickStyle::*;
    let table: [(TickStyle, [bool; 7]); 6] = [
        // onsight flash redpoint pinkpoint send attempt repeat
        (Lead, [true, true, true, true, true, true, true]),
        (Follow, [false, false, false, false, true, true, true]),
        (TopRope, [false, false, false, false, true, true, true]),
        (Solo, [true, true, false, false, true, true, true]),
        (Aid, [false, false, false, false, true, true, true]),
        (Boulder, [false, true, false, false, true, true, true]),
    ];
    for (style, row) in table {
        for (attempt, ok) in ATTEMPTS.iter().zip(row) {
            assert_eq!(allowed(style, *attempt), ok, "{style:?} {attempt:?}");
            assert_eq!(check_combination(style, *attempt).is_ok(), ok);
        }
    }
    let DomainError::Invalid(msg) = check_combination(Follow, Redpoint).unwrap_err() else {
        panic!()
    };
    assert!(
        msg.contains("With follow use send, attempt, repeat"),
        "{msg}"
    );
    assert!(msg.contains("redpoint goes with lead"), "{msg}");
    let DomainError::Invalid(msg) = check_combination(Boulder, Onsight).unwrap_err() else {
        panic!()
    };
    assert!(msg.contains("flash"), "{msg}");
}

#[test]
fn dates() {
    assert_eq!(date_of(NOW_MS, 0), "2026-03-15");
    assert_eq!(date_of(0, 0), "1970-01-01");
    assert_eq!(date_of(951_782_400_000, 0), "2000-02-29");
    assert_eq!(
        check_date("date", "2026-03-15", NOW_MS).unwrap(),
        "2026-03-15"
    );
    assert_eq!(
        check_date("date", " 2026-03-16 ", NOW_MS).unwrap(),
        "2026-03-16"
    );
    assert!(check_date("date", "2026-03-17", NOW_MS).is_err());
    assert!(check_date("date", "2024-02-29", NOW_MS).is_ok());
    for bad in [
        "2023-02-29",
        "2026-13-01",
        "2026-04-31",
        "2026-00-10",
        "2026-1-5",
        "15/03/2026",
        "1899-12-31",
        "",
        "2026-03-1x",
    ] {
        assert!(check_date("date", bad, NOW_MS).is_err(), "{bad}");
    }
}

fn setup(p: &MemoryPlatform) -> (String, String) {
    p.now_ms.set(NOW_MS);
    let c = Climbing::new(Store::new(p), "setter");
    let country = c
        .create_area(NewArea {
            name: "Land".into(),
            kind: AreaKind::Country,
            parent_id: None,
            location: None,
            description: None,
            access_notes: None,
        })
        .unwrap();
    let crag = c
        .create_area(NewArea {
            name: "Crag".into(),
            kind: AreaKind::Crag,
            parent_id: Some(country.id),
            location: None,
            description: None,
            access_notes: None,
        })
        .unwrap();
    let new = |name: &str, grades: Grades, d: Discipline| -> NewClimb {
        serde_json::from_value(serde_json::json!({
            "name": name, "area_id": crag.id, "grades": grades, "disciplines": [d],
        }))
        .unwrap()
    };
    let route = c
        .create_climb(new(
            "Arête",
            Grades {
                yds: Some("5.11a".into()),
                ..Grades::default()
            },
            Discipline::Sport,
        ))
        .unwrap();
    let problem = c
        .create_climb(new(
            "Roof",
            Grades {
                vscale: Some("V5".into()),
                ..Grades::default()
            },
            Discipline::Boulder,
        ))
        .unwrap();
    (route.id, problem.id)
}

fn tick(climb: &str, date: &str, style: TickStyle, attempt: AttemptType) -> NewTick {
    NewTick {
        climb_id: Some(climb.into()),
        gym_route_id: None,
        date: Some(date.into()),
        style,
        attempt,
        stars: None,
        notes: None,
    }
}

#[test]
fn log_update_delete_and_privacy() {
    use AttemptType::*;
    use TickStyle::*;
    let p = MemoryPlatform::default();
    let (route, problem) = setup(&p);
    let alice = Climbing::new(Store::new(&p), "alice");
    let bob = Climbing::new(Store::new(&p), "bob");
    let t = alice
        .log_tick(tick(&route, "2026-03-01", Lead, Redpoint))
        .unwrap();
    assert_eq!(t.grade.as_ref().unwrap().text, "5.11a");
    assert_eq!(t.name.as_deref(), Some("Arête"));
    assert_eq!(t.climber, "alice");
    // Refusals store nothing.
    let before = p.kv.keys().len();
    for bad in [
        tick(&route, "2026-03-01", TopRope, Redpoint),
        tick(&route, "2026-03-01", Boulder, Send),
        tick(&problem, "2026-03-01", Lead, Send),
        tick(&route, "2027-01-01", Lead, Send),
        tick("nope", "2026-03-01", Lead, Send),
        NewTick {
            stars: Some(5),
            ..tick(&route, "2026-03-01", Lead, Send)
        },
        NewTick {
            notes: Some("x".repeat(2001)),
            ..tick(&route, "2026-03-01", Lead, Send)
        },
        NewTick {
            gym_route_id: Some("g1".into()),
            ..tick(&route, "2026-03-01", Lead, Send)
        },
        NewTick {
            climb_id: None,
            ..tick(&route, "2026-03-01", Lead, Send)
        },
    ] {
        assert!(alice.log_tick(bad).is_err());
    }
    assert_eq!(p.kv.keys().len(), before);
    // Without a date, today.
    let today = alice
        .log_tick(NewTick {
            date: None,
            ..tick(&problem, "", Boulder, Flash)
        })
        .unwrap();
    assert_eq!(today.date, "2026-03-15");
    assert_eq!(today.grade.as_ref().unwrap().system, GradeSystem::VScale);
    // Only alice sees and changes her ticks.
    assert!(bob.get_tick(&t.id).is_err());
    assert!(bob
        .update_tick(&t.id, None, TickChanges::default())
        .is_err());
    assert!(bob.delete_tick(&t.id, None).is_err());
    assert!(bob.list_ticks(None, 50).unwrap().0.is_empty());
    // Updates check the merged record and the version.
    let changes = |style, attempt| TickChanges {
        style: Some(style),
        attempt: Some(attempt),
        ..TickChanges::default()
    };
    assert!(alice
        .update_tick(&t.id, Some(1), changes(Follow, Redpoint))
        .is_err());
    assert!(alice
        .update_tick(
            &t.id,
            Some(1),
            TickChanges {
                style: Some(Follow),
                ..TickChanges::default()
            }
        )
        .is_err());
    assert!(alice
        .update_tick(&t.id, Some(1), changes(Boulder, Send))
        .is_err());
    let u = alice
        .update_tick(
            &t.id,
            Some(1),
            TickChanges {
                stars: Some(3),
                notes: Some("pumpy".into()),
                ..changes(Follow, Send)
            },
        )
        .unwrap();
    assert_eq!(
        (u.version, u.stars, u.notes.as_deref()),
        (2, Some(3), Some("pumpy"))
    );
    let stale = alice.update_tick(&t.id, Some(1), TickChanges::default());
    assert!(matches!(
        stale,
        Err(DomainError::Store(StoreError::VersionConflict {
            current: 2,
            ..
        }))
    ));
    let cleared = alice
        .update_tick(
            &t.id,
            None,
            TickChanges {
                notes: Some(String::new()),
                ..TickChanges::default()
            },
        )
        .unwrap();
    assert_eq!(cleared.notes, None);
    // Delete: record gone, index entry gone.
    assert!(alice.delete_tick(&t.id, Some(1)).is_err());
    alice.delete_tick(&t.id, None).unwrap();
    assert!(alice.get_tick(&t.id).is_err());
    let (left, _) = alice.list_ticks(None, 50).unwrap();
    let left: Vec<Tick> = left.iter().map(|t| t.decode().unwrap()).collect();
    assert_eq!(left.iter().map(|t| &t.id).collect::<Vec<_>>(), [&today.id]);
    let list = ticks_list("alice");
    for key in p.kv.keys() {
        let entry = crate::platform::KeyValue::get(&p.kv, &key).unwrap();
        let names_it = key.ends_with(&t.id) || entry.is_some_and(|e| e == t.id.as_bytes());
        assert!(!(key.contains(&list) && names_it), "{key}");
    }
}

#[test]
fn stats_on_a_small_logbook() {
    use AttemptType::*;
    use TickStyle::*;
    let p = MemoryPlatform::default();
    let (route, problem) = setup(&p);
    let c = Climbing::new(Store::new(&p), "alice");
    for (climb, style, attempt) in [
        (&route, Lead, Attempt),
        (&route, Lead, Redpoint),
        (&route, Lead, Repeat),
        (&route, TopRope, Send),
        (&problem, Boulder, Attempt),
        (&problem, Boulder, Send),
    ] {
        c.log_tick(tick(climb, "2026-02-01", style, attempt))
            .unwrap();
    }
    // A 5.9 onsight and a V2 flash logged with other grades.
    let c2 = Climbing::new(Store::new(&p), "setter");
    let crag = c2.get_climb(&route).unwrap().decode().unwrap().area_id;
    let easy: NewClimb = serde_json::from_value(serde_json::json!({
        "name": "Easy", "area_id": crag, "grades": {"french": "5b"}, "disciplines": ["trad"],
    }))
    .unwrap();
    let easy = c2.create_climb(easy).unwrap();
    c.log_tick(tick(&easy.id, "2025-12-24", Lead, Onsight))
        .unwrap();
    let s = c.logbook_stats(None, None).unwrap();
    assert_eq!((s.ticks, s.sends, s.ungraded_sends), (7, 4, 0));
    assert!(!s.truncated);
    assert_eq!(s.first_date.as_deref(), Some("2025-12-24"));
    assert_eq!(s.last_date.as_deref(), Some("2026-02-01"));
    let count = |a| {
        s.by_attempt
            .iter()
            .find(|c| c.attempt == a)
            .map(|c| c.count)
    };
    assert_eq!(count(Attempt), Some(2));
    assert_eq!(count(Repeat), Some(1));
    assert_eq!(count(Flash), None);
    let lead = s.by_style.iter().find(|c| c.style == Lead).unwrap();
    assert_eq!((lead.ticks, lead.sends), (4, 2));
    // Route pyramid in YDS (the most used route system): 5.11a x2, 5.9 x1.
    let routes = &s.pyramids[0];
    assert_eq!(
        (routes.discipline, routes.system, routes.sends),
        (GradeKind::Route, GradeSystem::Yds, 3)
    );
    let steps: Vec<(&str, u32)> = routes
        .steps
        .iter()
        .map(|s| (s.grade.as_str(), s.sends))
        .collect();
    assert_eq!(steps, [("5.11a", 2), ("5.9", 1)]);
    let boulders = &s.pyramids[1];
    assert_eq!(boulders.system, GradeSystem::VScale);
    assert_eq!(boulders.steps[0].grade, "V5");
    let hardest_lead = s.hardest.iter().find(|h| h.style == Lead).unwrap();
    assert_eq!(hardest_lead.grade.text, "5.11a");
    assert_eq!(hardest_lead.attempt, Redpoint);
    // Asked for French: the same sends in French.
    let s = c
        .logbook_stats(Some(GradeSystem::French), Some(GradeSystem::Font))
        .unwrap();
    assert_eq!(s.pyramids[0].steps[0].grade, "6b+");
    assert_eq!(s.pyramids[1].steps[0].grade, "6C");
    assert!(c.logbook_stats(Some(GradeSystem::Font), None).is_err());
    // Another climber's logbook is empty.
    let bob = Climbing::new(Store::new(&p), "bob");
    let s = bob.logbook_stats(None, None).unwrap();
    assert_eq!((s.ticks, s.pyramids.len()), (0, 0));
}

#[test]
fn repair_checks_one_climbers_logbook() {
    use AttemptType::*;
    use TickStyle::*;
    let p = MemoryPlatform::default();
    let (route, _) = setup(&p);
    let alice = Climbing::new(Store::new(&p), "alice");
    let kept = alice
        .log_tick(tick(&route, "2026-03-01", Lead, Redpoint))
        .unwrap();
    let gone = alice
        .log_tick(tick(&route, "2026-03-02", Lead, Repeat))
        .unwrap();
    // A delete that stopped after removing the record.
    let key =
        p.kv.keys()
            .into_iter()
            .find(|k| *k == format!("x/{}", gone.id))
            .expect("the tick's record key");
    p.kv.data_remove(&key);
    let report = alice.repair_logbook("alice", false).unwrap();
    assert_eq!((report.entries_checked, report.dangling), (2, 1));
    alice.repair_logbook("alice", true).unwrap();
    let report = alice.repair_logbook("alice", false).unwrap();
    assert_eq!((report.entries_checked, report.dangling), (1, 0));
    assert_eq!(alice.get_tick(&kept.id).unwrap().id, kept.id);
    assert_eq!(
        alice.repair_logbook("bob", false).unwrap().entries_checked,
        0
    );
}
