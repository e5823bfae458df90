//! A frame that brings nothing is acknowledged without waiting for a commit that
//! news later in its batch needs (its content is committed already), while the news
//! itself is acknowledged only after its commit.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use converge_core::ReplicaId;
use converge_ormap::{Counter, Document};
use converge_relay::{serve, Loaded, RelayConfig, Storage, StorageFuture, RELAY_PEER_ID};
use converge_sync::{MessageHead, MessageKind, Replica};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Semaphore;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

/// Every append waits for a permit the test hands out.
struct GatedStorage {
    gate: Semaphore,
    started: AtomicU64,
    last: AtomicU64,
}

impl Storage for GatedStorage {
    fn load<'a>(&'a self, _doc: &'a str) -> StorageFuture<'a, Loaded> {
        Box::pin(async { Ok(Loaded::default()) })
    }

    fn append<'a>(&'a self, _doc: &'a str, entries: Vec<Vec<u8>>) -> StorageFuture<'a, u64> {
        self.started.fetch_add(1, SeqCst);
        Box::pin(async move {
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
            Ok(self.last.fetch_add(entries.len() as u64, SeqCst) + entries.len() as u64)
        })
    }

    fn compact<'a>(&'a self, _doc: &'a str, _s: Vec<u8>, _up_to: u64) -> StorageFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw client: its replica and socket, synced with the hub's (empty) state.
async fn join(url: &str, id: u64) -> (Replica<Document>, Socket) {
    let mut replica = Replica::new(ReplicaId::new(id), Document::new()).expect("replica");
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let hello = replica.hello(RELAY_PEER_ID).expect("hello");
    socket.send(Message::binary(hello)).await.expect("send");
    let state = next_of(&mut socket, MessageKind::Full).await;
    if let Some(ack) = replica.receive(&state).expect("receive") {
        socket.send(Message::binary(ack)).await.expect("send");
    }
    (replica, socket)
}

/// Reads frames until one of `kind`; returns it.
async fn next_of(socket: &mut Socket, kind: MessageKind) -> Vec<u8> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Binary(bytes))) => {
                let head = MessageHead::read::<Document>(&bytes).expect("a sync message");
                if head.kind == kind {
                    return bytes.to_vec();
                }
            }
            Some(Ok(Message::Close(frame))) => panic!("closed: {frame:?}"),
            Some(Ok(_)) => {}
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

fn write(replica: &mut Replica<Document>) -> Vec<u8> {
    replica.update(|doc, id| {
        doc.update_at(&["n"], |n: &mut Counter| n.increment(id, 1))
            .unwrap_or_default()
    });
    replica
        .message_for(RELAY_PEER_ID)
        .expect("message")
        .expect("a write to send")
}

#[tokio::test]
async fn a_frame_with_nothing_new_is_acked_before_the_commit_its_batch_waits_for() {
    let storage = Arc::new(GatedStorage {
        gate: Semaphore::new(0),
        started: AtomicU64::new(0),
        last: AtomicU64::new(0),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "ws://{}/v1/docs/board",
        listener.local_addr().expect("addr")
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let relay = tokio::spawn(serve(
        listener,
        RelayConfig::new(storage.clone()),
        async move {
            let _ = stopped.await;
        },
    ));
    let (mut a, mut a_socket) = join(&url, 1).await;
    let (mut b, mut b_socket) = join(&url, 2).await;
    let (mut c, mut c_socket) = join(&url, 3).await;
    let started = |n: u64| {
        let storage = Arc::clone(&storage);
        async move {
            while storage.started.load(SeqCst) < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };

    // A's write: the hub's first commit starts and waits.
    a_socket
        .send(Message::binary(write(&mut a)))
        .await
        .expect("send");
    timeout(WAIT, started(1))
        .await
        .expect("the first commit starts");
    // Meanwhile B sends what the hub holds already (its empty state), then C writes:
    // both wait in the hub's inbox and form its next batch, B's frame first.
    let nothing_new = b
        .message_for(RELAY_PEER_ID)
        .expect("message")
        .expect("B's state");
    b_socket
        .send(Message::binary(nothing_new))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(200)).await;
    c_socket
        .send(Message::binary(write(&mut c)))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The first commit ends: A is acked; the next batch's commit (C's write) starts
    // and waits, and B's ack comes all the same.
    storage.gate.add_permits(1);
    let a_ack = timeout(WAIT, next_of(&mut a_socket, MessageKind::Ack))
        .await
        .expect("A is acked after its commit");
    a.receive(&a_ack).expect("receive");
    timeout(WAIT, started(2))
        .await
        .expect("the second commit starts");
    let b_ack = timeout(WAIT, next_of(&mut b_socket, MessageKind::Ack))
        .await
        .expect("B is acked while the second commit waits");
    b.receive(&b_ack).expect("receive");
    assert_eq!(storage.started.load(SeqCst), 2);
    assert!(
        timeout(
            Duration::from_millis(300),
            next_of(&mut c_socket, MessageKind::Ack)
        )
        .await
        .is_err(),
        "C's write was acknowledged before its commit"
    );

    // The second commit ends: C is acked.
    storage.gate.add_permits(16);
    let c_ack = timeout(WAIT, next_of(&mut c_socket, MessageKind::Ack))
        .await
        .expect("C is acked after its commit");
    c.receive(&c_ack).expect("receive");

    let _ = stop.send(());
    let _ = timeout(WAIT, relay)
        .await
        .expect("the relay drains in time");
}
