//! The earlier layout of index lists, still read: ids in bounded pages.
//!
//! `i/<list>/<n>` holds up to 256 ids; writers appended to the last page with
//! compare-and-swap and sealed a full page (marked it as having a successor). Lists
//! written that way keep their pages: they are read before the list's slots (see
//! [`super::index`]) and their entries are removed from them, but nothing is
//! appended to them any more.

use super::retry::Budget;
use super::swap::cas_read_noting;
use super::{decode, encode, keys, StoreError, StoreResult, CAS_RETRIES};
use crate::platform::{KeyValue, Swap};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Page {
    pub ids: Vec<String>,
    /// True once the page is full and page n+1 exists (or is about to).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sealed: bool,
}

/// Page `page` of `list` (empty when absent), decoded from `bytes` as read.
pub fn decode_page(list: &str, page: u32, bytes: Option<&[u8]>) -> StoreResult<Page> {
    match bytes {
        Some(bytes) => decode(&keys::index_page(list, page), bytes),
        None => Ok(Page::default()),
    }
}

pub fn read_page(kv: &dyn KeyValue, list: &str, page: u32) -> StoreResult<Page> {
    decode_page(
        list,
        page,
        kv.get(&keys::index_page(list, page))?.as_deref(),
    )
}

/// Removes `id` from the pages of `list`, searching them in order. A list without
/// pages costs the read of page 0.
pub fn remove(kv: &dyn KeyValue, list: &str, id: &str) -> StoreResult<bool> {
    let mut page_no = 0;
    loop {
        let (removed, sealed) = remove_from_page(kv, list, id, page_no)?;
        if removed {
            return Ok(true);
        }
        if !sealed {
            return Ok(false);
        }
        page_no += 1;
    }
}

/// Returns (removed, page was sealed). Removing is idempotent: after a failed swap
/// the next round re-reads and finds the id gone if it landed.
fn remove_from_page(
    kv: &dyn KeyValue,
    list: &str,
    id: &str,
    page_no: u32,
) -> StoreResult<(bool, bool)> {
    let key = keys::index_page(list, page_no);
    let mut budget = Budget::new(CAS_RETRIES);
    let mut last_error = None;
    let mut tried = false;
    while budget.attempt() {
        let Some(read) = cas_read_noting(kv, &key, &mut last_error) else {
            continue;
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
        match kv.cas_swap(read, &encode(&page)) {
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
