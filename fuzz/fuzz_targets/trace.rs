//! The stateful target: bytes drive writes, merges, round trips, restarts and sync
//! steps across three replicas over a lossy, duplicating, reordering network; at the
//! end every replica must hold the join of every write (see `src/trace.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| converge_fuzz::trace::run(data));
