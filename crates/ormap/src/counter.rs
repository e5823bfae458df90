//! `Counter`: a causal counter for maps: every increment or decrement is its own
//! live write, so removing the key resets exactly the changes the remover observed.

use std::fmt;

use converge_core::{Causal, DotFun, ReplicaId};
use serde::{Deserialize, Serialize};

/// One change of a [`Counter`]: an increment (`up`) or a decrement (`down`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contribution {
    /// Amount added.
    pub up: u64,
    /// Amount subtracted.
    pub down: u64,
}

impl fmt::Debug for Contribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}-{}", self.up, self.down)
    }
}

/// A counter that can live in an [`OrMap`](crate::OrMap) and be reset by removing its
/// key: a remove cancels exactly the changes it observed, and changes made
/// concurrently with the remove survive (update wins), whoever made them.
///
/// Every change is its own write (a dot and its amount), and a change never replaces
/// an earlier one. That is what makes the reset exact: a counter that folded a
/// replica's changes into one running total would bring back, through the new total,
/// the part a concurrent remove had cancelled. The price is one entry (a few bytes)
/// per change until the key is removed; for a counter that is never reset, use
/// `converge_pncounter::PnCounter`, whose size is one entry per replica.
#[derive(Clone, Default, PartialEq)]
pub struct Counter {
    state: Causal<DotFun<Contribution>>,
}

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value: the live increments minus the live decrements. An `i128`, which
    /// no number of `u64` changes that fits in memory can overflow.
    pub fn value(&self) -> i128 {
        self.state
            .store
            .iter()
            .map(|(_, c)| i128::from(c.up) - i128::from(c.down))
            .sum()
    }

    /// Adds `by`; returns the delta (the change alone).
    pub fn increment(&mut self, replica: ReplicaId, by: u64) -> Self {
        self.change(replica, Contribution { up: by, down: 0 })
    }

    /// Subtracts `by`; returns the delta (the change alone).
    pub fn decrement(&mut self, replica: ReplicaId, by: u64) -> Self {
        self.change(replica, Contribution { up: 0, down: by })
    }

    /// Resets the counter to zero as observed here; returns the delta.
    pub fn reset(&mut self) -> Self {
        Counter {
            state: self.state.clear(),
        }
    }

    fn change(&mut self, replica: ReplicaId, change: Contribution) -> Self {
        let Causal { store, context } = &mut self.state;
        let dot = context.next_write(replica);
        store.insert(dot, change);
        let mut delta_store = DotFun::new();
        delta_store.insert(dot, change);
        Counter {
            state: Causal::new(delta_store, converge_core::CausalContext::from_dots([dot])),
        }
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

converge_core::causal_type!([] Counter, state: DotFun<Contribution>);

/// No concurrent writes to report: every write merges without a conflict.
impl converge_core::CountConflicts for Counter {
    fn conflicts_between(_: &Self, _: &Self) -> u64 {
        0
    }

    fn join_counting(&mut self, other: Self) -> u64 {
        converge_core::Lattice::join(self, other);
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use converge_core::Lattice;

    #[test]
    fn reset_keeps_concurrent_changes_and_cancels_only_what_it_saw() {
        let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
        let mut x = Counter::new();
        x.increment(a, 5);
        let mut y = x.clone();
        let reset = x.reset();
        // Concurrent with the reset: a new increment by the replica whose +5 it saw.
        let inc = y.increment(a, 2);
        let dec = y.decrement(b, 1);
        x.join(inc);
        x.join(dec);
        y.join(reset);
        assert_eq!(x, y);
        assert_eq!(x.value(), 1);
    }

    #[test]
    fn extremes_sum_without_overflow() {
        let r = ReplicaId::new(1);
        let mut c = Counter::new();
        c.increment(r, u64::MAX);
        c.increment(r, u64::MAX);
        assert_eq!(c.value(), 2 * i128::from(u64::MAX));
    }
}
