//! Paths the glue packed into one string (`__convergePackPath` in
//! `wasm/npm/scripts/entries.mjs`): an array path of string keys crosses into the wasm
//! as one string instead of an array read item by item (an `Array.isArray`, a
//! `length`, a `slice` and a string conversion per key: most of the cost of a
//! nested write). Each key is written as its length in UTF-16 code units (decimal),
//! a colon, and the key itself, so any key packs and the keys come back exactly.

use wasm_bindgen::JsValue;

use crate::error::invalid;
use crate::js::string_of;
use crate::value::MAX_ITEMS;

/// The keys of a packed path (`packed`, from the glue). A packed path that is not a
/// string or is malformed (only a hand-made call sends one) is refused, and so is a
/// key with a lone surrogate, as an unpacked path's would be.
pub(crate) fn unpack_path(packed: &JsValue) -> Result<Vec<String>, JsValue> {
    let text = string_of(packed, "a path key")?.ok_or_else(malformed)?;
    keys_of_text(&text)
}

/// The keys of `text`, a packed path already converted (lone surrogates are the
/// caller's to refuse); refused if malformed.
pub(crate) fn keys_of_text(text: &str) -> Result<Vec<String>, JsValue> {
    keys_of(text).ok_or_else(malformed)
}

fn malformed() -> JsValue {
    invalid("a packed path is malformed (packed paths are internal to the package)")
}

/// The keys of `text`, `None` if it is not a packed path of 1 to [`MAX_ITEMS`] keys.
fn keys_of(text: &str) -> Option<Vec<String>> {
    keys_until(text, None).map(|(keys, _)| keys)
}

/// The keys of the packed path that starts `text` and ends at a `;` (a change's
/// packed paths, one after another: see `document_change.rs`), and the text after
/// that `;`; `None` if malformed.
pub(crate) fn keys_to_end(text: &str) -> Option<(Vec<String>, &str)> {
    let (keys, rest) = keys_until(text, Some(b';'))?;
    Some((keys, rest.get(1..)?))
}

/// The 1 to [`MAX_ITEMS`] keys at the start of `text`, read until the rest starts
/// with `end` (a key starts with a digit, so an end mark that is no digit is never
/// mistaken for one), or is empty if `end` is `None`, and that rest.
fn keys_until(text: &str, end: Option<u8>) -> Option<(Vec<String>, &str)> {
    let mut keys = Vec::new();
    let mut rest = text;
    while rest.as_bytes().first().copied() != end {
        if keys.len() == MAX_ITEMS as usize {
            return None;
        }
        let (length, after) = rest.split_once(':')?;
        if length.is_empty() || length.len() > 10 || !length.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut units: usize = length.parse().ok()?;
        let mut end = 0;
        for c in after.chars() {
            if units == 0 {
                break;
            }
            units = units.checked_sub(c.len_utf16())?;
            end += c.len_utf8();
        }
        if units != 0 {
            return None;
        }
        // (`get`, not indexing: no panic path, with its formatting, in the wasm.)
        keys.push(after.get(..end)?.to_owned());
        rest = after.get(end..)?;
    }
    (!keys.is_empty()).then_some((keys, rest))
}

#[cfg(test)]
mod tests {
    use super::{keys_of, keys_to_end};

    /// What the glue writes for `keys` (lengths in UTF-16 code units).
    fn pack(keys: &[&str]) -> String {
        keys.iter()
            .map(|k| format!("{}:{k}", k.encode_utf16().count()))
            .collect()
    }

    #[test]
    fn keys_come_back_exactly() {
        for keys in [
            vec!["a"],
            vec!["users", "k1", "name"],
            vec!["", "", "x"],
            vec!["3:abc", "::", "1:"],
            vec!["é", "😀", "a😀b", "日本"],
        ] {
            let packed = pack(&keys);
            assert_eq!(
                keys_of(&packed),
                Some(keys.iter().map(|k| k.to_string()).collect()),
                "{packed}"
            );
        }
    }

    #[test]
    fn malformed_packs_are_refused() {
        for text in [
            "",
            "a",
            "1",
            "1:",
            "2:a",
            "x:a",
            "-1:a",
            ":a",
            "1:a1",
            "1:😀",
            "99999999999:a",
        ] {
            assert_eq!(keys_of(text), None, "{text}");
        }
        let too_many = "1:a".repeat(super::MAX_ITEMS as usize + 1);
        assert_eq!(keys_of(&too_many), None);
    }

    #[test]
    fn paths_one_after_another_come_back_exactly() {
        let paths = [vec!["users", "k;1", "n"], vec![";"], vec!["", "😀;"]];
        let mut text: String = paths.iter().map(|p| pack(p) + ";").collect();
        text.push_str("rest");
        let mut rest = text.as_str();
        for keys in paths {
            let (read, after) = keys_to_end(rest).expect("a packed path, then ';'");
            assert_eq!(read, keys);
            rest = after;
        }
        assert_eq!(rest, "rest");
        for text in ["", ";", "1:a", "1:a:", "1:a1:", "x;", "1:ab;"] {
            assert_eq!(keys_to_end(text), None, "{text}");
        }
    }

    proptest::proptest! {
        /// Any keys pack and unpack to themselves.
        #[test]
        fn any_keys_round_trip(keys in proptest::collection::vec(".{0,6}", 1..6)) {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(keys_of(&pack(&refs)), Some(keys));
        }
    }
}
