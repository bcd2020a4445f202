//! Secondary indexes as append-only lists of ids sharded into bounded pages.
//!
//! `i/<list>/<n>` holds up to [`PAGE_CAPACITY`] ids. Writers append to the last page
//! with compare-and-swap; a full page is sealed (marked as having a successor) and the
//! next page starts. `i/<list>/tail` is a hint of the last page so appends cost O(1);
//! it may lag behind, which only makes an appender skip a sealed page or two.
//!
//! Crash safety comes from write order, not transactions: an entry is added *before*
//! the record it points to is written and removed *after* the record is gone, so an
//! index never misses a record; readers skip ids whose record does not exist.

use super::cursor::{CursorCodec, CursorError};
use super::retry::Budget;
use super::{decode, encode, keys, StoreError, StoreResult, CAS_RETRIES};
use crate::platform::{KeyValue, Swap};
use serde::{Deserialize, Serialize};

/// Ids per page: ~4 KB per page with 12-character ids, far below value size limits.
pub const PAGE_CAPACITY: usize = 256;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Page {
    ids: Vec<String>,
    /// True once the page is full and page n+1 exists (or is about to).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    sealed: bool,
}

/// A position inside a list, carried by cursors: page, offset within it, and the id
/// just before it (so removals that shift the page do not skip or repeat items).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    #[serde(rename = "p")]
    pub page: u32,
    #[serde(rename = "o")]
    pub offset: usize,
    #[serde(rename = "l")]
    pub last: String,
}

/// One page of results.
#[derive(Debug)]
pub struct Slice {
    pub ids: Vec<String>,
    pub next: Option<Position>,
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

    fn tail_key(&self) -> String {
        format!("i/{}/tail", self.name)
    }

    fn read_page(&self, page: u32) -> StoreResult<Page> {
        let key = keys::index_page(&self.name, page);
        match self.kv.get(&key)? {
            Some(bytes) => decode(&key, &bytes),
            None => Ok(Page::default()),
        }
    }

    /// Appends `id` (if it is not already on the page it would go to) and returns
    /// the page number, which callers may keep as a hint for [`IndexList::remove`].
    ///
    /// Bounded in attempts and time. Adding is idempotent, so a swap that failed
    /// with a store error is settled by the next round: it re-reads the page and
    /// finds the id there if the write landed.
    pub fn add(&self, id: &str) -> StoreResult<u32> {
        let tail = self.kv.get(&self.tail_key())?;
        self.add_from(id, tail_page(tail.as_deref()))
    }

    /// [`IndexList::add`] from page `page_no`, the tail hint read by the caller
    /// (lists written together read their hints in one batch, see [`add_all`]).
    fn add_from(&self, id: &str, mut page_no: u32) -> StoreResult<u32> {
        let tail_key = self.tail_key();
        let mut budget = Budget::new(CAS_RETRIES * 4);
        let mut last_error = None;
        // Rounds spent waiting for another writer's claimed page to appear.
        let mut waited_for_page = 0;
        while budget.attempt() {
            let key = keys::index_page(&self.name, page_no);
            let read = match self.kv.cas_read(&key) {
                Ok(read) => read,
                Err(e) => {
                    last_error = Some(e);
                    continue;
                }
            };
            let Some(bytes) = read.current.as_deref() else {
                // A new page. Spin's SQLite backend turns a compare-and-swap of an
                // absent key into a plain upsert, so two creators could overwrite each
                // other; an atomic increment elects one creator, the others wait for
                // its page to appear and then append to it with a real CAS. A creator
                // that died between its claim and its write would block the list for
                // good, so after a while a waiter creates the page by compare-and-swap
                // (exact on every backend whose CAS is real).
                let page = Page {
                    ids: vec![id.to_owned()],
                    sealed: false,
                };
                if waited_for_page >= CLAIM_PATIENCE {
                    match self.kv.cas_swap(read, &encode(&page)) {
                        Ok(Swap::Written) => return Ok(page_no),
                        Ok(Swap::Conflict) => {}
                        Err(e) => last_error = Some(e),
                    }
                    continue;
                }
                drop(read);
                match self.kv.increment(&claim_key(&key), 1) {
                    Ok(1) => {
                        self.kv.set(&key, &encode(&page))?;
                        return Ok(page_no);
                    }
                    Ok(_) => waited_for_page += 1,
                    Err(e) => last_error = Some(e),
                }
                continue;
            };
            let mut page: Page = decode(&key, bytes)?;
            if page.sealed {
                page_no += 1;
                continue;
            }
            if page.ids.iter().any(|x| x == id) {
                return Ok(page_no);
            }
            let full = page.ids.len() >= PAGE_CAPACITY;
            if full {
                page.sealed = true;
            } else {
                page.ids.push(id.to_owned());
            }
            match self.kv.cas_swap(read, &encode(&page)) {
                Ok(Swap::Written) => {}
                Ok(Swap::Conflict) => continue,
                Err(e) => {
                    last_error = Some(e);
                    continue;
                }
            }
            if !full {
                return Ok(page_no);
            }
            page_no += 1;
            self.kv.set(&tail_key, page_no.to_string().as_bytes())?;
        }
        Err(match last_error {
            Some(e) => StoreError::Kv(e),
            None => StoreError::Contended { key: tail_key },
        })
    }

