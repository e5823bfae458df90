//! `PendingDeltas<T>`: the local deltas not yet taken by `takeDelta()`, kept encoded
//! while they are few, then joined as a value.
//!
//! A small write's delta takes a few hundred bytes as a value (maps, contexts, boxes)
//! and a few dozen encoded, and most pending deltas are taken once and sent as bytes
//! anyway. So each is encoded when written while the encodings stay under
//! [`COMPACT_FROM`] bytes: a single pending delta is handed out as it is; a few are
//! decoded and joined once, when taken. Past that size (many writes between two
//! takes), the encodings are decoded and joined into one value once, and every later
//! delta is joined into it as it is written: a join costs about what the write
//! costs, where re-decoding and re-encoding the growing join would cost the size of
//! the join (issue 16: 100,000 writes over 10,000 keys spent 80% of their time
//! there). The value stays the size of the join of the deltas: as small as the part
//! of the document they wrote.
//!
//! A document's later writes are not joined at all: only the paths they wrote and
//! their contexts are kept ([`WrittenPaths`]), and their delta is read back from the
//! document when taken, where joining each write's delta into the pending one cost
//! a causal join at every key of its path (a third of a nested `Document.set`). A
//! change of more than a few dozen writes keeps its delta as a value from the start
//! ([`push_value`]): encoding it cost a fifth of the change, and it is encoded once,
//! when taken.
//!
//! [`push_value`]: PendingDeltas::push_value

/// The encoded size below which pending deltas take exactly the room they need.
const EXACT_BELOW: usize = 512;

/// The encoded size past which pending deltas are joined into a value.
const COMPACT_FROM: usize = 4096;

use std::borrow::Cow;

use converge::ormap::WrittenPaths;
use converge::{Codec, DeltaCrdt, Document, ReplicaId};
use wasm_bindgen::JsValue;

use crate::error::fail;

/// The deltas written since the last `takeDelta()`.
pub(crate) struct PendingDeltas<T> {
    /// Each encoded delta, after its length (4 bytes, little-endian).
    encoded: Vec<u8>,
    /// The deltas kept as a value (one box, and no other field: every JavaScript
    /// object holds these, and small documents are many).
    joined: Option<Box<Joined<T>>>,
}

/// The pending deltas past the encoded stage.
struct Joined<T> {
    /// The join of the deltas kept as a value: every delta once the encodings passed
    /// [`COMPACT_FROM`] bytes, and any that could not be encoded (so nothing is lost;
    /// taking them then reports the encoding error and keeps them pending).
    value: T,
    /// A document's writes since, as the paths they wrote (see [`WrittenPaths`]):
    /// their delta is read from the document and joined into `value` when taken.
    written: Option<WrittenPaths>,
    /// The encoded size past which the encoded deltas are joined into `value`
    /// ([`COMPACT_FROM`] unless decoding them failed).
    compact_at: usize,
}

impl<T> Joined<T> {
    fn new(value: T) -> Self {
        Joined {
            value,
            written: None,
            compact_at: COMPACT_FROM,
        }
    }
}

/// The types whose pending deltas can be kept as the paths written (a document's).
pub(crate) trait FromWrittenPaths: Sized {
    /// The delta of the writes `written` recorded, read from `state`, if this type
    /// keeps deltas so (only a document does: for the others nothing is ever kept
    /// there).
    fn from_written_paths(written: &WrittenPaths, state: &Self) -> Option<Self> {
        let _ = (written, state);
        None
    }
}

impl FromWrittenPaths for Document {
    fn from_written_paths(written: &WrittenPaths, state: &Self) -> Option<Self> {
        Some(written.delta_from(state))
    }
}

/// The paths written by `writer` kept in `slot` (see
/// [`PendingDeltas::written_slot`]), made if none are kept yet: the paths written
/// from now on.
pub(crate) fn written_by(slot: &mut Option<WrittenPaths>, writer: ReplicaId) -> &mut WrittenPaths {
    slot.get_or_insert_with(|| WrittenPaths::new(writer))
}

