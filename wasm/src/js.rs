//! The calls into JavaScript that can throw, declared `catch`: a getter, a Proxy trap
//! or a revoked Proxy then gives an `Err`, never an exception unwinding through Rust
//! frames (which would skip destructors and leave the object borrowed for good). Every
//! inspection of a value JavaScript passed in goes through here or through js-sys
//! calls that are `catch` already (`Reflect::get`, `Function::call1`), and what they
//! throw becomes a coded `ERR_INVALID_ARGUMENT` ([`thrown`]).

use js_sys::{Array, JsString, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::invalid;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;

    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(value: &JsValue) -> Result<Array, JsValue>;

    #[wasm_bindgen(catch, js_namespace = Object, js_name = getPrototypeOf)]
    fn object_get_prototype_of(value: &JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = Uint8Array, js_name = from)]
    fn uint8_array_from(value: &JsValue) -> Result<Uint8Array, JsValue>;
}

/// What JavaScript threw while a value was being read, as a coded error.
pub(crate) fn thrown(what: &str) -> impl FnOnce(JsValue) -> JsValue + '_ {
    move |_| invalid(format!("{what}: reading it threw"))
}

/// `Array.isArray(value)`, where a revoked Proxy throws.
pub(crate) fn is_array(value: &JsValue, what: &str) -> Result<bool, JsValue> {
    array_is_array(value).map_err(thrown(what))
}

/// The items of an array (or a Proxy of one), read lazily: its `length`, then each
/// index with `Reflect.get`, so getters and traps that throw give a coded error and a
/// conversion that fails stops reading. `limit` bounds the length (a sparse array or
/// a Proxy may claim billions of items).
pub(crate) fn array_items<'a>(
    value: &'a JsValue,
    what: &'a str,
    limit: u32,
) -> Result<impl Iterator<Item = Result<JsValue, JsValue>> + 'a, JsValue> {
    let length = js_sys::Reflect::get(value, &JsValue::from_str("length")).map_err(thrown(what))?;
    let length = length
        .as_f64()
        .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(limit)).contains(n))
        .ok_or_else(|| invalid(format!("{what}: an array of more than {limit} items")))?;
    Ok((0..length as u32).map(move |i| js_sys::Reflect::get_u32(value, i).map_err(thrown(what))))
}

/// The own enumerable string keys and their values of an object (or a Proxy).
pub(crate) fn object_entries(
    value: &JsValue,
    what: &str,
) -> Result<Vec<(String, JsValue)>, JsValue> {
    let keys = object_keys(value).map_err(thrown(what))?;
    // `Object.keys` made this array: plain strings, no getters.
    keys.iter()
        .map(|key| {
            let name = string_of(&key, what)?
                .ok_or_else(|| invalid(format!("{what}: object keys must be strings")))?;
            let field = js_sys::Reflect::get(value, &key).map_err(thrown(what))?;
            Ok((name, field))
        })
        .collect()
}

/// Whether `value` is a plain object: its prototype is `null` or `Object.prototype`
/// (whose own prototype is `null`); class instances, Maps and Dates have one more link.
pub(crate) fn is_plain_object(value: &JsValue, what: &str) -> Result<bool, JsValue> {
    if !value.is_object() || value.is_function() {
        return Ok(false);
    }
    let proto = object_get_prototype_of(value).map_err(thrown(what))?;
    if proto.is_null() {
        return Ok(true);
    }
    Ok(object_get_prototype_of(&proto)
        .map_err(thrown(what))?
        .is_null())
}

/// A copy of the bytes of a `Uint8Array`, `None` for anything else. The copy is made by
/// `Uint8Array.from`, so a subclass or Proxy that throws gives a coded error.
pub(crate) fn uint8_array_bytes(value: &JsValue, what: &str) -> Result<Option<Vec<u8>>, JsValue> {
    // `instanceof` is guarded by wasm-bindgen (a throw reads as false).
    if value.dyn_ref::<Uint8Array>().is_none() {
        return Ok(None);
    }
    let copy = uint8_array_from(value).map_err(thrown(what))?;
    Ok(Some(copy.to_vec()))
}

/// A JavaScript string as a Rust `String`, `None` if `value` is no string. A string
/// with a lone surrogate (no valid UTF-16, so no UTF-8 either) is refused rather than
/// read with U+FFFD in its place, which would merge two distinct keys or values.
pub(crate) fn string_of(value: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    let Some(text) = value.as_string() else {
        return Ok(None);
    };
    // The conversion put U+FFFD for each lone surrogate; a real U+FFFD is rare, so
    // only then is the string checked unit by unit.
    if text.contains('\u{FFFD}') && !value.unchecked_ref::<JsString>().is_valid_utf16() {
        return Err(invalid(format!(
            "{what}: the string has a lone surrogate (not valid UTF-16), which cannot be stored exactly"
        )));
    }
    Ok(Some(text))
}
