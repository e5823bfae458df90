//! No write is lost silently: after any history, the merged state holds exactly the
//! writes that no later write or clear observed (a causal oracle, replayed beside the
//! register), as siblings in dot order.

use std::collections::BTreeSet;

use converge_core::testing::{history, Step, REPLICAS, REPLICA_IDS};
use converge_core::{Dot, Lattice};
use converge_mvregister::MvRegister;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Write(u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![4 => any::<u8>().prop_map(Op::Write), 1 => Just(Op::Clear)]
}

proptest! {
    #[test]
    fn only_observed_writes_disappear(h in history(op())) {
        let mut replicas = vec![MvRegister::<u8>::new(); REPLICAS];
        let mut written = BTreeSet::<Dot>::new();
        let mut observed = BTreeSet::<Dot>::new();
        for step in &h.steps {
            match step {
                Step::Write { replica, op } => {
                    let r = &mut replicas[*replica];
                    observed.extend(r.siblings().map(|(dot, _)| dot));
                    match op {
                        Op::Write(value) => {
                            let delta = r.write(REPLICA_IDS[*replica], *value);
                            written.extend(delta.siblings().map(|(dot, _)| dot));
                        }
                        Op::Clear => {
                            r.clear();
                        }
                    }
                }
                Step::Sync { from, to } => {
                    let sent = replicas[*from].clone();
                    replicas[*to].join(sent);
                }
            }
        }
        let mut total = MvRegister::new();
        for r in replicas {
            total.join(r);
        }
        let live: Vec<Dot> = total.siblings().map(|(dot, _)| dot).collect();
        let expected: Vec<Dot> = written.difference(&observed).copied().collect();
        prop_assert_eq!(live, expected); // BTreeSet order is dot order
        prop_assert_eq!(total.is_conflicted(), total.values().len() > 1);
    }
}
