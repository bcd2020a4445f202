//! Tests of the gym domain, by topic.

mod changes;
mod lifecycle;

use super::*;
use crate::platform::memory::MemoryPlatform;
use crate::platform::KeyValue;
use crate::store::index::IndexList;
use crate::store::{Store, StoreError};

impl Climbing<'_> {
    fn index(&self, name: &str) -> IndexList<'_> {
        IndexList::new(self.store.kv(), name)
    }
}

fn gym(p: &MemoryPlatform) -> Climbing<'_> {
    Climbing::new(Store::new(p), "tester")
}

/// Every key and value in the store, to prove a refusal wrote nothing.
fn snapshot(p: &MemoryPlatform) -> Vec<(String, Option<Vec<u8>>)> {
    p.kv.keys()
        .into_iter()
        .map(|k| {
            let v = p.kv.get(&k).unwrap();
            (k, v)
        })
        .collect()
}

fn refused<T: std::fmt::Debug>(r: DomainResult<T>, needle: &str) -> String {
    match r {
        Err(DomainError::Invalid(m)) => {
            assert!(m.contains(needle), "message {m:?} lacks {needle:?}");
            m
        }
        other => panic!("expected a refusal containing {needle:?}, got {other:?}"),
    }
}

struct Fixture {
    venue: Venue,
    boulder_wall: Wall,
    lead_wall: Wall,
    ana: Setter,
    ben: Setter,
}

fn fixture(c: &Climbing) -> Fixture {
    let venue = c
        .create_venue(NewVenue {
            name: "  Crimp City ".into(),
            city: Some("Leeds".into()),
            country: Some("UK".into()),
            location: Some(LatLng {
                lat: 53.8,
                lng: -1.55,
            }),
            website: Some("https://crimp.example".into()),
            notes: None,
        })
        .unwrap();
    assert_eq!(venue.name, "Crimp City");
    let wall = |name: &str, kind: WallKind, degrees: Option<f64>| NewWall {
        venue_id: venue.id.clone(),
        name: name.into(),
        kind,
        angle: None,
        angle_degrees: degrees,
        height_m: Some(4.5),
        notes: None,
    };
    let boulder_wall = c
        .create_wall(wall("The Cave", WallKind::Boulder, Some(40.0)))
        .unwrap();
    assert_eq!(boulder_wall.angle, Some(WallAngle::Overhang));
    let lead_wall = c
        .create_wall(wall("Lead 1", WallKind::Lead, Some(0.0)))
        .unwrap();
    let setter = |name: &str| NewSetter {
        venue_id: venue.id.clone(),
        name: name.into(),
        active: None,
    };
    let ana = c.create_setter(setter("Ana")).unwrap();
    let ben = c.create_setter(setter("Ben")).unwrap();
    assert!(ana.active);
    Fixture {
        venue,
        boulder_wall,
        lead_wall,
        ana,
        ben,
    }
}

fn boulder(wall: &Wall, grade: &str, colour: HoldColour, setters: &[&Setter]) -> NewGymRoute {
    NewGymRoute {
        wall_id: wall.id.clone(),
        hold_colour: colour,
        grade: grade.into(),
        grade_system: "vscale".into(),
        discipline: GymDiscipline::Boulder,
        setter_ids: setters.iter().map(|s| s.id.clone()).collect(),
        set_on: "2025-03-01".into(),
        strip_on: Some("2025-04-01".into()),
        name: None,
        notes: None,
    }
}

fn all_routes(c: &Climbing, q: &RouteQuery, limit: usize) -> Vec<GymRoute> {
    let mut out = Vec::new();
    let mut from = None;
    loop {
        let (items, next) = c.list_gym_routes(q, from.as_ref(), limit).unwrap();
        out.extend(items);
        match next {
            Some(p) => from = Some(p),
            None => return out,
        }
    }
}

