//! The error type of converge-pncounter.

use std::fmt;

use converge_core::ReplicaId;
use thiserror::Error;

/// What can go wrong changing a [`PnCounter`](crate::PnCounter).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The change would take the replica's total of increments (or of decrements)
    /// past `u64::MAX`.
    #[error("{}ing {replica} by {by} would take its total of {direction}s, {total}, past u64::MAX; the counter was left unchanged", .direction)]
    Overflow {
        /// The writing replica.
        replica: ReplicaId,
        /// Whether it was incrementing or decrementing.
        direction: Direction,
        /// The replica's total of increments (or decrements) before the change.
        total: u64,
        /// The amount asked for.
        by: u64,
    },
}

/// Which of a [`PnCounter`](crate::PnCounter)'s two totals a change adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Counting up: the replica's total of increments grows.
    Increment,
    /// Counting down: the replica's total of decrements grows.
    Decrement,
}

/// `increment` or `decrement`.
impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Increment => "increment",
            Direction::Decrement => "decrement",
        })
    }
}

impl Error {
    /// The stable code of this error, as JavaScript errors carry it: `ERR_OVERFLOW`.
    pub fn code(&self) -> &'static str {
        "ERR_OVERFLOW"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_message_names_the_direction() {
        let e = Error::Overflow {
            replica: ReplicaId::new(1),
            direction: Direction::Decrement,
            total: u64::MAX,
            by: 1,
        };
        assert_eq!(
            e.to_string(),
            "decrementing 0000000000000001 by 1 would take its total of decrements, \
             18446744073709551615, past u64::MAX; the counter was left unchanged"
        );
    }
}
