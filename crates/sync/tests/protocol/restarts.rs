//! Restarts: a replica restored from saved bytes (which may be older than what it
//! had before it stopped) rejoins in a new session, writes under a fresh writer id,
//! and gets back from its peers everything it lost. Three of these are pinned bugs:
//! what a peer relays it never echoes to the sender, even after the sender crashed
//! and lost it; a lost hello leaves a peer believing the restarted replica still
//! holds what it acknowledged before the crash; and so does a late acknowledgement
//! from the replica's previous session.

use converge_core::Codec;
use converge_orset::OrSet;
use converge_sync::Replica;

use crate::support::{deliver, parse, replica, same_bytes, sync_pair, A, B, DELTA, FULL};

type Set = OrSet<String>;

fn has(r: &Replica<Set>, element: &str) -> bool {
    r.state().contains(&element.to_string())
}

/// A and B in sync, each with one write.
fn pair() -> (Replica<Set>, Replica<Set>) {
    let mut a = replica::<Set>(A);
    let mut b = replica::<Set>(B);
    a.update(|s, writer| s.add(writer, "a0".into()));
    b.update(|s, writer| s.add(writer, "b0".into()));
    sync_pair(&mut a, &mut b);
    (a, b)
}

/// A clean restart (saved just before): the restored replica says hello, and later
/// writes travel between the two as deltas again, not full states. A never echoed
/// B's write back to B's first session, so it sends it to the restored one, which
/// might have lost it (here the full state, once: every peer acknowledged the write
/// and A's buffer dropped it).
#[test]
fn a_cleanly_restarted_replica_resumes_with_deltas() {
    let (mut a, b) = pair();
    let mut b = Replica::<Set>::restore(&b.save().unwrap()).unwrap();
    let hello = b.hello(A).unwrap();
    let reply = a.receive(&hello).unwrap().expect("B's own write, back");
    assert_eq!(parse(&reply).unwrap().kind, FULL);
    deliver(reply, &mut b, &mut a);
    sync_pair(&mut a, &mut b);
    a.update(|s, writer| s.add(writer, "later".into()));
    let m = a.message_for(B).unwrap().unwrap();
    assert!(parse(&m).unwrap().is_delta(), "a delta, not the full state");
    deliver(m, &mut b, &mut a);
    b.update(|s, writer| s.add(writer, "later from b".into()));
    let m = b.message_for(A).unwrap().unwrap();
    assert!(parse(&m).unwrap().is_delta(), "a delta, not the full state");
    deliver(m, &mut a, &mut b);
    assert!(same_bytes(&a, &b));
}

/// A restored replica writes under a fresh id, so its next write cannot reuse the
/// dot of a write it lost in the crash, which a peer acknowledged and holds: both
/// writes survive. (Regression test: restored replicas used to write under their
/// old id, and the two writes sharing one dot erased each other.)
#[test]
fn a_restored_replica_does_not_reuse_the_dot_of_a_write_it_lost() {
    let (mut a, mut b) = pair();
    let saved = b.save().unwrap();
    b.update(|s, writer| s.add(writer, "acknowledged".into()));
    deliver(b.message_for(A).unwrap().unwrap(), &mut a, &mut b);
    assert!(has(&a, "acknowledged"));
    let mut b = Replica::<Set>::restore(&saved).unwrap();
    assert_ne!(b.writer(), B);
    b.update(|s, writer| s.add(writer, "after the crash".into()));
    deliver(b.message_for(A).unwrap().unwrap(), &mut a, &mut b);
    assert!(
        has(&a, "acknowledged"),
        "the new write erased the acknowledged one"
    );
    assert!(has(&a, "after the crash"));
}

/// B writes, A acknowledges and relays it, B crashes back to bytes saved before the
/// write and reconnects with a hello. A must send the write back: it is the only
/// copy left. (It does not: `message_for` leaves out of every interval the deltas
/// that came from the peer itself, assuming the peer still holds them.)
#[test]
fn a_crashed_writer_gets_its_acknowledged_writes_back() {
    let (mut a, mut b) = pair();
    let saved = b.save().unwrap();
    b.update(|s, writer| s.add(writer, "acknowledged".into()));
    deliver(b.message_for(A).unwrap().unwrap(), &mut a, &mut b);
    assert!(has(&a, "acknowledged"));
    // B crashes and comes back from the older bytes.
    let mut b = Replica::<Set>::restore(&saved).unwrap();
    assert!(!has(&b, "acknowledged"));
    let hello = b.hello(A).unwrap();
    if let Some(answer) = a.receive(&hello).unwrap() {
        deliver(answer, &mut b, &mut a);
    }
    sync_pair(&mut a, &mut b);
    assert!(
        has(&b, "acknowledged"),
        "A never sends B its own write back"
    );
    assert!(same_bytes(&a, &b));
}

