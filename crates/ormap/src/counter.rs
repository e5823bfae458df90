//! `Counter`: the causal counter of the delta-CRDT literature, for maps: one live
//! entry per replica holding that replica's running totals, so its size follows the
//! writers, not the number of increments, and removing the key resets it.

use std::fmt;

use converge_core::{Causal, CausalContext, Dot, DotFun, ReplicaId};
use serde::{Deserialize, Serialize};

/// One entry of a [`Counter`]: what one replica has added (`up`) and subtracted
/// (`down`) in total since it last observed a reset of the counter.
///
/// Entries written by format version 1 of the encoding hold one change each; both
/// kinds read the same way, because the entries of one replica add up (see
/// [`Counter`]).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contribution {
    /// Amount added.
    pub up: u64,
    /// Amount subtracted.
    pub down: u64,
}

impl Contribution {
    /// `self + other`, if both totals still fit in a `u64`.
    fn checked_add(self, other: Contribution) -> Option<Contribution> {
        Some(Contribution {
            up: self.up.checked_add(other.up)?,
            down: self.down.checked_add(other.down)?,
        })
    }

    /// Both totals together, the order in which a replica's entries are folded.
    fn magnitude(self) -> u128 {
        u128::from(self.up) + u128::from(self.down)
    }
}

impl fmt::Debug for Contribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}-{}", self.up, self.down)
    }
}

/// A counter that can live in an [`OrMap`](crate::OrMap) and be reset by removing its
/// key (or by [`reset`](Self::reset)): the causal counter of Almeida, Shoker and
/// Baquero, "Delta State Replicated Data Types" (2018), which Riak's embedded map
/// counter also uses.
///
/// # State and size
///
/// Each replica that has written since the last reset it observed has one live entry
/// (a dot and a [`Contribution`]): its cumulative increments and decrements. An
/// increment replaces the replica's own entry with a new one under a fresh dot
/// carrying the new totals; its delta is that entry, with a context of the new dot
/// and the replaced one, so a receiver drops the old entry whatever order the deltas
/// arrive in. Other replicas' entries are never touched. The size is one entry per
/// writer, however many increments: a document counter incremented a million times
/// by one replica adds 23 bytes and its key to the document's encoding (39 with a
/// random 64-bit replica id; the `counter_size` tests pin the bounds).
///
/// # Resets, and the one way they are not exact
///
/// A reset (removing the key, or [`reset`](Self::reset)) removes the entries it
/// observed. Replicas whose entries it removed, and which have not written since,
/// contribute nothing afterwards. But a replica `r` that increments *concurrently*
/// with the reset writes its whole running total into its new entry, so **r's earlier
/// contribution survives the reset whole**, not only the concurrent increment: with
/// `r` at 5, a reset concurrent with `r`'s `+2` leaves 7, not 2. Concurrent
/// increments win over the reset, for the replicas that made them; the contributions
/// of replicas that did not write concurrently are cancelled. A replica that has
/// observed the reset starts again from zero.
///
/// Why not exact: to cancel exactly the part of `r`'s total the reset saw, a replica
/// would have to keep either one entry per change (the size grows with every
/// increment, as it did in format version 1) or a record of each reset and what it
/// cancelled that outlives the key (it grows with every reset, and a removed key
/// could never be forgotten). Bounded size is the requirement, so the counter makes
/// the choice the literature makes.
///
/// # Several entries of one replica
///
/// The value is the sum of all live entries, and the entries of one replica add up.
/// A replica's own state holds one entry of its own, but there can be more: encodings
/// of format version 1 (one entry per change), or other peers' states in which the
/// replica's newer entry arrived before a reset removed its older one. When the
/// replica next writes, its new entry starts from the sum of all its entries here and
/// replaces them all, so the value moves by exactly the amount written.
///
/// Decoding never folds entries: two peers may hold different subsets of a replica's
/// old entries, and folding each subset under its highest dot would give one dot two
/// values, which the join cannot reconcile. Unfolded, the entries join exactly, and
/// a version 1 delta (one change under one dot) is just another entry that adds up,
/// so peers of both versions can exchange deltas as well as full states.
///
/// # Overflow
///
/// Totals are `u64`s and never wrap or saturate. If folding an entry into the new one
/// would overflow a total, that entry keeps its amount, under a new dot written with
/// the change, and the new entry holds the rest: a replica that passes `u64::MAX` in
/// total gets a second entry, not a lost write. Increments therefore cannot fail, and
/// the value, an `i128`, stays exact. Every write of a replica carries its whole total
/// forward (as a fold does), so a reset it has not seen cancels none of it, spilled
/// or not; and the writes of one change summed into one (see
/// [`coalesce`](crate::coalesce)) leave the same entries alive as the writes one by
/// one.
///
/// ```
/// use converge_core::{Lattice, ReplicaId};
/// use converge_ormap::Counter;
///
/// let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut here = Counter::new();
/// here.increment(a, 5);
/// here.increment(b, 3);
/// let mut there = here.clone();
///
/// // Concurrently: here resets, there A adds 2 (and B does nothing).
/// let reset = here.reset();
/// let more = there.increment(a, 2);
/// here.join(more);
/// there.join(reset);
///
/// // B's 3 is cancelled; A's new entry carries its whole total of 7.
/// assert_eq!(here, there);
/// assert_eq!(here.value(), 7);
/// ```
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
    /// no number of `u64` entries that fits in memory can overflow.
    pub fn value(&self) -> i128 {
        self.state
            .store
            .iter()
            .map(|(_, c)| i128::from(c.up) - i128::from(c.down))
            .sum()
    }

    /// Adds `by`; returns the delta (this replica's new entry, replacing its old).
    pub fn increment(&mut self, replica: ReplicaId, by: u64) -> Self {
        self.change(replica, Contribution { up: by, down: 0 })
    }

    /// Subtracts `by`; returns the delta (this replica's new entry, replacing its old).
    pub fn decrement(&mut self, replica: ReplicaId, by: u64) -> Self {
        self.change(replica, Contribution { up: 0, down: by })
    }

    /// Resets the counter to zero as observed here; returns the delta.
    pub fn reset(&mut self) -> Self {
        Counter {
            state: self.state.clear(),
        }
    }

    /// The live entries (one per replica normally), in dot order.
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (Dot, &Contribution)> + '_ {
        self.state.store.iter()
    }

    fn change(&mut self, replica: ReplicaId, change: Contribution) -> Self {
        let Causal { store, context } = &mut self.state;
        let (first, more) = {
            let mut mine = store.iter().filter(|(dot, _)| dot.replica == replica);
            (mine.next().map(|(d, c)| (d, *c)), mine.next().is_some())
        };
        // This replica's entries, smallest first, folded while the totals fit. At
        // most one (always, but for old or forged input) needs no list.
        let mut total = change;
        // The entries that cannot be folded: written again under new dots.
        let mut apart: Vec<(Dot, Contribution)> = Vec::new();
        let (replaced_one, replaced_more): (Option<Dot>, Vec<Dot>) = if more {
            let mut own: Vec<(Dot, Contribution)> = store
                .iter()
                .filter(|(dot, _)| dot.replica == replica)
                .map(|(dot, c)| (dot, *c))
                .collect();
            // The shared sort: no sorting code of its own in the wasm build.
            converge_core::sort_stable_by(&mut own, |(a, x), (b, y)| {
                (x.magnitude(), a).cmp(&(y.magnitude(), b))
            });
            let mut replaced = Vec::with_capacity(own.len());
            for (dot, c) in own {
                if let Some(sum) = total.checked_add(c) {
                    total = sum;
                    replaced.push(dot);
                } else {
                    apart.push((dot, c));
                }
            }
            (None, replaced)
        } else {
            let folded = first.and_then(|(old, c)| change.checked_add(c).map(|sum| (old, sum)));
            match folded {
                Some((_, sum)) => total = sum,
                None => apart.extend(first),
            }
            (folded.map(|(old, _)| old), Vec::new())
        };
        let replaced = replaced_one.into_iter().chain(replaced_more);
        for dot in replaced.clone() {
            store.remove(dot);
        }
        let dot = context.next_write(replica);
        store.insert(dot, total);
        let mut delta_store = DotFun::new();
        delta_store.insert(dot, total);
        let mut named: Vec<Dot> = replaced.chain([dot]).collect();
        for (old, c) in apart {
            store.remove(old);
            let again = context.next_write(replica);
            store.insert(again, c);
            delta_store.insert(again, c);
            named.extend([old, again]);
        }
        Counter {
            state: Causal::new(delta_store, CausalContext::from_dots(named)),
        }
    }
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("value", &self.value())
            .field("entries", &self.state.store)
            .finish()
    }
}

