//! Records whose parent is gone: sub-areas, climbs and media under a deleted
//! area, media of a deleted climb.
//!
//! Walking the tree from the top never meets them (their parent is not in it),
//! and the store has no key scan. So every delete of an area or a climb leaves a
//! tombstone: its id in the `dx` list and a copy of the deleted record under
//! `dr/<id>`. `find_orphans` pages through the tombstones and looks in the lists
//! the deleted record owned (`ac/`, `cl/`, `ml/`) for records that still name it.
//! With `fix`, a deleted area that still has sub-areas or climbs is put back from
//! its copy (so they sit somewhere valid again, and an admin can move them),
//! media of deleted records are removed, and tombstones with nothing left under
//! them are dropped.

use super::area::{children_list, Area};
use super::climb::{climbs_list, Climb};
use super::media::{media_list, Media};
use super::{validate, Climbing, DomainError, DomainResult};
use crate::store::index::{IndexList, Position};
use crate::store::{keys, StoreError};
use serde::Serialize;

/// The list of tombstones: `a:<id>` for a deleted area, `c:<id>` for a climb.
pub const DELETED_LIST: &str = "dx";

fn copy_key(id: &str) -> String {
    format!("dr/{id}")
}

#[derive(Debug, Default, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct OrphanReport {
    /// Deleted areas and climbs looked at on this page.
    pub tombstones_checked: usize,
    /// Sub-areas whose parent area is deleted.
    pub orphan_areas: usize,
    /// Climbs whose area is deleted.
    pub orphan_climbs: usize,
    /// Media whose area or climb is deleted.
    pub orphan_media: usize,
    /// Deleted areas put back (with fix) because records were still under them.
    pub restored_areas: Vec<String>,
    /// Whether the problems were fixed (false: only reported).
    pub fixed: bool,
    /// Where the next page of tombstones starts; absent on the last page.
    #[serde(skip)]
    pub next: Option<Position>,
}

impl Climbing<'_> {
    /// Leaves a tombstone for a deleted area (`kind` 'a') or climb ('c'), with a
    /// copy of the record so a repair can put it back.
    pub(crate) fn note_deleted<R: Serialize>(
        &self,
        kind: char,
        id: &str,
        record: &R,
    ) -> DomainResult<()> {
        self.store
            .kv()
            .set(&copy_key(id), &crate::store::encode(record))?;
        IndexList::new(self.store.kv(), DELETED_LIST).add(&format!("{kind}:{id}"))?;
        Ok(())
    }

    /// Checks one page of tombstones for records left under them.
    pub fn find_orphans(&self, from: Option<&Position>, fix: bool) -> DomainResult<OrphanReport> {
        let tombstones = IndexList::new(self.store.kv(), DELETED_LIST);
        let slice = tombstones.slice(from, validate::MAX_PAGE)?;
        let mut report = OrphanReport {
            fixed: fix,
            next: slice.next,
            ..Default::default()
        };
        for entry in slice.ids {
            report.tombstones_checked += 1;
            let Some((kind, id)) = entry.split_once(':') else {
                continue;
            };
            let done = match kind {
                "a" => self.orphans_of_area(id, fix, &mut report)?,
                "c" => self.orphans_of_climb(id, fix, &mut report)?,
                _ => true,
            };
            if fix && done {
                tombstones.remove(&entry)?;
                self.store.kv().delete(&copy_key(id))?;
            }
        }
        Ok(report)
    }

    /// Returns whether the tombstone can go: nothing is (or, fixed, remains)
    /// under the deleted area.
    fn orphans_of_area(
        &self,
        id: &str,
        fix: bool,
        report: &mut OrphanReport,
    ) -> DomainResult<bool> {
        if self.store.get::<Area>(id)?.is_some() {
            // Put back (by delete_area itself, or an earlier repair): not deleted.
            return Ok(true);
        }
        let kv = self.store.kv();
        let areas: Vec<Area> = self.live(&children_list(Some(id)))?;
        let areas = areas
            .iter()
            .filter(|a| a.parent_id.as_deref() == Some(id))
            .count();
        let climbs: Vec<Climb> = self.live(&climbs_list(id))?;
        let climbs = climbs.iter().filter(|c| c.area_id == id).count();
        report.orphan_areas += areas;
        report.orphan_climbs += climbs;
        let media_done = self.orphan_media(id, fix, report)?;
        if areas + climbs == 0 {
            return Ok(media_done);
        }
        if !fix {
            return Ok(false);
        }
        let Some(bytes) = kv.get(&copy_key(id))? else {
            return Ok(false);
        };
        let area: Area = crate::store::decode_record(&copy_key(id), &bytes)?;
        // Back under its parent (still listed there unless the delete finished).
        IndexList::new(kv, children_list(area.parent_id.as_deref())).add(id)?;
        kv.set(&keys::record::<Area>(id), &bytes)?;
        report.restored_areas.push(id.to_owned());
        self.record_change(
            "area",
            id,
            super::history::Action::Created,
            format!("restored \"{}\": records were still under it", area.name),
        )?;
        Ok(true)
    }

    fn orphans_of_climb(
        &self,
        id: &str,
        fix: bool,
        report: &mut OrphanReport,
    ) -> DomainResult<bool> {
        if self.store.get::<Climb>(id)?.is_some() {
            return Ok(true);
        }
        self.orphan_media(id, fix, report)
    }

    /// Media of a deleted area or climb: counted, and removed with `fix`.
    fn orphan_media(
        &self,
        entity_id: &str,
        fix: bool,
        report: &mut OrphanReport,
    ) -> DomainResult<bool> {
        let media: Vec<Media> = self.live(&media_list(entity_id))?;
        let media: Vec<Media> = media
            .into_iter()
            .filter(|m| m.entity_id == entity_id)
            .collect();
        report.orphan_media += media.len();
        if !fix {
            return Ok(media.is_empty());
        }
        for m in media {
            self.store
                .delete_listed(&m.id, None, |_: &Media| Ok(()), |_| Ok(()))
                .map(|_| ())
                .or_else(|e| match e {
                    // Removed meanwhile: nothing left to fix.
                    DomainError::Store(StoreError::NotFound { .. }) => Ok(()),
                    e => Err(e),
                })?;
        }
        Ok(true)
    }

    /// The live records of a list, every page of it.
    fn live<R: crate::store::Record>(&self, list: &str) -> DomainResult<Vec<R>> {
        let mut out = Vec::new();
        let mut from = None;
        loop {
            let (page, next) = self
                .store
                .page::<R>(list, from.as_ref(), validate::MAX_PAGE)?;
            out.extend(page);
            match next {
                Some(n) => from = Some(n),
                None => return Ok(out),
            }
        }
    }
}
