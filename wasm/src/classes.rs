//! The JavaScript classes: one per converge type, each a thin wrapper over
//! [`Synced`], with the same sync, encoding and delta methods (written once, in the
//! macro below) and the type's own mutators and reads.

use converge::{
    Document, GCounter, Hlc, LwwRegister, MvRegister, OrSet, PnCounter, Value, VersionVector,
};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::error::invalid;
use crate::pending_deltas::FromWrittenPaths;
use crate::synced::{Synced, Versioned};
use crate::value::{from_count, from_value, optional_number_arg, to_value};

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

/// `merge` and `receive` as every class but `Document` has them (a `Document`'s
/// return a merge report: see document.rs).
macro_rules! plain_merge {
    ($class:ident, $js:literal) => {
        #[wasm_bindgen(js_class = $js)]
        impl $class {
            /// Joins a state or delta (bytes, or another object of this class); returns
            /// how many concurrent writes the merge met.
            pub fn merge(
                &mut self,
                #[wasm_bindgen(unchecked_param_type = "Uint8Array | this")] other: JsValue,
            ) -> Result<u32, JsValue> {
                self.inner.merge(&other)
            }

            /// Applies a sync message; returns the reply to send back, if any.
            pub fn receive(
                &mut self,
                #[wasm_bindgen(unchecked_param_type = "Uint8Array")] message: JsValue,
            ) -> Result<Option<Uint8Array>, JsValue> {
                self.inner
                    .receive(&crate::value::bytes_arg(&message, "message")?)
            }
        }
    };
}

/// Nothing extra: for classes whose mutators need no clock.
type NoExtra = ();

crdt_class!(JsGCounter, "GCounter", GCounter, none: NoExtra = ());
crdt_class!(JsPnCounter, "PNCounter", PnCounter, none: NoExtra = ());
crdt_class!(JsOrSet, "OrSet", OrSet<Value>, none: NoExtra = ());
crdt_class!(JsLwwRegister, "LwwRegister", LwwRegister<Value>, clock: Hlc = Hlc::default());
crdt_class!(JsMvRegister, "MvRegister", MvRegister<Value>, none: NoExtra = ());

plain_merge!(JsGCounter, "GCounter");
plain_merge!(JsPnCounter, "PNCounter");
plain_merge!(JsOrSet, "OrSet");
plain_merge!(JsLwwRegister, "LwwRegister");
plain_merge!(JsMvRegister, "MvRegister");

// Only a document keeps its pending deltas per first key.
impl FromWrittenPaths for GCounter {}
impl FromWrittenPaths for PnCounter {}
impl FromWrittenPaths for OrSet<Value> {}
impl FromWrittenPaths for LwwRegister<Value> {}
impl FromWrittenPaths for MvRegister<Value> {}

impl Versioned for GCounter {
    fn version_vector(&self) -> VersionVector {
        self.counts().collect()
    }
}

impl Versioned for PnCounter {
    fn version_vector(&self) -> VersionVector {
        self.version()
    }
}

impl Versioned for OrSet<Value> {
    fn version_vector(&self) -> VersionVector {
        self.version().clone()
    }
}

impl Versioned for LwwRegister<Value> {
    fn version_vector(&self) -> VersionVector {
        self.version().clone()
    }
}

impl Versioned for MvRegister<Value> {
    fn version_vector(&self) -> VersionVector {
        self.version().clone()
    }
}

impl Versioned for Document {
    fn version_vector(&self) -> VersionVector {
        self.version().clone()
    }
}

/// A count from JavaScript: a non-negative safe integer (default 1).
pub(crate) fn amount(n: Option<JsValue>) -> Result<u64, JsValue> {
    let n = optional_number_arg(&n.unwrap_or(JsValue::UNDEFINED), "the amount")?.unwrap_or(1.0);
    if n.is_nan() || n.fract() != 0.0 || !(0.0..=9_007_199_254_740_991.0).contains(&n) {
        return Err(invalid(format!(
            "the amount must be a non-negative safe integer, not {}",
            if n.is_nan() { "NaN" } else { "this number" }
        )));
    }
    Ok(n as u64)
}

#[wasm_bindgen(js_class = "GCounter")]
impl JsGCounter {
    /// Adds `n` (default 1): a non-negative safe integer.
    pub fn increment(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] n: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let by = amount(n)?;
        self.inner.try_write(|c, me| c.increment(me, by))
    }

    /// The value (a number, or a bigint past 2^53).
    #[wasm_bindgen(getter, unchecked_return_type = "number | bigint")]
    pub fn value(&self) -> JsValue {
        from_count(i128::try_from(self.inner.state().value()).unwrap_or(i128::MAX))
    }
}

#[wasm_bindgen(js_class = "PNCounter")]
impl JsPnCounter {
    /// Adds `n` (default 1).
    pub fn increment(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] n: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let by = amount(n)?;
        self.inner.try_write(|c, me| c.increment(me, by))
    }

    /// Subtracts `n` (default 1).
    pub fn decrement(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] n: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let by = amount(n)?;
        self.inner.try_write(|c, me| c.decrement(me, by))
    }

    /// The value (a number, or a bigint beyond ±2^53).
    #[wasm_bindgen(getter, unchecked_return_type = "number | bigint")]
    pub fn value(&self) -> JsValue {
        from_count(self.inner.state().value())
    }
}

