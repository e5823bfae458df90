//! No causal delivery: a writer's deltas, delivered in reverse order and with
//! duplicates, reach byte for byte the state that in-order delivery reaches, removes
//! arriving before the adds they remove included (delta exactness).

use converge_core::{Codec, ReplicaId};
use converge_ormap::{Counter, Document};
use converge_orset::OrSet;
use converge_sync::Replica;

use crate::support::{deliver, parse, replica, sync_pair, Synced, A, B, DELTA, FULL, HELLO};

/// One write of the scripts below.
type Write<T> = fn(&mut T, ReplicaId) -> T;

fn set_script() -> Vec<Write<OrSet<String>>> {
    vec![
        |s, r| s.add(r, "x".into()),
        |s, r| s.add(r, "y".into()),
        |s, _| s.remove(&"x".into()),
        |s, r| s.add(r, "x".into()),
        |s, _| s.remove(&"y".into()),
        |s, r| s.add(r, "z".into()),
        |s, _| s.clear(),
        |s, r| s.add(r, "w".into()),
    ]
}

fn document_script() -> Vec<Write<Document>> {
    vec![
        |d, r| {
            d.update_at(&["cart", "apples"], |c: &mut Counter| c.increment(r, 2))
                .unwrap()
        },
        |d, r| {
            d.update_at(&["cart", "pears"], |c: &mut Counter| c.increment(r, 1))
                .unwrap()
        },
        |d, _| d.remove_at(&["cart", "apples"]).unwrap(),
        |d, r| {
            d.update_at(&["cart", "apples"], |c: &mut Counter| c.increment(r, 5))
                .unwrap()
        },
        |d, _| d.remove_at(&["cart"]).unwrap(),
        |d, r| {
            d.update_at(&["cart", "plums"], |c: &mut Counter| c.decrement(r, 3))
                .unwrap()
        },
    ]
}

/// A writer and two receivers with B's id, all past their first full-state exchange
/// (the receivers got the same bytes).
fn start<T: Synced>() -> (Replica<T>, Replica<T>, Replica<T>) {
    let mut a = replica::<T>(A);
    let mut first = replica::<T>(B);
    let mut second = replica::<T>(B);
    let full = a.message_for(B).unwrap().expect("B is new");
    let ack = first.receive(&full).unwrap().expect("an ack");
    assert!(second.receive(&full).unwrap().is_some());
    a.receive(&ack).unwrap();
    (a, first, second)
}

/// Runs `script` at A; after each write, A's message for B is delivered in order to
/// `in_order`, whose ack goes back to A, so every message carries exactly one delta.
/// Returns the messages.
fn disjoint_deltas<T: Synced>(
    script: &[Write<T>],
    a: &mut Replica<T>,
    in_order: &mut Replica<T>,
) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    for write in script {
        let seq = a.update(write);
        let m = a.message_for(B).unwrap().expect("B lacks the write");
        let header = parse(&m).expect("a sync message");
        assert_eq!(header.kind, DELTA, "a small write travels as a delta");
        assert_eq!(header.numbers, [Some(seq), Some(seq + 1)], "one delta");
        messages.push(m.clone());
        deliver(m, in_order, a);
    }
    messages
}

/// Reverse order, each message twice, and the newest once more at the very end.
fn reversed_with_duplicates(messages: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = messages
        .iter()
        .rev()
        .flat_map(|m| [m.clone(), m.clone()])
        .collect();
    out.extend(messages.last().cloned());
    out
}

fn disjoint_reversed<T: Synced>(script: &[Write<T>]) {
    let (mut a, mut in_order, mut reversed) = start::<T>();
    let messages = disjoint_deltas(script, &mut a, &mut in_order);
    for m in reversed_with_duplicates(&messages) {
        // A gap makes the receiver ask for a resend (a hello); that is all it says.
        reversed
            .receive(&m)
            .expect("reordered messages are accepted");
    }
    assert_eq!(in_order.state(), a.state());
    assert_eq!(
        reversed.state().encode().unwrap(),
        in_order.state().encode().unwrap()
    );
}

#[test]
fn set_deltas_reversed_and_duplicated_reach_the_in_order_state() {
    disjoint_reversed(&set_script());
    // And the state is the one the script means: x re-added, y removed, then all
    // cleared but w.
    let (mut a, mut in_order, _) = start::<OrSet<String>>();
    disjoint_deltas(&set_script(), &mut a, &mut in_order);
    assert_eq!(in_order.state().to_sorted_vec(), [&"w".to_string()]);
}

