//! `Saved<T>`: a replica as [`Replica::save`](crate::Replica::save) writes it, the
//! state and what it holds of each peer, to come back from after a restart.

use std::fmt;

use converge_core::{decode_body, Codec, ReplicaId, TypeTag};
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// A saved replica: its id, state, `(peer, epoch, to)` for each peer whose deltas it
/// holds, how many restores led to the session that saved it, and its durable
/// writer, if it had one.
///
/// Format versions (the envelope's third byte), each a MessagePack array:
///
/// - 3 (written since issue 17): `[id, state, have, incarnation, writer]`, all
///   required; `writer` is nil unless the saving session sent only what it had saved
///   (see `durable_writer.rs`), and then the id it wrote under, to write on under.
/// - 2 (issue 14): `[id, state, have, incarnation]`, all required; read with no
///   durable writer.
/// - 1: `[id, state, have]`; bytes saved after sessions were ordered append
///   `incarnation` under the same version (it changed in place, without a bump).
///   Both read, a missing incarnation as 0, so such a replica restores as
///   incarnation 1 (as it did before the bump).
///
/// (Its `Deserialize` is what `Codec` asks for; `decode_version` reads every version
/// through [`AnySaved`] instead.)
#[derive(Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: DeserializeOwned"))]
pub(crate) struct Saved<T> {
    pub(crate) id: ReplicaId,
    pub(crate) state: T,
    #[serde(deserialize_with = "unreserved")]
    pub(crate) have: Vec<(ReplicaId, u64, u64)>,
    pub(crate) incarnation: u64,
    /// The writer id of a session that sent only what it had saved: every write it
    /// ever sent under this id is in `state`, so a restore may write on under it.
    pub(crate) writer: Option<ReplicaId>,
}

/// Every format version at once (one decoder per state type instead of one per
/// version: the decoders are monomorphised for every CRDT type, so each costs code
/// size in the wasm build): the fields a version may lack are [`Slot`]s, and
/// [`Saved::decode_version`] checks which ones the version must have.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
struct AnySaved<T> {
    id: ReplicaId,
    state: T,
    #[serde(deserialize_with = "unreserved")]
    have: Vec<(ReplicaId, u64, u64)>,
    #[serde(default)]
    incarnation: Slot<u64>,
    #[serde(default)]
    writer: Slot<Option<ReplicaId>>,
}

/// A trailing field of [`AnySaved`]: absent from the bytes, or given (a nil writer is
/// given, so "absent" and "nil" stay apart).
#[derive(Default)]
enum Slot<V> {
    #[default]
    Absent,
    Given(V),
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Slot<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        V::deserialize(deserializer).map(Slot::Given)
    }
}

/// The error for saved bytes whose trailing fields do not fit their format `version`
/// (`what` says how).
fn misshapen(version: u8, what: &str) -> converge_core::Error {
    converge_core::Error::Malformed {
        type_name: TypeTag::SyncReplica.name(),
        reason: format!("a saved replica of format {version} {what}"),
    }
}

/// Reads the peers of saved bytes one by one, reserving nothing up front: serde's
/// `Vec` reserves room for as many entries as the length prefix claims (up to 1 MiB),
/// so 15 bytes claiming four billion peers would allocate a mebibyte.
fn unreserved<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(ReplicaId, u64, u64)>, D::Error> {
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<(ReplicaId, u64, u64)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of (peer, epoch, sequence number)")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some(entry) = seq.next_element()? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_seq(Entries)
}

impl<T: Codec> Codec for Saved<T> {
    const TAG: TypeTag = TypeTag::SyncReplica;
    const VERSION: u8 = 3;

    fn decode_version(version: u8, body: &[u8]) -> Result<Self, converge_core::Error> {
        let AnySaved {
            id,
            state,
            have,
            incarnation,
            writer,
        } = decode_body::<AnySaved<T>>(Self::TAG, body)?;
        let (incarnation, writer) = match (version, incarnation, writer) {
            (1, incarnation, Slot::Absent) => match incarnation {
                Slot::Given(incarnation) => (incarnation, None),
                Slot::Absent => (0, None),
            },
            (2, Slot::Given(incarnation), Slot::Absent) => (incarnation, None),
            (1 | 2, _, Slot::Given(_)) => return Err(misshapen(version, "has a writer")),
            // Version 3 (`open_versioned` lets only 1 ..= VERSION through).
            (_, Slot::Given(incarnation), Slot::Given(writer)) => (incarnation, writer),
            (_, Slot::Absent, _) => return Err(misshapen(version, "lacks its incarnation")),
            (_, _, Slot::Absent) => return Err(misshapen(version, "lacks its writer")),
        };
        Ok(Saved {
            id,
            state,
            have,
            incarnation,
            writer,
        })
    }
}
