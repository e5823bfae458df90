//! The two traits every converge type implements: a lattice join, and the
//! delta-state contract built on it.

use std::fmt::Debug;

/// A join-semilattice: a set of states with a merge (`join`) that is
///
/// - **commutative**: `a ⊔ b = b ⊔ a`,
/// - **associative**: `(a ⊔ b) ⊔ c = a ⊔ (b ⊔ c)`,
/// - **idempotent**: `a ⊔ a = a`.
///
/// These three laws are what make replication safe: merging the same states in any
/// order, any grouping, any number of times gives the same result. `join` cannot fail;
/// untrusted bytes are validated when decoded, before they can reach it.
///
/// The laws are checked for every type by one shared property-test helper,
/// `converge_core::testing::check_history` (feature `testing`).
pub trait Lattice {
    /// Merges `other` into `self`: afterwards `self` is the least state that is at
    /// least both.
    fn join(&mut self, other: Self);
}

/// A delta-state CRDT: a [`Lattice`] whose mutators return a *delta*, a value of the
/// same type that holds just the change, so replicas can ship the delta instead of the
/// whole state.
///
/// Laws, on top of the lattice laws, for every mutation taking state `s` to `s'` with
/// delta `d`:
///
/// - **the delta is the mutation**: `s ⊔ d = s'`;
/// - **the delta is subsumed by the state that made it**: `s' ⊔ d = s'`;
/// - **delta exactness**: `d` speaks only for the writes it carries, so joining the
///   deltas of a history in any order, with duplicates, gives the same state as joining
///   the replicas' full states.
///
/// Any full state is also a valid delta, and `Default::default()` is the bottom: the
/// state of a replica that has seen nothing.
pub trait DeltaCrdt: Lattice + Default + Clone + PartialEq + Debug {
    /// Whether this is the bottom state (no writes seen): joining it changes nothing.
    fn is_bottom(&self) -> bool {
        *self == Self::default()
    }

    /// Whether joining `self` into `other` would change nothing (`self ⊑ other`).
    /// Replicas use it to tell a delta that brings news from a duplicate. The default
    /// joins a copy; types override it with something cheaper.
    fn is_subsumed_by(&self, other: &Self) -> bool {
        let mut joined = other.clone();
        // A trial join: it counts no dot value clashes (the real join will).
        crate::dot_value_clash::uncounted(|| joined.join(self.clone()));
        joined == *other
    }
}

/// Merging that reports how many concurrent writes it met: writes from the other
/// side that now stand beside a write of this side that neither had seen (register
/// siblings). An application charts it as a conflict rate.
///
/// Types without concurrent writes to report (counters, sets, flags) implement it
/// with an empty body: they count 0, and their [`join_counting`](Self::join_counting)
/// is a plain join that copies nothing. Types that meet concurrent writes set
/// [`MEETS_CONFLICTS`](Self::MEETS_CONFLICTS) and say how to count them in
/// [`conflicts_between`](Self::conflicts_between).
pub trait CountConflicts: Lattice + Clone {
    /// Whether a merge of this type can meet concurrent writes at all. `false` (the
    /// default) promises that [`conflicts_between`](Self::conflicts_between) is
    /// always 0, so [`join_counting`](Self::join_counting) need not keep the state
    /// from before the join.
    const MEETS_CONFLICTS: bool = false;

    /// The concurrent writes a merge met, judged from the state before and after it:
    /// for every register that changed and now holds `n > 1` live writes, `n - 1`.
    /// The default counts 0.
    fn conflicts_between(before: &Self, after: &Self) -> u64 {
        let _ = (before, after);
        0
    }

    /// Joins `other` and returns [`conflicts_between`](Self::conflicts_between) the
    /// state before and after (0 without a copy unless
    /// [`MEETS_CONFLICTS`](Self::MEETS_CONFLICTS)). Containers override it to copy
    /// only what `other` touches.
    fn join_counting(&mut self, other: Self) -> u64 {
        if !Self::MEETS_CONFLICTS {
            self.join(other);
            return 0;
        }
        let before = self.clone();
        self.join(other);
        Self::conflicts_between(&before, self)
    }
}

/// [`CountConflicts::conflicts_between`] for one register, given its live dots before
/// and after a merge.
pub fn register_conflicts<D: PartialEq>(before: &[D], after: &[D]) -> u64 {
    if after.len() > 1 && before != after {
        after.len() as u64 - 1
    } else {
        0
    }
}

/// A register's conflicts: the concurrent writes a merge left beside each other in its
/// [`DotFun`](crate::DotFun), the state of both converge registers (and of any
/// register built on `Causal<DotFun<V>>`).
impl<V: Clone + PartialEq + Debug + serde::Serialize> CountConflicts
    for crate::Causal<crate::DotFun<V>>
{
    const MEETS_CONFLICTS: bool = true;

    fn conflicts_between(before: &Self, after: &Self) -> u64 {
        let dots = |r: &Self| r.store.iter().map(|(d, _)| d).collect::<Vec<_>>();
        register_conflicts(&dots(before), &dots(after))
    }
}
