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
    let mut keys = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
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
    (!keys.is_empty()).then_some(keys)
}

#[cfg(test)]
mod tests {
    use super::keys_of;

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

    proptest::proptest! {
        /// Any keys pack and unpack to themselves.
        #[test]
        fn any_keys_round_trip(keys in proptest::collection::vec(".{0,6}", 1..6)) {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            proptest::prop_assert_eq!(keys_of(&pack(&refs)), Some(keys));
        }
    }
}
