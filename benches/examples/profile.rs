//! Runs one converge workload of the `peers` bench once, at full size, for a profiler:
//!
//! ```text
//! cargo build --release -p converge-benches --example profile
//! valgrind --tool=callgrind --toggle-collect='profile::run' \
//!     target/release/examples/profile orset_add
//! ```
//!
//! `--toggle-collect='profile::run'` counts only the workload, not building its inputs.
//! Instruction counts repeat from run to run even on a loaded machine, so they are
//! the before/after figure for a change; wall-clock times come from `make bench`.
//! Workloads: `orset_add`, `orset_merge`, `lww_writes`, `gcounter_increments`,
//! `pncounter_increments` (and `crdts_gcounter_increments`, `crdts_pncounter_increments`:
//! the same work on the `crdts` peer), `ormap_updates`,
//! `ormap_merge`, `doc_increments` (10,000 increments of one counter, each delta
//! joined into a pending delta as the npm package does), `doc_sets` and
//! `doc_sets_take` (100,000 `Document.set`s over 10,000 keys as the npm package makes
//! them, without and with `takeDelta()` after each), `doc_change` and `doc_writes`
//! (the same writes as `Document.change` makes them, in one `write_all`, and as
//! `Document.set` does, one `write` each with its delta encoded for the pending
//! deltas), `doc_counter_change` and `doc_counter_writes` (10,000 increments, the same
//! two ways), `doc_decode_merge` (the JS bench's decode + merge: A's encoding of
//! 100,000 writes over 10,000 keys decoded into a replica, which merges B's encoding of
//! the same keys written by another replica, with its report, as `Document.merge`
//! does), `doc_merge` (its merge alone, both documents decoded beforehand), and
//! `std_set_add` (the
//! `HashSet<String>` floor of `orset_add`). What a workload builds is dropped
//! outside the count, as criterion drops it outside the timing.

use std::any::Any;
use std::collections::{HashMap, HashSet};

