//! A grow-only counter (G-Counter): a count that replicas increment independently
//! and that merges without losing any increment.
//!
//! Each replica counts its own increments in its own entry; the value is the sum of
//! the entries, and merging takes each entry's maximum. An increment returns a delta
//! holding just the writer's new entry, a few bytes to ship.
//!
//! ```
//! use converge_gcounter::GCounter;
//! use converge_core::{Codec, Lattice, ReplicaId};
//!
//! let (phone, laptop) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut on_phone = GCounter::new();
//! let mut on_laptop = GCounter::new();
//!
//! // Both count page views while offline.
//! let delta = on_phone.increment(phone, 3)?;
//! on_laptop.increment(laptop, 2)?;
//!
//! // The phone's delta reaches the laptop; the laptop's full state reaches the phone.
//! on_laptop.join(delta);
//! on_phone.join(GCounter::decode(&on_laptop.encode()?)?);
//! assert_eq!(on_phone.value(), 5);
//! assert_eq!(on_phone, on_laptop);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Overflow
//!
//! Each replica's entry is a `u64`; an increment that would take it past `u64::MAX`
//! fails with [`Error::Overflow`] and changes nothing (no silent wrap, no panic). The
//! value is a `u128` sum, which no number of `u64` entries a real input can hold
//! overflows.

#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod error;
mod gcounter;

pub use error::Error;
pub use gcounter::GCounter;
