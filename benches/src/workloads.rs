//! The converge side of the workloads that the `peers` and `scaling` benches and the
//! `profile` example run, written once so a profile measures exactly what the bench
//! times.

use std::hint::black_box;

use converge_core::{Clock, Hlc, ReplicaId};
use converge_gcounter::GCounter;
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Value};
use converge_orset::OrSet;
use converge_pncounter::PnCounter;
use converge_sync::Replica;
use crdts::CmRDT;

/// How many replicas the counter workloads spread their increments over.
pub const COUNTER_WRITERS: u64 = 8;

/// The replica that makes write `i` of a counter workload: round-robin over
/// [`COUNTER_WRITERS`] replicas, ids 1 to 8.
fn counter_writer(i: u64) -> ReplicaId {
    ReplicaId::new(i % COUNTER_WRITERS + 1)
}

/// `n` increments by 1, round-robin over [`COUNTER_WRITERS`] replicas, each delta
/// made and handed to `black_box` (so it is built, as a peer would ship it).
pub fn gcounter_increments(n: u64) -> GCounter {
    let mut counter = GCounter::new();
    for i in 0..n {
        black_box(
            counter
                .increment(counter_writer(i), 1)
                .expect("8 replicas counting to n stay far below u64::MAX"),
        );
    }
    counter
}

/// The `crdts` side of [`gcounter_increments`]: the same increments as ops applied.
pub fn crdts_gcounter_increments(n: u64) -> crdts::GCounter<u64> {
    let mut counter = crdts::GCounter::<u64>::new();
    for i in 0..n {
        let op = counter.inc(i % COUNTER_WRITERS);
        counter.apply(op);
    }
    counter
}

/// The `crdts` side of [`pncounter_increments`].
pub fn crdts_pncounter_increments(n: u64) -> crdts::PNCounter<u64> {
    let mut counter = crdts::PNCounter::<u64>::new();
    for i in 0..n {
        let a = i % COUNTER_WRITERS;
        let op = if i % 4 == 3 {
            counter.dec(a)
        } else {
            counter.inc(a)
        };
        counter.apply(op);
    }
    counter
}

/// The same over a PN-Counter, every fourth change a decrement.
pub fn pncounter_increments(n: u64) -> PnCounter {
    let mut counter = PnCounter::new();
    for i in 0..n {
        let r = counter_writer(i);
        let delta = if i % 4 == 3 {
            counter.decrement(r, 1)
        } else {
            counter.increment(r, 1)
        };
        black_box(delta.expect("8 replicas counting to n stay far below u64::MAX"));
    }
    counter
}

/// `n` writes of a `u64` to an LWW register by one replica, stamped by an HLC over a
/// fixed wall clock (so no time goes into reading the system clock), each delta
/// handed to `black_box`.
pub fn lww_writes(n: u64) -> LwwRegister<u64> {
    let mut clock = Hlc::new(|| 1_700_000_000_000_u64);
    let mut reg = LwwRegister::new();
    let replica = ReplicaId::new(1);
    for i in 0..n {
        black_box(reg.set(replica, &mut clock, i));
    }
    reg
}

/// The `i`th distinct set element: 16 bytes.
pub fn element(i: usize) -> String {
    format!("{i:016x}")
}

/// An OR-Set holding `elements`, each added by `replica` (the deltas are dropped).
pub fn converge_set(elements: Vec<String>, replica: ReplicaId) -> OrSet<String> {
    let mut set = OrSet::new();
    for e in elements {
        set.add(replica, e);
    }
    set
}

/// The map workload: `updates` updates over `keys`, update `i` going to
/// `keys[i % keys.len()]`; even updates increment the counter `count` there, odd ones
/// write the register `name`.
pub fn converge_map(keys: &[String], updates: usize, replica: ReplicaId) -> Document {
    let mut doc = Document::new();
    for i in 0..updates {
        let k = keys[i % keys.len()].as_str();
        if i % 2 == 0 {
            doc.update_at(&[k, "count"], |c: &mut Counter| c.increment(replica, 1))
                .expect("a short path and a plain value are never refused");
        } else {
            doc.update_at(&[k, "name"], |r: &mut MvRegister<Value>| {
                r.write(replica, Value::Int(i as i64))
            })
            .expect("a short path and a plain value are never refused");
        }
    }
    doc
}

// ---------------------------------------------------------------------------------
// The scaling workloads (issue 13): a document whose map at some depth holds `n`
// keys, each an LWW register of a small integer, and one-write changes to it made by
// another replica. The `scaling` bench times applying them at several `n` and depths.

/// The depths the scaling workloads run at: the keys sit directly in the document (0),
/// under `a/b/` (2) or under `a/b/c/d/` (4).
pub const SCALING_DEPTHS: [usize; 3] = [0, 2, 4];

/// The maps above the keys at `depth` (at most 4): `a`, `b`, `c`, `d`.
pub fn scaling_parents(depth: usize) -> &'static [&'static str] {
    &["a", "b", "c", "d"][..depth]
}

/// The `i`th key of a scaling document.
pub fn scaling_key(i: usize) -> String {
    format!("k{i:06}")
}

