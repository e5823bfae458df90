//! Decodes bytes as a `VersionVector` state or delta: no panic, and whatever decodes
//! round-trips and joins idempotently.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    converge_fuzz::check_codec::<converge::VersionVector>(data);
});
