//! Side-by-side benchmarks: converge against its peers on the same work in the same run.
//!
//! Peers: the `crdts` crate (7.3: GCounter, PNCounter, Orswot, LWWReg, MVReg, Map),
//! `dson` (0.3: `CausalDotStore<OrMap<String>>` of `MvReg`s, map workloads only) and
//! std collections (`HashSet<String>`, `HashMap`) as the floor that has no merge
//! semantics at all.
//!
//! Two kinds of figures:
//! - times, measured by criterion (group = workload, function = subject); the
//!   `report` binary reads them back from `target/criterion/*/*/new/estimates.json`;
//! - bytes, measured once before criterion starts: encoded size (converge:
//!   `Codec::encode`; crdts and dson: bincode 1.x) and heap bytes (a counting global
//!   allocator, `cap`, over the whole bench binary: the bytes still allocated after
//!   building a value, so transient allocations are not counted). These go to stdout
//!   and, at full size, to `results/peers_sizes.tsv`.
//!
//! `CONVERGE_BENCH_SMALL=1` shrinks every workload (for a quick CI run with
//! `-- --test`); a small run prints its figures but leaves the results file alone.

use std::alloc::System;
use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::time::Duration;

use cap::Cap;
use converge_benches::workloads::{
    converge_map, converge_set, crdts_gcounter_increments, crdts_pncounter_increments, element,
    gcounter_increments, lww_writes, pncounter_increments, COUNTER_WRITERS,
};
use converge_core::{Codec, Lattice, ReplicaId};
use converge_gcounter::GCounter;
use converge_mvregister::MvRegister;
use converge_pncounter::PnCounter;
use crdts::{CmRDT, CvRDT, ResetRemove};
use criterion::{black_box, BatchSize, Criterion, SamplingMode};
use dson::crdts::mvreg::MvRegValue;
use dson::crdts::snapshot::ToValue;
use dson::sentinel::DummySentinel;
use dson::{CausalDotStore, Identifier};
use serde::{Deserialize, Serialize};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// Workload sizes: full, or tiny for CI.
#[derive(Clone, Copy)]
struct Sizes {
    /// Counter increments (spread over `COUNTER_WRITERS` replicas).
    increments: usize,
    /// Replicas in each of the two counters merged.
    counter_replicas: u64,
    /// Distinct elements added to a set (and in each of the two merged sets).
    set_elements: usize,
    /// LWW register writes.
    lww_writes: usize,
    /// Map updates, and the keys they spread over.
    map_updates: usize,
    map_keys: usize,
}

const FULL: Sizes = Sizes {
    increments: 1_000_000,
    counter_replicas: 1_000,
    set_elements: 100_000,
    lww_writes: 1_000_000,
    map_updates: 100_000,
    map_keys: 10_000,
};

const SMALL: Sizes = Sizes {
    increments: 1_000,
    counter_replicas: 10,
    set_elements: 1_000,
    lww_writes: 1_000,
    map_updates: 1_000,
    map_keys: 100,
};

const MV_WRITERS: u64 = 8;

fn elements(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(element).collect()
}

fn rid(i: u64) -> ReplicaId {
    ReplicaId::new(i + 1)
}

/// The bytes still allocated after `build` returns, and what it built.
fn heap_of<T>(build: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATOR.allocated();
    let value = build();
    let after = ALLOCATOR.allocated();
    (value, after.saturating_sub(before))
}

fn bincode_len<T: Serialize>(value: &T) -> usize {
    bincode::serialize(value).expect("bincode").len()
}

/// dson's serde derives use `flatten` and `skip_serializing_if`, which bincode cannot
/// encode (it fails with `SequenceMustHaveLength`), so dson is encoded with MessagePack
/// (rmp-serde, the format of converge's own body), in the compact form if it decodes
/// back to the same state, else with field names.
fn dson_len(store: &DsonMap) -> usize {
    let compact = rmp_serde::to_vec(store).expect("MessagePack");
    if rmp_serde::from_slice::<DsonMap>(&compact).is_ok_and(|back| &back == store) {
        return compact.len();
    }
    println!("dson: compact MessagePack does not round-trip, using named fields");
    let named = rmp_serde::to_vec_named(store).expect("MessagePack");
    let back: DsonMap = rmp_serde::from_slice(&named).expect("dson decodes its own encoding");
    assert!(&back == store, "dson round-trips with named fields");
    named.len()
}

// ---------------------------------------------------------------------------------
// Building the states, one function per subject, shared by the timed and the
// measured parts.

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

/// The nested value of the map workloads in crdts: a counter and a register under
/// one key (crdts' Map holds one value type, so the pair is a small CRDT of its own).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Entry {
    count: crdts::PNCounter<u64>,
    name: crdts::MVReg<i64, u64>,
}

#[derive(Debug, Clone)]
enum EntryOp {
    Count(crdts::pncounter::Op<u64>),
    Name(crdts::mvreg::Op<i64, u64>),
}

