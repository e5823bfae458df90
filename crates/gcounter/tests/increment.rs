//! `GCounter::increment` (one lookup, a delta with its entry inline) does what the
//! general path does on random counters, amounts and overflows: the counter becomes
//! its old counts with the writer's count raised by `by`, the delta is the writer's
//! new count alone, and an overflow is an error that changes nothing.

use converge_core::ReplicaId;
use converge_gcounter::{Error, GCounter};
use proptest::prelude::*;

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..5, 1 => any::<u64>()]
}

proptest! {
    #[test]
    fn increment_matches_the_general_path(
        counts in prop::collection::vec((0u64..10, amount()), 0..10),
        writer in 0u64..10,
        by in amount(),
    ) {
        let mut counter: GCounter = counts
            .iter()
            .map(|&(r, c)| (ReplicaId::new(r), c))
            .collect();
        let writer = ReplicaId::new(writer);
        let before = counter.clone();
        let count = before.count_of(writer);
        match count.checked_add(by) {
            Some(total) => {
                let delta = counter.increment(writer, by).expect("no overflow");
                let expected_delta: Vec<_> = [(writer, total)]
                    .into_iter()
                    .filter(|e| e.1 > 0)
                    .collect();
                prop_assert_eq!(delta.counts().collect::<Vec<_>>(), expected_delta.clone());
                prop_assert_eq!(delta, expected_delta.into_iter().collect::<GCounter>());
                let mut expected: Vec<_> = before
                    .counts()
                    .filter(|(r, _)| *r != writer)
                    .chain([(writer, total)].into_iter().filter(|e| e.1 > 0))
                    .collect();
                expected.sort();
                prop_assert_eq!(counter.counts().collect::<Vec<_>>(), expected);
            }
            None => {
                prop_assert_eq!(
                    counter.increment(writer, by),
                    Err(Error::Overflow { replica: writer, count, by })
                );
                prop_assert_eq!(counter, before);
            }
        }
    }
}
