//! The `Document` of the `converge-crdt/core` entry: the document alone, with no sync
//! replica around it. Writes of every kind, reads, `encode`/`decode`, `takeDelta` and
//! `merge`; no sync session, merge report, field policies, change events or batched
//! `change()` (the `converge-crdt` and `converge-crdt/document` entries have those).
//! This is the split Yjs makes between `yjs` (the document and its updates) and
//! `y-protocols` (the sync protocol): a page that only keeps and merges documents
//! ships about half the bytes (benches/size/README.md).
//!
//! Built when the crate's `document-replica` feature is off (see lib.rs); every write
//! is `Document::write_leaf` under an empty set of policies, kept for `takeDelta()` by
//! the full class's [`PendingDeltas`], and every merge `Lattice::join`: the same
//! write, join and delta code the full class runs.

use converge::ormap::Write;
use converge::{Codec, Document, Hlc, Lattice, Policies, ReplicaId, WriteGuard};
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use crate::error::fail;
use crate::headroom::keep_headroom;
use crate::ids::{replica_or_random, version_to_js};
use crate::pending_deltas::PendingDeltas;
use crate::value::{
    amount, bytes_arg, merge_bytes, optional_string_arg, path_of, plain_at, to_value, JsBuilder,
};

/// The JavaScript `Document` class of the `converge-crdt/core` entry.
#[wasm_bindgen(js_name = "Document")]
pub struct CoreDocument {
    state: Document,
    replica: ReplicaId,
    clock: Hlc,
    /// The local writes' deltas since the last `takeDelta()`.
    pending: PendingDeltas<Document>,
    /// Always empty: the write guard reads it (no field is authority-owned here).
    policies: Policies,
}

impl std::fmt::Debug for CoreDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("replica", &self.replica)
            .finish_non_exhaustive()
    }
}

impl CoreDocument {
    fn holding(state: Document, replica_id: Option<JsValue>) -> Result<CoreDocument, JsValue> {
        let replica_id =
            optional_string_arg(&replica_id.unwrap_or(JsValue::UNDEFINED), "replicaId")?;
        Ok(CoreDocument {
            state,
            replica: replica_or_random(replica_id)?,
            clock: Hlc::default(),
            pending: PendingDeltas::default(),
            policies: Policies::new(),
        })
    }

    /// Applies `write` at the JavaScript `path` and keeps its delta for `takeDelta()`.
    fn write(&mut self, path: &JsValue, write: Write) -> Result<(), JsValue> {
        let path = path_of(path)?;
        keep_headroom()?;
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let guard = WriteGuard {
            writer: self.replica,
            policies: &self.policies,
            if_match: None,
        };
        let leaf = self
            .state
            .write_leaf(&keys, write, &guard, &mut self.clock)
            .map_err(fail)?;
        self.pending.push_leaf(self.replica, (&path, &keys), leaf);
        Ok(())
    }
}

#[wasm_bindgen(js_class = "Document")]
impl CoreDocument {
    /// A new, empty document; `replicaId` is 16 hex digits, random if omitted.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = replicaId, unchecked_optional_param_type = "string")]
        replica_id: Option<JsValue>,
    ) -> Result<CoreDocument, JsValue> {
        CoreDocument::holding(Document::new(), replica_id)
    }

    /// A document holding the state in `bytes` (from `encode()` or `takeDelta()`),
    /// written by `replicaId` (random if omitted).
    pub fn decode(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
        #[wasm_bindgen(js_name = replicaId, unchecked_optional_param_type = "string")]
        replica_id: Option<JsValue>,
    ) -> Result<CoreDocument, JsValue> {
        let bytes = bytes_arg(&bytes, "bytes")?;
        CoreDocument::holding(Document::decode(&bytes).map_err(fail)?, replica_id)
    }

    /// This document's replica id, the id its writes are made under.
    #[wasm_bindgen(getter, js_name = replicaId)]
    pub fn replica_id(&self) -> String {
        self.replica.to_string()
    }

    /// The full state as bytes (equal states give equal bytes).
    pub fn encode(&self) -> Result<Uint8Array, JsValue> {
        let bytes = self.state.encode().map_err(fail)?;
        Ok(Uint8Array::from(bytes.as_slice()))
    }

    /// The join of the local writes since the last call, as bytes for `merge()`
    /// elsewhere; `undefined` if there were none. If they cannot be encoded they stay
    /// pending.
    #[wasm_bindgen(js_name = takeDelta)]
    pub fn take_delta(&mut self) -> Result<Option<Uint8Array>, JsValue> {
        let bytes = self.pending.take(&self.state)?;
        Ok(bytes.map(|b| Uint8Array::from(b.as_slice())))
    }

    /// Joins a state or delta: bytes from `encode()` or `takeDelta()`, or another
    /// `Document` (whose `encode()` is called).
    pub fn merge(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | Document")] other: JsValue,
    ) -> Result<(), JsValue> {
        let bytes = merge_bytes(&other)?;
        keep_headroom()?;
        let other = Document::decode(&bytes).map_err(fail)?;
        self.state.join(other);
        Ok(())
    }

    /// The writes seen, as `{ [replicaId]: counter }` (compare two with
    /// `compareVersions`); a counter past 2^53 − 1 is a bigint.
    #[wasm_bindgen(unchecked_return_type = "Version")]
    pub fn version(&self) -> JsValue {
        version_to_js(self.state.version())
    }

    /// Sets the last-writer-wins register at `path` to `value`.
    pub fn set(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.write(&path, Write::Set(value))
    }

    /// Writes `value` to the multi-value register at `path` (concurrent writes all stay).
    #[wasm_bindgen(js_name = setMulti)]
    pub fn set_multi(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.write(&path, Write::SetMulti(value))
    }

    /// Adds `n` (default 1) to the counter at `path`.
    pub fn increment(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] n: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let by = amount(n)?;
        self.write(&path, Write::Increment(by))
    }

    /// Subtracts `n` (default 1) from the counter at `path`.
    pub fn decrement(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] n: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let by = amount(n)?;
        self.write(&path, Write::Decrement(by))
    }

    /// Adds `value` to the set at `path`.
    #[wasm_bindgen(js_name = addToSet)]
    pub fn add_to_set(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.write(&path, Write::AddToSet(value))
    }

    /// Removes `value` from the set at `path`, as observed here.
    #[wasm_bindgen(js_name = removeFromSet)]
    pub fn remove_from_set(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.write(&path, Write::RemoveFromSet(value))
    }

    /// Turns on the enable-wins flag at `path`.
    pub fn enable(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
    ) -> Result<(), JsValue> {
        self.write(&path, Write::Enable)
    }

    /// Turns off the flag at `path`, as observed here (a concurrent enable wins).
    pub fn disable(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
    ) -> Result<(), JsValue> {
        self.write(&path, Write::Disable)
    }

    /// Removes the key at the end of `path`, as observed here (concurrent updates
    /// under it survive).
    pub fn remove(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
    ) -> Result<(), JsValue> {
        self.write(&path, Write::Remove)
    }

    /// The plain value at `path` (a register's concurrent writes read as
    /// last-writer-wins), or `undefined`. Counters are numbers, or bigints outside the
    /// safe-integer range.
    #[wasm_bindgen(unchecked_return_type = "Value | undefined")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
    ) -> Result<JsValue, JsValue> {
        plain_at(&self.state, &path, &self.policies)
    }

    /// The whole document as plain data.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "{ [key: string]: Value }")]
    pub fn to_json(&self) -> JsValue {
        self.state.to_plain_with(&self.policies, &mut JsBuilder)
    }
}
