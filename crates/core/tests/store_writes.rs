//! `DotFun::write` (a register's write) and `DotSet::write` (an add) return exactly
//! the delta the general path builds, whatever the store held: the fast paths (no
//! live write; live writes replaced by a later dot, whose delta context is built
//! without a lookup) and the general one (siblings, writes of other replicas, a
//! context with gaps) all give
//!
//! - the fresh dot `context.next_dot(replica)`, now in the context;
//! - a store of just the new write, in the store and in the delta;
//! - a delta context of exactly the replaced dots and the fresh one, equal to the
//!   context built by inserting those dots one at a time.

use converge_core::{CausalContext, Dot, DotFun, DotSet, ReplicaId};
use proptest::prelude::*;

fn dot() -> impl Strategy<Value = Dot> {
    (1u64..4, 1u64..7).prop_map(|(r, c)| Dot::new(ReplicaId::new(r), c))
}

proptest! {
    #[test]
    fn write_builds_the_general_delta(
        live in prop::collection::vec(dot(), 0..4),
        seen in prop::collection::vec(dot(), 0..6),
        writer in 1u64..4,
        value in any::<u8>(),
    ) {
        let writer = ReplicaId::new(writer);
        let mut store: DotFun<u8> = DotFun::new();
        let mut context = CausalContext::new();
        for (i, d) in live.iter().enumerate() {
            store.insert(*d, i as u8);
            context.insert(*d);
        }
        for d in &seen {
            context.insert(*d);
        }
        let replaced: Vec<Dot> = store.iter().map(|(d, _)| d).collect();
        let fresh = context.next_dot(writer);
        let mut context_after = context.clone();
        context_after.insert(fresh);

        let delta = store.write(&mut context, writer, value);

        let mut expected_context = CausalContext::new();
        for d in replaced.iter().chain([&fresh]) {
            expected_context.insert(*d);
        }
        prop_assert_eq!(&delta.context, &expected_context);
        prop_assert_eq!(delta.store.iter().collect::<Vec<_>>(), vec![(fresh, &value)]);
        prop_assert_eq!(store.iter().collect::<Vec<_>>(), vec![(fresh, &value)]);
        prop_assert_eq!(&context, &context_after);
    }
}

proptest! {
    #[test]
    fn add_builds_the_general_delta(
        live in prop::collection::vec(dot(), 0..4),
        seen in prop::collection::vec(dot(), 0..6),
        writer in 1u64..4,
    ) {
        let writer = ReplicaId::new(writer);
        let mut store: DotSet = live.iter().copied().collect();
        let mut context = CausalContext::from_dots(live.iter().copied());
        context.extend(seen.iter().copied());
        let replaced: Vec<Dot> = store.iter().collect();
        let fresh = context.next_dot(writer);
        let mut context_after = context.clone();
        context_after.insert(fresh);

        let delta = store.write(&mut context, writer);

        let mut expected_context = CausalContext::new();
        for d in replaced.iter().chain([&fresh]) {
            expected_context.insert(*d);
        }
        prop_assert_eq!(&delta.context, &expected_context);
        prop_assert_eq!(delta.store.iter().collect::<Vec<_>>(), vec![fresh]);
        prop_assert_eq!(store.iter().collect::<Vec<_>>(), vec![fresh]);
        prop_assert_eq!(&context, &context_after);
    }
}
