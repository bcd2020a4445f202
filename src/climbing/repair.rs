//! Index repair: walks an area's lists and drops entries that point nowhere.
//!
//! Write order keeps every record in its indexes, so the only damage a crash or a
//! lost race can leave is an entry whose record is gone (a delete stopped before
//! its index update) or that points to a record now elsewhere (a move stopped
//! before removing the old entry). Readers already skip both; repair removes them.
//! One call checks one area's lists; the caller walks the tree with the child ids
//! it returns, so no call reads more than one area's lists.

use super::area::{children_list, Area};
use super::climb::{climbs_list, Climb};
use super::{validate, Climbing, DomainResult};
use crate::store::index::IndexList;
use serde::Serialize;

#[derive(Debug, Default, Clone, Serialize)]
#[cfg_attr(not(target_arch = "wasm32"), derive(schemars::JsonSchema))]
pub struct RepairReport {
    /// The area checked, or absent for the top level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_id: Option<String>,
    pub entries_checked: usize,
    /// Entries whose record does not exist.
    pub dangling: usize,
    /// Entries whose record belongs to another area now.
    pub misplaced: usize,
    /// Whether the bad entries were removed (false: only reported).
    pub fixed: bool,
    /// Sub-areas to check next.
    pub child_area_ids: Vec<String>,
}

impl Climbing<'_> {
    /// Checks (and with `fix`, repairs) the sub-area and climb lists of `area_id`,
    /// or the list of top-level areas when `None`.
    pub fn repair_area(&self, area_id: Option<&str>, fix: bool) -> DomainResult<RepairReport> {
        if let Some(id) = area_id {
            self.get_area(id)?;
        }
        let mut report = RepairReport {
            area_id: area_id.map(str::to_owned),
            fixed: fix,
            ..Default::default()
        };
        let kv = self.store.kv();
        let children = IndexList::new(kv, children_list(area_id));
        for id in all_ids(&children)? {
            report.entries_checked += 1;
            match self.store.get::<Area>(&id)? {
                None => report.dangling += 1,
                Some(a) if a.parent_id.as_deref() != area_id => report.misplaced += 1,
                Some(a) => {
                    report.child_area_ids.push(a.id);
                    continue;
                }
            }
            if fix {
                children.remove(&id, None)?;
            }
        }
        if let Some(area) = area_id {
            let climbs = IndexList::new(kv, climbs_list(area));
            for id in all_ids(&climbs)? {
                report.entries_checked += 1;
                match self.store.get::<Climb>(&id)? {
                    None => report.dangling += 1,
                    Some(c) if c.area_id != area => report.misplaced += 1,
                    Some(_) => continue,
                }
                if fix {
                    climbs.remove(&id, None)?;
                }
            }
        }
        Ok(report)
    }
}

fn all_ids(list: &IndexList) -> DomainResult<Vec<String>> {
    let mut ids = Vec::new();
    let mut from = None;
    loop {
        let slice = list.slice(from.as_ref(), validate::MAX_PAGE)?;
        ids.extend(slice.ids);
        match slice.next {
            Some(n) => from = Some(n),
            None => return Ok(ids),
        }
    }
}
