//! A storage that refuses every commit: the relay acknowledges nothing of the batch,
//! forwards nothing, and closes the document's connections with 4503.

use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use converge_core::ReplicaId;
use converge_ormap::{Counter, Document};
use converge_relay::{
    close_code, serve, Error, Loaded, RelayConfig, Storage, StorageFuture, RELAY_PEER_ID,
};
use converge_sync::{MessageHead, MessageKind, Replica};
use futures_util::{SinkExt, StreamExt};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

/// Loads every document empty; every append fails (a full disk, say).
#[derive(Default)]
struct FailingStorage {
    appends: AtomicU64,
}

impl Storage for FailingStorage {
    fn load<'a>(&'a self, _doc: &'a str) -> StorageFuture<'a, Loaded> {
        Box::pin(async { Ok(Loaded::default()) })
    }

    fn append<'a>(&'a self, _doc: &'a str, _entries: Vec<Vec<u8>>) -> StorageFuture<'a, u64> {
        self.appends.fetch_add(1, SeqCst);
        Box::pin(async { Err(Error::Storage("the disk is full".into())) })
    }

    fn compact<'a>(&'a self, _doc: &'a str, _s: Vec<u8>, _up_to: u64) -> StorageFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads frames until the close: the kinds of the sync messages before it, and the
/// close code.
async fn until_close(socket: &mut Socket) -> (Vec<MessageKind>, Option<u16>) {
    let mut kinds = Vec::new();
    while let Some(message) = socket.next().await {
        match message {
            Ok(Message::Binary(bytes)) => {
                kinds.push(
                    MessageHead::read::<Document>(&bytes)
                        .expect("a sync message")
                        .kind,
                );
            }
            Ok(Message::Close(frame)) => return (kinds, frame.map(|f| u16::from(f.code))),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    (kinds, None)
}

/// Reads the next sync message.
async fn next_message(socket: &mut Socket) -> Vec<u8> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Binary(bytes))) => return bytes.to_vec(),
            Some(Ok(Message::Close(frame))) => panic!("closed early: {frame:?}"),
            Some(Ok(_)) => {}
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_failed_commit_acknowledges_and_forwards_nothing_and_closes_with_4503() {
    let storage = Arc::new(FailingStorage::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let relay = tokio::spawn(serve(
        listener,
        RelayConfig::new(storage.clone()),
        async move {
            let _ = stopped.await;
        },
    ));
    let url = format!("ws://{addr}/v1/docs/board");

    // A watcher joins and takes the (empty) state; it must be sent nothing more.
    let mut watcher_replica = Replica::new(ReplicaId::new(2), Document::new()).expect("replica");
    let (mut watcher, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connect");
    let hello = watcher_replica.hello(RELAY_PEER_ID).expect("hello");
    watcher.send(Message::binary(hello)).await.expect("send");
    let state = next_message(&mut watcher).await;
    if let Some(ack) = watcher_replica.receive(&state).expect("receive") {
        watcher.send(Message::binary(ack)).await.expect("send");
    }

    // A writer joins, takes the state, then writes: the commit fails.
    let mut writer_replica = Replica::new(ReplicaId::new(1), Document::new()).expect("replica");
    let (mut writer, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connect");
    let hello = writer_replica.hello(RELAY_PEER_ID).expect("hello");
    writer.send(Message::binary(hello)).await.expect("send");
    let state = next_message(&mut writer).await;
    if let Some(ack) = writer_replica.receive(&state).expect("receive") {
        writer.send(Message::binary(ack)).await.expect("send");
    }
    writer_replica.update(|doc, id| {
        doc.update_at(&["n"], |n: &mut Counter| n.increment(id, 1))
            .unwrap_or_default()
    });
    let write = writer_replica
        .message_for(RELAY_PEER_ID)
        .expect("message")
        .expect("a write to send");
    writer.send(Message::binary(write)).await.expect("send");

    let (writer_saw, writer_code) = timeout(WAIT, until_close(&mut writer))
        .await
        .expect("the writer's socket closes in time");
    let (watcher_saw, watcher_code) = timeout(WAIT, until_close(&mut watcher))
        .await
        .expect("the watcher's socket closes in time");
    assert_eq!(writer_code, Some(close_code::STORAGE_UNAVAILABLE));
    assert_eq!(watcher_code, Some(close_code::STORAGE_UNAVAILABLE));
    assert!(
        !writer_saw.contains(&MessageKind::Ack),
        "the failed write was acknowledged: {writer_saw:?}"
    );
    assert!(
        watcher_saw.is_empty(),
        "the watcher was sent something of a failed commit: {watcher_saw:?}"
    );
    assert!(
        !writer_replica
            .peers()
            .any(|(_, s)| s.acked.is_some_and(|a| a > 0)),
        "the writer's replica counts its write as acknowledged"
    );
    assert!(
        storage.appends.load(SeqCst) >= 1,
        "the relay tried to commit"
    );

    let _ = stop.send(());
    let metrics = timeout(WAIT, relay)
        .await
        .expect("the relay drains in time")
        .expect("relay task")
        .expect("relay ran");
    assert!(metrics.storage_errors.load(SeqCst) >= 1);
    assert!(metrics.rejected(close_code::STORAGE_UNAVAILABLE) >= 2);
}
