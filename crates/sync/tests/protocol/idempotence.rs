//! Idempotence: receiving any message a second time, or an old message after newer
//! ones, changes neither the state nor the saved bytes, and later sync still
//! converges. Checked over a recorded conversation in which every kind of message
//! (full state, delta, ack, hello) occurs.

use converge_core::{Codec, ReplicaId};
use converge_ormap::{Counter, Document};
use converge_orset::OrSet;
use converge_sync::Replica;

use crate::support::{
    deliver, parse, replica, same_bytes, snapshot, sync_pair, Synced, A, ACK, B, DELTA, FULL, HELLO,
};

/// Every message delivered in a conversation, with its receiver, in delivery order.
struct Recording {
    delivered: Vec<(ReplicaId, Vec<u8>)>,
}

impl Recording {
    /// Delivers `m` to `to`, replies back and forth, recording each message and
    /// delivering each one twice in a row: the second copy must change nothing.
    fn deliver<T: Synced>(&mut self, m: Vec<u8>, to: &mut Replica<T>, from: &mut Replica<T>) {
        let mut next = Some(m);
        let (mut to, mut from) = (to, from);
        while let Some(m) = next.take() {
            self.delivered.push((to.id(), m.clone()));
            next = to.receive(&m).expect("honest messages are accepted");
            let before = snapshot(to);
            let again = to.receive(&m).expect("a duplicate is accepted");
            assert_eq!(
                snapshot(to),
                before,
                "a duplicate {:?} changed the replica",
                parse(&m)
            );
            // Whatever the duplicate asks for is what the first copy asked for.
            if next.is_none() {
                next = again;
            }
            std::mem::swap(&mut to, &mut from);
        }
    }

    fn round<T: Synced>(&mut self, a: &mut Replica<T>, b: &mut Replica<T>) {
        if let Some(m) = a.message_for(b.id()).unwrap() {
            self.deliver(m, b, a);
        }
        if let Some(m) = b.message_for(a.id()).unwrap() {
            self.deliver(m, a, b);
        }
    }
}

/// Writes on both sides, lost messages, a gap and a hello: every kind of message.
fn conversation<T: Synced>(
    write: fn(&mut T, ReplicaId, u64) -> T,
) -> (Replica<T>, Replica<T>, Recording) {
    let mut rec = Recording {
        delivered: Vec::new(),
    };
    let mut a = replica::<T>(A);
    let mut b = replica::<T>(B);
    for i in 0..3 {
        a.update(|s, writer| write(s, writer, i));
        b.update(|s, writer| write(s, writer, 10 + i));
        rec.round(&mut a, &mut b);
    }
    // Lost: A's next interval never arrives; the one after covers it.
    a.update(|s, writer| write(s, writer, 3));
    let _lost = a.message_for(B).unwrap();
    a.update(|s, writer| write(s, writer, 4));
    rec.round(&mut a, &mut b);
    // A gap: B restarts from bytes older than what it acknowledged, and answers
    // A's next interval with a hello.
    let saved = b.save().unwrap();
    a.update(|s, writer| write(s, writer, 5));
    rec.round(&mut a, &mut b);
    b = Replica::restore(&saved).expect("saved bytes restore");
    a.update(|s, writer| write(s, writer, 6));
    b.update(|s, writer| write(s, writer, 16));
    rec.round(&mut a, &mut b);
    let hello = a.hello(B).unwrap();
    rec.deliver(hello, &mut b, &mut a);
    for _ in 0..3 {
        rec.round(&mut a, &mut b);
    }
    (a, b, rec)
}

/// The epoch B's messages carried before B restarted.
fn old_epoch_of_b(rec: &Recording) -> u64 {
    let (_, first) = rec
        .delivered
        .iter()
        .find(|(to, _)| *to == A)
        .expect("B spoke");
    parse(first).unwrap().epoch
}

