//! The error type of converge-sync.

use converge_core::ReplicaId;
use thiserror::Error;

/// Why a sync message (or token, or saved replica) was rejected. A rejected input
/// leaves the replica exactly as it was.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a valid message, token or saved replica.
    #[error(transparent)]
    Decode(#[from] converge_core::Error),
    /// The state (or a delta of it) could not be encoded: a value inside fails to
    /// serialize. Nothing was sent or saved, and the state is unchanged.
    #[error(transparent)]
    Encode(#[from] converge_core::EncodeError),
    /// The message claims to come from this replica's own id.
    #[error("a message claims to come from {0}, which is this replica's own id: two replicas share an id, or the message is forged; give every replica its own id")]
    OwnId(ReplicaId),
    /// An acknowledgement of a sequence number this replica never sent.
    #[error("{peer} acknowledges sequence number {seq}, but this replica has only reached {next}: the message is forged or corrupt")]
    AckBeyondSent {
        /// The acknowledging peer.
        peer: ReplicaId,
        /// The sequence number acknowledged.
        seq: u64,
        /// This replica's next sequence number.
        next: u64,
    },
    /// A delta interval whose end comes before its start.
    #[error(
        "a delta interval from {from} to {to} runs backwards: the message is forged or corrupt"
    )]
    BackwardsInterval {
        /// Start of the interval.
        from: u64,
        /// End of the interval.
        to: u64,
    },
    /// The platform gave no randomness for a session epoch.
    #[error("no random source for the replica's session epoch ({0})")]
    NoRandomSource(String),
}

impl Error {
    /// The stable code of this error (`ERR_…`), as JavaScript errors and dead letters
    /// carry it: a decoding or encoding error's own code, else `ERR_SYNC_REJECTED`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Decode(inner) => inner.code(),
            Error::Encode(inner) => inner.code(),
            Error::NoRandomSource(_) => "ERR_NO_RANDOM_SOURCE",
            _ => "ERR_SYNC_REJECTED",
        }
    }
}
