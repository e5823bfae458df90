//! Decodes bytes as a `Document` (the dynamic, JSON-like map) state or delta: no
//! panic; whatever decodes round-trips, joins idempotently, and reads (as a plain
//! value, and its conflicts) without panicking.
#![no_main]

use converge::{Document, Policies};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(doc) = converge_fuzz::check_codec::<Document>(data) {
        let _ = doc.to_value();
        let _ = doc.conflicts(&Policies::new());
    }
});