impl<T> Default for PendingDeltas<T> {
    fn default() -> Self {
        PendingDeltas {
            encoded: Vec::new(),
            joined: None,
        }
    }
}

impl PendingDeltas<Document> {
    /// Keeps `delta`, the delta of a single document write at `path`: encoded while
    /// the encodings are few, as [`push`](Self::push) does, then as its path (a
    /// bottom delta is not kept).
    #[cfg(feature = "document-replica")]
    pub(crate) fn push_write(
        &mut self,
        writer: ReplicaId,
        path: &[String],
        delta: Cow<'_, Document>,
    ) {
        if delta.is_bottom() {
            return;
        }
        match self.written_slot() {
            Some(slot) => written_by(slot, writer).record(path, &delta),
            None => self.push(delta),
        }
    }

    /// Keeps `leaf`, a single document write's delta at `path` (`keys`, the same keys
    /// borrowed) as `Document::write_leaf` made it: its root delta while deltas are
    /// kept encoded, then only its path and dots (no root delta built).
    #[cfg(not(feature = "document-replica"))]
    pub(crate) fn push_leaf(
        &mut self,
        writer: ReplicaId,
        (path, keys): (&[String], &[&str]),
        leaf: converge::ormap::LeafDelta,
    ) {
        if leaf.is_bottom() {
            return;
        }
        match self.written_slot() {
            Some(slot) => written_by(slot, writer).record_leaf(path, &leaf),
            None => self.push(Cow::Owned(leaf.into_delta(keys))),
        }
    }

    /// Where single writes are kept once past the encoded stage: as the paths
    /// written (see [`push_write`](Self::push_write)), made by the first write kept
    /// ([`written_by`]). `None` while deltas are kept encoded: then a write's delta
    /// is wanted whole.
    pub(crate) fn written_slot(&mut self) -> Option<&mut Option<WrittenPaths>> {
        if self.encoded_count() != 0 {
            return None;
        }
        Some(&mut self.joined.as_mut()?.written)
    }

    /// Keeps `delta`, the delta of a change whose writes' paths are `paths`: as its
    /// paths once single writes are kept so (see [`push_write`](Self::push_write)),
    /// else as a value if the change is `large` (see [`push_value`](Self::push_value)),
    /// else encoded.
    #[cfg(feature = "document-replica")]
    pub(crate) fn push_change(
        &mut self,
        paths: &[Vec<String>],
        large: bool,
        delta: Cow<'_, Document>,
    ) {
        if delta.is_bottom() {
            return;
        }
        match self.joined.as_mut().and_then(|j| j.written.as_mut()) {
            Some(written) => written.record_change(paths, &delta),
            None if large => self.push_value(delta),
            None => self.push(delta),
        }
    }
}

impl<T: DeltaCrdt + Codec + FromWrittenPaths> PendingDeltas<T> {
    /// Keeps `delta` (a bottom delta, a write that changed nothing, is not kept).
    pub(crate) fn push(&mut self, delta: Cow<'_, T>) {
        if delta.is_bottom() {
            return;
        }
        if self.encoded.is_empty() && self.joined.is_some() {
            // Past the encoded stage: join as a value.
            self.join_value(delta.into_owned());
            return;
        }
        match delta.encode() {
            Ok(bytes) => match u32::try_from(bytes.len()) {
                Ok(len) => {
                    if self.encoded.len() < EXACT_BELOW {
                        // A few small deltas (most documents between two takes) get
                        // exactly the room they need; more grow by doubling.
                        self.encoded.reserve_exact(4 + bytes.len());
                    }
                    self.encoded.extend_from_slice(&len.to_le_bytes());
                    self.encoded.extend_from_slice(&bytes);
                    // One delta is as compact as it gets (a large change's delta
                    // stays encoded until the next write).
                    let compact_at = self.joined.as_ref().map_or(COMPACT_FROM, |j| j.compact_at);
                    if self.encoded.len() > compact_at && self.encoded_count() > 1 {
                        self.compact();
                    }
                }
                Err(_) => self.join_value(delta.into_owned()),
            },
            Err(_) => self.join_value(delta.into_owned()),
        }
    }

