//! A local write of one kind supersedes the other kinds its replica has observed at
//! its path (issue 15, "a local write of another kind is ignored instead of
//! replacing"); only writes of different kinds made concurrently stay side by side.
//! Before the fix, `set(m.x, 1); set(m, 7)` read `{x: 1}` and `set(c, "s");
//! increment(c, 5)` read `"s"`. The property: a write's delta, applied elsewhere, is
//! exactly the state change, whatever kinds the writes switch between, and the deltas
//! joined in any order rebuild the state.

mod support;

use converge_core::{Hlc, Lattice, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_ormap::{Counter, Document, Error, Kind, Policies, Policy, Value, WriteGuard};
use proptest::prelude::*;
use support::{increment, keys_of, path, set_lww, write, write_at};

const A: ReplicaId = ReplicaId::new(1);
const B: ReplicaId = ReplicaId::new(2);
const C: ReplicaId = ReplicaId::new(3);

fn kinds_at(doc: &Document, path: &[&str]) -> Vec<Kind> {
    doc.get_at(path)
        .map(|n| n.kinds().collect())
        .unwrap_or_default()
}

fn lww_at(doc: &Document, path: &[&str]) -> Option<Value> {
    doc.get_at(path)?
        .get::<LwwRegister<Value>>()?
        .value()
        .cloned()
}

fn joined(mut a: Document, b: Document) -> Document {
    a.join(b);
    a
}

/// Repro 1: `d.set(['m','x'], 1); d.set('m', 7)` read `{x: 1}`.
#[test]
fn a_value_written_over_a_map_replaces_it() {
    let mut doc = Document::new();
    let first = set_lww(&mut doc, A, &["m", "x"], 1, "1");
    let second = set_lww(&mut doc, A, &["m"], 2, "7");
    assert_eq!(kinds_at(&doc, &["m"]), [Kind::Lww]);
    assert_eq!(lww_at(&doc, &["m"]), Some("7".into()));
    assert!(doc.get_at(&["m", "x"]).is_none());
    // The deltas say the same elsewhere, in either order.
    assert_eq!(
        joined(joined(Document::new(), first.clone()), second.clone()),
        doc
    );
    assert_eq!(joined(joined(Document::new(), second), first), doc);
}

/// Repro 2: `d.set('c', 's'); d.increment('c', 5)` read `"s"`.
#[test]
fn an_increment_over_a_value_replaces_it() {
    let mut doc = Document::new();
    let first = set_lww(&mut doc, A, &["c"], 1, "s");
    let second = increment(&mut doc, A, &["c"], 5);
    assert_eq!(kinds_at(&doc, &["c"]), [Kind::Counter]);
    let counter = doc.get_at(&["c"]).and_then(|n| n.get::<Counter>());
    assert_eq!(counter.map(Counter::value), Some(5));
    assert_eq!(joined(joined(Document::new(), second), first), doc);
}

/// The other way round: a nested write over a value makes the key a map.
#[test]
fn a_nested_write_over_a_value_replaces_it_with_a_map() {
    let mut doc = Document::new();
    set_lww(&mut doc, A, &["m"], 1, "7");
    set_lww(&mut doc, A, &["m", "x"], 2, "1");
    assert_eq!(kinds_at(&doc, &["m"]), [Kind::Map]);
    assert_eq!(lww_at(&doc, &["m", "x"]), Some("1".into()));
}

/// A write that only removes (here a nested remove through the map kind) writes no
/// dot and leaves the other kinds as they are.
#[test]
fn a_removal_leaves_other_kinds_be() {
    let mut doc = Document::new();
    set_lww(&mut doc, A, &["m"], 1, "7");
    doc.remove_at(&["m", "x"]).unwrap();
    assert_eq!(lww_at(&doc, &["m"]), Some("7".into()));
    doc.update_at(&["m"], |c: &mut Counter| c.reset()).unwrap();
    assert_eq!(lww_at(&doc, &["m"]), Some("7".into()));
}

/// Two replicas concurrently write different kinds: both stay (a conflict of kinds);
/// a third write that saw both supersedes both, on every replica.
#[test]
fn concurrent_kinds_stay_until_a_write_that_saw_both() {
    let base = Document::new();
    let (mut a, mut b) = (base.clone(), base);
    let from_a = set_lww(&mut a, A, &["k"], 1, "text");
    let from_b = increment(&mut b, B, &["k"], 3);
    a.join(from_b.clone());
    b.join(from_a.clone());
    assert_eq!(a, b);
    assert_eq!(kinds_at(&a, &["k"]), [Kind::Counter, Kind::Lww]);
    let conflicts = a.conflicts(&Policies::new());
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].kinds, [Kind::Counter, Kind::Lww]);

    // C saw both and writes a map under k: it supersedes both.
    let mut c = a.clone();
    let from_c = set_lww(&mut c, C, &["k", "inner"], 2, "x");
    assert_eq!(kinds_at(&c, &["k"]), [Kind::Map]);
    assert!(c.conflicts(&Policies::new()).is_empty());
    a.join(from_c.clone());
    b.join(from_c.clone());
    assert_eq!(a, c);
    assert_eq!(b, c);
    // A replica that has only seen B's increment gets the same from C's delta, and
    // A's write when it arrives is already superseded.
    let mut d = joined(Document::new(), from_b);
    d.join(from_c);
    d.join(from_a);
    assert_eq!(d, c);
}

