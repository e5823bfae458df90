//! Decodes bytes as a bare MessagePack `Value` (what a document's registers hold and
//! its sets contain): no panic, and whatever decodes round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| converge_fuzz::check_value(data));
