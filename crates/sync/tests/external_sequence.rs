//! Replicas sequenced from outside (`Replica::sequenced_externally`): two replicas fed
//! the same ordered log at the same positions speak as one session, so a peer's sync
//! token from one resumes with a delta at the other (issue 18: a client whose relay
//! node dies moves to another node). Tokens from before the other's buffer, or of
//! another epoch, get the full state; either way the peer converges.

use std::collections::VecDeque;

use converge_core::{Lattice, ReplicaId};
use converge_orset::OrSet;
use converge_sync::{MessageHead, MessageKind, Replica};
use proptest::prelude::*;

type Set = OrSet<u32>;

const RELAY: ReplicaId = ReplicaId::new(1);
const CLIENT: ReplicaId = ReplicaId::new(2);
const EPOCH: u64 = 0x1234_5678;

/// The log: `(position, delta)`, positions strictly increasing with gaps; each
/// write adds a new element.
fn log(writes: &[(u8, u32, u64)]) -> Vec<(u64, Set)> {
    let mut position = 100;
    let mut scratch = Set::new();
    writes
        .iter()
        .enumerate()
        .map(|(i, (writer, element, gap))| {
            position += 1 + gap;
            let element = element * 1000 + i as u32;
            let delta = scratch.add(ReplicaId::new(10 + u64::from(*writer)), element);
            (position, delta)
        })
        .collect()
}

/// What every relay held before the log: large beside any interval of the log, so
/// the relay never sends its full state for size alone.
fn base() -> Set {
    let mut base = Set::new();
    for element in 0..400 {
        base.add(ReplicaId::new(9), 1_000_000 + element);
    }
    base
}

/// A relay replica whose state holds the log up to `start` (exclusive) and whose
/// buffer holds the entries `start..end`.
fn relay(entries: &[(u64, Set)], start: usize, end: usize, epoch: u64) -> Replica<Set> {
    let mut state = base();
    for (_, delta) in &entries[..start] {
        state.join(delta.clone());
    }
    let next = match start {
        0 => 0,
        s => entries[s - 1].0 + 1,
    };
    let mut relay = Replica::new(RELAY, state)
        .expect("a random source")
        .sequenced_externally(epoch, next);
    for (position, delta) in &entries[start..end] {
        relay.buffer_at(*position, delta.clone());
    }
    relay
}

/// Exchanges messages until neither side has anything to send; `first` goes to the
/// relay first.
fn sync(client: &mut Replica<Set>, relay: &mut Replica<Set>, first: Vec<u8>) {
    let mut to_relay = VecDeque::from([first]);
    let mut to_client = VecDeque::new();
    for _ in 0..1000 {
        if let Some(m) = to_relay.pop_front() {
            to_client.extend(relay.receive(&m).expect("a valid message"));
        } else if let Some(m) = to_client.pop_front() {
            to_relay.extend(client.receive(&m).expect("a valid message"));
        } else {
            let from_relay = relay.message_for(CLIENT).expect("encodes");
            let from_client = client.message_for(RELAY).expect("encodes");
            if from_relay.is_none() && from_client.is_none() {
                return;
            }
            to_client.extend(from_relay);
            to_relay.extend(from_client);
        }
    }
    panic!("the sync did not settle");
}

/// Syncs a new client with a relay holding the log's first `k` entries; returns the
/// client and its token.
fn client_after(entries: &[(u64, Set)], k: usize) -> (Replica<Set>, Vec<u8>) {
    let mut first = relay(entries, 0, k, EPOCH);
    let mut client = Replica::new(CLIENT, Set::new()).expect("a random source");
    let hello = client.hello(RELAY).expect("encodes");
    sync(&mut client, &mut first, hello);
    assert_eq!(client.state(), first.state());
    let token = client
        .sync_token(RELAY)
        .expect("encodes")
        .expect("the client holds the relay's deltas");
    (client, token)
}

