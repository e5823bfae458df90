//! A counter that replicas both increment and decrement (PN-Counter), and that merges
//! without losing any change.
//!
//! Each replica keeps two grow-only totals of its own: what it has added and what it
//! has subtracted. The value is all additions minus all subtractions, and merging
//! takes each total's maximum, so a change counts once however often it arrives. An
//! increment or decrement returns a delta holding just the writer's new total.
//!
//! ```
//! use converge_pncounter::PnCounter;
//! use converge_core::{Codec, Lattice, ReplicaId};
//!
//! let (shop, warehouse) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut at_shop = PnCounter::new();
//! let mut at_warehouse = PnCounter::new();
//!
//! // Concurrently, the shop sells three items and the warehouse restocks ten,
//! // then sells one.
//! let sold = at_shop.decrement(shop, 3)?;
//! at_warehouse.increment(warehouse, 10)?;
//! at_warehouse.decrement(warehouse, 1)?;
//!
//! // The shop's delta reaches the warehouse; the warehouse's full state reaches the shop.
//! at_warehouse.join(sold);
//! at_shop.join(PnCounter::decode(&at_warehouse.encode()?)?);
//! assert_eq!(at_shop.value(), 6);
//! assert_eq!(at_shop, at_warehouse);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Overflow
//!
//! Each replica's two totals are `u64`s; an increment or decrement that would take its
//! total past `u64::MAX` fails with [`Error::Overflow`] and changes nothing (no silent
//! wrap, no panic). The value is an `i128`, which holds the difference of any sums of
//! `u64` totals a real input can hold (see [`PnCounter::value`]), so it can go below
//! zero and beyond the range of a `u64` either way.

#![deny(missing_docs)]
#![warn(unreachable_pub, missing_debug_implementations)]
#![forbid(unsafe_code)]

mod error;
mod pncounter;

pub use error::{Direction, Error};
pub use pncounter::PnCounter;
