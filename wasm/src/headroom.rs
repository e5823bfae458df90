//! Wasm memory grows in large steps, not a page at a time.
//!
//! The allocator (dlmalloc) asks the engine for more memory in 64 KiB steps, and in
//! V8 each `memory.grow` costs time in proportion to the memory already there (about
//! a millisecond at 100 MB). A document that grows by a few hundred bytes per write
//! then spends most of its write time growing memory, and the cost of a write grows
//! with the document. So whenever memory has grown, this reserves headroom of a
//! quarter of it in one step (allocated and freed at once: the allocator keeps it for
//! later allocations), which makes the number of grows logarithmic in the size.

#[cfg(target_arch = "wasm32")]
mod imp {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The memory size (in 64 KiB pages) after the last headroom was reserved.
    static PAGES_SEEN: AtomicUsize = AtomicUsize::new(0);

    /// The least headroom worth a grow: 1 MiB.
    const MIN_HEADROOM: usize = 1 << 20;

    pub(crate) fn keep_headroom() {
        let pages = core::arch::wasm32::memory_size(0);
        if pages <= PAGES_SEEN.load(Ordering::Relaxed) {
            return;
        }
        let bytes = (pages / 4).saturating_mul(65536).max(MIN_HEADROOM);
        let mut reserve: Vec<u8> = Vec::new();
        // Out of memory here is no error: the headroom is only an optimisation.
        if reserve.try_reserve_exact(bytes).is_ok() {
            // Keep the optimiser from eliding the allocation.
            std::hint::black_box(&reserve);
        }
        drop(reserve);
        PAGES_SEEN.store(core::arch::wasm32::memory_size(0), Ordering::Relaxed);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    /// Native memory needs no headroom.
    pub(crate) fn keep_headroom() {}
}

pub(crate) use imp::keep_headroom;
