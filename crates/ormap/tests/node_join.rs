//! A node's join (its parts keyed by kind in a `DotMap`, joined by the map's one
//! per-key join) equals the textbook node join: each kind's CRDT joined on its own,
//! as a standalone causal value with the node's context, the kinds one side lacks
//! joined with that kind's bottom. Checked on the nodes of two replicas that wrote
//! random values of random kinds under a tiny key alphabet (so the same key often holds
//! several kinds), with the indexed joins on and off.

mod support;

use converge_core::testing::{with_every_map_indexed, with_textbook_joins};
use converge_core::{Causal, CausalContext, DotStore, Embeddable, Lattice, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Flag, Kind, Node, NodeKind, Value};
use converge_orset::OrSet;
use proptest::prelude::*;
use support::{keys_of, path, write, write_at, Write, KEYS};

/// `node` as a standalone causal value: its parts with the context of its document.
fn standalone(node: Option<&Node>, context: &CausalContext) -> Node {
    let store = node
        .map(|n| n.as_causal().store.clone())
        .unwrap_or_default();
    Node::from_causal(Causal::new(store, context.clone()))
}

/// The kind `T` of `node` as a standalone causal value (its bottom if it has none).
fn kind_of<T: NodeKind>(node: &Node) -> Causal<T::Store> {
    let store = node
        .get::<T>()
        .map(|t| t.as_causal().store.clone())
        .unwrap_or_default();
    Causal::new(store, node.as_causal().context.clone())
}

/// Checks one kind: the node join's part of kind `T` is the join of the two sides'
/// parts of kind `T`.
fn same_kind<T: NodeKind>(a: &Node, b: &Node, joined: &Node) -> Result<(), TestCaseError> {
    let mut textbook = kind_of::<T>(a);
    textbook.join(kind_of::<T>(b));
    let expected = (!textbook.store.is_empty()).then_some(&textbook.store);
    prop_assert_eq!(
        joined.get::<T>().map(|t| &t.as_causal().store),
        expected,
        "kind {:?}",
        T::KIND
    );
    Ok(())
}

fn check(a_doc: &Document, b_doc: &Document) -> Result<(), TestCaseError> {
    for key in KEYS {
        let key = key.to_owned();
        let a = standalone(a_doc.get(&key), &a_doc.as_causal().context);
        let b = standalone(b_doc.get(&key), &b_doc.as_causal().context);
        let mut joined = a.clone();
        joined.join(b.clone());
        let kinds: Vec<Kind> = joined.kinds().collect();
        let mut sorted = kinds.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(&kinds, &sorted, "kinds are listed once each, in order");
        same_kind::<Counter>(&a, &b, &joined)?;
        same_kind::<Flag>(&a, &b, &joined)?;
        same_kind::<LwwRegister<Value>>(&a, &b, &joined)?;
        same_kind::<MvRegister<Value>>(&a, &b, &joined)?;
        same_kind::<OrSet<Value>>(&a, &b, &joined)?;
        same_kind::<Document>(&a, &b, &joined)?;
        // And the node join is the textbook one that visits every kind.
        let textbook = with_textbook_joins(|| {
            let mut t = a.clone();
            t.join(b.clone());
            t
        });
        prop_assert_eq!(&joined, &textbook);
    }
    Ok(())
}

fn writes() -> impl Strategy<Value = Vec<(Vec<u8>, Write)>> {
    prop::collection::vec((path(), write()), 0..12)
}

proptest! {
    #[test]
    fn the_node_join_is_the_per_kind_join(
        shared in writes(),
        at_a in writes(),
        at_b in writes(),
        indexed in any::<bool>(),
    ) {
        let run = || -> Result<(), TestCaseError> {
            let (ra, rb) = (ReplicaId::new(1), ReplicaId::new(2));
            let mut a = Document::new();
            for (p, w) in &shared {
                write_at(&mut a, ra, &keys_of(p), w);
            }
            let mut b = a.clone();
            for (p, w) in &at_a {
                write_at(&mut a, ra, &keys_of(p), w);
            }
            for (p, w) in &at_b {
                write_at(&mut b, rb, &keys_of(p), w);
            }
            check(&a, &b)?;
            check(&b, &a)
        };
        if indexed { with_every_map_indexed(run)? } else { run()? }
    }
}
