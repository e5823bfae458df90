//! The lattice and delta-state laws (converge_core::testing::check_history) hold for
//! `MvRegister` over random histories of writes and clears on three replicas.

use converge_core::testing::{check_history, history};
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
    fn mvregister_obeys_the_laws(h in history(op())) {
        check_history(&h, |r: &mut MvRegister<u8>, replica, op| match op {
            Op::Write(value) => r.write(replica, *value),
            Op::Clear => r.clear(),
        })?;
    }
}
