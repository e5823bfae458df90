//! `Dot`: the unique name of one write event.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::ReplicaId;

/// One write event: the `counter`-th write of `replica`. Counters start at 1.
///
/// Dots are how causal types tell writes apart: a store holds the dots of the writes
/// whose data is still live, and a [`CausalContext`](crate::CausalContext) holds the
/// dots of every write a replica has seen.
///
/// Encoded as the pair `[replica, counter]`; decoding rejects a counter of 0.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Dot {
    /// The replica that made the write.
    pub replica: ReplicaId,
    /// Its position in that replica's sequence of writes, from 1.
    pub counter: u64,
}

impl Dot {
    /// The dot `(replica, counter)`.
    pub const fn new(replica: ReplicaId, counter: u64) -> Self {
        Dot { replica, counter }
    }
}

impl fmt::Debug for Dot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.replica, self.counter)
    }
}

impl<'de> Deserialize<'de> for Dot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (replica, counter) = <(ReplicaId, u64)>::deserialize(deserializer)?;
        if counter == 0 {
            return Err(serde::de::Error::custom(
                "a dot's counter must be at least 1",
            ));
        }
        Ok(Dot { replica, counter })
    }
}
