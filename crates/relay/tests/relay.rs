//! The relay in process: sync through the hub, durability across restarts, auth and
//! limits with their close codes, and that a bad connection harms no other.

mod support;

use std::time::Duration;

use converge_core::Codec;
use converge_ormap::Document;
use converge_relay::{close_code, sign_token, Auth, Claims, Client, ClientOptions, Scope};
use futures_util::{SinkExt, StreamExt};
use support::{has_marker, marker_count, write_marker, write_markers_acked, TestRelay};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

fn client(relay: &TestRelay, doc: &str, token: Option<String>) -> Client {
    Client::connect(
        &relay.url(),
        doc,
        ClientOptions {
            token,
            ..ClientOptions::default()
        },
    )
    .expect("client")
}

/// Opens a raw socket and returns the close code the relay sends after `frames`.
async fn close_code_after(url: &str, frames: Vec<Message>) -> Option<u16> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.ok()?;
    for frame in frames {
        if socket.send(frame).await.is_err() {
            break;
        }
    }
    let read = async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    };
    timeout(WAIT, read).await.ok().flatten()
}

fn in_an_hour() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + 3600
}

#[tokio::test]
async fn two_clients_sync_through_the_relay_and_acked_writes_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = TestRelay::start(dir.path(), |_| {}).await;
    let alice = client(&relay, "board", None);
    let bob = client(&relay, "board", None);
    let mut last = 0;
    for n in 0..20 {
        last = alice.update(|doc, w| write_marker(doc, w, "alice", n));
        bob.update(|doc, w| write_marker(doc, w, "bob", n));
    }
    timeout(WAIT, alice.wait_acked(last))
        .await
        .expect("acked in time")
        .expect("acked");
    timeout(WAIT, bob.wait_until(|d| marker_count(d, "alice") == 20))
        .await
        .expect("bob converges in time")
        .expect("bob converges");
    timeout(WAIT, alice.wait_until(|d| marker_count(d, "bob") == 20))
        .await
        .expect("alice converges in time")
        .expect("alice converges");
    alice.close().await;
    bob.close().await;
    let metrics = relay.stop().await;
    assert!(
        metrics
            .log_entries
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );

    // A new relay on the same data: a new client gets everything.
    let relay = TestRelay::start(dir.path(), |_| {}).await;
    let carol = client(&relay, "board", None);
    timeout(
        WAIT,
        carol.wait_until(|d| marker_count(d, "alice") == 20 && marker_count(d, "bob") == 20),
    )
    .await
    .expect("carol loads in time")
    .expect("carol loads");
    // Another document is separate.
    let other = client(&relay, "other", None);
    timeout(WAIT, other.wait_connected())
        .await
        .expect("connects")
        .expect("connected");
    let seq = other.update(|doc, w| write_marker(doc, w, "o", 1));
    timeout(WAIT, other.wait_acked(seq))
        .await
        .expect("acked")
        .expect("acked");
    assert!(!carol.read(|d| has_marker(d, "o", 1)));
    carol.close().await;
    other.close().await;
    relay.stop().await;
}

