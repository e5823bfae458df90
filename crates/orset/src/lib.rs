//! An add-wins observed-remove set (OR-Set): a set that replicas add to and remove
//! from independently, where an add concurrent with a remove of the same element wins.
//!
//! Every add is a write with a fresh [`Dot`](converge_core::Dot); a remove removes the
//! dots it has observed for the element, and nothing else. So a concurrent add, whose
//! dot the remover never saw, survives, and removing an element never seen is a no-op.
//! Removed dots live on only in the causal context (a version vector, normally), so
//! the set keeps no tombstones.
//!
//! ```
//! use converge_orset::OrSet;
//! use converge_core::{Lattice, ReplicaId};
//!
//! let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut at_alice = OrSet::new();
//! at_alice.add(alice, "milk");
//! at_alice.add(alice, "eggs");
//! let mut at_bob = at_alice.clone();
//!
//! // Offline: Bob removes the milk, Alice adds it again and removes the eggs.
//! let bob_delta = at_bob.remove(&"milk");
//! let mut alice_delta = at_alice.add(alice, "milk");
//! alice_delta.join(at_alice.remove(&"eggs"));
//!
//! // They swap deltas: Alice's re-add wins over Bob's concurrent remove.
//! at_alice.join(bob_delta);
//! at_bob.join(alice_delta);
//! assert_eq!(at_alice, at_bob);
//! assert_eq!(at_alice.to_sorted_vec(), vec![&"milk"]);
//! ```
//!
//! # Encoding
//!
//! Elements are written grouped by the replica that added them, in dot order, each
//! with the gap to the previous counter (usually 1, one byte). So a set of elements
//! costs little more than the elements' own bytes, and a one-element add delta of a
//! 5-byte element is 23 bytes with the envelope.

#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod encoding;
mod orset;

pub use orset::{Element, OrSet};
