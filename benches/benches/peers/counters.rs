//! The counter workloads: G-Counter and PN-Counter increments by a few writers, and
//! the merge of two counters of many replicas; encoded sizes of such counters.

use std::collections::HashMap;

use converge_benches::workloads::{
    crdts_gcounter_increments, crdts_pncounter_increments, gcounter_increments,
    pncounter_increments, COUNTER_WRITERS,
};
use converge_core::{Codec, Lattice};
use converge_gcounter::GCounter;
use converge_pncounter::PnCounter;
use crdts::{CmRDT, CvRDT};
use criterion::{BatchSize, Criterion};

use crate::harness::{bincode_len, group, rid, Figure, Sizes};

fn converge_gcounter(replicas: std::ops::Range<u64>) -> GCounter {
    replicas.map(|r| (rid(r), r + 1)).collect()
}

fn crdts_gcounter(replicas: std::ops::Range<u64>) -> crdts::GCounter<u64> {
    let mut c = crdts::GCounter::new();
    for r in replicas {
        c.apply(c.inc_many(r, r + 1));
    }
    c
}

fn converge_pncounter(replicas: std::ops::Range<u64>) -> PnCounter {
    let mut c = PnCounter::new();
    for r in replicas {
        c.increment(rid(r), 2 * r + 2).expect("no overflow");
        c.decrement(rid(r), r + 1).expect("no overflow");
    }
    c
}

fn crdts_pncounter(replicas: std::ops::Range<u64>) -> crdts::PNCounter<u64> {
    let mut c = crdts::PNCounter::new();
    for r in replicas {
        c.apply(c.inc_many(r, 2 * r + 2));
        c.apply(c.dec_many(r, r + 1));
    }
    c
}

fn std_counter(replicas: std::ops::Range<u64>) -> HashMap<u64, u64> {
    replicas.map(|r| (r, r + 1)).collect()
}

/// Encoded size of a counter of `counter_replicas` replicas.
pub(crate) fn figures(sizes: Sizes, out: &mut Vec<Figure>) {
    // Counters: encoded size of a counter of `counter_replicas` replicas.
    let r = sizes.counter_replicas;
    out.push(Figure(
        "gcounter",
        "encoded bytes",
        "converge",
        converge_gcounter(0..r).encode().unwrap().len(),
    ));
    out.push(Figure(
        "gcounter",
        "encoded bytes",
        "crdts",
        bincode_len(&crdts_gcounter(0..r)),
    ));
    out.push(Figure(
        "pncounter",
        "encoded bytes",
        "converge",
        converge_pncounter(0..r).encode().unwrap().len(),
    ));
    out.push(Figure(
        "pncounter",
        "encoded bytes",
        "crdts",
        bincode_len(&crdts_pncounter(0..r)),
    ));
}

pub(crate) fn bench(c: &mut Criterion, sizes: Sizes) {
    let n = sizes.increments;
    let mut g = group(c, "gcounter_increments");
    g.bench_function("converge", |b| b.iter(|| gcounter_increments(n as u64)));
    g.bench_function("crdts", |b| b.iter(|| crdts_gcounter_increments(n as u64)));
    g.bench_function("std", |b| {
        b.iter(|| {
            let mut counter: HashMap<u64, u64> = HashMap::new();
            for i in 0..n as u64 {
                *counter.entry(i % COUNTER_WRITERS).or_default() += 1;
            }
            counter
        })
    });
    g.finish();

    let mut g = group(c, "pncounter_increments");
    g.bench_function("converge", |b| b.iter(|| pncounter_increments(n as u64)));
    g.bench_function("crdts", |b| b.iter(|| crdts_pncounter_increments(n as u64)));
    g.bench_function("std", |b| {
        b.iter(|| {
            let mut counter: HashMap<u64, (u64, u64)> = HashMap::new();
            for i in 0..n as u64 {
                let entry = counter.entry(i % COUNTER_WRITERS).or_default();
                if i % 4 == 3 {
                    entry.1 += 1
                } else {
                    entry.0 += 1
                }
            }
            counter
        })
    });
    g.finish();

    // Two counters of `counter_replicas` replicas each, half of them shared.
    let r = sizes.counter_replicas;
    let (a, b2) = (r / 2, r / 2 + r);
    let mut g = group(c, "gcounter_merge");
    let (x, y) = (converge_gcounter(0..r), converge_gcounter(a..b2));
    g.bench_function("converge", |b| {
        b.iter_batched(
            || (x.clone(), y.clone()),
            |(mut x, y)| {
                x.join(y);
                x
            },
            BatchSize::SmallInput,
        )
    });
    let (x, y) = (crdts_gcounter(0..r), crdts_gcounter(a..b2));
    g.bench_function("crdts", |b| {
        b.iter_batched(
            || (x.clone(), y.clone()),
            |(mut x, y)| {
                x.merge(y);
                x
            },
            BatchSize::SmallInput,
        )
    });
    let (x, y) = (std_counter(0..r), std_counter(a..b2));
    g.bench_function("std", |b| {
        b.iter_batched(
            || (x.clone(), y.clone()),
            |(mut x, y)| {
                for (k, v) in y {
                    let e = x.entry(k).or_default();
                    *e = (*e).max(v);
                }
                x
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = group(c, "pncounter_merge");
    let (x, y) = (converge_pncounter(0..r), converge_pncounter(a..b2));
    g.bench_function("converge", |b| {
        b.iter_batched(
            || (x.clone(), y.clone()),
            |(mut x, y)| {
                x.join(y);
                x
            },
            BatchSize::SmallInput,
        )
    });
    let (x, y) = (crdts_pncounter(0..r), crdts_pncounter(a..b2));
    g.bench_function("crdts", |b| {
        b.iter_batched(
            || (x.clone(), y.clone()),
            |(mut x, y)| {
                x.merge(y);
                x
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}
