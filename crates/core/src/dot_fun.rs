//! `DotFun<V>`: a map from dots to values, the store of registers (each write is
//! one dot and its value; concurrent writes are siblings).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dot_set::next_dot;
use crate::dot_value_clash::theirs_wins;
use crate::{Causal, CausalContext, Dot, DotStore, ReplicaId};

/// Dot → value. In a register, every entry is one write that no other write seen here
/// has replaced: one entry normally, several after concurrent writes (siblings).
///
/// The join keeps entries by the rule of [`DotStore`]. A dot names exactly one write,
/// so honest replicas never disagree on the value under a dot; when a forged or buggy
/// state does (a *dot value clash*), the join keeps the value whose canonical encoding
/// is greater, the same choice on every replica, so replicas still converge, and counts
/// the clash ([`dot_value_clashes`](crate::dot_value_clashes)).
///
/// Encoded as a flat array `[replica, counter, value, …]` in dot order.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DotFun<V> {
    // Sorted by dot, no duplicate dots. Few entries, so a vector beats a tree.
    entries: Vec<(Dot, V)>,
}

impl<V> Default for DotFun<V> {
    fn default() -> Self {
        DotFun {
            entries: Vec::new(),
        }
    }
}

impl<V> DotFun<V> {
    /// The empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value written under `dot`, if that write is live.
    pub fn get(&self, dot: Dot) -> Option<&V> {
        self.entries
            .binary_search_by(|(d, _)| d.cmp(&dot))
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// Adds `value` under `dot`, keeping the existing value if the dot is present.
    pub fn insert(&mut self, dot: Dot, value: V) {
        if let Err(at) = self.entries.binary_search_by(|(d, _)| d.cmp(&dot)) {
            self.entries.insert(at, (dot, value));
        }
    }

    /// Removes the write under `dot`, returning its value. (Mutators that remove
    /// writes must put the removed dots in their delta's context.)
    pub fn remove(&mut self, dot: Dot) -> Option<V> {
        self.entries
            .binary_search_by(|(d, _)| d.cmp(&dot))
            .ok()
            .map(|i| self.entries.remove(i).1)
    }

    /// The live writes, in dot order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (Dot, &V)> + '_ {
        self.entries.iter().map(|(d, v)| (*d, v))
    }

    #[allow(clippy::len_without_is_empty)] // `is_empty` is `DotStore::is_empty`
    /// Number of live writes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether `dot` is live here.
    pub fn contains(&self, dot: Dot) -> bool {
        self.get(dot).is_some()
    }

    /// The store of one live write, `value` under `dot` (no room for more).
    pub fn one(dot: Dot, value: V) -> Self {
        DotFun {
            entries: vec![(dot, value)],
        }
    }

    /// The store of `entries`, whose dots must ascend strictly (as [`iter`](Self::iter)
    /// gives them); `None` otherwise. No room is kept for more.
    pub fn from_sorted(entries: Vec<(Dot, V)>) -> Option<Self> {
        entries
            .windows(2)
            .all(|w| w[0].0 < w[1].0)
            .then_some(DotFun { entries })
    }
}

impl<V: Clone + PartialEq + fmt::Debug + Serialize> DotFun<V> {
    /// Writes `value` under a fresh dot of `replica`, replacing every write observed
    /// here, and records the dot in `context`. Returns the exact delta: the new entry,
    /// with a context of the fresh dot and the replaced dots.
    #[inline]
    pub fn write(
        &mut self,
        context: &mut CausalContext,
        replica: ReplicaId,
        value: V,
    ) -> Causal<DotFun<V>> {
        let dot = context.next_write(replica);
        // The replaced dots come in order and the fresh dot usually follows them (a
        // register holds its own last write), so the context is built without a
        // search; a register's usual one replaced write takes no iterator at all.
        let delta_context = match self.entries.as_slice() {
            [] => CausalContext::from_dots([dot]),
            [(replaced, _)] => CausalContext::from_two_dots(*replaced, dot),
            entries => CausalContext::from_dots(entries.iter().map(|(d, _)| *d).chain([dot])),
        };
        self.entries.clear();
        // A register holds one write: room for exactly one, not the four a growing
        // vector starts with.
        self.entries.reserve_exact(1);
        self.entries.push((dot, value.clone()));
        Causal::new(
            DotFun {
                entries: vec![(dot, value)],
            },
            delta_context,
        )
    }
}

impl<V: Clone + PartialEq + fmt::Debug + Serialize> DotStore for DotFun<V> {
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn dot_count(&self) -> usize {
        self.entries.len()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        self.entries.iter().for_each(|(d, _)| f(*d));
    }

    fn contains_dot(&self, dot: Dot) -> bool {
        self.contains(dot)
    }

    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        // Ours survive unless the other side has seen them and no longer holds them.
        // Visit whichever is smaller: our entries, or the dots the other side has seen
        // (a delta's few dots against a long-lived counter's many changes).
        if other_context.dot_count() < self.entries.len() as u128 {
            for d in other_context.dots() {
                if !other.contains(d) {
                    self.remove(d);
                }
            }
        } else {
            self.entries
                .retain(|(d, _)| other.contains(*d) || !other_context.contains(*d));
        }
        // Theirs join unless this side has seen them (and so removed them, or holds
        // them). Where both sides hold a dot, both hold its one write, unless a state
        // was forged: then the value every replica prefers stays.
        let mut left = other.entries.len();
        for (d, v) in other.entries {
            left -= 1;
            match self.entries.binary_search_by(|(e, _)| e.cmp(&d)) {
                Ok(at) => {
                    if theirs_wins(&self.entries[at].1, &v) {
                        self.entries[at].1 = v;
                    }
                }
                Err(at) => {
                    if !context.contains(d) {
                        // Room for the rest of theirs at once, no more (a register's
                        // one write meeting a concurrent one), not the four a growing
                        // vector takes.
                        self.entries.reserve_exact(left + 1);
                        self.entries.insert(at, (d, v));
                    }
                }
            }
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for DotFun<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(d, v)| (d, v)))
            .finish()
    }
}

