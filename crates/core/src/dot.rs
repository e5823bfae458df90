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
/// Encoded as the pair `[replica, counter]`; decoding rejects counters outside
/// `1..=Dot::MAX_COUNTER`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Dot {
    /// The replica that made the write.
    pub replica: ReplicaId,
    /// Its position in that replica's sequence of writes, from 1.
    pub counter: u64,
}

impl Dot {
    /// The largest counter a decoded dot may carry: 2^53 - 1, so counters stay exact
    /// as JavaScript numbers, and a replica making a million writes a second needs
    /// 285 years to reach it. A peer claiming more is rejected at decoding, so it
    /// cannot push a replica's next dot to the end of the range where writes would
    /// collide.
    pub const MAX_COUNTER: u64 = (1 << 53) - 1;

    /// The dot `(replica, counter)`.
    pub const fn new(replica: ReplicaId, counter: u64) -> Self {
        Dot { replica, counter }
    }

    /// The dot `(replica, counter)` if `counter` is in `1..=MAX_COUNTER`: the check
    /// every decoder applies to dots and version vector entries from the wire.
    pub fn checked(replica: ReplicaId, counter: u64) -> Result<Dot, &'static str> {
        match counter {
            0 => Err("a dot's counter must be at least 1"),
            c if c > Dot::MAX_COUNTER => Err("a dot's counter is beyond 2^53 - 1"),
            c => Ok(Dot::new(replica, c)),
        }
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
        Dot::checked(replica, counter).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Codec, Error, TypeTag, MAGIC};

    /// A dot alone in the envelope, to decode one through [`Codec::decode`].
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Carried(Dot);

    impl Codec for Carried {
        const TAG: TypeTag = TypeTag::VersionVector;
    }

    /// The MessagePack pair `[replica 7, counter]`, written byte by byte.
    fn pair(counter: u64) -> Vec<u8> {
        let mut out = vec![0x92, 0x07, 0xcf];
        out.extend_from_slice(&counter.to_be_bytes());
        out
    }

    fn enveloped(counter: u64) -> Vec<u8> {
        let mut out = vec![MAGIC, TypeTag::VersionVector as u8, 1];
        out.extend(pair(counter));
        out
    }

    /// Regression test (issue 14, item 7): the deserializer checked only for 0 and let
    /// counters beyond 2^53 - 1 through, which its doc says are rejected.
    #[test]
    fn decoding_refuses_counters_beyond_2_pow_53_minus_1() {
        let max = Dot::new(ReplicaId::new(7), Dot::MAX_COUNTER);
        assert_eq!(
            Carried::decode(&enveloped(Dot::MAX_COUNTER)),
            Ok(Carried(max))
        );
        for counter in [Dot::MAX_COUNTER + 1, u64::MAX] {
            assert!(
                matches!(
                    Carried::decode(&enveloped(counter)),
                    Err(Error::Malformed { .. })
                ),
                "counter {counter} decoded through Codec::decode"
            );
            assert!(
                rmp_serde::from_slice::<Dot>(&pair(counter)).is_err(),
                "counter {counter} decoded through serde"
            );
        }
        assert_eq!(
            rmp_serde::from_slice::<Dot>(&pair(Dot::MAX_COUNTER)).ok(),
            Some(max)
        );
    }

    /// The same bound holds where a causal context names dots: its version vector's
    /// entries and its extra dots. (A bare `VersionVector` is also a G-Counter's
    /// state, whose counts may pass it.)
    #[test]
    fn a_causal_context_refuses_counters_beyond_2_pow_53_minus_1() {
        use crate::{Causal, DotSet};
        let in_vector = |counter: u64| {
            let mut out = vec![0x93, 0x90, 0x81, 0x07, 0xcf];
            out.extend_from_slice(&counter.to_be_bytes());
            out.push(0x90);
            out
        };
        let in_extra = |counter: u64| {
            let mut out = vec![0x93, 0x90, 0x80];
            out.extend(pair(counter));
            out
        };
        for build in [in_vector, in_extra] {
            let max = rmp_serde::from_slice::<Causal<DotSet>>(&build(Dot::MAX_COUNTER));
            assert!(max.is_ok(), "{max:?}");
            let beyond = rmp_serde::from_slice::<Causal<DotSet>>(&build(Dot::MAX_COUNTER + 1));
            assert!(beyond.is_err(), "{beyond:?}");
        }
    }

    #[test]
    fn decoding_refuses_counter_0() {
        assert!(matches!(
            Carried::decode(&enveloped(0)),
            Err(Error::Malformed { .. })
        ));
        assert!(rmp_serde::from_slice::<Dot>(&pair(0)).is_err());
    }
}
