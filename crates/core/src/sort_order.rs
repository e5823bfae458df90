//! Sorting for the encoders and decoders, through one shared sort.
//!
//! The standard library's sorts are generic: each element type and comparison gets its
//! own copy of several kilobytes of sorting code, which the wasm build pays for at
//! every call site. Here the sorting is done once, on positions (`usize`), with the
//! comparison passed as a trait object; what is left per call site is the comparison
//! and the reordering. The sort is stable, and the standard one underneath, so it is
//! O(n log n) and O(n) on input already in order (what decoders usually get).

use std::cmp::Ordering;

/// The positions `0..len` in the order `compare` puts them, ties in position order.
/// Not generic: one copy of the sort serves every caller (for a caller that sorts
/// by values it keeps beside the items, with no reordering code of its own).
#[inline(never)]
pub fn stable_order(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Sorts `items` by `compare`, stably, as `items.sort_by(compare)` does, through the
/// one shared sort (see the module documentation).
pub fn sort_stable_by<T>(items: &mut Vec<T>, mut compare: impl FnMut(&T, &T) -> Ordering) {
    // Input already in order (one item, say: a node of one kind on every write) is the
    // stable sort's answer as it is: no allocation.
    if items
        .windows(2)
        .all(|pair| compare(&pair[0], &pair[1]) != Ordering::Greater)
    {
        return;
    }
    let order = {
        let view: &[T] = items;
        stable_order(view.len(), &mut |a, b| compare(&view[a], &view[b]))
    };
    if order.iter().enumerate().all(|(at, &from)| at == from) {
        return;
    }
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|from| slots.get_mut(from).and_then(Option::take)),
    );
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The shared sort orders as the standard stable sort does, ties included.
        #[test]
        fn sorts_as_the_standard_stable_sort(items in proptest::collection::vec((0u8..8, any::<u32>()), 0..200)) {
            let mut ours = items.clone();
            sort_stable_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut theirs = items;
            theirs.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, theirs);
        }

        /// Input already in order (the early return) comes out as the standard sort
        /// leaves it: unchanged, ties in place.
        #[test]
        fn input_in_order_stays_as_the_standard_sort_leaves_it(items in proptest::collection::vec((0u8..8, any::<u32>()), 0..200)) {
            let mut ordered = items;
            ordered.sort_by_key(|a| a.0);
            let mut ours = ordered.clone();
            sort_stable_by(&mut ours, |a, b| a.0.cmp(&b.0));
            prop_assert_eq!(ours, ordered);
        }
    }
}
