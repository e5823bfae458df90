//! The lattice and delta-state laws (converge_core::testing::check_history) hold for
//! `OrSet` over random histories of adds, removes and clears on three replicas.

use converge_core::testing::{check_history, history};
use converge_orset::OrSet;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Add(u8),
    Remove(u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    // A small element space, so adds and removes of the same element collide often.
    prop_oneof![
        4 => (0u8..6).prop_map(Op::Add),
        3 => (0u8..6).prop_map(Op::Remove),
        1 => Just(Op::Clear),
    ]
}

fn apply(set: &mut OrSet<String>, replica: converge_core::ReplicaId, op: &Op) -> OrSet<String> {
    match op {
        Op::Add(e) => set.add(replica, format!("e{e}")),
        Op::Remove(e) => set.remove(&format!("e{e}")),
        Op::Clear => set.clear(),
    }
}

proptest! {
    #[test]
    fn orset_obeys_the_laws(h in history(op())) {
        check_history(&h, apply)?;
    }
}
