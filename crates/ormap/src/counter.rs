//! `Counter`: a causal counter for maps: each replica's contribution is one live
//! write, so removing the key resets exactly the contributions the remover observed.

use std::fmt;

use converge_core::{
    Causal, CausalContext, DeltaCrdt, Dot, DotFun, Embeddable, Lattice, ReplicaId,
};
use serde::{Deserialize, Serialize};

use crate::Error;

/// One replica's running totals, as of one of its writes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contribution {
    /// Sum of this replica's increments.
    pub up: u64,
    /// Sum of this replica's decrements.
    pub down: u64,
}

impl fmt::Debug for Contribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}-{}", self.up, self.down)
    }
}

/// A counter that can live in an [`OrMap`](crate::OrMap) and be reset by removing its
/// key: a remove clears the contributions it observed, while increments made
/// concurrently with the remove survive (update wins).
///
/// Each replica's contribution is one entry under that replica's latest dot; an
/// increment replaces it with a new dot carrying the new totals.
#[derive(Clone, Default, PartialEq)]
pub struct Counter {
    state: Causal<DotFun<Contribution>>,
}

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value: every live contribution's increments minus its decrements.
    pub fn value(&self) -> i128 {
        self.state
            .store
            .iter()
            .map(|(_, c)| i128::from(c.up) - i128::from(c.down))
            .sum()
    }

    /// Adds `by`; returns the delta. Fails, changing nothing, if this replica's total
    /// would pass `u64::MAX`.
    pub fn increment(&mut self, replica: ReplicaId, by: u64) -> Result<Self, Error> {
        self.change(replica, by, true)
    }

    /// Subtracts `by`; returns the delta. Fails, changing nothing, if this replica's
    /// total of decrements would pass `u64::MAX`.
    pub fn decrement(&mut self, replica: ReplicaId, by: u64) -> Result<Self, Error> {
        self.change(replica, by, false)
    }

    /// Resets the counter to zero as observed here; returns the delta.
    pub fn reset(&mut self) -> Self {
        Counter {
            state: self.state.clear(),
        }
    }

    fn change(&mut self, replica: ReplicaId, by: u64, up: bool) -> Result<Self, Error> {
        let Causal { store, context } = &mut self.state;
        let mine: Vec<(Dot, Contribution)> = store
            .iter()
            .filter(|(d, _)| d.replica == replica)
            .map(|(d, c)| (d, *c))
            .collect();
        let mut total = Contribution::default();
        for (_, c) in &mine {
            total.up = total.up.checked_add(c.up).ok_or(Error::Overflow { by })?;
            total.down = total
                .down
                .checked_add(c.down)
                .ok_or(Error::Overflow { by })?;
        }
        let slot = if up { &mut total.up } else { &mut total.down };
        *slot = slot.checked_add(by).ok_or(Error::Overflow { by })?;

        // Replace this replica's entries with one new write holding the totals.
        let dot = context.next_dot(replica);
        context.insert(dot);
        for (d, _) in &mine {
            store.remove(*d);
        }
        store.insert(dot, total);
        let mut delta_store = DotFun::new();
        delta_store.insert(dot, total);
        let delta_context = CausalContext::from_dots(mine.iter().map(|(d, _)| *d).chain([dot]));
        Ok(Counter {
            state: Causal::new(delta_store, delta_context),
        })
    }
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("value", &self.value())
            .field("contributions", &self.state.store)
            .finish()
    }
}

impl Lattice for Counter {
    fn join(&mut self, other: Self) {
        self.state.join(other.state);
    }
}

impl DeltaCrdt for Counter {}

impl Embeddable for Counter {
    type Store = DotFun<Contribution>;
    fn as_causal(&self) -> &Causal<Self::Store> {
        &self.state
    }
    fn as_causal_mut(&mut self) -> &mut Causal<Self::Store> {
        &mut self.state
    }
    fn from_causal(state: Causal<Self::Store>) -> Self {
        Counter { state }
    }
    fn into_causal(self) -> Causal<Self::Store> {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increments_replace_the_replicas_own_entry() {
        let r = ReplicaId::new(1);
        let mut c = Counter::new();
        c.increment(r, 5).unwrap();
        c.decrement(r, 2).unwrap();
        assert_eq!(c.value(), 3);
        assert_eq!(c.state.store.len(), 1);
    }

    #[test]
    fn reset_keeps_concurrent_increments() {
        let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
        let mut x = Counter::new();
        x.increment(a, 5).unwrap();
        let mut y = x.clone();
        let reset = x.reset();
        let inc = y.increment(b, 2).unwrap();
        x.join(inc);
        y.join(reset);
        assert_eq!(x, y);
        assert_eq!(x.value(), 2);
    }

    #[test]
    fn overflow_changes_nothing() {
        let r = ReplicaId::new(1);
        let mut c = Counter::new();
        c.increment(r, u64::MAX).unwrap();
        let before = c.clone();
        assert!(c.increment(r, 1).is_err());
        assert_eq!(c, before);
    }
}
