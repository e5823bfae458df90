//! The messages replicas exchange, and their wire form.
//!
//! ```text
//! [type tag, sender, sender's epoch, kind, …fields]
//!   kind 0  Delta  from, to, delta        the join of the sender's deltas from..to
//!   kind 1  Full   to, state              the sender's whole state, as of sequence to
//!   kind 2  Ack    epoch, to              "I have your deltas up to `to` of `epoch`"
//!   kind 3  Hello  epoch, to | nil        "I have yours up to `to` of `epoch`", or nothing
//!   kind 4  Delta  from, to, epoch, delta kind 0 without what came from the receiver's
//!                                         session `epoch` (which holds it): only that
//!                                         session may take it as the interval
//! ```
//!
//! inside the envelope with tag `SyncMessage`. The type tag is the tag of the CRDT
//! being synced, so peers syncing different types get a clear error.

use std::fmt;
use std::marker::PhantomData;

use converge_core::{encode_enveloped, Codec, EncodeError, ReplicaId, TypeTag};
use serde::de::{self, DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What one message says.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Body<T> {
    /// The join of the sender's buffered deltas with sequence numbers `from..to`;
    /// with `for_session`, those that came from that session of the receiver are left
    /// out (it holds them), so the interval is whole only for that session.
    Delta {
        from: u64,
        to: u64,
        delta: T,
        for_session: Option<u64>,
    },
    /// The sender's whole state, which includes everything up to sequence `to`.
    Full { to: u64, state: T },
    /// The sender has applied the receiver's deltas up to `to` of the receiver's `epoch`.
    Ack { epoch: u64, to: u64 },
    /// The sender (re)connects and has the receiver's deltas up to `to` of `epoch`.
    Hello { have: Option<(u64, u64)> },
}

/// One message: who sent it, in which session (epoch) of theirs, and what it says.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Message<T> {
    pub(crate) sender: ReplicaId,
    pub(crate) epoch: u64,
    pub(crate) body: Body<T>,
}

/// The message envelope's type: the sync messages of a CRDT of type `T`.
pub(crate) struct Wire<T>(pub(crate) Message<T>);

/// What a message says besides its CRDT value: its kind and numbers. Not generic, so
/// one copy of the code that writes and reads it serves every CRDT type (the wasm
/// build syncs six); only the value is written and read per type.
#[derive(Clone, Copy)]
pub(crate) enum Head {
    Delta {
        from: u64,
        to: u64,
        for_session: Option<u64>,
    },
    Full {
        to: u64,
    },
    Ack {
        epoch: u64,
        to: u64,
    },
    Hello {
        have: Option<(u64, u64)>,
    },
}

impl<T> Body<T> {
    /// The body's head, and its CRDT value if it carries one.
    fn split(&self) -> (Head, Option<&T>) {
        match self {
            Body::Delta {
                from,
                to,
                delta,
                for_session,
            } => (
                Head::Delta {
                    from: *from,
                    to: *to,
                    for_session: *for_session,
                },
                Some(delta),
            ),
            Body::Full { to, state } => (Head::Full { to: *to }, Some(state)),
            Body::Ack { epoch, to } => (
                Head::Ack {
                    epoch: *epoch,
                    to: *to,
                },
                None,
            ),
            Body::Hello { have } => (Head::Hello { have: *have }, None),
        }
    }
}

/// Starts a message's array and writes every element before its CRDT value: the type
/// tag, sender, epoch, kind and the head's numbers (the value, if any, comes last).
#[inline(never)]
fn write_head<S: Serializer>(
    serializer: S,
    tag: TypeTag,
    sender: ReplicaId,
    epoch: u64,
    head: Head,
) -> Result<S::SerializeSeq, S::Error> {
    let fields = match head {
        Head::Delta {
            for_session: None, ..
        } => 3,
        Head::Delta {
            for_session: Some(_),
            ..
        } => 4,
        Head::Full { .. } | Head::Ack { .. } | Head::Hello { .. } => 2,
    };
    let mut seq = serializer.serialize_seq(Some(4 + fields))?;
    seq.serialize_element(&(tag as u8))?;
    seq.serialize_element(&sender)?;
    seq.serialize_element(&epoch)?;
    match head {
        Head::Delta {
            from,
            to,
            for_session,
        } => {
            seq.serialize_element(&if for_session.is_some() { 4u8 } else { 0u8 })?;
            seq.serialize_element(&from)?;
            seq.serialize_element(&to)?;
            if let Some(session) = for_session {
                seq.serialize_element(&session)?;
            }
        }
        Head::Full { to } => {
            seq.serialize_element(&1u8)?;
            seq.serialize_element(&to)?;
        }
        Head::Ack { epoch, to } => {
            seq.serialize_element(&2u8)?;
            seq.serialize_element(&epoch)?;
            seq.serialize_element(&to)?;
        }
        Head::Hello { have } => {
            seq.serialize_element(&3u8)?;
            seq.serialize_element(&have.map(|(e, _)| e))?;
            seq.serialize_element(&have.map(|(_, t)| t))?;
        }
    }
    Ok(seq)
}

