//! Test and fuzzing helpers (feature `testing`): the decoded form of a sync message,
//! so a fuzzer can check that every message that decodes re-encodes to bytes that
//! decode to the same message. Not part of the stable API.

use converge_core::Codec;

use crate::message::Wire;
use crate::Error;

/// A sync message of a replica of `T`, decoded: compare two with `==`.
pub struct DecodedMessage<T>(Wire<T>);

impl<T: Codec + PartialEq> PartialEq for DecodedMessage<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 .0 == other.0 .0
    }
}

impl<T: Codec + std::fmt::Debug> std::fmt::Debug for DecodedMessage<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0 .0.fmt(f)
    }
}

impl<T: Codec> DecodedMessage<T> {
    /// Decodes a message as [`Replica::receive`](crate::Replica::receive) does, before
    /// it checks the message against the replica.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Ok(DecodedMessage(Wire::<T>::decode(bytes)?))
    }

    /// The message's bytes, as a replica would send it.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.0.encode()?)
    }
}