/// The kind of the relay's answer to the client's resuming hello, then syncs them
/// to the end of the log; returns that kind.
fn resume_at(
    client: &mut Replica<Set>,
    token: &[u8],
    relay: &mut Replica<Set>,
    rest: &[(u64, Set)],
) -> Option<MessageKind> {
    let hello = client.resume(token).expect("a valid token");
    let reply = relay.receive(&hello).expect("a valid hello");
    let kind = reply
        .as_ref()
        .map(|r| MessageHead::read::<Set>(r).expect("a valid message").kind);
    if let Some(reply) = reply {
        let answer = client.receive(&reply).expect("a valid message");
        if let Some(answer) = answer {
            relay.receive(&answer).expect("a valid message");
        }
    }
    for (position, delta) in rest {
        relay.buffer_at(*position, delta.clone());
    }
    let hello = client.hello(RELAY).expect("encodes");
    sync(client, relay, hello);
    assert_eq!(client.state(), relay.state(), "the client converges");
    kind
}

proptest! {
    /// A client synced with one relay up to entry `k` resumes at another relay that
    /// started from a snapshot at entry `s` and buffered up to entry `m` so far: a
    /// delta (or nothing yet, when the other relay lags) if its token is at or after
    /// the snapshot, the full state if before; it converges either way, and never
    /// gets a full state it did not need.
    #[test]
    fn a_token_resumes_at_another_replica_of_the_session(
        writes in proptest::collection::vec((0u8..3, 0u32..20, 0u64..3), 1..30),
        k in 0usize..30,
        s in 0usize..30,
        m in 0usize..30,
    ) {
        let entries = log(&writes);
        let n = entries.len();
        let (k, s) = (k.min(n), s.min(n));
        let m = m.clamp(s, n);
        let (mut client, token) = client_after(&entries, k);
        let mut other = relay(&entries, s, m, EPOCH);
        let fulls = client.metrics().full_states_received;
        let kind = resume_at(&mut client, &token, &mut other, &entries[m..]);
        let full_needed = k < s;
        prop_assert_eq!(kind == Some(MessageKind::Full), full_needed, "kind {:?}", kind);
        prop_assert_eq!(client.metrics().full_states_received - fulls, u64::from(full_needed));
    }

    /// A token of another epoch (another session of the relay) gets the full state.
    #[test]
    fn a_token_of_another_epoch_gets_the_full_state(
        writes in proptest::collection::vec((0u8..3, 0u32..20, 0u64..3), 1..20),
        k in 0usize..20,
    ) {
        let entries = log(&writes);
        let k = k.min(entries.len());
        let (mut client, token) = client_after(&entries, k);
        let mut other = relay(&entries, 0, entries.len(), EPOCH + 1);
        let kind = resume_at(&mut client, &token, &mut other, &[]);
        prop_assert_eq!(kind, Some(MessageKind::Full));
    }
}

/// A relay's own joins (a client's write it received directly) are not buffered:
/// they come back through the log, at their position.
#[test]
fn joins_are_buffered_only_at_their_log_position() {
    let entries = log(&[(0, 1, 0), (1, 2, 1)]);
    let mut relay = relay(&entries, 0, 0, EPOCH);
    relay.merge(entries[0].1.clone());
    assert_eq!(relay.buffer_depth(), 0, "a join is not buffered");
    assert!(relay.state().contains(&1000));
    // It comes back through the log: buffered at its position though subsumed.
    assert_eq!(
        relay.buffer_at(entries[0].0, entries[0].1.clone()),
        entries[0].0
    );
    assert_eq!(relay.buffer_depth(), 1);
    // A position at or below the last one given goes to the next sequence number.
    assert_eq!(
        relay.buffer_at(entries[0].0, entries[1].1.clone()),
        entries[0].0 + 1
    );
}

/// After a gap in the log, the buffer restarts at the reloaded position: a token
/// from before it gets the full state, one at it a delta.
#[test]
fn a_restarted_buffer_sends_the_full_state_to_tokens_before_it() {
    let entries = log(&[(0, 1, 0), (1, 2, 4), (2, 3, 0), (0, 4, 2)]);
    let (mut behind, token_behind) = client_after(&entries, 1);
    let (mut at, token_at) = client_after(&entries, 3);
    let mut other = relay(&entries, 0, 1, EPOCH);
    let mut reloaded = Set::new();
    for (_, delta) in &entries[..3] {
        reloaded.join(delta.clone());
    }
    other.restart_buffer_at(entries[2].0, reloaded);
    let rest = &entries[3..];
    let mut twin = relay(&entries, 0, 1, EPOCH);
    twin.restart_buffer_at(entries[2].0, other.state().clone());
    assert_eq!(
        resume_at(&mut behind, &token_behind, &mut other, rest),
        Some(MessageKind::Full)
    );
    assert_ne!(
        resume_at(&mut at, &token_at, &mut twin, rest),
        Some(MessageKind::Full)
    );
}