/// A sends B a write, B acknowledges, then B crashes back to older bytes and its
/// hello is lost. B's full state reaches A, which should see a new session of B
/// that may lack what the old one acknowledged. (It does not: A still counts B's
/// old acknowledgement, has nothing new to send, and B never gets the write.)
#[test]
fn a_restarted_replica_whose_hello_is_lost_still_gets_what_it_lost() {
    let (mut a, mut b) = pair();
    let saved = b.save().unwrap();
    a.update(|s, writer| s.add(writer, "while b was up".into()));
    deliver(a.message_for(B).unwrap().unwrap(), &mut b, &mut a);
    let mut b = Replica::<Set>::restore(&saved).unwrap();
    let _lost = b.hello(A).unwrap();
    let first = b.message_for(A).unwrap().unwrap();
    assert_eq!(
        parse(&first).unwrap().kind,
        FULL,
        "a new session starts with its state"
    );
    deliver(first, &mut a, &mut b);
    sync_pair(&mut a, &mut b);
    assert!(has(&b, "while b was up"), "A never resends what B lost");
}

/// B acknowledges A's write, but the acknowledgement is delayed; B crashes back to
/// older bytes and says hello; A's answer is lost; then the old acknowledgement
/// arrives. It speaks for B's previous session and must not count. (It does: A
/// believes the new B holds the write and never sends it.)
#[test]
fn a_late_ack_from_before_a_crash_does_not_count() {
    let (mut a, mut b) = pair();
    let saved = b.save().unwrap();
    a.update(|s, writer| s.add(writer, "x".into()));
    let m = a.message_for(B).unwrap().unwrap();
    let late_ack = b.receive(&m).unwrap().expect("an ack");
    let mut b = Replica::<Set>::restore(&saved).unwrap();
    let hello = b.hello(A).unwrap();
    let _lost_answer = a.receive(&hello).unwrap();
    a.receive(&late_ack).unwrap();
    sync_pair(&mut a, &mut b);
    assert!(has(&b, "x"), "the old session's ack silenced A");
    assert_eq!(b.state().encode().unwrap(), a.state().encode().unwrap());
}

/// A restarts (its new session begins with a non-empty state, which no delta of the
/// session carries) and sends B that state; B acknowledges it, then crashes back to
/// bytes saved before. A, not yet aware of B's new session, sends the next interval
/// of its session, from sequence 0. B's new session holds nothing of A's session, so
/// the interval leaves a gap: the state A's session started from. (Regression test,
/// simulation seed 10380010190904075249: B took an interval "from 0" for everything
/// and acknowledged it; A then believed B held its whole state and never sent it
/// again, so B lacked A's writes from before A's restart forever.)
#[test]
fn an_interval_from_the_start_of_a_restored_session_is_no_full_state() {
    let (mut a, mut b) = pair();
    let saved_b = b.save().unwrap();
    a.update(|s, writer| s.add(writer, "before a's restart".into()));
    let mut a = Replica::<Set>::restore(&a.save().unwrap()).unwrap();
    let full = a.message_for(B).unwrap().unwrap();
    assert_eq!(parse(&full).unwrap().kind, FULL);
    assert_eq!(
        parse(&full).unwrap().number(0),
        Some(0),
        "a new session's state"
    );
    deliver(full, &mut b, &mut a);
    assert!(has(&b, "before a's restart"));
    // B crashes back to its older bytes; A has not heard of B's new session.
    let mut b = Replica::<Set>::restore(&saved_b).unwrap();
    a.update(|s, writer| s.add(writer, "after a's restart".into()));
    let interval = a.message_for(B).unwrap().unwrap();
    assert_eq!(parse(&interval).unwrap().kind, DELTA);
    assert_eq!(parse(&interval).unwrap().number(0), Some(0));
    deliver(interval, &mut b, &mut a);
    sync_pair(&mut a, &mut b);
    assert!(
        has(&b, "before a's restart"),
        "B acknowledged A's session from its start and never got A's state"
    );
    assert!(same_bytes(&a, &b));
}

/// `update` hands the mutator the id to write under. B writes, A acknowledges; B
/// crashes back to older bytes and writes again with the id `update` passes it (a
/// fresh one), then syncs with A, which saw the write B lost. Both writes survive on
/// both replicas. (Regression test, issue 14 item 5: `update`'s closure got only the
/// state, and the tour and examples wrote with `replica.id()`, whose next dot after
/// the crash names the write A holds: the new write's delta then removes it.)
#[test]
fn a_write_under_the_id_update_passes_survives_a_restore() {
    let (mut a, mut b) = pair();
    let saved = b.save().unwrap();
    b.update(|s, writer| s.add(writer, "seen by a".into()));
    deliver(b.message_for(A).unwrap().unwrap(), &mut a, &mut b);
    let mut b = Replica::<Set>::restore(&saved).unwrap();
    let mut passed = None;
    b.update(|s, writer| {
        passed = Some(writer);
        s.add(writer, "after the restore".into())
    });
    assert_eq!(passed, Some(b.writer()));
    assert_ne!(
        passed,
        Some(b.id()),
        "a restored replica writes under a fresh id"
    );
    let hello = b.hello(A).unwrap();
    if let Some(answer) = a.receive(&hello).unwrap() {
        deliver(answer, &mut b, &mut a);
    }
    sync_pair(&mut a, &mut b);
    for r in [&a, &b] {
        assert!(
            has(r, "seen by a"),
            "the write made before the crash is lost"
        );
        assert!(has(r, "after the restore"));
    }
    assert!(same_bytes(&a, &b));
}
