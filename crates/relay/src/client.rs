//! A Rust client of the relay (tokio-tungstenite): a local `Replica<Document>` synced
//! with one document on the relay (or on any of several relay nodes serving it),
//! reconnecting with backoff (full jitter), moving to the next node after every close
//! or failed attempt, and resuming with its sync token.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use converge_core::ReplicaId;
use converge_ormap::Document;
use converge_sync::{MessageHead, MessageKind, Replica};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tracing::debug;

use crate::delayed_ack::DelayedAck;
use crate::window::Window;
use crate::{close_code, Error, RELAY_PEER_ID};

/// How a [`Client`] connects.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The token (sent as `?token=`), if the relay needs one.
    pub token: Option<String>,
    /// The first reconnect delay's upper bound (full jitter: a random delay below it).
    pub min_backoff: Duration,
    /// The largest reconnect delay bound.
    pub max_backoff: Duration,
    /// The replica id to use (default: random).
    pub id: Option<ReplicaId>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            token: None,
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            id: None,
        }
    }
}

struct Inner {
    replica: Mutex<Replica<Document>>,
    /// Local writes wait to be sent.
    wake: Notify,
    /// The highest sequence number (exclusive) of ours the relay acknowledged.
    acked: watch::Sender<u64>,
    /// Frames received (to wait for remote changes).
    received: watch::Sender<u64>,
    /// Whether a connection is open.
    connected: watch::Sender<bool>,
    /// The index (in the node list) of the relay node in use or dialled next.
    node: watch::Sender<usize>,
    /// Why the client stopped for good (a fatal close code).
    fatal: Mutex<Option<(u16, String)>>,
    stop: watch::Sender<bool>,
}

