//! The error type of converge-ormap: why a document write was refused.

use converge_core::ReplicaId;
use thiserror::Error;

use crate::FieldVersion;

/// Why a document write was refused. A refused write changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
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
    #[error("{0:?} is not a field version (comma-separated replica.counter dots)")]
    InvalidVersion(String),
}
