//! One lifecycle for every listed record: create, rewrite, delete and list.
//!
//! A record says which index lists it belongs in ([`Listed::listings`], given its
//! fields), so every write can keep its lists right without knowing what they are:
//! a create lists the record before storing it, a rewrite lists it where its new
//! state needs before writing and unlists it where its old state no longer does
//! after, a delete removes the record before its entries. A crash anywhere leaves at
//! worst an entry whose record is gone or elsewhere, which readers skip (they check
//! every entry against its record) and [`Store::check_list`] removes; never a record
//! that no list can find.
//!
//! Records others depend on ([`Leased`]) are deleted under a short lease that holds
//! off new dependents between the last check and the delete.

use super::index::{self, IndexList, Listing, Position};
use super::{
    encode, keys, Record, Store, StoreError, StoreResult, Stored, CAS_RETRIES, ID_ATTEMPTS,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// A record kept in index lists.
pub trait Listed: Record {
    /// Every list entry this record needs, given its fields.
    fn listings(&self) -> Vec<Listing>;
}

/// A record others depend on, which a delete first puts under lease.
pub trait Leased: Record {
    fn lease(&self) -> Option<u64>;
    fn lease_mut(&mut self) -> &mut Option<u64>;
}

/// A list read: the records kept and where to continue.
#[derive(Debug)]
pub struct Scan<R> {
    pub items: Vec<R>,
    pub next: Option<Position>,
}

/// What checking one list found: entries read, entries whose record is gone,
/// entries whose record no longer belongs in the list, and the ids of the records
/// rightly listed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ListCheck {
    pub checked: usize,
    pub dangling: usize,
    pub misplaced: usize,
    #[serde(skip)]
    pub live: Vec<String>,
}

impl ListCheck {
    pub fn add(&mut self, other: ListCheck) {
        self.checked += other.checked;
        self.dangling += other.dangling;
        self.misplaced += other.misplaced;
        self.live.extend(other.live);
    }
}

/// The records found for a chunk of ids: each one's id and list entries.
type FoundListings = Vec<(String, Vec<Listing>)>;

/// Entries `after` needs that `before` does not have.
fn missing(after: &[Listing], before: &[Listing]) -> Vec<Listing> {
    after
        .iter()
        .filter(|l| !before.contains(l))
        .cloned()
        .collect()
}

/// Which record a rewrite writes, and the version it must find there.
struct Move<'a> {
    kind: &'static str,
    id: &'a str,
    key: &'a str,
    at: u64,
}

/// The entries a rewrite added and dropped, to undo them with it.
struct Moved {
    added: Vec<Listing>,
    dropped: Vec<Listing>,
}

/// Largest number of ids read per step of a scan.
const SCAN_CHUNK: usize = 200;

