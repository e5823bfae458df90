//! JavaScript functions held by id: Rust closures that must be `Send + Sync` (a
//! `Resolver`'s, the same on every target) capture a [`RegisteredFunction`], a plain
//! id, while the `js_sys::Function` itself, which is neither, stays in this thread's
//! registry until the last handle to it is dropped.

use std::cell::{Cell, RefCell};

use js_sys::Function;
use wasm_bindgen::JsValue;

thread_local! {
    /// The functions by id. A list, not a hash map: a document holds a few resolvers
    /// (one per resolver policy), and a map type of its own cost the wasm build a
    /// copy of the hash table's code.
    static REGISTRY: RefCell<Vec<(u64, Function)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// A handle to a JavaScript function in this thread's registry. Dropping it removes
/// the function. Only an id, so it is `Send + Sync`; called on another thread (there
/// is none in this build) it finds no function and says so.
#[derive(Debug)]
pub(crate) struct RegisteredFunction {
    id: u64,
}

impl RegisteredFunction {
    /// Keeps `function` in the registry for as long as the handle lives.
    pub(crate) fn register(function: Function) -> Self {
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1));
            id
        });
        REGISTRY.with(|r| r.borrow_mut().push((id, function)));
        RegisteredFunction { id }
    }

    /// Calls the function with `this` and one argument. The registry is not borrowed
    /// during the call, so the function may register or drop others.
    pub(crate) fn call1(&self, this: &JsValue, arg: &JsValue) -> Result<JsValue, JsValue> {
        let function = REGISTRY
            .with(|r| {
                let r = r.try_borrow().ok()?;
                r.iter()
                    .find(|(id, _)| *id == self.id)
                    .map(|(_, f)| f.clone())
            })
            .ok_or_else(|| JsValue::from_str("the function is not registered on this thread"))?;
        crate::js::call(&function, this, std::slice::from_ref(arg))
    }
}

impl Drop for RegisteredFunction {
    fn drop(&mut self) {
        REGISTRY.with(|r| {
            if let Ok(mut r) = r.try_borrow_mut() {
                if let Some(at) = r.iter().position(|(id, _)| *id == self.id) {
                    r.swap_remove(at);
                }
            }
        });
    }
}
