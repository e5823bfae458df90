//! The error type of converge-ormap.

use thiserror::Error;

/// What can go wrong changing a [`Document`](crate::Document).
///
/// Every error leaves the document unchanged and makes no delta.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A write or remove named a path longer than [`MAX_PATH_LEN`](crate::MAX_PATH_LEN)
    /// keys: its states would nest too deep for any replica to decode.
    #[error("a path has {len} keys, more than the {max} a document allows (deeper documents could not be decoded); the document was left unchanged")]
    PathTooLong {
        /// The keys in the path given.
        len: usize,
        /// The most a path may have.
        max: usize,
    },
    /// A write put a [`Value`](crate::Value) nested deeper than
    /// [`MAX_VALUE_DEPTH`](crate::MAX_VALUE_DEPTH) levels into a document: its states
    /// would nest too deep for every replica to decode.
    #[error("a value nests {depth} levels deep, more than the {max} a document allows (deeper values could not be decoded everywhere); the document was left unchanged")]
    ValueTooDeep {
        /// How deep the value nests (a scalar is 0, `[1]` is 1).
        depth: usize,
        /// The deepest a value may nest.
        max: usize,
    },
}
