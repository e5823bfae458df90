//! `ReplicaId`: the 64-bit name of one replica (one writer).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The identity of one replica: every write it makes is named by a [`Dot`](crate::Dot)
/// carrying this id.
///
/// Two replicas must never share an id, or their writes become indistinguishable.
/// [`ReplicaId::random`] draws 64 random bits, which makes a collision vanishingly
/// unlikely; [`ReplicaId::new`] is for applications that assign ids themselves.
///
/// ```
/// use converge_core::ReplicaId;
/// let id = ReplicaId::new(42);
/// assert_eq!(id.get(), 42);
/// assert_eq!(id.to_string(), "000000000000002a");
/// assert_eq!("000000000000002a".parse::<ReplicaId>().unwrap(), id);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReplicaId(u64);

impl ReplicaId {
    /// The id with this number.
    pub const fn new(id: u64) -> Self {
        ReplicaId(id)
    }

    /// A fresh id from the operating system's (or the browser's) random source.
    ///
    /// Fails only where the platform has no random source, with
    /// [`Error::NoRandomSource`] (not a decoding error: nothing was decoded); then
    /// choose an id with [`ReplicaId::new`].
    pub fn random() -> Result<Self, Error> {
        getrandom::u64()
            .map(ReplicaId)
            .map_err(|e| Error::NoRandomSource(e.to_string()))
    }

    /// The id as a number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl From<u64> for ReplicaId {
    fn from(id: u64) -> Self {
        ReplicaId(id)
    }
}

impl From<ReplicaId> for u64 {
    fn from(id: ReplicaId) -> Self {
        id.0
    }
}

/// Sixteen lowercase hex digits: the form shown to JavaScript and in logs.
impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplicaId({:016x})", self.0)
    }
}

/// Parses one to sixteen hex digits, the form [`Display`](fmt::Display) writes.
impl FromStr for ReplicaId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        if s.is_empty() || s.len() > 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::InvalidReplicaId(s.to_owned()));
        }
        u64::from_str_radix(s, 16)
            .map(ReplicaId)
            .map_err(|_| Error::InvalidReplicaId(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_differ() {
        let a = ReplicaId::random().unwrap();
        let b = ReplicaId::random().unwrap();
        assert_ne!(a, b);
    }

    /// Issue 14, item 10: a failing random source must say so, not speak of bytes
    /// that could not be decoded.
    #[test]
    fn no_random_source_says_what_failed() {
        let message = Error::NoRandomSource("entropy unavailable".into()).to_string();
        assert!(message.contains("no random source"), "{message}");
        assert!(!message.contains("decode"), "{message}");
        assert!(message.contains("ReplicaId::new"), "{message}");
    }

    #[test]
    fn parse_rejects_junk() {
        assert!("".parse::<ReplicaId>().is_err());
        assert!("xyz".parse::<ReplicaId>().is_err());
        assert!("+1".parse::<ReplicaId>().is_err());
        assert!("00000000000000001".parse::<ReplicaId>().is_err());
        assert_eq!("ff".parse::<ReplicaId>().unwrap(), ReplicaId::new(255));
    }
}
