//! Hostile input: forged, corrupt and mistyped messages, tokens and saved bytes are
//! rejected with a typed error, counted, and leave the replica exactly as it was
//! (its saved bytes and its state's encoding); the replica syncs normally afterwards.

use converge_core::{Codec, ReplicaId};
use converge_gcounter::GCounter;
use converge_orset::OrSet;
use converge_sync::{Error, Replica, SyncToken};

use crate::support::{
    build, parse, rebuild, replica, same_bytes, snapshot, sync_pair, Header, A, ACK, B, C,
    DELTA_FOR, FULL, HELLO,
};

type Set = OrSet<String>;

/// A and B in sync, then A writes twice more without B hearing: A's next message
/// for B is a delta interval.
fn pair() -> (Replica<Set>, Replica<Set>) {
    let mut a = replica::<Set>(A);
    let mut b = replica::<Set>(B);
    a.update(|s, writer| s.add(writer, "one".into()));
    b.update(|s, writer| s.add(writer, "two".into()));
    sync_pair(&mut a, &mut b);
    a.update(|s, writer| s.add(writer, "three".into()));
    a.update(|s, _| s.remove(&"one".into()));
    (a, b)
}

/// A's session epoch, read off one of its messages.
fn epoch_of(r: &mut Replica<Set>) -> u64 {
    parse(&r.hello(C).unwrap()).unwrap().epoch
}

/// Feeds `bytes` to `r`, which must reject it with an error `check` accepts, and
/// stay exactly as it was; returns the error.
fn rejects(r: &mut Replica<Set>, bytes: &[u8], what: &str) -> Error {
    let before = snapshot(r);
    let metrics = r.metrics().clone();
    let Err(e) = r.receive(bytes) else {
        panic!("{what} was accepted");
    };
    assert_eq!(snapshot(r), before, "{what} changed the replica");
    assert_eq!(
        r.metrics().rejected,
        metrics.rejected + 1,
        "{what} not counted"
    );
    assert_eq!(
        r.metrics().bytes_received,
        metrics.bytes_received + bytes.len() as u64,
        "{what}: bytes received"
    );
    e
}

/// After the abuse, the replicas still sync to the same bytes.
fn still_syncs(a: &mut Replica<Set>, b: &mut Replica<Set>) {
    a.update(|s, writer| s.add(writer, "after".into()));
    sync_pair(a, b);
    assert!(same_bytes(a, b));
    assert!(b.state().contains(&"after".to_string()));
}

#[test]
fn a_message_from_the_receivers_own_id_is_rejected() {
    let (mut a, mut b) = pair();
    // B's own message, looped back to it.
    let own = b.hello(A).unwrap();
    assert_eq!(rejects(&mut b, &own, "B's own hello"), Error::OwnId(B));
    // A's delta, relabelled as coming from B.
    let mut forged = parse(&a.message_for(B).unwrap().unwrap()).unwrap();
    assert!(forged.is_delta());
    forged.sender = B.get();
    assert_eq!(
        rejects(&mut b, &rebuild(&forged), "a forged delta"),
        Error::OwnId(B)
    );
    still_syncs(&mut a, &mut b);
}

#[test]
fn an_ack_beyond_what_was_sent_is_rejected() {
    let (mut a, mut b) = pair();
    let epoch = epoch_of(&mut a);
    // A wrote one, relayed B's two, wrote three and removed one: 0..4.
    let next = a
        .peers()
        .find(|(p, _)| *p == B)
        .map(|(_, s)| s.acked.unwrap() + s.pending);
    assert_eq!(next, Some(4), "A's next sequence number");
    let b_epoch = parse(&b.hello(A).unwrap()).unwrap().epoch;
    let ack = |to| build(3, B.get(), b_epoch, ACK, &[Some(epoch), Some(to)], &[]);
    assert_eq!(
        rejects(&mut a, &ack(5), "an ack of 5"),
        Error::AckBeyondSent {
            peer: B,
            seq: 5,
            next: 4
        }
    );
    rejects(&mut a, &ack(u64::MAX), "an ack of u64::MAX");
    // Acks up to what was sent are fine; so is any ack of another (old) session.
    assert_eq!(a.receive(&ack(4)), Ok(None));
    let other = build(
        3,
        B.get(),
        b_epoch,
        ACK,
        &[Some(epoch ^ 1), Some(1 << 40)],
        &[],
    );
    let before = snapshot(&a);
    assert_eq!(a.receive(&other), Ok(None));
    assert_eq!(snapshot(&a), before);
    still_syncs(&mut a, &mut b);
}

