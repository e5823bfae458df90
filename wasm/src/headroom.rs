//! Wasm memory grows in large steps, not a page at a time; and when it cannot grow,
//! writes are refused with `ERR_OUT_OF_MEMORY` instead of trapping.
//!
//! The allocator (dlmalloc) asks the engine for more memory in 64 KiB steps, and in
//! V8 each `memory.grow` costs time in proportion to the memory already there (about
//! a millisecond at 100 MB). A document that grows by a few hundred bytes per write
//! then spends most of its write time growing memory, and the cost of a write grows
//! with the document. So whenever memory has grown, this reserves headroom of a
//! quarter of it in one step (allocated and freed at once: the allocator keeps it for
//! later allocations), which makes the number of grows logarithmic in the size.
//!
//! An allocation that fails inside Rust aborts, and an abort loses the whole instance
//! (every later call throws `ERR_INSTANCE_LOST`). So before each call that may
//! allocate (writes, merges, sync messages), memory is checked: once a headroom
//! reservation has failed, memory is near its end, and from then on each such call
//! first makes sure [`ROOM_FOR_A_CALL`] can still be had, and refuses with
//! `ERR_OUT_OF_MEMORY`, changing nothing, when it cannot. A call that needs more than
//! that in one go can still trap; the error is coded wherever the memory ran out
//! between calls.

use wasm_bindgen::JsValue;

use crate::error::js_error;

/// What a call must be able to allocate once memory is low (writes and ordinary sync
/// messages take far less).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
const ROOM_FOR_A_CALL: usize = 1 << 20;

/// Reserves headroom if memory grew since the last call, and refuses with
/// `ERR_OUT_OF_MEMORY` if memory is low and [`ROOM_FOR_A_CALL`] cannot be had.
pub(crate) fn keep_headroom() -> Result<(), JsValue> {
    if imp::has_room() {
        Ok(())
    } else {
        Err(js_error(
            "ERR_OUT_OF_MEMORY",
            "wasm memory is exhausted: nothing was changed; free documents (free()) or \
             save, reload the module and restore",
        ))
    }
}

/// Test only: caps the memory the checks may count on at `bytes` (`Infinity` lifts
/// the cap), so the refusal can be tested without exhausting the engine's memory.
pub(crate) fn limit_for_tests(bytes: f64) {
    imp::limit_for_tests(bytes);
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::ROOM_FOR_A_CALL;

    /// The memory size (in 64 KiB pages) after the last headroom was reserved.
    static PAGES_SEEN: AtomicUsize = AtomicUsize::new(0);

    /// Whether a headroom reservation failed: memory is near its end.
    static LOW: AtomicBool = AtomicBool::new(false);

    /// The test-only cap on memory, in bytes (`usize::MAX`: none).
    static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);

    /// The least headroom worth a grow: 1 MiB.
    const MIN_HEADROOM: usize = 1 << 20;

    /// Whether `bytes` more can be allocated now (allocated and freed at once).
    fn can_allocate(bytes: usize) -> bool {
        let memory = core::arch::wasm32::memory_size(0).saturating_mul(65536);
        if memory.saturating_add(bytes) > LIMIT.load(Ordering::Relaxed) {
            return false;
        }
        let mut reserve: Vec<u8> = Vec::new();
        let ok = reserve.try_reserve_exact(bytes).is_ok();
        // Keep the optimiser from eliding the allocation.
        std::hint::black_box(&reserve);
        ok
    }

    pub(super) fn has_room() -> bool {
        let pages = core::arch::wasm32::memory_size(0);
        if pages > PAGES_SEEN.load(Ordering::Relaxed) {
            let bytes = (pages / 4).saturating_mul(65536).max(MIN_HEADROOM);
            LOW.store(!can_allocate(bytes), Ordering::Relaxed);
            PAGES_SEEN.store(core::arch::wasm32::memory_size(0), Ordering::Relaxed);
        }
        !LOW.load(Ordering::Relaxed) || can_allocate(ROOM_FOR_A_CALL)
    }

    pub(super) fn limit_for_tests(bytes: f64) {
        let limit = if bytes.is_finite() && bytes >= 0.0 {
            bytes as usize
        } else {
            usize::MAX
        };
        LIMIT.store(limit, Ordering::Relaxed);
        // Judge memory anew under the new cap.
        PAGES_SEEN.store(0, Ordering::Relaxed);
        LOW.store(false, Ordering::Relaxed);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    /// Native memory needs no headroom (and runs out by aborting the process).
    pub(super) fn has_room() -> bool {
        true
    }

    pub(super) fn limit_for_tests(_bytes: f64) {}
}