/// On a replica of its own session, a position means nothing: `buffer_at` is a merge.
#[test]
fn buffer_at_on_a_replica_of_its_own_session_is_a_merge() {
    let entries = log(&[(0, 1, 0), (1, 2, 1)]);
    let mut own = Replica::new(RELAY, Set::new()).expect("a random source");
    assert_eq!(own.buffer_at(entries[1].0, entries[1].1.clone()), 0);
    assert_eq!(own.buffer_at(entries[0].0, entries[0].1.clone()), 1);
    assert!(!own.is_sequenced_externally());
    assert!(own.state().contains(&2001));
}

/// A kept window: entries before it that every peer here acknowledged are dropped
/// (a token before the window gets the full state), those in it are kept for peers
/// of the other replicas (a token in it gets a delta).
#[test]
fn entries_before_the_kept_window_are_dropped() {
    let entries = log(&[(0, 1, 0), (1, 2, 4), (2, 3, 0), (0, 4, 2), (1, 5, 1)]);
    let (mut early, early_token) = client_after(&entries, 1);
    let (mut late, late_token) = client_after(&entries, 3);
    let mut other = relay(&entries, 0, 5, EPOCH);
    assert_eq!(other.buffer_depth(), 5, "kept until a window is set");
    other.keep_buffer_from(entries[2].0);
    assert_eq!(other.buffer_depth(), 3);
    let mut twin = relay(&entries, 0, 5, EPOCH);
    twin.keep_buffer_from(entries[2].0);
    assert_eq!(
        resume_at(&mut early, &early_token, &mut other, &[]),
        Some(MessageKind::Full)
    );
    assert_eq!(
        resume_at(&mut late, &late_token, &mut twin, &[]),
        Some(MessageKind::Delta)
    );
}

/// A client writes (acknowledged by one relay, so in the log), moves to another
/// relay of the session and writes again: what it sends there is a delta continuing
/// what the session acknowledged, and the relay takes it (an ack, not a hello asking
/// for more). At a relay of another session the same delta is a gap: it asks back.
#[test]
fn a_moved_client_sends_a_delta_to_a_replica_of_the_same_session() {
    for (epoch, same_session) in [(EPOCH, true), (EPOCH + 1, false)] {
        let mut entries = log(&[(0, 1, 0), (1, 2, 4), (2, 3, 0)]);
        let (mut client, _) = client_after(&entries, 3);
        let mut written = Set::new();
        client.update(|set, me| {
            written = set.add(me, 7);
            written.clone()
        });
        let mut first = relay(&entries, 0, 3, EPOCH);
        let token = client.sync_token(RELAY).expect("encodes").expect("a token");
        let hello = client.resume(&token).expect("a valid token");
        sync(&mut client, &mut first, hello);
        assert_eq!(client.peers().next().map(|(_, s)| s.pending), Some(0));
        // The relay appended the write: it is in the log.
        entries.push((entries[2].0 + 5, written));
        let mut other = relay(&entries, 0, entries.len(), epoch);
        client.update(|set, me| set.add(me, 8));
        let token = client.sync_token(RELAY).expect("encodes").expect("a token");
        // Sent at once, as a connecting client does: the hello, then its writes.
        let hello = client.resume(&token).expect("a valid token");
        let upload = client
            .message_for(RELAY)
            .expect("encodes")
            .expect("the new write");
        let head = MessageHead::read::<Set>(&upload).expect("a valid message");
        assert_eq!(head.kind, MessageKind::Delta);
        if let Some(reply) = other.receive(&hello).expect("a valid hello") {
            client.receive(&reply).expect("a valid message");
        }
        let answer = other
            .receive(&upload)
            .expect("a valid message")
            .expect("an answer");
        let answer_kind = MessageHead::read::<Set>(&answer).expect("valid").kind;
        match same_session {
            true => assert_eq!(answer_kind, MessageKind::Ack, "taken as contiguous"),
            false => assert_eq!(answer_kind, MessageKind::Hello, "a gap: it asks back"),
        }
        let hello = client.hello(RELAY).expect("encodes");
        sync(&mut client, &mut other, hello);
        assert!(other.state().contains(&7) && other.state().contains(&8));
        assert_eq!(client.state(), other.state());
    }
}
