//! What the fuzz targets check, written once for every decoder:
//!
//! - decoding never panics (libFuzzer catches panics, aborts, stack overflows, and
//!   with `-malloc_limit_mb` any single allocation past the limit);
//! - whatever decodes re-encodes to bytes that decode to an equal value, and equal
//!   values encode to identical bytes;
//! - a decoded state is a state like any other: joining it with itself changes nothing;
//! - input a replica rejects leaves it exactly as it was.
//!
//! [`subjects`] holds the types fuzzed (the instantiations the npm package ships) and
//! their sample writes, shared by the targets, the stateful [`trace`] and the corpus
//! generator (`examples/corpus.rs`).

#![forbid(unsafe_code)]

pub mod subjects;
pub mod trace;

use std::fmt::Debug;

use converge::{Codec, Lattice, PeerStatus, Replica, ReplicaId, SyncToken, Value};
use converge_core::{decode_body, TypeTag};
use converge_sync::testing::DecodedMessage;

pub use subjects::Subject;

/// The replica that receives fuzzed messages, tokens and merges.
pub const RECEIVER: ReplicaId = ReplicaId::new(0x0000_0000_0000_00b2);
/// The replica that sends the corpus's messages to [`RECEIVER`].
pub const SENDER: ReplicaId = ReplicaId::new(0x7fff_ffff_0000_00a1);
/// A third replica, far up the id space.
pub const THIRD: ReplicaId = ReplicaId::new(0xffff_ffff_ffff_ffc3);
/// The low epoch bits of the receiver's session, fixed so the fuzzer can learn them
/// (and forge acknowledgements of the receiver's own session).
pub const RECEIVER_EPOCH: u32 = 0x5eed_00b2;
/// The low epoch bits of the sender's session in the corpus.
pub const SENDER_EPOCH: u32 = 0x5eed_00a1;

/// Decodes `data` as a `T`; if it decodes, checks the round trip and idempotence.
pub fn check_codec<T: Codec + Lattice + Clone + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    let value = T::decode(data).ok()?;
    let bytes = value.encode().unwrap();
    let again = match T::decode(&bytes) {
        Ok(again) => again,
        Err(e) => panic!("{value:?} re-encodes to bytes that do not decode: {e}"),
    };
    assert_eq!(again, value, "the round trip changed the value");
    assert_eq!(again.encode().unwrap(), bytes, "equal values encode differently");
    let mut joined = value.clone();
    joined.join(value.clone());
    assert_eq!(
        joined, value,
        "a decoded state is not idempotent under join"
    );
    Some(value)
}

/// Decodes `data` as a bare MessagePack [`Value`] (what a document's registers and
/// sets hold) and checks the round trip.
pub fn check_value(data: &[u8]) {
    let Ok(value) = decode_body::<Value>(TypeTag::OrMap, data) else {
        return;
    };
    let bytes = match rmp_serde::to_vec(&value) {
        Ok(bytes) => bytes,
        Err(e) => panic!("{value:?} does not encode: {e}"),
    };
    let again = match decode_body::<Value>(TypeTag::OrMap, &bytes) {
        Ok(again) => again,
        Err(e) => panic!("{value:?} re-encodes to bytes that do not decode: {e}"),
    };
    assert_eq!(again, value, "the round trip changed the value");
    assert_eq!(rmp_serde::to_vec(&again).ok(), Some(bytes));
}

/// Everything about a replica that a rejected input must leave alone: its saved
/// bytes, its state's bytes, its peers, its buffer and its metrics (but for the two
/// counters a rejection moves: bytes received and rejections).
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    saved: Vec<u8>,
    state: Vec<u8>,
    peers: Vec<(ReplicaId, PeerStatus)>,
    buffered: usize,
    metrics: converge::Metrics,
}

/// Takes a [`Snapshot`] of `replica`.
pub fn snapshot<T: Subject>(replica: &Replica<T>) -> Snapshot {
    let mut metrics = replica.metrics().clone();
    metrics.bytes_received = 0;
    metrics.rejected = 0;
    Snapshot {
        saved: replica.save().unwrap(),
        state: replica.state().encode().unwrap(),
        peers: replica.peers().collect(),
        buffered: replica.buffer_depth(),
        metrics,
    }
}

