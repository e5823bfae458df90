//! A last-writer-wins register (LWW-Register) that loses no write silently: a single
//! value that replicas overwrite independently, where the latest write wins and
//! concurrent losers stay readable.
//!
//! A write replaces every write its replica has seen, whatever the clocks say; writes
//! made concurrently (neither saw the other) are ordered by their hybrid-logical-clock
//! timestamps, then by replica id, and the losers remain readable as
//! [`conflicts`](LwwRegister::conflicts) until a write that has seen them supersedes
//! them.
//!
//! ```
//! use converge_core::{Codec, Hlc, Lattice, ManualClock, ReplicaId};
//! use converge_lwwregister::{LwwRead, LwwRegister};
//!
//! let (phone, laptop) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut phone_clock = Hlc::new(ManualClock::new(1_000));
//! let mut laptop_clock = Hlc::new(ManualClock::new(1_040));
//! let mut on_phone = LwwRegister::new();
//! let mut on_laptop = LwwRegister::new();
//!
//! // Both set the status while offline; the laptop's write is 40 ms later.
//! let delta = on_phone.set(phone, &mut phone_clock, "away".to_string());
//! on_laptop.set(laptop, &mut laptop_clock, "busy".to_string());
//!
//! // The phone's delta reaches the laptop; the laptop's full state reaches the phone.
//! on_laptop.join(delta);
//! on_phone.join(LwwRegister::decode(&on_laptop.encode()?)?);
//! assert_eq!(on_phone, on_laptop);
//!
//! // The later write wins on both; the other is not lost, but kept as a conflict.
//! assert_eq!(on_phone.value().map(String::as_str), Some("busy"));
//! let conflicts: Vec<_> = on_phone.conflicts().iter().map(|w| w.value.as_str()).collect();
//! assert_eq!(conflicts, ["away"]);
//!
//! // 40 ms apart is within a 100 ms skew tolerance: flag the winner for review.
//! assert!(on_phone.read(100).is_ambiguous());
//! assert!(matches!(on_phone.read(10), LwwRead::Confident(w) if w.value == "busy"));
//!
//! // A write that has seen both supersedes them: no conflict any more.
//! let fix = on_phone.set(phone, &mut phone_clock, "away".to_string());
//! on_laptop.join(fix);
//! assert!(!on_laptop.is_conflicted());
//! assert_eq!(on_laptop.value().map(String::as_str), Some("away"));
//! # Ok::<(), converge_core::Error>(())
//! ```
//!
//! # Causality first, then clocks
//!
//! Each write is named by a [`Dot`](converge_core::Dot) and recorded in the replica's
//! causal context, exactly as in a multi-value register. A write replaces the writes
//! its replica had seen, so a write that causally follows another wins even if the
//! writer's clock is behind. Timestamps only order writes that were concurrent.
//!
//! Timestamps come from an [`Hlc`](converge_core::Hlc), and
//! [`LwwRegister::set`] makes the clock observe the register's latest timestamp before
//! it ticks. So if replica A writes at wall-clock 100 and replica B, whose clock reads
//! 90, merges that and then writes, B's write is stamped `(100, 1)`: after A's.
//!
//! # Ties
//!
//! Concurrent writes with equal timestamps are ordered by the writer's replica id (the
//! greater wins). The order is total, so every replica holding the same state picks
//! the same winner.
//!
//! # Clock skew
//!
//! Between concurrent writes from different machines, a timestamp difference smaller
//! than the skew between their clocks says little about which came last.
//! [`LwwRegister::read`] takes a tolerance, in milliseconds, and reports the winner as
//! [`LwwRead::Ambiguous`], with the close rivals, when a losing concurrent write is
//! closer to it than that; a tolerance of 0 never does. The tolerance is the
//! reader's policy, not replicated state: it changes neither the winner, nor equality,
//! nor the encoding.

#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod lwwregister;
mod read;
mod stamped;

pub use lwwregister::LwwRegister;
pub use read::{LwwRead, LwwWrite};
pub use stamped::Stamped;