#[tokio::test]
async fn auth_scopes_and_bad_input_close_only_that_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = b"test-secret";
    let relay = TestRelay::start(dir.path(), |c| {
        c.auth = Auth::new(Some(secret), false);
        c.limits.max_frame_bytes = 64 << 10;
    })
    .await;
    let token = |scope, docs: &[&str]| {
        sign_token(
            &Claims {
                docs: docs.iter().map(|d| d.to_string()).collect(),
                scope,
                exp: in_an_hour(),
            },
            secret,
        )
        .expect("sign")
    };
    let writer = client(&relay, "team/a", Some(token(Scope::Write, &["team/*"])));
    let seq = writer.update(|doc, w| write_marker(doc, w, "writer", 1));
    timeout(WAIT, writer.wait_acked(seq))
        .await
        .expect("acked")
        .expect("acked");

    // A reader gets the state, and its write closes it with 4403, applying nothing.
    let reader = client(&relay, "team/a", Some(token(Scope::Read, &["team/a"])));
    timeout(WAIT, reader.wait_until(|d| has_marker(d, "writer", 1)))
        .await
        .expect("reader syncs")
        .expect("reader syncs");
    let seq = reader.update(|doc, w| write_marker(doc, w, "reader", 1));
    let refused = timeout(WAIT, reader.wait_acked(seq))
        .await
        .expect("refused in time");
    assert!(
        matches!(
            refused,
            Err(converge_relay::Error::Refused {
                code: close_code::READ_ONLY,
                ..
            })
        ),
        "{refused:?}"
    );

    let base = format!("ws://{}/v1/docs", relay.addr);
    let good = token(Scope::Write, &["team/*"]);
    // No token, a forged token, a token for another document: 4401.
    assert_eq!(
        close_code_after(&format!("{base}/team/a"), vec![]).await,
        Some(close_code::BAD_TOKEN)
    );
    let forged = sign_token(
        &Claims {
            docs: vec!["*".into()],
            scope: Scope::Write,
            exp: in_an_hour(),
        },
        b"wrong",
    )
    .expect("sign");
    assert_eq!(
        close_code_after(&format!("{base}/team/a?token={forged}"), vec![]).await,
        Some(close_code::BAD_TOKEN)
    );
    assert_eq!(
        close_code_after(&format!("{base}/other?token={good}"), vec![]).await,
        Some(close_code::BAD_TOKEN)
    );
    // A bad document name: 4404.
    assert_eq!(
        close_code_after(&format!("{base}/bad%20name?token={good}"), vec![]).await,
        Some(close_code::BAD_DOCUMENT)
    );
    // A text frame, garbage, a message of another type: 4400.
    let url = format!("{base}/team/a?token={good}");
    assert_eq!(
        close_code_after(&url, vec![Message::Text("hi".into())]).await,
        Some(close_code::BAD_FRAME)
    );
    assert_eq!(
        close_code_after(&url, vec![Message::Binary(vec![1, 2, 3].into())]).await,
        Some(close_code::BAD_FRAME)
    );
    let not_a_message = Document::new().encode().expect("encode");
    assert_eq!(
        close_code_after(&url, vec![Message::Binary(not_a_message.into())]).await,
        Some(close_code::BAD_FRAME)
    );
    // Oversize: 4413.
    assert_eq!(
        close_code_after(&url, vec![Message::Binary(vec![0u8; 100 << 10].into())]).await,
        Some(close_code::FRAME_TOO_LARGE)
    );

    // The writer was never disturbed, and the reader's write is nowhere.
    let seq = writer.update(|doc, w| write_marker(doc, w, "writer", 2));
    timeout(WAIT, writer.wait_acked(seq))
        .await
        .expect("acked")
        .expect("acked");
    assert!(writer.is_connected());
    assert!(!writer.read(|d| has_marker(d, "reader", 1)));
    let fresh = client(&relay, "team/a", Some(good.clone()));
    timeout(WAIT, fresh.wait_until(|d| has_marker(d, "writer", 2)))
        .await
        .expect("fresh syncs")
        .expect("fresh syncs");
    assert!(!fresh.read(|d| has_marker(d, "reader", 1)));
    writer.close().await;
    fresh.close().await;
    let metrics = relay.stop().await;
    assert!(metrics.rejected(close_code::BAD_TOKEN) >= 3);
    assert!(metrics.rejected(close_code::READ_ONLY) >= 1);
    assert!(metrics.rejected(close_code::BAD_FRAME) >= 3);
    assert!(metrics.rejected(close_code::FRAME_TOO_LARGE) >= 1);
}

