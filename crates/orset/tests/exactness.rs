//! Delta exactness (DESIGN.md): a delta carries exactly the dots it speaks for, so a
//! delta that overtakes an earlier one never makes the receiver think the earlier
//! write was removed.

use converge_core::{Codec, Lattice, ReplicaId};
use converge_orset::OrSet;

const A: ReplicaId = ReplicaId::new(1);
const B: ReplicaId = ReplicaId::new(2);

#[test]
fn a_later_delta_arriving_first_does_not_remove_the_earlier_write() {
    let mut writer = OrSet::new();
    let first = writer.add(A, "x".to_string());
    let second = writer.add(A, "y".to_string());

    let mut receiver = OrSet::new();
    receiver.join(second);
    receiver.join(first);
    assert!(
        receiver.contains(&"x".to_string()),
        "the overtaken write was lost"
    );
    assert!(receiver.contains(&"y".to_string()));
    assert_eq!(receiver, writer);
}

#[test]
fn a_remove_delta_overtaking_the_add_it_removed_still_removes_it() {
    let mut writer = OrSet::new();
    let add = writer.add(A, "x".to_string());
    let remove = writer.remove(&"x".to_string());

    let mut receiver = OrSet::new();
    receiver.join(remove);
    receiver.join(add);
    assert!(!receiver.contains(&"x".to_string()));
    assert_eq!(receiver, writer);
}

#[test]
fn concurrent_add_survives_remove_and_unseen_remove_is_a_no_op() {
    let mut a = OrSet::new();
    a.add(A, "x".to_string());
    let mut b = a.clone();
    let removal = b.remove(&"x".to_string());
    let re_add = a.add(A, "x".to_string());
    let nothing = b.remove(&"never seen".to_string());
    assert!(nothing.is_empty() && nothing.version().is_empty());

    let mut c = OrSet::new();
    c.join(removal.clone());
    c.join(re_add.clone());
    let mut d = OrSet::new();
    d.join(re_add);
    d.join(removal);
    assert!(c.contains(&"x".to_string()));
    assert_eq!(c, d);
    b.add(B, "y".to_string());
}

#[test]
fn closing_note_sizes() {
    // An add delta of a 5-byte element, from a fresh replica.
    let mut set = OrSet::new();
    let delta = set.add(ReplicaId::new(0x9e37_79b9_7f4a_7c15), "apple".to_string());
    let delta_len = delta.encode().unwrap().len();
    assert!(delta_len <= 24, "add delta is {delta_len} bytes");

    // 10,000 distinct 8-byte elements written by 4 replicas.
    let replicas = [
        0x11u64,
        0x2222_2222,
        0x3333_3333_3333,
        0xffff_0000_ffff_0000,
    ]
    .map(ReplicaId::new);
    let mut big = OrSet::new();
    for i in 0..10_000u32 {
        big.add(replicas[(i % 4) as usize], format!("{i:08}"));
    }
    let bytes = big.encode().unwrap();
    println!("add delta of a 5-byte element: {delta_len} bytes");
    println!(
        "10,000 8-byte elements from 4 replicas: {} bytes ({:.2} per element)",
        bytes.len(),
        bytes.len() as f64 / 10_000.0
    );
    assert_eq!(OrSet::<String>::decode(&bytes).unwrap(), big);
}