/// The fuzzed receiver: a replica of `T` with three writes, a known peer and a
/// fixed session, so every run of one input behaves alike.
pub fn receiver<T: Subject>() -> Replica<T> {
    let mut replica = match Replica::new(RECEIVER, T::default()) {
        Ok(replica) => replica.with_session(RECEIVER_EPOCH, RECEIVER),
        Err(e) => panic!("no replica: {e}"),
    };
    for n in 0..3 {
        replica.update(|state, writer| state.sample_write(writer, n));
    }
    replica.add_peer(SENDER);
    replica
}

/// `data` as a sync message to a replica of `T`: if it decodes, the message
/// round-trips; the receiver either accepts it (and its state still round-trips) or
/// rejects it and is unchanged.
pub fn check_message<T: Subject>(data: &[u8]) {
    if let Ok(message) = DecodedMessage::<T>::decode(data) {
        let again = match DecodedMessage::<T>::decode(&message.encode().unwrap()) {
            Ok(again) => again,
            Err(e) => panic!("{message:?} re-encodes to bytes that do not decode: {e}"),
        };
        assert_eq!(again, message, "the round trip changed the message");
        assert_eq!(again.encode().unwrap(), message.encode().unwrap());
    }
    let mut replica = receiver::<T>();
    let before = snapshot(&replica);
    match replica.receive(data) {
        Ok(_) => {
            check_codec::<T>(&replica.state().encode().unwrap());
        }
        Err(_) => assert_eq!(
            snapshot(&replica),
            before,
            "a rejected message changed the replica"
        ),
    }
}

/// `data` as a sync token: if it decodes, it round-trips; `resume` either accepts it
/// or rejects it and leaves the replica unchanged.
pub fn check_token<T: Subject>(data: &[u8]) {
    if let Ok(token) = SyncToken::decode(data) {
        assert_eq!(SyncToken::decode(&token.encode().unwrap()), Ok(token));
    }
    let mut replica = receiver::<T>();
    let before = snapshot(&replica);
    if replica.resume(data).is_err() {
        assert_eq!(
            snapshot(&replica),
            before,
            "a rejected token changed the replica"
        );
    }
}

/// `data` as a saved replica of `T`: if it restores, saving and restoring again gives
/// the same id, state and peer positions.
pub fn check_saved<T: Subject>(data: &[u8]) {
    let Ok(restored) = Replica::<T>::restore(data) else {
        return;
    };
    check_codec::<T>(&restored.state().encode().unwrap());
    let again = match Replica::<T>::restore(&restored.save().unwrap()) {
        Ok(again) => again,
        Err(e) => panic!("a restored replica's save does not restore: {e}"),
    };
    assert_eq!(again.id(), restored.id());
    assert_eq!(again.state(), restored.state());
    let tokens = |r: &Replica<T>| -> Vec<Option<Vec<u8>>> {
        [RECEIVER, SENDER, THIRD, r.id()]
            .into_iter()
            .map(|p| r.sync_token(p).unwrap())
            .collect()
    };
    assert_eq!(tokens(&again), tokens(&restored));
}

/// [`check_message`] for the type the message names: the first element of its array
/// (the type tag) picks it, anything else goes to a document replica (and exercises
/// the wrong-type path). One receiver per run keeps the rate of runs high.
pub fn check_any_message(data: &[u8]) {
    use converge::{Document, GCounter, PnCounter};
    use subjects::{Lww, Mv, Set};
    match data.get(4) {
        Some(1) => check_message::<GCounter>(data),
        Some(2) => check_message::<PnCounter>(data),
        Some(3) => check_message::<Set>(data),
        Some(4) => check_message::<Lww>(data),
        Some(5) => check_message::<Mv>(data),
        _ => check_message::<Document>(data),
    }
}

/// Runs `check` for every synced type: the targets for messages, tokens and saved
/// replicas accept any of them (each fails fast on another type's tag).
#[macro_export]
macro_rules! for_every_subject {
    ($check:ident, $data:expr) => {{
        use converge::{Document, GCounter, PnCounter};
        use $crate::subjects::{Lww, Mv, Set};
        $crate::$check::<GCounter>($data);
        $crate::$check::<PnCounter>($data);
        $crate::$check::<Set>($data);
        $crate::$check::<Lww>($data);
        $crate::$check::<Mv>($data);
        $crate::$check::<Document>($data);
    }};
}