#[tokio::test]
async fn rate_limit_and_connection_limit_close_with_their_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = TestRelay::start(dir.path(), |c| {
        c.limits.max_messages_per_second = 5;
        c.limits.max_connections = 2;
    })
    .await;
    let url = format!("ws://{}/v1/docs/doc", relay.addr);
    // 30 hellos at once from one client: over the burst of 10.
    let mut replica =
        converge_sync::Replica::new(converge_core::ReplicaId::new(77), Document::new())
            .expect("replica");
    let hellos: Vec<Message> = (0..30)
        .map(|_| {
            Message::Binary(
                replica
                    .hello(converge_relay::RELAY_PEER_ID)
                    .expect("hello")
                    .into(),
            )
        })
        .collect();
    assert_eq!(
        close_code_after(&url, hellos).await,
        Some(close_code::RATE_LIMITED)
    );
    let a = client(&relay, "doc", None);
    let b = client(&relay, "doc", None);
    timeout(WAIT, a.wait_connected())
        .await
        .expect("a")
        .expect("a");
    timeout(WAIT, b.wait_connected())
        .await
        .expect("b")
        .expect("b");
    // Wait for the rate-limited socket to be counted out.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        close_code_after(&url, vec![]).await,
        Some(close_code::TOO_MANY_CONNECTIONS)
    );
    a.close().await;
    b.close().await;
    let metrics = relay.stop().await;
    assert_eq!(metrics.rejected(close_code::RATE_LIMITED), 1);
    assert!(metrics.rejected(close_code::TOO_MANY_CONNECTIONS) >= 1);
}

#[tokio::test]
async fn healthz_and_metrics_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = TestRelay::start(dir.path(), |_| {}).await;
    let body = |path: &str| {
        let addr = relay.addr;
        let path = path.to_owned();
        async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await.expect("write");
            let mut out = String::new();
            stream.read_to_string(&mut out).await.expect("read");
            out
        }
    };
    assert!(body("/healthz").await.contains("200 OK"));
    let metrics = body("/metrics").await;
    for name in [
        "converge_relay_connections",
        "converge_relay_documents_loaded",
        "converge_relay_messages_in_total",
        "converge_relay_bytes_out_total",
        "converge_relay_rejected_total{reason=\"slow_consumer\"",
        "converge_relay_commit_seconds_bucket{le=\"+Inf\"}",
        "converge_relay_hub_wait_seconds_bucket{le=\"+Inf\"}",
    ] {
        assert!(metrics.contains(name), "{name} missing from:\n{metrics}");
    }
    relay.stop().await;
}

