//! Change events: the listeners of `Document.subscribe` and the queue of changes
//! waiting to reach them.
//!
//! A change (a local write, or a merge or sync message that changed fields) is queued
//! and delivered in a microtask, not inside the call that made it: that call holds
//! the document borrowed, so a listener reading the document there (as React's
//! `useSyncExternalStore` does at once) would fail. By the time a listener runs, the
//! call has returned and the document is consistent and free to read or write.
//! Events keep their order; each goes to the listeners subscribed when it is
//! delivered. A listener that throws does not stop the others, nor change the
//! document: its error is reported as a DOM event listener's is (`reportError`
//! where the runtime has it, else `console.error`).

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::value::define;

#[wasm_bindgen(typescript_custom_section)]
const CHANGE_EVENT_TS: &str = r#"
/** What `Document.subscribe` listeners get: the paths a change touched. */
export interface ChangeEvent {
  /** A local write: the path written (a `change()`: each path it wrote, once); a merge or sync message: the fields it changed. */
  paths: string[][];
  /** Whether the change was a local write (`false`: `merge` or `receive`). */
  local: boolean;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `queueMicrotask(callback)`: runs `callback` once the current JavaScript task
    /// (the call that made the change) has finished.
    #[wasm_bindgen(js_name = queueMicrotask, catch)]
    fn queue_microtask(callback: &Function) -> Result<(), JsValue>;
}

/// One change: the paths it changed, and whether it was a local write.
struct Change {
    paths: Vec<Vec<String>>,
    local: bool,
}

/// The listeners and the changes not yet delivered.
#[derive(Default)]
struct Hub {
    listeners: Vec<(u64, Function)>,
    next_id: u64,
    queued: Vec<Change>,
    scheduled: bool,
    /// The paths written so far by a `change()` not yet ended.
    gathered: Vec<Vec<String>>,
}

/// A document's change events (shared with the microtask that delivers them and
/// with the unsubscribe functions handed out).
/// The hub is made by the first `subscribe`: a document nobody listens to (most of
/// them, on a server or in a list) holds no listeners, queue or allocation.
#[derive(Default, Clone)]
pub(crate) struct ChangeEvents(OnceCell<Rc<RefCell<Hub>>>);

impl std::fmt::Debug for ChangeEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeEvents").finish_non_exhaustive()
    }
}

impl ChangeEvents {
    fn hub(&self) -> &Rc<RefCell<Hub>> {
        self.0.get_or_init(Rc::default)
    }

