//! The lattice and delta-state laws (converge_core::testing::check_history) hold for
//! `PnCounter` over random histories of increments and decrements on three replicas,
//! and the merged value is everything added minus everything subtracted.

use converge_core::testing::{check_history, history, REPLICA_IDS};
use converge_core::Lattice;
use converge_pncounter::PnCounter;
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
enum Op {
    Increment(u64),
    Decrement(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..1_000).prop_map(Op::Increment),
        (0u64..1_000).prop_map(Op::Decrement),
    ]
}

fn apply(c: &mut PnCounter, replica: converge_core::ReplicaId, op: &Op) -> PnCounter {
    match *op {
        Op::Increment(by) => c.increment(replica, by),
        Op::Decrement(by) => c.decrement(replica, by),
    }
    .expect("small changes cannot overflow")
}

proptest! {
    #[test]
    fn pncounter_obeys_the_laws(h in history(op())) {
        check_history(&h, apply)?;
    }

    #[test]
    fn merged_value_is_the_sum_of_all_changes(
        writes in prop::collection::vec((0..REPLICA_IDS.len(), op()), 0..32),
    ) {
        let mut replicas = vec![PnCounter::new(); REPLICA_IDS.len()];
        let mut expected: i128 = 0;
        for (at, op) in &writes {
            apply(&mut replicas[*at], REPLICA_IDS[*at], op);
            expected += match *op {
                Op::Increment(by) => i128::from(by),
                Op::Decrement(by) => -i128::from(by),
            };
        }
        let merged = replicas.into_iter().fold(PnCounter::new(), |mut acc, r| {
            acc.join(r);
            acc
        });
        prop_assert_eq!(merged.value(), expected);
    }
}
