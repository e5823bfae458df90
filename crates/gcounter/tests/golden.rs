//! Golden vectors: the encoded bytes of fixed `GCounter` states are committed under
//! `tests/vectors/` and checked byte for byte, so the wire format cannot drift.

use std::path::Path;

use converge_core::testing::check_golden;
use converge_core::ReplicaId;
use converge_gcounter::GCounter;

fn vectors() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

#[test]
fn golden_vectors() {
    let empty = GCounter::new();
    let mut two = GCounter::new();
    two.increment(ReplicaId::new(1), 3).unwrap();
    two.increment(ReplicaId::new(0xfeed_beef_0000_0001), 300)
        .unwrap();
    let mut delta_source = two.clone();
    let delta = delta_source.increment(ReplicaId::new(1), 1).unwrap();
    for (name, value) in [("empty", &empty), ("two_replicas", &two), ("delta", &delta)] {
        check_golden(vectors(), name, value).unwrap();
    }
}
