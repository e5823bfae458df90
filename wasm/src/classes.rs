//! What every JavaScript class shares: one class per converge type, each a thin
//! wrapper over [`Synced`](crate::synced::Synced), with the same sync, encoding and
//! delta methods, written once in the macro below (`Document` in document.rs, the
//! standalone types in standalone.rs).

use converge::{Document, VersionVector};

use crate::synced::Versioned;

/// Generates a class's shared methods: constructor, id, encode/decode, merge,
/// takeDelta, version, the sync session and save/restore.
macro_rules! crdt_class {
    ($class:ident, $js:literal, $state:ty, $extra:ident: $extra_ty:ty = $extra_init:expr) => {
        #[doc = concat!("The JavaScript `", $js, "` class.")]
        #[wasm_bindgen(js_name = $js)]
        pub struct $class {
            inner: Synced<$state>,
            #[allow(dead_code)]
            $extra: $extra_ty,
        }

        impl std::fmt::Debug for $class {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct($js)
                    .field("replica_id", &self.inner.replica_id())
                    .finish_non_exhaustive()
            }
        }

        #[wasm_bindgen(js_class = $js)]
        impl $class {
            /// A new, empty replica; `replicaId` is 16 hex digits, random if omitted.
            #[wasm_bindgen(constructor)]
            pub fn new(
                #[wasm_bindgen(js_name = replicaId, unchecked_optional_param_type = "string")]
                replica_id: Option<JsValue>,
            ) -> Result<$class, JsValue> {
                let replica_id = crate::value::optional_string_arg(
                    &replica_id.unwrap_or(JsValue::UNDEFINED),
                    "replicaId",
                )?;
                Ok($class {
                    inner: Synced::new(replica_id, <$state>::default())?,
                    $extra: $extra_init,
                })
            }

            /// This replica's id.
            #[wasm_bindgen(getter, js_name = replicaId)]
            pub fn replica_id(&self) -> String {
                self.inner.replica_id()
            }

            /// The id this replica's writes are made under: `replicaId` for a new
            /// replica, a fresh id after `restore()` (a saved state may be older than
            /// writes made before the restart, and reusing the old id could give two
            /// different writes one name). Siblings name their `writer` by this id.
            #[wasm_bindgen(getter, js_name = writerId)]
            pub fn writer_id(&self) -> String {
                self.inner.writer_id()
            }

            /// The full state as bytes (equal states give equal bytes).
            pub fn encode(&self) -> Result<Uint8Array, JsValue> {
                self.inner.encode()
            }

            /// A replica holding the state in `bytes` (from `encode()`).
            pub fn decode(
                #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
                #[wasm_bindgen(js_name = replicaId, unchecked_optional_param_type = "string")]
                replica_id: Option<JsValue>,
            ) -> Result<$class, JsValue> {
                let bytes = crate::value::bytes_arg(&bytes, "bytes")?;
                let replica_id = crate::value::optional_string_arg(
                    &replica_id.unwrap_or(JsValue::UNDEFINED),
                    "replicaId",
                )?;
                Ok($class {
                    inner: Synced::decode(&bytes, replica_id)?,
                    $extra: $extra_init,
                })
            }

            /// The join of the local writes since the last call, as bytes for
            /// `merge()` elsewhere; `undefined` if there were none.
            #[wasm_bindgen(js_name = takeDelta)]
            pub fn take_delta(&mut self) -> Result<Option<Uint8Array>, JsValue> {
                self.inner.take_delta()
            }

            /// The writes seen, as `{ [replicaId]: counter }` (compare two with
            /// `compareVersions`); a counter past 2^53 − 1 is a bigint.
            #[wasm_bindgen(unchecked_return_type = "Version")]
            pub fn version(&self) -> JsValue {
                self.inner.version()
            }

            /// The sync message peer `peerId` needs now, or `undefined` if it has
            /// acknowledged everything.
            #[wasm_bindgen(js_name = messageFor)]
            pub fn message_for(
                &mut self,
                #[wasm_bindgen(js_name = peerId, unchecked_param_type = "string")] peer_id: JsValue,
            ) -> Result<Option<Uint8Array>, JsValue> {
                self.inner
                    .message_for(&crate::value::string_arg(&peer_id, "peerId")?)
            }

            /// The message that (re)connects to `peerId`.
            pub fn hello(
                &mut self,
                #[wasm_bindgen(js_name = peerId, unchecked_param_type = "string")] peer_id: JsValue,
            ) -> Result<Uint8Array, JsValue> {
                self.inner
                    .hello(&crate::value::string_arg(&peer_id, "peerId")?)
            }

            /// A token to persist for resuming with `peerId` after a restart.
            #[wasm_bindgen(js_name = syncToken)]
            pub fn sync_token(
                &self,
                #[wasm_bindgen(js_name = peerId, unchecked_param_type = "string")] peer_id: JsValue,
            ) -> Result<Option<Uint8Array>, JsValue> {
                self.inner
                    .sync_token(&crate::value::string_arg(&peer_id, "peerId")?)
            }

            /// Presents a persisted token; returns the hello to send its peer.
            pub fn resume(
                &mut self,
                #[wasm_bindgen(unchecked_param_type = "Uint8Array")] token: JsValue,
            ) -> Result<Uint8Array, JsValue> {
                self.inner
                    .resume(&crate::value::bytes_arg(&token, "token")?)
            }

            /// The replica (state and sync positions) as bytes, for `restore()`.
            pub fn save(&self) -> Result<Uint8Array, JsValue> {
                self.inner.save()
            }

            /// A replica saved by `save()` (it writes under a fresh id afterwards).
            pub fn restore(
                #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
            ) -> Result<$class, JsValue> {
                Ok($class {
                    inner: Synced::restore(&crate::value::bytes_arg(&bytes, "bytes")?)?,
                    $extra: $extra_init,
                })
            }

            /// Sync metrics: messages, bytes, fallbacks, conflicts, dot value clashes,
            /// buffer depth, peers, policy outcomes (documents) and dead letters dropped.
            #[wasm_bindgen(unchecked_return_type = "Metrics")]
            pub fn metrics(&self) -> JsValue {
                self.inner.metrics()
            }

            /// What this replica refused, oldest first (bounded, 256): rejected sync
            /// messages and, for documents, refused writes, as `{ kind, code, message,
            /// origin, path, bytes }`.
            #[wasm_bindgen(js_name = deadLetters, unchecked_return_type = "DeadLetter[]")]
            pub fn dead_letters(&self) -> js_sys::Array {
                self.inner.dead_letters()
            }

            /// Empties the dead-letter list (`metrics().deadLettersDropped` counts them).
            #[wasm_bindgen(js_name = clearDeadLetters)]
            pub fn clear_dead_letters(&mut self) {
                self.inner.clear_dead_letters()
            }

            /// Durable mode: from now on only writes whose save is durable
            /// (`markSaved`) are sent, and `save()` bytes carry the writer id, so
            /// `restoreDurable()` writes on under it (no new writer id per reload). A
            /// replica that has written already takes a fresh writer id first.
            #[wasm_bindgen(js_name = enableDurableWriter)]
            pub fn enable_durable_writer(&mut self) -> Result<(), JsValue> {
                self.inner.enable_durable_writer()
            }

            /// Whether the replica is in durable mode.
            #[wasm_bindgen(getter, js_name = durableWriter)]
            pub fn durable_writer(&self) -> bool {
                self.inner.is_durable_writer()
            }

            /// A replica saved by `save()`, in durable mode: it writes on under the
            /// saved writer id if the saving replica was durable too (else under a
            /// fresh one, kept from then on). One live replica per saved bytes.
            #[wasm_bindgen(js_name = restoreDurable)]
            pub fn restore_durable(
                #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
            ) -> Result<$class, JsValue> {
                Ok($class {
                    inner: Synced::restore_durable(&crate::value::bytes_arg(&bytes, "bytes")?)?,
                    $extra: $extra_init,
                })
            }

            /// The mark of a `save()` taken now (call both in the same task): pass it
            /// to `markSaved` once the bytes are durable.
            #[wasm_bindgen(js_name = saveMark)]
            pub fn save_mark(&self) -> f64 {
                self.inner.save_mark()
            }

            /// Says the save taken at `mark` is durable: its writes may be sent.
            #[wasm_bindgen(js_name = markSaved)]
            pub fn mark_saved(
                &mut self,
                #[wasm_bindgen(unchecked_param_type = "number")] mark: JsValue,
            ) -> Result<(), JsValue> {
                let mark = mark
                    .as_f64()
                    .ok_or_else(|| invalid("markSaved takes the number saveMark() returned"))?;
                self.inner.mark_saved(mark)
            }

            /// How many writes (sequence numbers) wait for a durable save before they
            /// can be sent; 0 when not in durable mode.
            #[wasm_bindgen(getter)]
            pub fn unsaved(&self) -> f64 {
                self.inner.unsaved()
            }
        }
    };
}

pub(crate) use crdt_class;

impl Versioned for Document {
    fn version_vector(&self) -> VersionVector {
        self.version().clone()
    }
}
