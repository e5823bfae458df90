//! The Rust client's flow control toward the relay: it sends whenever its replica
//! holds something not sent on this socket yet, up to the relay's window of data
//! messages awaiting their replies (PROTOCOL.md), instead of one message at a time.
//! A fake relay (a hub replica behind a bare WebSocket) that never acks shows it.

mod support;

use std::time::Duration;

use converge_core::Lattice;
use converge_ormap::Document;
use converge_relay::{Client, ClientOptions, RELAY_PEER_ID};
use converge_sync::{MessageHead, MessageKind, Replica};
use futures_util::{SinkExt, StreamExt};
use support::{has_marker, write_marker};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

/// Well under the client's resend timer (3 s): a frame that comes within this was not
/// a resend after a missing ack.
const BEFORE_RESEND: Duration = Duration::from_millis(2_000);

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// The next binary frame the client sends.
async fn next_frame(socket: &mut Socket) -> Vec<u8> {
    loop {
        match timeout(BEFORE_RESEND, socket.next())
            .await
            .expect("a frame before the resend timer")
        {
            Some(Ok(Message::Binary(bytes))) => return bytes.to_vec(),
            Some(Ok(_)) => continue,
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

/// The next data message (or hello) the client sends; its acks go to `hub`.
async fn next_data(socket: &mut Socket, hub: &mut Replica<Document>) -> Vec<u8> {
    loop {
        let frame = next_frame(socket).await;
        if kind(&frame) != MessageKind::Ack {
            return frame;
        }
        hub.receive(&frame).expect("an ack");
    }
}

fn kind(bytes: &[u8]) -> MessageKind {
    MessageHead::read::<Document>(bytes)
        .expect("a sync message")
        .kind
}

#[tokio::test]
async fn the_client_sends_new_writes_while_earlier_ones_await_their_ack() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}", listener.local_addr().expect("addr"));
    let client = Client::connect(&url, "window", ClientOptions::default()).expect("client");
    let (tcp, _) = listener.accept().await.expect("accept");
    let mut socket = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
    let mut hub: Replica<Document> = Replica::new(RELAY_PEER_ID, Document::new()).expect("hub");

    // The client's hello; the hub answers with its (empty) state, the client acks it.
    let hello = next_frame(&mut socket).await;
    assert_eq!(kind(&hello), MessageKind::Hello);
    let reply = hub
        .receive(&hello)
        .expect("hello")
        .expect("the hub's state");
    socket
        .send(Message::Binary(reply.into()))
        .await
        .expect("send");
    let frame = next_data(&mut socket, &mut hub).await;
    // The client's first data message (its full state: the hub acked nothing of it;
    // a full state fills the window alone), acked.
    assert_eq!(kind(&frame), MessageKind::Full);
    let ack = hub.receive(&frame).expect("data").expect("an ack");
    socket
        .send(Message::Binary(ack.into()))
        .await
        .expect("send");

    // A bigger state, acked, so that one write's delta is smaller than the state (a
    // full state in its place would fill the window alone).
    client.update(|doc, id| {
        let mut delta = Document::new();
        for n in 100..200 {
            delta.join(write_marker(doc, id, "big", n));
        }
        delta
    });
    let frame = next_data(&mut socket, &mut hub).await;
    let ack = hub.receive(&frame).expect("data").expect("an ack");
    socket
        .send(Message::Binary(ack.into()))
        .await
        .expect("send");

    // Writes go out at once, each while the earlier ones still await their ack, as
    // deltas, without the resend timer: the window holds more than one.
    for n in 1..=3 {
        let seq = client.update(|doc, id| write_marker(doc, id, "c", n));
        let frame = next_data(&mut socket, &mut hub).await;
        assert_eq!(
            kind(&frame),
            MessageKind::Delta,
            "write {n} (seq {seq}) not sent as a delta while others await their ack"
        );
        hub.receive(&frame).expect("delta");
        assert!(
            has_marker(hub.state(), "c", n),
            "write {n} not in its message"
        );
    }
    client.close().await;
}