#[test]
fn a_backwards_interval_is_rejected() {
    let (mut a, mut b) = pair();
    let mut delta = parse(&a.message_for(B).unwrap().unwrap()).unwrap();
    // From 1, what B confirmed: B's own write at 1 is left out, for B's session.
    assert_eq!(delta.kind, DELTA_FOR);
    assert_eq!(delta.numbers[..2], [Some(1), Some(4)]);
    delta.numbers[..2].copy_from_slice(&[Some(4), Some(1)]);
    assert_eq!(
        rejects(&mut b, &rebuild(&delta), "a backwards interval"),
        Error::BackwardsInterval { from: 4, to: 1 }
    );
    still_syncs(&mut a, &mut b);
}

/// A hello is an acknowledgement too ("I have your deltas up to `to`"): one that
/// claims more than was ever sent must be rejected like an ack. Accepted, it makes
/// the replica believe the forger has everything, and it never sends it anything.
#[test]
fn a_hello_beyond_what_was_sent_is_rejected() {
    let (mut a, mut b) = pair();
    let epoch = epoch_of(&mut a);
    let b_epoch = parse(&b.hello(A).unwrap()).unwrap().epoch;
    let hello = build(3, B.get(), b_epoch, HELLO, &[Some(epoch), Some(1000)], &[]);
    let result = a.receive(&hello);
    // Whatever the verdict, A must still send B what B lacks.
    let pending = a.message_for(B).unwrap();
    assert!(pending.is_some(), "a forged hello silenced A toward B");
    assert_eq!(
        result,
        Err(Error::AckBeyondSent {
            peer: B,
            seq: 1000,
            next: 4
        })
    );
}

/// Every way bytes can fail to be a sync message of this type.
#[test]
fn garbage_truncations_and_wrong_types_are_rejected() {
    let (mut a, mut b) = pair();
    let mut valid = vec![a.message_for(B).unwrap().unwrap(), a.hello(B).unwrap()];
    let mut fresh = replica::<Set>(C);
    valid.push(fresh.message_for(B).unwrap().unwrap()); // a full state
    let ack = b.receive(valid.last().unwrap()).unwrap().unwrap();
    valid.push(ack.clone());
    let kinds: Vec<u8> = valid.iter().map(|m| parse(m).unwrap().kind).collect();
    assert_eq!(kinds, [DELTA_FOR, HELLO, FULL, ACK]);

    let mut inputs: Vec<(String, Vec<u8>)> = vec![
        ("nothing".into(), vec![]),
        ("the magic byte alone".into(), vec![0xc1]),
        ("text".into(), b"{\"kind\":\"delta\"}".to_vec()),
    ];
    // Noise of every length up to 64, from a fixed generator.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for len in 1..64 {
        let noise = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        inputs.push((format!("{len} bytes of noise"), noise));
    }
    for m in &valid {
        let kind = parse(m).unwrap().kind_name();
        for cut in 0..m.len() {
            inputs.push((format!("a {kind} cut to {cut} bytes"), m[..cut].to_vec()));
        }
        let mut long = m.clone();
        long.push(0);
        inputs.push((format!("a {kind} with a trailing byte"), long));
        let mut version = m.clone();
        version[2] = 9;
        inputs.push((format!("a {kind} of format version 9"), version));
    }
    let delta = parse(&valid[0]).unwrap();
    inputs.push((
        "an unknown kind".into(),
        rebuild(&Header {
            kind: 9,
            ..delta.clone()
        }),
    ));
    inputs.push((
        "a hello naming an epoch without a position".into(),
        build(3, C.get(), 1, HELLO, &[Some(1), None], &[]),
    ));
    inputs.push((
        "a delta whose payload is not a set".into(),
        rebuild(&Header {
            payload: vec![0x92, 0x01, 0x02],
            ..delta.clone()
        }),
    ));
    inputs.push((
        "a delta whose payload is missing".into(),
        rebuild(&Header {
            payload: vec![],
            ..delta.clone()
        }),
    ));
    // Other converge encodings: a state, a token, saved replica bytes.
    inputs.push(("an OrSet state".into(), a.state().encode().unwrap()));
    inputs.push((
        "a sync token".into(),
        SyncToken {
            peer: A,
            epoch: 1,
            to: 2,
        }
        .encode()
        .unwrap(),
    ));
    inputs.push(("saved replica bytes".into(), a.save().unwrap()));
    // A GCounter replica's messages to an OrSet replica.
    let mut counter = replica::<GCounter>(C);
    counter.update(|c, writer| c.increment(writer, 3).unwrap());
    inputs.push((
        "a GCounter full state".into(),
        counter.message_for(B).unwrap().unwrap(),
    ));
    inputs.push(("a GCounter hello".into(), counter.hello(B).unwrap()));

    for (what, bytes) in &inputs {
        rejects(&mut b, bytes, what);
    }
    assert_eq!(b.metrics().rejected, inputs.len() as u64);
    still_syncs(&mut a, &mut b);
}

