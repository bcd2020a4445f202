//! Key naming. Keys are short, typed and stable; all of them stay far below the
//! 256-byte limit because ids are 12 characters and index names are fixed.

use super::Record;

/// The record of `id`: `<prefix>/<id>`, e.g. `a/Xy3...` for an area.
pub fn record<R: Record>(id: &str) -> String {
    // `concat` rather than `format!`: keys are built on every read, and the
    // formatting machinery costs several times the copy.
    [R::PREFIX, "/", id].concat()
}

/// Page `n` of the index list `list`: `i/<list>/<n>`.
pub fn index_page(list: &str, page: u32) -> String {
    format!("i/{list}/{page}")
}

/// The secret that signs cursors when no `state_secret` variable is configured.
pub const CURSOR_KEY: &str = "s/cursor-key";

/// The count of slots handed out in the index list `list`: `ec/<list>`.
pub fn index_count(list: &str) -> String {
    ["ec/", list].concat()
}

/// Slot `k` of the index list `list`, which holds one entry: `e/<list>/<k>`.
pub fn index_slot(list: &str, slot: u64) -> String {
    format!("e/{list}/{slot}")
}

/// The keys of slots `slots` of the index list `list` (what [`index_slot`] names),
/// built from one prefix: a page of a list reads dozens of them.
pub fn index_slots(list: &str, slots: std::ops::Range<u64>) -> impl Iterator<Item = String> {
    let prefix = ["e/", list, "/"].concat();
    slots.map(move |slot| {
        let mut key = String::with_capacity(prefix.len() + 20);
        key.push_str(&prefix);
        key.push_str(&slot.to_string());
        key
    })
}

/// The slot of `entry` in the index list `list`: `ew/<list>/<entry>` (entries never
/// contain a `/`, so the key names one list and one entry).
pub fn index_where(list: &str, entry: &str) -> String {
    format!("ew/{list}/{entry}")
}

/// Which slot of the index list `list` holds the copy of `entry` that stays, when
/// writers racing to append it elect one (`store::index`): `ek/<list>/<entry>`.
pub fn index_claim(list: &str, entry: &str) -> String {
    format!("ek/{list}/{entry}")
}

/// The ticket that elects the creator of `key` (`store::creation`): `ct/<key>`.
pub fn creation_ticket(key: &str) -> String {
    ["ct/", key].concat()
}

/// The record of task `id` (`store::tasks`): `task/<id>`. Not a [`record`] key:
/// tasks are no `Record` and their ids are longer.
pub fn task(id: &str) -> String {
    format!("task/{id}")
}

/// Input part `n` of task `id`: `task/<id>/<n>`.
pub fn task_part(id: &str, n: u32) -> String {
    format!("task/{id}/{n}")
}
