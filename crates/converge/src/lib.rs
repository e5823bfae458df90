//! converge merges state written on several replicas so that every replica that has
//! seen the same writes holds the same state, and writes that really were concurrent
//! are reported instead of silently lost.
//!
//! This crate is the one dependency to take: it re-exports the core vocabulary and
//! every type at the top level, and each underlying crate as a module
//! ([`converge_core`], [`gcounter`], [`pncounter`], [`orset`], [`lwwregister`],
//! [`mvregister`], [`ormap`], [`sync`]) for the rest. What follows is a tour, one idea per section.
//!
//! # Replicas and deltas
//!
//! Each replica has a [`ReplicaId`] and its own copy of the state. A mutator changes
//! the local copy and returns a *delta*: a small value of the same type holding just
//! the change. Ship it to the other replicas, which [`join`](Lattice::join) it. Joining
//! is commutative, associative and idempotent, so deltas may arrive late, out of
//! order or twice; and any full state is a valid delta too.
//!
//! ```
//! use converge::{GCounter, Lattice, ReplicaId};
//!
//! let (phone, laptop) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut on_phone = GCounter::new();
//! let mut on_laptop = GCounter::new();
//!
//! // Each counts page views while offline; the phone keeps the delta it made.
//! let delta = on_phone.increment(phone, 3)?;
//! on_laptop.increment(laptop, 2)?;
//!
//! // The delta reaches the laptop twice: the duplicate changes nothing.
//! on_laptop.join(delta.clone());
//! on_laptop.join(delta);
//! assert_eq!(on_laptop.value(), 5);
//!
//! // The other way, the laptop sends its whole state: also fine.
//! on_phone.join(on_laptop.clone());
//! assert_eq!(on_phone, on_laptop);
//! # Ok::<(), converge::GCounterError>(())
//! ```
//!
//! # Stale or concurrent?
//!
//! A [`VersionVector`] summarises which writes a replica has seen, and
//! [`VersionVector::compare`] says how two histories relate: [`Causality::Before`]
//! means "stale, it will catch up", [`Causality::Concurrent`] means each side has
//! writes the other has not, which is when conflicts can arise.
//!
//! ```
//! use converge::{Causality, Lattice, MvRegister, ReplicaId};
//!
//! let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut at_a = MvRegister::new();
//! at_a.write(a, "draft");
//! let mut at_b = at_a.clone();
//! assert_eq!(at_a.version().compare(at_b.version()), Causality::Equal);
//!
//! at_a.write(a, "final");
//! assert_eq!(at_b.version().compare(at_a.version()), Causality::Before); // b is stale
//!
//! at_b.write(b, "other");
//! assert_eq!(at_b.version().compare(at_a.version()), Causality::Concurrent);
//!
//! at_a.join(at_b.clone());
//! assert_eq!(at_a.version().compare(at_b.version()), Causality::After);
//! ```
//!
//! # Sets
//!
//! An [`OrSet`] is add-wins: a remove takes away only the adds it has observed, so an
//! add made concurrently elsewhere survives. It keeps no tombstones.
//!
//! ```
//! use converge::{Lattice, OrSet, ReplicaId};
//!
//! let (alice, bob) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut at_alice = OrSet::new();
//! at_alice.add(alice, "milk");
//! let mut at_bob = at_alice.clone();
//!
//! // Offline: Bob removes the milk while Alice adds it again.
//! let removal = at_bob.remove(&"milk");
//! let re_add = at_alice.add(alice, "milk");
//!
//! at_alice.join(removal);
//! at_bob.join(re_add);
//! assert_eq!(at_alice, at_bob);
//! assert!(at_bob.contains(&"milk")); // the add wins
//! ```
//!
//! # Registers and conflicts
//!
//! An [`LwwRegister`] holds one value, stamped by a hybrid logical clock ([`Hlc`]). A
//! write that has seen another replaces it, whatever the clocks say; between
//! concurrent writes the later timestamp wins, and the losers stay readable as
//! [`conflicts`](LwwRegister::conflicts). Because clocks drift,
//! [`read`](LwwRegister::read) takes a skew tolerance and calls a winner that beat a
//! rival by less than it [`LwwRead::Ambiguous`].
//!
//! ```
//! use converge::{Hlc, Lattice, LwwRead, LwwRegister, ManualClock, ReplicaId};
//!
//! let (phone, laptop) = (ReplicaId::new(1), ReplicaId::new(2));
//! // Deterministic clocks for the example; real apps use `Hlc::default()`, which
//! // reads the host's wall clock on every target (`Date.now()` in wasm).
//! let mut phone_clock = Hlc::new(ManualClock::new(10_000));
//! let mut laptop_clock = Hlc::new(ManualClock::new(11_500));
//!
//! let mut on_phone = LwwRegister::new();
//! let mut on_laptop = LwwRegister::new();
//! let delta = on_phone.set(phone, &mut phone_clock, "confirmed");
//! on_laptop.set(laptop, &mut laptop_clock, "released");
//! on_laptop.join(delta);
//!
//! // The later timestamp wins; the other write is kept, with its writer.
//! assert_eq!(on_laptop.value(), Some(&"released"));
//! let losers = on_laptop.conflicts();
//! assert_eq!((losers[0].writer(), *losers[0].value), (phone, "confirmed"));
//!
//! // 1.5 s apart: a confident winner under a 1 s tolerance, ambiguous under 5 s.
//! assert!(matches!(on_laptop.read(1_000), LwwRead::Confident(w) if w.writer() == laptop));
//! assert!(on_laptop.read(5_000).is_ambiguous());
//! ```
//!
//! An [`MvRegister`] picks no winner: concurrent writes are all kept as siblings until
//! a write that has seen them replaces them.
//!
//! ```
//! use converge::{Lattice, MvRegister, ReplicaId};
//!
//! let (phone, laptop) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut on_phone = MvRegister::new();
//! let mut on_laptop = MvRegister::new();
//! let delta = on_phone.write(phone, "window seat");
//! on_laptop.write(laptop, "aisle seat");
//! on_laptop.join(delta);
//!
//! let siblings: Vec<_> = on_laptop.siblings().map(|(dot, v)| (dot.replica, *v)).collect();
//! assert_eq!(siblings, [(phone, "window seat"), (laptop, "aisle seat")]);
//!
//! // Writing a choice, having seen both, resolves the conflict everywhere.
//! let choice = on_laptop.write(laptop, "aisle seat");
//! on_phone.join(choice);
//! assert_eq!(on_phone.values().collect::<Vec<_>>(), [&"aisle seat"]);
//! ```
//!
//! # Documents
//!
//! A [`Document`] is a JSON-like map whose values are CRDTs ([`Node`]s): a
//! [`Counter`], a [`Flag`], an LWW or MV register of [`Value`]s, an [`OrSet`] of
//! values, or a nested document. [`Document::update_at`] runs one mutator at a path
//! (creating the maps along it) and returns a delta of just that change, or refuses a
//! path or value too deep for every replica to decode ([`OrMapError`]). Removing a
//! key removes what the remover had observed under it; an update made concurrently
//! survives (update wins). A [`Counter`] keeps one entry per replica, its running
//! total, so its size follows the writers, not the increments; a replica that
//! increments concurrently with a removal therefore keeps its whole total, earlier
//! increments included (see [`Counter`] for why an exact reset cannot be bounded).
//!
//! ```
//! use converge::{Counter, Document, Hlc, Lattice, LwwRegister, ManualClock};
//! use converge::{ReplicaId, Value};
//!
//! let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut clock = Hlc::new(ManualClock::new(1_000));
//! let mut at_a = Document::new();
//! at_a.update_at(&["holds", "h1", "status"], |r: &mut LwwRegister<Value>| {
//!     r.set(a, &mut clock, "held".into())
//! })?;
//! at_a.update_at(&["holds", "h1", "seats"], |c: &mut Counter| c.increment(a, 2))?;
//! let mut at_b = at_a.clone();
//!
//! // Concurrently: A removes the hold, B adds a seat to it.
//! let removal = at_a.remove_at(&["holds", "h1"])?;
//! let more = at_b.update_at(&["holds", "h1", "seats"], |c: &mut Counter| c.increment(b, 1))?;
//! at_a.join(more);
//! at_b.join(removal);
//! assert_eq!(at_a, at_b);
//!
//! // The hold survives with B's unseen seat; what A had observed is gone.
//! let seats = at_a.get_at(&["holds", "h1", "seats"]).and_then(|n| n.get::<Counter>());
//! assert_eq!(seats.map(Counter::value), Some(1));
//! assert!(at_a.get_at(&["holds", "h1", "status"]).is_none());
//! # Ok::<(), converge::OrMapError>(())
//! ```
//!
//! Fields of a document can hold concurrent writes.
//! [`join_reporting`](Document::join_reporting) merges like `join` and reports the
//! fields it changed, the concurrent writes it met (for a conflict-rate metric) and
//! what the policies made of them, and
//! [`conflicts`](Document::conflicts) lists the fields a person should look at, read
//! under per-path [`Policies`]: last writer wins with a skew tolerance, keep siblings,
//! a custom [`Resolver`], or named authorities. Policies act at read time and never
//! change the state.
//!
//! ```
//! use converge::{Document, FieldPath, Hlc, LwwRegister, ManualClock, Outcome, Policies};
//! use converge::{Policy, ReplicaId, Value};
//!
//! let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut clock_a = Hlc::new(ManualClock::new(10_000));
//! let mut clock_b = Hlc::new(ManualClock::new(10_800));
//! let status = ["holds", "h1", "status"];
//! let (mut at_a, mut at_b) = (Document::new(), Document::new());
//! let delta = at_a.update_at(&status, |r: &mut LwwRegister<Value>| {
//!     r.set(a, &mut clock_a, "confirmed".into())
//! })?;
//! at_b.update_at(&status, |r: &mut LwwRegister<Value>| {
//!     r.set(b, &mut clock_b, "released".into())
//! })?;
//! // 0.8 s apart: within a 5 s tolerance, so the later write wins, but ambiguously.
//! let mut policies = Policies::new();
//! policies.set(&["holds", "*", "status"], Policy::LastWriterWins { skew_tolerance_ms: 5_000 });
//! let report = at_b.join_reporting(delta, &policies);
//! assert_eq!(report.concurrent_writes, 1);
//! assert_eq!(report.changed, [FieldPath::from(status.map(String::from))]);
//! let conflicts = at_b.conflicts(&policies);
//! assert_eq!(conflicts[0].path, status);
//! assert_eq!(conflicts[0].read.outcome, Outcome::Ambiguous);
//! assert_eq!(conflicts[0].read.value, Some("released".into()));
//! # Ok::<(), converge::OrMapError>(())
//! ```
//!
//! # Syncing replicas
//!
//! A [`Replica`] wraps any of these types and speaks a byte protocol with its peers:
//! [`Replica::update`] buffers each local write's delta, [`Replica::message_for`]
//! sends a peer what it has not acknowledged, and [`Replica::receive`] applies a
//! message and returns the reply. Lost, duplicated and reordered messages are fine.
//!
//! ```
//! use converge::{GCounter, Replica, ReplicaId};
//!
//! let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut here = Replica::new(a, GCounter::new())?;
//! let mut there = Replica::new(b, GCounter::new())?;
//! // The closure gets the id to write under (`here.writer()`: fresh after a restore).
//! here.update(|c, writer| c.increment(writer, 3).expect("no overflow"));
//! let message = here.message_for(b)?.expect("there lacks the increment");
//! let _lost_ack = there.receive(&message)?;
//! // The ack was lost: `here` sends again, and the duplicate changes nothing.
//! let again = here.message_for(b)?.expect("still unacknowledged");
//! let ack = there.receive(&again)?.expect("an acknowledgement");
//! here.receive(&ack)?;
//! assert_eq!(there.state().value(), 3);
//! assert_eq!(here.message_for(b)?, None);
//! # Ok::<(), converge::SyncError>(())
//! ```
//!
//! # Bytes on the wire
//!
//! Every type is a [`Codec`]: [`encode`](Codec::encode) gives compact bytes in a
//! small envelope (magic byte, type tag, format version), and equal states give equal
//! bytes, so comparing bytes (or their hashes) compares replicas.
//! [`decode`](Codec::decode) validates untrusted input and returns a [`DecodeError`]
//! that says what was wrong; it never panics.
//!
//! ```
//! use converge::{Codec, DecodeError, GCounter, OrSet, ReplicaId};
//!
//! let mut tags = OrSet::new();
//! let delta = tags.add(ReplicaId::new(1), "vip".to_string());
//! let bytes = delta.encode()?;
//!
//! let received: OrSet<String> = OrSet::decode(&bytes)?;
//! assert_eq!(received, tags);
//! assert_eq!(received.encode()?, tags.encode()?);
//!
//! // Garbage, truncation and type mix-ups are errors with a reason.
//! let not_ours = OrSet::<String>::decode(b"hello");
//! assert!(matches!(not_ours, Err(DecodeError::NotConverge { found: b'h' })));
//! let truncated = OrSet::<String>::decode(&bytes[..bytes.len() - 1]);
//! assert!(matches!(truncated, Err(DecodeError::Malformed { .. })));
//! let wrong_type = GCounter::decode(&bytes);
//! assert!(matches!(wrong_type, Err(DecodeError::WrongType { expected: "GCounter", .. })));
//! # Ok::<(), DecodeError>(())
//! ```
//!
//! For a longer story, two devices editing a booking board offline, run
//! `cargo run --release -p converge --example offline_demo`.