impl Store<'_> {
    /// A version check ahead of a write: `expected` must be the record's version.
    pub fn check_version<R: Record>(record: &R, expected: Option<u64>) -> StoreResult<()> {
        super::expect_version(R::KIND, record.id(), expected, record.version())
    }

    /// Creates a record under a fresh id (drawn for each attempt and handed to
    /// `make`): its entries first, then the record, then `recheck` (that what it
    /// hangs on still stands), undoing everything when that fails.
    pub fn create<R: Listed, E: From<StoreError>>(
        &self,
        make: impl FnMut(String) -> R,
        recheck: impl Fn(&R) -> Result<(), E>,
    ) -> Result<R, E> {
        self.create_with(make, |_| Vec::new(), recheck)
    }

    /// [`Store::create`], with `along(&record)`: writes that go in the one batch of
    /// the record's entries, ahead of the record, and are undone with it (the first
    /// line of its history, from [`Store::first_in_new_lists`]). They must be
    /// harmless without the record: a crash before it is stored leaves them where
    /// nothing reaches them, as an entry without its record is.
    pub fn create_with<R: Listed, E: From<StoreError>>(
        &self,
        mut make: impl FnMut(String) -> R,
        along: impl Fn(&R) -> Vec<(String, Vec<u8>)>,
        recheck: impl Fn(&R) -> Result<(), E>,
    ) -> Result<R, E> {
        // A fresh id only after a clean "id taken"; a store error ends the loop.
        for _ in 0..ID_ATTEMPTS {
            let mut record = make(self.new_id());
            record.set_version(1);
            let listings = record.listings();
            let along = along(&record);
            let key = keys::record::<R>(record.id());
            let placed = self.place(
                R::KIND,
                record.id(),
                &key,
                &encode(&record),
                &listings,
                &along,
            )?;
            if placed {
                if let Err(e) = recheck(&record) {
                    self.withdraw(&key, &along, &listings)?;
                    return Err(e);
                }
                return Ok(record);
            }
            if self.derives_ids() {
                // A derived id is taken only by an earlier attempt of this very call
                // (same caller, same idempotency key): that record is the answer.
                // Entries it already has stay; only ours that it lacks go. What
                // went along is derived too, so it is the earlier attempt's own.
                let existing: R = self.require(record.id())?;
                let ours = missing(&listings, &existing.listings());
                index::remove_all(self.kv(), &ours)?;
                return Ok(existing);
            }
            // The random id was taken (vanishingly rare): drop our writes and retry.
            self.undo_along(&along)?;
            index::remove_all(self.kv(), &listings)?;
        }
        Err(super::ids_exhausted(R::KIND).into())
    }

    /// One attempt of [`Store::create_with`], past the typed record (so every
    /// record type shares it): its entries and what goes along first, then the
    /// record at `key`. `Ok(false)`: the id is taken. A store error that certainly
    /// left the record unwritten also takes back what went along (if the store
    /// lets it; the error to report is the insert's); entries stay, as every
    /// create leaves them then.
    fn place(
        &self,
        kind: &'static str,
        id: &str,
        key: &str,
        bytes: &[u8],
        listings: &[Listing],
        along: &[(String, Vec<u8>)],
    ) -> StoreResult<bool> {
        // An earlier attempt of this call that died (resumed derived ids) may
        // have listed it already; a fresh id, random or derived for a new call,
        // is in no list yet.
        index::add_with(self.kv(), listings, !self.resumes_ids(), along.to_vec())?;
        match self.insert_bytes(kind, id, key, bytes) {
            Err(e) if !matches!(e, StoreError::Unconfirmed { .. }) => {
                let _ = self.undo_along(along);
                Err(e)
            }
            placed => placed,
        }
    }

    /// Takes back a record [`Store::place`] stored: the record, what went along,
    /// its entries.
    fn withdraw(
        &self,
        key: &str,
        along: &[(String, Vec<u8>)],
        listings: &[Listing],
    ) -> StoreResult<()> {
        self.kv().delete(key)?;
        self.undo_along(along)?;
        index::remove_all(self.kv(), listings)
    }

    fn undo_along(&self, along: &[(String, Vec<u8>)]) -> StoreResult<()> {
        for (key, _) in along {
            self.kv().delete(key)?;
        }
        Ok(())
    }

    /// A record whose lists are new with it (the first history line of a record
    /// just created) and that is harmless unlisted, under a fresh id at version 1,
    /// with the writes that store it: its entries go in the first slot of each list
    /// ([`index::first_entry`]), which no other appender takes, so they need no
    /// increment and go in one batch with the record. The id is fresh and random
    /// (72 bits), so no check for a taken id is made.
    pub fn first_in_new_lists<R: Listed>(
        &self,
        make: impl FnOnce(String) -> R,
    ) -> (R, Vec<(String, Vec<u8>)>) {
        let mut record = make(self.new_id());
        record.set_version(1);
        let mut writes: Vec<(String, Vec<u8>)> = record
            .listings()
            .iter()
            .flat_map(index::first_entry)
            .collect();
        writes.push((keys::record::<R>(record.id()), encode(&record)));
        (record, writes)
    }

    /// Stores a [`Store::first_in_new_lists`] record on its own, in one batch write.
    /// A crash during it may leave the record without its entries (a history line
    /// lost, which history allows: it is written after the change it describes) or
    /// entries without the record (readers skip them).
    pub fn create_in_new_lists<R: Listed>(&self, make: impl FnOnce(String) -> R) -> StoreResult<R> {
        let (record, writes) = self.first_in_new_lists(make);
        self.kv().set_many(&writes)?;
        Ok(record)
    }

    /// Rewrites record `id` as `change` makes it from its current state (`None`:
    /// nothing to do), moving its list entries with it: the entries the new state
    /// needs first, the ones only the old state needed after. Retries on concurrent
    /// writes unless the caller pinned `expected_version`. After the write,
    /// `recheck(before, after)` may refuse (something the new state hangs on went
    /// away meanwhile): the record is put back as it was and the error returned.
    /// Returns the record and whether it changed.
    pub fn rewrite<R: Listed, E: From<StoreError>>(
        &self,
        id: &str,
        expected_version: Option<u64>,
        change: impl Fn(&R) -> Result<Option<R>, E>,
        recheck: impl Fn(&R, &R) -> Result<(), E>,
    ) -> Result<(R, bool), E> {
        let key = keys::record::<R>(id);
        let retry = expected_version.is_none();
        for _ in 0..CAS_RETRIES {
            let current: R = self.require(id)?;
            Self::check_version(&current, expected_version)?;
            let Some(mut next) = change(&current)? else {
                return Ok((current, false));
            };
            let at = current.version();
            next.set_version(at + 1);
            let (before, after) = (current.listings(), next.listings());
            let step = Move {
                kind: R::KIND,
                id,
                key: &key,
                at,
            };
            let Some(moved) = self.move_listed(&step, &encode(&next), &before, &after, retry)?
            else {
                continue; // someone else changed the record first
            };
            if let Err(e) = recheck(&current, &next) {
                let mut back = current;
                back.set_version(at + 2);
                let step = Move { at: at + 1, ..step };
                self.move_listed_back(&step, &encode(&back), moved)?;
                return Err(e);
            }
            return Ok((next, true));
        }
        Err(StoreError::Contended { key }.into())
    }

    /// The untyped part of a [`Store::rewrite`] attempt (one copy for every record
    /// type): the entries only `after` has, then `bytes` over the record if it is
    /// still at version `step.at`, then away with the entries only `before` had.
    /// Returns the entries added and dropped, or `None` when the record had moved
    /// on and `retry` allows another attempt.
    fn move_listed(
        &self,
        step: &Move,
        bytes: &[u8],
        before: &[Listing],
        after: &[Listing],
        retry: bool,
    ) -> StoreResult<Option<Moved>> {
        let added = missing(after, before);
        let dropped = missing(before, after);
        index::add_all(self.kv(), &added)?;
        match self.replace_at(step.kind, step.id, step.key, step.at, bytes) {
            Ok(()) => {
                index::remove_all(self.kv(), &dropped)?;
                Ok(Some(Moved { added, dropped }))
            }
            // The entries we added may be the other writer's too, so they stay
            // (readers check every entry).
            Err(StoreError::VersionConflict { .. }) if retry => Ok(None),
            Err(e @ StoreError::VersionConflict { .. }) => Err(e),
            Err(e) => {
                index::remove_all(self.kv(), &added)?;
                Err(e)
            }
        }
    }

    /// Puts a rewritten record back (`bytes`: its old state, over the rewrite at
    /// version `step.at`) with its old entries. If someone changed the record again
    /// meanwhile, its lists are theirs to keep; only a revert takes ours away.
    fn move_listed_back(&self, step: &Move, bytes: &[u8], moved: Moved) -> StoreResult<()> {
        index::add_all(self.kv(), &moved.dropped)?;
        if self
            .replace_at(step.kind, step.id, step.key, step.at, bytes)
            .is_ok()
        {
            index::remove_all(self.kv(), &moved.added)?;
        }
        Ok(())
    }

    /// Deletes record `id` after `check` allows it (at `expected_version` when
    /// given): the record first, then `gone` (what must follow the record, such as
    /// a tombstone; it may also put the record back and refuse), then its entries.
    pub fn delete_listed<R: Listed, E: From<StoreError>>(
        &self,
        id: &str,
        expected_version: Option<u64>,
        check: impl FnOnce(&R) -> Result<(), E>,
        gone: impl FnOnce(&R) -> Result<(), E>,
    ) -> Result<R, E> {
        let record: R = self.require(id)?;
        Self::check_version(&record, expected_version)?;
        check(&record)?;
        self.delete::<R>(id)?;
        gone(&record)?;
        index::remove_all(self.kv(), &record.listings())?;
        Ok(record)
    }

    /// Deletes a record others depend on: refused by `dependents` (which says what
    /// to delete first), first without writing, then again under a lease until
    /// `lease_until` that holds off new dependents; then the record goes, then its
    /// entries. Returns the record as it was under lease.
    pub fn delete_guarded<R: Listed + Leased, E: From<StoreError>>(
        &self,
        id: &str,
        expected_version: Option<u64>,
        lease_until: u64,
        dependents: impl Fn(&R) -> Result<(), E>,
    ) -> Result<R, E> {
        let current: R = self.require(id)?;
        Self::check_version(&current, expected_version)?;
        dependents(&current)?;
        let leased: R = self.update(id, Some(current.version()), |r: &mut R| {
            *r.lease_mut() = Some(lease_until);
            Ok::<(), StoreError>(())
        })?;
        if let Err(e) = dependents(&leased) {
            self.update(id, Some(leased.version()), |r: &mut R| {
                *r.lease_mut() = None;
                Ok::<(), StoreError>(())
            })
            .ok();
            return Err(e);
        }
        self.delete::<R>(id)?;
        index::remove_all(self.kv(), &leased.listings())?;
        Ok(leased)
    }

    /// A page of `list`: up to `limit` entries from `from` and the records they
    /// name (entries whose record is gone are skipped).
    pub fn page<R: Record>(
        &self,
        list: &str,
        from: Option<&Position>,
        limit: usize,
    ) -> StoreResult<(Vec<R>, Option<Position>)> {
        let slice = IndexList::new(self.kv(), list).slice(from, limit)?;
        Ok((self.get_many(&slice.ids)?, slice.next))
    }

    /// [`Store::page`] with the records as stored, of a list whose records have
    /// their string `field` set to `home` (see [`Store::get_many_stored_in`]): an
    /// entry whose record has moved on is skipped, so a page may be shorter.
    pub fn page_stored_in<R: Record>(
        &self,
        list: &str,
        (field, home): (&str, &str),
        from: Option<&Position>,
        limit: usize,
    ) -> StoreResult<(Vec<Stored<R>>, Option<Position>)> {
        let slice = IndexList::new(self.kv(), list).slice(from, limit)?;
        let listed: Vec<(&str, &str)> = slice.ids.iter().map(|id| (id.as_str(), home)).collect();
        Ok((self.get_many_stored_in(&listed, field)?, slice.next))
    }

    /// Reads `list` from `from`, keeping records for which `keep` holds, until `want`
    /// are found, `budget` entries are read, or the list ends; `chunk` entries per
    /// step. The position returned continues right after the last entry used.
    pub fn scan<R: Record>(
        &self,
        list: &str,
        from: Option<&Position>,
        want: usize,
        budget: usize,
        chunk: usize,
        keep: &dyn Fn(&R) -> bool,
    ) -> StoreResult<Scan<R>> {
        let index = IndexList::new(self.kv(), list);
        let mut from = from.cloned();
        let mut items = Vec::new();
        let mut scanned = 0;
        // Each step reads at least one entry or skips up to 8 empty pages.
        for _ in 0..budget / chunk.max(1) + 16 {
            let take = chunk
                .clamp(1, SCAN_CHUNK)
                .min(budget.saturating_sub(scanned))
                .max(1);
            let slice = index.slice(from.as_ref(), take)?;
            let records: Vec<R> = self.get_many(&slice.ids)?;
            let mut records = records.into_iter().peekable();
            for (i, id) in slice.ids.iter().enumerate() {
                let Some(record) = records.next_if(|r| r.id() == id) else {
                    continue; // dangling entry: the record is gone
                };
                if !keep(&record) {
                    continue;
                }
                items.push(record);
                if items.len() == want {
                    let used = i + 1;
                    let next = if used == slice.ids.len() {
                        slice.next
                    } else {
                        index.slice(from.as_ref(), used)?.next
                    };
                    return Ok(Scan { items, next });
                }
            }
            scanned += slice.ids.len();
            match slice.next {
                None => return Ok(Scan { items, next: None }),
                Some(p) => from = Some(p),
            }
            if scanned >= budget {
                break;
            }
        }
        Ok(Scan { items, next: from })
    }

    /// The first live record of `list` for which `keep` holds.
    pub fn first_in<R: Record>(
        &self,
        list: &str,
        keep: &dyn Fn(&R) -> bool,
    ) -> StoreResult<Option<R>> {
        let mut from: Option<Position> = None;
        loop {
            let scan = self.scan(list, from.as_ref(), 1, 10_000, 32, keep)?;
            if let Some(r) = scan.items.into_iter().next() {
                return Ok(Some(r));
            }
            match scan.next {
                Some(p) => from = Some(p),
                None => return Ok(None),
            }
        }
    }

    /// Checks every entry of `list` (a list of plain ids of `R`): an entry whose
    /// record is gone is dangling, one whose record no longer lists itself there
    /// (or a second copy of an entry: appenders that raced before elections) is
    /// misplaced; with `fix` they are removed, each from its slot. Readers skip
    /// the first two.
    pub fn check_list<R: Listed>(&self, list: &str, fix: bool) -> StoreResult<ListCheck> {
        self.check_entries(list, fix, &|ids| {
            Ok(self
                .get_many::<R>(ids)?
                .into_iter()
                .map(|r| (r.id().to_owned(), r.listings()))
                .collect())
        })
    }

    /// [`Store::check_list`] given, for a chunk of ids, the ids found and the
    /// listings of their records: one copy of the walk for every record type.
    fn check_entries(
        &self,
        list: &str,
        fix: bool,
        listings_of: &dyn Fn(&[String]) -> StoreResult<FoundListings>,
    ) -> StoreResult<ListCheck> {
        let index = IndexList::new(self.kv(), list);
        let mut report = ListCheck::default();
        let mut from = None;
        // Bad entries: (id, slot, the slot of a copy that stays).
        let mut bad = Vec::new();
        // The slot of each live entry's first copy.
        let mut first_copy: BTreeMap<String, Option<u64>> = BTreeMap::new();
        loop {
            let slice = index.slice(from.as_ref(), SCAN_CHUNK)?;
            let records = listings_of(&slice.ids)?;
            for (id, &slot) in slice.ids.iter().zip(&slice.slots) {
                report.checked += 1;
                match records.iter().find(|(found, _)| found == id) {
                    None => report.dangling += 1,
                    Some((_, listings))
                        if !listings.iter().any(|l| l.list == list && &l.entry == id) =>
                    {
                        report.misplaced += 1
                    }
                    Some(_) => match first_copy.get(id) {
                        Some(&kept) => {
                            report.misplaced += 1;
                            bad.push((id.clone(), slot, kept));
                            continue;
                        }
                        None => {
                            first_copy.insert(id.clone(), slot);
                            report.live.push(id.clone());
                            continue;
                        }
                    },
                }
                bad.push((id.clone(), slot, None));
            }
            match slice.next {
                Some(n) => from = Some(n),
                None => break,
            }
        }
        if fix {
            for (id, slot, keep) in bad {
                index.remove_at(&id, slot, keep)?;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::memory::MemoryPlatform;
    use crate::platform::Platform;
    use serde::Deserialize;

    /// A note listed under its topic.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Note {
        id: String,
        version: u64,
        topic: String,
    }
    crate::record!(Note, "n", "note");

    impl Listed for Note {
        fn listings(&self) -> Vec<Listing> {
            vec![Listing::new(format!("nt/{}", self.topic), self.id.as_str())]
        }
    }

    fn ids(store: &Store, list: &str) -> Vec<String> {
        IndexList::new(store.kv(), list)
            .slice(None, 50)
            .unwrap()
            .ids
    }

    /// A note stored under a fresh id, listed under `topic`.
    fn created(store: &Store, topic: &str) -> Note {
        store
            .create(|id| note(id, topic), |_| Ok::<(), StoreError>(()))
            .unwrap()
    }

    fn note(id: String, topic: &str) -> Note {
        Note {
            id,
            version: 0,
            topic: topic.into(),
        }
    }

    #[test]
    fn create_rewrite_and_delete_keep_the_lists_right() {
        let platform = MemoryPlatform::default();
        let store = Store::new(&platform);
        let a = created(&store, "x");
        assert_eq!(a.version, 1);
        assert_eq!(ids(&store, "nt/x"), std::slice::from_ref(&a.id));

        // A rewrite moves the entry; a refused recheck puts everything back.
        let (moved, changed) = store
            .rewrite(
                &a.id,
                Some(1),
                |n: &Note| Ok::<_, StoreError>(Some(note(n.id.clone(), "y"))),
                |_, _| Ok(()),
            )
            .unwrap();
        assert!(changed);
        assert_eq!((moved.version, ids(&store, "nt/x").len()), (2, 0));
        assert_eq!(ids(&store, "nt/y"), std::slice::from_ref(&a.id));
        let refused = store.rewrite(
            &a.id,
            None,
            |n: &Note| Ok(Some(note(n.id.clone(), "z"))),
            |_, _| {
                Err(StoreError::NotFound {
                    kind: "parent",
                    id: "gone".into(),
                })
            },
        );
        assert!(refused.is_err());
        assert_eq!(store.require::<Note>(&a.id).unwrap().topic, "y");
        assert!(ids(&store, "nt/z").is_empty());
        assert_eq!(ids(&store, "nt/y"), std::slice::from_ref(&a.id));

        // A stale version deletes nothing; the right one deletes record and entry.
        let stale = store.delete_listed(&a.id, Some(1), |_: &Note| Ok(()), |_| Ok(()));
        assert!(matches!(stale, Err(StoreError::VersionConflict { .. })));
        let gone: Note = store
            .delete_listed(&a.id, None, |_| Ok::<(), StoreError>(()), |_| Ok(()))
            .unwrap();
        assert_eq!(gone.id, a.id);
        assert!(store.get::<Note>(&a.id).unwrap().is_none());
        assert!(ids(&store, "nt/y").is_empty());
    }

    #[test]
    fn a_failed_recheck_undoes_a_create_and_check_list_finds_bad_entries() {
        let platform = MemoryPlatform::default();
        let store = Store::new(&platform);
        let refused = store.create(
            |id| note(id, "x"),
            |_| {
                Err(StoreError::NotFound {
                    kind: "parent",
                    id: "gone".into(),
                })
            },
        );
        assert!(refused.is_err());
        assert!(ids(&store, "nt/x").is_empty());
        assert!(platform.kv.keys().iter().all(|k| !k.starts_with("n/")));

        let kept = created(&store, "x");
        let lost = created(&store, "x");
        platform.kv.data_remove(&keys::record::<Note>(&lost.id));
        IndexList::new(platform.kv(), "nt/x")
            .add("elsewhere")
            .unwrap();
        IndexList::new(platform.kv(), "nt/y").add(&kept.id).unwrap();
        let x = store.check_list::<Note>("nt/x", true).unwrap();
        assert_eq!((x.checked, x.dangling, x.misplaced), (3, 2, 0));
        assert_eq!(x.live, std::slice::from_ref(&kept.id));
        let y = store.check_list::<Note>("nt/y", true).unwrap();
        assert_eq!((y.checked, y.misplaced), (1, 1));
        assert_eq!(ids(&store, "nt/x"), std::slice::from_ref(&kept.id));
        assert!(ids(&store, "nt/y").is_empty());
    }

    #[test]
    fn check_list_removes_unclaimed_entries_and_second_copies() {
        let platform = MemoryPlatform::default();
        let store = Store::new(&platform);
        let kv = platform.kv();
        let a = created(&store, "x");
        let b = created(&store, "y");
        // `a` twice in its list, the where-key naming the second copy; `b` in a
        // list it is not in, by a slot no where-key names (a batch that landed in
        // part).
        let count = keys::index_count("nt/x");
        for (list, id) in [("nt/x", &a.id), ("nt/x", &b.id)] {
            let slot = kv.increment(&count, 1).unwrap();
            kv.set(&keys::index_slot(list, slot as u64), id.as_bytes())
                .unwrap();
            if id == &a.id {
                kv.set(&keys::index_where(list, id), slot.to_string().as_bytes())
                    .unwrap();
            }
        }
        assert_eq!(
            ids(&store, "nt/x"),
            [a.id.clone(), a.id.clone(), b.id.clone()]
        );
        let x = store.check_list::<Note>("nt/x", true).unwrap();
        assert_eq!((x.checked, x.dangling, x.misplaced), (3, 0, 2));
        assert_eq!(x.live, std::slice::from_ref(&a.id));
        assert_eq!(ids(&store, "nt/x"), std::slice::from_ref(&a.id));
        let x = store.check_list::<Note>("nt/x", false).unwrap();
        assert_eq!((x.checked, x.misplaced), (1, 0));
        // The copy kept is the one its where-key names: a removal leaves none.
        assert!(IndexList::new(kv, "nt/x").remove(&a.id).unwrap());
        assert!(ids(&store, "nt/x").is_empty());
    }

    #[test]
    fn what_goes_along_a_create_is_undone_with_it() {
        let platform = MemoryPlatform::default();
        let store = Store::new(&platform);
        let along = |n: &Note| {
            store
                .first_in_new_lists(|id| note(id, &format!("of-{}", n.id)))
                .1
        };
        let refused = store.create_with(
            |id| note(id, "x"),
            along,
            |_| {
                Err(StoreError::NotFound {
                    kind: "parent",
                    id: "gone".into(),
                })
            },
        );
        assert!(refused.is_err());
        // Only the list's count is left.
        assert_eq!(platform.kv.keys(), ["ec/nt/x"]);
        let kept: Note = store
            .create_with(|id| note(id, "x"), along, |_| Ok::<(), StoreError>(()))
            .unwrap();
        let line = ids(&store, &format!("nt/of-{}", kept.id));
        assert_eq!(line.len(), 1);
        assert!(store.get::<Note>(&line[0]).unwrap().is_some());
    }

    #[test]
    fn a_record_in_new_lists_costs_one_batch() {
        let platform = MemoryPlatform::default();
        let store = Store::new(&platform);
        let before = platform.kv.ops.get();
        let first = store.create_in_new_lists(|id| note(id, "new")).unwrap();
        assert_eq!(platform.kv.ops.get() - before, 1);
        // Later entries are appended after it.
        let second = created(&store, "new");
        assert_eq!(ids(&store, "nt/new"), [first.id, second.id]);
    }
}
