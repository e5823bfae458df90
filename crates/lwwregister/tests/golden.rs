//! Golden vectors: the encoded bytes of fixed `LwwRegister` states are committed under
//! `tests/vectors/` and checked byte for byte, so the wire format cannot drift.

use std::path::Path;

use converge_core::testing::check_golden;
use converge_core::{Hlc, Lattice, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;

fn vectors() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
}

fn at(millis: u64) -> Hlc<ManualClock> {
    Hlc::new(ManualClock::new(millis))
}

#[test]
fn golden_vectors() {
    let (a, b) = (ReplicaId::new(1), ReplicaId::new(0xfeed_beef_0000_0001));
    let now = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    let empty = LwwRegister::<String>::new();

    let mut single = LwwRegister::new();
    single.set(a, &mut at(now), "hello".to_string());

    let mut conflict = single.clone();
    let mut other = LwwRegister::new();
    other.set(b, &mut at(now + 5), "world".to_string());
    conflict.join(other);

    // A write from a lagging clock over both: stamped (now + 5, 1), replacing both.
    let mut resolved = conflict.clone();
    let delta = resolved.set(a, &mut at(now - 1_000), "hello world".to_string());

    let mut cleared = resolved.clone();
    let clear = cleared.clear();

    for (name, value) in [
        ("empty", &empty),
        ("single", &single),
        ("conflict", &conflict),
        ("resolved", &resolved),
        ("set_delta", &delta),
        ("cleared", &cleared),
        ("clear_delta", &clear),
    ] {
        check_golden(vectors(), name, value).unwrap();
    }
}
