//! A counter's totals are cumulative `u64`s (issue 13), so unlike per-change amounts
//! they can pass `u64::MAX`. Nothing panics, wraps or saturates: the entry that would
//! overflow stays, the new entry holds the rest, and the `i128` value stays exact.

use converge_core::{Lattice, ReplicaId};
use converge_ormap::{Counter, Document};

const A: ReplicaId = ReplicaId::new(1);
const B: ReplicaId = ReplicaId::new(2);
const MAX: i128 = u64::MAX as i128;

#[test]
fn increments_past_u64_max_spill_into_a_second_entry() {
    let mut c = Counter::new();
    c.increment(A, u64::MAX);
    c.increment(A, 1);
    assert_eq!(c.value(), MAX + 1);
    assert_eq!(c.entries().len(), 2);
    // Further small increments fold into the small entry, not into new ones.
    for _ in 0..1_000 {
        c.increment(A, 1);
    }
    assert_eq!(c.value(), MAX + 1_001);
    assert_eq!(c.entries().len(), 2);
    c.increment(A, u64::MAX);
    c.increment(A, u64::MAX);
    assert_eq!(c.value(), 3 * MAX + 1_001);
    assert!(c.entries().len() <= 4, "{c:?}");
}

#[test]
fn decrements_past_u64_max_spill_the_same_way() {
    let mut c = Counter::new();
    c.decrement(A, u64::MAX);
    c.increment(A, 5);
    c.decrement(A, 2);
    assert_eq!(c.value(), -MAX + 5 - 2);
    assert_eq!(c.entries().len(), 2);
    assert_eq!(c.entries().filter(|(d, _)| d.replica == A).count(), 2);
}

/// The spilled entries are ordinary entries: every peer applies the deltas exactly,
/// in any order, and a reset removes them all.
#[test]
fn spilled_entries_merge_and_reset_like_any_other() {
    let mut at_a = Document::new();
    let path = ["n"];
    let mut deltas: Vec<Document> = [u64::MAX, 1, u64::MAX, 7]
        .into_iter()
        .map(|by| {
            at_a.update_at(&path, |c: &mut Counter| c.increment(A, by))
                .unwrap()
        })
        .collect();
    deltas.push(
        at_a.update_at(&path, |c: &mut Counter| c.decrement(B, 3))
            .unwrap(),
    );
    let value = |d: &Document| {
        d.get_at(&path)
            .and_then(|n| n.get::<Counter>())
            .map(Counter::value)
    };
    assert_eq!(value(&at_a), Some(2 * MAX + 8 - 3));
    let mut reversed = Document::new();
    deltas.iter().rev().cloned().for_each(|d| reversed.join(d));
    assert_eq!(reversed, at_a);
    let mut full = Document::new();
    full.join(at_a.clone());
    let reset = full.remove_at(&path).unwrap();
    at_a.join(reset);
    assert_eq!(value(&at_a), None);
}

/// A write carries its replica's whole total forward, spilled entries included: a
/// reset it has not seen cancels none of it. (Before: the entry that could not be
/// folded kept its old dot, so the concurrent reset removed it, and a change's
/// increments summed into one read differently from the same increments one by one.)
#[test]
fn a_spilling_write_carries_the_entry_it_cannot_fold_past_an_unseen_reset() {
    let mut here = Counter::new();
    here.increment(A, 2);
    let mut there = here.clone();
    let reset = there.reset();
    let spill = here.increment(A, u64::MAX - 1);
    assert_eq!(here.entries().len(), 2);
    here.join(reset);
    assert_eq!(here.value(), 2 + (MAX - 1));
    there.join(spill);
    assert_eq!(there, here);
}
