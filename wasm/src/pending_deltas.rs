//! `PendingDeltas<T>`: the local deltas not yet taken by `takeDelta()`, kept encoded.
//!
//! A small write's delta takes a few hundred bytes as a value (maps, contexts, boxes)
//! and a few dozen encoded, and most pending deltas are taken once and sent as bytes
//! anyway. So each is encoded when written, and they are joined only when taken: a
//! single pending delta is handed out as it is; several are decoded and joined once.
//! Many writes to the same fields between two takes would pile up encodings, so when
//! the encodings pass twice the size of their last join (and at least
//! [`COMPACT_FROM`] bytes) they are joined into one: the memory held stays within a
//! small multiple of the join's encoded size, and each write pays amortised O(1)
//! joins.

/// The encoded size below which pending deltas are never compacted.
const COMPACT_FROM: usize = 4096;

use converge::{Codec, DeltaCrdt};
use wasm_bindgen::JsValue;

use crate::error::fail;

/// The deltas written since the last `takeDelta()`.
pub(crate) struct PendingDeltas<T> {
    /// Each encoded delta, after its length (4 bytes, little-endian).
    encoded: Vec<u8>,
    /// How many deltas `encoded` holds.
    count: usize,
    /// The encoded size past which the deltas are joined into one.
    compact_at: usize,
    /// The join of the deltas that could not be encoded (kept as values, so nothing
    /// is lost; taking them reports the encoding error and keeps them pending).
    unencoded: Option<Box<T>>,
}

impl<T> Default for PendingDeltas<T> {
    fn default() -> Self {
        PendingDeltas {
            encoded: Vec::new(),
            count: 0,
            compact_at: COMPACT_FROM,
            unencoded: None,
        }
    }
}

impl<T: DeltaCrdt + Codec> PendingDeltas<T> {
    /// Keeps `delta` (a bottom delta, a write that changed nothing, is not kept).
    pub(crate) fn push(&mut self, delta: &T) {
        if delta.is_bottom() {
            return;
        }
        match delta.encode() {
            Ok(bytes) => match u32::try_from(bytes.len()) {
                Ok(len) => {
                    self.encoded.extend_from_slice(&len.to_le_bytes());
                    self.encoded.extend_from_slice(&bytes);
                    self.count += 1;
                    if self.encoded.len() > self.compact_at {
                        self.compact();
                    }
                }
                Err(_) => self.keep_unencoded(delta.clone()),
            },
            Err(_) => self.keep_unencoded(delta.clone()),
        }
    }

    fn keep_unencoded(&mut self, delta: T) {
        match &mut self.unencoded {
            Some(joined) => joined.join(delta),
            None => self.unencoded = Some(Box::new(delta)),
        }
    }

    /// The join of every pending delta, encoded, or `None` if there is none. The
    /// deltas are cleared only when this succeeds.
    pub(crate) fn take(&mut self) -> Result<Option<Vec<u8>>, JsValue> {
        if self.count == 0 && self.unencoded.is_none() {
            return Ok(None);
        }
        if self.count == 1 && self.unencoded.is_none() {
            let mut bytes = std::mem::take(&mut self.encoded);
            bytes.drain(..4);
            self.count = 0;
            return Ok(Some(bytes));
        }
        let bytes = self.joined()?;
        *self = PendingDeltas::default();
        Ok(Some(bytes))
    }

    /// Joins the encoded deltas into one (kept if the join cannot be encoded; the
    /// next attempt waits until the encodings have doubled again).
    fn compact(&mut self) {
        if let Ok(joined) = self.joined_encoded() {
            if let Ok(len) = u32::try_from(joined.len()) {
                self.encoded.clear();
                self.encoded.extend_from_slice(&len.to_le_bytes());
                self.encoded.extend_from_slice(&joined);
                self.encoded.shrink_to_fit();
                self.count = 1;
            }
        }
        self.compact_at = COMPACT_FROM.max(self.encoded.len().saturating_mul(2));
    }

    /// The join of the encoded deltas, encoded (the unencoded ones left out).
    fn joined_encoded(&self) -> Result<Vec<u8>, JsValue> {
        self.joined_onto(T::default())
    }

    /// The join of every pending delta, encoded.
    fn joined(&self) -> Result<Vec<u8>, JsValue> {
        self.joined_onto(self.unencoded.as_deref().cloned().unwrap_or_default())
    }

    /// `joined` joined with every encoded delta, encoded.
    fn joined_onto(&self, mut joined: T) -> Result<Vec<u8>, JsValue> {
        for bytes in self.iter() {
            joined.join(T::decode(bytes).map_err(fail)?);
        }
        joined.encode().map_err(fail)
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
