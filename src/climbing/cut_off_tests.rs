//! Lists after writes cut off halfway. A move writes its new entry, then the
//! record, then removes the old entry; a delete removes the record, then its
//! entries. A crash between the steps leaves an entry behind: readers skip it, so
//! nothing is listed twice or where it no longer is, and no check mistakes the
//! leftover (or its absence) for the list's contents.

use super::area::{children_list, AreaKind};
use super::climb::climbs_list;
use super::tests::{area, climbing, new_climb};
use super::{search, Climbing, LatLng};
use crate::platform::memory::MemoryPlatform;
use crate::store::index::{self, IndexList};
use std::collections::HashMap;

/// Every climb id of `area_id`'s subtree, page by page (pages of `limit`).
fn subtree_ids(c: &Climbing, area_id: &str, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut from = None;
    loop {
        let (page, next) = c.list_subtree_climbs(area_id, from, limit).unwrap();
        ids.extend(page.iter().map(|s| s.decode().unwrap().id));
        match next {
            Some(n) => from = Some(n),
            None => return ids,
        }
    }
}

fn counts(ids: &[String]) -> HashMap<&str, usize> {
    let mut n = HashMap::new();
    for id in ids {
        *n.entry(id.as_str()).or_default() += 1;
    }
    n
}

/// The entry a move leaves in the list it moved out of when it stops before
/// removing it.
fn leave_entry(p: &MemoryPlatform, list: String, id: &str) {
    IndexList::new(&p.kv, list).add(id).unwrap();
}

#[test]
fn a_climb_moved_away_is_listed_once_where_it_is() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let fr = area(&c, "France", AreaKind::Country, None, None);
    let crag = area(&c, "Buoux", AreaKind::Crag, Some(&fr), None);
    let sector = area(&c, "Bout du Monde", AreaKind::Sector, Some(&crag), None);
    let moved = c.create_climb(new_climb("Rose des Sables", &crag)).unwrap();
    let stays = c.create_climb(new_climb("Chouca", &crag)).unwrap();
    c.move_climb(&moved.id, &sector, None).unwrap();
    leave_entry(&p, climbs_list(&crag), &moved.id);

    for limit in [1, 2, 50] {
        let ids = subtree_ids(&c, &crag, limit);
        assert_eq!(ids.len(), 2, "pages of {limit}: {ids:?}");
        assert!(counts(&ids).values().all(|n| *n == 1), "{ids:?}");
    }
    let (own, _) = c.list_climbs(&crag, None, 50).unwrap();
    let own: Vec<String> = own.iter().map(|s| s.decode().unwrap().id).collect();
    assert_eq!(own, [stays.id], "the crag's own climbs");
    let (own, _) = c.list_climbs(&sector, None, 50).unwrap();
    assert_eq!(own.len(), 1);
}

#[test]
fn an_area_moved_away_is_walked_once_where_it_is() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let fr = area(&c, "France", AreaKind::Country, None, None);
    let buoux = area(&c, "Buoux", AreaKind::Crag, Some(&fr), None);
    let orgon = area(&c, "Orgon", AreaKind::Crag, Some(&fr), None);
    let sector = area(&c, "Styx", AreaKind::Sector, Some(&buoux), None);
    c.create_climb(new_climb("La Rage de Vivre", &sector))
        .unwrap();
    c.move_area(&sector, Some(&orgon), None).unwrap();
    leave_entry(&p, children_list(Some(&buoux)), &sector);

    let (children, _) = c.list_areas(Some(&buoux), None, 50).unwrap();
    assert!(children.is_empty(), "{children:?}");
    assert!(subtree_ids(&c, &buoux, 50).is_empty());
    assert_eq!(subtree_ids(&c, &fr, 50).len(), 1, "once, under Orgon");
    // Buoux is empty: the leftover entry does not block its deletion.
    c.delete_area(&buoux, None).unwrap();
}

#[test]
fn a_leftover_entry_first_in_a_list_does_not_hide_what_follows() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let fr = area(&c, "France", AreaKind::Country, None, None);
    let crag = area(&c, "Céüse", AreaKind::Crag, Some(&fr), None);
    let elsewhere = area(&c, "Orgon", AreaKind::Crag, Some(&fr), None);
    let gone = c.create_climb(new_climb("Biographie", &crag)).unwrap();
    let moved = c.create_climb(new_climb("Realization", &crag)).unwrap();
    let stays = c.create_climb(new_climb("Dures Limites", &crag)).unwrap();
    // A delete that stopped after the record, and a move before its last step.
    p.kv.data_remove(&format!("c/{}", gone.id));
    c.move_climb(&moved.id, &elsewhere, None).unwrap();
    leave_entry(&p, climbs_list(&crag), &moved.id);

    let refused = c.delete_area(&crag, None).unwrap_err().to_string();
    assert!(refused.contains("Dures Limites"), "{refused}");
    c.delete_climb(&stays.id, None).unwrap();
    c.delete_area(&crag, None).unwrap();
}

#[test]
fn a_walk_reads_on_past_removed_sub_areas() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let fr = area(&c, "France", AreaKind::Country, None, None);
    let crag = area(&c, "Saint-Léger", AreaKind::Crag, Some(&fr), None);
    let removed: Vec<String> = (0..20)
        .map(|i| {
            area(
                &c,
                &format!("Sector {i}"),
                AreaKind::Sector,
                Some(&crag),
                None,
            )
        })
        .collect();
    let last = area(&c, "La Cascade", AreaKind::Sector, Some(&crag), None);
    let climb = c.create_climb(new_climb("Bah Bah Bah", &last)).unwrap();
    for id in &removed {
        c.delete_area(id, None).unwrap();
    }
    assert_eq!(subtree_ids(&c, &crag, 50), [climb.id]);
}

#[test]
fn an_area_moved_to_another_map_cell_is_near_once() {
    let p = MemoryPlatform::default();
    let c = climbing(&p);
    let fr = area(&c, "France", AreaKind::Country, None, None);
    let crag = area(&c, "Orgon", AreaKind::Crag, Some(&fr), Some((43.79, 5.04)));
    // Its entry under where it was before a move of its location stopped short.
    let before = LatLng {
        lat: 44.2,
        lng: 5.3,
    };
    let entry = search::entry('a', &crag);
    index::add_all(&p.kv, &[search::location_listing(before, &entry)]).unwrap();

    let at = LatLng {
        lat: 44.0,
        lng: 5.2,
    };
    let near = c.areas_near(at, 90.0, &[], 10).unwrap();
    let ids: Vec<&str> = near.iter().map(|(a, _)| a.id.as_str()).collect();
    assert_eq!(ids, [crag.as_str()]);
}
