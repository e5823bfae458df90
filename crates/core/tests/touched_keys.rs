//! The join of `DotMap`, which visits only the keys the other side carries or whose
//! dots it has seen (found through the map's dot index), gives exactly the textbook
//! join that visits every key (`testing::with_textbook_joins`), on random two-level
//! maps whose dots, contexts and placements are arbitrary: not only states that honest
//! histories reach, but also pairs that put one dot under different keys (a forged or
//! buggy peer). Along the way the dot index stays exact at every level, and
//! `is_subsumed_by` and `touched_by` agree with the join. Each case runs twice: with
//! maps that count their dots while they are few (as in use), and with every map
//! indexed (`testing::with_every_map_indexed`), so both ways of finding a dot's key
//! are held to the textbook join.

use std::collections::{BTreeMap, BTreeSet};

use converge_core::testing::{with_every_map_indexed, with_textbook_joins};
use converge_core::{
    Causal, CausalContext, DeltaCrdt, Dot, DotMap, DotSet, DotStore, JoinObserver, Lattice,
    ReplicaId,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

type Inner = DotMap<u8, DotSet>;
type Nested = Causal<DotMap<u8, Inner>>;

fn dot() -> impl Strategy<Value = Dot> {
    (1u64..=3, 1u64..=14).prop_map(|(r, c)| Dot::new(ReplicaId::new(r), c))
}

/// A state before it is built: placed dots and other seen dots.
type Raw = (Vec<(u8, u8, Dot)>, Vec<Dot>);

/// A state: dots placed at random two-key paths (each dot once), and a context of
/// those dots plus random others (contiguous runs compact into the version vector).
/// Up to 40 dots, so some maps count their dots and some index them.
fn nested() -> impl Strategy<Value = Raw> {
    (
        prop::collection::vec((0u8..4, 0u8..3, dot()), 0..40),
        prop::collection::vec(dot(), 0..12),
    )
}

/// `raw` written by replicas of their own (4 to 6): a state whose context shares no
/// replica with [`nested`]'s, as two replicas that have not met (the join then asks
/// no table where a dot lives).
fn apart((placed, seen): &Raw) -> Raw {
    let shift = |d: &Dot| Dot::new(ReplicaId::new(d.replica.get() + 3), d.counter);
    (
        placed
            .iter()
            .map(|(k1, k2, d)| (*k1, *k2, shift(d)))
            .collect(),
        seen.iter().map(shift).collect(),
    )
}

fn build((placed, seen): &Raw) -> Nested {
    let mut used = BTreeSet::new();
    let mut tree: BTreeMap<u8, BTreeMap<u8, Vec<Dot>>> = BTreeMap::new();
    for (k1, k2, d) in placed {
        if used.insert(*d) {
            tree.entry(*k1)
                .or_default()
                .entry(*k2)
                .or_default()
                .push(*d);
        }
    }
    let mut store = DotMap::new();
    for (k1, inner) in tree {
        let mut map = Inner::new();
        for (k2, dots) in inner {
            map.insert(k2, dots.into_iter().collect());
        }
        store.insert(k1, map);
    }
    let context = CausalContext::from_dots(used.into_iter().chain(seen.iter().copied()));
    Causal::new(store, context)
}

/// Runs `check` as maps are in use, or with every map indexed.
fn in_mode(
    indexed: bool,
    check: impl FnOnce() -> Result<(), TestCaseError>,
) -> Result<(), TestCaseError> {
    if indexed {
        with_every_map_indexed(check)
    } else {
        check()
    }
}

fn index_is_exact(state: &Nested) -> bool {
    state.store.index_is_exact() && state.store.iter().all(|(_, inner)| inner.index_is_exact())
}

/// What a join showed its observer: per key, the visits, and the stores before
/// (this side's, the other side's) and after.
#[derive(Default)]
struct Seen {
    visits: BTreeMap<u8, (usize, Option<Inner>, Option<Inner>, Inner)>,
    at: Option<u8>,
}

impl JoinObserver<u8, Inner> for Seen {
    fn before(
        &mut self,
        key: &u8,
        ours: Option<&Inner>,
        theirs: Option<&Inner>,
        _: &CausalContext,
    ) {
        let visit = self
            .visits
            .entry(*key)
            .or_insert((0, None, None, Inner::new()));
        visit.0 += 1;
        (visit.1, visit.2) = (ours.cloned(), theirs.cloned());
        self.at = Some(*key);
    }

    fn after(&mut self, key: &u8, now: &Inner) {
        assert_eq!(self.at.take(), Some(*key), "after without before");
        if let Some(visit) = self.visits.get_mut(key) {
            visit.3 = now.clone();
        }
    }
}

fn join(mut a: Nested, b: Nested) -> Nested {
    a.join(b);
    a
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_join_of_touched_keys_is_the_textbook_join(a in nested(), b in nested(), indexed in any::<bool>(), met in any::<bool>()) {
        in_mode(indexed, || {
            let b = if met { b } else { apart(&b) };
            let (a, b) = (build(&a), build(&b));
            prop_assert!(index_is_exact(&a) && index_is_exact(&b));
            let fast = join(a.clone(), b.clone());
            let textbook = with_textbook_joins(|| join(a.clone(), b.clone()));
            prop_assert_eq!(&fast, &textbook);
            prop_assert!(index_is_exact(&fast), "the index is stale after a join: {:?}", fast);
            prop_assert_eq!(&join(b.clone(), a.clone()), &fast, "not commutative");
            prop_assert_eq!(b.is_subsumed_by(&a), fast == a, "is_subsumed_by disagrees with join");
            // The touched part changes under the join exactly when the whole does.
            let part = a.store.touched_by(&b.store, &b.context);
            let mut joined_part = part.clone();
            joined_part.join(&a.context, b.store.clone(), &b.context);
            prop_assert_eq!(joined_part == part, fast.store == a.store);
            // Every key the join changes is one `b` carries or one `keys_seen_by`
            // gives, at both levels (the merge report walks those keys alone).
            let seen: BTreeSet<u8> = a.store.keys_seen_by(&b.context).into_iter().copied().collect();
            let empty = Inner::new();
            let keys: BTreeSet<u8> = fast.store.iter().chain(a.store.iter()).map(|(k, _)| *k).collect();
            for k1 in keys {
                let (ours, theirs) = (a.store.get(&k1).unwrap_or(&empty), b.store.get(&k1));
                let now = fast.store.get(&k1).unwrap_or(&empty);
                if ours != now {
                    prop_assert!(theirs.is_some() || seen.contains(&k1), "key {} changed unseen", k1);
                }
                let inner_seen: BTreeSet<u8> = ours.keys_seen_by(&b.context).into_iter().copied().collect();
                for (k2, before) in ours.iter() {
                    if now.get(k2) != Some(before) {
                        let carried = theirs.is_some_and(|t| t.contains_key(k2));
                        prop_assert!(carried || inner_seen.contains(k2), "key {}/{} changed unseen", k1, k2);
                    }
                }
            }
            Ok(())
        })?;
    }

    /// The observed join (`join_observed`, which the merge report judges by) is the
    /// join, and it shows its observer every key whose store the join changes, once,
    /// with this side's and the other side's stores before and the store after.
    #[test]
    fn the_observed_join_is_the_join_and_shows_every_changed_key(a in nested(), b in nested(), indexed in any::<bool>(), met in any::<bool>()) {
        in_mode(indexed, || {
            let b = if met { b } else { apart(&b) };
            let (a, b) = (build(&a), build(&b));
            let plain = join(a.clone(), b.clone());
            let mut observed = a.clone();
            let mut seen = Seen::default();
            observed.join_observed(b.clone(), &mut seen);
            prop_assert_eq!(&observed, &plain);
            prop_assert!(index_is_exact(&observed));
            let empty = Inner::new();
            let keys: BTreeSet<u8> = plain.store.iter().chain(a.store.iter()).map(|(k, _)| *k).collect();
            for k in keys {
                let (ours, now) = (a.store.get(&k), plain.store.get(&k));
                match seen.visits.get(&k) {
                    Some((count, before, theirs, after)) => {
                        prop_assert_eq!(*count, 1, "key {} visited twice", k);
                        prop_assert_eq!(before.as_ref(), ours);
                        prop_assert_eq!(theirs.as_ref(), b.store.get(&k));
                        prop_assert_eq!(after, now.unwrap_or(&empty));
                    }
                    None => prop_assert_eq!(ours, now, "key {} changed unseen", k),
                }
            }
            Ok(())
        })?;
    }

    #[test]
    fn a_chain_of_joins_keeps_the_index_exact(start in nested(), others in prop::collection::vec(nested(), 1..6), indexed in any::<bool>()) {
        in_mode(indexed, || {
            let mut fast = build(&start);
            let mut textbook = fast.clone();
            for (i, other) in others.iter().enumerate() {
                // Every other one from replicas that have not met the start's.
                let other = if i % 2 == 1 { build(&apart(other)) } else { build(other) };
                fast.join(other.clone());
                textbook = with_textbook_joins(|| join(textbook.clone(), other));
                prop_assert_eq!(&fast, &textbook);
                prop_assert!(index_is_exact(&fast), "the index is stale: {:?}", fast);
            }
            Ok(())
        })?;
    }

    #[test]
    fn mutators_keep_the_index_exact(start in nested(), keys in prop::collection::vec((0u8..4, 0u8..3, any::<bool>()), 1..40), indexed in any::<bool>()) {
        in_mode(indexed, || {
            let mut state = build(&start);
            let me = ReplicaId::new(9);
            for (k1, k2, add) in keys {
                let Causal { store, context } = &mut state;
                store.update(&k1, |inner| {
                    let delta = if add {
                        inner.update(&k2, |dots| dots.write(context, me))
                    } else {
                        inner.update(&k2, DotSet::remove_all)
                    };
                    let mut map = Inner::new();
                    map.insert(k2, delta.store);
                    Causal::new(map, delta.context)
                });
                prop_assert!(index_is_exact(&state), "the index is stale after a write: {:?}", state);
            }
            let removal = state.store.update(&0, DotStore::remove_all);
            prop_assert!(!state.store.contains_key(&0) && removal.store.is_empty());
            prop_assert!(index_is_exact(&state));
            Ok(())
        })?;
    }

    /// A map built at once from its entries (`from_entries`, as a batch of writes
    /// builds its delta) equals the map built entry by entry, with an exact index; and
    /// `into_entries` gives the entries back.
    #[test]
    fn a_map_built_at_once_is_the_map_built_entry_by_entry(start in nested(), indexed in any::<bool>()) {
        in_mode(indexed, || {
            let state = build(&start);
            let entries: Vec<(u8, Inner)> =
                state.store.iter().map(|(k, v)| (*k, v.clone())).collect();
            let at_once = DotMap::from_entries(entries.clone());
            prop_assert!(at_once.index_is_exact());
            prop_assert_eq!(&at_once, &state.store);
            let mut back: Vec<(u8, Inner)> = at_once.into_entries().collect();
            back.sort_by_key(|(k, _)| *k);
            let mut entries = entries;
            entries.sort_by_key(|(k, _)| *k);
            prop_assert_eq!(back, entries);
            Ok(())
        })?;
    }
}
