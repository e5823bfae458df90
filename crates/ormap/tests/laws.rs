//! The lattice and delta-state laws (`converge_core::testing::check_history`) hold for
//! the OR-Map over random histories on three replicas: for the typed maps
//! `OrMap<u8, OrSet<String>>` and `OrMap<String, Counter>` (update, remove, clear), and
//! for `Document` with random writes of every kind on random short paths over a tiny
//! key alphabet, so that keys, paths and kinds collide often, including writes of
//! different kinds at the same path (type conflicts, which keep every kind).

mod support;

use converge_core::testing::{check_history, history};
use converge_core::{Lattice, ReplicaId};
use converge_ormap::{Counter, Document, OrMap};
use converge_orset::OrSet;
use proptest::prelude::*;
use support::{keys_of, path, two_kinds, write, write_at, Write};

// ---------------------------------------------------------------------------------
// Typed map of sets.

#[derive(Clone, Debug)]
enum SetMapOp {
    Add(u8, u8),
    RemoveElement(u8, u8),
    ClearSet(u8),
    Remove(u8),
    Clear,
}

fn set_map_op() -> impl Strategy<Value = SetMapOp> {
    // Three keys and four elements: updates and removes of the same key collide often.
    prop_oneof![
        5 => (0u8..3, 0u8..4).prop_map(|(k, e)| SetMapOp::Add(k, e)),
        2 => (0u8..3, 0u8..4).prop_map(|(k, e)| SetMapOp::RemoveElement(k, e)),
        1 => (0u8..3).prop_map(SetMapOp::ClearSet),
        2 => (0u8..3).prop_map(SetMapOp::Remove),
        1 => Just(SetMapOp::Clear),
    ]
}

fn apply_set_map(
    map: &mut OrMap<u8, OrSet<String>>,
    replica: ReplicaId,
    op: &SetMapOp,
) -> OrMap<u8, OrSet<String>> {
    match op {
        SetMapOp::Add(k, e) => map.update(k, |s| s.add(replica, format!("e{e}"))),
        SetMapOp::RemoveElement(k, e) => map.update(k, |s| s.remove(&format!("e{e}"))),
        SetMapOp::ClearSet(k) => map.update(k, OrSet::clear),
        SetMapOp::Remove(k) => map.remove(k),
        SetMapOp::Clear => map.clear(),
    }
}

// ---------------------------------------------------------------------------------
// Typed map of counters.

#[derive(Clone, Debug)]
enum CounterMapOp {
    Increment(u8, u64),
    Decrement(u8, u64),
    /// Totals near `u64::MAX`, so they overflow and spill into a second entry.
    IncrementHuge(u8),
    Reset(u8),
    Remove(u8),
    Clear,
}

fn counter_map_op() -> impl Strategy<Value = CounterMapOp> {
    prop_oneof![
        4 => (0u8..3, 1u64..100).prop_map(|(k, n)| CounterMapOp::Increment(k, n)),
        2 => (0u8..3, 1u64..100).prop_map(|(k, n)| CounterMapOp::Decrement(k, n)),
        1 => (0u8..3).prop_map(CounterMapOp::IncrementHuge),
        1 => (0u8..3).prop_map(CounterMapOp::Reset),
        2 => (0u8..3).prop_map(CounterMapOp::Remove),
        1 => Just(CounterMapOp::Clear),
    ]
}

fn apply_counter_map(
    map: &mut OrMap<String, Counter>,
    replica: ReplicaId,
    op: &CounterMapOp,
) -> OrMap<String, Counter> {
    let key = |k: &u8| format!("k{k}");
    match op {
        CounterMapOp::Increment(k, n) => map.update(&key(k), |c| c.increment(replica, *n)),
        CounterMapOp::Decrement(k, n) => map.update(&key(k), |c| c.decrement(replica, *n)),
        CounterMapOp::IncrementHuge(k) => {
            map.update(&key(k), |c| c.increment(replica, u64::MAX - 10))
        }
        CounterMapOp::Reset(k) => map.update(&key(k), Counter::reset),
        CounterMapOp::Remove(k) => map.remove(&key(k)),
        CounterMapOp::Clear => map.clear(),
    }
}

// ---------------------------------------------------------------------------------
// Documents.

#[derive(Clone, Debug)]
enum DocOp {
    /// One write at a path.
    Write(Vec<u8>, Write),
    /// Two writes at the same path, of two (usually different) kinds, as one delta
    /// group: a node that holds two kinds at once.
    Both(Vec<u8>, Write, Write),
    /// Removes the key at the end of the path.
    RemoveAt(Vec<u8>),
    /// Removes every key of the root.
    Clear,
}

fn doc_op() -> impl Strategy<Value = DocOp> {
    prop_oneof![
        8 => (path(), write()).prop_map(|(p, w)| DocOp::Write(p, w)),
        2 => (path(), write(), write()).prop_map(|(p, w, v)| DocOp::Both(p, w, v)),
        3 => path().prop_map(DocOp::RemoveAt),
        1 => Just(DocOp::Clear),
    ]
}

fn apply_doc(doc: &mut Document, replica: ReplicaId, op: &DocOp) -> Document {
    match op {
        DocOp::Write(path, w) => write_at(doc, replica, &keys_of(path), w),
        DocOp::Both(path, first, second) => {
            let path = keys_of(path);
            let mut group = write_at(doc, replica, &path, first);
            group.join(write_at(doc, replica, &path, second));
            group
        }
        DocOp::RemoveAt(path) => doc.remove_at(&keys_of(path)).unwrap(),
        DocOp::Clear => doc.clear(),
    }
}

proptest! {
    #[test]
    fn map_of_sets_obeys_the_laws(h in history(set_map_op())) {
        check_history(&h, apply_set_map)?;
    }

    #[test]
    fn map_of_counters_obeys_the_laws(h in history(counter_map_op())) {
        check_history(&h, apply_counter_map)?;
    }

    #[test]
    fn document_obeys_the_laws(h in history(doc_op())) {
        check_history(&h, apply_doc)?;
    }

    /// Two replicas write different kinds at the same path concurrently: the merged
    /// node holds both kinds (nothing is lost), whichever way the merge goes.
    #[test]
    fn concurrent_writes_of_different_kinds_keep_both(
        path in path(),
        (first, second) in two_kinds(),
    ) {
        let path = keys_of(&path);
        let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
        let mut at_a = Document::new();
        let mut at_b = Document::new();
        let from_a = write_at(&mut at_a, a, &path, &first);
        let from_b = write_at(&mut at_b, b, &path, &second);
        at_a.join(from_b);
        at_b.join(from_a);
        prop_assert_eq!(&at_a, &at_b);
        let node = at_a.get_at(&path).expect("the path is present after the merge");
        let mut expected = vec![first.kind(), second.kind()];
        expected.sort();
        prop_assert_eq!(node.kinds().collect::<Vec<_>>(), expected);
    }
}
