//! `DotMap::from_decoded` and `Causal::with_decoded_entries`, the way a format that
//! reads some entries apart builds a map: the map equals the one built from the same
//! entries with no dots handed over, and a handed-over dot that is not its entry's
//! one dot is refused, not trusted (it would break the map's index).

use converge_core::{Causal, CausalContext, Dot, DotMap, DotSet, ReplicaId};
use proptest::prelude::*;

fn dot(replica: u64, counter: u64) -> Dot {
    Dot::new(ReplicaId::new(replica), counter)
}

/// Entries `k0..kn`, each holding one dot of replica 1, then `extra` entries holding
/// two dots each (of replica 2).
fn entries(n: u64, extra: u64) -> (Vec<(String, DotSet)>, Vec<Dot>) {
    let mut entries = Vec::new();
    let mut known = Vec::new();
    for i in 0..n {
        let d = dot(1, i + 1);
        entries.push((format!("k{i}"), DotSet::from_iter([d])));
        known.push(d);
    }
    for i in 0..extra {
        let pair = [dot(2, 2 * i + 1), dot(2, 2 * i + 2)];
        entries.push((format!("m{i}"), DotSet::from_iter(pair)));
    }
    (entries, known)
}

proptest! {
    #[test]
    fn handing_over_the_dots_builds_the_same_map(n in 0u64..80, extra in 0u64..10) {
        let (entries, known) = entries(n, extra);
        let walked = DotMap::from_decoded(entries.clone(), &[]).unwrap();
        let handed = DotMap::from_decoded(entries.clone(), &known).unwrap();
        prop_assert_eq!(&walked, &handed);
        // Added to a decoded state: the same store, and every dot in the context.
        let state = Causal::new(DotMap::new(), CausalContext::new());
        let added = state.with_decoded_entries(entries, &known).unwrap();
        prop_assert_eq!(&added.store, &walked);
        for (_, set) in added.store.iter() {
            for d in set.iter() {
                prop_assert!(added.context.contains(d));
            }
        }
    }
}

#[test]
fn a_handed_over_dot_that_is_not_the_entrys_is_refused() {
    let (singles, mut known) = entries(40, 2);
    // Another dot, distinct from every other: the index would point it at `k3`.
    known[3] = dot(9, 1);
    assert!(DotMap::from_decoded(singles.clone(), &known).is_err());
    // A dot handed over for an entry holding two.
    let (mut two, _) = entries(0, 1);
    two.extend(singles);
    assert!(DotMap::from_decoded(two, &[dot(2, 1)]).is_err());
}

/// Random dots for a map of up to 80 keys: dense counters of few replicas (told
/// distinct with bitmaps), sparse counters (past the bitmaps' budget), or more
/// replicas than bitmaps are kept for (both told with a table), with repeats likely
/// in each.
fn placed_dots() -> impl Strategy<Value = Vec<Vec<Dot>>> {
    let dense = (1u64..4, 1u64..300).prop_map(|(r, c)| dot(r, c)).boxed();
    let sparse = (1u64..4, 1u64..(1 << 50)).prop_map(|(r, c)| dot(r, c % 400 * (1 << 40) + 1));
    let replicas = (1u64..200, 1u64..3).prop_map(|(r, c)| dot(r, c));
    prop_oneof![Just(dense), Just(sparse.boxed()), Just(replicas.boxed())]
        .prop_flat_map(|d| prop::collection::vec(prop::collection::vec(d, 1..4), 0..80))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    /// A decoded map is refused exactly when one dot is held twice, under one key or
    /// two, however its dots are told distinct (bitmaps or a table); a map that is
    /// built has an exact index (its dots counted, their table made when asked), and
    /// equals the map built entry by entry.
    #[test]
    fn a_decoded_map_is_refused_exactly_when_a_dot_repeats(placed in placed_dots()) {
        let entries: Vec<(String, DotSet)> = placed
            .iter()
            .enumerate()
            .map(|(i, dots)| (format!("k{i}"), DotSet::from_iter(dots.iter().copied())))
            .collect();
        // (A store holds a dot once: a repeat within one entry is a repeat across
        // entries only if another entry holds it too.)
        let held: Vec<Dot> = entries.iter().flat_map(|(_, s)| s.iter()).collect();
        let held_distinct = held.iter().collect::<std::collections::BTreeSet<_>>().len() == held.len();
        let decoded = DotMap::from_decoded(entries.clone(), &[]);
        prop_assert_eq!(decoded.is_ok(), held_distinct, "{:?}", placed);
        if let Ok(map) = decoded {
            prop_assert!(map.index_is_exact());
            let mut one_by_one = DotMap::new();
            for (key, store) in entries {
                one_by_one.insert(key, store);
            }
            prop_assert_eq!(&map, &one_by_one);
            // Asking where a dot lives makes the table; it is exact too.
            for dot in &held {
                prop_assert!(converge_core::DotStore::contains_dot(&map, *dot));
            }
            prop_assert!(map.index_is_exact());
        }
    }
}
