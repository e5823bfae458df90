//! The error type of converge-ormap.

use thiserror::Error;

/// What can go wrong changing an [`OrMap`](crate::OrMap) or a value in it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A counter's per-replica total would pass `u64::MAX`.
    #[error("changing a counter by {by} would take this replica's total past u64::MAX; the counter was left unchanged")]
    Overflow {
        /// The change asked for.
        by: u64,
    },
    /// A path leads through a key that holds no nested map.
    #[error("the path {path:?} does not lead to a map")]
    NotAMap {
        /// The path asked for.
        path: Vec<String>,
    },
}
