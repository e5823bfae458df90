//! Golden vectors of the sync wire format: every kind of sync message (a full state,
//! a delta interval, an acknowledgement, a hello with and without a position), a
//! sync token and a saved replica are committed under `tests/vectors/` and checked
//! byte for byte, so the format cannot drift. The replicas run fixed sessions
//! (`Replica::with_session`, feature `testing`) so their bytes replay. Regenerate
//! (only with a format version bump) with `CONVERGE_BLESS=1`.
//!
//! `tests/vectors/v1/` keeps saved replicas of format version 1, never rewritten:
//! `saved_without_incarnation` (the layout before sessions were ordered) and
//! `saved_with_incarnation` (the field appended in place, still version 1). Both
//! must restore. `tests/vectors/v2/saved` keeps the same replica in format version 2
//! (before the durable writer was saved, issue 17); it restores with none. A newer
//! version than this build writes is refused.

mod support;

use std::path::{Path, PathBuf};

use converge_core::testing::{check_golden, check_golden_bytes, read_golden};
use converge_core::{Codec, Error as DecodeError};
use converge_orset::OrSet;
use converge_sync::testing::DecodedMessage;
use converge_sync::{Error, Replica, SyncToken};

use support::{parse, Header, A, ACK, B, C, DELTA, DELTA_FOR, FULL, HELLO};

type Set = OrSet<String>;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// A replica in a fixed session (epoch low bits `bits`, writing as its own id).
fn fixed(id: converge_core::ReplicaId, bits: u32) -> Replica<Set> {
    Replica::new(id, Set::new())
        .expect("a random source")
        .with_session(bits, id)
}

/// The sync of two replicas, message by message: A writes "milk" and sends B its
/// full state; B acknowledges; A writes "eggs" and sends the interval; B says hello
/// (it holds A's deltas up to 2); a new replica C says hello holding nothing.
struct Conversation {
    a: Replica<Set>,
    b: Replica<Set>,
    full: Vec<u8>,
    ack: Vec<u8>,
    delta: Vec<u8>,
    hello: Vec<u8>,
    hello_empty: Vec<u8>,
}

fn conversation() -> Conversation {
    let mut a = fixed(A, 0x0a0a_0a0a);
    let mut b = fixed(B, 0x0b0b_0b0b);
    a.update(|s, w| s.add(w, "milk".into()));
    let full = a.message_for(B).unwrap().expect("B lacks the milk");
    let ack = b.receive(&full).unwrap().expect("an ack");
    assert_eq!(a.receive(&ack).unwrap(), None);
    a.update(|s, w| s.add(w, "eggs".into()));
    let delta = a.message_for(B).unwrap().expect("B lacks the eggs");
    let ack_of_delta = b.receive(&delta).unwrap().expect("an ack");
    a.receive(&ack_of_delta).unwrap();
    let hello = b.hello(A).unwrap();
    let hello_empty = fixed(C, 0x0c0c_0c0c).hello(A).unwrap();
    Conversation {
        a,
        b,
        full,
        ack,
        delta,
        hello,
        hello_empty,
    }
}

fn header(bytes: &[u8]) -> Header {
    parse(bytes).expect("a sync message")
}

#[test]
fn sync_messages_are_pinned() {
    let c = conversation();
    let epoch_a = header(&c.full).epoch;
    let epoch_b = header(&c.ack).epoch;
    assert_eq!(epoch_a, 0x0a0a_0a0a, "incarnation 0, fixed low bits");
    for (name, bytes, kind, numbers) in [
        ("message_full", &c.full, FULL, vec![Some(1)]),
        ("message_ack", &c.ack, ACK, vec![Some(epoch_a), Some(1)]),
        ("message_delta", &c.delta, DELTA, vec![Some(1), Some(2)]),
        (
            "message_hello",
            &c.hello,
            HELLO,
            vec![Some(epoch_a), Some(2)],
        ),
        (
            "message_hello_empty",
            &c.hello_empty,
            HELLO,
            vec![None, None],
        ),
    ] {
        let committed = check_golden_bytes(&vectors(), name, bytes).unwrap();
        let h = header(&committed);
        assert_eq!((h.kind, &h.numbers), (kind, &numbers), "{name}");
        let decoded = DecodedMessage::<Set>::decode(&committed)
            .unwrap_or_else(|e| panic!("{name} no longer decodes: {e}"));
        assert_eq!(decoded.encode().unwrap(), committed, "{name} re-encodes");
    }
    assert_eq!(header(&c.hello).epoch, epoch_b);
}

