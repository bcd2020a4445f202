//! Sorting through one copy of the standard library's sort.
//!
//! `sort_by` is generic over the element and the comparison, and each instance of
//! it (driftsort with its quicksort, merges and small sorts) is about 6 KB of the
//! component's code: a handful of sorts of different records made it 53 KB. Here
//! every sort shares one instance: the positions of the elements are sorted with
//! the caller's comparison behind a reference, then the elements are moved into
//! that order. The sorts of this server are of a page or of one venue's routes at
//! most, where an indirect comparison costs nothing measurable. Depends on nothing
//! in the crate.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, keeping equal elements in their order (as
/// `slice::sort_by` does).
pub fn sort_by<T>(items: &mut Vec<T>, compare: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_positions(items.len(), &|a, b| compare(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    // `order` is a permutation of the positions: every slot is taken once.
    items.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// The positions `0..len` ordered by `compare`, stably.
fn sorted_positions(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_and_keeps_every_element() {
        let mut items = vec![(3, "a"), (1, "b"), (3, "c"), (2, "d"), (1, "e")];
        sort_by(&mut items, |x, y| x.0.cmp(&y.0));
        assert_eq!(items, [(1, "b"), (1, "e"), (2, "d"), (3, "a"), (3, "c")]);
        let mut empty: Vec<String> = Vec::new();
        sort_by(&mut empty, |x, y| x.cmp(y));
        assert!(empty.is_empty());
    }
}
