//! The lattice and delta-state laws (converge_core::testing::check_history) hold for
//! `LwwRegister` over random histories of sets and clears on three replicas, with each
//! set made at a random wall-clock time (often equal, sometimes far apart or huge).

use converge_core::testing::{check_history, history};
use converge_core::{Hlc, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    /// Set `value` on a replica whose wall clock reads `wall` milliseconds.
    Set {
        value: u8,
        wall: u64,
    },
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    let wall = prop_oneof![4 => 0u64..50, 1 => any::<u64>()];
    prop_oneof![
        4 => (any::<u8>(), wall).prop_map(|(value, wall)| Op::Set { value, wall }),
        1 => Just(Op::Clear),
    ]
}

/// A fresh clock per write is valid: `set` makes it observe the register's latest
/// timestamp before it ticks.
fn apply(r: &mut LwwRegister<u8>, replica: ReplicaId, op: &Op) -> LwwRegister<u8> {
    match op {
        Op::Set { value, wall } => r.set(replica, &mut Hlc::new(ManualClock::new(*wall)), *value),
        Op::Clear => r.clear(),
    }
}

proptest! {
    #[test]
    fn lwwregister_obeys_the_laws(h in history(op())) {
        check_history(&h, apply)?;
    }
}
