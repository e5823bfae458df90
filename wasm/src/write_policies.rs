//! The JavaScript side of write-time policies: write options (`{ ifMatch }`), refused
//! writes as coded errors, and the merge report's type (its text: report_text.rs). No
//! policy logic: the checks and reports come from converge-ormap.

use converge::ormap::Error as WriteError;
use converge::FieldVersion;
use js_sys::{Array, Reflect};
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