#[test]
fn a_venue_with_walls_setters_and_routes() {
    let p = MemoryPlatform::default();
    let c = gym(&p);
    let f = fixture(&c);
    let (walls, next) = c.list_walls(&f.venue.id, None, 50).unwrap();
    assert_eq!(
        walls.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(),
        ["The Cave", "Lead 1"]
    );
    assert!(next.is_none());
    let (setters, _) = c.list_setters(&f.venue.id, None, 50).unwrap();
    assert_eq!(setters.len(), 2);
    let (venues, _) = c.list_venues(None, 50).unwrap();
    assert_eq!(venues.len(), 1);

    use HoldColour::*;
    let grades = [
        ("V2", Yellow),
        ("V3", Green),
        ("V4", Blue),
        ("V4", Red),
        ("V5", Black),
        ("V7", Purple),
    ];
    let mut routes = Vec::new();
    for (i, (grade, colour)) in grades.iter().enumerate() {
        let setters: Vec<&Setter> = if i % 2 == 0 {
            vec![&f.ana]
        } else {
            vec![&f.ana, &f.ben]
        };
        routes.push(
            c.create_gym_route(boulder(&f.boulder_wall, grade, *colour, &setters))
                .unwrap(),
        );
    }
    let lead = c
        .create_gym_route(NewGymRoute {
            wall_id: f.lead_wall.id.clone(),
            hold_colour: White,
            grade: "6b+".into(),
            grade_system: "French".into(),
            discipline: GymDiscipline::Lead,
            setter_ids: vec![f.ben.id.clone(), f.ben.id.clone()],
            set_on: "2025-02-10".into(),
            strip_on: Some("2025-03-20".into()),
            name: Some("Pocket Rocket".into()),
            notes: None,
        })
        .unwrap();
    assert_eq!(lead.grade_system, "french");
    assert_eq!(lead.setter_ids, std::slice::from_ref(&f.ben.id));
    assert_eq!(lead.venue_id, f.venue.id);
    assert_eq!(lead.status, RouteStatus::Set);

    // Lists: a wall, the venue, filters, small pages.
    let venue_q = RouteQuery::new(RouteScope::Venue(f.venue.id.clone()));
    assert_eq!(all_routes(&c, &venue_q, 2).len(), 7);
    let wall_q = RouteQuery::new(RouteScope::Wall(f.boulder_wall.id.clone()));
    assert_eq!(all_routes(&c, &wall_q, 4).len(), 6);
    let q = RouteQuery {
        discipline: Some(GymDiscipline::Lead),
        ..venue_q.clone()
    };
    assert_eq!(all_routes(&c, &q, 50), std::slice::from_ref(&lead));
    let q = RouteQuery {
        grade_system: Some("vscale".into()),
        min_grade: Some("V3".into()),
        max_grade: Some("V5".into()),
        ..venue_q.clone()
    };
    let mid: Vec<String> = all_routes(&c, &q, 1).into_iter().map(|r| r.grade).collect();
    assert_eq!(mid, ["V3", "V4", "V4", "V5"]);
    let q = RouteQuery {
        hold_colour: Some(Blue),
        ..wall_q.clone()
    };
    assert_eq!(all_routes(&c, &q, 50).len(), 1);
    let q = RouteQuery {
        setter_id: Some(f.ben.id.clone()),
        ..venue_q.clone()
    };
    assert_eq!(all_routes(&c, &q, 50).len(), 4);

    // Close one, reopen it; strip two.
    let closed = c
        .update_gym_route(
            &routes[0].id,
            Some(1),
            GymRouteChanges {
                status: Some(RouteStatus::Closed),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((closed.status, closed.version), (RouteStatus::Closed, 2));
    let q = RouteQuery {
        status: StatusFilter::Closed,
        ..venue_q.clone()
    };
    assert_eq!(all_routes(&c, &q, 50).len(), 1);
    let stripped = c
        .strip_gym_routes(
            &[routes[1].id.clone(), routes[2].id.clone()],
            Some("2025-04-02"),
        )
        .unwrap();
    assert!(stripped.iter().all(|s| s.changed
        && s.route.status == RouteStatus::Stripped
        && s.route.stripped_on.as_deref() == Some("2025-04-02")));
    // Stripping again changes nothing.
    let again = c.strip_gym_routes(&[routes[1].id.clone()], None).unwrap();
    assert!(!again[0].changed);
    assert_eq!(again[0].route.version, stripped[0].route.version);
    assert_eq!(all_routes(&c, &venue_q, 50).len(), 5);
    let q = RouteQuery {
        status: StatusFilter::Stripped,
        ..venue_q.clone()
    };
    assert_eq!(all_routes(&c, &q, 50).len(), 2);
    let q = RouteQuery {
        status: StatusFilter::Any,
        ..wall_q.clone()
    };
    assert_eq!(all_routes(&c, &q, 50).len(), 6);
    // The current set no longer lists stripped routes at all.
    let current = c
        .index(&current_routes_list(&f.venue.id))
        .slice(None, 50)
        .unwrap();
    assert_eq!(current.ids.len(), 5);

    // Due for strip: the lead route (03-20) and the boulders (04-01) still up.
    let due = c
        .routes_due_for_strip(&f.venue.id, Some("2025-03-31"), 50)
        .unwrap();
    assert_eq!(due.routes, std::slice::from_ref(&lead));
    assert!(due.complete);
    let due = c
        .routes_due_for_strip(&f.venue.id, Some("2025-04-01"), 2)
        .unwrap();
    assert_eq!(due.total_due, 5);
    assert_eq!(due.routes.len(), 2);
    assert_eq!(due.routes[0].id, lead.id);

    // Distribution of what is up: V2 (closed), V4 red, V5, V7 boulders; 6b+ lead.
    let dist = c.venue_grade_distribution(&f.venue.id, None).unwrap();
    assert_eq!(dist.total_routes, 5);
    let boulders = &dist.disciplines[0];
    assert_eq!(boulders.discipline, GymDiscipline::Boulder);
    let spread: Vec<(&str, usize, usize)> = boulders
        .grades
        .iter()
        .map(|g| (g.grade.as_str(), g.count, g.closed))
        .collect();
    assert_eq!(
        spread,
        [("V2", 1, 1), ("V4", 1, 0), ("V5", 1, 0), ("V7", 1, 0)]
    );
    assert_eq!(dist.disciplines[1].discipline, GymDiscipline::Lead);
    let only_lead = c
        .venue_grade_distribution(&f.venue.id, Some(GymDiscipline::Lead))
        .unwrap();
    assert_eq!(only_lead.total_routes, 1);

    // Setter stats count stripped routes too.
    let stats = c
        .setter_stats(&f.venue.id, Some("2025-01-01"), Some("2025-03-31"))
        .unwrap();
    assert_eq!(stats.total_routes, 7);
    assert_eq!(stats.unattributed_routes, 0);
    assert_eq!(stats.setters[0].setter_id, f.ana.id);
    assert_eq!(stats.setters[0].routes, 6);
    assert_eq!(stats.setters[1].name.as_deref(), Some("Ben"));
    assert_eq!(stats.setters[1].routes, 4);
    let march = c
        .setter_stats(&f.venue.id, Some("2025-03-01"), Some("2025-03-01"))
        .unwrap();
    assert_eq!(march.total_routes, 6);
    assert!(march.complete);
}