    /// Removes `id`, looking first on page `hint`, then on every page in order.
    pub fn remove(&self, id: &str, hint: Option<u32>) -> StoreResult<bool> {
        if let Some(page_no) = hint {
            if self.remove_from_page(id, page_no)?.0 {
                return Ok(true);
            }
        }
        let mut page_no = 0;
        loop {
            let (removed, sealed) = self.remove_from_page(id, page_no)?;
            if removed {
                return Ok(true);
            }
            if !sealed {
                return Ok(false);
            }
            page_no += 1;
        }
    }

    /// Returns (removed, page was sealed). Removing is idempotent too: after a
    /// failed swap the next round re-reads and finds the id gone if it landed.
    fn remove_from_page(&self, id: &str, page_no: u32) -> StoreResult<(bool, bool)> {
        let key = keys::index_page(&self.name, page_no);
        let mut budget = Budget::new(CAS_RETRIES);
        let mut last_error = None;
        let mut tried = false;
        while budget.attempt() {
            let read = match self.kv.cas_read(&key) {
                Ok(read) => read,
                Err(e) => {
                    last_error = Some(e);
                    continue;
                }
            };
            let Some(bytes) = read.current.as_deref() else {
                return Ok((tried, false));
            };
            let mut page: Page = decode(&key, bytes)?;
            let before = page.ids.len();
            page.ids.retain(|x| x != id);
            if page.ids.len() == before {
                return Ok((tried, page.sealed));
            }
            let sealed = page.sealed;
            match self.kv.cas_swap(read, &encode(&page)) {
                Ok(Swap::Written) => return Ok((true, sealed)),
                Ok(Swap::Conflict) => {}
                Err(e) => {
                    tried = true;
                    last_error = Some(e);
                }
            }
        }
        Err(match last_error {
            Some(e) => StoreError::Kv(e),
            None => StoreError::Contended { key },
        })
    }