    /// The hub to change, if there is one and it is not borrowed.
    fn hub_mut(&self) -> Option<std::cell::RefMut<'_, Hub>> {
        self.0.get().and_then(|hub| hub.try_borrow_mut().ok())
    }

    /// Adds `listener`; returns the function that removes it (calling it again does
    /// nothing).
    pub(crate) fn subscribe(&self, listener: Function) -> Function {
        let id = {
            let mut hub = self.hub().borrow_mut();
            let id = hub.next_id;
            hub.next_id = hub.next_id.wrapping_add(1);
            hub.listeners.push((id, listener));
            id
        };
        let hub = Rc::downgrade(self.hub());
        let unsubscribe = Closure::<dyn FnMut()>::new(move || {
            if let Some(hub) = hub.upgrade() {
                if let Ok(mut hub) = hub.try_borrow_mut() {
                    hub.listeners.retain(|(other, _)| *other != id);
                }
            }
        });
        unsubscribe.into_js_value().unchecked_into()
    }

    /// Keeps the paths a batch of a `change()` wrote, for the one event it makes when
    /// it ends (nothing is kept while no one listens).
    pub(crate) fn gather(&self, paths: Vec<Vec<String>>) {
        if let Some(mut hub) = self.hub_mut() {
            hub.gathered.extend(paths);
        }
    }

    /// The paths gathered since the last call.
    pub(crate) fn take_gathered(&self) -> Vec<Vec<String>> {
        self.hub_mut()
            .map(|mut hub| std::mem::take(&mut hub.gathered))
            .unwrap_or_default()
    }

    /// Whether anyone listens now (so a change's paths are worth gathering).
    pub(crate) fn heard(&self) -> bool {
        self.0
            .get()
            .is_some_and(|hub| hub.try_borrow().is_ok_and(|hub| !hub.listeners.is_empty()))
    }

    /// Queues a change of `paths` for delivery (nothing if no one listens or
    /// nothing changed).
    pub(crate) fn changed(&self, paths: Vec<Vec<String>>, local: bool) {
        self.changed_with(paths.is_empty(), local, move || paths);
    }

    /// [`changed`](Self::changed) for paths borrowed (a merge report's): they are
    /// copied only if someone listens.
    pub(crate) fn changed_paths(&self, paths: &[converge::FieldPath], local: bool) {
        self.changed_with(paths.is_empty(), local, || {
            paths.iter().map(|path| path.to_vec()).collect()
        });
    }

    fn changed_with(&self, empty: bool, local: bool, owned: impl FnOnce() -> Vec<Vec<String>>) {
        if empty {
            return;
        }
        let schedule = {
            let Some(mut hub) = self.hub_mut() else {
                return;
            };
            if hub.listeners.is_empty() {
                return;
            }
            hub.queued.push(Change {
                paths: owned(),
                local,
            });
            !std::mem::replace(&mut hub.scheduled, true)
        };
        if schedule {
            let events = self.clone();
            let deliver = Closure::once_into_js(move || events.deliver());
            if queue_microtask(deliver.unchecked_ref()).is_err() {
                // No microtask queue: deliver now rather than never.
                self.deliver();
            }
        }
    }

    /// Delivers the queued changes, in order, to the listeners subscribed now.
    fn deliver(&self) {
        let Some(hub) = self.0.get() else {
            return;
        };
        let changes = match hub.try_borrow_mut() {
            Ok(mut hub) => {
                hub.scheduled = false;
                std::mem::take(&mut hub.queued)
            }
            Err(_) => return,
        };
        for change in changes {
            let event = event_js(&change);
            // The listeners of this moment; the hub is not borrowed while they run,
            // so they may subscribe, unsubscribe, read and write.
            let listeners: Vec<(u64, Function)> = match hub.try_borrow() {
                Ok(hub) => hub.listeners.clone(),
                Err(_) => return,
            };
            for (id, listener) in listeners {
                let still = hub
                    .try_borrow()
                    .is_ok_and(|hub| hub.listeners.iter().any(|(other, _)| *other == id));
                if !still {
                    continue;
                }
                if let Err(thrown) =
                    crate::js::call(&listener, &JsValue::UNDEFINED, std::slice::from_ref(&event))
                {
                    report(&thrown);
                }
            }
        }
    }
}

/// `{ paths: string[][], local: boolean }`.
fn event_js(change: &Change) -> JsValue {
    let object = Object::new();
    let paths: Array = change
        .paths
        .iter()
        .map(|path| {
            let keys: Array = path.iter().map(|k| JsValue::from_str(k)).collect();
            JsValue::from(keys)
        })
        .collect();
    define(&object, "paths", &paths);
    define(&object, "local", &JsValue::from_bool(change.local));
    object.into()
}

/// Reports a listener's error without throwing it: `reportError(error)` if the
/// runtime has it (browsers: the window's `error` event), else `console.error`.
fn report(thrown: &JsValue) {
    let global = js_sys::global();
    let report_error = Reflect::get(&global, &JsValue::from_str("reportError"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(report_error) = report_error {
        if crate::js::call(
            &report_error,
            &JsValue::UNDEFINED,
            std::slice::from_ref(thrown),
        )
        .is_ok()
        {
            return;
        }
    }
    web_sys_console_error(thrown);
}

/// `console.error("converge: a subscribe listener threw", error)`, if there is a
/// console.
fn web_sys_console_error(thrown: &JsValue) {
    let global = js_sys::global();
    let Some(console) = Reflect::get(&global, &JsValue::from_str("console")).ok() else {
        return;
    };
    let error = Reflect::get(&console, &JsValue::from_str("error"))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok());
    if let Some(error) = error {
        let _ = crate::js::call(
            &error,
            &console,
            &[
                JsValue::from_str("converge: a subscribe listener threw"),
                thrown.clone(),
            ],
        );
    }
}