converge_core::causal_type!([] Counter, state: DotFun<Contribution>);

/// No concurrent writes to report: every write merges without a conflict.
impl converge_core::CountConflicts for Counter {}

#[cfg(test)]
mod tests {
    use super::*;
    use converge_core::Lattice;

    #[test]
    fn an_increment_replaces_only_its_own_entry() {
        let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
        let mut c = Counter::new();
        c.increment(a, 5);
        c.decrement(b, 1);
        let delta = c.increment(a, 2);
        assert_eq!(c.entries().len(), 2);
        assert_eq!(c.value(), 6);
        // The delta: A's new total, naming A's replaced entry, not B's.
        let entries: Vec<_> = delta.entries().map(|(d, c)| (d, *c)).collect();
        assert_eq!(entries, [(Dot::new(a, 2), Contribution { up: 7, down: 0 })]);
        let seen: Vec<Dot> = delta.state.context.dots().collect();
        assert_eq!(seen, [Dot::new(a, 1), Dot::new(a, 2)]);
    }

    #[test]
    fn a_replica_that_saw_the_reset_starts_from_zero() {
        let a = ReplicaId::new(1);
        let mut c = Counter::new();
        c.increment(a, 5);
        c.reset();
        c.increment(a, 2);
        assert_eq!(c.value(), 2);
        let mut other = Counter::new();
        other.join(c.clone());
        assert_eq!(other.value(), 2);
    }
}
