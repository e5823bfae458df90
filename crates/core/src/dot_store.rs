//! `DotStore`: the three kinds of store a causal type keeps its live writes in, and
//! the one generic causal join over them.

use std::fmt::Debug;

use crate::{Causal, CausalContext, Dot};

/// A store of dots (and possibly values keyed by them) that, paired with a
/// [`CausalContext`], forms a causal CRDT ([`Causal`]).
///
/// The causal join of `(s, c)` and `(s', c')` (Almeida, Shoker, Baquero, "Delta State
/// Replicated Data Types", 2018, section 6) keeps an entry when both sides hold it, or
/// when the side that lacks it has not seen its dot (so the entry is new to it, not
/// removed by it):
///
/// ```text
/// DotSet:       s ⊔ s' = (s ∩ s') ∪ (s \ c') ∪ (s' \ c)
/// DotFun<V>:    the same, on the dots of the entries
/// DotMap<K, S>: per key k, s(k) ⊔ s'(k) under the same contexts; empty results vanish
/// ```
///
/// The contexts are joined by [`Causal`], once, at the top; nested stores in a
/// [`DotMap`](crate::DotMap) share their parent's context. This join is written once
/// per store kind, and every causal type (OR-Set, registers, OR-Map) is a thin layer
/// over it.
pub trait DotStore: Default + Clone + PartialEq + Debug {
    /// Whether the store holds no dots (it is the bottom; a map drops such entries).
    fn is_empty(&self) -> bool;

    /// How many dots the store holds.
    fn dot_count(&self) -> usize;

    /// Calls `f` with every dot held in the store.
    fn for_each_dot(&self, f: &mut dyn FnMut(Dot));

    /// Appends every dot held in the store to `out`.
    fn collect_dots(&self, out: &mut Vec<Dot>) {
        self.for_each_dot(&mut |d| out.push(d));
    }

    /// Whether the store holds `dot`.
    fn contains_dot(&self, dot: Dot) -> bool;

    /// Whether every dot is known to be held once: true for a store that refuses a
    /// dot held twice as it is built (a [`DotMap`](crate::DotMap), whose dot index
    /// is built with it), so its decoder need not check again. False by default.
    fn dots_held_once(&self) -> bool {
        false
    }

    /// The part of `self` that joining `other` (whose replica has seen
    /// `other_context`) can change: in a map, the entries of the keys `other` carries
    /// and of the keys holding a dot `other_context` names, each cut down the same way;
    /// a store without keys is its own part (the default). Joining `other` into the
    /// part changes it exactly as joining `other` into `self` changes `self`, so a
    /// replica can judge a delta (news or duplicate, conflicts met) at the cost of the
    /// delta, not of the state.
    fn touched_by(&self, other: &Self, other_context: &CausalContext) -> Self {
        let _ = (other, other_context);
        self.clone()
    }

    /// The causal join: merges `other` (whose replica has seen `other_context`) into
    /// `self` (whose replica has seen `context`). Does not touch the contexts.
    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext);

    /// Removes every entry (an observed remove) and returns the delta of that removal:
    /// an empty store whose context holds exactly the removed dots.
    fn remove_all(&mut self) -> Causal<Self> {
        let mut dots = Vec::new();
        self.collect_dots(&mut dots);
        *self = Self::default();
        Causal::new(Self::default(), CausalContext::from_dots(dots))
    }
}