/// The full path of each key in `keys` at `depth`.
pub fn scaling_paths(depth: usize, keys: &[String]) -> Vec<Vec<&str>> {
    keys.iter()
        .map(|k| {
            let mut path = scaling_parents(depth).to_vec();
            path.push(k.as_str());
            path
        })
        .collect()
}

/// A fixed wall clock for the scaling workloads' LWW writes: the HLC then only bumps
/// its logical counter, so no time goes into reading the system clock.
pub fn scaling_clock() -> Hlc<impl Clock> {
    Hlc::new(|| 1_700_000_000_000_u64)
}

/// One write of the scaling workloads: `replica` sets the LWW register at `path` to
/// `value` in `doc`, and the delta is returned.
pub fn scaling_write(
    doc: &mut Document,
    path: &[&str],
    value: i64,
    replica: ReplicaId,
    clock: &mut Hlc<impl Clock>,
) -> Document {
    doc.update_at(path, |r: &mut LwwRegister<Value>| {
        r.set(replica, clock, Value::Int(value))
    })
    .expect("a short path and a plain value are never refused")
}

/// A document whose map at `depth` holds `n` keys (`scaling_key(0..n)`), each written
/// once by `replica`.
pub fn scaling_document(depth: usize, n: usize, replica: ReplicaId) -> Document {
    let keys: Vec<String> = (0..n).map(scaling_key).collect();
    let mut clock = scaling_clock();
    let mut doc = Document::new();
    for (i, path) in scaling_paths(depth, &keys).iter().enumerate() {
        scaling_write(&mut doc, path, i as i64, replica, &mut clock);
    }
    doc
}

/// How many keys the map at `depth` of `doc` holds (0 if it is missing).
pub fn scaling_len(doc: &Document, depth: usize) -> usize {
    let parents = scaling_parents(depth);
    if parents.is_empty() {
        return doc.len();
    }
    doc.get_at(parents)
        .and_then(|node| node.get::<Document>())
        .map_or(0, Document::len)
}

/// `count` pseudo-random key indices below `n` (xorshift, fixed seed: every subject
/// and every run overwrites the same keys in the same order).
pub fn scaling_picks(n: usize, count: usize) -> Vec<usize> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        })
        .collect()
}

/// `count` one-write deltas: `writer`, holding a copy of `doc` (whose map at `depth`
/// holds `n` keys), overwrites the key `scaling_picks(n, count)[i]` with a new value
/// for the `i`th one. Applied in order to `doc`, each one is news (it replaces what
/// the previous ones left), and the map keeps its `n` keys.
pub fn scaling_deltas(
    doc: &Document,
    depth: usize,
    n: usize,
    count: usize,
    writer: ReplicaId,
) -> Vec<Document> {
    let keys: Vec<String> = scaling_picks(n, count)
        .into_iter()
        .map(scaling_key)
        .collect();
    let mut copy = doc.clone();
    let mut clock = scaling_clock();
    scaling_paths(depth, &keys)
        .iter()
        .enumerate()
        .map(|(i, path)| scaling_write(&mut copy, path, -(i as i64) - 1, writer, &mut clock))
        .collect()
}

/// A replica `receiver` holding `doc`, in sync with a peer `writer` that held `doc`
/// too, and `count` sync messages from that peer, each a delta of one write
/// overwriting an existing key (as [`scaling_deltas`]), to be received in order.
///
/// The writer must get an acknowledgement after each message, or its next message
/// would carry every write not yet acknowledged. Those come from a stand-in for the
/// receiver (same id, an empty document, resumed from the receiver's sync token), so
/// building the messages does not apply them to `receiver`.
pub fn scaling_messages(
    doc: &Document,
    depth: usize,
    n: usize,
    count: usize,
    (receiver_id, writer_id): (ReplicaId, ReplicaId),
) -> (Replica<Document>, Vec<Vec<u8>>) {
    let mut writer = Replica::new(writer_id, doc.clone()).expect("a random source");
    let mut receiver = Replica::new(receiver_id, doc.clone()).expect("a random source");
    let full = writer
        .message_for(receiver_id)
        .unwrap()
        .expect("the receiver is new");
    let ack = receiver.receive(&full).expect("valid").expect("an ack");
    writer.receive(&ack).expect("valid ack");
    let token = receiver
        .sync_token(writer_id)
        .unwrap()
        .expect("the receiver holds the writer's state");
    let mut stand_in = Replica::new(receiver_id, Document::new()).expect("a random source");
    stand_in.resume(&token).expect("a valid token");

    let keys: Vec<String> = scaling_picks(n, count)
        .into_iter()
        .map(scaling_key)
        .collect();
    let mut clock = scaling_clock();
    let messages = scaling_paths(depth, &keys)
        .iter()
        .enumerate()
        .map(|(i, path)| {
            writer.update(|d, me| scaling_write(d, path, -(i as i64) - 1, me, &mut clock));
            let message = writer
                .message_for(receiver_id)
                .unwrap()
                .expect("one write to send");
            assert!(
                message.len() < 1024,
                "a one-write delta, not the full state"
            );
            let ack = stand_in.receive(&message).expect("valid").expect("an ack");
            writer.receive(&ack).expect("valid ack");
            message
        })
        .collect();
    (receiver, messages)
}
