//! Replica ids, version vectors and their comparison, as JavaScript sees them:
//! ids are 16-hex-digit strings, a version is a plain object `{ [id]: counter }`.

use converge::{Causality, DecodeError, ReplicaId, VersionVector};
use js_sys::Object;
use wasm_bindgen::prelude::*;

use crate::error::{fail, invalid};
use crate::js::object_entries;
use crate::value::{define, from_count};

/// The replica id given (a hex string), or a random one when none is.
pub(crate) fn replica_or_random(id: Option<String>) -> Result<ReplicaId, JsValue> {
    match id {
        Some(text) => text.parse::<ReplicaId>().map_err(fail),
        None => ReplicaId::random().map_err(fail),
    }
}

/// Parses a replica id string.
pub(crate) fn parse_replica(text: &str) -> Result<ReplicaId, JsValue> {
    text.parse::<ReplicaId>().map_err(fail)
}

/// A version vector as `{ [replica id]: counter }`: each counter a number, or a
/// bigint past 2^53 − 1 (a counter's version counts its amounts, which can pass it),
/// as [`compareVersions`](compare_versions) takes them back.
pub(crate) fn version_to_js(vv: &VersionVector) -> JsValue {
    let object = Object::new();
    for (replica, counter) in vv.iter() {
        define(
            &object,
            &replica.to_string(),
            &from_count(i128::from(counter)),
        );
    }
    object.into()
}

/// A version's counter from JavaScript: a safe non-negative integer, or a
/// non-negative bigint within 64 bits (what `version()` gives past 2^53 − 1).
fn counter_from_js(js: &JsValue, id: &str) -> Result<u64, JsValue> {
    let refused = || {
        invalid(format!(
            "the counter of {id} is not a safe non-negative integer or a bigint of 64 bits"
        ))
    };
    if js.is_bigint() {
        return u64::try_from(js.clone()).map_err(|_| refused());
    }
    js.as_f64()
        .filter(|c| c.fract() == 0.0 && *c >= 0.0 && *c <= 9_007_199_254_740_991.0)
        .map(|c| c as u64)
        .ok_or_else(refused)
}

fn version_from_js(js: &JsValue) -> Result<VersionVector, JsValue> {
    if !js.is_object() {
        return Err(invalid(
            "a version is an object mapping replica ids to counters",
        ));
    }
    let mut vv = VersionVector::new();
    for (id, counter) in object_entries(js, "a version")? {
        let replica = parse_replica(&id)?;
        let counter = counter_from_js(&counter, &id)?;
        vv.set(replica, counter);
    }
    Ok(vv)
}

/// How two versions relate: `"equal"`, `"before"` (the first is stale), `"after"` or
/// `"concurrent"` (each has writes the other lacks).
#[wasm_bindgen(js_name = compareVersions, unchecked_return_type = "VersionOrder")]
pub fn compare_versions(
    #[wasm_bindgen(unchecked_param_type = "Version")] a: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Version")] b: JsValue,
) -> Result<String, JsValue> {
    let (a, b) = (version_from_js(&a)?, version_from_js(&b)?);
    Ok(match a.compare(&b) {
        Causality::Equal => "equal",
        Causality::Before => "before",
        Causality::After => "after",
        Causality::Concurrent => "concurrent",
    }
    .to_owned())
}

/// A fresh random replica id.
#[wasm_bindgen(js_name = randomReplicaId)]
pub fn random_replica_id() -> Result<String, JsValue> {
    ReplicaId::random()
        .map(|r| r.to_string())
        .map_err(|e: DecodeError| fail(e))
}
