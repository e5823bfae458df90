//! Metrics: traffic (messages and bytes, both ways, by kind) is counted exactly; the
//! buffer grows with unacknowledged writes and shrinks once every peer that
//! acknowledges has; concurrent register writes met on merge count as conflicts;
//! `last_heard_ms` follows the replica's clock.

use converge_core::{Hlc, ManualClock, ReplicaId};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Document, Value};
use converge_orset::OrSet;
use converge_sync::{Config, Metrics, PeerStatus, Replica};

use crate::support::{
    deliver, parse, rebuild, replica, same_bytes, sync_pair, Synced, A, B, C, DELTA, DELTA_FOR,
    FULL,
};

type Set = OrSet<String>;

/// What the test saw one replica send and receive, to compare with its metrics.
#[derive(Default)]
struct Seen {
    sent: Vec<Vec<u8>>,
    received: Vec<Vec<u8>>,
}

impl Seen {
    fn expected(&self) -> Metrics {
        let count = |ms: &[Vec<u8>], kind| {
            let kind_of = |m: &Vec<u8>| match parse(m).unwrap().kind {
                DELTA_FOR => DELTA,
                other => other,
            };
            ms.iter().filter(|m| kind_of(m) == kind).count() as u64
        };
        let bytes = |ms: &[Vec<u8>]| ms.iter().map(|m| m.len() as u64).sum();
        Metrics {
            deltas_sent: count(&self.sent, DELTA),
            full_states_sent: count(&self.sent, FULL),
            fallbacks: 0,
            bytes_sent: bytes(&self.sent),
            deltas_received: count(&self.received, DELTA),
            full_states_received: count(&self.received, FULL),
            bytes_received: bytes(&self.received),
            rejected: 0,
            conflicts: 0,
            ..Metrics::default()
        }
    }
}

/// Sends `m` from `from` to `to`, replies back and forth, noting every message.
fn send<T: Synced>(
    m: Vec<u8>,
    from: (&mut Replica<T>, &mut Seen),
    to: (&mut Replica<T>, &mut Seen),
) {
    let (mut from, mut to) = (from, to);
    let mut next = Some(m);
    while let Some(m) = next.take() {
        from.1.sent.push(m.clone());
        to.1.received.push(m.clone());
        next = to.0.receive(&m).unwrap();
        std::mem::swap(&mut from, &mut to);
    }
}

#[test]
fn traffic_is_counted_exactly() {
    let mut a = replica::<Set>(A);
    let mut b = replica::<Set>(B);
    let (mut seen_a, mut seen_b) = (Seen::default(), Seen::default());
    for i in 0..6 {
        a.update(|s, writer| s.add(writer, format!("a{i}")));
        if i % 2 == 0 {
            b.update(|s, writer| s.add(writer, format!("b{i}")));
        }
        if i == 3 {
            // Lost in transit: sent, never received.
            seen_a.sent.push(a.message_for(B).unwrap().unwrap());
            continue;
        }
        if let Some(m) = a.message_for(B).unwrap() {
            send(m, (&mut a, &mut seen_a), (&mut b, &mut seen_b));
        }
        if let Some(m) = b.message_for(A).unwrap() {
            send(m, (&mut b, &mut seen_b), (&mut a, &mut seen_a));
        }
    }
    // A hello, and its answer.
    let hello = b.hello(A).unwrap();
    send(hello, (&mut b, &mut seen_b), (&mut a, &mut seen_a));
    assert!(same_bytes(&a, &b));
    assert_eq!(*a.metrics(), seen_a.expected());
    assert_eq!(*b.metrics(), seen_b.expected());
    // The first message to a new peer is a full state, but not a fallback.
    assert!(a.metrics().deltas_sent >= 3 && a.metrics().full_states_sent == 1);
    assert!(b.metrics().deltas_received >= 3 && b.metrics().full_states_received == 1);
}

fn status(r: &Replica<Set>, peer: ReplicaId) -> PeerStatus {
    r.peers()
        .find(|(p, _)| *p == peer)
        .map(|(_, s)| s)
        .expect("a known peer")
}

#[test]
fn the_buffer_holds_what_some_peer_has_not_acknowledged() {
    let mut a = replica::<Set>(A);
    let mut b = replica::<Set>(B);
    let mut c = replica::<Set>(C);
    sync_pair(&mut a, &mut b);
    sync_pair(&mut a, &mut c);
    assert_eq!(a.buffer_depth(), 0);
    for i in 0..3 {
        a.update(|s, writer| s.add(writer, format!("x{i}")));
    }
    assert_eq!(a.buffer_depth(), 3, "three unacknowledged writes");
    assert_eq!(status(&a, B).pending, 3);
    deliver(a.message_for(B).unwrap().unwrap(), &mut b, &mut a);
    assert_eq!(status(&a, B).pending, 0);
    assert_eq!(status(&a, C).pending, 3);
    assert_eq!(a.buffer_depth(), 3, "C has not acknowledged them yet");
    deliver(a.message_for(C).unwrap().unwrap(), &mut c, &mut a);
    assert_eq!(a.buffer_depth(), 0, "every peer acknowledged");

    // A peer that never acknowledged anything does not hold the buffer: it gets the
    // full state.
    a.add_peer(ReplicaId::new(99));
    a.update(|s, writer| s.add(writer, "y".into()));
    deliver(a.message_for(B).unwrap().unwrap(), &mut b, &mut a);
    deliver(a.message_for(C).unwrap().unwrap(), &mut c, &mut a);
    assert_eq!(a.buffer_depth(), 0);
    assert_eq!(status(&a, ReplicaId::new(99)).acked, None);

    // Forgetting the laggard releases what only it held back.
    a.update(|s, writer| s.add(writer, "z".into()));
    deliver(a.message_for(B).unwrap().unwrap(), &mut b, &mut a);
    assert_eq!(a.buffer_depth(), 1);
    a.remove_peer(C);
    assert_eq!(a.buffer_depth(), 0);
}