/// A concurrent write of another kind that the writer did not see survives its write.
#[test]
fn an_unseen_concurrent_kind_survives() {
    let mut a = Document::new();
    set_lww(&mut a, A, &["k"], 1, "old");
    let mut b = a.clone();
    let counter = increment(&mut a, A, &["k"], 1);
    let mv = b
        .update_at(&["k"], |r: &mut converge_mvregister::MvRegister<Value>| {
            r.write(B, "mv".into())
        })
        .unwrap();
    a.join(mv);
    b.join(counter);
    assert_eq!(a, b);
    assert_eq!(kinds_at(&a, &["k"]), [Kind::Counter, Kind::Mv]);
}

/// A guarded write of another kind over a map that holds an authority field is a
/// removal of that field: refused for a non-authority, changing nothing.
#[test]
fn a_guarded_write_may_not_replace_a_map_holding_an_authority_field() {
    let (owner, desk) = (ReplicaId::new(0xa), ReplicaId::new(0xb));
    let mut policies = Policies::new();
    policies.set(&["guest", "email"], Policy::Authority([owner].into()));
    let mut doc = Document::new();
    set_lww(&mut doc, owner, &["guest", "email"], 1, "x@example.com");
    let before = doc.clone();
    let guard = WriteGuard {
        writer: desk,
        policies: &policies,
        if_match: None,
    };
    let mut clock = Hlc::new(ManualClock::new(2));
    let refused = doc.guarded_update_at(&["guest"], &guard, |r: &mut LwwRegister<Value>| {
        r.set(desk, &mut clock, "gone".into())
    });
    assert!(
        matches!(refused, Err(Error::NotAuthority { .. })),
        "{refused:?}"
    );
    assert_eq!(doc, before);
    // The owner may.
    let guard = WriteGuard {
        writer: owner,
        ..guard
    };
    doc.guarded_update_at(&["guest"], &guard, |r: &mut LwwRegister<Value>| {
        r.set(owner, &mut clock, "gone".into())
    })
    .unwrap();
    assert_eq!(kinds_at(&doc, &["guest"]), [Kind::Lww]);
}

proptest! {
    /// Random writes of every kind at colliding paths by two replicas that sync now
    /// and then (so kinds switch, locally and concurrently): each write's delta applied
    /// to the state before it is the state after it, and every delta, joined into an
    /// empty document in reverse order, rebuilds the merged state.
    #[test]
    fn a_kind_switching_delta_is_the_state_change(
        steps in prop::collection::vec(
            (any::<bool>(), path(), write(), prop::bool::weighted(0.2)),
            1..40,
        ),
    ) {
        let mut replicas = [Document::new(), Document::new()];
        let mut deltas = Vec::new();
        for (second, p, w, sync) in steps {
            let i = usize::from(second);
            let keys = keys_of(&p);
            let before = replicas[i].clone();
            let delta = write_at(&mut replicas[i], [A, B][i], &keys, &w);
            prop_assert_eq!(&joined(before, delta.clone()), &replicas[i]);
            deltas.push(delta);
            if sync {
                let sent = replicas[i].clone();
                replicas[1 - i].join(sent);
            }
        }
        let [a, b] = replicas;
        let merged = joined(a, b);
        let mut rebuilt = Document::new();
        for delta in deltas.into_iter().rev() {
            rebuilt.join(delta);
        }
        prop_assert_eq!(rebuilt, merged);
    }
}

/// A merge of a write that replaced a map reports the fields it removed and the new
/// value; met no concurrent write.
#[test]
fn a_merged_replacement_reports_every_field_it_changed() {
    let mut a = Document::new();
    set_lww(&mut a, A, &["m", "x"], 1, "1");
    increment(&mut a, A, &["m", "y"], 2);
    let mut b = a.clone();
    let delta = set_lww(&mut a, A, &["m"], 2, "7");
    let report = b.join_reporting(delta, &Policies::new());
    let changed: Vec<Vec<&str>> = report
        .changed
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(changed, [vec!["m"], vec!["m", "x"], vec!["m", "y"]]);
    assert_eq!(report.concurrent_writes, 0);
    assert_eq!(b, a);
}
