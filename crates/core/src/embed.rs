//! `Embeddable` and `Embedded<V>`: how a causal type lives inside a map, sharing the
//! map's causal context instead of keeping its own.

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Causal, CausalContext, Dot, DotStore};

/// A causal CRDT whose whole state is a [`Causal`] pair, so an OR-Map can hold it as a
/// value: the map keeps one context for all its values, and a value's own context is
/// left empty while it lives in the map.
///
/// `from_causal(c).into_causal() == c` must hold; the type adds no state of its own.
pub trait Embeddable: Clone + PartialEq + Debug + Default {
    /// The dot store the type keeps its live writes in.
    type Store: DotStore;
    /// The state, read-only.
    fn as_causal(&self) -> &Causal<Self::Store>;
    /// The state, for the map to join stores and swap its context in and out.
    fn as_causal_mut(&mut self) -> &mut Causal<Self::Store>;
    /// The value holding `state`.
    fn from_causal(state: Causal<Self::Store>) -> Self;
    /// The state, by value.
    fn into_causal(self) -> Causal<Self::Store>;
}

/// A value of an [`Embeddable`] type stored in a map: a [`DotStore`] whose dots are the
/// value's live writes; its context stays empty (the map's context is used).
///
/// Encoded as the value's store alone.
#[derive(Clone, Default, PartialEq, Debug)]
pub struct Embedded<V>(V);

impl<V: Embeddable> Embedded<V> {
    /// The value (reads only need its store, which is complete).
    pub fn get(&self) -> &V {
        &self.0
    }

    /// Runs `mutate` on the value with `context` (the map's) lent to it, and returns
    /// what `mutate` returned (normally the value's delta). The context is handed back
    /// afterwards, so the value never keeps one of its own.
    #[inline]
    pub fn with_context<R>(
        &mut self,
        context: &mut CausalContext,
        mutate: impl FnOnce(&mut V) -> R,
    ) -> R {
        let state = self.0.as_causal_mut();
        state.context = std::mem::take(context);
        let result = mutate(&mut self.0);
        *context = std::mem::take(&mut self.0.as_causal_mut().context);
        result
    }

    /// Wraps a bare store.
    pub fn from_store(store: V::Store) -> Self {
        Embedded(V::from_causal(Causal::new(store, CausalContext::new())))
    }

    /// The bare store.
    pub fn into_store(self) -> V::Store {
        self.0.into_causal().store
    }
}

impl<V: Embeddable> DotStore for Embedded<V> {
    fn is_empty(&self) -> bool {
        self.0.as_causal().store.is_empty()
    }

    fn dot_count(&self) -> usize {
        self.0.as_causal().store.dot_count()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        self.0.as_causal().store.for_each_dot(f);
    }

    fn collect_dots(&self, out: &mut Vec<Dot>) {
        self.0.as_causal().store.collect_dots(out);
    }

    fn contains_dot(&self, dot: Dot) -> bool {
        self.0.as_causal().store.contains_dot(dot)
    }

    fn touched_by(&self, other: &Self, other_context: &CausalContext) -> Self {
        let theirs = &other.0.as_causal().store;
        Embedded::from_store(self.0.as_causal().store.touched_by(theirs, other_context))
    }

    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        let theirs = other.into_store();
        self.0
            .as_causal_mut()
            .store
            .join(context, theirs, other_context);
    }
}

impl<V: Embeddable> Serialize for Embedded<V>
where
    V::Store: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.as_causal().store.serialize(serializer)
    }
}

impl<'de, V: Embeddable> Deserialize<'de> for Embedded<V>
where
    V::Store: DeserializeOwned,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        V::Store::deserialize(deserializer).map(Embedded::from_store)
    }
}

/// Implements [`Lattice`](crate::Lattice), [`DeltaCrdt`](crate::DeltaCrdt) and
/// [`Embeddable`] for a type whose whole state is one [`Causal`] field: the join is
/// the field's causal join, and the type embeds in maps as that field. Every causal
/// type of converge is such a thin wrapper; this writes the wrapping once.
///
/// ```
/// use converge_core::{causal_type, Causal, DotSet};
///
/// /// An enable-wins flag.
/// #[derive(Clone, Default, PartialEq, Debug)]
/// struct Flag {
///     state: Causal<DotSet>,
/// }
/// causal_type!([] Flag, state: DotSet);
/// ```
///
/// Generic parameters go in the brackets: `causal_type!([V: Clone] Reg<V>, state: DotFun<V>)`.
///
/// A register (state `Causal<DotFun<V>>`) adds `, counting conflicts` to also implement
/// [`CountConflicts`](crate::CountConflicts) as its state counts them: the siblings a
/// merge left beside each other.
#[macro_export]
macro_rules! causal_type {
    ([$($generics:tt)*] $ty:ty, $field:ident: $store:ty, counting conflicts) => {
        $crate::causal_type!([$($generics)*] $ty, $field: $store);

        /// Concurrent writes met: the register's new siblings.
        impl<$($generics)*> $crate::CountConflicts for $ty {
            const MEETS_CONFLICTS: bool =
                <$crate::Causal<$store> as $crate::CountConflicts>::MEETS_CONFLICTS;

            fn conflicts_between(before: &Self, after: &Self) -> u64 {
                <$crate::Causal<$store> as $crate::CountConflicts>::conflicts_between(
                    &before.$field,
                    &after.$field,
                )
            }
        }
    };
    ([$($generics:tt)*] $ty:ty, $field:ident: $store:ty) => {
        impl<$($generics)*> $crate::Lattice for $ty {
            fn join(&mut self, other: Self) {
                $crate::Lattice::join(&mut self.$field, other.$field);
            }
        }

        impl<$($generics)*> $crate::DeltaCrdt for $ty {
            fn is_bottom(&self) -> bool {
                $crate::DeltaCrdt::is_bottom(&self.$field)
            }
            fn is_subsumed_by(&self, other: &Self) -> bool {
                $crate::DeltaCrdt::is_subsumed_by(&self.$field, &other.$field)
            }
        }

        impl<$($generics)*> $crate::Embeddable for $ty {
            type Store = $store;
            fn as_causal(&self) -> &$crate::Causal<$store> {
                &self.$field
            }
            fn as_causal_mut(&mut self) -> &mut $crate::Causal<$store> {
                &mut self.$field
            }
            fn from_causal(state: $crate::Causal<$store>) -> Self {
                Self { $field: state }
            }
            fn into_causal(self) -> $crate::Causal<$store> {
                self.$field
            }
        }
    };
}
