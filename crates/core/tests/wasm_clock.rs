//! On bare wasm (browsers, Node, workers) the default clock reads JavaScript's wall
//! time: `Hlc::default()` used to read 0 there (issue 14, item 6). Runs under Node
//! with wasm-bindgen's test runner (`make test-rust` does it).
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]

use converge_core::{Clock, Hlc, SystemClock, Timestamp};
use wasm_bindgen_test::wasm_bindgen_test;

/// 2020-01-01 in milliseconds since the epoch.
const AFTER_2020: u64 = 1_577_836_800_000;

#[wasm_bindgen_test]
fn the_default_clock_reads_wall_time_on_wasm() {
    assert!(SystemClock.now_millis() > AFTER_2020);
    assert!(Hlc::default().tick() > Timestamp::new(AFTER_2020, 0));
}
