//! Golden vectors: the encoded bytes of fixed `OrSet` states and deltas are committed
//! under `tests/vectors/` and checked byte for byte, so the wire format cannot drift.

use std::path::Path;

use converge_core::testing::check_golden;
use converge_core::{Lattice, ReplicaId};
use converge_orset::OrSet;

fn vectors() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

#[test]
fn golden_vectors() {
    let (a, b) = (ReplicaId::new(1), ReplicaId::new(0xfeed_beef_0000_0001));
    let empty = OrSet::<String>::new();

    let mut set = OrSet::new();
    let add_delta = set.add(a, "apple".to_string());
    set.add(b, "pear".to_string());
    set.add(a, "fig".to_string());
    let remove_delta = set.remove(&"pear".to_string());

    // A concurrent re-add leaves an element with two dots.
    let mut other = set.clone();
    other.add(b, "fig".to_string());
    set.add(a, "fig".to_string());
    set.join(other);

    for (name, value) in [
        ("empty", &empty),
        ("add_delta", &add_delta),
        ("remove_delta", &remove_delta),
        ("two_dots", &set),
    ] {
        check_golden(vectors(), name, value).unwrap();
    }
}