/// A client of one document on a relay. Writes apply locally at once and are sent in
/// the background; [`wait_acked`](Self::wait_acked) tells when the relay has made one
/// durable.
pub struct Client {
    inner: Arc<Inner>,
    /// The relay nodes' base URLs, in the order they are tried.
    nodes: Vec<String>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("acked", &*self.inner.acked.borrow())
            .field("connected", &*self.inner.connected.borrow())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Client {
    /// Starts a client of document `doc` on the relay at `base_url` (`ws://host:port`).
    /// Returns at once; the connection opens in the background (see
    /// [`wait_connected`](Self::wait_connected)).
    pub fn connect(base_url: &str, doc: &str, options: ClientOptions) -> Result<Client, Error> {
        Client::connect_nodes(&[base_url], doc, options)
    }

    /// Starts a client of document `doc` on any of the relay nodes at `base_urls`
    /// (`ws://host:port` each; the same document served by several nodes over a shared
    /// backend). The first is tried first; after every close or failed attempt the next
    /// one is, round robin, and the client resumes there with its sync token (the
    /// nodes of a Redis cluster are one sync session, so that is a delta; a node of
    /// another session answers with its full state once). The
    /// backoff grows across nodes: it restarts only after a connection that worked.
    /// An empty list is a [`Error::Config`].
    pub fn connect_nodes(
        base_urls: &[impl AsRef<str>],
        doc: &str,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        if base_urls.is_empty() {
            return Err(Error::Config(
                "a client needs at least one relay URL".into(),
            ));
        }
        let id = match options.id {
            Some(id) => id,
            None => ReplicaId::random()?,
        };
        let replica = Replica::new(id, Document::new())?;
        let inner = Arc::new(Inner {
            replica: Mutex::new(replica),
            wake: Notify::new(),
            acked: watch::Sender::new(0),
            received: watch::Sender::new(0),
            connected: watch::Sender::new(false),
            node: watch::Sender::new(0),
            fatal: Mutex::new(None),
            stop: watch::Sender::new(false),
        });
        let nodes: Vec<String> = base_urls
            .iter()
            .map(|base| base.as_ref().trim_end_matches('/').to_owned())
            .collect();
        let urls = nodes
            .iter()
            .map(|base| {
                let mut url = format!("{base}/v1/docs/{doc}");
                if let Some(token) = &options.token {
                    url.push_str("?token=");
                    url.push_str(token);
                }
                url
            })
            .collect();
        let task = tokio::spawn(run(Arc::clone(&inner), urls, options));
        Ok(Client {
            inner,
            nodes,
            task: Some(task),
        })
    }

    /// The base URL of the relay node in use (or dialled next, while disconnected).
    pub fn node_url(&self) -> &str {
        let index = *self.inner.node.borrow();
        self.nodes.get(index).map_or("", String::as_str)
    }

    /// This client's replica id.
    pub fn id(&self) -> ReplicaId {
        lock(&self.inner.replica).id()
    }

    /// Applies a local write (`mutate` gets the document and the id to write under,
    /// and returns the delta) and sends it. Returns its sequence number.
    pub fn update(&self, mutate: impl FnOnce(&mut Document, ReplicaId) -> Document) -> u64 {
        let seq = lock(&self.inner.replica).update(mutate);
        self.inner.wake.notify_one();
        seq
    }

    /// A copy of the document.
    pub fn state(&self) -> Document {
        lock(&self.inner.replica).state().clone()
    }

    /// Reads the document in place.
    pub fn read<R>(&self, f: impl FnOnce(&Document) -> R) -> R {
        f(lock(&self.inner.replica).state())
    }

    /// The sequence number (exclusive) up to which the relay acknowledged our writes.
    pub fn acked(&self) -> u64 {
        *self.inner.acked.borrow()
    }

    /// Whether a connection is open now.
    pub fn is_connected(&self) -> bool {
        *self.inner.connected.borrow()
    }

    /// The close code and reason that stopped the client for good, if any.
    pub fn fatal(&self) -> Option<(u16, String)> {
        lock(&self.inner.fatal).clone()
    }

    /// Waits until the relay acknowledged write `seq` (it is durable there).
    pub async fn wait_acked(&self, seq: u64) -> Result<(), Error> {
        let mut acked = self.inner.acked.subscribe();
        loop {
            if *acked.borrow_and_update() > seq {
                return Ok(());
            }
            if let Some((code, reason)) = self.fatal() {
                return Err(Error::Refused { code, reason });
            }
            acked.changed().await.map_err(|_| Error::Closed)?;
        }
    }

    /// A receiver that changes after every frame the client applies (to watch for
    /// remote changes without polling).
    pub fn frames(&self) -> watch::Receiver<u64> {
        self.inner.received.subscribe()
    }

    /// Waits until a connection is open.
    pub async fn wait_connected(&self) -> Result<(), Error> {
        let mut connected = self.inner.connected.subscribe();
        loop {
            if *connected.borrow_and_update() {
                return Ok(());
            }
            if let Some((code, reason)) = self.fatal() {
                return Err(Error::Refused { code, reason });
            }
            connected.changed().await.map_err(|_| Error::Closed)?;
        }
    }

    /// Waits until `done` holds of the document (checked after every frame received).
    pub async fn wait_until(&self, done: impl Fn(&Document) -> bool) -> Result<(), Error> {
        let mut received = self.inner.received.subscribe();
        loop {
            received.borrow_and_update();
            if self.read(&done) {
                return Ok(());
            }
            if let Some((code, reason)) = self.fatal() {
                return Err(Error::Refused { code, reason });
            }
            received.changed().await.map_err(|_| Error::Closed)?;
        }
    }

    /// Closes the connection (close code 1000) and stops the client.
    pub async fn close(mut self) {
        self.inner.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.inner.stop.send_replace(true);
    }
}

/// How long a data message may wait for its ack before it is resent.
const RESEND_AFTER: Duration = Duration::from_secs(3);

/// A random duration below `bound` (full jitter).
fn jitter(bound: Duration) -> Duration {
    let r = ReplicaId::random().map_or(0, |r| r.get());
    let millis = bound.as_millis().max(1) as u64;
    Duration::from_millis(r % millis)
}

async fn run(inner: Arc<Inner>, urls: Vec<String>, options: ClientOptions) {
    let mut backoff = options.min_backoff;
    let mut stop = inner.stop.subscribe();
    let mut node = 0;
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        let Some(url) = urls.get(node) else { return };
        let connected = tokio::select! {
            c = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(socket_config()), true) => c,
            _ = stop.changed() => return,
        };
        match connected {
            Ok((socket, _)) => {
                backoff = options.min_backoff;
                inner.connected.send_replace(true);
                let ended = session(&inner, socket, &mut stop).await;
                inner.connected.send_replace(false);
                match ended {
                    Ok(true) => return,
                    Ok(false) => {}
                    Err(Error::Refused { code, reason }) if close_code::is_fatal(code) => {
                        *lock(&inner.fatal) = Some((code, reason));
                        // Wake the waiters so they see it.
                        inner.acked.send_modify(|_| {});
                        inner.connected.send_modify(|_| {});
                        inner.received.send_modify(|_| {});
                        return;
                    }
                    Err(e) => tracing::warn!(error = %e, "connection ended"),
                }
            }
            Err(e) => debug!(error = %e, "cannot connect"),
        }
        // Every close or failed attempt moves to the next node (a dead one is left at
        // once; the hello there carries what the replica holds of the relay's deltas).
        node = (node + 1) % urls.len();
        inner.node.send_replace(node);
        tokio::select! {
            _ = tokio::time::sleep(jitter(backoff)) => {}
            _ = stop.changed() => return,
        }
        backoff = (backoff * 2).min(options.max_backoff);
    }
}

