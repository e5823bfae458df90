//! A multi-value register (MV-Register): a single value that replicas overwrite
//! independently, where concurrent writes are all kept, as siblings, instead of one
//! being dropped.
//!
//! A write replaces every value its replica has seen; a write made concurrently
//! elsewhere, unseen, survives the merge as a sibling of it. Reading gives every
//! sibling, and a later write by a replica that has seen them all replaces them with
//! one value again.
//!
//! ```
//! use converge_core::{Codec, Lattice, ReplicaId};
//! use converge_mvregister::MvRegister;
//!
//! let (phone, laptop) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut on_phone = MvRegister::new();
//! let mut on_laptop = MvRegister::new();
//!
//! // Both rename the document while offline.
//! let delta = on_phone.write(phone, "Plans".to_string());
//! on_laptop.write(laptop, "Roadmap".to_string());
//!
//! // The phone's delta reaches the laptop; the laptop's full state reaches the phone.
//! on_laptop.join(delta);
//! on_phone.join(MvRegister::decode(&on_laptop.encode()?)?);
//! assert_eq!(on_phone, on_laptop);
//!
//! // Neither title was lost: both are siblings, in the same order on both replicas.
//! assert!(on_phone.is_conflicted());
//! assert_eq!(on_phone.values().collect::<Vec<_>>(), ["Plans", "Roadmap"]);
//!
//! // The user picks one; writing it replaces both siblings everywhere.
//! let fix = on_laptop.write(laptop, "Roadmap".to_string());
//! on_phone.join(fix);
//! assert!(!on_phone.is_conflicted());
//! assert_eq!(on_phone.values().collect::<Vec<_>>(), ["Roadmap"]);
//! # Ok::<(), converge_core::Error>(())
//! ```
//!
//! # Resolving at read time
//!
//! [`MvRegister::resolve`] takes a resolver the application supplies and returns the
//! value it picks among the siblings, without changing the state. The siblings come
//! in dot order (writer's replica id, then its write counter), so every replica
//! holding the same state resolves to the same value, and merging stays a plain
//! lattice join. Writing the resolved value makes the choice permanent.
//!
//! # Causality, not clocks
//!
//! Whether one write replaces another depends only on what the writer had seen (the
//! dots in its causal context), never on wall-clock time, so a replica with a wrong
//! clock cannot hide anyone's write. [`MvRegister::version`] exposes the version
//! vector for comparing replicas. For a register that picks one winner by timestamp,
//! see converge-lwwregister.

#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod mvregister;

pub use mvregister::MvRegister;
