//! No write is lost silently: after any history, the merged state holds exactly the
//! writes that no later write or clear observed (a causal oracle, replayed beside the
//! register), the winner is the greatest of them by (timestamp, writer), and every
//! write is stamped after the writes it replaced, whatever the writer's wall clock.

use std::collections::BTreeSet;

use converge_core::testing::{history, Step, REPLICAS, REPLICA_IDS};
use converge_core::{Dot, Hlc, Lattice, ManualClock};
use converge_lwwregister::LwwRegister;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Set { value: u8, wall: u64 },
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), 0u64..50).prop_map(|(value, wall)| Op::Set { value, wall }),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    #[test]
    fn only_observed_writes_disappear(h in history(op())) {
        let mut replicas = vec![LwwRegister::<u8>::new(); REPLICAS];
        let mut written = BTreeSet::<Dot>::new();
        let mut observed = BTreeSet::<Dot>::new();
        for step in &h.steps {
            match step {
                Step::Write { replica, op } => {
                    let r = &mut replicas[*replica];
                    let replaced = r.writes();
                    observed.extend(replaced.iter().map(|w| w.dot));
                    let latest_replaced = replaced.iter().map(|w| w.timestamp).max();
                    match op {
                        Op::Set { value, wall } => {
                            let mut clock = Hlc::new(ManualClock::new(*wall));
                            let delta = r.set(REPLICA_IDS[*replica], &mut clock, *value);
                            let new = delta.winner().expect("a set writes");
                            prop_assert!(Some(new.timestamp) > latest_replaced);
                            written.insert(new.dot);
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
        let mut total = LwwRegister::new();
        for r in replicas {
            total.join(r);
        }
        let live: BTreeSet<Dot> = total.writes().iter().map(|w| w.dot).collect();
        let expected: BTreeSet<Dot> = written.difference(&observed).copied().collect();
        prop_assert_eq!(live, expected);
        let best = total.writes().iter().map(|w| (w.timestamp, w.dot)).max();
        prop_assert_eq!(total.winner().map(|w| (w.timestamp, w.dot)), best);
        prop_assert_eq!(total.conflicts().len(), total.writes().len().saturating_sub(1));
    }
}
