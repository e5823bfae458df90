//! Bounded deltas: an interval that would encode larger than `max_delta_bytes` goes
//! as the full state instead, and so does, whatever the limit, an interval larger
//! than the full state (many adds then a clear: the interval carries every dot, the
//! cleared state almost nothing).

use converge_core::Codec;
use converge_orset::OrSet;
use converge_sync::{Config, Replica};

use crate::support::{deliver, parse, replica, same_bytes, sync_pair, A, B, DELTA, FULL};

type Set = OrSet<String>;

/// A server with `config` in sync with a client; both hold one element.
fn synced(config: Config) -> (Replica<Set>, Replica<Set>) {
    let mut server = replica::<Set>(A).with_config(config);
    server.update(|s, writer| s.add(writer, "seed".into()));
    let mut client = replica::<Set>(B);
    sync_pair(&mut server, &mut client);
    (server, client)
}

/// What the server sends the client next (delivered, and the ack returned), with
/// its kind, and how the server's counters moved.
fn next_message(server: &mut Replica<Set>, client: &mut Replica<Set>) -> (u8, usize, u64, u64) {
    let (fulls, deltas) = (
        server.metrics().full_states_sent,
        server.metrics().deltas_sent,
    );
    let m = server
        .message_for(B)
        .unwrap()
        .expect("the client lacks something");
    let (kind, len) = (parse(&m).unwrap().kind, m.len());
    deliver(m, client, server);
    assert!(same_bytes(server, client));
    (
        kind,
        len,
        server.metrics().full_states_sent - fulls,
        server.metrics().deltas_sent - deltas,
    )
}

#[test]
fn an_interval_over_the_limit_goes_as_the_full_state() {
    let config = Config {
        max_delta_bytes: 100,
        ..Config::default()
    };
    let (mut server, mut client) = synced(config);
    // Under the limit: a delta.
    server.update(|s, writer| s.add(writer, "small".into()));
    let (kind, len, fulls, deltas) = next_message(&mut server, &mut client);
    assert_eq!((kind, fulls, deltas), (DELTA, 0, 1));
    assert!(len <= 100);
    // Over it: the full state, though it is larger still.
    server.update(|s, writer| s.add(writer, "x".repeat(300)));
    let (kind, len, fulls, deltas) = next_message(&mut server, &mut client);
    assert_eq!((kind, fulls, deltas), (FULL, 1, 0));
    assert!(len > 300);
}

#[test]
fn without_a_tight_limit_the_same_write_goes_as_a_delta() {
    let (mut server, mut client) = synced(Config::default());
    for i in 0..20 {
        server.update(|s, writer| s.add(writer, format!("filler {i}")));
    }
    sync_pair(&mut server, &mut client);
    server.update(|s, writer| s.add(writer, "x".repeat(300)));
    let (kind, len, fulls, deltas) = next_message(&mut server, &mut client);
    assert_eq!((kind, fulls, deltas), (DELTA, 0, 1));
    assert!(len < server.state().encode().unwrap().len());
}

#[test]
fn an_interval_larger_than_the_state_goes_as_the_full_state() {
    let (mut server, mut client) = synced(Config::default());
    // The seed goes first, so the interval's dots do not start at the writer's
    // first (which would let them compact into a version vector).
    server.update(|s, _| s.remove(&"seed".into()));
    sync_pair(&mut server, &mut client);
    for i in 0..100 {
        server.update(|s, writer| s.add(writer, format!("item {i}")));
    }
    server.update(|s, _| s.clear());
    // What the interval would be: the join of the 101 buffered deltas.
    let mut interval = Set::default();
    let mut replay = client.state().clone();
    for i in 0..100 {
        let d = replay.add(A, format!("item {i}"));
        converge_core::Lattice::join(&mut interval, d);
    }
    converge_core::Lattice::join(&mut interval, replay.clear());
    assert!(
        interval.encode().unwrap().len() > server.state().encode().unwrap().len(),
        "the test's premise: the interval ({} bytes) outweighs the state ({} bytes)",
        interval.encode().unwrap().len(),
        server.state().encode().unwrap().len()
    );
    let (kind, len, fulls, deltas) = next_message(&mut server, &mut client);
    assert_eq!((kind, fulls, deltas), (FULL, 1, 0));
    assert!(len < interval.encode().unwrap().len());
    assert_eq!(client.state().len(), 0);
}

/// The same, after the state was once much larger: the replica's remembered size of
/// its state must not let an interval through that now outweighs the state many
/// times over.
#[test]
fn an_interval_larger_than_a_state_that_shrank_goes_as_the_full_state() {
    let (mut server, mut client) = synced(Config::default());
    server.update(|s, _| s.remove(&"seed".into()));
    for i in 0..300 {
        server.update(|s, writer| s.add(writer, format!("a long element name, number {i}")));
    }
    // The client restarts and gets the large state whole; then all is cleared.
    let mut client2 = Replica::<Set>::restore(&client.save().unwrap()).unwrap();
    sync_pair(&mut server, &mut client2);
    client = client2;
    server.update(|s, _| s.clear());
    sync_pair(&mut server, &mut client);
    let small_state = server.state().encode().unwrap().len();
    for i in 0..100 {
        server.update(|s, writer| s.add(writer, format!("item {i}")));
    }
    server.update(|s, _| s.clear());
    assert!(server.state().encode().unwrap().len() <= small_state + 8);
    let (kind, len, fulls, deltas) = next_message(&mut server, &mut client);
    assert_eq!(
        (kind, fulls, deltas),
        (FULL, 1, 0),
        "a {len}-byte interval went as a delta for a {}-byte state",
        server.state().encode().unwrap().len()
    );
}
