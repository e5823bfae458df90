//! Golden vectors: the encoded bytes of fixed `MvRegister` states are committed under
//! `tests/vectors/` and checked byte for byte, so the wire format cannot drift.

use std::path::Path;

use converge_core::testing::check_golden;
use converge_core::{Lattice, ReplicaId};
use converge_mvregister::MvRegister;

fn vectors() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

#[test]
fn golden_vectors() {
    let (a, b) = (ReplicaId::new(1), ReplicaId::new(0xfeed_beef_0000_0001));
    let empty = MvRegister::<String>::new();

    let mut single = MvRegister::new();
    single.write(a, "hello".to_string());

    let mut siblings = single.clone();
    let mut other = MvRegister::new();
    other.write(b, "world".to_string());
    siblings.join(other);

    // A write over both siblings: its delta names the two dots it replaced.
    let mut resolved = siblings.clone();
    let delta = resolved.write(a, "hello world".to_string());

    let mut cleared = resolved.clone();
    let clear = cleared.clear();

    for (name, value) in [
        ("empty", &empty),
        ("single", &single),
        ("siblings", &siblings),
        ("resolved", &resolved),
        ("write_delta", &delta),
        ("cleared", &cleared),
        ("clear_delta", &clear),
    ] {
        check_golden(vectors(), name, value).unwrap();
    }
}
