//! `PnCounter::increment` and `decrement` (one lookup, a delta with its entry inline)
//! do what the general path does on random counters, amounts and overflows: the
//! changed side gets the writer's total raised by `by`, the other side is untouched,
//! the delta is the writer's new total alone, and an overflow is an error that changes
//! nothing.

use converge_core::ReplicaId;
use converge_pncounter::PnCounter;
use proptest::prelude::*;

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![3 => 0u64..5, 1 => any::<u64>()]
}

proptest! {
    #[test]
    fn changes_match_the_general_path(
        changes in prop::collection::vec((0u64..10, any::<bool>(), amount()), 0..12),
        writer in 0u64..10,
        up in any::<bool>(),
        by in amount(),
    ) {
        let mut counter = PnCounter::new();
        for (r, inc, by) in changes {
            let r = ReplicaId::new(r);
            // Overflowing changes fail and change nothing; keep going.
            let _ = if inc { counter.increment(r, by) } else { counter.decrement(r, by) };
        }
        let writer = ReplicaId::new(writer);
        let before = counter.clone();
        let side = |c: &PnCounter, up: bool| -> Vec<(ReplicaId, u64)> {
            if up { c.increments().collect() } else { c.decrements().collect() }
        };
        let total = if up { before.increments_of(writer) } else { before.decrements_of(writer) };
        let result = if up { counter.increment(writer, by) } else { counter.decrement(writer, by) };
        match total.checked_add(by) {
            Some(new_total) => {
                let delta = result.expect("no overflow");
                let entry: Vec<_> = [(writer, new_total)].into_iter().filter(|e| e.1 > 0).collect();
                prop_assert_eq!(side(&delta, up), entry.clone());
                prop_assert!(side(&delta, !up).is_empty());
                let mut expected: Vec<_> = side(&before, up)
                    .into_iter()
                    .filter(|(r, _)| *r != writer)
                    .chain(entry)
                    .collect();
                expected.sort();
                prop_assert_eq!(side(&counter, up), expected);
                prop_assert_eq!(side(&counter, !up), side(&before, !up));
            }
            None => {
                prop_assert!(result.is_err());
                prop_assert_eq!(counter, before);
            }
        }
    }
}
