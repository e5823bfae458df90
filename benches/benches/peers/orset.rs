//! The OR-Set workloads: adding distinct elements, removing half of them, merging two
//! half-overlapping sets; heap bytes per element and encoded size.

use std::collections::HashSet;

use converge_benches::workloads::converge_set;
use converge_core::{Codec, Lattice};
use crdts::{CmRDT, CvRDT};
use criterion::{black_box, BatchSize, Criterion};

use crate::harness::{bincode_len, elements, group, heap_of, rid, Figure, Sizes};

type Orswot = crdts::Orswot<String, u64>;

fn crdts_set(elems: Vec<String>, actor: u64) -> Orswot {
    let mut set = Orswot::new();
    for e in elems {
        let op = set.add(e, set.read_ctx().derive_add_ctx(actor));
        set.apply(op);
    }
    set
}

fn std_set(elems: Vec<String>) -> HashSet<String> {
    let mut set = HashSet::new();
    for e in elems {
        set.insert(e);
    }
    set
}

/// Heap bytes per element after adding `set_elements` distinct 16-byte strings, and encoded size.
pub(crate) fn figures(sizes: Sizes, out: &mut Vec<Figure>) {
    let n = sizes.set_elements;

    // OR-Set: heap after adding n distinct 16-byte strings, and encoded size.
    let (c_set, c_heap) = heap_of(|| converge_set(elements(0..n), rid(0)));
    let (p_set, p_heap) = heap_of(|| crdts_set(elements(0..n), 0));
    let (s_set, s_heap) = heap_of(|| std_set(elements(0..n)));
    assert_eq!(c_set.len(), n);
    assert_eq!(p_set.read().val.len(), n);
    assert_eq!(s_set.len(), n);
    out.push(Figure(
        "orset",
        "heap bytes per element",
        "converge",
        c_heap / n,
    ));
    out.push(Figure(
        "orset",
        "heap bytes per element",
        "crdts",
        p_heap / n,
    ));
    out.push(Figure("orset", "heap bytes per element", "std", s_heap / n));
    out.push(Figure(
        "orset",
        "encoded bytes",
        "converge",
        c_set.encode().unwrap().len(),
    ));
    out.push(Figure(
        "orset",
        "encoded bytes",
        "crdts",
        bincode_len(&p_set),
    ));
    out.push(Figure("orset", "encoded bytes", "raw", 16 * n));
}

pub(crate) fn bench(c: &mut Criterion, sizes: Sizes) {
    let n = sizes.set_elements;
    let elems = elements(0..n);

    let mut g = group(c, "orset_add");
    g.bench_function("converge", |b| {
        b.iter_batched(
            || elems.clone(),
            |e| converge_set(e, rid(0)),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("crdts", |b| {
        b.iter_batched(|| elems.clone(), |e| crdts_set(e, 0), BatchSize::LargeInput)
    });
    g.bench_function("std", |b| {
        b.iter_batched(|| elems.clone(), std_set, BatchSize::LargeInput)
    });
    g.finish();

    // Remove every other element.
    let half: Vec<String> = elems.iter().step_by(2).cloned().collect();
    let mut g = group(c, "orset_remove_half");
    let full = converge_set(elems.clone(), rid(0));
    g.bench_function("converge", |b| {
        b.iter_batched(
            || full.clone(),
            |mut set| {
                for e in &half {
                    black_box(set.remove(e));
                }
                set
            },
            BatchSize::LargeInput,
        )
    });
    let full = crdts_set(elems.clone(), 0);
    g.bench_function("crdts", |b| {
        b.iter_batched(
            || full.clone(),
            |mut set| {
                for e in &half {
                    let op = set.rm(e.clone(), set.contains(e).derive_rm_ctx());
                    set.apply(op);
                }
                set
            },
            BatchSize::LargeInput,
        )
    });
    let full = std_set(elems.clone());
    g.bench_function("std", |b| {
        b.iter_batched(
            || full.clone(),
            |mut set| {
                for e in &half {
                    set.remove(e);
                }
                set
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();

    // Two sets of n elements, half of them in both, written by different replicas.
    let (lo, hi) = (elements(0..n), elements(n / 2..n / 2 + n));
    let mut g = group(c, "orset_merge");
    let (x, y) = (
        converge_set(lo.clone(), rid(0)),
        converge_set(hi.clone(), rid(1)),
    );
    g.bench_function("converge", |b| {
        b.iter_batched(
            || (x.clone(), y.clone()),
            |(mut x, y)| {
                x.join(y);
                x
            },
            BatchSize::LargeInput,
        )
    });
    let (x, y) = (crdts_set(lo.clone(), 0), crdts_set(hi.clone(), 1));
    g.bench_function("crdts", |b| {
        b.iter_batched(
            || (x.clone(), y.clone()),
            |(mut x, y)| {
                x.merge(y);
                x
            },
            BatchSize::LargeInput,
        )
    });
    let (x, y) = (std_set(lo), std_set(hi));
    g.bench_function("std", |b| {
        b.iter_batched(
            || (x.clone(), y.clone()),
            |(mut x, y)| {
                x.extend(y);
                x
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}
