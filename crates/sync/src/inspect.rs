//! Reading a sync message without applying it: who sent it and what kind it is, and
//! whether it would bring a replica news. A server that must decide before applying a
//! message (a read-only client's writes are refused whole; one connection speaks for
//! one peer) reads it here first.

use std::fmt;

use converge_core::{decode_body, open_envelope, Codec, CountConflicts, DeltaCrdt, ReplicaId};
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::message::{next, Body, Wire};
use crate::{Error, Replica};

/// What kind of sync message it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A delta interval (carries data).
    Delta,
    /// A full state (carries data).
    Full,
    /// An acknowledgement (numbers only).
    Ack,
    /// A hello (numbers only).
    Hello,
}

impl MessageKind {
    /// Whether a message of this kind carries CRDT data (a delta or a full state).
    pub fn carries_data(self) -> bool {
        matches!(self, MessageKind::Delta | MessageKind::Full)
    }
}

/// The head of a sync message: its sender, the sender's session and its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageHead {
    /// The replica that sent it.
    pub sender: ReplicaId,
    /// The sender's session (epoch).
    pub epoch: u64,
    /// What kind of message it is.
    pub kind: MessageKind,
}

impl MessageHead {
    /// Reads the head of the sync message `bytes` for CRDT type `T`, checking the
    /// envelope and that the whole message is well-formed MessagePack, without building
    /// its payload. A message that passes may still be rejected by
    /// [`Replica::receive`] (a payload that is not a valid `T`).
    pub fn read<T: Codec>(bytes: &[u8]) -> Result<MessageHead, Error> {
        let (version, body) = open_envelope(bytes, <Wire<T> as Codec>::TAG)?;
        if version == 0 || version > <Wire<T> as Codec>::VERSION {
            return Err(Error::Decode(converge_core::Error::UnsupportedVersion {
                type_name: <Wire<T> as Codec>::TAG.name(),
                found: version,
                supported: <Wire<T> as Codec>::VERSION,
            }));
        }
        let head: Head<T> = decode_body(<Wire<T> as Codec>::TAG, body)?;
        Ok(head.head)
    }
}

impl<T: DeltaCrdt + Codec + CountConflicts> Replica<T> {
    /// Whether receiving `bytes` would change this replica's state (it carries a delta
    /// or state that is not already included), without applying anything. Fails as
    /// [`receive`](Self::receive) would on a malformed message (and records nothing).
    pub fn would_bring_news(&self, bytes: &[u8]) -> Result<bool, Error> {
        let message = Wire::<T>::decode(bytes)?.0;
        Ok(match message.body {
            Body::Delta { delta: value, .. } | Body::Full { state: value, .. } => {
                !value.is_subsumed_by(self.state())
            }
            Body::Ack { .. } | Body::Hello { .. } => false,
        })
    }
}

/// The head, read from a message whose payload is skipped.
struct Head<T> {
    head: MessageHead,
    _type: std::marker::PhantomData<T>,
}

impl<'de, T: Codec> Deserialize<'de> for Head<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(HeadVisitor(std::marker::PhantomData))
    }
}

struct HeadVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Codec> Visitor<'de> for HeadVisitor<T> {
    type Value = Head<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sync message")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Head<T>, A::Error> {
        let tag: u8 = next(&mut seq, "type tag")?;
        if tag != T::TAG as u8 {
            return Err(de::Error::custom(format!(
                "the message does not carry a {}: the peers sync different types",
                T::TAG.name()
            )));
        }
        let sender: ReplicaId = next(&mut seq, "sender")?;
        let epoch: u64 = next(&mut seq, "epoch")?;
        let kind = match next::<_, u8>(&mut seq, "kind")? {
            0 | 4 => MessageKind::Delta,
            1 => MessageKind::Full,
            2 => MessageKind::Ack,
            3 => MessageKind::Hello,
            other => {
                return Err(de::Error::custom(format!(
                    "unknown sync message kind {other}"
                )))
            }
        };
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Head {
            head: MessageHead {
                sender,
                epoch,
                kind,
            },
            _type: std::marker::PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use converge_core::ReplicaId;
    use converge_orset::OrSet;

    use super::*;

    #[test]
    fn head_and_news_match_what_receive_does() -> Result<(), Error> {
        let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
        let mut alice = Replica::new(a, OrSet::<String>::new())?;
        let mut bob = Replica::new(b, OrSet::<String>::new())?;
        alice.update(|s, w| s.add(w, "x".to_string()));
        let full = alice.message_for(b)?.ok_or(Error::OwnId(a))?;
        let head = MessageHead::read::<OrSet<String>>(&full)?;
        assert_eq!(head.sender, a);
        assert_eq!(head.kind, MessageKind::Full);
        assert!(bob.would_bring_news(&full)?);
        assert!(bob.state().is_empty());
        let ack = bob.receive(&full)?.ok_or(Error::OwnId(b))?;
        assert!(!bob.would_bring_news(&full)?);
        let head = MessageHead::read::<OrSet<String>>(&ack)?;
        assert_eq!((head.sender, head.kind), (b, MessageKind::Ack));
        let hello = bob.hello(a)?;
        assert_eq!(
            MessageHead::read::<OrSet<String>>(&hello)?.kind,
            MessageKind::Hello
        );
        // Garbage and truncations are errors, never panics.
        for cut in 0..full.len() {
            assert!(MessageHead::read::<OrSet<String>>(&full[..cut]).is_err());
        }
        Ok(())
    }
}