/// The most data messages the client has in flight to the relay (PROTOCOL.md; the
/// relay answers every one of them at once).
const SEND_WINDOW: usize = 4;

/// The client's data messages to the relay awaiting their replies, on one socket.
#[derive(Default)]
struct Outbox {
    /// Those in flight, at most the relay's window (a full state alone).
    window: Window,
    /// When the oldest one in flight was sent (or the last reply came: the replies
    /// come in order, so a silence that long means the relay dropped one).
    oldest: Option<tokio::time::Instant>,
    /// Up to where (exclusive, our sequence numbers) what we sent reaches: a message
    /// is sent only when the replica holds something beyond it.
    sent_limit: Option<u64>,
}

impl Outbox {
    /// Whether another data message may be sent: fewer than [`SEND_WINDOW`] in
    /// flight, and no full state.
    fn has_room(&self) -> bool {
        self.window.has_room() && self.window.in_flight() < SEND_WINDOW
    }

    fn sent(&mut self, full: bool, limit: u64) {
        self.window.sent(full, limit);
        self.oldest.get_or_insert_with(tokio::time::Instant::now);
        self.sent_limit = Some(self.sent_limit.map_or(limit, |s| s.max(limit)));
    }

    fn answered(&mut self) {
        self.window.answered();
        self.oldest = match self.window.is_empty() {
            true => None,
            false => Some(tokio::time::Instant::now()),
        };
    }
}

