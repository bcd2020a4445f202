//! Secondary indexes: append-only lists of ids, one key per entry.
//!
//! A list is a row of numbered slots. `ec/<list>` counts the slots handed out: an
//! appender takes slot k from one atomic increment, so appenders on any replica get
//! distinct slots and none can overwrite another's entry, without a compare-and-swap.
//! `e/<list>/<k>` holds the entry of slot k and `ew/<list>/<entry>` names its slot,
//! so a removal finds it in one read. Appending one record to n lists costs n
//! increments and one batch write of all the entries; reading `limit` entries is one
//! batch read of the count and `limit` slots. Slot 0 is never handed out by the
//! count: it holds the first entry of a list that is new with its record (the first
//! history line of a record just created), written without an increment.
//!
//! Lists written before slots hold their ids in pages ([`super::pages`]); those are
//! read first, then the slots after them, so stored lists read as they did.
//!
//! Crash safety comes from write order, not transactions: an entry is added *before*
//! the record it points to is written and removed *after* the record is gone, so an
//! index never misses a record; readers skip ids whose record does not exist or
//! is no longer in that list (a move cut off before removing its old entry), and a
//! slot handed out but never written (its appender died) is a hole they skip too.

use super::creation::Creation;
use super::cursor::{CursorCodec, CursorError};
use super::pages::{self, Page};
use super::{keys, StoreError, StoreResult};
use crate::platform::{KeyValue, Swap};
use serde::{Deserialize, Serialize};

/// Most slots read in one batch (a list read asks for at most this many entries).
const SLOT_BATCH: usize = 200;
/// Batches a read makes at most when the slots it reads are mostly holes (entries
/// removed); it then returns fewer entries and a position to go on from.
const SPARSE_ROUNDS: usize = 8;

/// A position inside a list, carried by cursors. In the pages of the earlier layout:
/// page, offset within it, and the id just before it (so removals that shift the
/// page do not skip or repeat items). In the slots after them: the next slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    #[serde(rename = "p")]
    pub page: u32,
    #[serde(rename = "o")]
    pub offset: usize,
    #[serde(rename = "l")]
    pub last: String,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u64>,
}

impl Position {
    fn at_slot(slot: u64) -> Self {
        Self {
            page: 0,
            offset: 0,
            last: String::new(),
            slot: Some(slot),
        }
    }
}

/// One page of results.
#[derive(Debug)]
pub struct Slice {
    pub ids: Vec<String>,
    /// The slot of each of `ids` (`None` for one in a page of the earlier layout),
    /// for repairs: an entry no where-key names (a batch that landed in part, or
    /// an election's loser that died before emptying its slot) is removed by its
    /// slot.
    pub slots: Vec<Option<u64>>,
    pub next: Option<Position>,
}

/// Slots `start..` as read in one batch, with the list's count at that time.
struct Slots {
    start: u64,
    count: u64,
    entries: Vec<Option<String>>,
}

impl Slots {
    /// The last slot that may hold an entry: the count, or a later slot already
    /// written (its appender incremented after the count was read).
    fn end(&self) -> u64 {
        let written = self
            .entries
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| self.start + i as u64);
        self.count.max(written)
    }

    /// Whether the list has anything in its slots (known from a read from slot 0).
    fn any(&self) -> bool {
        self.count > 0 || self.entries.iter().any(Option::is_some)
    }
}

pub struct IndexList<'a> {
    kv: &'a dyn KeyValue,
    name: String,
}

