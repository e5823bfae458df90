//! `Causal<S>`: a dot store paired with the causal context of the replica that
//! holds it: the shape of every causal CRDT, and its one join.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use std::hash::Hash;

use crate::{
    CausalContext, DeltaCrdt, Dot, DotMap, DotSet, DotStore, Lattice, ReplicaId, VersionVector,
};

/// A causal CRDT: the live writes (`store`) and every write seen (`context`).
///
/// An OR-Set is `Causal<DotMap<E, DotSet>>`, a multi-value register is
/// `Causal<DotFun<V>>`. Their join, here, is the store join of [`DotStore`] followed by
/// the union of the contexts. A delta is a `Causal` too, whose context holds exactly
/// the dots it speaks for (delta exactness, see the crate docs).
///
/// Invariants: every dot in `store` is in `context`, and no dot appears twice in
/// `store`. Decoding establishes the first by construction and rejects input that
/// breaks the second; mutators keep both.
///
/// Encoded as `[store, version vector, extra dots]`: the context minus what the store's
/// own dots already say ([`CausalContext::residual`]), so a delta does not spell its
/// dots twice.
#[derive(Clone, Default, PartialEq)]
pub struct Causal<S> {
    /// The live writes.
    pub store: S,
    /// Every write seen, including those whose data was removed.
    pub context: CausalContext,
}

impl<S: DotStore> Causal<S> {
    /// The pair `(store, context)`. The caller keeps the invariant that the context
    /// holds every dot of the store.
    pub fn new(store: S, context: CausalContext) -> Self {
        Causal { store, context }
    }

    /// The dot `replica`'s next write gets.
    pub fn next_dot(&self, replica: ReplicaId) -> Dot {
        self.context.next_dot(replica)
    }

    /// The version vector of the writes seen (the contiguous part of the context).
    pub fn version(&self) -> &VersionVector {
        self.context.version_vector()
    }

    /// The part of this store that joining `other` touches ([`DotStore::touched_by`]),
    /// before and after that join: enough to judge what `other` brings (news,
    /// conflicts met) at the cost of `other`, not of this state.
    pub fn touched_part(&self, other: &Self) -> (S, S) {
        let before = self.store.touched_by(&other.store, &other.context);
        let mut after = before.clone();
        // A trial on a copy: the clashes it meets are met again by the real join.
        crate::dot_value_clash::uncounted(|| {
            after.join(&self.context, other.store.clone(), &other.context);
        });
        (before, after)
    }

    /// Removes every live write this replica has observed; returns that delta.
    pub fn clear(&mut self) -> Self {
        self.store.remove_all()
    }
}

impl<S: DotStore> Lattice for Causal<S> {
    fn join(&mut self, other: Self) {
        self.store.join(&self.context, other.store, &other.context);
        self.context.join_ref(&other.context);
    }
}

impl<S: DotStore> DeltaCrdt for Causal<S> {
    fn is_bottom(&self) -> bool {
        self.store.is_empty() && self.context.is_empty()
    }

    /// A causal state adds nothing to `other` when `other` has seen all its dots and
    /// joining its store changes nothing. Judged on the part of `other` the store
    /// touches ([`DotStore::touched_by`]), so a delta costs in proportion to the delta.
    fn is_subsumed_by(&self, other: &Self) -> bool {
        if !self.context.is_subset_of(&other.context) {
            return false;
        }
        let (before, after) = other.touched_part(self);
        after == before
    }
}

impl<S: fmt::Debug> fmt::Debug for Causal<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Causal")
            .field("store", &self.store)
            .field("context", &self.context)
            .finish()
    }
}

impl<S: DotStore> Causal<S> {
    /// The context as it is encoded: the version vector and extra dots left once the
    /// store's own dots are taken out ([`CausalContext::residual`]).
    /// Decoding the store and these gives this state back.
    pub fn encoded_context(&self) -> (VersionVector, DotSet) {
        let mut in_store = Vec::new();
        self.store.collect_dots(&mut in_store);
        in_store.sort_unstable();
        self.context.residual(&in_store)
    }

