//! The error type of converge-gcounter.

use converge_core::ReplicaId;
use thiserror::Error;

/// What can go wrong changing a [`GCounter`](crate::GCounter).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The increment would take the replica's count past `u64::MAX`.
    #[error("incrementing {replica}'s count {count} by {by} would pass u64::MAX; the counter was left unchanged")]
    Overflow {
        /// The writing replica.
        replica: ReplicaId,
        /// Its count before the increment.
        count: u64,
        /// The increment asked for.
        by: u64,
    },
}

impl Error {
    /// The stable code of this error, as JavaScript errors carry it: `ERR_OVERFLOW`.
    pub fn code(&self) -> &'static str {
        "ERR_OVERFLOW"
    }
}
