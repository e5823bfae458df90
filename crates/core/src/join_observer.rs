//! `JoinObserver`: what a map's causal join tells a caller about each key it visits,
//! so a merge can be judged (what changed, what it met) as it is made, without a
//! copy of the touched part beforehand or a lookup of each key afterwards.

use crate::{Causal, CausalContext, DotMap, DotStore};

/// Sees each key a [`DotMap`] join visits ([`DotMap::join_observed`]): every key the
/// join can change, each once, [`before`](Self::before) and then
/// [`after`](Self::after) its store joins. The unit type observes nothing (the plain
/// join).
pub trait JoinObserver<K, S> {
    /// Called before `key`'s store joins: this side's store (`None` where the key is
    /// absent here), the other side's (`None` where it lacks the key), and the
    /// context of the other side.
    fn before(&mut self, key: &K, ours: Option<&S>, theirs: Option<&S>, other: &CausalContext);

    /// Called after `key`'s store joined: the store now (empty where the key is
    /// absent after the join).
    fn after(&mut self, key: &K, now: &S);

    /// [`after`](Self::after), handed the key by value: the other side's copy of a
    /// key both sides held, which the join has no further use for, so an observer
    /// that keeps the key keeps this copy instead of making one.
    fn after_owned(&mut self, key: K, now: &S) {
        self.after(&key, now);
    }
}

impl<K, S> JoinObserver<K, S> for () {
    #[inline]
    fn before(&mut self, _: &K, _: Option<&S>, _: Option<&S>, _: &CausalContext) {}

    #[inline]
    fn after(&mut self, _: &K, _: &S) {}
}

impl<K: Ord + std::hash::Hash + Clone + std::fmt::Debug, S: DotStore> Causal<DotMap<K, S>> {
    /// The causal join ([`Lattice::join`](crate::Lattice::join)), its store join
    /// observed key by key ([`DotMap::join_observed`]).
    pub fn join_observed(&mut self, other: Self, observer: &mut dyn JoinObserver<K, S>) {
        self.store
            .join_observed(&self.context, other.store, &other.context, observer);
        self.context.join_ref(&other.context);
    }
}
