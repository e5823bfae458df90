//! Hostile-input helpers shared by the native hostile suites: generators of the
//! inputs every decoder must refuse (nesting far past [`MAX_DEPTH`](crate::MAX_DEPTH),
//! length prefixes claiming four billion entries, megabytes of noise) and a way to
//! count what a decode allocates.
//!
//! Counting needs a wrapping global allocator, which each test binary declares (the
//! workspace forbids `unsafe`, so it is `cap`'s):
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: CountingAllocator = counting_allocator();
//! let _guard = exclusive(); // no other test of this binary allocates meanwhile
//! let (result, bytes) = allocated_during(&ALLOCATOR, || GCounter::decode(&input));
//! ```

use std::alloc::System;
use std::sync::{Mutex, MutexGuard, PoisonError};

use cap::Cap;

/// One mebibyte.
pub const MIB: usize = 1 << 20;

/// The global allocator the hostile suites count with.
pub type CountingAllocator = Cap<System>;

/// A [`CountingAllocator`] with no limit, for a `#[global_allocator]` static.
pub const fn counting_allocator() -> CountingAllocator {
    Cap::new(System, usize::MAX)
}

/// Runs `f` and returns its result and every byte allocated meanwhile: an upper
/// bound of its peak allocation. Hold [`exclusive`] so no other test counts too.
pub fn allocated_during<R>(allocator: &CountingAllocator, f: impl FnOnce() -> R) -> (R, usize) {
    let before = allocator.total_allocated();
    let result = f();
    (result, allocator.total_allocated() - before)
}

static EXCLUSIVE: Mutex<()> = Mutex::new(());

/// A lock every measuring test of a binary holds, so no other test of the same binary
/// allocates while one measures.
pub fn exclusive() -> MutexGuard<'static, ()> {
    EXCLUSIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `len` reproducible pseudo-random bytes (splitmix64 from `seed`).
pub fn random_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The MessagePack markers whose 32-bit length prefix a hostile input can set to
/// `0xFFFFFFFF`, with their names: str 32, bin 32, array 32, map 32.
pub const HUGE_MARKERS: [(u8, &str); 4] = [
    (0xdb, "string"),
    (0xc6, "binary"),
    (0xdd, "array"),
    (0xdf, "map"),
];

/// Inputs under 16 bytes that claim `0xFFFFFFFF` entries (or bytes): the first
/// `cut` bytes (0 to 10) of the valid encoding `valid` (nothing, part of its envelope,
/// then more and more of its body) followed by each marker of [`HUGE_MARKERS`] and a length of `0xFFFFFFFF`.
/// Each comes with a description.
pub fn huge_prefixes(valid: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for cut in 0..=valid.len().min(10) {
        for (marker, name) in HUGE_MARKERS {
            let mut bytes = valid[..cut].to_vec();
            bytes.extend_from_slice(&[marker, 0xff, 0xff, 0xff, 0xff]);
            out.push((format!("{name} of 0xFFFFFFFF after {cut} bytes"), bytes));
        }
    }
    out
}

/// `valid` with its longest run of one-element arrays (`0x91`, as a value nested
/// in arrays encodes) stretched to `levels`, or `None` if it has none.
pub fn deepen(valid: &[u8], levels: usize) -> Option<Vec<u8>> {
    let (mut best, mut best_len, mut run) = (0, 0, 0);
    for (i, b) in valid.iter().enumerate() {
        run = if *b == 0x91 { run + 1 } else { 0 };
        if run > best_len {
            (best, best_len) = (i + 1 - run, run);
        }
    }
    if best_len == 0 {
        return None;
    }
    let mut out = valid[..best].to_vec();
    out.resize(best + levels, 0x91);
    out.extend_from_slice(&valid[best + best_len..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deepen_stretches_the_longest_run() {
        let valid = [0xc1, 5, 1, 0x91, 0x00, 0x91, 0x91, 0x91, 0xc0, 0x80];
        let deep = deepen(&valid, 6).unwrap();
        assert_eq!(
            deep,
            [0xc1, 5, 1, 0x91, 0x00, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0xc0, 0x80]
        );
        assert_eq!(deepen(&[0xc1, 5, 1, 0x80], 6), None);
    }

    #[test]
    fn huge_prefixes_are_small() {
        let inputs = huge_prefixes(&[0xc1, 6, 1, 0x93, 0x81, 0xa1, b'k', 0x92, 0x05, 0x80, 0x80]);
        assert_eq!(inputs.len(), 11 * 4);
        for (what, bytes) in inputs {
            assert!(bytes.len() < 16, "{what}");
            assert_eq!(&bytes[bytes.len() - 4..], &[0xff; 4]);
        }
    }

    #[test]
    fn random_bytes_are_reproducible() {
        assert_eq!(random_bytes(100, 7), random_bytes(100, 7));
        assert_ne!(random_bytes(100, 7), random_bytes(100, 8));
        assert_eq!(random_bytes(13, 1).len(), 13);
    }
}
