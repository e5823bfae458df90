//! Bytes as a sync token: no panic; a token that decodes round-trips; `resume`
//! accepts it or rejects it and leaves the replica unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| converge_fuzz::check_token::<converge::Document>(data));