fn replays_change_nothing<T: Synced>(write: fn(&mut T, ReplicaId, u64) -> T) {
    let (mut a, mut b, rec) = conversation(write);
    assert_eq!(
        sync_pair(&mut a, &mut b),
        1,
        "the conversation ended in sync"
    );
    assert!(same_bytes(&a, &b));
    let kinds: Vec<u8> = rec
        .delivered
        .iter()
        .map(|(_, m)| parse(m).unwrap().kind)
        .collect();
    for kind in [FULL, DELTA, ACK, HELLO] {
        assert!(
            kinds.contains(&kind),
            "the conversation has a message of kind {kind}"
        );
    }
    // Every old message once more, oldest first, then newest first. (Messages of
    // B's session before its restart are checked apart, below.)
    let old_session = old_epoch_of_b(&rec);
    let current: Vec<&(ReplicaId, Vec<u8>)> = rec
        .delivered
        .iter()
        .filter(|(_, m)| parse(m).unwrap().epoch != old_session)
        .collect();
    let (before_a, before_b) = (snapshot(&a), snapshot(&b));
    for (to, m) in current.iter().chain(current.iter().rev()) {
        let r = if *to == A { &mut a } else { &mut b };
        r.receive(m).expect("an old message is accepted");
    }
    assert_eq!(snapshot(&a), before_a, "replays changed A");
    assert_eq!(snapshot(&b), before_b, "replays changed B");
    // B's messages from before its restart do not change A's state either.
    for (_, m) in rec.delivered.iter().filter(|(to, _)| *to == A) {
        a.receive(m).expect("an old message is accepted");
    }
    assert_eq!(
        a.state().encode().unwrap(),
        before_a.1,
        "replays of B's old session changed A's state"
    );
    // Old hellos may have made a replica resend; sync still ends, and later writes
    // still travel.
    sync_pair(&mut a, &mut b);
    a.update(|s, writer| write(s, writer, 100));
    b.update(|s, writer| write(s, writer, 200));
    sync_pair(&mut a, &mut b);
    assert!(same_bytes(&a, &b));
    assert_eq!(sync_pair(&mut a, &mut b), 1, "and then they are quiet");
}

/// A message of a peer's previous session (from before it restarted), replayed,
/// must not change what the receiver records it holds of that peer: that record is
/// saved, and becomes the peer's sync token.
#[test]
fn a_replayed_message_of_a_previous_session_leaves_the_saved_bytes_alone() {
    let write = |s: &mut OrSet<String>, r: ReplicaId, i: u64| s.add(r, i.to_string());
    let (mut a, mut b, rec) = conversation(write);
    sync_pair(&mut a, &mut b);
    let old_session = old_epoch_of_b(&rec);
    let before = snapshot(&a);
    let token = a.sync_token(B).unwrap();
    for (_, m) in rec.delivered.iter().filter(|(to, _)| *to == A) {
        if parse(m).unwrap().epoch == old_session {
            a.receive(m).unwrap();
        }
    }
    assert_eq!(
        a.sync_token(B).unwrap(),
        token,
        "A's token for B names B's old session"
    );
    assert_eq!(snapshot(&a), before);
}

#[test]
fn set_messages_replayed_change_nothing() {
    replays_change_nothing::<OrSet<String>>(|s, r, i| {
        if i % 4 == 3 {
            s.remove(&format!("{}", i - 1))
        } else {
            s.add(r, i.to_string())
        }
    });
}

#[test]
fn document_messages_replayed_change_nothing() {
    replays_change_nothing::<Document>(|d, r, i| match i % 3 {
        0 => d
            .update_at(&["n", "c"], |c: &mut Counter| c.increment(r, i + 1))
            .unwrap(),
        1 => d.remove_at(&["n"]).unwrap(),
        _ => d
            .update_at(&["m", &i.to_string()], |c: &mut Counter| c.decrement(r, 1))
            .unwrap(),
    });
}

/// An old full state arriving after the deltas that followed it changes nothing.
#[test]
fn an_old_full_state_after_newer_deltas_changes_nothing() {
    let mut a = replica::<OrSet<String>>(A);
    let mut b = replica::<OrSet<String>>(B);
    a.update(|s, writer| s.add(writer, "x".into()));
    let full = a.message_for(B).unwrap().unwrap();
    assert_eq!(parse(&full).unwrap().kind, FULL);
    deliver(full.clone(), &mut b, &mut a);
    a.update(|s, _| s.remove(&"x".into()));
    a.update(|s, writer| s.add(writer, "y".into()));
    deliver(a.message_for(B).unwrap().unwrap(), &mut b, &mut a);
    let before = snapshot(&b);
    assert!(!b.state().contains(&"x".to_string()));
    b.receive(&full).unwrap();
    assert_eq!(
        snapshot(&b),
        before,
        "the old full state brought back the removed x"
    );
    assert_eq!(b.state().encode().unwrap(), a.state().encode().unwrap());
}
