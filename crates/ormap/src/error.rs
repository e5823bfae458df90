//! The error type of converge-ormap: why a document write was refused.

use converge_core::ReplicaId;
use thiserror::Error;

use crate::FieldVersion;

/// Why a document write was refused. Every error leaves the document unchanged and
/// makes no delta.
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
    /// A write by a replica that is not an authority of the field (its policy is
    /// [`Policy::Authority`](crate::Policy::Authority)), or of a field below the path.
    #[error("{writer} is not an authority of {}: only the replicas its authority policy names may write it", path.join("/"))]
    NotAuthority {
        /// The authority-owned field.
        path: Vec<String>,
        /// The writer refused.
        writer: ReplicaId,
    },
    /// A conditional write whose expected version is not the field's current one: the
    /// field moved on here since the caller read it. Read it again and retry.
    #[error("the field {} has moved on since it was read (its version is now {current:?}): read it again and decide anew", path.join("/"))]
    Stale {
        /// The field.
        path: Vec<String>,
        /// Its version now.
        current: FieldVersion,
    },
    /// Text that is not a field version's string form.
    #[error("\"{0}\" is not a field version (comma-separated replica.counter dots)")]
    InvalidVersion(String),
}

impl Error {
    /// The stable code of this error (`ERR_…`), as JavaScript errors and dead letters
    /// carry it.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotAuthority { .. } => "ERR_NOT_AUTHORITY",
            Error::Stale { .. } => "ERR_STALE",
            Error::ValueTooDeep { .. } => "ERR_TOO_DEEP",
            _ => "ERR_INVALID_ARGUMENT",
        }
    }

    /// The field a refused write named, for the refusals that name one.
    pub fn path(&self) -> Option<&[String]> {
        match self {
            Error::NotAuthority { path, .. } | Error::Stale { path, .. } => Some(path),
            _ => None,
        }
    }
}
