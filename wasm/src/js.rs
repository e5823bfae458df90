//! The calls into JavaScript that can throw, declared `catch`: a getter, a Proxy trap
//! or a revoked Proxy then gives an `Err`, never an exception unwinding through Rust
//! frames (which would skip destructors and leave the object borrowed for good). Every
//! inspection of a value JavaScript passed in goes through here (user callbacks go
//! through js-sys's `Function::call*`, which are `catch` too), and what it throws
//! becomes a coded `ERR_INVALID_ARGUMENT` ([`thrown`]).

use js_sys::{Array, Function, JsString, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::invalid;

// wasm-bindgen 0.2.130 leaks an externref slot (a few bytes of wasm memory) each time
// a `catch` import that returns a JavaScript object throws: the slot for the return
// value is taken before the exception is checked, and never given back. So the
// imports below that can throw return only numbers, booleans or `Vec`s (copied into
// wasm memory inside the guarded call, nothing taken when it throws); a single value
// comes back as a one-item `Vec` from `Array.prototype.map`.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;

    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn object_entries_of(value: &JsValue) -> Result<Vec<JsValue>, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["Array", "prototype", "slice"], js_name = call)]
    fn array_slice(value: &JsValue) -> Result<Vec<JsValue>, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["Array", "prototype", "map"], js_name = call)]
    fn array_map(items: &Array, function: &Function) -> Result<Vec<JsValue>, JsValue>;

    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn number_property(target: &JsValue, key: &JsValue) -> Result<Option<f64>, JsValue>;

    #[wasm_bindgen(catch, js_namespace = Uint8Array, js_name = from)]
    fn uint8_array_from(value: &JsValue) -> Result<Vec<u8>, JsValue>;

    /// A `Uint8Array` viewing a buffer; throws on a detached `ArrayBuffer`.
    type BufferView;

    #[wasm_bindgen(catch, constructor, js_class = "Uint8Array", js_name = Uint8Array)]
    fn view_buffer(buffer: &JsValue) -> Result<BufferView, JsValue>;

    #[wasm_bindgen(thread_local_v2, js_namespace = Reflect, js_name = get)]
    static REFLECT_GET: Function;

    #[wasm_bindgen(thread_local_v2, js_namespace = Reflect, js_name = apply)]
    static REFLECT_APPLY: Function;

    #[wasm_bindgen(thread_local_v2, js_namespace = Object, js_name = getPrototypeOf)]
    static GET_PROTOTYPE_OF: Function;
}

/// `Reflect.apply(function, this, args)`, caught, without leaking on a throw (see
/// above): `Array.prototype.map` calls `Reflect.apply` bound to the function and
/// `this` on the one item `args`. What the function throws is returned as it is.
pub(crate) fn call(
    function: &Function,
    this: &JsValue,
    args: &[JsValue],
) -> Result<JsValue, JsValue> {
    let args: Array = args.iter().collect();
    let apply: Function = REFLECT_APPLY
        .with(|apply| JsValue::from(apply.bind2(&JsValue::NULL, function, this)).unchecked_into());
    let mut result = array_map(&Array::of1(&args), &apply)?;
    Ok(result.pop().unwrap_or(JsValue::UNDEFINED))
}

/// `function(value)`, caught, its result carried out as a one-item `Vec`.
fn apply_one(function: &Function, value: &JsValue, what: &str) -> Result<JsValue, JsValue> {
    let mut result = array_map(&Array::of1(value), function).map_err(thrown(what))?;
    result
        .pop()
        .ok_or_else(|| invalid(format!("{what}: reading it gave nothing")))
}

/// `target[key]`, with `target` as a getter's `this`; getters and Proxy traps that
/// throw give a coded error.
pub(crate) fn property(target: &JsValue, key: &str, what: &str) -> Result<JsValue, JsValue> {
    if !target.is_object() && !target.is_function() {
        return Ok(JsValue::UNDEFINED);
    }
    REFLECT_GET
        .with(|get| {
            call(
                get,
                &JsValue::UNDEFINED,
                &[target.clone(), JsValue::from_str(key)],
            )
        })
        .map_err(thrown(what))
}

/// What JavaScript threw while a value was being read, as a coded error.
pub(crate) fn thrown(what: &str) -> impl FnOnce(JsValue) -> JsValue + '_ {
    move |_| invalid(format!("{what}: reading it threw"))
}

/// `Array.isArray(value)`, where a revoked Proxy throws.
pub(crate) fn is_array(value: &JsValue, what: &str) -> Result<bool, JsValue> {
    array_is_array(value).map_err(thrown(what))
}