#[test]
fn a_message_of_another_type_says_which_types_differ() {
    let (_, mut b) = pair();
    let mut counter = replica::<GCounter>(C);
    let wrong = counter.message_for(B).unwrap().unwrap();
    let e = rejects(&mut b, &wrong, "a GCounter message");
    assert!(matches!(e, Error::Decode(_)), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("GCounter") && text.contains("OrSet"),
        "{text}"
    );
}

#[test]
fn bad_tokens_are_rejected_by_resume() {
    let (mut a, mut b) = pair();
    let before = snapshot(&b);
    let own = SyncToken {
        peer: B,
        epoch: 1,
        to: 1,
    };
    assert_eq!(b.resume(&own.encode().unwrap()), Err(Error::OwnId(B)));
    for bad in [
        vec![],
        vec![0xc1, 17, 1],
        a.message_for(B).unwrap().unwrap(),
        a.state().encode().unwrap(),
    ] {
        assert!(matches!(b.resume(&bad), Err(Error::Decode(_))));
    }
    assert_eq!(snapshot(&b), before);
    still_syncs(&mut a, &mut b);
}

#[test]
fn bad_saved_bytes_are_rejected_by_restore() {
    let (mut a, _) = pair();
    let mut counter = replica::<GCounter>(C);
    counter.update(|c, writer| c.increment(writer, 1).unwrap());
    let saved = a.save().unwrap();
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("nothing", vec![]),
        ("a message", a.message_for(B).unwrap().unwrap()),
        ("a state", a.state().encode().unwrap()),
        ("a GCounter replica", counter.save().unwrap()),
        ("a truncation", saved[..saved.len() - 1].to_vec()),
    ];
    for (what, bytes) in bad {
        assert!(Replica::<Set>::restore(&bytes).is_err(), "{what} restored");
    }
    let restored = Replica::<Set>::restore(&saved).unwrap();
    assert_eq!(restored.id(), A);
    assert_eq!(restored.state(), a.state());
}

/// A forged message from an unknown sender that decodes is just a peer's message:
/// it is joined. (Authenticating peers is the transport's job.) The replica's own
/// id is the one sender it refuses.
#[test]
fn an_unknown_sender_is_a_new_peer() {
    let (_, mut b) = pair();
    let stranger = ReplicaId::new(0xdead);
    let mut other = replica::<Set>(stranger);
    other.update(|s, writer| s.add(writer, "hi".into()));
    let full = other.message_for(B).unwrap().unwrap();
    assert!(b.receive(&full).unwrap().is_some());
    assert!(b.peers().any(|(p, _)| p == stranger));
    assert!(b.state().contains(&"hi".to_string()));
}

/// Sequence numbers at the edges of `u64` in an otherwise real delta: the receiver
/// takes its (real) data or rejects it unchanged; it never panics, and honest sync
/// goes on afterwards: every later write reaches both sides and both hold the same
/// bytes. (A forged interval ending at `u64::MAX` does stick as what the receiver
/// holds of the sender, so the sender rejects its later acks as beyond what it sent
/// and keeps resending: the data flows, but the pair does not fall quiet. Replays
/// must change nothing, so the receiver cannot lower that claim again; peers that
/// may forge each other's ids need an authenticated transport.)
#[test]
fn absurd_sequence_numbers_do_not_corrupt_the_replica() {
    let cases: [(&str, Forge); 4] = [
        ("an interval 0..u64::MAX", |h| {
            h.numbers = vec![Some(0), Some(u64::MAX)]
        }),
        ("an interval u64::MAX..u64::MAX", |h| {
            h.numbers = vec![Some(u64::MAX), Some(u64::MAX)]
        }),
        ("a full state as of u64::MAX", |h| {
            h.kind = FULL;
            h.numbers = vec![Some(u64::MAX)];
        }),
        ("an interval 2^53..2^53 + 1", |h| {
            h.numbers = vec![Some(1 << 53), Some((1 << 53) + 1)]
        }),
    ];
    assert_forgeries_harmless(&cases);
}