    /// Keeps `delta` as a value, to be encoded when taken: for a large change's delta
    /// (many writes), whose encoding costs about what its writes cost, and which is
    /// often written on before it is taken (a bottom delta is not kept).
    #[cfg(feature = "document-replica")]
    pub(crate) fn push_value(&mut self, delta: Cow<'_, T>) {
        if !delta.is_bottom() {
            self.join_value(delta.into_owned());
        }
    }

    fn join_value(&mut self, delta: T) {
        match &mut self.joined {
            Some(joined) => joined.value.join(delta),
            None => self.joined = Some(Box::new(Joined::new(delta))),
        }
    }

    /// The join of every pending delta, encoded, or `None` if there is none; `state`
    /// is the state the deltas were written to. The deltas are cleared only when
    /// this succeeds.
    pub(crate) fn take(&mut self, state: &T) -> Result<Option<Vec<u8>>, JsValue> {
        if let Some(joined) = &mut self.joined {
            if let Some(written) = joined.written.take() {
                if let Some(delta) = T::from_written_paths(&written, state) {
                    joined.value.join(delta);
                }
            }
        }
        let joined = self.joined.as_deref().map(|j| &j.value);
        let bytes = match (joined, self.encoded_count()) {
            (None, 0) => return Ok(None),
            (None, 1) => {
                let mut bytes = std::mem::take(&mut self.encoded);
                bytes.drain(..4);
                return Ok(Some(bytes));
            }
            (Some(joined), 0) => joined.encode().map_err(fail)?,
            (joined, _) => self.joined_onto(joined.cloned().unwrap_or_default())?,
        };
        *self = PendingDeltas::default();
        Ok(Some(bytes))
    }

    /// Joins the encoded deltas into the value `joined`, and frees their bytes (if
    /// one cannot be decoded, they are all kept, and the next attempt waits until
    /// the encodings have doubled).
    fn compact(&mut self) {
        let mut joined = T::default();
        let decoded = self
            .iter()
            .try_for_each(|bytes| T::decode(bytes).map(|delta| joined.join(delta)));
        if decoded.is_err() {
            // Kept beside an empty value (the bottom, which joins as nothing).
            let compact_at = COMPACT_FROM.max(self.encoded.len().saturating_mul(2));
            self.joined
                .get_or_insert_with(|| Box::new(Joined::new(T::default())))
                .compact_at = compact_at;
            return;
        }
        self.encoded = Vec::new();
        self.join_value(joined);
    }

    /// `joined` joined with every encoded delta, encoded.
    fn joined_onto(&self, mut joined: T) -> Result<Vec<u8>, JsValue> {
        for bytes in self.iter() {
            joined.join(T::decode(bytes).map_err(fail)?);
        }
        joined.encode().map_err(fail)
    }

    /// How many deltas `encoded` holds: 0, 1, or 2 for two or more (the length of
    /// the first tells whether another follows; a count would take room in every
    /// document).
    fn encoded_count(&self) -> usize {
        let mut deltas = self.iter();
        match (deltas.next(), deltas.next()) {
            (None, _) => 0,
            (Some(_), None) => 1,
            (Some(_), Some(_)) => 2,
        }
    }

    /// The encoded deltas, in the order written.
    fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut rest = self.encoded.as_slice();
        std::iter::from_fn(move || {
            let (len, tail) = rest.split_first_chunk::<4>()?;
            let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
            let (bytes, tail) = tail.split_at_checked(len)?;
            rest = tail;
            Some(bytes)
        })
    }
}
