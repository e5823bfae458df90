//! Concurrent writes are kept as siblings on every replica, a write that has seen them
//! replaces them, and a read-time resolver picks the same sibling everywhere.

use converge_core::{Lattice, ReplicaId};
use converge_mvregister::MvRegister;

const A: ReplicaId = ReplicaId::new(0xa);
const B: ReplicaId = ReplicaId::new(0xb);
const C: ReplicaId = ReplicaId::new(0xc);

fn joined<V: Clone + PartialEq + std::fmt::Debug + serde::Serialize>(
    mut a: MvRegister<V>,
    b: MvRegister<V>,
) -> MvRegister<V> {
    a.join(b);
    a
}

#[test]
fn concurrent_writes_are_all_readable() {
    let mut a = MvRegister::new();
    let mut b = MvRegister::new();
    let mut c = MvRegister::new();
    let da = a.write(A, "a");
    let db = b.write(B, "b");
    let dc = c.write(C, "c");
    for merged in [
        joined(joined(da.clone(), db.clone()), dc.clone()),
        joined(joined(dc.clone(), da.clone()), db.clone()),
        joined(joined(db, dc), da),
    ] {
        assert!(merged.is_conflicted());
        assert_eq!(merged.values().collect::<Vec<_>>(), [&"a", &"b", &"c"]);
        let writers: Vec<_> = merged.siblings().map(|(dot, _)| dot.replica).collect();
        assert_eq!(writers, [A, B, C]);
    }
}

#[test]
fn a_write_that_saw_the_siblings_supersedes_them() {
    let mut a = MvRegister::new();
    let mut b = MvRegister::new();
    let da = a.write(A, 1);
    let db = b.write(B, 2);
    a.join(db.clone());
    let fix = a.write(A, 3);
    // A third replica receives the three deltas in the worst order: the fix first.
    let third = joined(joined(fix.clone(), da), db);
    for replica in [&a, &third, &joined(b, fix)] {
        assert!(!replica.is_conflicted());
        assert_eq!(replica.values().collect::<Vec<_>>(), [&3]);
    }
}

/// Takes the first sibling: depends only on the (shared) dot order.
fn first<'a>(siblings: &[&'a String]) -> Option<&'a String> {
    siblings.first().copied()
}

/// Takes the shortest value, the least of equally short ones: depends only on content.
fn shortest_then_least<'a>(siblings: &[&'a String]) -> Option<&'a String> {
    siblings
        .iter()
        .copied()
        .min_by(|x, y| x.len().cmp(&y.len()).then(x.cmp(y)))
}

#[test]
fn the_resolver_picks_the_same_sibling_on_every_replica() {
    let mut a = MvRegister::new();
    let mut b = MvRegister::new();
    a.write(A, "zebra".to_string());
    b.write(B, "apple".to_string());
    let ab = joined(a.clone(), b.clone());
    let ba = joined(b, a);
    assert_eq!(ab.resolve(first), ba.resolve(first));
    assert_eq!(ab.resolve(first).map(String::as_str), Some("zebra"));
    assert_eq!(
        ab.resolve(shortest_then_least).map(String::as_str),
        Some("apple")
    );
    assert_eq!(
        ba.resolve(shortest_then_least).map(String::as_str),
        Some("apple")
    );
    // Resolving is a read: the siblings are still there.
    assert!(ab.is_conflicted());
}

#[test]
fn a_resolver_may_decline() {
    let mut a = MvRegister::new();
    let mut b = MvRegister::new();
    a.write(A, 1);
    b.write(B, 2);
    a.join(b);
    assert_eq!(a.resolve(|_| None), None);
}
