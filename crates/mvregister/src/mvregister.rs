//! `MvRegister`: a register that keeps every concurrent write (its siblings) until a
//! write that has seen them all replaces them.

use std::fmt::Debug;

use converge_core::{Causal, Codec, Dot, DotFun, ReplicaId, TypeTag, VersionVector};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A multi-value register. See the [crate docs](crate).
///
/// Its state is a [`Causal`]`<`[`DotFun`]`<V>>`: the live writes, each under the
/// [`Dot`] that names it, and the context of every write seen. Encoded as that causal
/// state: `[[replica, counter, value, …], version vector, extra dots]`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(
    transparent,
    bound(
        serialize = "V: Clone + PartialEq + Debug + Serialize",
        deserialize = "V: Clone + PartialEq + Debug + Serialize + DeserializeOwned"
    )
)]
pub struct MvRegister<V> {
    state: Causal<DotFun<V>>,
}

impl<V> Default for MvRegister<V> {
    fn default() -> Self {
        MvRegister {
            state: Causal::default(),
        }
    }
}

impl<V> MvRegister<V> {
    /// An empty register: nothing written, nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// The values of the live writes, in dot order (replica id, then counter), which
    /// is the same order on every replica holding the same state.
    ///
    /// One value normally; several after concurrent writes; none if the register was
    /// never written or was cleared.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> + '_ {
        self.state.store.iter().map(|(_, value)| value)
    }

    /// The live writes with the [`Dot`] naming each (`dot.replica` is the writer), in
    /// the order of [`values`](Self::values).
    pub fn siblings(&self) -> impl ExactSizeIterator<Item = (Dot, &V)> + '_ {
        self.state.store.iter()
    }

    /// Whether concurrent writes are live: more than one sibling, so a reader has to
    /// choose (see [`resolve`](Self::resolve)) or show them all.
    pub fn is_conflicted(&self) -> bool {
        self.state.store.len() > 1
    }

    /// Whether the register holds no value (never written, or cleared).
    pub fn is_empty(&self) -> bool {
        self.state.store.len() == 0
    }

    /// Reads one value, letting `resolver` choose among concurrent siblings. The state
    /// does not change: every replica holding the same state resolves to the same value
    /// (the resolver sees the siblings in dot order), and merging stays a lattice join.
    ///
    /// Returns `None` if the register is empty, the only value if there is no
    /// conflict (the resolver is not called), and otherwise what `resolver` picks
    /// from the siblings (which may be `None` if it cannot decide). To make the choice
    /// stick, [`write`](Self::write) the chosen value: that write supersedes the
    /// siblings it resolved.
    ///
    /// A resolver used in several places is easiest to write as a function,
    /// `fn pick<'a>(siblings: &[&'a V]) -> Option<&'a V>`; a closure passed inline
    /// works as is.
    ///
    /// ```
    /// use converge_core::{Lattice, ReplicaId};
    /// use converge_mvregister::MvRegister;
    ///
    /// let mut a = MvRegister::new();
    /// let mut b = MvRegister::new();
    /// a.write(ReplicaId::new(1), 3);
    /// b.write(ReplicaId::new(2), 7);
    /// a.join(b);
    /// assert_eq!(a.resolve(|siblings| siblings.iter().copied().max()), Some(&7));
    /// ```
    pub fn resolve<'a, F>(&'a self, resolver: F) -> Option<&'a V>
    where
        F: FnOnce(&[&'a V]) -> Option<&'a V>,
    {
        match self.state.store.len() {
            0 => None,
            1 => self.values().next(),
            _ => resolver(&self.values().collect::<Vec<_>>()),
        }
    }

    /// The version vector of the writes this replica has seen (the contiguous part of
    /// its causal context). Compare two replicas' vectors with
    /// [`VersionVector::compare`] to tell a stale replica from a concurrent one.
    pub fn version(&self) -> &VersionVector {
        self.state.context.version_vector()
    }
}

impl<V: Clone + PartialEq + Debug + Serialize> MvRegister<V> {
    /// Writes `value` as `replica`, replacing every sibling this replica has seen, and
    /// returns the delta: the new write, with a context of its dot and of the dots it
    /// replaced (nothing more, so the delta may arrive in any order).
    ///
    /// Siblings written concurrently elsewhere, not yet seen here, survive the merge
    /// with this write.
    pub fn write(&mut self, replica: ReplicaId, value: V) -> MvRegister<V> {
        let Causal { store, context } = &mut self.state;
        MvRegister {
            state: store.write(context, replica, value),
        }
    }

    /// Removes every sibling this replica has seen (an observed remove) and returns
    /// the delta: no value, with a context of exactly the removed dots. A write made
    /// concurrently elsewhere survives the merge with the clear.
    pub fn clear(&mut self) -> MvRegister<V> {
        MvRegister {
            state: self.state.clear(),
        }
    }
}

impl<V: Clone + PartialEq + Debug + Serialize + DeserializeOwned> Codec for MvRegister<V> {
    const TAG: TypeTag = TypeTag::MvRegister;
}

converge_core::causal_type!(
    [V: Clone + PartialEq + Debug + Serialize] MvRegister<V>,
    state: DotFun<V>,
    counting conflicts
);

#[cfg(test)]
mod tests {
    use super::*;
    use converge_core::{DeltaCrdt, Embeddable, Lattice};

    const A: ReplicaId = ReplicaId::new(1);
    const B: ReplicaId = ReplicaId::new(2);

    fn joined<V: Clone + PartialEq + Debug + Serialize>(
        mut a: MvRegister<V>,
        b: MvRegister<V>,
    ) -> MvRegister<V> {
        a.join(b);
        a
    }

    #[test]
    fn a_write_replaces_what_it_observed_and_its_delta_says_so() {
        let mut r = MvRegister::new();
        let first = r.write(A, "one");
        let second = r.write(A, "two");
        assert_eq!(r.values().collect::<Vec<_>>(), [&"two"]);
        // The delta carries the new write and the dot it replaced, nothing else.
        assert_eq!(second.values().collect::<Vec<_>>(), [&"two"]);
        let replaced = first.siblings().next().map(|(dot, _)| dot);
        assert!(replaced.is_some_and(|d| second.as_causal().context.contains(d)));
        // Joining the older delta after the newer one does not resurrect it.
        assert_eq!(joined(second.clone(), first), second);
    }

    #[test]
    fn siblings_come_in_dot_order_on_both_sides() {
        let mut a = MvRegister::new();
        let mut b = MvRegister::new();
        b.write(B, "from b");
        a.write(A, "from a");
        let ab = joined(a.clone(), b.clone());
        let ba = joined(b, a);
        assert_eq!(ab, ba);
        assert!(ab.is_conflicted());
        let writers: Vec<ReplicaId> = ab.siblings().map(|(dot, _)| dot.replica).collect();
        assert_eq!(writers, [A, B]);
        assert_eq!(
            ab.values().collect::<Vec<_>>(),
            ba.values().collect::<Vec<_>>()
        );
    }

    #[test]
    fn clear_removes_only_what_it_saw() {
        let mut a = MvRegister::new();
        a.write(A, "seen");
        let mut b = a.clone();
        let cleared = a.clear();
        assert!(a.is_empty());
        assert!(cleared.is_empty());
        let concurrent = b.write(B, "concurrent");
        let merged = joined(joined(a, concurrent), cleared);
        assert_eq!(merged.values().collect::<Vec<_>>(), [&"concurrent"]);
    }

    #[test]
    fn resolve_handles_empty_and_single_without_the_resolver() {
        let mut r = MvRegister::new();
        assert_eq!(r.resolve(|_| panic!("nothing to resolve")), None);
        r.write(A, 5);
        assert_eq!(r.resolve(|_| panic!("no conflict")), Some(&5));
    }

    #[test]
    fn embedded_in_a_map_it_writes_with_the_maps_context() {
        use converge_core::{CausalContext, Embedded};
        let mut map_context = CausalContext::new();
        let mut value: Embedded<MvRegister<u8>> = Embedded::default();
        let first = value.with_context(&mut map_context, |r| r.write(A, 1));
        let second = value.with_context(&mut map_context, |r| r.write(A, 2));
        assert_eq!(value.get().values().collect::<Vec<_>>(), [&2]);
        // The context stays with the map; the value keeps none of its own.
        assert!(value.get().version().is_empty());
        assert_eq!(map_context.version_vector().get(A), 2);
        // The deltas are ordinary, exact register deltas.
        assert_eq!(joined(second.clone(), first), second);
    }

    #[test]
    fn empty_register_is_the_bottom() {
        let r: MvRegister<u8> = MvRegister::new();
        assert!(r.is_bottom());
        assert!(r.version().is_empty());
    }
}
