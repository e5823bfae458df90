//! `Stamped<V>`: a value with the hybrid-logical-clock timestamp of the write that
//! made it, what a last-writer-wins register stores under each write's dot.

use std::fmt;
use std::marker::PhantomData;

use converge_core::Timestamp;
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A written value and its timestamp: one live write of an
/// [`LwwRegister`](crate::LwwRegister), stored under the [`Dot`](converge_core::Dot)
/// that names the write.
///
/// Encoded as the flat triple `[millis, logical, value]`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Stamped<V> {
    /// When the write happened, by the writer's hybrid logical clock.
    pub timestamp: Timestamp,
    /// The value written.
    pub value: V,
}

impl<V> Stamped<V> {
    /// `value`, written at `timestamp`.
    pub fn new(timestamp: Timestamp, value: V) -> Self {
        Stamped { timestamp, value }
    }
}

impl<V: Serialize> Serialize for Stamped<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(3)?;
        tuple.serialize_element(&self.timestamp.millis)?;
        tuple.serialize_element(&self.timestamp.logical)?;
        tuple.serialize_element(&self.value)?;
        tuple.end()
    }
}

impl<'de, V: DeserializeOwned> Deserialize<'de> for Stamped<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_tuple(3, StampedVisitor(PhantomData))
    }
}

struct StampedVisitor<V>(PhantomData<V>);

impl<'de, V: DeserializeOwned> Visitor<'de> for StampedVisitor<V> {
    type Value = Stamped<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [millis, logical, value] triple")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Stamped<V>, A::Error> {
        let missing = |what| serde::de::Error::custom(format!("a stamped write lacks its {what}"));
        let millis = seq.next_element()?.ok_or_else(|| missing("milliseconds"))?;
        let logical = seq
            .next_element()?
            .ok_or_else(|| missing("logical counter"))?;
        let value = seq.next_element()?.ok_or_else(|| missing("value"))?;
        Ok(Stamped::new(Timestamp::new(millis, logical), value))
    }
}
