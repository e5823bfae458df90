//! The JavaScript `Document`: a JSON-like map of CRDTs (counters, flags, registers,
//! sets, nested maps) with paths, conflicts, field policies and sync.

use std::collections::BTreeSet;

use converge::ormap::{LeafDelta, Write};
use converge::{
    Document, FieldRead, Hlc, Outcome, Policies, Policy, ReplicaId, Resolution, Resolver, Sibling,
    Timestamp, Value,
};
use js_sys::{Array, Function, Object, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::change_events::ChangeEvents;
use crate::classes::crdt_class;
use crate::error::invalid;
use crate::ids::parse_replica;
use crate::js::{array_items, is_array, property, string_of};
use crate::js_functions::RegisteredFunction;
use crate::report_text::report_text;
use crate::synced::{Keep, Synced};
use crate::value::{
    amount, define, from_value, optional_number_arg, optional_string_arg, path_of, plain_at,
    to_value, JsBuilder, MAX_ITEMS,
};
use crate::write_policies::if_match_of;

// `merge` and `receive` are `__mergeText` and `__receiveText` plus the glue's lazy
// report (wasm/npm/scripts/entries.mjs).
#[wasm_bindgen(typescript_custom_section)]
const MERGE_TS: &str = r#"
export interface Document {
  /**
   * Joins a state or delta (bytes, or another `Document`) and reports what it
   * changed and met, read under this document's policies: `{ changed: string[][],
   * concurrentWrites, byPath: [{ path, writes }], policies: [{ path, pattern,
   * policy, outcome, verdict, ignored }] }`. The report's fields are built when first
   * read (a merge whose report is not read skips that work); they are plain,
   * enumerable and writable, as on any object.
   */
  merge(other: Uint8Array | Document): MergeReport;
  /**
   * Applies a sync message: returns the merge report (as `merge` does) with the
   * reply to send back under `reply` (`undefined` if none).
   */
  receive(message: Uint8Array): MergeReport & { reply: Uint8Array | undefined };
}
"#;

/// What a JavaScript `Document` keeps beside its replica: the clock for its LWW writes
/// and its field policies (local, read-time settings).
pub(crate) struct DocExtras {
    clock: Hlc,
    policies: Policies,
    events: ChangeEvents,
}

fn doc_extras() -> DocExtras {
    DocExtras {
        clock: Hlc::default(),
        policies: Policies::new(),
        events: ChangeEvents::default(),
    }
}

crdt_class!(JsDocument, "Document", Document, extras: DocExtras = doc_extras());

fn set_prop(object: &Object, key: &str, value: &JsValue) {
    define(object, key, value);
}

/// A live write as `{ value, writer, timestamp: { millis, logical } | null }`.
pub(crate) fn sibling_js(
    value: &Value,
    writer: ReplicaId,
    timestamp: Option<Timestamp>,
) -> JsValue {
    let object = Object::new();
    set_prop(&object, "value", &from_value(value));
    set_prop(&object, "writer", &JsValue::from_str(&writer.to_string()));
    let stamp = match timestamp {
        Some(t) => {
            let s = Object::new();
            set_prop(&s, "millis", &JsValue::from_f64(t.millis as f64));
            set_prop(&s, "logical", &JsValue::from_f64(f64::from(t.logical)));
            s.into()
        }
        None => JsValue::NULL,
    };
    set_prop(&object, "timestamp", &stamp);
    object.into()
}

/// What a resolver returned, under the one resolver shape (the resolver was `given`
/// the siblings as `{ value, writer, timestamp }` objects, whose values are
/// `values`): `undefined` leaves the conflict unresolved (`None`); one of the sibling
/// objects it was given stands for that sibling's value; anything else is the
/// settled value itself, refused with `ERR_INVALID_ARGUMENT` if it is not a value.
pub(crate) fn resolver_choice(
    returned: &JsValue,
    given: &Array,
    values: &[&Value],
) -> Result<Option<Value>, JsValue> {
    if returned.is_undefined() {
        return Ok(None);
    }
    let picked = given.iter().position(|sibling| sibling == *returned);
    if let Some(value) = picked.and_then(|i| values.get(i)) {
        return Ok(Some((*value).clone()));
    }
    to_value(returned).map(Some)
}

fn siblings_js(siblings: &[Sibling]) -> Array {
    siblings
        .iter()
        .map(|s| sibling_js(&s.value, s.writer, s.timestamp))
        .collect()
}

pub(crate) fn outcome_js(outcome: &Outcome) -> (&'static str, Option<&str>) {
    match outcome {
        Outcome::Empty => ("empty", None),
        Outcome::Single => ("single", None),
        Outcome::LastWriterWins => ("lastWriterWins", None),
        Outcome::Ambiguous => ("ambiguous", None),
        Outcome::Resolved { resolver } => ("resolved", Some(resolver)),
        Outcome::Siblings => ("siblings", None),
        Outcome::Conflict { resolver } => ("conflict", Some(resolver)),
    }
}

fn read_js(read: &FieldRead) -> Object {
    let object = Object::new();
    let (outcome, resolver) = outcome_js(&read.outcome);
    set_prop(
        &object,
        "value",
        &read.value.as_ref().map_or(JsValue::UNDEFINED, from_value),
    );
    set_prop(&object, "outcome", &JsValue::from_str(outcome));
    set_prop(
        &object,
        "resolver",
        &resolver.map_or(JsValue::UNDEFINED, JsValue::from_str),
    );
    set_prop(
        &object,
        "needsAttention",
        &JsValue::from_bool(read.outcome.needs_attention()),
    );
    set_prop(&object, "siblings", &siblings_js(&read.siblings));
    set_prop(&object, "ignored", &siblings_js(&read.ignored));
    set_prop(
        &object,
        "version",
        &JsValue::from_str(&read.version.to_string()),
    );
    object
}

/// A field policy from JavaScript.
fn policy_of(js: &JsValue) -> Result<Policy, JsValue> {
    if !js.is_object() {
        return Err(invalid(
            "a policy is an object with a type: 'lww', 'siblings', 'resolver' or 'authority'",
        ));
    }
    let field = |name: &str| property(js, name, "a policy");
    let kind = string_of(&field("type")?, "a policy's type")?.ok_or_else(|| {
        invalid("a policy needs a type: 'lww', 'siblings', 'resolver' or 'authority'")
    })?;
    match kind.as_str() {
        "lww" => {
            let tolerance =
                optional_number_arg(&field("skewToleranceMs")?, "skewToleranceMs")?.unwrap_or(0.0);
            if !(tolerance.is_finite() && tolerance >= 0.0) {
                return Err(invalid("skewToleranceMs must be a non-negative number"));
            }
            Ok(Policy::LastWriterWins {
                skew_tolerance_ms: tolerance as u64,
            })
        }
        "siblings" => Ok(Policy::KeepSiblings),
        "resolver" => {
            let resolve: Function = field("resolve")?
                .dyn_into()
                .map_err(|_| invalid("a resolver policy needs a resolve function"))?;
            let name = optional_string_arg(&field("name")?, "a resolver's name")?
                .unwrap_or_else(|| "resolver".to_owned());
            // The resolver must be `Send + Sync`: it holds the function's id, not the
            // function.
            let resolve = RegisteredFunction::register(resolve);
            Ok(Policy::Resolve(Resolver::new(
                name,
                move |siblings: &[Sibling]| {
                    // A resolver runs at read time; if it throws, returns undefined or
                    // returns what is not a value, the conflict stays unresolved (and
                    // is shown), never silently settled.
                    let given = siblings_js(siblings);
                    let values: Vec<&Value> = siblings.iter().map(|s| &s.value).collect();
                    match resolve.call1(&JsValue::NULL, &given) {
                        Ok(returned) => match resolver_choice(&returned, &given, &values) {
                            Ok(Some(value)) => Resolution::Value(value),
                            _ => Resolution::Unresolved,
                        },
                        Err(_) => Resolution::Unresolved,
                    }
                },
            )))
        }
        "authority" => {
            let replicas = field("replicas")?;
            if !is_array(&replicas, "an authority policy's replicas")? {
                return Err(invalid(
                    "an authority policy needs replicas: an array of replica ids",
                ));
            }
            // Inserted one by one, not collected: `collect` into a set sorts first,
            // with a copy of the sorting code of its own in the wasm build.
            let mut ids = BTreeSet::new();
            for r in array_items(&replicas, "an authority policy's replicas", MAX_ITEMS)? {
                let id = string_of(&r, "a replica id")?
                    .ok_or_else(|| invalid("replica ids are strings"))
                    .and_then(|s| parse_replica(&s))?;
                ids.insert(id);
            }
            Ok(Policy::Authority(ids))
        }
        other => Err(invalid(format!("unknown policy type \"{other}\""))),
    }
}

/// The most writes of a change whose delta is encoded when made, like a single
/// write's; a larger change's delta is kept as a value until `takeDelta()` (encoding
/// it costs about a third of what its writes cost, and it may be written on first).
const LARGE_CHANGE: usize = 64;

impl JsDocument {
    /// The writes a `change()` recorded, converted and applied as one write (see
    /// [`apply_change`](Self::apply_change)); the paths of a write that changed
    /// something are kept for the change's event.
    fn apply_recorded(
        &mut self,
        kinds: &JsValue,
        at: &JsValue,
        paths: &JsValue,
        args: &JsValue,
        numbers: &JsValue,
        packed_text: &JsValue,
    ) -> Result<(), JsValue> {
        let (paths, writes) =
            crate::document_change::writes_of(kinds, at, paths, args, numbers, packed_text)?;
        if writes.is_empty() {
            return Ok(());
        }
        // The clock is read at each last-writer-wins write that is applied (the
        // change's writes are coalesced first: a key written many times is written
        // once, at its last value).
        let clock = &mut self.extras.clock;
        let keep = Keep::Change(&paths, writes.len() > LARGE_CHANGE);
        let mut writes = Some(writes);
        let changed =
            self.inner
                .guarded_write(&self.extras.policies, None, keep, &mut |doc, guard| {
                    // `writes_of` gave every write the index of a path it holds; the
                    // write is made once.
                    let writes = writes.take().unwrap_or_default();
                    doc.write_all_indexed(&paths, writes, guard, clock)
                })?;
        if changed {
            self.extras
                .events
                .gather(paths.into_iter().filter(|p| !p.is_empty()).collect());
        }
        Ok(())
    }

    /// Applies one local [`Write`] at the JavaScript `path` under the write-time
    /// policies: refused with `ERR_NOT_AUTHORITY` by an authority field of another
    /// replica, or `ERR_STALE` if `options.ifMatch` is not the field's version. A path
    /// or value the document refuses (too deep to decode) throws too; every refusal
    /// changes nothing.
    fn write_one(
        &mut self,
        path: &JsValue,
        options: Option<JsValue>,
        write: Write,
    ) -> Result<(), JsValue> {
        self.write_one_at(path_of(path)?, options, write)
    }

    /// [`write_one`](Self::write_one) at a path already converted.
    fn write_one_at(
        &mut self,
        path: Vec<String>,
        options: Option<JsValue>,
        write: Write,
    ) -> Result<(), JsValue> {
        let if_match = if_match_of(options)?;
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let clock = &mut self.extras.clock;
        let mut write = Some(write);
        let changed = self.inner.guarded_write_one(
            &self.extras.policies,
            if_match.as_ref(),
            (&path, &keys),
            |doc, guard| match write.take() {
                Some(write) => doc.write_leaf(&keys, write, guard, clock),
                None => Ok(LeafDelta::default()),
            },
        )?;
        // The event's list of paths is made only if someone listens.
        if changed && self.extras.events.heard() {
            self.extras.events.changed(vec![path], true);
        }
        Ok(())
    }
}

#[wasm_bindgen(js_class = "Document")]
impl JsDocument {
    /// Sets the last-writer-wins register at `path` to `value`.
    pub fn set(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.write_one(&path, options, Write::Set(value))
    }

    /// Writes `value` to the multi-value register at `path` (concurrent writes all stay).
    #[wasm_bindgen(js_name = setMulti)]
    pub fn set_multi(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.write_one(&path, options, Write::SetMulti(value))
    }

    /// Adds `n` (default 1) to the counter at `path`. The counter keeps one entry per
    /// replica, its running total, so its size follows the writers, not the
    /// increments; a removal concurrent with this increment does not cancel this
    /// replica's earlier increments either.
    pub fn increment(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] n: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let by = amount(n)?;
        self.write_one(&path, options, Write::Increment(by))
    }

    /// Subtracts `n` (default 1) from the counter at `path`.
    pub fn decrement(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] n: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let by = amount(n)?;
        self.write_one(&path, options, Write::Decrement(by))
    }

    /// Adds `value` to the set at `path`.
    #[wasm_bindgen(js_name = addToSet)]
    pub fn add_to_set(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.write_one(&path, options, Write::AddToSet(value))
    }

    /// Removes `value` from the set at `path`, as observed here.
    #[wasm_bindgen(js_name = removeFromSet)]
    pub fn remove_from_set(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Value")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        let value = to_value(&value)?;
        self.write_one(&path, options, Write::RemoveFromSet(value))
    }

    /// Turns on the enable-wins flag at `path`.
    pub fn enable(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        self.write_one(&path, options, Write::Enable)
    }

    /// Turns off the flag at `path`, as observed here (a concurrent enable wins).
    pub fn disable(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        self.write_one(&path, options, Write::Disable)
    }

    /// Removes the key at the end of `path`, as observed here (concurrent updates
    /// under it survive).
    pub fn remove(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WriteOptions")] options: Option<JsValue>,
    ) -> Result<(), JsValue> {
        self.write_one(&path, options, Write::Remove)
    }

    /// Internal to the write methods, which the glue (wasm/npm/scripts/entries.mjs)
    /// sends here when their path is an array of string keys: the write of kind code
    /// `kind` (as `change()` records it) with its value or amount `arg` at the path
    /// packed into one string (`packed`, see `packed_path.rs`), under `options`.
    /// Returns `false`, having done nothing, when the packed path holds U+FFFD: the
    /// string's conversion put one for each lone surrogate, which this route cannot
    /// tell from a real one, so the glue sends the write by the unpacked route, which
    /// can.
    #[wasm_bindgen(js_name = __writePacked, skip_typescript)]
    pub fn write_packed(
        &mut self,
        kind: u8,
        packed: String,
        arg: JsValue,
        options: Option<JsValue>,
    ) -> Result<bool, JsValue> {
        if crate::js::holds_replacement_char(&packed) {
            return Ok(false);
        }
        // The value first, then the path, as the write methods convert them.
        let write = crate::document_change::write_of(kind, arg)?;
        let path = crate::packed_path::keys_of_text(&packed)?;
        self.write_one_at(path, options, write)?;
        Ok(true)
    }

    /// Internal to `change()`: applies the writes its recorder kept (`kinds`, a
    /// `Uint8Array` of kind codes, `at`, a `Uint32Array` as long indexing `paths`, the
    /// distinct paths, `args`, an array of the values and amounts, and `numbers`, a
    /// `Float64Array` of the number values) as one
    /// write of the replica, all or nothing (see `document_change.rs`). `last` ends
    /// the change: its one event then lists every path written since it began.
    /// `packed_text` holds the packed paths again, in one string (or is `undefined`).
    #[wasm_bindgen(js_name = __applyChange, skip_typescript)]
    // An internal call of the glue's: each part crosses as an argument of its own,
    // where one object of them would cost a property read each.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_change(
        &mut self,
        kinds: JsValue,
        at: JsValue,
        paths: JsValue,
        args: JsValue,
        numbers: JsValue,
        last: JsValue,
        packed_text: JsValue,
    ) -> Result<(), JsValue> {
        let applied = self.apply_recorded(&kinds, &at, &paths, &args, &numbers, &packed_text);
        if last.is_truthy() {
            let paths = self.extras.events.take_gathered();
            if self.extras.events.heard() {
                let paths = crate::document_change::distinct(paths);
                self.extras.events.changed(paths, true);
            }
        }
        applied
    }

    /// The plain value at `path` (registers read under their policies), or `undefined`.
    /// Counters are numbers, or bigints outside the safe-integer range.
    #[wasm_bindgen(unchecked_return_type = "Value | undefined")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
    ) -> Result<JsValue, JsValue> {
        plain_at(self.inner.state(), &path, &self.extras.policies)
    }

    /// The whole document as plain data.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "{ [key: string]: Value }")]
    pub fn to_json(&self) -> JsValue {
        self.inner
            .state()
            .to_plain_with(&self.extras.policies, &mut JsBuilder)
    }

    /// The register at `path` read under its policy: `{ value, outcome, resolver,
    /// needsAttention, siblings, ignored, version }`, or `undefined` if there is no
    /// register. `version` is what a conditional write's `ifMatch` takes.
    /// `options.policy` reads under that policy instead (say, to show what
    /// last-writer-wins would make of a field another policy settles).
    #[wasm_bindgen(unchecked_return_type = "FieldRead | undefined")]
    pub fn read(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Path")] path: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ReadOptions")] options: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let path = path_of(&path)?;
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        let policy = match options.filter(|o| !o.is_undefined() && !o.is_null()) {
            Some(options) => {
                let policy = property(&options, "policy", "read options")?;
                if policy.is_undefined() {
                    None
                } else {
                    Some(policy_of(&policy)?)
                }
            }
            None => None,
        };
        let state = self.inner.state();
        let read = match &policy {
            Some(policy) => state.get_at(&keys).and_then(|n| n.read(Some(policy))),
            None => state.read_at(&keys, &self.extras.policies),
        };
        Ok(read.map_or(JsValue::UNDEFINED, |r| read_js(&r).into()))
    }

    /// The fields that need a person: `[{ path, kinds, ...read }]` for registers whose
    /// read is ambiguous, keeps siblings or is an unresolved conflict, and for keys
    /// where replicas wrote different kinds.
    #[wasm_bindgen(unchecked_return_type = "Conflict[]")]
    pub fn conflicts(&self) -> Array {
        self.inner
            .state()
            .conflicts(&self.extras.policies)
            .iter()
            .map(|c| {
                let object = read_js(&c.read);
                let path: Array = c.path.iter().map(|k| JsValue::from_str(k)).collect();
                set_prop(&object, "path", &path);
                let kinds: Array = c
                    .kinds
                    .iter()
                    .map(|k| JsValue::from_str(k.name()))
                    .collect();
                set_prop(&object, "kinds", &kinds);
                JsValue::from(object)
            })
            .collect()
    }

    /// Sets the read policy of the fields matching `pattern` (keys, `"*"` for any one
    /// key): `{ type: 'lww', skewToleranceMs }`, `{ type: 'siblings' }`,
    /// `{ type: 'resolver', name, resolve(siblings) }` or
    /// `{ type: 'authority', replicas: [ids] }`. Policies are local settings: give every
    /// replica the same ones.
    #[wasm_bindgen(js_name = setPolicy)]
    pub fn set_policy(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Path")] pattern: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Policy")] policy: JsValue,
    ) -> Result<(), JsValue> {
        let pattern = path_of(&pattern)?;
        let keys: Vec<&str> = pattern.iter().map(String::as_str).collect();
        let policy = policy_of(&policy)?;
        self.extras.policies.set(&keys, policy);
        Ok(())
    }

    /// Internal to `merge()` (see MERGE_TS): joins a state or delta (bytes, or
    /// another `Document`) and returns its merge report as compact JSON text
    /// (report_text.rs), which the glue expands only when the report is first read.
    #[wasm_bindgen(js_name = __mergeText, skip_typescript)]
    pub fn merge_text(&mut self, other: JsValue) -> Result<String, JsValue> {
        let report = self.inner.merge_reporting(&other, &self.extras.policies)?;
        self.extras.events.changed_paths(&report.changed, false);
        Ok(report_text(&report))
    }

    /// Internal to `receive()` (see MERGE_TS): applies a sync message and returns
    /// `[report text, reply]` (the text as `__mergeText`'s, the reply `undefined` if
    /// none).
    #[wasm_bindgen(js_name = __receiveText, skip_typescript)]
    pub fn receive_text(&mut self, message: JsValue) -> Result<Array, JsValue> {
        let bytes = crate::value::bytes_arg(&message, "message")?;
        let (reply, report) = self
            .inner
            .receive_reporting(&bytes, &self.extras.policies)?;
        self.extras.events.changed_paths(&report.changed, false);
        Ok(Array::of2(
            &JsValue::from(report_text(&report)),
            &reply.map_or(JsValue::UNDEFINED, JsValue::from),
        ))
    }

    /// Counts per policy and path pattern since this replica started: `[{ pattern,
    /// policy, settled, review, ignored, refused }]` (fields no rule matches count under
    /// the pattern `(default)`). Also in `metrics().policies`.
    #[wasm_bindgen(js_name = policyMetrics, unchecked_return_type = "PolicyMetrics[]")]
    pub fn policy_metrics(&self) -> Array {
        crate::synced::policy_metrics_js(&self.inner.policy_metrics())
    }

    /// Calls `listener({ paths, local })` after each change of this document, and
    /// returns the function that unsubscribes it. A change is a local write (`paths`
    /// is the path written, `local` is `true`; one event per `change()`, with each path
    /// it wrote once), or a `merge`/`receive` that changed
    /// fields (`paths` is the merge report's `changed`, `local` is `false`); nothing
    /// that changed nothing (a duplicate delta, a remove of what is not there) is an
    /// event. Events are delivered in order, in a microtask after the call that made
    /// them (so a listener may read and write the document); a listener that throws
    /// is reported (`reportError`, else `console.error`) and changes nothing.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(event: ChangeEvent) => void")] listener: JsValue,
    ) -> Result<Function, JsValue> {
        let listener: Function = listener
            .dyn_into()
            .map_err(|_| invalid("subscribe takes a listener function"))?;
        Ok(self.extras.events.subscribe(listener))
    }

    /// Encoded state (alias of `encode()`, for symmetry with `save()`).
    #[wasm_bindgen(js_name = encodeState)]
    pub fn encode_state(&self) -> Result<Uint8Array, JsValue> {
        self.inner.encode()
    }
}