#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

/// The core vocabulary: ids, dots, version vectors, causal contexts, dot stores, the
/// hybrid logical clock, the traits and the wire envelope.
pub use converge_core;
/// The grow-only counter.
pub use converge_gcounter as gcounter;
/// The last-writer-wins register.
pub use converge_lwwregister as lwwregister;
/// The multi-value register.
pub use converge_mvregister as mvregister;
/// The observed-remove map and the dynamically typed document.
pub use converge_ormap as ormap;
/// The add-wins observed-remove set.
pub use converge_orset as orset;
/// The increment-and-decrement counter.
pub use converge_pncounter as pncounter;
/// converge-sync: delta-interval anti-entropy between replicas.
pub use converge_sync as sync;

/// Why a value could not be encoded (an element's `Serialize` failed):
/// `converge_core::EncodeError`.
pub use converge_core::EncodeError;
/// What went wrong in converge-core (`converge_core::Error`): decoding bytes, parsing
/// a replica id, drawing a random one ([`ReplicaId::random`] fails with
/// `CoreError::NoRandomSource` where the platform has no random source), or encoding.
pub use converge_core::Error as CoreError;
/// Why bytes could not be decoded: [`CoreError`] under the name decoding code reads
/// best with (the same type).
pub use converge_core::Error as DecodeError;
pub use converge_core::{
    CausalContext, Causality, Clock, Codec, CountConflicts, DeltaCrdt, Dot, Hlc, Lattice,
    ManualClock, ReplicaId, SystemClock, Timestamp, VersionVector,
};