/// An interval made for one session of the receiver (kind 4): B writes "tea" and
/// "coffee" and sends them to A; A writes "milk" and sends B the interval from what B
/// confirmed, without B's coffee, for B's session.
#[test]
fn a_delta_for_one_session_is_pinned() {
    let mut a = fixed(A, 0x0a0a_0a0a);
    let mut b = fixed(B, 0x0b0b_0b0b);
    b.update(|s, w| s.add(w, "tea".into()));
    let full_b = b.message_for(A).unwrap().expect("A lacks the tea");
    b.receive(&a.receive(&full_b).unwrap().expect("an ack"))
        .unwrap();
    let full_a = a.message_for(B).unwrap().expect("B has acked nothing");
    a.receive(&b.receive(&full_a).unwrap().expect("an ack"))
        .unwrap();
    b.update(|s, w| s.add(w, "coffee".into()));
    let coffee = b.message_for(A).unwrap().expect("A lacks the coffee");
    b.receive(&a.receive(&coffee).unwrap().expect("an ack"))
        .unwrap();
    a.update(|s, w| s.add(w, "milk".into()));
    let delta_for = a.message_for(B).unwrap().expect("B lacks the milk");
    let epoch_b = header(&full_b).epoch;
    let committed = check_golden_bytes(&vectors(), "message_delta_for", &delta_for).unwrap();
    let h = header(&committed);
    assert_eq!(
        (h.kind, &h.numbers),
        (DELTA_FOR, &vec![Some(1), Some(3), Some(epoch_b)])
    );
    let decoded = DecodedMessage::<Set>::decode(&committed).unwrap();
    assert_eq!(decoded.encode().unwrap(), committed, "re-encodes");
}

#[test]
fn sync_tokens_are_pinned() {
    let c = conversation();
    let epoch_a = header(&c.full).epoch;
    let token = SyncToken {
        peer: A,
        epoch: epoch_a,
        to: 2,
    };
    check_golden(&vectors(), "token", &token).unwrap();
    let held = c.b.sync_token(A).unwrap().expect("B holds A's deltas");
    assert_eq!(held, token.encode().unwrap());
}

/// What a restored replica says of itself and its peers: its state, its incarnation
/// (the high half of its new epoch) and the token it holds for A.
fn restored(bytes: &[u8]) -> (Set, u64, Option<SyncToken>) {
    let mut r = Replica::<Set>::restore(bytes).unwrap_or_else(|e| panic!("{e}"));
    let incarnation = header(&r.hello(A).unwrap()).epoch >> 32;
    let token = r
        .sync_token(A)
        .unwrap()
        .map(|t| SyncToken::decode(&t).unwrap());
    (r.state().clone(), incarnation, token)
}

#[test]
fn saved_replicas_are_pinned() {
    let c = conversation();
    let saved = c.b.save().unwrap();
    assert_eq!(saved[..3], [0xc1, 18, 3], "a version 3 saved replica");
    let committed = check_golden_bytes(&vectors(), "saved", &saved).unwrap();
    let (state, incarnation, token) = restored(&committed);
    assert_eq!(&state, c.a.state());
    assert_eq!(incarnation, 1, "one restore after incarnation 0");
    let epoch_a = header(&c.full).epoch;
    assert_eq!(token.map(|t| (t.epoch, t.to)), Some((epoch_a, 2)));
    // A saved replica of a restored replica carries its incarnation.
    let again = Replica::<Set>::restore(&committed).unwrap().save().unwrap();
    assert_eq!(restored(&again).1, 2);
}

fn v1(name: &str) -> Vec<u8> {
    let bytes = read_golden(&vectors().join("v1").join(format!("{name}.hex"))).unwrap();
    assert_eq!(
        bytes[..3],
        [0xc1, 18, 1],
        "{name} is a version 1 saved replica"
    );
    bytes
}

