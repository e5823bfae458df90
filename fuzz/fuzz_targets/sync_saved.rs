//! Bytes as a saved replica of each type (`Replica::restore`): no panic, and what
//! restores saves and restores again to the same id, state and peer positions.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| converge_fuzz::for_every_subject!(check_saved, data));
