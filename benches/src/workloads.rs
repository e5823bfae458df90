//! The converge side of the workloads that both the `peers` bench and the `profile`
//! example run, written once so a profile measures exactly what the bench times.

use converge_core::ReplicaId;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Value};
use converge_orset::OrSet;

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