/// A forged message that claims the sender's id with an absurd session (epoch): the
/// states still converge and no write is lost. (Sessions are ordered by incarnation,
/// so a forged later session makes the receiver treat the real sender's messages as
/// late: it joins their data but stops acknowledging them, and the sender resends.
/// Telling a forged session from a real restart needs authenticated peers, which is
/// the transport's job.)
#[test]
fn absurd_epochs_do_not_corrupt_the_state() {
    let cases: [(&str, Forge); 3] = [
        ("the sender's epoch 0", |h| h.epoch = 0),
        ("the sender's epoch u64::MAX", |h| h.epoch = u64::MAX),
        ("a session of incarnation 2^32 - 1", |h| {
            h.epoch = 0xffff_ffff_0000_0000
        }),
    ];
    assert_forgeries_harmless(&cases);
}

/// Three rounds each way over a perfect network, whether or not the pair falls quiet;
/// replies the sender rejects (acks beyond what it sent) are dropped.
fn exchange(a: &mut Replica<Set>, b: &mut Replica<Set>) {
    fn one_way(from: &mut Replica<Set>, to: &mut Replica<Set>) {
        if let Some(m) = from.message_for(to.id()).unwrap() {
            if let Ok(Some(reply)) = to.receive(&m) {
                let _ = from.receive(&reply);
            }
        }
    }
    for _ in 0..3 {
        one_way(a, b);
        one_way(b, a);
    }
}

/// Dots whose counters pass 2^53 - 1 (what JavaScript numbers hold exactly) are
/// refused at decoding, and the receiver stays as it was; a dot at the limit is fine.
#[test]
fn a_delta_with_absurd_dot_counters_is_rejected() {
    use crate::support::write_uint;
    use converge_mvregister::MvRegister;
    type Reg = MvRegister<String>;
    let mut a = replica::<Reg>(A);
    let mut b = replica::<Reg>(B);
    a.update(|r, writer| r.write(writer, "x".into()));
    let honest = parse(&a.message_for(B).unwrap().unwrap()).unwrap();
    // The register's delta: [[replica, counter, value], {}, []].
    let payload = |counter: u64| {
        let mut p = vec![0x93, 0x93];
        write_uint(&mut p, A.get());
        write_uint(&mut p, counter);
        // The context: no version vector, no extra dots (the store's dot is implied).
        p.extend_from_slice(&[0xa1, b'x', 0x80, 0x90]);
        p
    };
    assert_eq!(
        payload(1),
        honest.payload,
        "the hand-built payload is the real one"
    );
    let with = |counter| {
        rebuild(&Header {
            payload: payload(counter),
            ..honest.clone()
        })
    };
    for counter in [1 << 53, u64::MAX - 1, u64::MAX] {
        let before = snapshot(&b);
        let result = b.receive(&with(counter));
        assert!(
            matches!(result, Err(Error::Decode(_))),
            "{counter}: {result:?}"
        );
        assert_eq!(snapshot(&b), before);
    }
    assert!(b.receive(&with((1 << 53) - 1)).is_ok());
}

/// Rewrites a header of A's real message to B.
type Forge = fn(&mut Header);

/// For each forged header: B either takes A's forged message or rejects it unchanged,
/// and honest sync goes on afterwards: three rounds of writes on both sides each reach
/// the other, and both hold the same bytes.
fn assert_forgeries_harmless(cases: &[(&str, Forge)]) {
    for &(what, forge) in cases {
        let (mut a, mut b) = pair();
        let mut forged = parse(&a.message_for(B).unwrap().unwrap()).unwrap();
        forge(&mut forged);
        let before = snapshot(&b);
        if b.receive(&rebuild(&forged)).is_err() {
            assert_eq!(snapshot(&b), before, "{what}: rejected, yet changed B");
        }
        for n in 0..3 {
            a.update(|s, writer| s.add(writer, format!("a{n}")));
            b.update(|s, writer| s.add(writer, format!("b{n}")));
            exchange(&mut a, &mut b);
            assert!(same_bytes(&a, &b), "{what}: A and B differ");
            assert!(
                a.state().contains(&format!("b{n}")),
                "{what}: B's write lost"
            );
            assert!(
                b.state().contains(&format!("a{n}")),
                "{what}: A's write lost"
            );
        }
    }
}
