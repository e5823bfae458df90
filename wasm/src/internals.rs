//! Test-only exports: the size of the wasm memory, and a deliberate trap. Not part of
//! the API (their names start with `__`); the package's tests use them to check that
//! memory stays flat and that a trapped instance fails every later call clearly.

use wasm_bindgen::prelude::*;

/// Test only: the size of the module's wasm memory in bytes (it never shrinks).
#[wasm_bindgen(js_name = __wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    #[cfg(target_arch = "wasm32")]
    let pages = core::arch::wasm32::memory_size(0);
    #[cfg(not(target_arch = "wasm32"))]
    let pages = 0usize;
    pages as f64 * 65536.0
}

/// Test only: traps (a wasm `RuntimeError`), losing the instance, as running out of
/// memory would. Every later call then throws `ERR_INSTANCE_LOST`.
#[wasm_bindgen(js_name = __trapForTests)]
pub fn trap_for_tests() {
    std::process::abort();
}

/// Test only: caps the wasm memory the out-of-memory checks count on at `bytes`
/// (`Infinity` lifts the cap): once a headroom reservation would pass it, writes,
/// merges and sync messages are refused with `ERR_OUT_OF_MEMORY`, as they are when the
/// engine cannot grow memory.
#[wasm_bindgen(js_name = __limitMemoryForTests)]
pub fn limit_memory_for_tests(bytes: f64) {
    crate::headroom::limit_for_tests(bytes);
}