    /// Up to `limit` ids from `from` (the start when `None`). Reads one page, or a few
    /// when pages are sparse: the cost is O(limit), whatever the list's length.
    pub fn slice(&self, from: Option<&Position>, limit: usize) -> StoreResult<Slice> {
        let (mut page_no, mut offset, mut last) = match from {
            Some(p) => (p.page, p.offset, Some(p.last.clone())),
            None => (0, 0, None),
        };
        let mut ids = Vec::with_capacity(limit.min(PAGE_CAPACITY));
        // Empty sealed pages (everything removed) are skipped, a bounded number per call.
        for _ in 0..8 {
            let page = self.read_page(page_no)?;
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
                let more = end < page.ids.len() || page.sealed;
                let next = more.then(|| Position {
                    page: page_no,
                    offset: end,
                    last: ids.last().cloned().unwrap_or_default(),
                });
                return Ok(Slice { ids, next });
            }
            if !page.sealed {
                return Ok(Slice { ids, next: None });
            }
            page_no += 1;
            offset = 0;
            last = None;
        }
        let next = Some(Position {
            page: page_no,
            offset: 0,
            last: String::new(),
        });
        Ok(Slice { ids, next })
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

/// The page a stored tail hint names (page 0 when there is none or it is garbage).
fn tail_page(hint: Option<&[u8]>) -> u32 {
    hint.and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Adds every listing, reading the lists' tail hints in one batch: a write that
/// lists a record in n lists pays one read for all hints, then each list's
/// compare-and-swap append.
pub fn add_all(kv: &dyn KeyValue, listings: &[Listing]) -> StoreResult<()> {
    if let [one] = listings {
        IndexList::new(kv, one.list.as_str()).add(&one.entry)?;
        return Ok(());
    }
    let lists: Vec<IndexList> = listings
        .iter()
        .map(|l| IndexList::new(kv, l.list.as_str()))
        .collect();
    let tails: Vec<String> = lists.iter().map(IndexList::tail_key).collect();
    let hints = if tails.is_empty() {
        Vec::new()
    } else {
        kv.get_many(&tails)?
    };
    for ((list, listing), hint) in lists.iter().zip(listings).zip(hints) {
        list.add_from(&listing.entry, tail_page(hint.as_deref()))?;
    }
    Ok(())
}

/// For a list that is certainly new (the history of a record just created): one
/// increment elects this writer creator of the list's first page, and the page is
/// returned for the caller to write (in a batch with other writes). `None` when the
/// list has, or is getting, a first page already: [`IndexList::add`] it then.
/// The claim counter only ever grows and every would-be creator increments it, so
/// a first claim means no page 0 exists or is being written.
pub fn claim_first_page(
    kv: &dyn KeyValue,
    listing: &Listing,
) -> StoreResult<Option<(String, Vec<u8>)>> {
    let key = keys::index_page(&listing.list, 0);
    if kv.increment(&claim_key(&key), 1)? != 1 {
        return Ok(None);
    }
    let page = Page {
        ids: vec![listing.entry.clone()],
        sealed: false,
    };
    Ok(Some((key, encode(&page))))
}

/// Removes every listing (each list searched from its first page).
pub fn remove_all(kv: &dyn KeyValue, listings: &[Listing]) -> StoreResult<()> {
    for l in listings {
        IndexList::new(kv, l.list.as_str()).remove(&l.entry, None)?;
    }
    Ok(())
}

/// Rounds an appender waits for a claimed page before creating it itself. A live
/// creator writes its page right after its claim; 8 backed-off rounds are about
/// 0.1-0.2 s, well inside the loop's time budget.
const CLAIM_PATIENCE: usize = 8;

/// The counter that elects the creator of page `key`.
fn claim_key(page_key: &str) -> String {
    format!("{page_key}/claim")
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
mod tests {
    use super::*;
    use crate::platform::memory::MemoryKv;

    #[test]
    fn pages_fill_seal_and_list_in_order() {
        let kv = MemoryKv::default();
        let list = IndexList::new(&kv, "t");
        let n = PAGE_CAPACITY * 2 + 10;
        for i in 0..n {
            list.add(&format!("id{i}")).unwrap();
        }
        let mut seen = Vec::new();
        let mut from = None;
        loop {
            let slice = list.slice(from.as_ref(), 100).unwrap();
            seen.extend(slice.ids);
            match slice.next {
                Some(p) => from = Some(p),
                None => break,
            }
        }
        let expected: Vec<String> = (0..n).map(|i| format!("id{i}")).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn add_is_idempotent_and_remove_keeps_cursors_stable() {
        let kv = MemoryKv::default();
        let list = IndexList::new(&kv, "t");
        for id in ["a", "b", "c", "d", "a"] {
            list.add(id).unwrap();
        }
        let first = list.slice(None, 2).unwrap();
        assert_eq!(first.ids, ["a", "b"]);
        // Removing an item already seen must not make the next page skip "c".
        assert!(list.remove("a", Some(0)).unwrap());
        assert!(!list.remove("zz", None).unwrap());
        let second = list.slice(first.next.as_ref(), 2).unwrap();
        assert_eq!(second.ids, ["c", "d"]);
        assert!(second.next.is_none());
    }

    #[test]
    fn slice_cost_does_not_grow_with_the_list() {
        let kv = MemoryKv::default();
        let list = IndexList::new(&kv, "t");
        for i in 0..PAGE_CAPACITY * 4 + 1 {
            list.add(&format!("id{i}")).unwrap();
        }
        let before = kv.ops.get();
        let slice = list.slice(None, 50).unwrap();
        assert_eq!(kv.ops.get() - before, 1);
        let before = kv.ops.get();
        list.slice(slice.next.as_ref(), 50).unwrap();
        assert_eq!(kv.ops.get() - before, 1);
        // An append reads the tail hint and CASes the tail page (cas new, current,
        // swap): constant cost.
        let before = kv.ops.get();
        list.add("new").unwrap();
        assert_eq!(kv.ops.get() - before, 4);
    }
}

#[cfg(test)]
mod claim_tests {
    use super::*;
    use crate::platform::memory::MemoryKv;

    #[test]
    fn a_page_whose_claimer_died_is_created_by_the_next_appender() {
        let kv = MemoryKv::default();
        // A creator took the claim of page 0 and died before writing the page.
        kv.increment(&claim_key(&keys::index_page("t", 0)), 1)
            .unwrap();
        let list = IndexList::new(&kv, "t");
        let start = std::time::Instant::now();
        assert_eq!(list.add("a").unwrap(), 0);
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(list.slice(None, 10).unwrap().ids, ["a"]);
    }
}
