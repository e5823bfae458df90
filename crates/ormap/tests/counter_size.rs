//! A document counter's size follows the replicas that wrote it, not the number of
//! increments (issue 13: 100,000 increments by one replica used to encode to 0.77 MB
//! and grew forever). Encodings are deterministic, so the bounds are asserted here;
//! the figures print with `--nocapture`.

use converge_core::{Codec, Lattice, ReplicaId};
use converge_ormap::{Counter, Document};

/// The key the counter lives under.
const KEY: &str = "n";

/// The bytes the counter adds to a document: its encoding minus an empty
/// document's, minus the key's own bytes.
fn counter_bytes(doc: &Document) -> usize {
    doc.encode().unwrap().len() - Document::new().encode().unwrap().len() - KEY.len()
}

fn value(doc: &Document) -> Option<i128> {
    doc.get_at(&[KEY])
        .and_then(|n| n.get::<Counter>())
        .map(Counter::value)
}

fn increments_by_one_replica(replica: ReplicaId, times: u64) -> Document {
    let mut doc = Document::new();
    for _ in 0..times {
        doc.update_at(&[KEY], |c: &mut Counter| c.increment(replica, 1))
            .unwrap();
    }
    doc
}

#[test]
fn a_million_increments_by_one_replica_take_at_most_32_bytes() {
    let doc = increments_by_one_replica(ReplicaId::new(1), 1_000_000);
    assert_eq!(value(&doc), Some(1_000_000));
    let size = counter_bytes(&doc);
    println!("1,000,000 increments, replica id 1: {size} B plus the key");
    assert!(size <= 32, "{size} B");
}

#[test]
fn a_million_increments_by_a_random_replica_id() {
    // A random id takes 9 bytes wherever it appears (entry and version vector);
    // a fixed id with the high bits set encodes the same as a random one.
    let replica = ReplicaId::new(0x9e37_79b9_7f4a_7c15);
    let doc = increments_by_one_replica(replica, 1_000_000);
    assert_eq!(value(&doc), Some(1_000_000));
    let size = counter_bytes(&doc);
    println!("1,000,000 increments, random 64-bit replica id: {size} B plus the key");
    // 39 B when measured (issue 13's 32 B goal is for short ids).
    assert!(size <= 40, "{size} B");
}

fn one_increment_each(ids: impl Iterator<Item = ReplicaId>) -> (Document, usize) {
    let mut doc = Document::new();
    let mut writers = 0;
    for replica in ids {
        let mut theirs = Document::new();
        let delta = theirs
            .update_at(&[KEY], |c: &mut Counter| c.increment(replica, 1))
            .unwrap();
        doc.join(delta);
        writers += 1;
    }
    (doc, writers)
}

#[test]
fn two_thousand_replicas_adding_one_take_at_most_16_bytes_each() {
    let (doc, writers) = one_increment_each((1..=2_000).map(ReplicaId::new));
    assert_eq!(value(&doc), Some(2_000));
    let size = counter_bytes(&doc);
    let each = size as f64 / writers as f64;
    println!("2,000 replicas (ids 1..=2000) adding 1: {size} B, {each:.1} B per replica");
    assert!(size <= 16 * writers, "{size} B");
}

#[test]
fn two_thousand_random_replica_ids_adding_one_take_at_most_16_bytes_each() {
    // Ids spread over the whole 64-bit range, as random ids are.
    let ids = (1..=2_000u64).map(|i| ReplicaId::new(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    let (doc, writers) = one_increment_each(ids);
    assert_eq!(value(&doc), Some(2_000));
    let size = counter_bytes(&doc);
    let each = size as f64 / writers as f64;
    println!("2,000 random 64-bit replica ids adding 1: {size} B, {each:.1} B per replica");
    assert!(size <= 16 * writers, "{size} B");
}

/// Many increments by many replicas: still one entry per replica.
#[test]
fn repeated_increments_by_many_replicas_keep_one_entry_each() {
    let mut doc = Document::new();
    for round in 0..50u64 {
        for r in 1..=40 {
            let replica = ReplicaId::new(r);
            if round % 3 == 0 {
                doc.update_at(&[KEY], |c: &mut Counter| c.decrement(replica, 2))
                    .unwrap();
            } else {
                doc.update_at(&[KEY], |c: &mut Counter| c.increment(replica, 5))
                    .unwrap();
            }
        }
    }
    let counter = doc.get_at(&[KEY]).and_then(|n| n.get::<Counter>());
    assert_eq!(counter.map(|c| c.entries().len()), Some(40));
    // 17 rounds of -2 and 33 of +5, by 40 replicas.
    assert_eq!(value(&doc), Some(40 * (33 * 5 - 17 * 2)));
}
