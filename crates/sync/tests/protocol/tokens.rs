//! Sync tokens: a client persists `sync_token(server)` with its saved state,
//! restarts, and presents the token with `resume`. A server that still buffers the
//! interval after the token answers with just that interval (a small delta, no full
//! state); a server that restarted since (new session), or no longer buffers that far
//! back, answers with its full state. Either way the client catches up.

use converge_core::Codec;
use converge_orset::OrSet;
use converge_sync::{Config, Replica, SyncToken};

use crate::support::{deliver, parse, replica, same_bytes, sync_pair, A, B, DELTA, FULL, HELLO};

type Set = OrSet<String>;

/// A server (A) holding 40 longish elements, and a client (B) in sync with it that
/// persisted its token and saved bytes; then the server wrote once more.
fn server_and_client(config: Config) -> (Replica<Set>, Vec<u8>, Vec<u8>) {
    let mut server = replica::<Set>(A).with_config(config);
    for i in 0..40 {
        server.update(|s, writer| s.add(writer, format!("an element of some length, number {i}")));
    }
    let mut client = replica::<Set>(B);
    sync_pair(&mut server, &mut client);
    assert!(same_bytes(&server, &client));
    let token = client
        .sync_token(A)
        .unwrap()
        .expect("the client holds the server's deltas");
    let saved = client.save().unwrap();
    drop(client);
    server.update(|s, writer| s.add(writer, "news".into()));
    (server, token, saved)
}

/// The client restarts from `saved`, presents `token`, and the server answers;
/// returns the client and the server's answer.
fn resume(server: &mut Replica<Set>, token: &[u8], saved: &[u8]) -> (Replica<Set>, Vec<u8>) {
    let mut client = Replica::<Set>::restore(saved).unwrap();
    let hello = client.resume(token).unwrap();
    assert_eq!(parse(&hello).unwrap().kind, HELLO);
    let answer = server.receive(&hello).unwrap().expect("the server answers");
    (client, answer)
}

fn catches_up(server: &mut Replica<Set>, mut client: Replica<Set>, answer: Vec<u8>) {
    deliver(answer, &mut client, server);
    assert!(client.state().contains(&"news".to_string()));
    sync_pair(server, &mut client);
    assert!(same_bytes(server, &client));
}

#[test]
fn a_resumed_client_gets_just_the_interval_after_its_token() {
    let (mut server, token, saved) = server_and_client(Config::default());
    let full_states = server.metrics().full_states_sent;
    let deltas = server.metrics().deltas_sent;
    let (client, answer) = resume(&mut server, &token, &saved);
    let header = parse(&answer).unwrap();
    assert_eq!(header.kind, DELTA, "a delta interval, not the full state");
    assert_eq!(
        header.numbers,
        [Some(40), Some(41)],
        "from the token on: seq 40 only"
    );
    assert_eq!(server.metrics().full_states_sent, full_states);
    assert_eq!(server.metrics().deltas_sent, deltas + 1);
    let full = server.state().encode().unwrap().len();
    assert!(
        answer.len() * 10 < full,
        "the answer ({} bytes) is small beside the state ({full} bytes)",
        answer.len()
    );
    catches_up(&mut server, client, answer);
}

/// The token alone is enough: a client that persisted its state as plain bytes
/// (not `save()`) builds a new replica around it and resumes.
#[test]
fn a_token_with_a_plainly_persisted_state_resumes_too() {
    let (mut server, token, saved) = server_and_client(Config::default());
    let state = Replica::<Set>::restore(&saved)
        .unwrap()
        .state()
        .encode()
        .unwrap();
    let mut client = Replica::new(B, Set::decode(&state).unwrap()).unwrap();
    assert_eq!(
        client.sync_token(A).unwrap(),
        None,
        "a new replica holds nothing of the server"
    );
    let hello = client.resume(&token).unwrap();
    assert_eq!(
        client.sync_token(A).unwrap(),
        Some(token),
        "resume records the token"
    );
    let answer = server.receive(&hello).unwrap().unwrap();
    assert_eq!(parse(&answer).unwrap().kind, DELTA);
    catches_up(&mut server, client, answer);
}

#[test]
fn a_restarted_server_answers_an_old_token_with_its_full_state() {
    let (server, token, saved) = server_and_client(Config::default());
    let mut server = Replica::<Set>::restore(&server.save().unwrap()).unwrap();
    let (client, answer) = resume(&mut server, &token, &saved);
    assert_eq!(
        parse(&answer).unwrap().kind,
        FULL,
        "a new session: the full state"
    );
    assert_eq!(server.metrics().full_states_sent, 1);
    assert_eq!(server.metrics().deltas_sent, 0);
    catches_up(&mut server, client, answer);
}

#[test]
fn a_server_that_no_longer_buffers_the_interval_answers_with_its_full_state() {
    let config = Config {
        max_buffer: 2,
        ..Config::default()
    };
    let (mut server, token, saved) = server_and_client(config);
    for i in 0..5 {
        server.update(|s, writer| s.add(writer, format!("more {i}")));
    }
    assert_eq!(server.buffer_depth(), 2);
    let full_states = server.metrics().full_states_sent;
    let (client, answer) = resume(&mut server, &token, &saved);
    assert_eq!(parse(&answer).unwrap().kind, FULL, "the interval is gone");
    assert_eq!(server.metrics().full_states_sent, full_states + 1);
    catches_up(&mut server, client, answer);
}

/// A server with nothing new for the token's holder answers nothing.
#[test]
fn a_token_that_is_up_to_date_gets_no_answer() {
    let mut server = replica::<Set>(A);
    server.update(|s, writer| s.add(writer, "x".into()));
    let mut client = replica::<Set>(B);
    sync_pair(&mut server, &mut client);
    let token = client.sync_token(A).unwrap().unwrap();
    let mut client = Replica::<Set>::restore(&client.save().unwrap()).unwrap();
    let hello = client.resume(&token).unwrap();
    assert_eq!(server.receive(&hello), Ok(None));
}

#[test]
fn a_token_names_the_peer_its_session_and_the_position_held() {
    let mut server = replica::<Set>(A);
    server.update(|s, writer| s.add(writer, "x".into()));
    server.update(|s, writer| s.add(writer, "y".into()));
    let mut client = replica::<Set>(B);
    assert_eq!(client.sync_token(A).unwrap(), None, "nothing held yet");
    let full = server.message_for(B).unwrap().unwrap();
    let epoch = parse(&full).unwrap().epoch;
    deliver(full, &mut client, &mut server);
    let token = SyncToken::decode(&client.sync_token(A).unwrap().unwrap()).unwrap();
    assert_eq!(
        token,
        SyncToken {
            peer: A,
            epoch,
            to: 2
        }
    );
    assert_eq!(SyncToken::decode(&token.encode().unwrap()), Ok(token));
}
