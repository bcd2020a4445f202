//! Deletes, leases, bounded list reads, status transitions, dates and grades.

use super::*;

#[test]
fn deletes_go_children_first_and_clean_their_lists() {
    let p = MemoryPlatform::default();
    let c = gym(&p);
    let f = fixture(&c);
    let r = c
        .create_gym_route(boulder(&f.boulder_wall, "V3", HoldColour::Teal, &[&f.ana]))
        .unwrap();
    let conflict = c.delete_gym_route(&r.id, Some(9));
    assert!(matches!(
        conflict,
        Err(DomainError::Store(StoreError::VersionConflict {
            current: 1,
            ..
        }))
    ));
    c.delete_gym_route(&r.id, Some(1)).unwrap();
    assert!(matches!(
        c.get_gym_route(&r.id),
        Err(DomainError::Store(StoreError::NotFound { .. }))
    ));
    for wall in [&f.boulder_wall, &f.lead_wall] {
        c.delete_wall(&wall.id, None).unwrap();
    }
    for s in [&f.ana, &f.ben] {
        c.delete_setter(&s.id, None).unwrap();
    }
    c.delete_venue(&f.venue.id, Some(1)).unwrap();
    let (venues, _) = c.list_venues(None, 50).unwrap();
    assert!(venues.is_empty());
    // Only the lists' slot counts remain.
    for key in p.kv.keys() {
        assert!(key.starts_with("ec/"), "left behind: {key}");
    }
    for list in [
        venues_list(),
        walls_list(&f.venue.id),
        setters_list(&f.venue.id),
        wall_routes_list(&f.boulder_wall.id),
        current_routes_list(&f.venue.id),
        venue_routes_list(&f.venue.id),
        setter_routes_list(&f.ana.id),
    ] {
        assert!(
            c.index(&list).slice(None, 10).unwrap().ids.is_empty(),
            "{list}"
        );
    }
}

#[test]
fn a_parent_being_deleted_takes_no_children() {
    let p = MemoryPlatform::default();
    let c = gym(&p);
    let f = fixture(&c);
    let until = p.now_ms.get() + DELETE_LEASE_MS;
    c.store
        .update(&f.lead_wall.id, None, |w: &mut Wall| {
            w.deleting_until_ms = Some(until);
            Ok::<(), StoreError>(())
        })
        .unwrap();
    let before = snapshot(&p);
    let mut new = boulder(&f.lead_wall, "6a", HoldColour::Red, &[]);
    new.discipline = GymDiscipline::TopRope;
    new.grade_system = "french".into();
    refused(c.create_gym_route(new.clone()), "being deleted");
    assert_eq!(snapshot(&p), before);
    // A lease left by a crashed delete runs out.
    p.now_ms.set(until + 1);
    c.create_gym_route(new).unwrap();
}

#[test]
fn filtered_lists_read_a_bounded_number_of_entries_per_call() {
    let p = MemoryPlatform::default();
    let c = gym(&p);
    let f = fixture(&c);
    for _ in 0..FILTER_SCAN_ENTRIES + 20 {
        c.create_gym_route(boulder(&f.boulder_wall, "V0", HoldColour::White, &[]))
            .unwrap();
    }
    let last = c
        .create_gym_route(boulder(&f.boulder_wall, "V9", HoldColour::Black, &[]))
        .unwrap();
    let q = RouteQuery {
        hold_colour: Some(HoldColour::Black),
        ..RouteQuery::new(RouteScope::Wall(f.boulder_wall.id.clone()))
    };
    let ops = p.kv.ops.get();
    let (items, next) = c.list_gym_routes(&q, None, 10).unwrap();
    assert!(items.is_empty());
    assert!(next.is_some());
    assert!(
        p.kv.ops.get() - ops < 30,
        "{} KV calls",
        p.kv.ops.get() - ops
    );
    let (items, next) = c.list_gym_routes(&q, next.as_ref(), 10).unwrap();
    assert_eq!(items, [last]);
    assert!(next.is_none());
    // Unfiltered pages cost O(page): one index page and one batch read.
    let plain = RouteQuery {
        status: StatusFilter::Any,
        ..RouteQuery::new(RouteScope::Venue(f.venue.id.clone()))
    };
    let ops = p.kv.ops.get();
    let (items, next) = c.list_gym_routes(&plain, None, 50).unwrap();
    assert_eq!(items.len(), 50);
    assert!(next.is_some());
    assert_eq!(p.kv.ops.get() - ops, 2);
}