impl CmRDT for Entry {
    type Op = EntryOp;
    type Validation = Infallible;
    fn validate_op(&self, _op: &EntryOp) -> Result<(), Infallible> {
        Ok(())
    }
    fn apply(&mut self, op: EntryOp) {
        match op {
            EntryOp::Count(op) => self.count.apply(op),
            EntryOp::Name(op) => self.name.apply(op),
        }
    }
}

impl CvRDT for Entry {
    type Validation = Infallible;
    fn validate_merge(&self, _other: &Self) -> Result<(), Infallible> {
        Ok(())
    }
    fn merge(&mut self, other: Self) {
        self.count.merge(other.count);
        self.name.merge(other.name);
    }
}

impl ResetRemove<u64> for Entry {
    fn reset_remove(&mut self, clock: &crdts::VClock<u64>) {
        self.count.reset_remove(clock);
        self.name.reset_remove(clock);
    }
}

type CrdtsMap = crdts::Map<String, Entry, u64>;
type DsonMap = CausalDotStore<dson::OrMap<String>>;

fn key(i: usize, sizes: Sizes) -> String {
    format!("key-{:05}", i % sizes.map_keys)
}

fn map_keys(sizes: Sizes) -> Vec<String> {
    (0..sizes.map_keys).map(|i| key(i, sizes)).collect()
}

fn crdts_map(keys: &[String], sizes: Sizes, actor: u64) -> CrdtsMap {
    let mut map = CrdtsMap::new();
    for i in 0..sizes.map_updates {
        let k = keys[i % keys.len()].clone();
        let ctx = map.read_ctx().derive_add_ctx(actor);
        let op = if i % 2 == 0 {
            map.update(k, ctx, |e, _| EntryOp::Count(e.count.inc(actor)))
        } else {
            map.update(k, ctx, |e, ctx| EntryOp::Name(e.name.write(i as i64, ctx)))
        };
        map.apply(op);
    }
    map
}

/// dson has no counter: the count is an `MvReg` of `U64`, read, then written + 1.
/// Each update is a delta mutator of dson's `api` module applied to the store (its
/// `transact` API clones the whole store per transaction, quadratic over this
/// workload, so it is not used).
fn dson_map(keys: &[String], sizes: Sizes, id: Identifier) -> DsonMap {
    use dson::api::{map::apply_to_map, map::apply_to_register, register::write};
    let mut store = DsonMap::default();
    let count_key = "count".to_string();
    for i in 0..sizes.map_updates {
        let k = &keys[i % keys.len()];
        let (field, value) = if i % 2 == 0 {
            let current = store
                .store
                .get(k)
                .and_then(|fields| fields.map.get(&count_key))
                .and_then(|field| match field.reg.value() {
                    Ok(MvRegValue::U64(n)) => Some(*n),
                    _ => None,
                })
                .unwrap_or(0);
            ("count", MvRegValue::U64(current + 1))
        } else {
            ("name", MvRegValue::I64(i as i64))
        };
        let delta = apply_to_map(
            apply_to_register(write(value), field.to_string()),
            k.clone(),
        )(&store.store, &store.context, id);
        store
            .consume(black_box(delta), &mut DummySentinel)
            .expect("infallible");
    }
    store
}

/// Whether dson runs the map workloads: always at the small size, at full size only
/// with `CONVERGE_BENCH_DSON=1`. Every dson update is a delta joined into the store,
/// and dson's join walks every key of the store (`DotMap::join` calls
/// `CausalContext::any_dot_in` per key), so 100,000 updates over 10,000 keys cost
/// about 10^9 such calls: one full-size map took over 4 minutes on 2 cores, and
/// criterion needs at least 13 of them, which would take `make bench` past 15 minutes.
fn with_dson(sizes: Sizes) -> bool {
    sizes.map_updates <= SMALL.map_updates
        || std::env::var("CONVERGE_BENCH_DSON").is_ok_and(|v| v == "1")
}

fn std_map(keys: &[String], sizes: Sizes) -> HashMap<String, (i64, i64)> {
    let mut map: HashMap<String, (i64, i64)> = HashMap::new();
    for i in 0..sizes.map_updates {
        let k = &keys[i % keys.len()];
        let entry = match map.get_mut(k) {
            Some(entry) => entry,
            None => map.entry(k.clone()).or_default(),
        };
        if i % 2 == 0 {
            entry.0 += 1;
        } else {
            entry.1 = i as i64;
        }
    }
    map
}

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

// ---------------------------------------------------------------------------------
// Byte figures.