#[test]
fn document_deltas_reversed_and_duplicated_reach_the_in_order_state() {
    disjoint_reversed(&document_script());
}

/// Every permutation of a short script's deltas (with the first delivered twice at
/// the end) reaches the same bytes.
#[test]
fn every_order_of_four_deltas_reaches_the_same_bytes() {
    let script = &set_script()[..4];
    let (mut a, mut in_order, _) = start::<OrSet<String>>();
    let messages = disjoint_deltas(script, &mut a, &mut in_order);
    let expected = in_order.state().encode().unwrap();
    let mut order: Vec<usize> = (0..messages.len()).collect();
    let mut permutations = 0;
    loop {
        let (_, _, mut receiver) = start::<OrSet<String>>();
        for &i in order.iter().chain([&order[0]]) {
            receiver.receive(&messages[i]).unwrap();
        }
        assert_eq!(
            receiver.state().encode().unwrap(),
            expected,
            "order {order:?}"
        );
        permutations += 1;
        if !next_permutation(&mut order) {
            break;
        }
    }
    assert_eq!(permutations, 24);
}

fn next_permutation(v: &mut [usize]) -> bool {
    let Some(i) = v.windows(2).rposition(|w| w[0] < w[1]) else {
        return false;
    };
    let j = v.iter().rposition(|x| *x > v[i]).expect("v[i + 1] > v[i]");
    v.swap(i, j);
    v[i + 1..].reverse();
    true
}

/// With acknowledgements withheld, each message is the interval from the last
/// acknowledged delta to the newest: the intervals overlap. Delivered newest first,
/// oldest last, twice over, they reach the in-order state.
#[test]
fn overlapping_intervals_in_any_order_reach_the_same_state() {
    let (mut a, mut in_order, mut reversed) = start::<OrSet<String>>();
    let first_seq = a.peers().find(|(p, _)| *p == B).and_then(|(_, s)| s.acked);
    let mut messages = Vec::new();
    for write in set_script() {
        a.update(write);
        let m = a
            .message_for(B)
            .unwrap()
            .expect("B has acknowledged nothing new");
        let header = parse(&m).unwrap();
        assert_eq!(header.kind, DELTA);
        assert_eq!(
            header.number(0),
            first_seq,
            "the interval starts at the last ack"
        );
        messages.push(m);
    }
    for m in &messages {
        in_order.receive(m).unwrap();
    }
    for m in messages.iter().rev().chain(messages.iter()) {
        reversed.receive(m).unwrap();
    }
    assert_eq!(in_order.state(), a.state());
    assert_eq!(
        reversed.state().encode().unwrap(),
        a.state().encode().unwrap()
    );
    // The acks were withheld: A resends once, then both are caught up.
    assert_eq!(sync_pair(&mut a, &mut in_order), 2);
}

/// A receiver that gets an interval starting past what it holds (here: it restarted
/// from bytes saved before the previous interval) joins it, but asks with a hello
/// for a resend from what it holds; the writer's answer (the full state, as it no
/// longer buffers what the receiver had acknowledged) closes the gap.
#[test]
fn a_gap_is_repaired_by_the_receivers_hello() {
    let (mut a, mut b, _) = start::<OrSet<String>>();
    let saved = b.save().unwrap();
    a.update(|s, writer| s.add(writer, "second".into()));
    let m = a.message_for(B).unwrap().unwrap();
    deliver(m, &mut b, &mut a);
    // B crashes and comes back without "second"; A believes B has it.
    let mut b = Replica::<OrSet<String>>::restore(&saved).unwrap();
    a.update(|s, writer| s.add(writer, "third".into()));
    let m = a.message_for(B).unwrap().unwrap();
    let hello = b.receive(&m).unwrap().expect("B answers the gap");
    assert_eq!(
        parse(&hello).unwrap().kind,
        HELLO,
        "a gap is answered by a hello"
    );
    assert!(
        b.state().contains(&"third".to_string()),
        "the gapped interval is joined"
    );
    let resend = a
        .receive(&hello)
        .unwrap()
        .expect("A resends from B's position");
    // A dropped "second" from its buffer once B acknowledged it: the full state.
    assert_eq!(parse(&resend).unwrap().kind, FULL);
    deliver(resend, &mut b, &mut a);
    assert!(b.state().contains(&"second".to_string()));
    assert_eq!(b.state().encode().unwrap(), a.state().encode().unwrap());
}
