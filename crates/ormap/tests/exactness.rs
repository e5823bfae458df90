//! Delta exactness in a `Document` (DESIGN.md): a delta carries exactly the dots it
//! speaks for, so a delta that arrives before an earlier one never makes the receiver
//! believe the earlier write was removed. Checked for a nested set element, a counter
//! entry and a register value, and over random single-writer histories: for
//! every pair of deltas delivered newer first, every write of the older one that is
//! still live at the writer is live at the receiver.

mod support;

use converge_core::{Dot, DotStore, Embeddable, Lattice, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Value};
use converge_orset::OrSet;
use proptest::prelude::*;
use support::{
    add, all_dots, context_dots, increment, keys_of, path, set_lww, write, write_at, write_mv,
};

const A: ReplicaId = ReplicaId::new(1);
const B: ReplicaId = ReplicaId::new(0xfeed_beef_0000_0001);

fn set_at(doc: &Document, path: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = doc
        .get_at(path)
        .and_then(|n| n.get::<OrSet<Value>>())
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    all
}

fn counter_at(doc: &Document, path: &[&str]) -> Option<i128> {
    doc.get_at(path)
        .and_then(|n| n.get::<Counter>())
        .map(Counter::value)
}

fn lww_at(doc: &Document, path: &[&str]) -> Option<Value> {
    doc.get_at(path)
        .and_then(|n| n.get::<LwwRegister<Value>>())
        .and_then(|r| r.value().cloned())
}

fn mv_at(doc: &Document, path: &[&str]) -> Vec<Value> {
    doc.get_at(path)
        .and_then(|n| n.get::<MvRegister<Value>>())
        .map(|r| r.values().cloned().collect())
        .unwrap_or_default()
}

/// A fresh replica that receives `deltas` in the order given.
fn receive(deltas: &[&Document]) -> Document {
    let mut doc = Document::new();
    for d in deltas {
        doc.join((*d).clone());
    }
    doc
}

fn speaks_for(delta: &Document, dot: Dot) -> bool {
    delta.as_causal().context.contains(dot)
}

// ---------------------------------------------------------------------------------
// A nested set element.

#[test]
fn a_later_add_to_the_same_nested_set_does_not_remove_an_earlier_add() {
    let mut writer = Document::new();
    let first = add(&mut writer, A, &["cart", "items"], "x");
    let second = add(&mut writer, A, &["cart", "items"], "y");
    assert!(!speaks_for(&second, Dot::new(A, 1)));

    let receiver = receive(&[&second, &first]);
    assert_eq!(set_at(&receiver, &["cart", "items"]), ["x", "y"]);
    assert_eq!(receiver, writer);
}

#[test]
fn a_later_remove_of_another_element_does_not_remove_an_earlier_add() {
    let mut writer = Document::new();
    let _never_delivered = add(&mut writer, A, &["cart", "items"], "z");
    let first = add(&mut writer, A, &["cart", "items"], "x");
    let second = writer
        .update_at(&["cart", "items"], |s: &mut OrSet<Value>| {
            s.remove(&"z".into())
        })
        .unwrap();
    // The remove speaks for z's dot only.
    assert_eq!(context_dots(&second.as_causal().context), [Dot::new(A, 1)]);

    let receiver = receive(&[&second, &first]);
    assert_eq!(set_at(&receiver, &["cart", "items"]), ["x"]);
    assert_eq!(receiver, writer);
}

#[test]
fn a_later_remove_of_a_sibling_key_does_not_remove_an_earlier_nested_add() {
    let mut writer = Document::new();
    let old = add(&mut writer, A, &["cart", "old"], "o");
    let first = add(&mut writer, A, &["cart", "items"], "x");
    let second = writer.remove_at(&["cart", "old"]).unwrap();
    let third = writer.remove_at(&["gone"]).unwrap(); // never written: an empty delta
    assert!(third.is_empty() && third.as_causal().context.is_empty());

    for order in [
        vec![&second, &first],
        vec![&third, &second, &first],
        vec![&second, &first, &old],
        vec![&second, &old, &first],
    ] {
        let receiver = receive(&order);
        assert_eq!(set_at(&receiver, &["cart", "items"]), ["x"]);
        assert!(receiver.get_at(&["cart", "old"]).is_none());
    }
}

#[test]
fn a_later_write_elsewhere_does_not_remove_an_earlier_nested_add() {
    let mut writer = Document::new();
    let first = add(&mut writer, A, &["a", "b", "set"], "x");
    let second = increment(&mut writer, A, &["a", "n"], 1);
    let third = write_mv(&mut writer, A, &["other"], "v");
    let receiver = receive(&[&third, &second, &first]);
    assert_eq!(set_at(&receiver, &["a", "b", "set"]), ["x"]);
    assert_eq!(receiver, writer);
}

// ---------------------------------------------------------------------------------
// A counter contribution.

#[test]
fn a_later_increment_by_another_replica_does_not_remove_an_earlier_contribution() {
    let mut at_a = Document::new();
    let first = increment(&mut at_a, A, &["stats", "n"], 2);
    let mut at_b = at_a.clone();
    let second = increment(&mut at_b, B, &["stats", "n"], 5);
    assert!(!speaks_for(&second, Dot::new(A, 1)));

    let receiver = receive(&[&second, &first]);
    assert_eq!(counter_at(&receiver, &["stats", "n"]), Some(7));
    assert_eq!(receiver, at_b);
}