/// One measured figure: workload, measure, subject, value.
struct Figure(&'static str, &'static str, &'static str, usize);

fn measure_sizes(sizes: Sizes) -> Vec<Figure> {
    let mut out = Vec::new();
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

    // OR-Map: heap and encoded size after the update workload.
    let keys = map_keys(sizes);
    let (c_map, c_heap) = heap_of(|| converge_map(&keys, sizes.map_updates, rid(0)));
    let (p_map, p_heap) = heap_of(|| crdts_map(&keys, sizes, 0));
    let dson = with_dson(sizes);
    let (d_map, d_heap) = if dson {
        let (map, heap) = heap_of(|| dson_map(&keys, sizes, Identifier::new(0, 0)));
        (Some(map), heap)
    } else {
        (None, 0)
    };
    let (s_map, s_heap) = heap_of(|| std_map(&keys, sizes));
    assert_eq!(c_map.len(), sizes.map_keys);
    assert_eq!(s_map.len(), sizes.map_keys);
    let per_key = |bytes: usize| bytes / sizes.map_keys;
    out.push(Figure(
        "ormap",
        "heap bytes per key",
        "converge",
        per_key(c_heap),
    ));
    out.push(Figure(
        "ormap",
        "heap bytes per key",
        "crdts",
        per_key(p_heap),
    ));
    if dson {
        out.push(Figure(
            "ormap",
            "heap bytes per key",
            "dson",
            per_key(d_heap),
        ));
    }
    out.push(Figure(
        "ormap",
        "heap bytes per key",
        "std",
        per_key(s_heap),
    ));
    out.push(Figure(
        "ormap",
        "encoded bytes",
        "converge",
        c_map.encode().unwrap().len(),
    ));
    out.push(Figure(
        "ormap",
        "encoded bytes",
        "crdts",
        bincode_len(&p_map),
    ));
    if let Some(d_map) = &d_map {
        out.push(Figure("ormap", "encoded bytes", "dson", dson_len(d_map)));
    }
    out
}

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

// ---------------------------------------------------------------------------------
// Timings.

fn group<'a>(
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

fn bench_counters(c: &mut Criterion, sizes: Sizes) {
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

fn bench_orset(c: &mut Criterion, sizes: Sizes) {
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

fn bench_registers(c: &mut Criterion, sizes: Sizes) {
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

fn bench_map(c: &mut Criterion, sizes: Sizes) {
    let keys = map_keys(sizes);
    let mut g = group(c, "ormap_updates");
    g.bench_function("converge", |b| {
        b.iter(|| converge_map(&keys, sizes.map_updates, rid(0)))
    });
    g.bench_function("crdts", |b| b.iter(|| crdts_map(&keys, sizes, 0)));
    if with_dson(sizes) {
        g.bench_function("dson", |b| {
            b.iter(|| dson_map(&keys, sizes, Identifier::new(0, 0)))
        });
    }
    g.bench_function("std", |b| b.iter(|| std_map(&keys, sizes)));
    g.finish();

    // Two such maps, written by different replicas over the same keys.
    let mut g = group(c, "ormap_merge");
    let (x, y) = (
        converge_map(&keys, sizes.map_updates, rid(0)),
        converge_map(&keys, sizes.map_updates, rid(1)),
    );
    let mut check = x.clone();
    check.join(y.clone());
    assert_eq!(check.len(), sizes.map_keys);
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
    let (x, y) = (crdts_map(&keys, sizes, 0), crdts_map(&keys, sizes, 1));
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
    if with_dson(sizes) {
        let (x, y) = (
            dson_map(&keys, sizes, Identifier::new(0, 0)),
            dson_map(&keys, sizes, Identifier::new(1, 0)),
        );
        g.bench_function("dson", |b| {
            b.iter_batched(
                || (x.clone(), y.clone()),
                |(x, y)| x.join(y, &mut DummySentinel).expect("infallible"),
                BatchSize::LargeInput,
            )
        });
    }
    let (x, y) = (std_map(&keys, sizes), std_map(&keys, sizes));
    g.bench_function("std", |b| {
        b.iter_batched(
            || (x.clone(), y.clone()),
            |(mut x, y)| {
                for (k, (count, name)) in y {
                    let e = x.entry(k).or_default();
                    e.0 += count;
                    e.1 = e.1.max(name);
                }
                x
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// The 1-minute load average times 100 (0 where `/proc/loadavg` is unreadable).
fn load_average_x100() -> usize {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0, |l| (l * 100.0).round() as usize)
}

fn main() {
    let small = std::env::var("CONVERGE_BENCH_SMALL").is_ok_and(|v| v == "1");
    let sizes = if small { SMALL } else { FULL };

    let mut figures = measure_sizes(sizes);
    // The machine's load when the bench starts (other processes skew the times).
    figures.push(Figure(
        "machine",
        "load average x100",
        "start",
        load_average_x100(),
    ));
    let mut tsv = String::from("workload\tmeasure\tsubject\tvalue\n");
    for Figure(workload, measure, subject, value) in &figures {
        println!("{workload:<12} {measure:<24} {subject:<9} {value}");
        tsv += &format!("{workload}\t{measure}\t{subject}\t{value}\n");
    }
    if small {
        println!("(CONVERGE_BENCH_SMALL=1: results/peers_sizes.tsv left unchanged)\n");
    } else {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/peers_sizes.tsv");
        std::fs::write(path, &tsv).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        println!("written to {path}\n");
    }

    let mut c = Criterion::default().configure_from_args();
    bench_counters(&mut c, sizes);
    bench_orset(&mut c, sizes);
    bench_registers(&mut c, sizes);
    bench_map(&mut c, sizes);
    c.final_summary();
}
