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

impl Coded for DecodeError {
    fn code(&self) -> &'static str {
        match self {
            DecodeError::WrongType { .. } => "ERR_WRONG_TYPE",
            DecodeError::UnsupportedVersion { .. } => "ERR_UNSUPPORTED_VERSION",
            DecodeError::TooDeep { .. } => "ERR_TOO_DEEP",
            DecodeError::InvalidReplicaId(_) => "ERR_INVALID_REPLICA_ID",
            DecodeError::NoRandomSource(_) => "ERR_NO_RANDOM_SOURCE",
            DecodeError::Encode(inner) => inner.code(),
            _ => "ERR_DECODE",
        }
    }
}

impl Coded for EncodeError {
    fn code(&self) -> &'static str {
        "ERR_ENCODE"
    }
}

impl Coded for SyncError {
    fn code(&self) -> &'static str {
        match self {
            SyncError::Decode(inner) => inner.code(),
            SyncError::NoRandomSource(_) => "ERR_NO_RANDOM_SOURCE",
            SyncError::Encode(inner) => inner.code(),
            _ => "ERR_SYNC_REJECTED",
        }
    }
}

impl Coded for GCounterError {
    fn code(&self) -> &'static str {
        "ERR_OVERFLOW"
    }
}

impl Coded for PnCounterError {
    fn code(&self) -> &'static str {
        "ERR_OVERFLOW"
    }
}

impl Coded for OrMapError {
    fn code(&self) -> &'static str {
        match self {
            OrMapError::ValueTooDeep { .. } => "ERR_TOO_DEEP",
            _ => "ERR_INVALID_ARGUMENT",
        }
    }
}
