//! Clock skew cannot hide a causally later write: replica A writes at wall-clock 100;
//! replica B, whose clock reads 90, merges A's state and then writes; B's write wins on
//! every replica, whichever order the deltas arrive in.

use converge_core::{Hlc, Lattice, ManualClock, ReplicaId, Timestamp};
use converge_lwwregister::LwwRegister;

const A: ReplicaId = ReplicaId::new(0xa);
const B: ReplicaId = ReplicaId::new(0xb);

#[test]
fn a_write_after_a_merge_wins_even_from_a_lagging_clock() {
    let mut clock_a = Hlc::new(ManualClock::new(100));
    let mut clock_b = Hlc::new(ManualClock::new(90));

    let mut a = LwwRegister::new();
    let delta_a = a.set(A, &mut clock_a, "written by A at 100");

    let mut b = LwwRegister::new();
    b.join(a.clone());
    let delta_b = b.set(B, &mut clock_b, "written by B, clock at 90");
    // B's clock observed A's timestamp, so B's write is stamped after it.
    assert_eq!(b.latest_timestamp(), Some(Timestamp::new(100, 1)));

    a.join(delta_b.clone());

    let mut c_ab = LwwRegister::new();
    c_ab.join(delta_a.clone());
    c_ab.join(delta_b.clone());
    let mut c_ba = LwwRegister::new();
    c_ba.join(delta_b);
    c_ba.join(delta_a);

    for (name, replica) in [
        ("A", &a),
        ("B", &b),
        ("C, A's delta first", &c_ab),
        ("C, B's delta first", &c_ba),
    ] {
        assert_eq!(
            replica.value(),
            Some(&"written by B, clock at 90"),
            "on {name}"
        );
        assert_eq!(replica.winner().map(|w| w.writer()), Some(B), "on {name}");
        // B saw A's write and replaced it: it is superseded, not a conflict.
        assert!(replica.conflicts().is_empty(), "on {name}");
        assert!(!replica.read(1_000).is_ambiguous(), "on {name}");
    }
    assert_eq!(a, b);
    assert_eq!(c_ab, b);
    assert_eq!(c_ba, b);
}

#[test]
fn causal_replacement_beats_a_timestamp_from_the_future() {
    // A's clock runs an hour fast; B never sees A's clock directly, only the register.
    let mut a = LwwRegister::new();
    a.set(A, &mut Hlc::new(ManualClock::new(3_600_000)), 1);
    let mut b = a.clone();
    b.set(B, &mut Hlc::new(ManualClock::new(0)), 2);
    a.join(b.clone());
    assert_eq!(a.value(), Some(&2));
    assert!(a.conflicts().is_empty());
}

#[test]
fn without_the_merge_the_writes_are_concurrent_and_the_lagging_one_loses_visibly() {
    let mut a = LwwRegister::new();
    let delta_a = a.set(A, &mut Hlc::new(ManualClock::new(100)), "A");
    let mut b = LwwRegister::new();
    let delta_b = b.set(B, &mut Hlc::new(ManualClock::new(90)), "B");
    let mut c = LwwRegister::new();
    c.join(delta_b);
    c.join(delta_a);
    assert_eq!(c.value(), Some(&"A"));
    let conflicts: Vec<_> = c
        .conflicts()
        .iter()
        .map(|w| (w.writer(), *w.value))
        .collect();
    assert_eq!(conflicts, [(B, "B")]);
    // 10 ms apart: ambiguous under a 50 ms tolerance, confident under 10 ms.
    assert!(c.read(50).is_ambiguous());
    assert!(!c.read(10).is_ambiguous());
}
