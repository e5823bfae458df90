//! The join of two maps that each hold one key inline (a node's one part on each
//! side, the usual merge) takes a shortcut (`DotMap::join_same_one_key`): it gives
//! exactly the textbook join (`testing::with_textbook_joins`, which visits every key),
//! shows its observer the same visits, and keeps the dot index exact, on random
//! one-key maps at two levels whose dots and contexts are arbitrary (the same key or
//! different keys, dots seen or not by the other side, and dots held by both sides).

use converge_core::testing::with_textbook_joins;
use converge_core::{Causal, CausalContext, Dot, DotMap, DotSet, JoinObserver, ReplicaId};
use proptest::prelude::*;

type Inner = DotMap<u8, DotSet>;
type Outer = Causal<DotMap<u8, Inner>>;

fn dot() -> impl Strategy<Value = Dot> {
    (1u64..=3, 1u64..=6).prop_map(|(r, c)| Dot::new(ReplicaId::new(r), c))
}

/// A state before it is built: its outer and inner key, the dots under them, and
/// other seen dots. Keys from two, so both sides often hold the same key.
type Raw = (u8, u8, Vec<Dot>, Vec<Dot>);

fn one_key() -> impl Strategy<Value = Raw> {
    (
        0u8..2,
        0u8..2,
        prop::collection::vec(dot(), 0..4),
        prop::collection::vec(dot(), 0..6),
    )
}

/// One outer key holding one inner key holding the dots (none: the empty map), and a
/// context of those dots and the others.
fn build((k1, k2, dots, seen): &Raw) -> Outer {
    let set: DotSet = dots.iter().copied().collect();
    let inner = DotMap::with_one(*k2, set);
    let store = DotMap::with_one(*k1, inner);
    let context = CausalContext::from_dots(dots.iter().chain(seen).copied());
    Causal::new(store, context)
}

/// One visit an observer was shown: the key, this side's and the other side's stores
/// before, and the store after.
type Visit = (u8, Option<Inner>, Option<Inner>, Option<Inner>);

/// Every visit an observer was shown, in order.
#[derive(Default, PartialEq, Debug)]
struct Visits(Vec<Visit>);

impl JoinObserver<u8, Inner> for Visits {
    fn before(
        &mut self,
        key: &u8,
        ours: Option<&Inner>,
        theirs: Option<&Inner>,
        _: &CausalContext,
    ) {
        self.0.push((*key, ours.cloned(), theirs.cloned(), None));
    }

    fn after(&mut self, key: &u8, now: &Inner) {
        if let Some(visit) = self.0.last_mut().filter(|v| v.0 == *key && v.3.is_none()) {
            visit.3 = Some(now.clone());
        }
    }
}

fn observed(mut a: Outer, b: Outer) -> (Outer, Visits) {
    let mut visits = Visits::default();
    a.join_observed(b, &mut visits);
    (a, visits)
}

fn index_is_exact(state: &Outer) -> bool {
    state.store.index_is_exact() && state.store.iter().all(|(_, inner)| inner.index_is_exact())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_join_of_one_key_maps_is_the_textbook_join(a in one_key(), b in one_key()) {
        let (a, b) = (build(&a), build(&b));
        let (fast, fast_visits) = observed(a.clone(), b.clone());
        let (textbook, textbook_visits) = with_textbook_joins(|| observed(a.clone(), b.clone()));
        prop_assert_eq!(&fast, &textbook);
        prop_assert_eq!(fast_visits, textbook_visits);
        prop_assert!(index_is_exact(&fast), "the index is stale after a join: {:?}", fast);
    }
}
