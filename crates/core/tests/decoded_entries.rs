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