#[test]
fn status_transitions_and_updates() {
    let p = MemoryPlatform::default();
    let c = gym(&p);
    let f = fixture(&c);
    let r = c
        .create_gym_route(boulder(&f.boulder_wall, "V2", HoldColour::Brown, &[]))
        .unwrap();
    let status = |to: RouteStatus| GymRouteChanges {
        status: Some(to),
        ..Default::default()
    };
    use RouteStatus::*;
    for to in [Closed, Set, Set, Closed] {
        assert_eq!(
            c.update_gym_route(&r.id, None, status(to)).unwrap().status,
            to
        );
    }
    let gone = c
        .update_gym_route(
            &r.id,
            None,
            GymRouteChanges {
                status: Some(Stripped),
                stripped_on: Some("2025-03-10".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(gone.stripped_on.as_deref(), Some("2025-03-10"));
    assert!(c
        .index(&current_routes_list(&f.venue.id))
        .slice(None, 10)
        .unwrap()
        .ids
        .is_empty());
    // The strip date can be corrected; the status cannot go back.
    let fixed = c
        .update_gym_route(
            &r.id,
            None,
            GymRouteChanges {
                status: Some(Stripped),
                stripped_on: Some("2025-03-12".into()),
                notes: Some("came down with the cave reset".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(fixed.stripped_on.as_deref(), Some("2025-03-12"));
    refused(
        c.update_gym_route(&r.id, None, status(Set)),
        "create a new route",
    );

    let wall = c
        .update_wall(
            &f.lead_wall.id,
            Some(1),
            WallChanges {
                kind: Some(WallKind::AutoBelay),
                angle_degrees: Some(85.0),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (wall.kind, wall.angle, wall.version),
        (WallKind::AutoBelay, Some(WallAngle::Roof), 2)
    );
    let ana = c
        .update_setter(
            &f.ana.id,
            Some(1),
            SetterChanges {
                active: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!ana.active);
    assert!(matches!(
        c.update_setter(&f.ana.id, Some(1), SetterChanges::default()),
        Err(DomainError::Store(StoreError::VersionConflict {
            current: 2,
            ..
        }))
    ));
    let venue = c
        .update_venue(
            &f.venue.id,
            Some(1),
            VenueChanges {
                notes: Some("Closed Mondays".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(venue.city.as_deref(), Some("Leeds"));
    assert_eq!(venue.notes.as_deref(), Some("Closed Mondays"));
}

#[test]
fn dates_and_grades() {
    assert_eq!(date_of_ms(0), "1970-01-01");
    assert_eq!(date_of_ms(1_709_164_800_000), "2024-02-29");
    assert!(date("d", "2024-02-29").is_ok());
    assert!(date("d", "2023-02-29").is_err());
    assert!(date("d", "2023-13-01").is_err());
    assert!(date("d", "2023-1-01").is_err());
    assert_eq!(
        months("2024-11-15", "2025-02-01"),
        ["2024-11", "2024-12", "2025-01", "2025-02"]
    );
    assert_eq!(months_before("2025-03-14", 11), "2024-04-01");
    assert_eq!(months_before("2025-01-01", 0), "2025-01-01");
    let v = |g| grade_score("vscale", g).unwrap();
    assert!(v("VB") < v("V0") && v("V0") < v("V3") && v("V3") < v("V10"));
    let fr = |g| grade_score("french", g).unwrap();
    assert!(fr("5c") < fr("6a") && fr("6a") < fr("6a+") && fr("6a+") < fr("6b"));
    assert_eq!(grade_score("vscale", "V99"), None);
    assert_eq!(grade_score("gym_circuit", "blue"), None);
}