#[wasm_bindgen(js_class = "OrSet")]
impl JsOrSet {
    /// Adds `value`.
    pub fn add(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.inner.write(|s, me| s.add(me, value))
    }

    /// Removes `value` as observed here (a concurrent add elsewhere wins).
    pub fn remove(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.inner.write(|s, _| s.remove(&value))
    }

    /// Whether `value` is in the set.
    pub fn has(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<bool, JsValue> {
        Ok(self.inner.state().contains(&to_value(&value)?))
    }

    /// Removes every element observed here.
    pub fn clear(&mut self) -> Result<(), JsValue> {
        self.inner.write(|s, _| s.clear())
    }

    /// Number of elements.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.state().len()).unwrap_or(u32::MAX)
    }

    /// The elements, in a order every replica agrees on.
    #[wasm_bindgen(unchecked_return_type = "Value[]")]
    pub fn values(&self) -> Array {
        self.inner
            .state()
            .to_sorted_vec()
            .into_iter()
            .map(from_value)
            .collect()
    }
}

#[wasm_bindgen(js_class = "LwwRegister")]
impl JsLwwRegister {
    /// Writes `value`, stamped by this replica's hybrid logical clock.
    pub fn set(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        let clock = &mut self.clock;
        self.inner.write(|r, me| r.set(me, clock, value))
    }

    /// The winning value (`undefined` if never written).
    #[wasm_bindgen(getter, unchecked_return_type = "Value | undefined")]
    pub fn value(&self) -> JsValue {
        self.inner
            .state()
            .value()
            .map_or(JsValue::UNDEFINED, from_value)
    }

    /// Every live write, winner first: `{ value, writer, timestamp: { millis, logical } }`.
    /// More than one means concurrent writes: the losers are conflicts.
    #[wasm_bindgen(unchecked_return_type = "LwwWrite[]")]
    pub fn writes(&self) -> Array {
        self.inner
            .state()
            .writes()
            .into_iter()
            .map(|w| crate::document::sibling_js(w.value, w.writer(), Some(w.timestamp)))
            .collect()
    }

    /// Whether concurrent writes were made closer together than `skewToleranceMs` (a
    /// number; a negative one, NaN or none counts as 0; anything else is an
    /// `ERR_INVALID_ARGUMENT` error, not a coercion), so clock skew may have picked the winner.
    #[wasm_bindgen(js_name = isAmbiguous)]
    pub fn is_ambiguous(
        &self,
        #[wasm_bindgen(js_name = skewToleranceMs, unchecked_param_type = "number")]
        skew_tolerance_ms: JsValue,
    ) -> Result<bool, JsValue> {
        let tolerance = optional_number_arg(&skew_tolerance_ms, "skewToleranceMs")?
            .filter(|n| n.is_finite() && *n > 0.0)
            .map_or(0, |n| n as u64);
        Ok(self.inner.state().read(tolerance).is_ambiguous())
    }
}

#[wasm_bindgen(js_class = "MvRegister")]
impl JsMvRegister {
    /// Writes `value`, replacing every sibling seen here.
    pub fn set(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.inner.write(|r, me| r.write(me, value))
    }

    /// Every concurrent value (siblings), in an order every replica agrees on.
    #[wasm_bindgen(unchecked_return_type = "Value[]")]
    pub fn values(&self) -> Array {
        self.inner.state().values().map(from_value).collect()
    }

    /// The value `resolve(siblings)` settles on, with the resolver shape of a
    /// `Document`'s resolver policy: `siblings` are `{ value, writer, timestamp: null
    /// }` objects in the order every replica agrees on (as `Document` lists a
    /// multi-value field's siblings); `resolve` returns the settled value (any value,
    /// not only a sibling's), one of the sibling objects (meaning its `value`), or
    /// `undefined` (unresolved: `resolve` returns `undefined`). No sibling gives
    /// `undefined` and a single sibling its value, without calling `resolve`; an error
    /// it throws reaches the caller, and a return that is not a value throws
    /// `ERR_INVALID_ARGUMENT`.
    #[wasm_bindgen(unchecked_return_type = "Value | undefined")]
    pub fn resolve(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "(siblings: Sibling[]) => Value | Sibling | undefined"
        )]
        resolve: JsValue,
    ) -> Result<JsValue, JsValue> {
        let resolve: js_sys::Function = resolve
            .dyn_into()
            .map_err(|_| invalid("resolve takes a function"))?;
        let state = self.inner.state();
        let siblings: Vec<(converge::Dot, &Value)> = state.siblings().collect();
        match siblings.as_slice() {
            [] => Ok(JsValue::UNDEFINED),
            [(_, value)] => Ok(from_value(value)),
            _ => {
                let given: Array = siblings
                    .iter()
                    .map(|(dot, value)| crate::document::sibling_js(value, dot.replica, None))
                    .collect();
                let values: Vec<&Value> = siblings.iter().map(|(_, v)| *v).collect();
                let returned = crate::js::call(&resolve, &JsValue::NULL, &[given.clone().into()])?;
                let settled = crate::document::resolver_choice(&returned, &given, &values)?;
                Ok(settled.map_or(JsValue::UNDEFINED, |v| from_value(&v)))
            }
        }
    }
}