/// Why a G-Counter increment failed: `converge_gcounter::Error`.
pub use converge_gcounter::Error as GCounterError;
pub use converge_gcounter::GCounter;

/// Why a PN-Counter change failed: `converge_pncounter::Error`.
pub use converge_pncounter::Error as PnCounterError;
pub use converge_pncounter::PnCounter;

pub use converge_orset::OrSet;

pub use converge_lwwregister::{LwwRead, LwwRegister, LwwWrite};

pub use converge_mvregister::MvRegister;

/// What can go wrong changing a document: a path or value too deep to decode, or a
/// write refused by a write-time policy (`converge_ormap::Error`).
pub use converge_ormap::Error as OrMapError;
// How a document reports concurrent writes: conflicts, reads, merge reports.
pub use converge_ormap::{Conflict, FieldRead, MergeReport, Outcome, Sibling};
pub use converge_ormap::{
    Counter, Document, Flag, Kind, Node, NodeKind, OrMap, PlainBuilder, Value,
};
pub use converge_ormap::{
    FieldOutcome, FieldPath, FieldVersion, PolicyCounts, PolicyMetrics, RuleKey, Verdict,
    WriteGuard,
};
pub use converge_ormap::{Policies, Policy, Resolution, Resolver, MAX_PATH_LEN, MAX_VALUE_DEPTH};

pub use converge_sync::Error as SyncError;
pub use converge_sync::{Config as SyncConfig, Metrics, PeerStatus, Replica, SyncToken};
pub use converge_sync::{DeadLetter, DeadLetterKind, DeadLetters};

/// The README's examples, compiled and run as doctests so the README stays true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
