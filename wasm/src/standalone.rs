//! The standalone classes (`GCounter`, `PNCounter`, `OrSet`, `LwwRegister`,
//! `MvRegister`): the shared methods from [`crdt_class`](crate::classes), `merge` and
//! `receive`, and each type's own mutators and reads. Built with the
//! `standalone-types` feature (on by default); the `converge-crdt/document` entry is
//! built without it, a Document-only module.

use converge::{GCounter, Hlc, LwwRegister, MvRegister, OrSet, PnCounter, Value, VersionVector};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::classes::crdt_class;
use crate::error::invalid;
use crate::pending_deltas::FromWrittenPaths;
use crate::synced::{Synced, Versioned};
use crate::value::{amount, from_count, from_value, optional_number_arg, to_value};

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
