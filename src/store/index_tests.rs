use super::*;
use crate::platform::memory::MemoryKv;
use crate::store::encode;

fn all(list: &IndexList, chunk: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut from = None;
    loop {
        let slice = list.slice(from.as_ref(), chunk).unwrap();
        seen.extend(slice.ids);
        match slice.next {
            Some(p) => from = Some(p),
            None => return seen,
        }
    }
}

#[test]
fn entries_list_in_order_across_reads() {
    let kv = MemoryKv::default();
    let list = IndexList::new(&kv, "t");
    let n = 610;
    for i in 0..n {
        list.add(&format!("id{i}")).unwrap();
    }
    let expected: Vec<String> = (0..n).map(|i| format!("id{i}")).collect();
    assert_eq!(all(&list, 100), expected);
    assert_eq!(all(&list, 7), expected);
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
    assert!(list.remove("a").unwrap());
    assert!(!list.remove("zz").unwrap());
    let second = list.slice(first.next.as_ref(), 2).unwrap();
    assert_eq!(second.ids, ["c", "d"]);
    assert!(second.next.is_none());
    // Removed and added again: listed once, at the end.
    list.add("a").unwrap();
    list.add("a").unwrap();
    assert_eq!(all(&list, 10), ["b", "c", "d", "a"]);
}

#[test]
fn holes_from_removals_and_dead_appenders_are_skipped() {
    let kv = MemoryKv::default();
    let list = IndexList::new(&kv, "t");
    for i in 0..30 {
        list.add(&format!("id{i}")).unwrap();
    }
    for i in 0..10 {
        list.remove(&format!("id{i}")).unwrap();
    }
    // An appender that took a slot and died before writing it.
    kv.increment(&keys::index_count("t"), 1).unwrap();
    list.add("last").unwrap();
    let slice = list.slice(None, 3).unwrap();
    assert_eq!(slice.ids, ["id10", "id11", "id12"]);
    let expected: Vec<String> = (10..30)
        .map(|i| format!("id{i}"))
        .chain(["last".to_owned()])
        .collect();
    assert_eq!(all(&list, 3), expected);
}

#[test]
fn an_interrupted_removal_does_not_hide_a_later_add() {
    let kv = MemoryKv::default();
    let list = IndexList::new(&kv, "t");
    list.add("a").unwrap();
    // The removal deleted the slot and died before the where-key.
    kv.data_remove(&keys::index_slot("t", 1));
    assert!(list.slice(None, 10).unwrap().ids.is_empty());
    list.add("a").unwrap();
    assert_eq!(all(&list, 10), ["a"]);
}

#[test]
fn lists_in_pages_read_first_then_their_slots() {
    let kv = MemoryKv::default();
    let page = |ids: &[&str], sealed| Page {
        ids: ids.iter().map(|s| s.to_string()).collect(),
        sealed,
    };
    kv.set(&keys::index_page("t", 0), &encode(&page(&["a", "b"], true)))
        .unwrap();
    kv.set(&keys::index_page("t", 1), &encode(&page(&["c"], false)))
        .unwrap();
    kv.set("i/t/tail", b"1").unwrap();
    let list = IndexList::new(&kv, "t");
    list.add("d").unwrap();
    list.add("e").unwrap();
    for chunk in [1, 2, 3, 10] {
        assert_eq!(all(&list, chunk), ["a", "b", "c", "d", "e"], "{chunk}");
    }
    // Entries of both layouts are removed.
    assert!(list.remove("b").unwrap());
    assert!(list.remove("d").unwrap());
    assert_eq!(all(&list, 2), ["a", "c", "e"]);
}

#[test]
fn reads_and_appends_cost_the_same_whatever_the_length() {
    let kv = MemoryKv::default();
    let list = IndexList::new(&kv, "t");
    for i in 0..1000 {
        list.add(&format!("id{i}")).unwrap();
    }
    let before = kv.ops.get();
    let slice = list.slice(None, 50).unwrap();
    assert_eq!(kv.ops.get() - before, 1);
    let before = kv.ops.get();
    list.slice(slice.next.as_ref(), 50).unwrap();
    assert_eq!(kv.ops.get() - before, 1);
    // An entry of a fresh record: an increment and a batch write. One that may be
    // listed already also reads where it is, and then holds the election of its
    // copies (a compare-and-swap: three calls; the first election of an entry in
    // a list also draws the claim's creation ticket).
    let before = kv.ops.get();
    add_all_new(&kv, &[Listing::new("t", "new")]).unwrap();
    assert_eq!(kv.ops.get() - before, 2);
    let before = kv.ops.get();
    list.add("newer").unwrap();
    assert_eq!(kv.ops.get() - before, 7);
    // Four lists, four increments and one batch.
    let listings: Vec<Listing> = ["w", "x", "y", "z"]
        .iter()
        .map(|l| Listing::new(*l, "e"))
        .collect();
    let before = kv.ops.get();
    add_all_new(&kv, &listings).unwrap();
    assert_eq!(kv.ops.get() - before, 5);
}

