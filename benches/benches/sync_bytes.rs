//! What a delta interval costs on the wire next to the full state, and how long it
//! takes to produce and apply one.
//!
//! Replica A holds an `OrSet<String>` of 100,000 distinct 16-byte elements and has
//! synced it fully to replica B (B acknowledged). Then, for k in 1, 10, 100, A makes k
//! more adds and we measure `A.message_for(B).unwrap()` (the delta interval) against
//! `A.state().encode().unwrap()` (the full state). The byte table is printed and written to
//! `results/sync_bytes.md`; criterion then times producing the k = 10 interval and
//! B receiving it.
//!
//! `CONVERGE_BENCH_SMALL=1` shrinks the state to 1,000 elements (for a quick CI run,
//! see the README); a small run prints its table but leaves the results file alone.

use std::time::Duration;

use converge_core::{Codec, ReplicaId};
use converge_orset::OrSet;
use converge_sync::Replica;
use criterion::{black_box, BatchSize, Criterion};

const FULL_SIZE: usize = 100_000;
const SMALL_SIZE: usize = 1_000;
const KS: [usize; 3] = [1, 10, 100];

/// The `i`th distinct element: 16 bytes.
fn element(i: usize) -> String {
    format!("{i:016x}")
}

/// One row of the table: k adds, and what they cost on the wire.
struct Row {
    k: usize,
    interval: usize,
    full: usize,
}

/// A with `size` elements, synced to a fresh B that acknowledged everything.
fn synced_pair(size: usize) -> (Replica<OrSet<String>>, Replica<OrSet<String>>) {
    let (a_id, b_id) = (ReplicaId::new(1), ReplicaId::new(2));
    let set: OrSet<String> = (0..size).map(|i| (a_id, element(i))).collect();
    let mut a = Replica::new(a_id, set).expect("a random source for the epoch");
    let mut b = Replica::new(b_id, OrSet::new()).expect("a random source for the epoch");
    deliver(&mut a, &mut b);
    assert_eq!(a.state(), b.state(), "B holds A's state after a full sync");
    (a, b)
}

/// A sends B what it lacks, B acknowledges, A takes the acknowledgement.
fn deliver(a: &mut Replica<OrSet<String>>, b: &mut Replica<OrSet<String>>) {
    let message = a.message_for(b.id()).unwrap().expect("B lacks something");
    let ack = b
        .receive(&message)
        .expect("a valid message")
        .expect("an ack");
    assert_eq!(a.receive(&ack).expect("a valid ack"), None);
}

/// A makes `k` adds of fresh elements (numbered from `next`).
fn add(a: &mut Replica<OrSet<String>>, next: &mut usize, k: usize) {
    for _ in 0..k {
        let e = element(*next);
        *next += 1;
        a.update(|set, writer| set.add(writer, e));
    }
}

fn measure_bytes(size: usize) -> Vec<Row> {
    let (mut a, mut b) = synced_pair(size);
    let mut next = size;
    let mut rows = Vec::new();
    for k in KS {
        add(&mut a, &mut next, k);
        let before = a.metrics().deltas_sent;
        let interval = a
            .message_for(b.id())
            .unwrap()
            .expect("B lacks the new adds")
            .len();
        assert_eq!(a.metrics().deltas_sent, before + 1, "k = {k}: not a delta");
        let full = a.state().encode().unwrap().len();
        rows.push(Row { k, interval, full });
        deliver(&mut a, &mut b);
        assert_eq!(a.state(), b.state());
    }
    rows
}

fn table(size: usize, rows: &[Row]) -> String {
    let mut out = format!(
        "Sync bytes: `OrSet<String>` of {size} distinct 16-byte elements on A, synced to B; \
         then A makes k adds and sends B the delta interval (`message_for`).\n\n\
         | k | interval bytes | full-state bytes | interval / full | bytes per write |\n\
         |---:|---:|---:|---:|---:|\n"
    );
    for Row { k, interval, full } in rows {
        let ratio = *interval as f64 / *full as f64;
        let per_write = *interval as f64 / *k as f64;
        out += &format!("| {k} | {interval} | {full} | {ratio:.6} | {per_write:.1} |\n");
    }
    out
}

fn bench_times(c: &mut Criterion, size: usize) {
    let (mut a, mut b) = synced_pair(size);
    let mut next = size;
    add(&mut a, &mut next, 10);
    let b_id = b.id();
    let message = a.message_for(b_id).unwrap().expect("B lacks the new adds");
    // B as it was before the interval arrived, rebuilt for every receive: the state,
    // and the token saying it holds A's deltas so far.
    let b_state = b.state().clone();
    let token = b
        .sync_token(a.id())
        .unwrap()
        .expect("B holds some of A's deltas");
    let fresh_b = || {
        let mut b = Replica::new(b_id, b_state.clone()).expect("a random source");
        b.resume(&token).expect("a valid token");
        b
    };

    let mut group = c.benchmark_group(format!("sync {size} elements, k = 10"));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("A.message_for(B).unwrap()", |bench| {
        bench.iter(|| black_box(a.message_for(b_id).unwrap()))
    });
    group.bench_function("A.state().encode().unwrap()", |bench| {
        bench.iter(|| black_box(a.state().encode().unwrap()))
    });
    group.bench_function("B.receive(interval)", |bench| {
        bench.iter_batched_ref(
            fresh_b,
            |b| black_box(b.receive(&message).expect("a valid message")),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("B.receive(interval) again (duplicate)", |bench| {
        bench.iter(|| black_box(b.receive(&message).expect("a valid message")))
    });
    group.finish();
}

fn main() {
    let small = std::env::var("CONVERGE_BENCH_SMALL").is_ok_and(|v| v == "1");
    let size = if small { SMALL_SIZE } else { FULL_SIZE };

    let table = table(size, &measure_bytes(size));
    println!("{table}");
    if small {
        println!("(CONVERGE_BENCH_SMALL=1: results/sync_bytes.md left unchanged)\n");
    } else {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/sync_bytes.md");
        std::fs::write(path, &table).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        println!("written to {path}\n");
    }

    let mut c = Criterion::default().configure_from_args();
    bench_times(&mut c, size);
    c.final_summary();
}
