//! What every workload shares: the sizes it runs at, the replica ids and elements it
//! writes, how heap and encoded bytes are measured, and the criterion group settings.

use std::time::Duration;

use converge_benches::workloads::element;
use converge_core::ReplicaId;
use criterion::{Criterion, SamplingMode};
use serde::Serialize;

use crate::ALLOCATOR;

/// Workload sizes: full, or tiny for CI.
#[derive(Clone, Copy)]
pub(crate) struct Sizes {
    /// Counter increments (spread over `COUNTER_WRITERS` replicas).
    pub(crate) increments: usize,
    /// Replicas in each of the two counters merged.
    pub(crate) counter_replicas: u64,
    /// Distinct elements added to a set (and in each of the two merged sets).
    pub(crate) set_elements: usize,
    /// LWW register writes.
    pub(crate) lww_writes: usize,
    /// Map updates, and the keys they spread over.
    pub(crate) map_updates: usize,
    pub(crate) map_keys: usize,
}

pub(crate) const FULL: Sizes = Sizes {
    increments: 1_000_000,
    counter_replicas: 1_000,
    set_elements: 100_000,
    lww_writes: 1_000_000,
    map_updates: 100_000,
    map_keys: 10_000,
};

pub(crate) const SMALL: Sizes = Sizes {
    increments: 1_000,
    counter_replicas: 10,
    set_elements: 1_000,
    lww_writes: 1_000,
    map_updates: 1_000,
    map_keys: 100,
};

pub(crate) fn elements(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(element).collect()
}

pub(crate) fn rid(i: u64) -> ReplicaId {
    ReplicaId::new(i + 1)
}

/// The bytes still allocated after `build` returns, and what it built.
pub(crate) fn heap_of<T>(build: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATOR.allocated();
    let value = build();
    let after = ALLOCATOR.allocated();
    (value, after.saturating_sub(before))
}

pub(crate) fn bincode_len<T: Serialize>(value: &T) -> usize {
    bincode::serialize(value).expect("bincode").len()
}

/// One measured figure: workload, measure, subject, value.
pub(crate) struct Figure(
    pub(crate) &'static str,
    pub(crate) &'static str,
    pub(crate) &'static str,
    pub(crate) usize,
);

pub(crate) fn group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g
}
