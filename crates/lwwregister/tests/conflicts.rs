//! Losing concurrent writes stay readable as conflicts until a write that has seen
//! them supersedes them, and the skew tolerance flags close calls without changing
//! the winner.

use converge_core::{Hlc, Lattice, ManualClock, ReplicaId, Timestamp};
use converge_lwwregister::{LwwRead, LwwRegister};

const A: ReplicaId = ReplicaId::new(0xa);
const B: ReplicaId = ReplicaId::new(0xb);
const C: ReplicaId = ReplicaId::new(0xc);

fn at(millis: u64) -> Hlc<ManualClock> {
    Hlc::new(ManualClock::new(millis))
}

/// Three replicas write concurrently at 100, 130 and 120 ms and merge everything.
fn three_concurrent_writes() -> LwwRegister<&'static str> {
    let mut a = LwwRegister::new();
    let mut b = LwwRegister::new();
    let mut c = LwwRegister::new();
    let da = a.set(A, &mut at(100), "a");
    let db = b.set(B, &mut at(130), "b");
    let dc = c.set(C, &mut at(120), "c");
    a.join(db);
    a.join(dc);
    b.join(a.clone());
    c.join(b.clone());
    c.join(da);
    assert_eq!(a, b);
    assert_eq!(a, c);
    a
}

#[test]
fn concurrent_writes_are_all_readable_winner_first() {
    let r = three_concurrent_writes();
    assert!(r.is_conflicted());
    assert_eq!(r.value(), Some(&"b"));
    let winner = r.winner().expect("written");
    assert_eq!(
        (winner.writer(), winner.timestamp),
        (B, Timestamp::new(130, 0))
    );
    let conflicts: Vec<_> = r
        .conflicts()
        .iter()
        .map(|w| (w.writer(), *w.value))
        .collect();
    assert_eq!(conflicts, [(C, "c"), (A, "a")]);
    let all: Vec<_> = r.writes().iter().map(|w| *w.value).collect();
    assert_eq!(all, ["b", "c", "a"]);
    assert_eq!(r.latest_timestamp(), Some(Timestamp::new(130, 0)));
}

#[test]
fn a_write_that_saw_the_conflict_supersedes_it() {
    let mut r = three_concurrent_writes();
    let mut elsewhere = LwwRegister::new();
    // A resolves with a clock far behind every conflicting write: it still wins.
    let fix = r.set(A, &mut at(0), "resolved");
    elsewhere.join(fix);
    for replica in [&r, &elsewhere] {
        assert_eq!(replica.value(), Some(&"resolved"));
        assert!(replica.conflicts().is_empty());
        assert!(!replica.is_conflicted());
        assert_eq!(replica.latest_timestamp(), Some(Timestamp::new(130, 1)));
    }
    // Late copies of the superseded writes change nothing.
    let stale = three_concurrent_writes();
    elsewhere.join(stale);
    assert_eq!(elsewhere, r);
}

#[test]
fn close_calls_are_ambiguous_inside_the_tolerance_and_confident_outside() {
    let r = three_concurrent_writes(); // b at 130, c at 120, a at 100
                                       // Inside: c is 10 ms behind the winner, a 30 ms.
    match r.read(11) {
        LwwRead::Ambiguous { winner, rivals } => {
            assert_eq!(*winner.value, "b");
            let rivals: Vec<_> = rivals.iter().map(|w| *w.value).collect();
            assert_eq!(rivals, ["c"]);
        }
        other => panic!("expected ambiguity, got {other:?}"),
    }
    match r.read(31) {
        LwwRead::Ambiguous { rivals, .. } => assert_eq!(rivals.len(), 2),
        other => panic!("expected ambiguity, got {other:?}"),
    }
    // Outside (the bound is strict): confident, same winner.
    for tolerance in [0, 1, 10] {
        match r.read(tolerance) {
            LwwRead::Confident(winner) => assert_eq!(*winner.value, "b"),
            other => panic!("expected a confident read at {tolerance} ms, got {other:?}"),
        }
    }
    // Same millisecond, different logical counters: ambiguous for any tolerance > 0.
    let mut x = LwwRegister::new();
    let mut y = LwwRegister::new();
    x.set(A, &mut at(200), 1);
    y.set(B, &mut at(199), 0);
    y.set(B, &mut at(199), 2); // stamped (199, 1)
    x.join(y);
    assert!(x.read(2).is_ambiguous());
    assert!(!x.read(1).is_ambiguous());
}

#[test]
fn an_empty_register_reads_empty() {
    let r: LwwRegister<u8> = LwwRegister::new();
    assert_eq!(r.read(100), LwwRead::Empty);
    assert!(r.winner().is_none() && r.conflicts().is_empty() && r.writes().is_empty());
}
