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
}
