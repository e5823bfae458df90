//! Delayed, coalesced acks (delayed_ack.rs, window.rs): the Rust client answers a
//! burst of the relay's data messages with fewer acks than messages, the last of which
//! covers them all (so the relay's buffer is collected); and the relay takes one ack
//! for every message it covers, so a client that acks seldom is not stalled by the
//! relay's window.

mod support;

use std::time::Duration;

use converge_core::ReplicaId;
use converge_ormap::Document;
use converge_relay::{Client, ClientOptions, RELAY_PEER_ID};
use converge_sync::{MessageHead, MessageKind, Replica};
use futures_util::{SinkExt, StreamExt};
use support::{count_write, counted, has_marker, write_marker, write_markers_acked, TestRelay};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

/// A safety net only: every wait below ends on an event.
const WAIT: Duration = Duration::from_secs(20);

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

fn kind(bytes: &[u8]) -> MessageKind {
    MessageHead::read::<Document>(bytes)
        .expect("a sync message")
        .kind
}

/// The next binary frame the client sends.
async fn next_frame(socket: &mut Socket) -> Vec<u8> {
    loop {
        match timeout(WAIT, socket.next()).await.expect("a frame in time") {
            Some(Ok(Message::Binary(bytes))) => return bytes.to_vec(),
            Some(Ok(_)) => continue,
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

/// A fake relay: a hub replica behind a bare WebSocket, the client connected and
/// synced (both states acked). Returns the socket, the hub and the hub's full state
/// as it was sent.
async fn fake_relay_with_client(name: &str) -> (Client, Socket, Replica<Document>, Vec<u8>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}", listener.local_addr().expect("addr"));
    let client = Client::connect(&url, name, ClientOptions::default()).expect("client");
    let (tcp, _) = listener.accept().await.expect("accept");
    let mut socket = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
    let mut hub: Replica<Document> = Replica::new(RELAY_PEER_ID, Document::new()).expect("hub");
    let client_id = client.id();
    // A state large enough that an interval of a few writes is smaller than it.
    let (writer, mut source) = (ReplicaId::new(77), Document::new());
    for n in 0..300 {
        hub.merge(write_marker(&mut source, writer, "base", n));
    }
    // The hello; the hub answers with its state. The client sends its own state (at
    // once, after its hello), which the hub acks; the client's ack of the hub's state
    // comes.
    let hello = next_frame(&mut socket).await;
    assert_eq!(kind(&hello), MessageKind::Hello);
    let state = hub.receive(&hello).expect("hello").expect("the state");
    assert_eq!(kind(&state), MessageKind::Full);
    socket
        .send(Message::binary(state.clone()))
        .await
        .expect("send");
    let mut client_state_acked = false;
    while !client_state_acked || hub.peer(client_id).and_then(|p| p.acked).is_none() {
        let frame = next_frame(&mut socket).await;
        let reply = hub.receive(&frame).expect("a message");
        if kind(&frame).carries_data() {
            socket
                .send(Message::binary(reply.expect("an ack")))
                .await
                .expect("send");
            client_state_acked = true;
        }
    }
    assert_eq!(hub.peer(client_id).map(|p| p.pending), Some(0));
    (client, socket, hub, state)
}

/// The next ack the client sends, applied to `hub` (data the client sends
/// meanwhile is acked back).
async fn next_ack(socket: &mut Socket, hub: &mut Replica<Document>) {
    loop {
        let frame = next_frame(socket).await;
        let reply = hub.receive(&frame).expect("a message");
        match kind(&frame) {
            MessageKind::Ack => return,
            // What the client sends of its own (here, nothing new) is acked.
            MessageKind::Delta | MessageKind::Full => {
                let ack = reply.expect("an ack");
                socket.send(Message::binary(ack)).await.expect("send");
            }
            MessageKind::Hello => panic!("the client found a gap"),
        }
    }
}

/// A fake relay sends the client a burst of deltas, one frame per write as the
/// relay's fan-out does: the client answers them with fewer ack frames than
/// messages, and its last ack covers the whole burst, so the hub's buffer is
/// collected. (Before delayed acks: one ack per message.)
#[tokio::test]
async fn a_burst_of_deltas_is_acked_with_fewer_frames_and_the_buffer_is_collected() {
    let (client, mut socket, mut hub, _) = fake_relay_with_client("burst").await;
    let client_id = client.id();
    let (writer, mut source) = (ReplicaId::new(78), Document::new());
    // A burst of writes on the hub, each sent at once as its own message.
    const BURST: u64 = 10;
    for n in 0..BURST {
        let delta = write_marker(&mut source, writer, "hub", n);
        hub.merge(delta);
        let message = hub.message_for(client_id).expect("encode").expect("news");
        assert_eq!(kind(&message), MessageKind::Delta);
        socket.send(Message::binary(message)).await.expect("send");
    }
    assert!(hub.buffer_depth() > 0);
    // Acks come until one covers the burst.
    let mut acks = 0;
    while hub.peer(client_id).map(|p| p.pending) != Some(0) {
        next_ack(&mut socket, &mut hub).await;
        acks += 1;
    }
    assert!(
        acks < BURST,
        "{acks} ack frames for a burst of {BURST} messages"
    );
    assert_eq!(hub.buffer_depth(), 0, "the acked burst is collected");
    timeout(
        WAIT,
        client.wait_until(|doc| has_marker(doc, "hub", BURST - 1)),
    )
    .await
    .expect("in time")
    .expect("the burst reached the client");
    client.close().await;
}

/// A client that answers several data messages with one ack frees all of them in
/// the relay's window: after the window filled, one ack of the latest message opens
/// it whole, and the next writes reach the client as several messages, not one at a
/// time. (Before: each ack freed one place, so one ack let one message through.)
#[tokio::test]
async fn one_ack_frees_every_message_it_covers_in_the_relays_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = TestRelay::start(dir.path(), |_| {}).await;
    let writer = Client::connect(&relay.url(), "window", ClientOptions::default()).expect("c");
    // A state large enough that an interval of a few writes is smaller than it.
    write_markers_acked(&writer, "base", 0..500).await;

    let url = format!("{}/v1/docs/window", relay.url());
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connect");
    let mut lazy = Replica::new(ReplicaId::new(9), Document::new()).expect("replica");
    let hello = lazy.hello(RELAY_PEER_ID).expect("hello");
    socket.send(Message::binary(hello)).await.expect("send");
    // The data messages the relay sends, each applied to `lazy`; returns how many
    // came and the reply to the last one. Reads until `enough` came, then whatever
    // else comes within a short while (more than the window allows would show).
    async fn take(
        socket: &mut tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
        lazy: &mut Replica<Document>,
        enough: usize,
    ) -> (usize, Option<Vec<u8>>) {
        let (mut count, mut reply) = (0, None);
        loop {
            let wait = match count >= enough {
                true => Duration::from_millis(500),
                false => WAIT,
            };
            let Ok(Some(Ok(message))) = timeout(wait, socket.next()).await else {
                return (count, reply);
            };
            if let Message::Binary(bytes) = message {
                if kind(&bytes).carries_data() {
                    count += 1;
                    reply = lazy.receive(&bytes).expect("receive");
                }
            }
        }
    }
    let write = |n: u64| {
        let writer = &writer;
        async move {
            let seq = writer.update(|doc, w| count_write(doc, w, &format!("{n}")));
            timeout(WAIT, writer.wait_acked(seq))
                .await
                .expect("in time")
                .expect("acked");
        }
    };
    // The state, acked.
    let (n, ack) = take(&mut socket, &mut lazy, 1).await;
    assert_eq!(n, 1);
    socket
        .send(Message::binary(ack.expect("an ack")))
        .await
        .expect("send");
    // Writes fill the window: eight messages (each write one batch, one message).
    for n in 0..8 {
        write(n).await;
    }
    let (sent, last_ack) = take(&mut socket, &mut lazy, 8).await;
    assert_eq!(sent, 8, "the window holds eight messages");
    write(100).await;
    let (more, _) = take(&mut socket, &mut lazy, 0).await;
    assert_eq!(more, 0, "nothing over a full window");
    // One ack, of the last message: the window opens whole.
    socket
        .send(Message::binary(last_ack.expect("an ack")))
        .await
        .expect("send");
    let (after_ack, _) = take(&mut socket, &mut lazy, 1).await;
    assert_eq!(after_ack, 1, "what came meanwhile, in one message");
    for n in 200..203 {
        write(n).await;
    }
    let (later, _) = take(&mut socket, &mut lazy, 3).await;
    assert_eq!(
        later, 3,
        "one ack covered the window: later writes are not held back"
    );
    assert_eq!(counted(lazy.state(), "202"), 1);
    relay.stop().await;
}

/// A full state is acked at once (it fills the relay's window alone), not held with
/// the delta after it: the first ack after a full state and a delta covers the full
/// state only. (With the full state's ack delayed too, one ack covered both, and the
/// relay sent nothing to that client for the delay, which cost the load bench a
/// writer's period of latency: every message of its small document was a full state.)
#[tokio::test]
async fn a_full_state_is_acked_at_once_and_a_delta_after_it_later() {
    let (client, mut socket, mut hub, state) = fake_relay_with_client("full").await;
    let client_id = client.id();
    let held = hub.peer(client_id).and_then(|p| p.acked);
    let (writer, mut source) = (ReplicaId::new(78), Document::new());
    hub.merge(write_marker(&mut source, writer, "hub", 1));
    let delta = hub.message_for(client_id).expect("encode").expect("news");
    assert_eq!(kind(&delta), MessageKind::Delta);
    socket.send(Message::binary(state)).await.expect("send");
    socket.send(Message::binary(delta)).await.expect("send");
    next_ack(&mut socket, &mut hub).await;
    assert_eq!(
        hub.peer(client_id).and_then(|p| p.acked),
        held,
        "the first ack covers the full state only"
    );
    next_ack(&mut socket, &mut hub).await;
    assert_eq!(hub.peer(client_id).map(|p| p.pending), Some(0));
    client.close().await;
}
