//! Moving, recrediting and refusing changes to routes.

use super::*;

#[test]
fn moving_and_recrediting_a_route_moves_its_index_entries() {
    let p = MemoryPlatform::default();
    let c = gym(&p);
    let f = fixture(&c);
    let other_boulders = c
        .create_wall(NewWall {
            venue_id: f.venue.id.clone(),
            name: "Slab".into(),
            kind: WallKind::Training,
            angle: None,
            angle_degrees: Some(-10.0),
            height_m: None,
            notes: None,
        })
        .unwrap();
    assert_eq!(other_boulders.angle, Some(WallAngle::Slab));
    let r = c
        .create_gym_route(boulder(&f.boulder_wall, "V1", HoldColour::Pink, &[&f.ana]))
        .unwrap();
    let moved = c
        .update_gym_route(
            &r.id,
            None,
            GymRouteChanges {
                wall_id: Some(other_boulders.id.clone()),
                setter_ids: Some(vec![f.ben.id.clone()]),
                set_on: Some("2025-05-02".into()),
                strip_on: Some("2025-06-01".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(moved.wall_id, other_boulders.id);
    let ids = |list: String| c.index(&list).slice(None, 50).unwrap().ids;
    assert!(ids(wall_routes_list(&f.boulder_wall.id)).is_empty());
    assert_eq!(
        ids(wall_routes_list(&other_boulders.id)),
        std::slice::from_ref(&r.id)
    );
    assert!(ids(setter_routes_list(&f.ana.id)).is_empty());
    assert_eq!(
        ids(setter_routes_list(&f.ben.id)),
        std::slice::from_ref(&r.id)
    );
    assert!(ids(month_routes_list(&f.venue.id, "2025-03")).is_empty());
    assert_eq!(
        ids(month_routes_list(&f.venue.id, "2025-05")),
        std::slice::from_ref(&r.id)
    );
    // Ana is credited nowhere now, so she can go; Ben cannot.
    c.delete_setter(&f.ana.id, None).unwrap();
    refused(c.delete_setter(&f.ben.id, None), "update_setter");
}

#[test]
fn refusals_change_nothing() {
    let p = MemoryPlatform::default();
    let c = gym(&p);
    let f = fixture(&c);
    let other = c
        .create_venue(NewVenue {
            name: "Other Gym".into(),
            ..Default::default()
        })
        .unwrap();
    let stranger = c
        .create_setter(NewSetter {
            venue_id: other.id.clone(),
            name: "Stranger".into(),
            active: Some(false),
        })
        .unwrap();
    let route = c
        .create_gym_route(boulder(
            &f.boulder_wall,
            "V3",
            HoldColour::Orange,
            &[&f.ana],
        ))
        .unwrap();
    let before = snapshot(&p);

    refused(
        c.create_wall(NewWall {
            venue_id: "nope".into(),
            name: "W".into(),
            kind: WallKind::Lead,
            angle: None,
            angle_degrees: None,
            height_m: None,
            notes: None,
        }),
        "create_venue",
    );
    refused(
        c.create_setter(NewSetter {
            venue_id: "nope".into(),
            name: "S".into(),
            active: None,
        }),
        "is not an existing venue",
    );
    refused(
        c.create_gym_route(boulder(
            &f.boulder_wall,
            "V4",
            HoldColour::Red,
            &[&f.ana, &stranger],
        )),
        "another venue",
    );
    refused(
        c.create_gym_route(NewGymRoute {
            strip_on: Some("2025-02-01".into()),
            ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
        }),
        "before set_on",
    );
    refused(
        c.create_gym_route(NewGymRoute {
            set_on: "2025-02-30".into(),
            ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
        }),
        "YYYY-MM-DD",
    );
    refused(
        c.create_gym_route(NewGymRoute {
            wall_id: "missing".into(),
            ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
        }),
        "is not an existing wall",
    );
    refused(
        c.create_gym_route(boulder(&f.lead_wall, "V4", HoldColour::Red, &[])),
        "boulder or training wall",
    );
    refused(
        c.create_gym_route(NewGymRoute {
            grade: "an extremely hard grade".into(),
            ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
        }),
        "not a grade",
    );
    refused(
        c.create_gym_route(NewGymRoute {
            grade_system: "V scale!".into(),
            ..boulder(&f.boulder_wall, "V4", HoldColour::Red, &[])
        }),
        "grading system",
    );
    // A colour outside the list does not even parse, and says which ones exist.
    let mut bad = serde_json::json!({
        "wall_id": f.boulder_wall.id, "hold_colour": "chartreuse", "grade": "V1",
        "grade_system": "vscale", "discipline": "boulder", "set_on": "2025-03-01"
    });
    let e = serde_json::from_value::<NewGymRoute>(bad.clone()).unwrap_err();
    assert!(e.to_string().contains("purple"), "{e}");
    bad["hold_colour"] = "gray".into();
    assert_eq!(
        serde_json::from_value::<NewGymRoute>(bad)
            .unwrap()
            .hold_colour,
        HoldColour::Grey
    );
    refused(
        c.create_venue(NewVenue {
            name: "X".into(),
            website: Some("crimp.example".into()),
            ..Default::default()
        }),
        "https://",
    );
    refused(
        c.create_wall(NewWall {
            venue_id: f.venue.id.clone(),
            name: "W".into(),
            kind: WallKind::Lead,
            angle: None,
            angle_degrees: None,
            height_m: Some(0.0),
            notes: None,
        }),
        "height_m",
    );

    // Updates: stale version, bad transitions, strip before set.
    let conflict = c.update_gym_route(
        &route.id,
        Some(7),
        GymRouteChanges {
            grade: Some("V5".into()),
            ..Default::default()
        },
    );
    match conflict {
        Err(DomainError::Store(StoreError::VersionConflict { current: 1, .. })) => {}
        other => panic!("expected a version conflict, got {other:?}"),
    }
    refused(
        c.update_gym_route(
            &route.id,
            None,
            GymRouteChanges {
                strip_on: Some("2025-01-01".into()),
                ..Default::default()
            },
        ),
        "before set_on",
    );
    refused(
        c.update_gym_route(
            &route.id,
            None,
            GymRouteChanges {
                setter_ids: Some(vec![stranger.id.clone()]),
                ..Default::default()
            },
        ),
        "another venue",
    );
    refused(
        c.update_gym_route(
            &route.id,
            None,
            GymRouteChanges {
                discipline: Some(GymDiscipline::Lead),
                ..Default::default()
            },
        ),
        "lead, top_rope or auto_belay wall",
    );
    refused(
        c.update_gym_route(
            &route.id,
            None,
            GymRouteChanges {
                stripped_on: Some("2025-05-01".into()),
                ..Default::default()
            },
        ),
        "status stripped",
    );
    refused(
        c.strip_gym_routes(std::slice::from_ref(&route.id), Some("2025-02-01")),
        "nothing was stripped",
    );
    refused(
        c.strip_gym_routes(&[route.id.clone(), "ghost".into()], None),
        "ghost",
    );
    refused(c.strip_gym_routes(&[], None), "1 to 100");

    // Deletes of things still in use, and bad queries.
    refused(c.delete_venue(&f.venue.id, None), "delete_wall");
    refused(c.delete_wall(&f.boulder_wall.id, None), "delete_gym_route");
    refused(c.delete_setter(&f.ana.id, None), "inactive");
    refused(c.delete_venue(&other.id, None), "delete_setter");
    let q = RouteQuery {
        min_grade: Some("V3".into()),
        ..RouteQuery::new(RouteScope::Venue(f.venue.id.clone()))
    };
    refused(c.list_gym_routes(&q, None, 10), "grade_system");
    let q = RouteQuery {
        grade_system: Some("vscale".into()),
        min_grade: Some("V6".into()),
        max_grade: Some("V2".into()),
        ..q
    };
    refused(c.list_gym_routes(&q, None, 10), "swap");
    refused(
        c.setter_stats(&f.venue.id, Some("2020-01-01"), Some("2025-01-01")),
        "36 months",
    );
    refused(
        c.setter_stats(&f.venue.id, Some("2025-02-01"), Some("2025-01-01")),
        "after to",
    );
    assert_eq!(snapshot(&p), before);

    // Stripped is final: a refusal there changes nothing either.
    let stripped = c
        .strip_gym_routes(std::slice::from_ref(&route.id), Some("2025-03-05"))
        .unwrap();
    let before = snapshot(&p);
    for to in [RouteStatus::Set, RouteStatus::Closed] {
        refused(
            c.update_gym_route(
                &route.id,
                Some(stripped[0].route.version),
                GymRouteChanges {
                    status: Some(to),
                    ..Default::default()
                },
            ),
            "stripped is final",
        );
    }
    assert_eq!(snapshot(&p), before);
}