/// The items of an array (or a Proxy of one): its `length`, bounded by `limit` (a
/// sparse array or a Proxy may claim billions of items), then a copy by
/// `Array.prototype.slice` (holes read as `undefined`); getters and traps that throw
/// give a coded error.
pub(crate) fn array_items(
    value: &JsValue,
    what: &str,
    limit: u32,
) -> Result<Vec<JsValue>, JsValue> {
    let length = number_property(value, &JsValue::from_str("length"))
        .map_err(thrown(what))?
        .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(limit)).contains(n))
        .ok_or_else(|| invalid(format!("{what}: an array of more than {limit} items")))?;
    let items = array_slice(value).map_err(thrown(what))?;
    if items.len() as f64 != length {
        return Err(invalid(format!(
            "{what}: its length changed while it was read"
        )));
    }
    Ok(items)
}

/// The own enumerable string keys and their values of an object (or a Proxy), by
/// `Object.entries`.
pub(crate) fn object_entries(
    value: &JsValue,
    what: &str,
) -> Result<Vec<(String, JsValue)>, JsValue> {
    object_entries_of(value)
        .map_err(thrown(what))?
        .into_iter()
        .map(|entry| {
            // `Object.entries` made these `[key, value]` arrays: no getters.
            let entry: &Array = entry.unchecked_ref();
            let name = string_of(&entry.get(0), what)?
                .ok_or_else(|| invalid(format!("{what}: object keys must be strings")))?;
            Ok((name, entry.get(1)))
        })
        .collect()
}

/// Whether `value` is a plain object: its prototype is `null` or `Object.prototype`
/// (whose own prototype is `null`); class instances, Maps and Dates have one more link.
pub(crate) fn is_plain_object(value: &JsValue, what: &str) -> Result<bool, JsValue> {
    if !value.is_object() || value.is_function() {
        return Ok(false);
    }
    let prototype_of = |v: &JsValue| GET_PROTOTYPE_OF.with(|f| apply_one(f, v, what));
    let proto = prototype_of(value)?;
    if proto.is_null() {
        return Ok(true);
    }
    Ok(prototype_of(&proto)?.is_null())
}

/// A copy of the bytes of a `Uint8Array`, `None` for anything else. The copy is made by
/// `Uint8Array.from`, so a subclass or Proxy that throws gives a coded error.
pub(crate) fn uint8_array_bytes(value: &JsValue, what: &str) -> Result<Option<Vec<u8>>, JsValue> {
    // `instanceof` is guarded by wasm-bindgen (a throw reads as false).
    if value.dyn_ref::<Uint8Array>().is_none() {
        return Ok(None);
    }
    uint8_array_from(value).map(Some).map_err(thrown(what))
}

/// A copy of the bytes of an `ArrayBuffer`, `None` for anything else; a detached
/// buffer (or a Proxy of one) gives a coded error.
pub(crate) fn array_buffer_bytes(value: &JsValue, what: &str) -> Result<Option<Vec<u8>>, JsValue> {
    // `instanceof` is guarded by wasm-bindgen (a throw reads as false).
    if value.dyn_ref::<js_sys::ArrayBuffer>().is_none() {
        return Ok(None);
    }
    // A detached buffer reads as 0 bytes long (and a Proxy's `byteLength` throws,
    // caught here without a leak), so the view below is only made of a live buffer,
    // whose constructor does not throw.
    let length = number_property(value, &JsValue::from_str("byteLength")).map_err(thrown(what))?;
    if length == Some(0.0) {
        return Ok(Some(Vec::new()));
    }
    let view = BufferView::view_buffer(value).map_err(thrown(what))?;
    Ok(Some(
        JsValue::from(view).unchecked_into::<Uint8Array>().to_vec(),
    ))
}

/// Whether `text` holds U+FFFD (UTF-8 `EF BF BD`). Byte by byte rather than
/// `str::contains`: the char searcher links core's panic text for a string sliced off a
/// character boundary, and with it `Debug` for `char` and ranges (about 2.5 KB). Each
/// byte is compared as a byte, the next two only after an `EF` (a comparison of
/// three-byte windows called `memcmp` at every byte: a twentieth of a large change).
pub(crate) fn holds_replacement_char(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(at, &byte)| {
        byte == 0xEF && bytes.get(at + 1) == Some(&0xBF) && bytes.get(at + 2) == Some(&0xBD)
    })
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
    if holds_replacement_char(&text) && !value.unchecked_ref::<JsString>().is_valid_utf16() {
        return Err(invalid(format!(
            "{what}: the string has a lone surrogate (not valid UTF-16), which cannot be stored exactly"
        )));
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::holds_replacement_char;

    proptest::proptest! {
        /// The byte scan finds U+FFFD exactly where `str::contains` does, among
        /// characters whose encodings share its bytes.
        #[test]
        fn finds_the_replacement_char_as_contains_does(
            text in "[a\u{FFFD}\u{FFFC}\u{EFBF}\u{BFBD}\u{FEFF}😀é]{0,12}",
        ) {
            proptest::prop_assert_eq!(holds_replacement_char(&text), text.contains('\u{FFFD}'));
        }
    }
}