use converge_benches::workloads::{
    converge_map, converge_set, crdts_gcounter_increments, crdts_pncounter_increments, element,
    gcounter_increments, lww_writes, pncounter_increments,
};
use converge_core::{Codec, Hlc, Lattice, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_ormap::{Counter, Document, Policies, Value, Write, WriteGuard, WrittenPaths};
use converge_orset::OrSet;
use converge_sync::Replica;

/// The timed part of each workload; its inputs are built before.
#[allow(clippy::large_enum_variant)] // one value per run: its size does not matter
enum Work {
    OrsetAdd(Vec<String>),
    OrsetMerge(OrSet<String>, OrSet<String>),
    LwwWrites,
    GcounterIncrements,
    PncounterIncrements,
    CrdtsGcounterIncrements,
    CrdtsPncounterIncrements,
    MapUpdates(Vec<String>),
    MapMerge(Document, Document),
    DocIncrements,
    DocSets { take_each: bool },
    DocWrites { batch: bool },
    DocNestedWrites { batch: bool, nested: bool },
    DocCounter { batch: bool },
    StdSetAdd(Vec<String>),
    DocDecodeMerge(Vec<u8>, Vec<u8>),
    DocMerge(Replica<Document>, Document),
}

#[inline(never)]
fn run(work: Work) -> Box<dyn Any> {
    let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
    match work {
        Work::OrsetAdd(elements) => Box::new(converge_set(elements, a)),
        Work::OrsetMerge(mut x, y) => {
            x.join(y);
            Box::new(x)
        }
        Work::DocSets { take_each } => {
            // The npm package's Document.set: an LWW register per key, each delta
            // joined into the pending delta, which `takeDelta()` encodes and empties.
            let mut clock = Hlc::new(|| 1_700_000_000_000_u64);
            let mut doc = Document::new();
            let mut pending = Document::new();
            let mut taken = 0;
            for i in 0..100_000_usize {
                let key = format!("k{}", i % 10_000);
                let delta = doc
                    .update_at(&[key.as_str()], |r: &mut LwwRegister<Value>| {
                        r.set(a, &mut clock, Value::Int(i as i64))
                    })
                    .expect("a short path and a plain value are never refused");
                pending.join(delta);
                if take_each {
                    taken += std::mem::take(&mut pending).encode().unwrap().len();
                }
            }
            Box::new((doc, pending, taken))
        }
        Work::DocWrites { batch } => {
            // The npm package's Document.change (one write_all) or Document.set (one
            // write each, its delta encoded for the pending deltas).
            let keys: Vec<String> = (0..10_000).map(|i| format!("k{i}")).collect();
            let writes = (0..100_000_usize).map(|i| {
                (
                    vec![keys[i % 10_000].clone()],
                    Write::Set(Value::Int(i as i64)),
                )
            });
            Box::new(doc_writes(writes, batch, Keep::Encoded))
        }
        Work::DocNestedWrites { batch, nested } => {
            // The npm package's writes at ['users', key, 'n'] (or [key] when not
            // nested): one change, or one write each, its path recorded for the pending
            // delta (`WrittenPaths`), read back and encoded once at the end.
            let keys: Vec<String> = (0..10_000).map(|i| format!("k{i}")).collect();
            let writes = (0..100_000_usize).map(|i| {
                let key = keys[i % 10_000].clone();
                let path = if nested {
                    vec!["users".to_string(), key, "n".to_string()]
                } else {
                    vec![key]
                };
                (path, Write::Set(Value::Int(i as i64)))
            });
            Box::new(doc_writes(writes, batch, Keep::Recorded))
        }
        Work::DocCounter { batch } => {
            let writes = (0..10_000).map(|_| (vec!["c".to_string()], Write::Increment(1)));
            Box::new(doc_writes(writes, batch, Keep::Encoded))
        }
        Work::StdSetAdd(elements) => {
            let mut set = HashSet::new();
            for e in elements {
                set.insert(e);
            }
            Box::new(set)
        }
        Work::DocDecodeMerge(a_bytes, b_bytes) => {
            let doc = Document::decode(&a_bytes).expect("encoded above");
            let mut replica = Replica::new(a, doc).expect("a fresh replica");
            let other = Document::decode(&b_bytes).expect("encoded above");
            let report = replica.merge_reporting(other, &Policies::new());
            Box::new((replica, report))
        }
        Work::DocMerge(mut replica, other) => {
            let report = replica.merge_reporting(other, &Policies::new());
            Box::new((replica, report))
        }
        Work::LwwWrites => Box::new(lww_writes(1_000_000)),
        Work::GcounterIncrements => Box::new(gcounter_increments(1_000_000)),
        Work::PncounterIncrements => Box::new(pncounter_increments(1_000_000)),
        Work::CrdtsGcounterIncrements => Box::new(crdts_gcounter_increments(1_000_000)),
        Work::CrdtsPncounterIncrements => Box::new(crdts_pncounter_increments(1_000_000)),
        Work::MapUpdates(keys) => Box::new(converge_map(&keys, 100_000, a)),
        Work::MapMerge(mut x, y) => {
            x.join(y);
            Box::new(x)
        }
        Work::DocIncrements => {
            let mut doc = Document::new();
            let mut pending = Document::new();
            for _ in 0..10_000 {
                let delta = doc
                    .update_at(&["n"], |c: &mut Counter| c.increment(b, 1))
                    .expect("a short path and a plain value are never refused");
                pending.join(delta);
            }
            Box::new((doc, pending))
        }
    }
}

/// The encoding of 100,000 writes over 10,000 keys by `writer`, in one `write_all`.
fn encoded_writes(writer: u64) -> Vec<u8> {
    let policies = Policies::new();
    let guard = WriteGuard {
        writer: ReplicaId::new(writer),
        policies: &policies,
        if_match: None,
    };
    let mut clock = Hlc::new(|| 1_700_000_000_000_u64);
    let mut doc = Document::new();
    let writes = (0..100_000_usize).map(|i| {
        (
            vec![format!("k{}", i % 10_000)],
            Write::Set(Value::Int(i as i64)),
        )
    });
    doc.write_all(writes, &guard, &mut clock)
        .expect("short paths and plain values are never refused");
    doc.encode().expect("a plain document encodes")
}

/// How single writes' deltas are kept, as the npm package has kept them.
#[derive(Clone, Copy)]
enum Keep {
    /// Each delta encoded.
    Encoded,
    /// The first deltas joined, the rest written as their leaf deltas
    /// (`Document::write_leaf`, no root delta built) and recorded (`WrittenPaths`),
    /// read back and encoded once at the end.
    Recorded,
}

/// Applies `writes` as the npm package does: in one `write_all` (`batch`), its delta
/// encoded, or one `write` each, its delta kept as `keep` says. Returns the document
/// and the bytes encoded.
fn doc_writes(
    writes: impl Iterator<Item = (Vec<String>, Write)>,
    batch: bool,
    keep: Keep,
) -> (Document, usize) {
    let me = ReplicaId::new(1);
    let policies = Policies::new();
    let guard = WriteGuard {
        writer: me,
        policies: &policies,
        if_match: None,
    };
    let mut clock = Hlc::new(|| 1_700_000_000_000_u64);
    let mut doc = Document::new();
    if batch {
        // As `Document.change` sends them: the distinct paths, and each write with
        // the index of its path.
        let mut at: HashMap<Vec<String>, usize> = HashMap::new();
        let mut paths = Vec::new();
        let indexed = writes
            .map(|(path, write)| {
                let index = *at.entry(path).or_insert_with_key(|path| {
                    paths.push(path.clone());
                    paths.len() - 1
                });
                (index, write)
            })
            .collect();
        let delta = doc
            .write_all_indexed(&paths, indexed, &guard, &mut clock)
            .expect("short paths and plain values are never refused");
        let bytes = delta.encode().unwrap().len();
        return (doc, bytes);
    }
    let (mut bytes, mut joined, mut written) = (0, Document::new(), WrittenPaths::new(me));
    for (i, (path, write)) in writes.enumerate() {
        let keys: Vec<&str> = path.iter().map(String::as_str).collect();
        if let (Keep::Recorded, 100..) = (keep, i) {
            // Only recorded: the write's leaf delta, no root delta built.
            let leaf = doc
                .write_leaf(&keys, write, &guard, &mut clock)
                .expect("short paths and plain values are never refused");
            written.record_leaf(&path, &leaf);
            continue;
        }
        let delta = doc
            .write(&keys, write, &guard, &mut clock)
            .expect("short paths and plain values are never refused");
        match keep {
            Keep::Encoded => bytes += delta.encode().unwrap().len(),
            Keep::Recorded => joined.join(delta),
        }
    }
    if let Keep::Recorded = keep {
        joined.join(written.delta_from(&doc));
        bytes += joined.encode().expect("encodes").len();
    }
    (doc, bytes)
}

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let keys: Vec<String> = (0..10_000).map(|i| format!("key-{i:05}")).collect();
    let work = match name.as_str() {
        "orset_add" => Work::OrsetAdd((0..100_000).map(element).collect()),
        "orset_merge" => Work::OrsetMerge(
            converge_set((0..100_000).map(element).collect(), ReplicaId::new(1)),
            converge_set((50_000..150_000).map(element).collect(), ReplicaId::new(2)),
        ),
        "lww_writes" => Work::LwwWrites,
        "gcounter_increments" => Work::GcounterIncrements,
        "pncounter_increments" => Work::PncounterIncrements,
        "crdts_gcounter_increments" => Work::CrdtsGcounterIncrements,
        "crdts_pncounter_increments" => Work::CrdtsPncounterIncrements,
        "ormap_updates" => Work::MapUpdates(keys),
        "ormap_merge" => Work::MapMerge(
            converge_map(&keys, 100_000, ReplicaId::new(1)),
            converge_map(&keys, 100_000, ReplicaId::new(2)),
        ),
        "doc_increments" => Work::DocIncrements,
        "doc_sets" => Work::DocSets { take_each: false },
        "doc_sets_take" => Work::DocSets { take_each: true },
        "doc_change" => Work::DocWrites { batch: true },
        "doc_writes" => Work::DocWrites { batch: false },
        "doc_nested_change" => Work::DocNestedWrites {
            batch: true,
            nested: true,
        },
        "doc_nested_writes" => Work::DocNestedWrites {
            batch: false,
            nested: true,
        },
        "doc_writes_take" => Work::DocNestedWrites {
            batch: false,
            nested: false,
        },
        "doc_counter_change" => Work::DocCounter { batch: true },
        "doc_counter_writes" => Work::DocCounter { batch: false },
        "doc_decode_merge" => Work::DocDecodeMerge(encoded_writes(1), encoded_writes(2)),
        "doc_merge" => {
            let ours = Document::decode(&encoded_writes(1)).expect("encoded above");
            let replica = Replica::new(ReplicaId::new(1), ours).expect("a fresh replica");
            let theirs = Document::decode(&encoded_writes(2)).expect("encoded above");
            Work::DocMerge(replica, theirs)
        }
        "std_set_add" => Work::StdSetAdd((0..100_000).map(element).collect()),
        _ => {
            eprintln!("usage: profile orset_add|orset_merge|lww_writes|gcounter_increments|pncounter_increments|crdts_gcounter_increments|crdts_pncounter_increments|ormap_updates|ormap_merge|doc_increments|doc_sets|doc_sets_take|doc_change|doc_writes|doc_nested_change|doc_nested_writes|doc_writes_take|doc_counter_change|doc_counter_writes|doc_decode_merge|doc_merge|std_set_add");
            std::process::exit(2);
        }
    };
    let done = run(work);
    println!("{name}: done");
    drop(done);
}
