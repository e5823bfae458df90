//! Plain JavaScript values to and from [`Value`]: by hand with js-sys, so no JSON
//! library or float formatting ends up in the wasm.

use std::collections::BTreeMap;

use converge::{OrMapError, PlainBuilder, Value, MAX_VALUE_DEPTH};
use js_sys::{Array, BigInt, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{fail, invalid};
use crate::js::{
    array_buffer_bytes, array_items, is_array, is_plain_object, object_entries, string_of,
    uint8_array_bytes,
};

/// A JavaScript value as a [`Value`], exactly or not at all (the table is "Value
/// mapping" in the package README): `null`, booleans, numbers (safe integers become
/// integers, others floats; `-0` is the integer 0, as in JSON), bigints outside the
/// safe-integer range within 64 bits (inside it a bigint would read back as a number,
/// so it is refused: pass a number), strings without lone surrogates, `Uint8Array`s
/// (bytes), arrays and plain objects. `undefined` is refused as a value and as an
/// array item; an object property whose value is `undefined` is left out, as
/// `JSON.stringify` does. Anything else, and any getter, Proxy trap or revoked Proxy
/// that throws while the value is read, is an `ERR_INVALID_ARGUMENT` error.
///
/// The conversion stops at the depth a document accepts ([`MAX_VALUE_DEPTH`], checked
/// by the document itself on every write), with the document's error: so every class
/// refuses a too-deep value alike, and a cyclic object ends in an error, not a stack
/// overflow.
pub(crate) fn to_value(js: &JsValue) -> Result<Value, JsValue> {
    to_value_at(js, 0)
}

/// The error for a container at `depth` that would nest past [`MAX_VALUE_DEPTH`].
fn too_deep(depth: usize) -> Result<(), JsValue> {
    if depth >= MAX_VALUE_DEPTH {
        return Err(fail(OrMapError::ValueTooDeep {
            depth: depth + 1,
            max: MAX_VALUE_DEPTH,
        }));
    }
    Ok(())
}

/// The largest safe integer, 2^53 − 1.
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// The most items an array value (or an array of bytes) may have: 2^24, so a sparse
/// array or a Proxy that claims billions is refused before memory runs out.
pub(crate) const MAX_ITEMS: u32 = 1 << 24;

/// A JavaScript number as a [`Value`]: an integer within the safe range as
/// [`Value::Int`], any other as [`Value::Float`].
pub(crate) fn number_value(n: f64) -> Value {
    let safe = n.fract() == 0.0 && n.abs() <= MAX_SAFE;
    if safe {
        Value::Int(n as i64)
    } else {
        Value::Float(n)
    }
}

fn to_value_at(js: &JsValue, depth: usize) -> Result<Value, JsValue> {
    // Each test below is one call into JavaScript, and they exclude one another: the
    // commonest values (numbers, then strings) are tested first.
    if let Some(n) = js.as_f64() {
        return Ok(number_value(n));
    }
    if let Some(s) = string_of(js, "a string value")? {
        return Ok(Value::Str(s));
    }
    if js.is_null() {
        return Ok(Value::Null);
    }
    if js.is_undefined() {
        return Err(invalid(
            "undefined is not a value (use null); an object property set to undefined is left out",
        ));
    }
    if let Some(b) = js.as_bool() {
        return Ok(Value::Bool(b));
    }
    if js.is_bigint() {
        let n = i64::try_from(js.clone())
            .map_err(|_| invalid("a bigint value must fit in 64 signed bits"))?;
        if n.unsigned_abs() <= MAX_SAFE as u64 {
            return Err(invalid(
                "a bigint within the safe-integer range would read back as a number: pass a number",
            ));
        }
        return Ok(Value::Int(n));
    }
    if let Some(bytes) = uint8_array_bytes(js, "a Uint8Array value")? {
        return Ok(Value::Bytes(bytes));
    }
    if is_array(js, "a value")? {
        too_deep(depth)?;
        let items = array_items(js, "an array value", MAX_ITEMS)?
            .iter()
            .map(|item| to_value_at(item, depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Value::Array(items));
    }
    if is_plain_object(js, "a value")? {
        too_deep(depth)?;
        let mut fields = BTreeMap::new();
        for (name, field) in object_entries(js, "an object value")? {
            if !field.is_undefined() {
                fields.insert(name, to_value_at(&field, depth + 1)?);
            }
        }
        return Ok(Value::Object(fields));
    }
    Err(invalid(
        "values must be null, booleans, numbers, bigints, strings, Uint8Arrays, arrays or plain objects",
    ))
}

/// A [`Value`] as a plain JavaScript value (integers beyond the safe range become
/// bigints, bytes `Uint8Array`s).
pub(crate) fn from_value(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Int(i) if i.unsigned_abs() <= 9_007_199_254_740_991 => JsValue::from_f64(*i as f64),
        Value::Int(i) => BigInt::from(*i).into(),
        Value::Float(f) => JsValue::from_f64(*f),
        Value::Str(s) => JsValue::from_str(s),
        Value::Bytes(b) => Uint8Array::from(b.as_slice()).into(),
        Value::Array(items) => items.iter().map(from_value).collect::<Array>().into(),
        Value::Object(fields) => {
            let object = Object::new();
            for (k, v) in fields {
                define(&object, k, &from_value(v));
            }
            object.into()
        }
    }
}

/// Builds a document's plain data as JavaScript values directly: values as
/// [`from_value`] makes them, counters exactly ([`from_count`]), sets and siblings as
/// arrays, maps as plain objects.
#[derive(Debug)]
pub(crate) struct JsBuilder;

impl PlainBuilder for JsBuilder {
    type Output = JsValue;

    fn value(&mut self, value: &Value) -> JsValue {
        from_value(value)
    }

    fn count(&mut self, count: i128) -> JsValue {
        from_count(count)
    }

    fn array(&mut self, items: Vec<JsValue>) -> JsValue {
        items.into_iter().collect::<Array>().into()
    }

    fn object(&mut self, fields: Vec<(&str, JsValue)>) -> JsValue {
        let object = Object::new();
        for (key, value) in fields {
            define(&object, key, &value);
        }
        object.into()
    }
}

/// A count (`u128` or `i128`) as a number when it is a safe integer, else a bigint.
pub(crate) fn from_count(n: i128) -> JsValue {
    if n.unsigned_abs() <= 9_007_199_254_740_991 {
        JsValue::from_f64(n as f64)
    } else {
        // Integer formatting only: no float formatting enters the wasm.
        BigInt::new(&JsValue::from_str(&n.to_string()))
            .map_or(JsValue::from_f64(n as f64), Into::into)
    }
}

/// Defines an own, enumerable data property `key` on `object`. Unlike assignment, a
/// key named `__proto__` becomes a plain property instead of replacing the prototype.
pub(crate) fn define(object: &Object, key: &str, value: &JsValue) {
    let descriptor = Object::new();
    for (name, v) in [
        ("value", value.clone()),
        ("writable", JsValue::TRUE),
        ("enumerable", JsValue::TRUE),
        ("configurable", JsValue::TRUE),
    ] {
        // Setting a property on a fresh descriptor object cannot fail.
        let _ = Reflect::set(&descriptor, &JsValue::from_str(name), &v);
    }
    Object::define_property(object, &JsValue::from_str(key), &descriptor);
}

/// A string argument (an id), or a coded error naming what was expected.
pub(crate) fn string_arg(js: &JsValue, what: &str) -> Result<String, JsValue> {
    string_of(js, what)?.ok_or_else(|| invalid(format!("{what} must be a string")))
}

/// An optional string argument: `undefined`/`null` mean none.
pub(crate) fn optional_string_arg(js: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if js.is_undefined() || js.is_null() {
        Ok(None)
    } else {
        string_arg(js, what).map(Some)
    }
}

/// Bytes from JavaScript: a `Uint8Array` (a Node `Buffer` is one), an `ArrayBuffer`,
/// or an array of integers 0..=255; anything else is a coded error.
pub(crate) fn bytes_arg(js: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(bytes) = uint8_array_bytes(js, what)? {
        return Ok(bytes);
    }
    if let Some(bytes) = array_buffer_bytes(js, what)? {
        return Ok(bytes);
    }
    if is_array(js, what)? {
        return array_items(js, what, MAX_ITEMS)?
            .iter()
            .map(|b| {
                b.as_f64()
                    .filter(|n| n.fract() == 0.0 && (0.0..=255.0).contains(n))
                    .map(|n| n as u8)
                    .ok_or_else(|| {
                        invalid(format!("{what}: array items must be integers 0 to 255"))
                    })
            })
            .collect();
    }
    Err(invalid(format!(
        "{what} must be a Uint8Array, an ArrayBuffer or an array of bytes"
    )))
}

/// An optional number argument (`undefined`/`null`: none); strings and other types
/// are refused rather than coerced.
pub(crate) fn optional_number_arg(js: &JsValue, what: &str) -> Result<Option<f64>, JsValue> {
    // A number first: one call into JavaScript for the common case.
    if let Some(n) = js.as_f64() {
        return Ok(Some(n));
    }
    if js.is_undefined() || js.is_null() {
        return Ok(None);
    }
    Err(invalid(format!("{what} must be a number")))
}

/// A path from JavaScript: one key, or an array of keys (strings without lone
/// surrogates; an array or Proxy that throws while read is a coded error).
pub(crate) fn path_of(js: &JsValue) -> Result<Vec<String>, JsValue> {
    if let Some(key) = string_of(js, "a path key")? {
        return Ok(vec![key]);
    }
    if is_array(js, "a path")? {
        let keys: Vec<String> = array_items(js, "a path", MAX_ITEMS)?
            .into_iter()
            .map(|k| {
                string_of(&k, "a path key")?.ok_or_else(|| invalid("path keys must be strings"))
            })
            .collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Err(invalid("a path needs at least one key"));
        }
        return Ok(keys);
    }
    Err(invalid("a path is a string key or an array of string keys"))
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

/// The bytes `merge` was given: a Uint8Array, or what an object's `encode()` returns.
pub(crate) fn merge_bytes(other: &JsValue) -> Result<Vec<u8>, JsValue> {
    let bytes = if let Some(bytes) = crate::js::uint8_array_bytes(other, "merge's argument")? {
        bytes
    } else {
        let encode = crate::js::property(other, "encode", "merge's argument")
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| invalid("merge takes a Uint8Array or an object of the same class"))?;
        let encoded = crate::js::call(&encode, other, &[]).map_err(|_| {
                invalid("could not encode the object given to merge (an object merged into itself is already merged)")
            })?;
        crate::js::uint8_array_bytes(&encoded, "encode()'s result")?
            .ok_or_else(|| invalid("encode() did not return a Uint8Array"))?
    };
    Ok(bytes)
}

/// The plain value at the JavaScript `path` of `doc` (registers read under
/// `policies`), or `undefined`: both `Document` classes' `get`.
pub(crate) fn plain_at(
    doc: &converge::Document,
    path: &JsValue,
    policies: &converge::Policies,
) -> Result<JsValue, JsValue> {
    let path = path_of(path)?;
    let keys: Vec<&str> = path.iter().map(String::as_str).collect();
    Ok(doc.get_at(&keys).map_or(JsValue::UNDEFINED, |node| {
        node.to_plain_at(&path, policies, &mut JsBuilder)
    }))
}
