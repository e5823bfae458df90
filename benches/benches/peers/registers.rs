//! The register workloads: LWW register writes, and an MV register that collects
//! concurrent writes from several writers and then resolves them; encoded sizes.

use converge_benches::workloads::lww_writes;
use converge_core::{Codec, Lattice};
use converge_mvregister::MvRegister;
use crdts::{CmRDT, CvRDT};
use criterion::{black_box, Criterion};

use crate::harness::{bincode_len, group, rid, Figure, Sizes};

const MV_WRITERS: u64 = 8;

fn mv_converge() -> MvRegister<i64> {
    let base = MvRegister::new();
    let mut merged = MvRegister::new();
    for w in 0..MV_WRITERS {
        let mut replica = base.clone();
        replica.write(rid(w), w as i64);
        merged.join(replica);
    }
    assert_eq!(merged.values().len(), MV_WRITERS as usize);
    merged.write(rid(0), -1);
    assert_eq!(merged.values().len(), 1);
    merged
}

fn mv_crdts() -> crdts::MVReg<i64, u64> {
    let base = crdts::MVReg::new();
    let mut merged = crdts::MVReg::new();
    for w in 0..MV_WRITERS {
        let mut replica = base.clone();
        let op = replica.write(w as i64, replica.read_ctx().derive_add_ctx(w));
        replica.apply(op);
        merged.merge(replica);
    }
    assert_eq!(merged.read().val.len(), MV_WRITERS as usize);
    let op = merged.write(-1, merged.read_ctx().derive_add_ctx(0));
    merged.apply(op);
    assert_eq!(merged.read().val.len(), 1);
    merged
}

/// Encoded size of the MV register after the resolving write.
pub(crate) fn figures(_sizes: Sizes, out: &mut Vec<Figure>) {
    // MV register after the resolving write.
    let (c_mv, p_mv) = (mv_converge(), mv_crdts());
    out.push(Figure(
        "mvregister",
        "encoded bytes",
        "converge",
        c_mv.encode().unwrap().len(),
    ));
    out.push(Figure(
        "mvregister",
        "encoded bytes",
        "crdts",
        bincode_len(&p_mv),
    ));
}

pub(crate) fn bench(c: &mut Criterion, sizes: Sizes) {
    let n = sizes.lww_writes;
    let mut g = group(c, "lww_writes");
    g.bench_function("converge", |b| b.iter(|| lww_writes(n as u64)));
    g.bench_function("crdts", |b| {
        b.iter(|| {
            let mut reg = crdts::LWWReg {
                val: 0_u64,
                marker: 0_u64,
            };
            for i in 0..n as u64 {
                // Without the black boxes the loop folds to its last write (it took
                // 0.47 ns per write): hide the inputs and make each write land.
                reg.update(black_box(i), black_box(i + 1));
                black_box(&mut reg);
            }
            reg
        })
    });
    g.bench_function("std", |b| {
        b.iter(|| {
            let mut reg: Option<u64> = None;
            for i in 0..n as u64 {
                reg = black_box(Some(i));
            }
            reg
        })
    });
    g.finish();

    let mut g = group(c, "mv_concurrent_then_resolve");
    g.bench_function("converge", |b| b.iter(mv_converge));
    g.bench_function("crdts", |b| b.iter(mv_crdts));
    g.finish();
}
