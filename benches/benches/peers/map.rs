//! The map workloads: updates spread over many keys (a counter and a register under
//! each key), and the merge of two such maps; heap bytes per key and encoded size.

use std::collections::HashMap;
use std::convert::Infallible;

use converge_benches::workloads::converge_map;
use converge_core::{Codec, Lattice};
use crdts::{CmRDT, CvRDT, ResetRemove};
use criterion::{black_box, BatchSize, Criterion};
use dson::crdts::mvreg::MvRegValue;
use dson::crdts::snapshot::ToValue;
use dson::sentinel::DummySentinel;
use dson::{CausalDotStore, Identifier};
use serde::{Deserialize, Serialize};

use crate::harness::{bincode_len, group, heap_of, rid, Figure, Sizes, SMALL};

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

/// Heap bytes per key and encoded size after the update workload.
pub(crate) fn figures(sizes: Sizes, out: &mut Vec<Figure>) {
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
}

pub(crate) fn bench(c: &mut Criterion, sizes: Sizes) {
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
