//! Bytes as a sync message to a replica of the type it names: no panic; a message that
//! decodes round-trips; the receiver accepts it or rejects it unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| converge_fuzz::check_any_message(data));