impl<T: Codec> Serialize for Wire<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Message {
            sender,
            epoch,
            body,
        } = &self.0;
        let (head, value) = body.split();
        let mut seq = write_head(serializer, T::TAG, *sender, *epoch, head)?;
        if let Some(value) = value {
            seq.serialize_element(value)?;
        }
        seq.end()
    }
}

/// A message that carries no CRDT value (an ack or a hello) of a replica of the CRDT
/// type `tag`, encoded: the same bytes as its [`Wire`], by code that is not generic.
pub(crate) fn encode_control(
    tag: TypeTag,
    sender: ReplicaId,
    epoch: u64,
    head: Head,
) -> Result<Vec<u8>, EncodeError> {
    encode_enveloped(
        &Control {
            tag,
            sender,
            epoch,
            head,
        },
        TypeTag::SyncMessage,
        MESSAGE_VERSION,
    )
}

/// What [`encode_control`] writes.
struct Control {
    tag: TypeTag,
    sender: ReplicaId,
    epoch: u64,
    head: Head,
}

impl Serialize for Control {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_head(serializer, self.tag, self.sender, self.epoch, self.head)?.end()
    }
}

impl<'de, T: Codec> Deserialize<'de> for Wire<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(WireVisitor(PhantomData))
    }
}

struct WireVisitor<T>(PhantomData<T>);

/// The next element of a sync message, or an error naming `what` is missing.
pub(crate) fn next<'de, A: SeqAccess<'de>, V: Deserialize<'de>>(
    seq: &mut A,
    what: &str,
) -> Result<V, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::custom(format!("sync message lacks its {what}")))
}

/// The error text for a message of another CRDT type than `expected`.
fn other_type(found: u8, expected: TypeTag) -> String {
    let found = TypeTag::from_byte(found).map_or("unknown type", TypeTag::name);
    format!(
        "the message carries a {found}, but this replica holds a {}: the peers sync different types",
        expected.name()
    )
}

/// Reads every element of a message before its CRDT value (what [`write_head`]
/// writes), refusing a message of another CRDT type than `expected`: the sender, its
/// epoch and the head.
#[inline(never)]
fn read_head<'de, A: SeqAccess<'de>>(
    seq: &mut A,
    expected: TypeTag,
) -> Result<(ReplicaId, u64, Head), A::Error> {
    let tag: u8 = next(seq, "type tag")?;
    if tag != expected as u8 {
        return Err(de::Error::custom(other_type(tag, expected)));
    }
    let sender: ReplicaId = next(seq, "sender")?;
    let epoch: u64 = next(seq, "epoch")?;
    let kind: u8 = next(seq, "kind")?;
    let head = match kind {
        0 | 4 => Head::Delta {
            from: next(seq, "interval start")?,
            to: next(seq, "interval end")?,
            for_session: match kind {
                4 => Some(next(seq, "session the interval is for")?),
                _ => None,
            },
        },
        1 => Head::Full {
            to: next(seq, "sequence number")?,
        },
        2 => Head::Ack {
            epoch: next(seq, "acknowledged epoch")?,
            to: next(seq, "acknowledged sequence number")?,
        },
        3 => {
            let e: Option<u64> = next(seq, "epoch held")?;
            let t: Option<u64> = next(seq, "sequence number held")?;
            match (e, t) {
                (Some(e), Some(t)) => Head::Hello { have: Some((e, t)) },
                (None, None) => Head::Hello { have: None },
                _ => return Err(de::Error::custom("hello names an epoch without a position")),
            }
        }
        other => {
            return Err(de::Error::custom(format!(
                "unknown sync message kind {other}"
            )))
        }
    };
    Ok((sender, epoch, head))
}

impl<'de, T: Codec> Visitor<'de> for WireVisitor<T> {
    type Value = Wire<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sync message")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Wire<T>, A::Error> {
        let (sender, epoch, head) = read_head(&mut seq, T::TAG)?;
        let body = match head {
            Head::Delta {
                from,
                to,
                for_session,
            } => Body::Delta {
                from,
                to,
                for_session,
                delta: next::<_, Payload<T>>(&mut seq, "delta")?.0,
            },
            Head::Full { to } => Body::Full {
                to,
                state: next::<_, Payload<T>>(&mut seq, "state")?.0,
            },
            Head::Ack { epoch, to } => Body::Ack { epoch, to },
            Head::Hello { have } => Body::Hello { have },
        };
        Ok(Wire(Message {
            sender,
            epoch,
            body,
        }))
    }
}

/// The CRDT value inside a message, decoded by its own serde form.
struct Payload<T>(T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Payload<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Payload)
    }
}

/// Messages travel in the envelope with the `SyncMessage` tag.
impl<T: Codec> Codec for Wire<T> {
    const TAG: TypeTag = TypeTag::SyncMessage;
    const VERSION: u8 = MESSAGE_VERSION;
}

/// The format version of sync messages (the envelope's third byte).
const MESSAGE_VERSION: u8 = 1;
