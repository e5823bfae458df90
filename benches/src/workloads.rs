//! The converge side of the workloads that both the `peers` bench and the `profile`
//! example run, written once so a profile measures exactly what the bench times.

use std::hint::black_box;

use converge_core::{Hlc, ReplicaId};
use converge_gcounter::GCounter;
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Value};
use converge_orset::OrSet;
use converge_pncounter::PnCounter;

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
            doc.update_at(&[k, "count"], |c: &mut Counter| c.increment(replica, 1));
        } else {
            doc.update_at(&[k, "name"], |r: &mut MvRegister<Value>| {
                r.write(replica, Value::Int(i as i64))
            });
        }
    }
    doc
}
