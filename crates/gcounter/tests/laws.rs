//! The lattice and delta-state laws (converge_core::testing::check_history) hold for
//! `GCounter` over random histories of increments on three replicas.

use converge_core::testing::{check_history, history};
use converge_gcounter::GCounter;
use proptest::prelude::*;

proptest! {
    #[test]
    fn gcounter_obeys_the_laws(h in history(0u64..1_000)) {
        check_history(&h, |c: &mut GCounter, replica, by| {
            c.increment(replica, *by).expect("small increments cannot overflow")
        })?;
    }
}