#[test]
fn the_buffer_is_capped_and_a_peer_behind_it_gets_the_full_state() {
    let mut a = replica::<Set>(A).with_config(Config {
        max_buffer: 3,
        ..Config::default()
    });
    let mut b = replica::<Set>(B);
    sync_pair(&mut a, &mut b);
    for i in 0..10 {
        a.update(|s, writer| s.add(writer, format!("x{i}")));
    }
    assert_eq!(a.buffer_depth(), 3);
    let (fulls, fallbacks) = (a.metrics().full_states_sent, a.metrics().fallbacks);
    let m = a.message_for(B).unwrap().unwrap();
    assert_eq!(parse(&m).unwrap().kind, FULL);
    assert_eq!(a.metrics().full_states_sent, fulls + 1);
    assert_eq!(
        a.metrics().fallbacks,
        fallbacks + 1,
        "B had acknowledged: a fallback"
    );
    deliver(m, &mut b, &mut a);
    assert!(same_bytes(&a, &b));
}

/// Two replicas write the same register concurrently, then sync.
fn concurrent<T: Synced>(write: impl Fn(&mut T, ReplicaId, &str) -> T) -> (u64, u64) {
    let mut a = replica::<T>(A);
    let mut b = replica::<T>(B);
    a.update(|s, writer| write(s, writer, "from a"));
    b.update(|s, writer| write(s, writer, "from b"));
    sync_pair(&mut a, &mut b);
    assert!(same_bytes(&a, &b));
    (a.metrics().conflicts, b.metrics().conflicts)
}

/// The same writes, but B sees A's before writing over it.
fn sequential<T: Synced>(write: impl Fn(&mut T, ReplicaId, &str) -> T) -> (u64, u64) {
    let mut a = replica::<T>(A);
    let mut b = replica::<T>(B);
    a.update(|s, writer| write(s, writer, "from a"));
    sync_pair(&mut a, &mut b);
    b.update(|s, writer| write(s, writer, "from b"));
    sync_pair(&mut a, &mut b);
    assert!(same_bytes(&a, &b));
    (a.metrics().conflicts, b.metrics().conflicts)
}

fn lww(r: &mut LwwRegister<String>, id: ReplicaId, v: &str) -> LwwRegister<String> {
    r.set(id, &mut Hlc::new(ManualClock::new(100)), v.into())
}

fn mv(r: &mut MvRegister<String>, id: ReplicaId, v: &str) -> MvRegister<String> {
    r.write(id, v.into())
}

fn nested_mv(d: &mut Document, id: ReplicaId, v: &str) -> Document {
    d.update_at(&["profile", "name"], |r: &mut MvRegister<Value>| {
        r.write(id, v.into())
    })
    .unwrap()
}

#[test]
fn concurrent_register_writes_count_a_conflict_on_merge() {
    assert_eq!(concurrent(mv), (1, 1));
    assert_eq!(concurrent(lww), (1, 1));
    assert_eq!(concurrent(nested_mv), (1, 1));
}

#[test]
fn sequential_writes_and_sets_count_no_conflict() {
    assert_eq!(sequential(mv), (0, 0));
    assert_eq!(sequential(lww), (0, 0));
    assert_eq!(sequential(nested_mv), (0, 0));
    assert_eq!(concurrent(|s: &mut Set, id, v| s.add(id, v.into())), (0, 0));
}

#[test]
fn last_heard_follows_the_clock() {
    let clock = ManualClock::new(1_000);
    let mut a = replica::<Set>(A).with_clock(clock.clone());
    let mut b = replica::<Set>(B);
    a.add_peer(B);
    a.add_peer(C);
    assert_eq!(status(&a, B).last_heard_ms, None);
    a.update(|s, writer| s.add(writer, "x".into()));
    // A hears B's ack at 1000.
    deliver(a.message_for(B).unwrap().unwrap(), &mut b, &mut a);
    assert_eq!(status(&a, B).last_heard_ms, Some(1_000));
    clock.advance(250);
    b.update(|s, writer| s.add(writer, "y".into()));
    let m = b.message_for(A).unwrap().unwrap();
    // A rejected message from B is not hearing from B.
    let mut forged = parse(&m).unwrap();
    forged.kind = DELTA;
    forged.numbers = vec![Some(5), Some(1)];
    assert!(a.receive(&rebuild(&forged)).is_err());
    assert_eq!(status(&a, B).last_heard_ms, Some(1_000));
    a.receive(&m).unwrap();
    assert_eq!(status(&a, B).last_heard_ms, Some(1_250));
    assert_eq!(status(&a, C).last_heard_ms, None, "never heard from");
}