/// The saved replica of `saved_replicas_are_pinned`, in both layouts of version 1.
#[test]
fn version_1_saved_replicas_restore() {
    let c = conversation();
    let epoch_a = header(&c.full).epoch;
    for (name, saved_incarnation) in [
        ("saved_without_incarnation", 0),
        ("saved_with_incarnation", 3),
    ] {
        let (state, incarnation, token) = restored(&v1(name));
        assert_eq!(&state, c.a.state(), "{name}");
        assert_eq!(incarnation, saved_incarnation + 1, "{name}");
        assert_eq!(token.map(|t| (t.epoch, t.to)), Some((epoch_a, 2)), "{name}");
    }
}

/// The saved replica of `saved_replicas_are_pinned` in format version 2 (no durable
/// writer field) restores, with no durable writer: a durable restore of it takes a
/// fresh writer.
#[test]
fn version_2_saved_replicas_restore() {
    let c = conversation();
    let bytes = read_golden(&vectors().join("v2").join("saved.hex")).unwrap();
    assert_eq!(bytes[..3], [0xc1, 18, 2], "a version 2 saved replica");
    let (state, incarnation, token) = restored(&bytes);
    assert_eq!(&state, c.a.state());
    assert_eq!(incarnation, 1);
    let epoch_a = header(&c.full).epoch;
    assert_eq!(token.map(|t| (t.epoch, t.to)), Some((epoch_a, 2)));
    let durable = Replica::<Set>::restore_durable(&bytes).unwrap();
    assert_ne!(durable.writer(), B);
    assert!(durable.writer().writes_for(B));
}

/// A durable replica's saved bytes carry its writer id, and a durable restore writes
/// on under it.
#[test]
fn saved_durable_writers_are_pinned() {
    let mut b = fixed(B, 7);
    b.enable_durable_writer().unwrap();
    let saved = b.save().unwrap();
    let committed = check_golden_bytes(&vectors(), "saved_durable", &saved).unwrap();
    assert_eq!(
        Replica::<Set>::restore_durable(&committed)
            .unwrap()
            .writer(),
        B
    );
}

/// A version newer than this build writes is refused with a typed error; so is a
/// version 2 saved replica that lacks the incarnation (only version 1 may).
#[test]
fn newer_versions_are_refused() {
    let c = conversation();
    let newer = |mut bytes: Vec<u8>| {
        bytes[2] += 1;
        bytes
    };
    let saved = c.b.save().unwrap();
    assert!(matches!(
        Replica::<Set>::restore(&newer(saved.clone())),
        Err(Error::Decode(DecodeError::UnsupportedVersion {
            found: 4,
            supported: 3,
            ..
        }))
    ));
    let mut b = fixed(B, 1);
    assert!(matches!(
        b.receive(&newer(c.full.clone())),
        Err(Error::Decode(DecodeError::UnsupportedVersion {
            found: 2,
            ..
        }))
    ));
    let token = c.b.sync_token(A).unwrap().expect("a token");
    assert!(matches!(
        b.resume(&newer(token)),
        Err(Error::Decode(DecodeError::UnsupportedVersion {
            found: 2,
            ..
        }))
    ));
    let mut without_incarnation = v1("saved_without_incarnation");
    without_incarnation[2] = 2;
    assert!(matches!(
        Replica::<Set>::restore(&without_incarnation),
        Err(Error::Decode(DecodeError::Malformed { .. }))
    ));
    // Each version has its own fields: a version 2 body (no writer) stamped 3, and a
    // version 3 body (with its writer) stamped 2, are refused too.
    let mut without_writer = read_golden(&vectors().join("v2").join("saved.hex")).unwrap();
    without_writer[2] = 3;
    let mut with_writer = saved;
    with_writer[2] = 2;
    for misshapen in [without_writer, with_writer] {
        assert!(matches!(
            Replica::<Set>::restore(&misshapen),
            Err(Error::Decode(DecodeError::Malformed { .. }))
        ));
    }
}