impl<'a> IndexList<'a> {
    pub fn new(kv: &'a dyn KeyValue, name: impl Into<String>) -> Self {
        Self {
            kv,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Appends `id` unless the list already holds it.
    pub fn add(&self, id: &str) -> StoreResult<()> {
        add_all(self.kv, &[Listing::new(self.name.as_str(), id)])
    }

    /// Removes `id`: from its slot, or else from the pages of the earlier layout.
    /// Removing is idempotent, so a failed removal is settled by trying again.
    pub fn remove(&self, id: &str) -> StoreResult<bool> {
        let where_key = keys::index_where(&self.name, id);
        if let Some(bytes) = self.kv.get(&where_key)? {
            // The entry first: a crash between the two deletes leaves a where-key
            // naming an empty slot, which an append sees through (see `unlisted`).
            if let Some(slot) = parse_slot(&bytes) {
                self.kv.delete(&keys::index_slot(&self.name, slot))?;
            }
            self.kv.delete(&where_key)?;
            return Ok(true);
        }
        pages::remove(self.kv, &self.name, id)
    }

    /// Removes the entry of `id` in `slot` (as a slice gave it), for repairs: also
    /// an entry no where-key names (a batch that landed in part, or an election's
    /// loser that died before emptying its slot) and a second copy. `keep`, the slot of a copy that stays, is named instead when
    /// the where-key named the one removed.
    pub fn remove_at(&self, id: &str, slot: Option<u64>, keep: Option<u64>) -> StoreResult<()> {
        let Some(slot) = slot else {
            return self.remove(id).map(|_| ());
        };
        let where_key = keys::index_where(&self.name, id);
        let named = self.kv.get(&where_key)?.as_deref().and_then(parse_slot);
        self.kv.delete(&keys::index_slot(&self.name, slot))?;
        if named == Some(slot) {
            match keep {
                Some(kept) => self.kv.set(&where_key, kept.to_string().as_bytes())?,
                None => self.kv.delete(&where_key)?,
            }
        }
        Ok(())
    }

    /// Up to `limit` ids from `from` (the start when `None`): the cost is O(limit),
    /// whatever the list's length. A list without pages costs one batch read.
    pub fn slice(&self, from: Option<&Position>, limit: usize) -> StoreResult<Slice> {
        let mut ids = Vec::with_capacity(limit.min(SLOT_BATCH));
        let mut slots = Vec::with_capacity(limit.min(SLOT_BATCH));
        if limit == 0 {
            return Ok(Slice {
                ids,
                slots,
                next: from.cloned(),
            });
        }
        if let Some(slot) = from.and_then(|p| p.slot) {
            return self.slice_slots(slot, limit, (ids, slots), None);
        }
        // The start of a list is read together with its first slots, so a list
        // without pages (every list written since slots) costs one read.
        let (first_page, prefetched) = match from {
            None => {
                let (page, slots) = self.read_start(limit)?;
                (Some(page), Some(slots))
            }
            Some(_) => (None, None),
        };
        let slots_may_follow = prefetched.as_ref().is_none_or(Slots::any);
        match self.slice_pages(from, limit, &mut ids, first_page, slots_may_follow)? {
            Some(slice_end) => Ok(Slice {
                slots: vec![None; ids.len()],
                ids,
                next: slice_end,
            }),
            None => {
                slots.resize(ids.len(), None);
                self.slice_slots(0, limit, (ids, slots), prefetched)
            }
        }
    }

    /// Page 0 and the count and slots `0..=limit`, in one batch (slot 0 is
    /// mostly empty: only lists new with their record use it).
    fn read_start(&self, limit: usize) -> StoreResult<(Page, Slots)> {
        let want = limit.min(SLOT_BATCH) + 1;
        let mut keys = Vec::with_capacity(want + 2);
        keys.push(keys::index_page(&self.name, 0));
        keys.push(keys::index_count(&self.name));
        keys.extend(keys::index_slots(&self.name, 0..want as u64));
        let mut values = self.kv.get_many(&keys)?.into_iter();
        let page = pages::decode_page(&self.name, 0, values.next().flatten().as_deref())?;
        let slots = self.slots_from(0, values)?;
        Ok((page, slots))
    }

    fn read_slots(&self, start: u64, want: usize) -> StoreResult<Slots> {
        let mut keys = Vec::with_capacity(want + 1);
        keys.push(keys::index_count(&self.name));
        keys.extend(keys::index_slots(&self.name, start..start + want as u64));
        let values = self.kv.get_many(&keys)?.into_iter();
        self.slots_from(start, values)
    }

    /// The count, then the slots from `start`, as a batch read returned them.
    fn slots_from(
        &self,
        start: u64,
        mut values: impl Iterator<Item = Option<Vec<u8>>>,
    ) -> StoreResult<Slots> {
        let count = values.next().flatten().map_or(0, |b| parse_count(&b));
        let entries = values
            .enumerate()
            .map(|(i, value)| {
                value
                    .map(|bytes| {
                        String::from_utf8(bytes).map_err(|e| StoreError::Corrupt {
                            key: keys::index_slot(&self.name, start + i as u64),
                            reason: e.to_string(),
                        })
                    })
                    .transpose()
            })
            .collect::<StoreResult<_>>()?;
        Ok(Slots {
            start,
            count,
            entries,
        })
    }

    /// Reads the pages of the earlier layout from `from` into `ids`. Returns where
    /// the slice ends when it is full there (or stops after a bounded number of
    /// empty pages), or `None` when the pages end with room left: the slots follow.
    fn slice_pages(
        &self,
        from: Option<&Position>,
        limit: usize,
        ids: &mut Vec<String>,
        mut first_page: Option<Page>,
        slots_may_follow: bool,
    ) -> StoreResult<Option<Option<Position>>> {
        let (mut page_no, mut offset, mut last) = match from {
            Some(p) => (p.page, p.offset, Some(p.last.clone())),
            None => (0, 0, None),
        };
        // Empty sealed pages (everything removed) are skipped, a bounded number per call.
        for _ in 0..SPARSE_ROUNDS {
            let page = match first_page.take() {
                Some(page) => page,
                None => pages::read_page(self.kv, &self.name, page_no)?,
            };
            if let Some(last_id) = &last {
                if let Some(pos) = page.ids.iter().position(|x| x == last_id) {
                    offset = pos + 1;
                }
            }
            let start = offset.min(page.ids.len());
            let take = (limit - ids.len()).min(page.ids.len() - start);
            ids.extend_from_slice(&page.ids[start..start + take]);
            let end = start + take;
            if ids.len() == limit {
                let next = if end < page.ids.len() || page.sealed {
                    Some(Position {
                        page: page_no,
                        offset: end,
                        last: ids.last().cloned().unwrap_or_default(),
                        slot: None,
                    })
                } else {
                    slots_may_follow.then(|| Position::at_slot(0))
                };
                return Ok(Some(next));
            }
            if !page.sealed {
                return Ok(None);
            }
            page_no += 1;
            offset = 0;
            last = None;
        }
        Ok(Some(Some(Position {
            page: page_no,
            offset: 0,
            last: String::new(),
            slot: None,
        })))
    }

    /// Fills `ids` (and their `slots`) from the slots from `start`, skipping holes.
    fn slice_slots(
        &self,
        mut start: u64,
        limit: usize,
        (mut ids, mut id_slots): (Vec<String>, Vec<Option<u64>>),
        mut prefetched: Option<Slots>,
    ) -> StoreResult<Slice> {
        for _ in 0..SPARSE_ROUNDS {
            let slots = match prefetched.take() {
                Some(slots) if slots.start == start => slots,
                _ => self.read_slots(start, (limit - ids.len()).min(SLOT_BATCH))?,
            };
            let end = slots.end();
            let read = slots.entries.len() as u64;
            for (i, entry) in slots.entries.into_iter().enumerate() {
                let slot = start + i as u64;
                if let Some(entry) = entry {
                    ids.push(entry);
                    id_slots.push(Some(slot));
                }
                if ids.len() == limit {
                    let next = (slot < end).then(|| Position::at_slot(slot + 1));
                    return Ok(Slice {
                        ids,
                        slots: id_slots,
                        next,
                    });
                }
            }
            start += read;
            if start > end || read == 0 {
                return Ok(Slice {
                    ids,
                    slots: id_slots,
                    next: None,
                });
            }
        }
        Ok(Slice {
            ids,
            slots: id_slots,
            next: Some(Position::at_slot(start)),
        })
    }
}

/// One entry of one index list: where a record is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub list: String,
    pub entry: String,
}

impl Listing {
    pub fn new(list: impl Into<String>, entry: impl Into<String>) -> Self {
        Self {
            list: list.into(),
            entry: entry.into(),
        }
    }
}

/// A slot number as a where-key stores it.
fn parse_slot(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// A count as the store keeps an incremented key: a decimal string (Redis, the
/// in-memory store) or Spin's eight little-endian bytes. Eight bytes that are all
/// digits would be a count above 3.4e18, so the two cannot be confused.
fn parse_count(bytes: &[u8]) -> u64 {
    if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
        return parse_slot(bytes).unwrap_or(0);
    }
    match <[u8; 8]>::try_from(bytes) {
        Ok(le) => u64::try_from(i64::from_le_bytes(le)).unwrap_or(0),
        Err(_) => 0,
    }
}

/// The writes that put `listing` in slot `slot`: the entry and where it is.
fn slot_writes(listing: &Listing, slot: u64) -> [(String, Vec<u8>); 2] {
    [
        (
            keys::index_slot(&listing.list, slot),
            listing.entry.clone().into_bytes(),
        ),
        (
            keys::index_where(&listing.list, &listing.entry),
            slot.to_string().into_bytes(),
        ),
    ]
}

/// Adds every listing that its list does not hold yet: one batch read of where
/// they are (and, rarely, of the slots that names), then [`add_all_new`] for the
/// rest. Adding is idempotent, so an add that failed is settled by adding again.
pub fn add_all(kv: &dyn KeyValue, listings: &[Listing]) -> StoreResult<()> {
    add_with(kv, listings, false, Vec::new())
}

/// [`add_all`] (or, when `known_new`, [`add_all_new`]) with `along`: other writes
/// that go in the same batch as the entries.
pub fn add_with(
    kv: &dyn KeyValue,
    listings: &[Listing],
    known_new: bool,
    along: Vec<(String, Vec<u8>)>,
) -> StoreResult<()> {
    if known_new {
        return append(kv, listings, along);
    }
    let missing = unlisted(kv, listings)?;
    append_claimed(kv, &missing, along)
}

/// The listings whose entry is in no slot of its list. Pages of the earlier layout
/// are not searched: nothing is appended to them any more, and an entry that is
/// also there only makes readers see it twice.
fn unlisted(kv: &dyn KeyValue, listings: &[Listing]) -> StoreResult<Vec<Listing>> {
    if listings.is_empty() {
        return Ok(Vec::new());
    }
    let where_keys: Vec<String> = listings
        .iter()
        .map(|l| keys::index_where(&l.list, &l.entry))
        .collect();
    let named: Vec<Option<u64>> = kv
        .get_many(&where_keys)?
        .into_iter()
        .map(|v| v.as_deref().and_then(parse_slot))
        .collect();
    // A where-key whose slot is empty is what an interrupted removal leaves.
    let slot_keys: Vec<String> = listings
        .iter()
        .zip(&named)
        .filter_map(|(l, slot)| slot.map(|s| keys::index_slot(&l.list, s)))
        .collect();
    let mut held = if slot_keys.is_empty() {
        Vec::new()
    } else {
        kv.get_many(&slot_keys)?
    }
    .into_iter();
    let mut missing = Vec::new();
    for (listing, slot) in listings.iter().zip(named) {
        let listed = slot.is_some()
            && held
                .next()
                .flatten()
                .is_some_and(|entry| entry == listing.entry.as_bytes());
        if !listed {
            missing.push(listing.clone());
        }
    }
    Ok(missing)
}

/// Adds listings known not to be in their lists (those of a record under a fresh
/// id): one increment per list hands out a slot, then one batch writes every entry
/// and where it is. The batch is not atomic everywhere, but each of its keys is
/// this appender's own, so a partial write loses nothing of anyone else's.
pub fn add_all_new(kv: &dyn KeyValue, listings: &[Listing]) -> StoreResult<()> {
    append(kv, listings, Vec::new())
}

fn append(
    kv: &dyn KeyValue,
    listings: &[Listing],
    mut writes: Vec<(String, Vec<u8>)>,
) -> StoreResult<()> {
    if listings.is_empty() && writes.is_empty() {
        return Ok(());
    }
    writes.reserve(listings.len() * 2);
    for listing in listings {
        let slot = next_slot(kv, &listing.list)?;
        writes.extend(slot_writes(listing, slot));
    }
    Ok(kv.set_many(&writes)?)
}

/// Appends listings that another writer may be appending at the same time (two
/// rewrites of one record both moving it into a list). Each goes in as any
/// append does (its slot and where-key in one batch, so a crash leaves it
/// findable), then the copies of an entry hold an election by compare-and-swap
/// of its claim key: the loser empties its slot and points the where-key back at
/// the winner's, so the list holds the entry once.
fn append_claimed(
    kv: &dyn KeyValue,
    listings: &[Listing],
    mut writes: Vec<(String, Vec<u8>)>,
) -> StoreResult<()> {
    let mut slots = Vec::with_capacity(listings.len());
    for listing in listings {
        let slot = next_slot(kv, &listing.list)?;
        writes.extend(slot_writes(listing, slot));
        slots.push(slot);
    }
    if !writes.is_empty() {
        kv.set_many(&writes)?;
    }
    for (listing, slot) in listings.iter().zip(slots) {
        elect(kv, listing, slot)?;
    }
    Ok(())
}

/// The election of [`append_claimed`]: the claim key names the copy that stays.
/// One naming an empty slot (its copy removed since) is taken over. A claim never
/// made is made by the copy its creation ticket elects ([`Creation`]: a swap of
/// an absent key elects no one on Spin's SQLite store); the others read it again.
/// A swap that fails is settled by the next read (some stores report failure
/// after committing). Should the election not finish, the copy stays as a plain
/// append leaves it: listed, and found by removals.
fn elect(kv: &dyn KeyValue, listing: &Listing, slot: u64) -> StoreResult<()> {
    let claim_key = keys::index_claim(&listing.list, &listing.entry);
    let mut budget = super::retry::Budget::new(super::CAS_RETRIES);
    let mut creation = Creation::of(&claim_key);
    let mut failed = None;
    while budget.attempt() {
        let read = kv.cas_read(&claim_key)?;
        if let Some(winner) = read.current.as_deref().and_then(parse_slot) {
            if winner == slot {
                return Ok(());
            }
            let held = kv.get(&keys::index_slot(&listing.list, winner))?;
            if held.as_deref() == Some(listing.entry.as_bytes()) {
                return stand_down(kv, listing, slot, winner);
            }
        }
        if read.current.is_none() && !creation.may_create(kv, super::creation::PATIENCE)? {
            continue;
        }
        match kv.cas_swap(read, slot.to_string().as_bytes()) {
            Ok(Swap::Written) => return Ok(()),
            Ok(Swap::Conflict) => {}
            Err(e) => failed = Some(e),
        }
    }
    Err(match failed {
        Some(e) => e.into(),
        None => StoreError::Contended { key: claim_key },
    })
}

/// The loser of an election: its where-key (if it names the loser's slot) to the
/// winner's slot, then its own slot emptied.
fn stand_down(kv: &dyn KeyValue, listing: &Listing, slot: u64, winner: u64) -> StoreResult<()> {
    let where_key = keys::index_where(&listing.list, &listing.entry);
    if kv.get(&where_key)?.as_deref().and_then(parse_slot) == Some(slot) {
        kv.set(&where_key, winner.to_string().as_bytes())?;
    }
    kv.delete(&keys::index_slot(&listing.list, slot))?;
    Ok(())
}

/// A fresh slot of `list`, from one atomic increment of its count.
fn next_slot(kv: &dyn KeyValue, list: &str) -> StoreResult<u64> {
    let slot = kv.increment(&keys::index_count(list), 1)?;
    u64::try_from(slot).map_err(|_| StoreError::Corrupt {
        key: keys::index_count(list),
        reason: format!("a slot count of {slot}"),
    })
}

/// The writes that make `listing` the first entry of a list that is new with its
/// record (the history of a record just created, under a fresh id): slot 0, which
/// the count never hands out, so no increment is needed and later appenders cannot
/// collide with it. The caller writes them in a batch with its other writes.
pub fn first_entry(listing: &Listing) -> [(String, Vec<u8>); 2] {
    slot_writes(listing, 0)
}

/// Removes every listing.
pub fn remove_all(kv: &dyn KeyValue, listings: &[Listing]) -> StoreResult<()> {
    for l in listings {
        IndexList::new(kv, l.list.as_str()).remove(&l.entry)?;
    }
    Ok(())
}

/// Encodes a list position as an opaque cursor bound to this list.
pub fn encode_cursor(codec: &CursorCodec, list: &IndexList, pos: &Position) -> String {
    codec.seal(list.name(), pos)
}

pub fn decode_cursor(
    codec: &CursorCodec,
    list: &IndexList,
    cursor: &str,
) -> Result<Position, CursorError> {
    codec.open(list.name(), cursor)
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