impl<V: Serialize> Serialize for DotFun<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.entries.len() * 3))?;
        for (dot, value) in &self.entries {
            seq.serialize_element(&dot.replica)?;
            seq.serialize_element(&dot.counter)?;
            seq.serialize_element(value)?;
        }
        seq.end()
    }
}

impl<'de, V: DeserializeOwned> Deserialize<'de> for DotFun<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(FlatEntries(PhantomData))
    }
}

struct FlatEntries<V>(PhantomData<V>);

/// The most entries a decoded `DotFun` reserves room for before they are read.
const MAX_RESERVED: usize = 64;

impl<'de, V: DeserializeOwned> Visitor<'de> for FlatEntries<V> {
    type Value = DotFun<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a flat array of replica, counter, value triples")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DotFun<V>, A::Error> {
        // Sized for the triples the input holds (the hint never exceeds the bytes
        // left), capped so that a long claimed length reserves little.
        let hint = seq.size_hint().unwrap_or(0) / 3;
        let mut entries: Vec<(Dot, V)> = Vec::with_capacity(hint.min(MAX_RESERVED));
        while let Some(dot) = next_dot(&mut seq)? {
            let value = seq
                .next_element()?
                .ok_or_else(|| serde::de::Error::custom("a dot is not followed by its value"))?;
            entries.push((dot, value));
        }
        // Encoders write dots in order: then there is nothing to sort, nor twice.
        if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
            crate::sort_stable_by(&mut entries, |a, b| a.0.cmp(&b.0));
            let before = entries.len();
            entries.dedup_by(|a, b| a.0 == b.0);
            if entries.len() != before {
                return Err(serde::de::Error::custom("the same dot appears twice"));
            }
        }
        Ok(DotFun { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    proptest! {
        /// Decoding takes a fast path when the dots come in order: on any order, with
        /// or without repeats, it equals the general path (sort, then refuse a repeat).
        #[test]
        fn decoding_in_order_or_not_equals_sorting(
            triples in prop::collection::vec((1u64..4, 1u64..6, any::<u64>()), 0..12),
            sort_first in any::<bool>(),
        ) {
            let mut triples = triples;
            if sort_first {
                triples.sort_by_key(|&(r, c, _)| (r, c));
            }
            let flat: Vec<u64> = triples.iter().flat_map(|&(r, c, v)| [r, c, v]).collect();
            let bytes = crate::msgpack_encoder::to_msgpack(&flat).unwrap();
            let decoded =
                DotFun::<u64>::deserialize(&mut crate::msgpack_decoder::Decoder::new(&bytes));
            let mut expected: Vec<(Dot, u64)> = triples
                .iter()
                .map(|&(r, c, v)| (Dot::new(ReplicaId::new(r), c), v))
                .collect();
            expected.sort_by_key(|e| e.0);
            let repeats = expected.windows(2).any(|w| w[0].0 == w[1].0);
            match decoded {
                Ok(fun) => {
                    prop_assert!(!repeats, "a repeated dot was accepted");
                    let got: Vec<(Dot, u64)> = fun.iter().map(|(d, v)| (d, *v)).collect();
                    prop_assert_eq!(got, expected);
                }
                Err(_) => prop_assert!(repeats, "dots without repeats were refused"),
            }
        }
    }

    fn dot(c: u64) -> Dot {
        Dot::new(ReplicaId::new(1), c)
    }

    /// A small delta against a long store takes the path that visits the delta's
    /// context instead of the store (found by the JS benchmark: 10,000 increments of
    /// one counter, each joined into the pending delta, were quadratic). Both paths
    /// must drop exactly the removed entries and add exactly the new ones.
    #[test]
    fn a_small_delta_removes_and_adds_exactly_like_the_full_visit() {
        let mut long: DotFun<u64> = DotFun::new();
        let mut context = CausalContext::new();
        for c in 1..=10 {
            long.insert(dot(c), c);
            context.insert(dot(c));
        }
        // The delta has seen dots 3, 4 and 11: it removed 3, keeps 4, adds 11.
        let mut delta = DotFun::new();
        delta.insert(dot(4), 4);
        delta.insert(dot(11), 11);
        let delta_context = CausalContext::from_dots([dot(3), dot(4), dot(11)]);
        let mut fast = long.clone();
        fast.join(&context, delta.clone(), &delta_context);
        // The other way round visits every entry of the (now smaller) store.
        let mut slow = delta;
        slow.join(&delta_context, long, &context);
        let expected: Vec<u64> = (1..=11).filter(|&c| c != 3).collect();
        assert_eq!(
            fast.iter().map(|(d, _)| d.counter).collect::<Vec<_>>(),
            expected
        );
        assert_eq!(fast, slow);
    }
}