    /// The state whose store is `store` and whose context is `vv`, `extra` and the
    /// store's own dots: what decoding `[store, vv, extra]` gives. Fails when a vector
    /// entry is not a dot, or when the store holds a dot twice.
    fn from_encoded(store: S, vv: VersionVector, extra: DotSet) -> Result<Self, String> {
        for (replica, top) in vv.iter() {
            Dot::checked(replica, top)?;
        }
        let mut context = CausalContext::from_version_vector(vv);
        context.extend(extra.iter());
        if store.dots_held_once() {
            // Checked as the store was built: only the dots the vector and extra dots
            // do not cover are added, a replica whose every write is here at once
            // (the vector entry its encoding left out), with no sort.
            let mut unseen = Vec::new();
            push_unseen(&store, &context, &mut unseen);
            context.insert_unseen(unseen);
            return Ok(Causal { store, context });
        }
        let mut dots = Vec::new();
        store.collect_dots(&mut dots);
        dots.sort_unstable();
        if dots.windows(2).any(|w| w[0] == w[1]) {
            return Err(
                "the same dot appears twice in the store (one write cannot live in two places)"
                    .to_owned(),
            );
        }
        context.extend(dots);
        Ok(Causal { store, context })
    }
}

impl<K: Ord + Hash + Clone + fmt::Debug, S: DotStore> Causal<DotMap<K, S>> {
    /// This decoded state with `entries`, decoded apart (a format that writes some
    /// entries another way), added to its store and their dots to its context.
    /// `known` holds the dots of the first entries, one each, when the decoder knows
    /// them (those entries are not walked). Fails when a key or a dot is met twice,
    /// in `entries` or between them and the store.
    pub fn with_decoded_entries(self, entries: Vec<(K, S)>, known: &[Dot]) -> Result<Self, String> {
        if entries.is_empty() {
            return Ok(self);
        }
        let Causal { store, mut context } = self;
        let mut unseen: Vec<Dot> = known
            .iter()
            .copied()
            .filter(|d| !context.contains(*d))
            .collect();
        for (_, entry) in entries.iter().skip(known.len()) {
            push_unseen(entry, &context, &mut unseen);
        }
        let mut all = entries;
        all.extend(store.into_entries());
        // Built with its index: every dot is held once, so `unseen` is distinct.
        let store = DotMap::from_decoded(all, known)?;
        context.insert_unseen(unseen);
        Ok(Causal { store, context })
    }
}

/// Appends the dots of `store` that `context` has not seen to `unseen`.
fn push_unseen<S: DotStore>(store: &S, context: &CausalContext, unseen: &mut Vec<Dot>) {
    store.for_each_dot(&mut |dot| {
        if !context.contains(dot) {
            unseen.push(dot);
        }
    });
}

impl<S: DotStore + Serialize> Serialize for Causal<S> {
    fn serialize<Ser: Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        let (vv, extra) = self.encoded_context();
        let mut tuple = serializer.serialize_tuple(3)?;
        tuple.serialize_element(&self.store)?;
        tuple.serialize_element(&vv)?;
        tuple.serialize_element(&extra)?;
        tuple.end()
    }
}

impl<'de, S: DotStore + DeserializeOwned> Deserialize<'de> for Causal<S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_tuple(3, CausalVisitor(PhantomData))
    }
}

struct CausalVisitor<S>(PhantomData<S>);

impl<'de, S: DotStore + DeserializeOwned> Visitor<'de> for CausalVisitor<S> {
    type Value = Causal<S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [store, version vector, extra dots] triple")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Causal<S>, A::Error> {
        let missing = |what| serde::de::Error::custom(format!("causal state lacks its {what}"));
        let store: S = seq.next_element()?.ok_or_else(|| missing("store"))?;
        let vv: VersionVector = seq
            .next_element()?
            .ok_or_else(|| missing("version vector"))?;
        let extra: DotSet = seq.next_element()?.ok_or_else(|| missing("extra dots"))?;
        Causal::from_encoded(store, vv, extra).map_err(serde::de::Error::custom)
    }
}
