//! Sync for converge CRDTs: delta-interval anti-entropy between replicas over any
//! transport that carries bytes (WebSocket, BroadcastChannel, HTTP, a queue).
//!
//! A [`Replica`] owns a CRDT state. Local writes go through
//! [`Replica::update`], which hands the mutator the id to write under and buffers
//! each delta under a sequence number. For each
//! peer, [`Replica::message_for`] sends the join of the deltas it has not acknowledged
//! (or the full state when it is new or too far behind), and [`Replica::receive`]
//! applies a peer's message and returns the acknowledgement to send back. Messages may
//! be lost, duplicated or reordered: everything is idempotent, and deltas are exact,
//! so no causal delivery is needed. A [`SyncToken`] lets a client resume after a
//! restart without a full transfer.
//!
//! ```
//! use converge_core::ReplicaId;
//! use converge_orset::OrSet;
//! use converge_sync::Replica;
//!
//! let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut alice = Replica::new(a, OrSet::new())?;
//! let mut bob = Replica::new(b, OrSet::new())?;
//!
//! // The closure gets the id to write under (`writer()`: fresh after a restore).
//! alice.update(|set, writer| set.add(writer, "milk".to_string()));
//! bob.update(|set, writer| set.add(writer, "eggs".to_string()));
//!
//! // One round each way; the first message to a new peer is the full state.
//! let to_bob = alice.message_for(b)?.expect("bob lacks alice's write");
//! let ack = bob.receive(&to_bob)?.expect("bob acknowledges");
//! alice.receive(&ack)?;
//! let to_alice = bob.message_for(a)?.expect("alice lacks bob's writes");
//! let ack = alice.receive(&to_alice)?.expect("alice acknowledges");
//! bob.receive(&ack)?;
//!
//! assert_eq!(alice.state(), bob.state());
//! // Later writes travel as small delta intervals.
//! alice.update(|set, writer| set.add(writer, "tea".to_string()));
//! let delta = alice.message_for(b)?.expect("bob lacks the tea");
//! assert!(delta.len() < 40);
//! bob.receive(&delta)?;
//! assert!(bob.state().contains(&"tea".to_string()));
//! # Ok::<(), converge_sync::Error>(())
//! ```
//!
//! # Protocol
//!
//! ```text
//!  A                                              B
//!  | update(w1), update(w2)  buffer: 0:w1 1:w2    |
//!  |---- Full{to: 2, state} (B is new) ---------->|  join, B holds A's 0..2
//!  |<--- Ack{A's epoch, to: 2} -------------------|
//!  | buffer drops 0..2 (every peer acked)         |
//!  | update(w3)               buffer: 2:w3        |
//!  |---- Delta{from: 2, to: 3, w3} ----X (lost)   |
//!  |---- Delta{from: 2, to: 3, w3} -------------->|  join, B holds A's 0..3
//!  |<--- Ack{A's epoch, to: 3} -------------------|
//!  |                                              |  B restarts from saved bytes
//!  |<--- Hello{A's epoch, to: 3} (sync token) ----|
//!  |---- nothing new, or Delta{from: 3, ...} ---->|
//! ```
//!
//! Each replica has a session id (epoch), new on every start or restore; sequence
//! numbers belong to a session, so a restarted replica's peers never mistake its new
//! deltas for old ones. A delta that arrives after a gap is still joined (safe in any
//! order), but the receiver answers with a hello so the sender resends from what it
//! holds. Received deltas that bring news are buffered too, so replicas relay writes
//! between peers that never talk directly.

#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod config;
mod dead_letters;
mod document_replica;
mod durable_writer;
mod error;
mod inspect;
mod message;
mod metrics;
mod peer;
mod replica;
mod saved;
#[cfg(feature = "testing")]
pub mod testing;
mod token;

pub use config::Config;
pub use dead_letters::{DeadLetter, DeadLetterKind, DeadLetters, DEFAULT_DEAD_LETTER_CAPACITY};
pub use durable_writer::SaveMark;
pub use error::Error;
pub use inspect::{MessageHead, MessageKind};
pub use metrics::{Metrics, PeerStatus};
pub use replica::Replica;
pub use token::SyncToken;
