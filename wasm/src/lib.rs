//! The wasm-bindgen layer of converge: JavaScript classes over the Rust types, with no
//! CRDT logic of its own. Every class wraps a sync replica of one converge type
//! (`GCounter`, `PNCounter`, `OrSet`, `LwwRegister`, `MvRegister`, `Document`) and
//! offers the type's mutators and reads, `merge`, `encode`/`decode`, `takeDelta`,
//! `version`, and the sync session (`messageFor`, `receive`, `hello`, `syncToken`,
//! `resume`, `save`/`restore`, `metrics`).
//!
//! Built without the `document-replica` feature, the crate is the `converge-crdt/core`
//! module instead: one `Document` class over the document alone, with no sync replica
//! around it (core_document.rs).
//!
//! Every error thrown is a real `Error` with a stable `code` (see `error.rs`, the one
//! place Rust errors are converted); no input can panic the module.

#![deny(missing_docs)]

#[cfg(feature = "document-replica")]
mod change_events;
#[cfg(feature = "document-replica")]
mod classes;
#[cfg(not(feature = "document-replica"))]
mod core_document;
#[cfg(feature = "document-replica")]
mod document;
#[cfg(feature = "document-replica")]
mod document_change;
mod error;
mod headroom;
mod ids;
mod internals;
mod js;
#[cfg(feature = "document-replica")]
mod js_functions;
#[cfg(feature = "document-replica")]
mod packed_path;
mod pending_deltas;
#[cfg(feature = "document-replica")]
mod report_text;
#[cfg(feature = "standalone-types")]
mod standalone;
#[cfg(feature = "document-replica")]
mod synced;
mod ts_types;
mod value;
#[cfg(feature = "document-replica")]
mod write_policies;

#[cfg(not(feature = "document-replica"))]
pub use core_document::CoreDocument;
#[cfg(feature = "document-replica")]
pub use document::JsDocument;
pub use ids::{compare_versions, random_replica_id};
pub use internals::{limit_memory_for_tests, trap_for_tests, wasm_memory_bytes};
#[cfg(feature = "standalone-types")]
pub use standalone::{JsGCounter, JsLwwRegister, JsMvRegister, JsOrSet, JsPnCounter};
