//! Golden vectors: the encoded bytes of fixed `PnCounter` states are committed under
//! `tests/vectors/` and checked byte for byte, so the wire format cannot drift.

use std::path::Path;

use converge_core::testing::check_golden;
use converge_core::ReplicaId;
use converge_pncounter::PnCounter;

fn vectors() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

#[test]
fn golden_vectors() {
    let (a, b) = (ReplicaId::new(1), ReplicaId::new(0xfeed_beef_0000_0001));
    let empty = PnCounter::new();
    let mut two = PnCounter::new();
    two.increment(a, 3).unwrap();
    two.decrement(a, 1).unwrap();
    two.increment(b, 300).unwrap();
    two.decrement(b, u64::MAX).unwrap();
    let mut source = two.clone();
    let increment_delta = source.increment(a, 1).unwrap();
    let decrement_delta = source.decrement(a, 2).unwrap();
    for (name, value) in [
        ("empty", &empty),
        ("two_replicas", &two),
        ("increment_delta", &increment_delta),
        ("decrement_delta", &decrement_delta),
    ] {
        check_golden(vectors(), name, value).unwrap();
    }
}
