//! The core of converge: the vocabulary every converge CRDT is built from.
//!
//! - [`ReplicaId`] names a replica; a [`Dot`] names one write of one replica.
//! - A [`VersionVector`] summarises what a replica has seen, and
//!   [`VersionVector::compare`] tells a stale write from a concurrent one.
//! - A [`CausalContext`] records every write seen (vector plus out-of-order dots), so
//!   removals need no tombstones.
//! - The dot stores [`DotSet`], [`DotFun`] and [`DotMap`], paired with a context in
//!   [`Causal`], are the shape of every causal type; their join, written once in
//!   [`DotStore`], is the join of the OR-Set, the registers and the OR-Map.
//! - [`Embeddable`] lets a causal type live inside a map as an [`Embedded`] value that
//!   shares the map's context.
//! - [`Hlc`] is a hybrid logical clock for last-writer-wins timestamps.
//! - [`Lattice`] and [`DeltaCrdt`] state the laws; [`Codec`] is the wire format.
//!
//! # Delta exactness
//!
//! A mutator returns a delta that carries exactly the dots it speaks for: the fresh
//! dot of a write, the observed dots of a remove. It never carries a compacted version
//! vector that claims dots it did not ship. So deltas may arrive out of order, twice,
//! or not at all (a later full state repairs that), and the state reached is the state
//! reached by joining full states.
//!
//! # Cost follows the change
//!
//! A [`DotMap`] knows where each of its dots lives, so its join visits only the keys
//! the other side carries or whose dots it has seen: applying a one-write delta costs
//! the same in a map of a thousand keys as in one of a million, at any depth of
//! nesting, and gives exactly the result of the textbook join that visits every key.
//! [`DotStore::touched_by`] gives the same locality to the "did this bring news" check
//! ([`DeltaCrdt::is_subsumed_by`]) and to conflict counting.
//!
//! # Example: an add-wins set from the core pieces
//!
//! The type crates wrap this shape behind a friendly API; here it is bare. Two
//! replicas add and remove the same element concurrently, and the add wins:
//!
//! ```
//! use converge_core::{Causal, DotMap, DotSet, DotStore, Lattice, ReplicaId};
//!
//! type Set = Causal<DotMap<&'static str, DotSet>>;
//! let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
//!
//! let mut alice = Set::default();
//! let Causal { store, context } = &mut alice;
//! let add = store.update(&"milk", |dots| dots.write(context, a));
//! let mut bob = alice.clone();
//!
//! // Bob removes the milk he has seen; Alice, concurrently, adds it again.
//! let Causal { store, .. } = &mut bob;
//! let removal = store.update(&"milk", |dots| dots.remove_all());
//! let Causal { store, context } = &mut alice;
//! let re_add = store.update(&"milk", |dots| dots.write(context, a));
//!
//! alice.join(bob.clone());
//! bob.join(alice.clone());
//! assert_eq!(alice, bob);
//! assert!(alice.store.contains_key(&"milk")); // add wins
//! # let _ = (add, removal, re_add);
//! ```

#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod causal;
mod causal_context;
mod dot;
mod dot_cloud;
mod dot_fun;
mod dot_index;
mod dot_map;
mod dot_set;
mod dot_store;
mod dot_value_clash;
mod embed;
mod encoding;
mod error;
mod hlc;
mod join_observer;
mod lattice;
mod msgpack_decoder;
mod msgpack_encoder;
mod packed_body;
mod replica_id;
mod small_map;
mod sort_order;
#[cfg(feature = "testing")]
pub mod testing;
mod version_vector;
mod writer_lineage;

pub use causal::Causal;
pub use causal_context::CausalContext;
pub use dot::Dot;
pub use dot_fun::DotFun;
pub use dot_map::{DotMap, SortedEntries};
pub use dot_set::DotSet;
pub use dot_store::DotStore;
pub use dot_value_clash::dot_value_clashes;
pub use embed::{Embeddable, Embedded};
pub use encoding::{
    append_packed, decode_body, decode_packed_body, encode_enveloped, encode_packed, open_envelope,
    unpack_body, Codec, TypeTag, MAGIC, MAX_DEPTH,
};
pub use error::{EncodeError, Error};
pub use hlc::{Clock, DefaultClock, Hlc, ManualClock, SystemClock, Timestamp};
pub use join_observer::JoinObserver;
pub use lattice::{register_conflicts, CountConflicts, DeltaCrdt, Lattice};
pub use replica_id::ReplicaId;
pub use sort_order::{sort_stable_by, stable_order};
pub use version_vector::{Causality, VersionVector};