/// Whether `bytes` is a full state (it fills the relay's window alone).
fn is_full_state(bytes: &[u8]) -> bool {
    matches!(
        MessageHead::read::<Document>(bytes).map(|h| h.kind),
        Ok(MessageKind::Full)
    )
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The socket's read buffer, bytes (it grows for larger frames). tungstenite zeroes
/// up to this much of it on every read: its default of 128 KiB made that zeroing
/// the largest item of a load-bench client process's profile (15% of its samples).
const READ_BUFFER: usize = 4 << 10;

/// How the client's WebSocket is set up: a small read buffer, as the relay's.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(READ_BUFFER)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One connection: hello (or resume), then sync until it closes. `Ok(true)` when the
/// client was stopped.
async fn session(
    inner: &Inner,
    socket: Socket,
    stop: &mut watch::Receiver<bool>,
) -> Result<bool, Error> {
    let (mut sink, mut stream) = socket.split();
    let ws = |e: tokio_tungstenite::tungstenite::Error| Error::WebSocket(e.to_string());
    // The hello says how far the replica holds the relay's deltas, as its sync token
    // would (`resume` with the token is this hello): the client resumes where it
    // stands. (It kept a token, re-encoded after every frame, until it saw that.)
    let first = lock(&inner.replica).hello(RELAY_PEER_ID)?;
    sink.send(Message::Binary(first.into())).await.map_err(ws)?;
    // Flow control (see PROTOCOL.md): up to the relay's window of data messages await
    // their replies, and a message is sent whenever the replica holds something not
    // sent on this socket yet (frames arrive in order: what is in flight is not sent
    // again on every write). Replies that never come (a message the relay dropped)
    // are given up on after a while and the interval resent.
    let mut outbox = Outbox::default();
    // The relay's data messages are acknowledged late and together (delayed_ack.rs).
    let mut acks = DelayedAck::default();
    loop {
        if outbox
            .oldest
            .is_some_and(|sent| sent.elapsed() > RESEND_AFTER)
        {
            outbox = Outbox::default();
        }
        if outbox.has_room() {
            let outgoing = {
                let mut replica = lock(&inner.replica);
                let limit = replica.send_limit();
                match outbox.sent_limit.is_some_and(|sent| limit <= sent) {
                    true => None,
                    false => replica.message_for(RELAY_PEER_ID)?.map(|m| (m, limit)),
                }
            };
            if let Some((bytes, limit)) = outgoing {
                let full = is_full_state(&bytes);
                // A held ack goes with it, in the same write.
                if let Some(ack) = acks.take() {
                    sink.feed(Message::Binary(ack.into())).await.map_err(ws)?;
                }
                sink.send(Message::Binary(bytes.into())).await.map_err(ws)?;
                outbox.sent(full, limit);
            }
        }
        let resend_at = outbox.oldest.map(|sent| sent + RESEND_AFTER);
        tokio::select! {
            _ = sleep_until(resend_at) => {}
            _ = sleep_until(acks.due()) => {
                if let Some(ack) = acks.take() {
                    sink.send(Message::Binary(ack.into())).await.map_err(ws)?;
                }
            }
            _ = stop.changed() => {
                if let Some(ack) = acks.take() {
                    let _ = sink.feed(Message::Binary(ack.into())).await;
                }
                let _ = sink.send(Message::Close(None)).await;
                return Ok(true);
            }
            _ = inner.wake.notified() => {}
            message = stream.next() => {
                let bytes = match message {
                    Some(Ok(Message::Binary(bytes))) => bytes,
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = frame
                            .map(|f| (u16::from(f.code), f.reason.to_string()))
                            .unwrap_or((close_code::NORMAL, String::new()));
                        return Err(Error::Refused { code, reason });
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(ws(e)),
                    None => return Ok(false),
                };
                let kind = MessageHead::read::<Document>(&bytes).map(|h| h.kind);
                let reply = {
                    let mut replica = lock(&inner.replica);
                    let reply = replica.receive(&bytes)?;
                    match kind {
                        Ok(MessageKind::Ack) => outbox.answered(),
                        // A hello answers one of ours (the relay found a gap); our reply
                        // to it is data from where the relay stands, all we hold.
                        Ok(MessageKind::Hello) => {
                            outbox.answered();
                            if let Some(reply) = &reply {
                                outbox.sent(is_full_state(reply), replica.send_limit());
                            }
                        }
                        _ => {}
                    }
                    let acked = replica.peer(RELAY_PEER_ID).and_then(|status| status.acked);
                    if let Some(acked) = acked {
                        inner.acked.send_if_modified(|a| {
                            let newer = acked > *a;
                            *a = (*a).max(acked);
                            newer
                        });
                    }
                    reply
                };
                inner.received.send_modify(|n| *n += 1);
                let Some(reply) = reply else { continue };
                // The ack of a delta waits (delayed_ack.rs); anything else goes at
                // once, with the held ack before it: the ack of a full state (it fills
                // the relay's window alone: a late ack would hold back what comes
                // next), a hello after a gap, what the relay's hello asked for.
                let reply_is_ack = matches!(
                    MessageHead::read::<Document>(&reply).map(|h| h.kind),
                    Ok(MessageKind::Ack)
                );
                let now_due = match (kind, reply_is_ack) {
                    (Ok(MessageKind::Delta), true) => {
                        acks.hold(reply, tokio::time::Instant::now())
                    }
                    // It covers the held one.
                    (Ok(MessageKind::Full), true) => {
                        acks.take();
                        Some(reply)
                    }
                    _ => {
                        if let Some(ack) = acks.take() {
                            sink.feed(Message::Binary(ack.into())).await.map_err(ws)?;
                        }
                        Some(reply)
                    }
                };
                if let Some(bytes) = now_due {
                    sink.send(Message::Binary(bytes.into())).await.map_err(ws)?;
                }
            }
        }
    }
}