async fn documents_loaded(relay: &TestRelay) -> Option<u64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(relay.addr).await.ok()?;
    let request = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).await.ok()?;
    out.lines()
        .find_map(|l| l.strip_prefix("converge_relay_documents_loaded "))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn an_idle_document_is_compacted_evicted_and_reloaded() {
    use converge_relay::Storage;
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = TestRelay::start(dir.path(), |c| {
        c.limits.idle_evict = Duration::from_millis(200);
    })
    .await;
    let writer = client(&relay, "idle", None);
    write_markers_acked(&writer, "w", 0..5).await;
    assert_eq!(documents_loaded(&relay).await, Some(1));
    writer.close().await;
    let evicted = timeout(WAIT, async {
        while documents_loaded(&relay).await != Some(0) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(evicted.is_ok(), "the idle document was not evicted");
    let loaded = relay.storage.load("idle").await.expect("load");
    assert!(loaded.snapshot.is_some(), "eviction writes a snapshot");
    assert!(loaded.log.is_empty(), "and drops the log below it");
    let reader = client(&relay, "idle", None);
    timeout(WAIT, reader.wait_until(|d| marker_count(d, "w") == 5))
        .await
        .expect("reloaded in time")
        .expect("reloaded");
    reader.close().await;
    relay.stop().await;
}

/// A raw client session: sends `first`, then answers every frame with the replica's
/// reply and its next message, until `done` holds of the replica. Returns the kinds of
/// the data messages the relay sent.
async fn raw_session(
    url: &str,
    replica: &mut converge_sync::Replica<Document>,
    first: Vec<u8>,
    done: impl Fn(&converge_sync::Replica<Document>) -> bool,
) -> Vec<converge_sync::MessageKind> {
    use converge_sync::{MessageHead, MessageKind};
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    socket.send(Message::binary(first)).await.expect("send");
    if let Some(next) = replica
        .message_for(converge_relay::RELAY_PEER_ID)
        .expect("message")
    {
        socket.send(Message::binary(next)).await.expect("send");
    }
    let mut kinds = Vec::new();
    let run = async {
        while !done(replica) {
            let Some(Ok(Message::Binary(bytes))) = socket.next().await else {
                panic!("the relay closed the session");
            };
            let head = MessageHead::read::<Document>(&bytes).expect("a sync message");
            if matches!(head.kind, MessageKind::Delta | MessageKind::Full) {
                kinds.push(head.kind);
            }
            if let Some(reply) = replica.receive(&bytes).expect("receive") {
                socket.send(Message::binary(reply)).await.expect("send");
            }
            if let Some(next) = replica
                .message_for(converge_relay::RELAY_PEER_ID)
                .expect("message")
            {
                socket.send(Message::binary(next)).await.expect("send");
            }
        }
    };
    timeout(WAIT, run).await.expect("the session ends in time");
    let _ = socket.close(None).await;
    kinds
}

/// A client that reconnects soon after its socket closed resumes with its sync token
/// and gets a delta, not the full state: the hub keeps a departed peer's position for
/// a grace period (before, it forgot the peer at once, and a resume took the full
/// state whenever no other client held the interval).
#[tokio::test]
async fn a_client_back_within_the_grace_period_resumes_with_a_delta() {
    use converge_relay::RELAY_PEER_ID as RELAY;
    use converge_sync::{MessageKind, Replica};
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = TestRelay::start(dir.path(), |_| {}).await;
    let url = format!("ws://{}/v1/docs/board", relay.addr);
    let bob = client(&relay, "board", None);
    // A board large enough that a one-write interval is far smaller than the state
    // (otherwise the full state is the cheaper message, and rightly sent).
    write_markers_acked(&bob, "bob", 0..2_000).await;

    // Alice joins the board, then writes (as a client that opens a shared document
    // does); her first full state is empty, so the relay's buffer holds only news.
    let mut alice =
        Replica::new(converge_core::ReplicaId::new(7), Document::new()).expect("replica");
    let hello = alice.hello(RELAY).expect("hello");
    let joined = |r: &Replica<Document>| {
        has_marker(r.state(), "bob", 1_999) && r.peers().any(|(_, s)| s.pending == 0)
    };
    raw_session(&url, &mut alice, hello, joined).await;
    alice.update(|doc, w| write_marker(doc, w, "alice", 0));
    let hello = alice.hello(RELAY).expect("hello");
    raw_session(&url, &mut alice, hello, |r| {
        r.peers().any(|(_, s)| s.pending == 0)
    })
    .await;
    timeout(WAIT, bob.wait_until(|d| has_marker(d, "alice", 0)))
        .await
        .expect("in time")
        .expect("bob sees alice");
    let token = alice
        .sync_token(RELAY)
        .expect("token")
        .expect("a position to resume from");

    // Alice is away; Bob writes; Alice comes back with her token.
    let seq = bob.update(|doc, w| write_marker(doc, w, "bob", 2_000));
    timeout(WAIT, bob.wait_acked(seq))
        .await
        .expect("in time")
        .expect("acked");
    // Let Bob's client acknowledge what the relay sends it back, so that the relay
    // keeps its buffer for no one but the departed Alice.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let resume = alice.resume(&token).expect("resume");
    let kinds = raw_session(&url, &mut alice, resume, |r| {
        has_marker(r.state(), "bob", 2_000)
    })
    .await;
    assert!(kinds.contains(&MessageKind::Delta), "kinds: {kinds:?}");
    assert!(
        !kinds.contains(&MessageKind::Full),
        "a full state was sent: {kinds:?}"
    );
    relay.stop().await;
}

/// Flow control toward a client that stops acking: a full state fills its window
/// alone; once that is acked, it is sent deltas while others are in flight (the
/// window is more than one message, so a write reaches it without waiting for its
/// last ack; with the first relay's window of one this test fails), but never more
/// than 8 unacknowledged, however many writes come.
#[tokio::test]
async fn a_client_that_stops_acking_is_sent_at_most_a_window_of_messages() {
    use converge_relay::RELAY_PEER_ID as RELAY;
    use converge_sync::{MessageHead, MessageKind, Replica};
    let dir = tempfile::tempdir().expect("tempdir");
    let relay = TestRelay::start(dir.path(), |_| {}).await;
    let url = format!("ws://{}/v1/docs/board", relay.addr);
    let writer = client(&relay, "board", None);
    // A board large enough that an interval of a few writes is far smaller than the
    // state (otherwise the full state is the cheaper message, and rightly sent).
    write_markers_acked(&writer, "base", 0..2_000).await;

    let mut lazy =
        Replica::new(converge_core::ReplicaId::new(9), Document::new()).expect("replica");
    let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connect");
    let hello = lazy.hello(RELAY).expect("hello");
    socket.send(Message::binary(hello)).await.expect("send");
    // Reads data messages until none came for a while; returns their kinds and the
    // last one's bytes.
    async fn drain(
        socket: &mut tokio_tungstenite::WebSocketStream<
            tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
        >,
    ) -> (Vec<MessageKind>, Option<Vec<u8>>) {
        let (mut kinds, mut last) = (Vec::new(), None);
        while let Ok(Some(Ok(message))) = timeout(Duration::from_secs(2), socket.next()).await {
            if let Message::Binary(bytes) = message {
                let kind = MessageHead::read::<Document>(&bytes)
                    .expect("a sync message")
                    .kind;
                if kind.carries_data() {
                    kinds.push(kind);
                    last = Some(bytes.to_vec());
                }
            }
        }
        (kinds, last)
    }
    let writes = |from: u64| {
        let writer = &writer;
        async move {
            for n in from..from + 20 {
                let seq = writer.update(|doc, w| write_marker(doc, w, "writer", n));
                timeout(WAIT, writer.wait_acked(seq))
                    .await
                    .expect("in time")
                    .expect("acked");
            }
        }
    };

    // The full state fills the window: twenty writes later, nothing more came.
    let (first, state) = drain(&mut socket).await;
    assert_eq!(
        first,
        vec![MessageKind::Full],
        "the first message is the state alone"
    );
    writes(1).await;
    let (meanwhile, _) = drain(&mut socket).await;
    assert!(
        meanwhile.is_empty(),
        "sent {meanwhile:?} over a full state in flight"
    );

    // Its ack comes: it is sent what it lacks (the state again: the deltas it missed
    // were dropped from the hub's buffer, as it had acked nothing), alone again.
    let ack = lazy
        .receive(&state.expect("the state"))
        .expect("receive")
        .expect("an ack");
    socket.send(Message::binary(ack)).await.expect("send");
    let (again, state) = drain(&mut socket).await;
    assert_eq!(again, vec![MessageKind::Full], "what it lacks, alone");

    // Acked: the window opens; twenty writes fill it with deltas, and no more.
    let ack = lazy
        .receive(&state.expect("the state"))
        .expect("receive")
        .expect("an ack");
    socket.send(Message::binary(ack)).await.expect("send");
    writes(41).await;
    let (deltas, _) = drain(&mut socket).await;
    assert!(
        deltas.iter().all(|k| *k == MessageKind::Delta),
        "deltas only: {deltas:?}"
    );
    assert!(
        (2..=8).contains(&deltas.len()),
        "a window of more than one message and at most eight: {} sent",
        deltas.len()
    );
    relay.stop().await;
}