/// Since issue 13 a replica's increment replaces its own earlier entry: the later
/// delta speaks for the replaced dot too, and carries the total, so the earlier
/// change is subsumed, never lost, in whatever order the two arrive.
#[test]
fn a_later_increment_by_the_same_replica_subsumes_the_earlier_one() {
    let mut writer = Document::new();
    let first = increment(&mut writer, A, &["n"], 2);
    let second = increment(&mut writer, A, &["n"], 3);
    // The second speaks for its own dot and the entry it replaced, nothing else.
    assert_eq!(
        context_dots(&second.as_causal().context),
        [Dot::new(A, 1), Dot::new(A, 2)]
    );

    for order in [[&second, &first], [&first, &second]] {
        let receiver = receive(&order);
        assert_eq!(counter_at(&receiver, &["n"]), Some(5));
        assert_eq!(receiver, writer);
    }
    // Alone, the later delta holds A's whole total.
    assert_eq!(counter_at(&receive(&[&second]), &["n"]), Some(5));
}

#[test]
fn a_later_increment_of_another_counter_does_not_remove_an_earlier_contribution() {
    let mut writer = Document::new();
    let first = increment(&mut writer, A, &["x"], 2);
    let second = increment(&mut writer, A, &["y"], 3);
    let third = writer.remove_at(&["y"]).unwrap();
    let receiver = receive(&[&third, &second, &first]);
    assert_eq!(counter_at(&receiver, &["x"]), Some(2));
    assert_eq!(counter_at(&receiver, &["y"]), None);
    assert_eq!(receiver, writer);
}

// ---------------------------------------------------------------------------------
// A register value.

#[test]
fn a_later_register_write_elsewhere_does_not_remove_an_earlier_value() {
    let mut writer = Document::new();
    let first = set_lww(&mut writer, A, &["profile", "email"], 100, "a@example.com");
    let second = set_lww(&mut writer, A, &["profile", "name"], 101, "Ann");
    let third = write_mv(&mut writer, A, &["profile", "bio"], "hi");
    assert!(!speaks_for(&second, Dot::new(A, 1)) && !speaks_for(&third, Dot::new(A, 1)));

    let receiver = receive(&[&third, &second, &first]);
    assert_eq!(
        lww_at(&receiver, &["profile", "email"]),
        Some("a@example.com".into())
    );
    assert_eq!(lww_at(&receiver, &["profile", "name"]), Some("Ann".into()));
    assert_eq!(mv_at(&receiver, &["profile", "bio"]), ["hi".into()]);
    assert_eq!(receiver, writer);
}

#[test]
fn a_later_overwrite_arriving_first_is_not_undone_by_the_earlier_write() {
    let mut at_a = Document::new();
    let first = write_mv(&mut at_a, A, &["m"], "one");
    let lww_first = set_lww(&mut at_a, A, &["r"], 500, "one");
    let mut at_b = at_a.clone();
    // B overwrites both having seen them; B's clock lags, the causal order wins.
    let second = write_mv(&mut at_b, B, &["m"], "two");
    let lww_second = set_lww(&mut at_b, B, &["r"], 10, "two");

    let receiver = receive(&[&lww_second, &second, &lww_first, &first]);
    assert_eq!(mv_at(&receiver, &["m"]), ["two".into()]);
    assert_eq!(lww_at(&receiver, &["r"]), Some("two".into()));
    assert_eq!(receiver, at_b);
}

#[test]
fn a_concurrent_register_write_arriving_first_keeps_both_siblings() {
    let mut at_a = Document::new();
    let mut at_b = Document::new();
    let from_a = write_mv(&mut at_a, A, &["m"], "a");
    let from_b = write_mv(&mut at_b, B, &["m"], "b");
    let receiver = receive(&[&from_b, &from_a]);
    let mut values = mv_at(&receiver, &["m"]);
    values.sort();
    assert_eq!(values, ["a".into(), "b".into()]);
}

// ---------------------------------------------------------------------------------
// Random single-writer histories.

#[derive(Clone, Debug)]
enum Op {
    Write(Vec<u8>, support::Write),
    RemoveAt(Vec<u8>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (path(), write()).prop_map(|(p, w)| Op::Write(p, w)),
        1 => path().prop_map(Op::RemoveAt),
    ]
}

proptest! {
    /// For every pair of deltas i < j of one writer, delivered j first and then i: the
    /// writes of delta i that are still live at the writer after step j are live at
    /// the receiver.
    #[test]
    fn a_newer_delta_first_never_removes_what_an_older_delta_wrote(
        ops in prop::collection::vec(op(), 1..16),
    ) {
        let mut writer = Document::new();
        let mut deltas = Vec::new();
        let mut live_after = Vec::new();
        for op in &ops {
            let delta = match op {
                Op::Write(path, w) => write_at(&mut writer, A, &keys_of(path), w),
                Op::RemoveAt(path) => writer.remove_at(&keys_of(path)).unwrap(),
            };
            deltas.push(delta);
            live_after.push(all_dots(&writer));
        }
        for j in 0..deltas.len() {
            for i in 0..j {
                let receiver = receive(&[&deltas[j], &deltas[i]]);
                let held = all_dots(&receiver);
                let mut written = Vec::new();
                deltas[i].as_causal().store.collect_dots(&mut written);
                for dot in written {
                    if live_after[j].contains(&dot) {
                        prop_assert!(
                            held.contains(&dot),
                            "delta {} (delivered first) removed {:?}, written by delta {} and live at the writer",
                            j, dot, i
                        );
                    }
                }
            }
        }
        let mut all = Document::new();
        for d in deltas.iter().rev() {
            all.join(d.clone());
        }
        prop_assert_eq!(all, writer);
    }
}
