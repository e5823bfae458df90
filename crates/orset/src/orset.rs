//! `OrSet<E>`: the add-wins set over a `DotMap<E, DotSet>` and its causal context.

use std::fmt::Debug;
use std::hash::Hash;

use converge_core::{Causal, Codec, DotMap, DotSet, DotStore, ReplicaId, TypeTag, VersionVector};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// What an [`OrSet`] can hold: ordered (for canonical encoding and sorted reads) and
/// hashable (for fast lookup). Encoding also needs `Serialize + DeserializeOwned`.
pub trait Element: Ord + Hash + Clone + Debug {}

impl<T: Ord + Hash + Clone + Debug> Element for T {}

/// An add-wins observed-remove set. See the [crate docs](crate).
///
/// Every mutator returns a delta, itself an `OrSet`, that [`join`](converge_core::Lattice::join)
/// applies on another replica.
#[derive(Clone, PartialEq)]
pub struct OrSet<E: Element> {
    pub(crate) state: Causal<DotMap<E, DotSet>>,
}

impl<E: Element> Default for OrSet<E> {
    fn default() -> Self {
        OrSet {
            state: Causal::default(),
        }
    }
}

impl<E: Element> OrSet<E> {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `element` as a write of `replica`; returns the delta (the element with
    /// its fresh dot). Adding a present element refreshes it: the new dot replaces the
    /// dots this replica observed, so removes concurrent with this add lose.
    pub fn add(&mut self, replica: ReplicaId, element: E) -> Self {
        let Causal { store, context } = &mut self.state;
        let delta = store.update(&element, |dots| dots.write(context, replica));
        OrSet {
            state: Causal::new(DotMap::with_one(element, delta.store), delta.context),
        }
    }

    /// Removes `element` as observed here; returns the delta (no element, and the
    /// removed dots as context). Adds this replica has not seen are unaffected, and
    /// removing an absent element returns an empty delta.
    pub fn remove(&mut self, element: &E) -> Self {
        let removed = self.state.store.update(element, |dots| dots.remove_all());
        OrSet {
            state: Causal::new(DotMap::new(), removed.context),
        }
    }

    /// Removes every element observed here; returns the delta.
    pub fn clear(&mut self) -> Self {
        OrSet {
            state: self.state.clear(),
        }
    }

    /// Whether `element` is in the set.
    pub fn contains(&self, element: &E) -> bool {
        self.state.store.contains_key(element)
    }

    /// The elements, in no particular order (see [`to_sorted_vec`](Self::to_sorted_vec)
    /// for an order every replica agrees on).
    pub fn iter(&self) -> impl Iterator<Item = &E> + '_ {
        self.state.store.iter().map(|(e, _)| e)
    }

    /// The elements in ascending order.
    pub fn to_sorted_vec(&self) -> Vec<&E> {
        let mut all: Vec<&E> = self.iter().collect();
        // The shared sort (one copy of the sorting code in the wasm build); elements
        // are distinct, so stable or not is alike.
        converge_core::sort_stable_by(&mut all, |a, b| a.cmp(b));
        all
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.state.store.len()
    }

    /// Whether the set has no elements.
    pub fn is_empty(&self) -> bool {
        self.state.store.is_empty()
    }

    /// The version vector of the writes this replica has seen.
    pub fn version(&self) -> &VersionVector {
        self.state.version()
    }
}

impl<E: Element + Serialize + DeserializeOwned> Codec for OrSet<E> {
    const TAG: TypeTag = TypeTag::OrSet;
}

impl<E: Element> Debug for OrSet<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrSet")
            .field("elements", &self.state.store)
            .field("context", &self.state.context)
            .finish()
    }
}

impl<E: Element> FromIterator<(ReplicaId, E)> for OrSet<E> {
    /// The set reached by adding each `(replica, element)` in turn.
    fn from_iter<I: IntoIterator<Item = (ReplicaId, E)>>(iter: I) -> Self {
        let mut set = OrSet::new();
        for (replica, element) in iter {
            set.add(replica, element);
        }
        set
    }
}

converge_core::causal_type!([E: Element] OrSet<E>, state: DotMap<E, DotSet>);

/// No concurrent writes to report: every write merges without a conflict.
impl<E: Element> converge_core::CountConflicts for OrSet<E> {}
