//! Bulk import of many climbs into one area: every row is checked before anything
//! is written, then the climbs are created a range at a time, so the work can be
//! split into steps that each fit in one request.
//!
//! A range may be written twice (a replica that died mid-way, a step redone after
//! its lease ran out): the caller gives each climb an id derived from where it
//! stands in the import ([`Climbing::import_climb_at`]), so a climb written again
//! finds its earlier self and no duplicate appears.

use super::climb::{check_new_climb, Climb, NewClimb};
use super::{invalid, validate, Climbing, DomainError, DomainResult};
use crate::store::DerivedIds;
use serde_json::{Map, Value};
use std::rc::Rc;

/// Most climbs one bulk import may create. The 1 MiB request body usually binds
/// first (about 20,000 climbs that share their grade and disciplines).
pub const MAX_BULK_CLIMBS: usize = 50_000;

impl Climbing<'_> {
    /// Checks a bulk import: `area_id` must hold climbs, and each row, laid over
    /// `defaults` (the fields every climb shares), must be a valid new climb. The
    /// climbs, checked and in order; nothing is written.
    pub fn check_bulk_climbs(
        &self,
        area_id: &str,
        defaults: &Map<String, Value>,
        rows: Vec<Map<String, Value>>,
    ) -> DomainResult<Vec<NewClimb>> {
        validate::id("area_id", area_id)?;
        self.area_for_new_climbs(area_id)?;
        if rows.is_empty() {
            return invalid("climbs is empty: give at least one climb to import");
        }
        if rows.len() > MAX_BULK_CLIMBS {
            return invalid(format!(
                "the import has {} climbs, more than {MAX_BULK_CLIMBS}; split it into several calls",
                rows.len()
            ));
        }
        if defaults.contains_key("area_id") || defaults.contains_key("name") {
            return invalid("defaults hold the fields climbs share: leave out name and area_id");
        }
        rows.into_iter()
            .enumerate()
            .map(|(i, row)| {
                if row.contains_key("area_id") {
                    return invalid(format!(
                        "climbs[{i}]: leave area_id out; every climb goes into area_id"
                    ));
                }
                let mut fields = defaults.clone();
                fields.extend(row);
                let mut climb: NewClimb =
                    serde_json::from_value(Value::Object(fields)).map_err(|e| {
                        DomainError::Invalid(format!("climbs[{i}] (with defaults): {e}"))
                    })?;
                check_new_climb(&climb).map_err(|e| {
                    DomainError::Invalid(format!(
                        "climbs[{i}] (\"{}\"): {e}",
                        climb.name.chars().take(60).collect::<String>()
                    ))
                })?;
                climb.area_id = area_id.to_owned();
                Ok(climb)
            })
            .collect()
    }

    /// Creates one climb of a bulk import with the ids `seed` derives, unless a
    /// first attempt (same seed) already stored it: `false` then. The record is
    /// looked up first because creating it again would list it again wherever
    /// its list has grown past the page that holds its first entry. With
    /// `may_be_half_written` (the first climb a step creates: an attempt that
    /// died, or a step that ended on store trouble, may have written its index
    /// entries and not its record) the create resumes that attempt and writes no
    /// entry twice.
    pub fn import_climb_at(
        &self,
        climb: NewClimb,
        seed: [u8; 32],
        may_be_half_written: bool,
    ) -> DomainResult<bool> {
        let id = DerivedIds::new(seed).next();
        if self.store.get::<Climb>(&id)?.is_some() {
            return Ok(false);
        }
        let ids = match may_be_half_written {
            true => DerivedIds::new(seed).resuming(),
            false => DerivedIds::new(seed),
        };
        let store =
            crate::store::Store::new(self.store.platform()).deriving_ids(Some(Rc::new(ids)));
        Climbing::new(store, self.actor.clone()).create_climb(climb)?;
        Ok(true)
    }
}
