//! An observed-remove map (OR-Map) whose values are CRDTs: counters, flags,
//! registers, sets and nested maps, merged key by key.
//!
//! [`OrMap<K, V>`](OrMap) is the typed map: every value is one embeddable CRDT type
//! `V`, and [`OrMap::update`] runs one of its mutators and returns the map delta.
//! [`Document`] (`OrMap<String, Node>`) is the dynamically typed, JSON-like map: a
//! [`Node`] holds a [`Counter`], a [`Flag`], an LWW or MV register of [`Value`]s, an
//! OR-Set of values or a nested document, and paths reach any depth.
//!
//! Semantics: a key is present while its value holds a live write. Removing a key
//! removes the writes observed under it, so an update concurrent with the remove
//! survives (update wins).
//!
//! A [`Counter`] keeps one entry per replica: that replica's running totals since it
//! last observed a reset, so its size follows the writers, not the increments. The
//! price: removing a counter's key cancels the totals of the replicas that did not
//! write concurrently with the removal, but a replica that did increment concurrently
//! keeps its whole total, earlier increments included (its increments win over the
//! concurrent reset). The [`Counter`] docs say why an exact reset cannot be bounded.
//!
//! ```
//! use converge_core::{Lattice, ReplicaId};
//! use converge_ormap::{Counter, Document};
//!
//! let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut at_a = Document::new();
//! at_a.update_at(&["cart", "apples"], |c: &mut Counter| c.increment(a, 2))?;
//! let mut at_b = at_a.clone();
//!
//! // Concurrently: A removes the whole cart, B adds one more apple.
//! let removal = at_a.remove_at(&["cart"])?;
//! let more = at_b.update_at(&["cart", "apples"], |c: &mut Counter| c.increment(b, 1))?;
//! at_a.join(more);
//! at_b.join(removal);
//!
//! // Update wins, and only B's apple remains: A's two, which A did not add to
//! // concurrently, were removed.
//! assert_eq!(at_a, at_b);
//! let apples = at_a.get_at(&["cart", "apples"]).and_then(|n| n.get::<Counter>());
//! assert_eq!(apples.map(Counter::value), Some(1));
//! # Ok::<(), converge_ormap::Error>(())
//! ```

#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod batch;
mod coalesce;
mod conflicts;
mod counter;
mod document;
mod error;
mod field_version;
mod flag;
mod guard;
mod leaf_delta;
mod merge_report;
mod node;
mod ormap;
mod plain;
mod policy;
mod policy_metrics;
mod scalar_fields;
mod value;
mod write_deltas;
mod written_paths;

pub use batch::Write;
pub use coalesce::{coalesce, coalesce_indexed};
pub use conflicts::{Conflict, FieldRead, Outcome, Sibling};
pub use counter::{Contribution, Counter};
pub use document::{MAX_PATH_LEN, MAX_VALUE_DEPTH};
pub use error::Error;
pub use field_version::FieldVersion;
pub use flag::Flag;
pub use guard::WriteGuard;
pub use leaf_delta::LeafDelta;
pub use merge_report::{FieldOutcome, FieldPath, MergeReport, Verdict};
pub use node::{Document, Kind, Node, NodeKind};
pub use ormap::{Key, OrMap};
pub use plain::PlainBuilder;
pub use policy::{Policies, Policy, Resolution, Resolver};
pub use policy_metrics::{PolicyCounts, PolicyMetrics, RuleKey, DEFAULT_PATTERN};
pub use value::Value;
pub use write_deltas::{WriteClass, WriteDeltas};
pub use written_paths::WrittenPaths;
