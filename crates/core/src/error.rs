//! The one error type of converge-core: what went wrong decoding bytes, parsing a
//! replica id, drawing a random one, or encoding a value; and the encoding failure on
//! its own, for what only encodes.

use thiserror::Error;

/// What went wrong in converge-core: bytes that are not a valid converge value (most
/// variants), a replica id string that is not one ([`Error::InvalidReplicaId`]), a
/// platform with no random source for [`ReplicaId::random`](crate::ReplicaId::random)
/// ([`Error::NoRandomSource`]), or a value that could not be encoded.
///
/// Every variant names what was wrong and, where there is one, what to do about it.
/// A decoding error never leaves partial state behind: decoding builds a new value
/// and hands it over only when all of it was valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A value could not be encoded (see [`EncodeError`]).
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Fewer bytes than the 3-byte envelope.
    #[error("input is {len} bytes, too short for a converge encoding (at least 3): it was truncated or is not converge data")]
    TooShort {
        /// Length of the input.
        len: usize,
    },
    /// The first byte is not converge's magic byte.
    #[error("first byte is 0x{found:02x}, not converge's magic byte 0xc1: these bytes are not a converge encoding")]
    NotConverge {
        /// The first byte of the input.
        found: u8,
    },
    /// The bytes encode another type than the one asked for.
    #[error("the bytes encode {found}, not {expected}: decode them with the matching type")]
    WrongType {
        /// The type decoding was asked for.
        expected: &'static str,
        /// The type named by the envelope.
        found: String,
    },
    /// The bytes use a format version this build does not know.
    #[error("the bytes use {type_name} format version {found}, but this build reads versions up to {supported}: upgrade converge")]
    UnsupportedVersion {
        /// The type named by the envelope.
        type_name: &'static str,
        /// The version found.
        found: u8,
        /// The newest version this build reads.
        supported: u8,
    },
    /// Values nested deeper than the decoder allows.
    #[error("input nests deeper than {limit} levels; converge refuses it to protect the stack")]
    TooDeep {
        /// The nesting limit.
        limit: usize,
    },
    /// The MessagePack body is invalid, truncated, or does not describe a valid state.
    #[error("malformed {type_name}: {reason}")]
    Malformed {
        /// The type being decoded.
        type_name: &'static str,
        /// What the decoder found wrong.
        reason: String,
    },
    /// Bytes left over after a complete value.
    #[error("{count} unexpected bytes after a complete {type_name}: the input was concatenated or corrupted")]
    TrailingBytes {
        /// The type decoded.
        type_name: &'static str,
        /// How many bytes were left.
        count: usize,
    },
    /// A replica id string is not 1 to 16 hex digits.
    #[error("\"{0}\" is not a replica id: expected 1 to 16 hexadecimal digits")]
    InvalidReplicaId(String),
    /// The platform gave no random bytes for [`ReplicaId::random`](crate::ReplicaId::random).
    #[error("no random source for a replica id ({0}); choose one with ReplicaId::new")]
    NoRandomSource(String),
}

/// Why a value could not be encoded: an element's `Serialize` failed, for example a
/// `PathBuf` that is not UTF-8. converge's own types always encode; this comes from
/// the elements, keys and values an application puts in them.
///
/// [`Codec::encode`](crate::Codec::encode) returns it, so what can only fail to encode
/// says so in its type; it converts into [`Error::Encode`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot encode a {type_name}: {reason}; store only values whose Serialize succeeds (for paths, valid UTF-8)")]
pub struct EncodeError {
    /// The type being encoded.
    pub type_name: &'static str,
    /// What the serializer reported.
    pub reason: String,
}

impl Error {
    /// The stable code of this error (`ERR_…`), as JavaScript errors and dead letters
    /// carry it: one name per way to fail that an application may handle apart.
    pub fn code(&self) -> &'static str {
        match self {
            Error::WrongType { .. } => "ERR_WRONG_TYPE",
            Error::UnsupportedVersion { .. } => "ERR_UNSUPPORTED_VERSION",
            Error::TooDeep { .. } => "ERR_TOO_DEEP",
            Error::InvalidReplicaId(_) => "ERR_INVALID_REPLICA_ID",
            Error::NoRandomSource(_) => "ERR_NO_RANDOM_SOURCE",
            Error::Encode(inner) => inner.code(),
            _ => "ERR_DECODE",
        }
    }
}

impl EncodeError {
    /// The stable code of this error: `ERR_ENCODE`.
    pub fn code(&self) -> &'static str {
        "ERR_ENCODE"
    }
}
