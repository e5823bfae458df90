//! The JavaScript side of write-time policies: write options (`{ ifMatch }`), refused
//! writes as coded errors, and merge reports as plain objects. No policy logic: the
//! checks and reports come from converge-ormap.

use converge::ormap::Error as WriteError;
use converge::{FieldOutcome, FieldVersion, MergeReport, Verdict};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::error::{invalid, js_error};

fn path_js(path: &[String]) -> Array {
    path.iter().map(|k| JsValue::from_str(k)).collect()
}

/// The `ifMatch` of a write's options object (`undefined`: an unconditional write).
pub(crate) fn if_match_of(options: Option<JsValue>) -> Result<Option<FieldVersion>, JsValue> {
    let Some(options) = options.filter(|o| !o.is_undefined() && !o.is_null()) else {
        return Ok(None);
    };
    if !options.is_object() {
        return Err(invalid("write options are an object: { ifMatch: version }"));
    }
    let if_match = crate::js::property(&options, "ifMatch", "write options")?;
    if if_match.is_undefined() {
        return Ok(None);
    }
    let text = crate::js::string_of(&if_match, "ifMatch")?
        .ok_or_else(|| invalid("ifMatch is a version string, from read(path).version"))?;
    text.parse::<FieldVersion>().map(Some).map_err(invalid)
}

/// A refused write as a thrown `Error`: `ERR_NOT_AUTHORITY` (with `path`, `writer`)
/// or `ERR_STALE` (with `path` and `current`, the field's version now).
pub(crate) fn refusal_js(error: &WriteError) -> JsValue {
    let thrown = js_error(error.code(), error);
    if let Some(path) = error.path() {
        let _ = Reflect::set(&thrown, &"path".into(), &path_js(path));
    }
    match error {
        WriteError::NotAuthority { writer, .. } => {
            let _ = Reflect::set(&thrown, &"writer".into(), &writer.to_string().into());
        }
        WriteError::Stale { current, .. } => {
            let _ = Reflect::set(&thrown, &"current".into(), &current.to_string().into());
        }
        _ => {}
    }
    thrown
}

fn outcome_name(field: &FieldOutcome) -> &'static str {
    crate::document::outcome_js(&field.outcome).0
}

/// A merge report as `{ changed: string[][], concurrentWrites, byPath: [{ path,
/// writes }], policies: [{ path, pattern, policy, outcome, verdict, ignored }] }`
/// (`verdict`: `'settled'`, `'review'` or `null`).
///
/// Built as one JSON text and parsed by `JSON.parse` (one call into JavaScript, and
/// plain data properties, as `define` makes): a merge of 10,000 concurrent keys made
/// 100,000 property calls across the boundary, most of the merge's time.
pub(crate) fn report_js(report: &MergeReport) -> Object {
    // Valid JSON by construction: parsing it cannot fail.
    js_sys::JSON::parse(&report_json(report))
        .map(Object::from)
        .unwrap_or_else(|_| Object::new())
}

/// The JSON text of [`report_js`]'s object (what `merge()`'s glue parses when the
/// report is first read).
pub(crate) fn report_json(report: &MergeReport) -> String {
    // Room for the usual report (short keys) at once, not grown by doubling.
    let mut json = String::with_capacity(
        64 + 16 * report.changed.len() + 40 * report.by_path.len() + 140 * report.policies.len(),
    );
    json.push_str("{\"changed\":[");
    for (i, path) in report.changed.iter().enumerate() {
        comma(&mut json, i);
        path_json(&mut json, path);
    }
    json.push_str("],\"concurrentWrites\":");
    number_json(&mut json, report.concurrent_writes);
    json.push_str(",\"byPath\":[");
    for (i, (path, writes)) in report.by_path.iter().enumerate() {
        comma(&mut json, i);
        json.push_str("{\"path\":");
        path_json(&mut json, path);
        json.push_str(",\"writes\":");
        number_json(&mut json, *writes);
        json.push('}');
    }
    json.push_str("],\"policies\":[");
    for (i, field) in report.policies.iter().enumerate() {
        comma(&mut json, i);
        json.push_str("{\"path\":");
        path_json(&mut json, &field.path);
        json.push_str(",\"pattern\":");
        string_json(&mut json, &field.rule.pattern);
        json.push_str(",\"policy\":");
        string_json(&mut json, &field.rule.policy);
        json.push_str(",\"outcome\":");
        string_json(&mut json, outcome_name(field));
        json.push_str(",\"verdict\":");
        json.push_str(match field.verdict {
            Some(Verdict::Settled) => "\"settled\"",
            Some(Verdict::Review) => "\"review\"",
            None => "null",
        });
        json.push_str(",\"ignored\":");
        number_json(&mut json, field.ignored);
        json.push('}');
    }
    json.push_str("]}");
    json
}

/// `n` in decimal, written in place (no `to_string`: no allocation and no formatting
/// machinery for each of a large report's numbers).
fn number_json(json: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    json.extend(digits[at..].iter().map(|&d| char::from(d)));
}

fn comma(json: &mut String, index: usize) {
    if index > 0 {
        json.push(',');
    }
}

fn path_json(json: &mut String, path: &[String]) {
    json.push('[');
    for (i, key) in path.iter().enumerate() {
        comma(json, i);
        string_json(json, key);
    }
    json.push(']');
}

/// `text` as a JSON string (a Rust string is valid UTF-8, so only quotes, backslashes
/// and control characters need escapes).
fn string_json(json: &mut String, text: &str) {
    json.push('"');
    // Most keys need no escape: copied whole.
    if !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        json.push_str(text);
        json.push('"');
        return;
    }
    for c in text.chars() {
        match c {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                json.push_str("\\u00");
                json.push(char::from(HEX[(c as usize) >> 4]));
                json.push(char::from(HEX[(c as usize) & 15]));
            }
            c => json.push(c),
        }
    }
    json.push('"');
}

#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const MERGE_REPORT_TS: &str = r#"
/** What a Document merge or received message changed and met. */
export interface MergeReport {
  /** Paths of the fields whose contents changed. */
  changed: string[][];
  /** Concurrent writes met, in all. */
  concurrentWrites: number;
  /** Concurrent writes met, per register path. */
  byPath: { path: string[]; writes: number }[];
  /** Per field where the merge met concurrent writes or brought ignored writes. */
  policies: {
    path: string[];
    pattern: string;
    policy: string;
    outcome: Outcome;
    verdict: 'settled' | 'review' | null;
    ignored: number;
  }[];
}
"#;

#[cfg(test)]
mod tests {
    use super::number_json;

    /// Numbers are written as `to_string` writes them.
    #[test]
    fn numbers_are_written_in_decimal() {
        let mut samples: Vec<usize> = (0..1_100).collect();
        samples.extend([9_999, 10_000, 65_535, 1 << 32, usize::MAX - 1, usize::MAX]);
        let mut power = 1usize;
        while let Some(next) = power.checked_mul(10) {
            samples.extend([power - 1, power, power + 1]);
            power = next;
        }
        for n in samples {
            let mut json = String::from("x");
            number_json(&mut json, n);
            assert_eq!(json, format!("x{n}"));
        }
    }
}
