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

/// Format version 2: version 3 without the durable writer.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
struct SavedV2<T> {
    id: ReplicaId,
    state: T,
    #[serde(deserialize_with = "unreserved")]
    have: Vec<(ReplicaId, u64, u64)>,
    incarnation: u64,
}

/// Format version 1, whose incarnation may be absent.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
struct SavedV1<T> {
    id: ReplicaId,
    state: T,
    #[serde(deserialize_with = "unreserved")]
    have: Vec<(ReplicaId, u64, u64)>,
    /// Absent from bytes saved before sessions were ordered (read as 0).
    #[serde(default)]
    incarnation: u64,
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
        if version == 2 {
            let SavedV2 {
                id,
                state,
                have,
                incarnation,
            } = decode_body::<SavedV2<T>>(Self::TAG, body)?;
            return Ok(Saved {
                id,
                state,
                have,
                incarnation,
                writer: None,
            });
        }
        if version == 1 {
            let SavedV1 {
                id,
                state,
                have,
                incarnation,
            } = decode_body::<SavedV1<T>>(Self::TAG, body)?;
            return Ok(Saved {
                id,
                state,
                have,
                incarnation,
                writer: None,
            });
        }
        decode_body(Self::TAG, body)
    }
}
