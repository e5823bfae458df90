//! The one place Rust errors become JavaScript errors: a real `Error` with a message
//! and a stable `code` property.

use std::fmt::Display;

use converge::{DecodeError, EncodeError, GCounterError, OrMapError, PnCounterError, SyncError};
use wasm_bindgen::JsValue;

/// A Rust error that knows its stable JavaScript `code`.
pub(crate) trait Coded: Display {
    /// The `code` property of the thrown `Error`.
    fn code(&self) -> &'static str;
}

/// Builds the thrown value: `new Error(message)` with `error.code = code`.
pub(crate) fn js_error(code: &str, message: impl Display) -> JsValue {
    let error = js_sys::Error::new(&message.to_string());
    // Setting a property on a fresh Error cannot fail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// Converts any [`Coded`] error.
pub(crate) fn fail(error: impl Coded) -> JsValue {
    js_error(error.code(), &error)
}

/// An invalid argument from JavaScript (wrong type, out of range).
pub(crate) fn invalid(message: impl Display) -> JsValue {
    js_error("ERR_INVALID_ARGUMENT", message)
}

/// Each error type's own stable code (the crates keep the table, once).
macro_rules! coded_by_its_crate {
    ($($error:ty),* $(,)?) => {
        $(impl Coded for $error {
            fn code(&self) -> &'static str {
                <$error>::code(self)
            }
        })*
    };
}

coded_by_its_crate!(
    DecodeError,
    EncodeError,
    SyncError,
    OrMapError,
    GCounterError,
    PnCounterError,
);