#[test]
fn a_first_entry_goes_before_every_appended_one() {
    let kv = MemoryKv::default();
    // Someone appended to the new list before its first entry was written.
    IndexList::new(&kv, "h").add("second").unwrap();
    kv.set_many(&first_entry(&Listing::new("h", "first")))
        .unwrap();
    assert_eq!(all(&IndexList::new(&kv, "h"), 10), ["first", "second"]);
}

#[test]
fn counts_are_read_in_every_store_encoding() {
    assert_eq!(parse_count(b"42"), 42);
    assert_eq!(parse_count(&42i64.to_le_bytes()), 42);
    assert_eq!(parse_count(&(-1i64).to_le_bytes()), 0);
    assert_eq!(parse_count(b"junk"), 0);
    assert_eq!(parse_count(b""), 0);
}

#[test]
fn two_appenders_of_one_entry_list_it_once() {
    let kv = MemoryKv::default();
    let list = IndexList::new(&kv, "t");
    list.add("a").unwrap();
    // Both found "b" missing (two rewrites of one record moving it here at once);
    // the second loses the election to the first's slot and empties its own.
    let b = [Listing::new("t", "b")];
    append_claimed(&kv, &b, Vec::new()).unwrap();
    append_claimed(&kv, &b, Vec::new()).unwrap();
    assert_eq!(all(&list, 10), ["a", "b"]);
    assert!(list.remove("b").unwrap());
    assert_eq!(all(&list, 10), ["a"]);
    // A claim naming an empty slot (a removal cut off after the slot) is taken
    // over.
    list.add("c").unwrap();
    let slot = parse_slot(&kv.get(&keys::index_where("t", "c")).unwrap().unwrap()).unwrap();
    kv.delete(&keys::index_slot("t", slot)).unwrap();
    append_claimed(&kv, &[Listing::new("t", "c")], Vec::new()).unwrap();
    assert_eq!(all(&list, 10), ["a", "c"]);
    assert!(list.remove("c").unwrap());
    assert_eq!(all(&list, 10), ["a"]);
}

/// Two appenders that both read the new claim as absent, on a store whose swap of
/// an absent key is an upsert (Spin's SQLite): the second's whole append runs
/// between the first one's read of the claim and its next step.
#[test]
fn two_appenders_that_both_find_no_claim_list_it_once_on_an_upserting_store() {
    use crate::platform::memory::Fault;
    let kv = std::rc::Rc::new(MemoryKv::default());
    let list = IndexList::new(&*kv, "t");
    list.add("a").unwrap();
    kv.fault.set(Fault::UpsertAbsent);
    let other = kv.clone();
    *kv.interleave.borrow_mut() = Some((
        keys::index_claim("t", "b"),
        Box::new(move || append_claimed(&*other, &[Listing::new("t", "b")], Vec::new()).unwrap()),
    ));
    append_claimed(&*kv, &[Listing::new("t", "b")], Vec::new()).unwrap();
    assert!(kv.interleave.borrow().is_none(), "the second appender ran");
    assert_eq!(all(&list, 10), ["a", "b"]);
    assert!(list.remove("b").unwrap());
    assert_eq!(all(&list, 10), ["a"]);
}

#[test]
fn an_election_that_cannot_finish_leaves_a_plain_append() {
    use crate::platform::memory::Fault;
    let kv = MemoryKv::default();
    let list = IndexList::new(&kv, "t");
    list.add("a").unwrap();
    kv.fault.set(Fault::RefuseEveryCas);
    let refused = append_claimed(&kv, &[Listing::new("t", "b")], Vec::new());
    assert!(
        matches!(refused, Err(StoreError::Contended { .. })),
        "{refused:?}"
    );
    kv.fault.set(Fault::None);
    // Listed, found by an add (nothing appended twice) and by a removal.
    assert_eq!(all(&list, 10), ["a", "b"]);
    list.add("b").unwrap();
    assert_eq!(all(&list, 10), ["a", "b"]);
    assert!(list.remove("b").unwrap());
    assert_eq!(all(&list, 10), ["a"]);
    // A store that writes its swaps and reports failure: read back, settled.
    kv.fault.set(Fault::FailAfterWrite);
    append_claimed(&kv, &[Listing::new("t", "c")], Vec::new()).unwrap();
    kv.fault.set(Fault::None);
    assert_eq!(all(&list, 10), ["a", "c"]);
}
