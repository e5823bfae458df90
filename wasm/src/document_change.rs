//! `Document.change(fn)`: many writes for one call into the wasm. The recorder `fn` is
//! given (JavaScript, added to the glue by `wasm/npm/scripts/entries.mjs`) keeps each
//! write as a kind code, the path (a string path written again, once) and the value,
//! untouched; when `fn` returns, one call
//! to `Document.__applyChange` converts them all here and applies them as one change
//! (`Document::write_all`: one delta, all or nothing).

use std::collections::HashMap;

use converge::ormap::Write;
use foldhash::fast::RandomState;
use js_sys::{Float64Array, Uint32Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::invalid;
use crate::js::{array_items, is_array};
use crate::packed_path::unpack_path;
use crate::value::{amount, number_value, to_value, MAX_ITEMS};

#[wasm_bindgen(typescript_custom_section)]
const DOCUMENT_CHANGE_TS: &str = r#"
/**
 * What `Document.change(fn)` gives `fn`: the document's write methods, recorded and
 * applied together when `fn` returns (one call into the wasm, one delta, one change
 * event), all or nothing; and its reads, which first apply the
 * writes recorded so far, so they see them.
 */
export interface DocumentChange {
  /** Records `Document.set(path, value)`. */
  set(path: Path, value: Value): void;
  /** Records `Document.setMulti(path, value)`. */
  setMulti(path: Path, value: Value): void;
  /** Records `Document.increment(path, n)`. */
  increment(path: Path, n?: number): void;
  /** Records `Document.decrement(path, n)`. */
  decrement(path: Path, n?: number): void;
  /** Records `Document.addToSet(path, value)`. */
  addToSet(path: Path, value: Value): void;
  /** Records `Document.removeFromSet(path, value)`. */
  removeFromSet(path: Path, value: Value): void;
  /** Records `Document.enable(path)`. */
  enable(path: Path): void;
  /** Records `Document.disable(path)`. */
  disable(path: Path): void;
  /** Records `Document.remove(path)`. */
  remove(path: Path): void;
  /** `Document.get(path)`, after applying the writes recorded so far. */
  get(path: Path): Value | undefined;
  /** `Document.read(path, options)`, after applying the writes recorded so far. */
  read(path: Path, options?: ReadOptions): FieldRead | undefined;
  /** `Document.toJSON()`, after applying the writes recorded so far. */
  toJSON(): { [key: string]: Value };
}

export interface Document {
  /**
   * Runs `fn` with a recorder of writes, then applies them in one call: one delta
   * for `takeDelta()` and the peers, and one change event listing every path
   * written. All or nothing: if `fn` throws, or a recorded write is
   * refused (a bad path or value, `ERR_NOT_AUTHORITY`, `ERR_TOO_DEEP`), no write
   * recorded since the last read through the recorder is applied, and the error is
   * thrown. A read through the recorder (`get`, `read`, `toJSON`) applies the writes
   * recorded before it, so it sees them; those stay applied whatever happens later.
   * Write options (`ifMatch`) are refused inside a change: make conditional writes
   * one at a time. `fn` must be synchronous; returns what it returns.
   */
  change<R>(fn: (d: DocumentChange) => R): R;
}
"#;

/// The kind codes of the recorder, in the order of [`Write`]'s variants.
const SET: u8 = 0;
const SET_MULTI: u8 = 1;
const INCREMENT: u8 = 2;
const DECREMENT: u8 = 3;
const ADD_TO_SET: u8 = 4;
const REMOVE_FROM_SET: u8 = 5;
const ENABLE: u8 = 6;
const DISABLE: u8 = 7;
const REMOVE: u8 = 8;

/// A change's distinct paths, and each write with the index of its path.
pub(crate) type RecordedWrites = (Vec<Vec<String>>, Vec<(usize, Write)>);

/// Marks a kind code whose value is the next of the change's numbers (a number value
/// is sent in a `Float64Array`, not as one `JsValue` each).
const NUMBER: u8 = 16;

/// Marks a kind code whose path is packed into one string (see `packed_path.rs`).
const PACKED: u8 = 32;

/// The recorded writes as paths and [`Write`]s: `kinds` (a `Uint8Array` of kind
/// codes), `at` (a `Uint32Array` as long: the index of each write's path in `paths`),
/// `paths` (the distinct paths: the recorder sends a string path written many times
/// once), `args` (an array: the value or amount of each write whose kind is not
/// marked [`NUMBER`], in order), `numbers` (a `Float64Array`: the value of each
/// write whose kind is so marked, in order) and `packed_text` (the packed paths of
/// `paths` again, in order, each followed by `;`, or `undefined`). Returns the paths,
/// converted, and each write with the index of its path. Any path or value the
/// single-write methods would refuse is refused here, naming the first write that
/// uses it, before anything is applied.
pub(crate) fn writes_of(
    kinds: &JsValue,
    at: &JsValue,
    paths: &JsValue,
    args: &JsValue,
    numbers: &JsValue,
    packed_text: &JsValue,
) -> Result<RecordedWrites, JsValue> {
    let internal = || invalid("__applyChange is internal to Document.change");
    let kinds = kinds.dyn_ref::<Uint8Array>().ok_or_else(internal)?.to_vec();
    let at = at.dyn_ref::<Uint32Array>().ok_or_else(internal)?.to_vec();
    let numbers = numbers
        .dyn_ref::<Float64Array>()
        .ok_or_else(internal)?
        .to_vec();
    if !is_array(paths, "the change's paths")? || !is_array(args, "the change's values")? {
        return Err(internal());
    }
    let args = array_items(args, "the change's values", MAX_ITEMS)?;
    let numbered = kinds.iter().filter(|k| *k & NUMBER != 0).count();
    if at.len() != kinds.len() || numbers.len() != numbered || args.len() != kinds.len() - numbered
    {
        return Err(internal());
    }
    // The paths' count (a path no write uses, which only a hand-made call sends, is
    // left out as empty: no write refers to it).
    let count = at
        .iter()
        .map(|&index| index as usize + 1)
        .max()
        .unwrap_or(0);
    if count > MAX_ITEMS as usize {
        return Err(internal());
    }
    // Each distinct path converted once: the packed ones from the text at once, any
    // other when a write first uses it, from the array (read only then).
    let mut converted = packed_paths(&kinds, &at, count, packed_text).ok_or_else(internal)?;
    let path_items = match converted.iter().all(Option::is_some) {
        true => Vec::new(),
        false => array_items(paths, "the change's paths", MAX_ITEMS)?,
    };
    let (mut args, mut numbers) = (args.into_iter(), numbers.into_iter());
    let mut writes = Vec::with_capacity(kinds.len());
    for (i, (kind, index)) in kinds.into_iter().zip(at).enumerate() {
        let named = |error: JsValue| name_write(error, i);
        let index = index as usize;
        let (Some(slot), item) = (converted.get_mut(index), path_items.get(index)) else {
            return Err(internal());
        };
        if slot.is_none() {
            let item = item.ok_or_else(internal)?;
            let path = match kind & PACKED != 0 {
                true => unpack_path(item),
                false => crate::value::path_of(item),
            };
            *slot = Some(path.map_err(named)?);
        }
        let kind = kind & !PACKED;
        let write = if kind & NUMBER != 0 {
            let value = number_value(numbers.next().ok_or_else(internal)?);
            match kind & !NUMBER {
                SET => Write::Set(value),
                SET_MULTI => Write::SetMulti(value),
                ADD_TO_SET => Write::AddToSet(value),
                REMOVE_FROM_SET => Write::RemoveFromSet(value),
                _ => return Err(internal()),
            }
        } else {
            let arg = args.next().ok_or_else(internal)?;
            write_of(kind, arg).map_err(named)?
        };
        writes.push((index, write));
    }
    let paths = converted
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    Ok((paths, writes))
}

/// The change's `count` paths, those sent packed read from `packed_text` (see
/// [`writes_of`]), the others `None`. All are `None` when there is no text, or when
/// it holds U+FFFD (the string's conversion put one for each lone surrogate: the
/// paths are then read one by one, so a lone surrogate is refused naming its write).
/// `None` (refused) if the text does not hold exactly the packed paths the writes
/// name, in order of their index.
fn packed_paths(
    kinds: &[u8],
    at: &[u32],
    count: usize,
    packed_text: &JsValue,
) -> Option<Vec<Option<Vec<String>>>> {
    let mut paths: Vec<Option<Vec<String>>> = (0..count).map(|_| None).collect();
    let Some(text) = packed_text
        .as_string()
        .filter(|text| !crate::js::holds_replacement_char(text))
    else {
        return Some(paths);
    };
    // Each path index as the writes name it: packed (1) or not (2).
    let mut marks = vec![0u8; count];
    for (kind, &index) in kinds.iter().zip(at) {
        let mark = if kind & PACKED != 0 { 1 } else { 2 };
        let slot = marks.get_mut(index as usize)?;
        if *slot != 0 && *slot != mark {
            return None;
        }
        *slot = mark;
    }
    let mut rest = text.as_str();
    for (path, mark) in paths.iter_mut().zip(marks) {
        if mark == 1 {
            let (keys, after) = crate::packed_path::keys_to_end(rest)?;
            *path = Some(keys);
            rest = after;
        }
    }
    rest.is_empty().then_some(paths)
}

/// The [`Write`] of kind code `kind` (unmarked) with its value or amount `arg`
/// (`undefined` for a write that takes none, or for the default amount).
pub(crate) fn write_of(kind: u8, arg: JsValue) -> Result<Write, JsValue> {
    Ok(match kind {
        SET => Write::Set(to_value(&arg)?),
        SET_MULTI => Write::SetMulti(to_value(&arg)?),
        INCREMENT => Write::Increment(amount(Some(arg))?),
        DECREMENT => Write::Decrement(amount(Some(arg))?),
        ADD_TO_SET => Write::AddToSet(to_value(&arg)?),
        REMOVE_FROM_SET => Write::RemoveFromSet(to_value(&arg)?),
        ENABLE => Write::Enable,
        DISABLE => Write::Disable,
        REMOVE => Write::Remove,
        _ => {
            return Err(invalid(
                "unknown write kind (kind codes are internal to the package)",
            ))
        }
    })
}

/// Says which write of the change an error is about: `write` (its index, from 0,
/// among the writes applied together) on the thrown error, and in its message.
fn name_write(error: JsValue, index: usize) -> JsValue {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        let message = String::from(e.message());
        e.set_message(&format!("write {index} of the change: {message}"));
        // Setting a property on an Error made here cannot fail.
        let _ = js_sys::Reflect::set(e, &"write".into(), &JsValue::from_f64(index as f64));
    }
    error
}

/// The paths a change wrote, each once, in the order first written.
pub(crate) fn distinct(paths: Vec<Vec<String>>) -> Vec<Vec<String>> {
    // Paths seen are borrowed, not cloned, in a map of the type the document's
    // coalescing numbers paths with (`HashMap<&[String], usize>`): one copy of its hash
    // table code in the wasm build, where a set of its own type linked another.
    let mut seen: HashMap<&[String], usize, RandomState> =
        HashMap::with_capacity_and_hasher(paths.len(), RandomState::default());
    let first: Vec<bool> = paths
        .iter()
        .map(|path| seen.insert(path.as_slice(), 0).is_none())
        .collect();
    drop(seen);
    paths
        .into_iter()
        .zip(first)
        .filter_map(|(path, first)| first.then_some(path))
        .collect()
}
