//! A document's hub: the task that owns the server-side `Replica<Document>` of one
//! document, applies its clients' messages in batches, commits their news to storage
//! (one transaction per batch) and only then sends acks and forwards.

mod follow;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use converge_core::{Codec, ReplicaId};
use converge_ormap::Document;
use converge_sync::{MessageHead, MessageKind, Replica};
use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, warn};

use crate::fanout::{self, Fanout};
use crate::frame::{apply_frame, FrameOutcome};
use crate::registry::Shared;
use crate::window::Window;
use crate::Scope;
use crate::{close_code, Error};
use follow::{load_and_follow, next_tailed};

/// A connection's id, unique within the process.
pub(crate) type ConnId = u64;

/// How the hub reaches one connection.
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle {
    pub(crate) id: ConnId,
    pub(crate) scope: Scope,
    /// Frames to send (bounded: a full queue is a slow consumer).
    pub(crate) outbox: mpsc::Sender<Bytes>,
    /// Set to a close code to close the connection (the first code set wins).
    pub(crate) close: Arc<watch::Sender<u16>>,
}

impl ConnHandle {
    /// Asks the connection to close with `code` (once; later codes are ignored).
    pub(crate) fn close(&self, code: u16) {
        self.close.send_if_modified(|c| {
            if *c == 0 {
                *c = code;
                true
            } else {
                false
            }
        });
    }
}

/// Joins and leaves (unbounded: they carry no data).
#[derive(Debug)]
pub(crate) enum Control {
    /// A connection opened on this document.
    Join(ConnHandle),
    /// A connection ended.
    Leave(ConnId),
}

/// One frame from a connection, its head already read.
#[derive(Debug)]
pub(crate) struct Frame {
    pub(crate) conn: ConnId,
    pub(crate) head: MessageHead,
    pub(crate) bytes: Bytes,
    /// When the connection read it (for the hub-wait metric).
    pub(crate) arrived: Instant,
}

/// The channels into a hub.
#[derive(Debug, Clone)]
pub(crate) struct HubHandle {
    /// Which hub this is (a document reloaded gets a new one).
    pub(crate) generation: u64,
    pub(crate) control: mpsc::UnboundedSender<Control>,
    pub(crate) frames: mpsc::Sender<Frame>,
}

/// A reply to one frame, sent once the frame's batch is committed.
struct Reply {
    conn: ConnId,
    bytes: Vec<u8>,
    /// When the frame arrived, if it carried data (for the hub-wait metric).
    data_arrived: Option<Instant>,
}

/// Whether `bytes` is a data message, and if so whether a full state.
fn data_kind(bytes: &[u8]) -> Option<bool> {
    match MessageHead::read::<Document>(bytes).map(|h| h.kind) {
        Ok(MessageKind::Full) => Some(true),
        Ok(MessageKind::Delta) => Some(false),
        _ => None,
    }
}

/// The most frames applied before their news is committed and their replies sent.
const MAX_BATCH: usize = 512;

/// Whether fan-outs to this many connections or more share encodings (below it,
/// a map of encodings by position costs more than it saves).
const SHARED_FANOUT_MIN: usize = 8;

struct Conn {
    handle: ConnHandle,
    peer: Option<ReplicaId>,
    /// Data messages (deltas or states) sent whose ack has not come back: at most
    /// [`WINDOW`](crate::window::WINDOW), and a full state alone (flow control; see
    /// window.rs), so a slow client is not sent a growing interval, or the full
    /// state, once per batch.
    window: Window,
    /// The hub's `news_version` when this client was last sent a data message: a
    /// client with messages in flight is sent another only for news since.
    sent_version: u64,
}

struct Hub {
    shared: Arc<Shared>,
    doc: String,
    generation: u64,
    replica: Replica<Document>,
    conns: HashMap<ConnId, Conn>,
    /// The last log sequence number appended.
    last_seq: u64,
    /// Log entries appended since the last snapshot.
    since_snapshot: u64,
    compacting: Arc<std::sync::atomic::AtomicBool>,
    /// Peers whose last connection closed, and when: the hub keeps what they acked
    /// (and the deltas since) for [`DEPARTED_PEER_GRACE`], so a client that reconnects
    /// soon resumes with its sync token instead of taking the full state.
    departed: HashMap<ReplicaId, Instant>,
    /// With a shared log (several relay nodes): the position up to which every log
    /// entry is in the replica (what the follow delivered), which is what a snapshot
    /// covers. `None` with a single-writer log, where `last_seq` is that position.
    followed_to: Option<u64>,
    /// Counts the batches that brought news (see `Conn::sent_version`).
    news_version: u64,
}

/// How long a departed peer's position is kept (see `Hub::departed`); the buffer it
/// keeps is bounded by the replica's `max_buffer` all the same.
const DEPARTED_PEER_GRACE: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs the hub of `doc` until it is evicted or its storage fails.
pub(crate) async fn run(
    shared: Arc<Shared>,
    doc: String,
    generation: u64,
    mut control: mpsc::UnboundedReceiver<Control>,
    mut frames: mpsc::Receiver<Frame>,
) {
    let loaded = load_and_follow(&shared, &doc).await;
    let (replica, last_seq, since_snapshot, mut follow) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            error!(doc, error = %e, "cannot load the document");
            shared
                .metrics
                .storage_errors
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            shared.remove_hub(&doc, generation);
            control.close();
            while let Ok(c) = control.try_recv() {
                if let Control::Join(handle) = c {
                    shared.metrics.reject(close_code::STORAGE_UNAVAILABLE);
                    handle.close(close_code::STORAGE_UNAVAILABLE);
                }
            }
            return;
        }
    };
    debug!(doc, last_seq, "document loaded");
    let mut hub = Hub {
        shared,
        doc,
        generation,
        replica,
        conns: HashMap::new(),
        last_seq,
        since_snapshot,
        compacting: Arc::default(),
        departed: HashMap::new(),
        followed_to: follow.as_ref().map(|_| last_seq),
        news_version: 0,
    };
    // When the document became idle (no connection): a deadline, not a sleep started
    // anew each turn, so entries from other nodes do not keep an idle document loaded.
    let mut idle_since: Option<tokio::time::Instant> = None;
    loop {
        let idle = hub.shared.limits.idle_evict;
        let idle_deadline = if hub.conns.is_empty() {
            *idle_since.get_or_insert_with(tokio::time::Instant::now) + idle
        } else {
            idle_since = None;
            tokio::time::Instant::now() + idle
        };
        tokio::select! {
            biased;
            c = control.recv() => match c {
                Some(c) => hub.control(c),
                None => break,
            },
            // Before client frames: remote entries are cheap to join, and a busy
            // document must not starve them.
            t = next_tailed(&mut follow) => match t {
                Some(t) => {
                    if hub.remote(t).is_err() {
                        break;
                    }
                }
                // The backend stopped following: drop the document (it reloads).
                None => break,
            },
            f = frames.recv() => match f {
                Some(f) => {
                    if hub.batch(f, &mut control, &mut frames).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            _ = tokio::time::sleep_until(idle_deadline), if hub.conns.is_empty() => {
                if hub.try_evict(&mut control, &mut frames).await {
                    return;
                }
                idle_since = None;
            }
        }
    }
    // Storage failed (or the channels closed): drop the document from memory.
    hub.fail(&mut control);
}

impl Hub {
    fn control(&mut self, c: Control) {
        match c {
            Control::Join(handle) => {
                self.conns.insert(
                    handle.id,
                    Conn {
                        handle,
                        peer: None,
                        window: Window::default(),
                        sent_version: 0,
                    },
                );
            }
            Control::Leave(id) => self.drop_conn(id),
        }
    }

    /// Forgets the peers departed longer than [`DEPARTED_PEER_GRACE`] ago.
    fn forget_departed(&mut self) {
        let now = Instant::now();
        let replica = &mut self.replica;
        self.departed.retain(|peer, since| {
            let keep = now.duration_since(*since) < DEPARTED_PEER_GRACE;
            if !keep {
                replica.remove_peer(*peer);
            }
            keep
        });
    }

    fn drop_conn(&mut self, id: ConnId) {
        self.forget_departed();
        if let Some(conn) = self.conns.remove(&id) {
            if let Some(peer) = conn.peer {
                if !self.conns.values().any(|c| c.peer == Some(peer)) {
                    self.departed.insert(peer, Instant::now());
                }
            }
        }
    }

    fn close_conn(&mut self, id: ConnId, code: u16) {
        if let Some(conn) = self.conns.get(&id) {
            self.shared.metrics.reject(code);
            conn.handle.close(code);
        }
        self.drop_conn(id);
    }

    /// Applies `first` and the frames waiting behind it (and, once one brought news,
    /// those that arrive within `Limits::commit_gather` of it), commits their news, then
    /// replies and forwards (replies to the frames before the first one with news go
    /// at once: they acknowledge only what is committed). An error means storage
    /// failed: nothing of the batch's news was acknowledged or forwarded.
    async fn batch(
        &mut self,
        first: Frame,
        control: &mut mpsc::UnboundedReceiver<Control>,
        frames: &mut mpsc::Receiver<Frame>,
    ) -> Result<(), Error> {
        let mut news: Vec<Vec<u8>> = Vec::new();
        let mut replies: Vec<Reply> = Vec::new();
        let mut ready: Vec<ConnId> = Vec::new();
        let mut next = Some(first);
        let mut count = 0;
        // Group commit: once the batch holds news, frames that arrive within the
        // gather time of the first one with news join it (`Limits::commit_gather`).
        let mut gather_until: Option<tokio::time::Instant> = None;
        while let Some(frame) = next.take() {
            if !self.conns.contains_key(&frame.conn) {
                // Its join may be queued behind: joins are sent before any frame.
                while let Ok(c) = control.try_recv() {
                    self.control(c);
                }
            }
            let arrived = frame.arrived;
            self.apply(frame, &mut news, &mut replies, &mut ready)?;
            if gather_until.is_none() && !news.is_empty() {
                let gather = self.shared.limits.commit_gather;
                gather_until = Some(tokio::time::Instant::from_std(arrived) + gather);
            }
            if news.is_empty() {
                // Nothing of this batch brought news yet: the replica holds only what
                // is committed, so these replies (acks of frames that brought
                // nothing, what a hello lacks) may go now rather than after a commit
                // that news further on in the batch will need.
                self.send_replies(std::mem::take(&mut replies));
            }
            count += 1;
            if count < MAX_BATCH {
                next = match (frames.try_recv().ok(), gather_until) {
                    (Some(frame), _) => Some(frame),
                    // Nothing queued: wait for more until the gather time is over.
                    (None, Some(until)) => tokio::time::timeout_at(until, frames.recv())
                        .await
                        .ok()
                        .flatten(),
                    (None, None) => None,
                };
            }
        }
        let news_count = news.len();
        if !news.is_empty() {
            let entries = news.len() as u64;
            let started = Instant::now();
            match self.shared.storage.append(&self.doc, news).await {
                Ok(last) => {
                    self.shared.metrics.observe_commit(started.elapsed());
                    self.shared
                        .metrics
                        .log_entries
                        .fetch_add(entries, std::sync::atomic::Ordering::Relaxed);
                    self.last_seq = last;
                    self.since_snapshot += entries;
                }
                Err(e) => {
                    error!(doc = self.doc, error = %e, "commit failed: dropping the document");
                    return Err(e);
                }
            }
        }
        self.send_replies(replies);
        if news_count > 0 {
            self.news_version += 1;
            let all: Vec<ConnId> = self.conns.keys().copied().collect();
            self.forward(&all);
        } else {
            self.forward(&ready);
        }
        if self.since_snapshot >= self.shared.limits.compact_every {
            self.compact_in_background();
        }
        Ok(())
    }

    /// Applies one frame; its news goes to `news`, its reply to `replies`.
    fn apply(
        &mut self,
        frame: Frame,
        news: &mut Vec<Vec<u8>>,
        replies: &mut Vec<Reply>,
        ready: &mut Vec<ConnId>,
    ) -> Result<(), Error> {
        let Some(conn) = self.conns.get_mut(&frame.conn) else {
            return Ok(());
        };
        let sender = frame.head.sender;
        if conn.peer.is_none() {
            conn.peer = Some(sender);
            self.departed.remove(&sender);
            let replaced: Vec<ConnId> = self
                .conns
                .iter()
                .filter(|(id, c)| **id != frame.conn && c.peer == Some(sender))
                .map(|(id, _)| *id)
                .collect();
            for id in replaced {
                if let Some(old) = self.conns.remove(&id) {
                    self.shared.metrics.reject(close_code::BAD_FRAME);
                    old.handle.close(close_code::BAD_FRAME);
                }
            }
        }
        let Some(conn) = self.conns.get(&frame.conn) else {
            return Ok(());
        };
        let scope = conn.handle.scope;
        let outcome = apply_frame(&mut self.replica, scope, &frame.head, &frame.bytes, news)?;
        match outcome {
            FrameOutcome::Applied { reply } => {
                if let Some(conn) = self.conns.get_mut(&frame.conn) {
                    match frame.head.kind {
                        // An ack frees what it covers (one ack may answer several
                        // messages: see window.rs).
                        MessageKind::Ack => {
                            let acked = self.replica.peer(sender).and_then(|s| s.acked);
                            conn.window.acked(acked);
                            ready.push(frame.conn);
                        }
                        // The reply to a hello is what the client lacks (data): the
                        // one message in flight now (a hello says where the client
                        // stands, whatever was in flight before).
                        MessageKind::Hello => {
                            let to = self.replica.send_limit();
                            let reply = reply.as_deref().and_then(data_kind);
                            conn.window.restart(reply.map(|full| (full, to)));
                            conn.sent_version = self.news_version;
                        }
                        MessageKind::Delta | MessageKind::Full => {}
                    }
                }
                if let Some(reply) = reply {
                    replies.push(Reply {
                        conn: frame.conn,
                        bytes: reply,
                        data_arrived: frame.head.kind.carries_data().then_some(frame.arrived),
                    });
                }
            }
            FrameOutcome::Refused(code) => {
                debug!(doc = self.doc, code, "refused a message");
                self.close_conn(frame.conn, code);
            }
        }
        Ok(())
    }

    /// Sends replies (their frames' news, if any, is committed).
    fn send_replies(&mut self, replies: Vec<Reply>) {
        for reply in replies {
            if let Some(arrived) = reply.data_arrived {
                self.shared.metrics.observe_hub_wait(arrived.elapsed());
            }
            self.send(reply.conn, Bytes::from(reply.bytes));
        }
    }

    /// Queues `bytes` for connection `id`; a full queue drops the connection.
    fn send(&mut self, id: ConnId, bytes: Bytes) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        match conn.handle.outbox.try_send(bytes) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close_conn(id, close_code::SLOW_CONSUMER);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => self.drop_conn(id),
        }
    }

    /// Sends each of `conns` whose window has room what it lacks: a client with
    /// nothing in flight gets `message_for(client)` if that is not empty; one with
    /// messages in flight (and room in its window) only news that came since its last
    /// message. Peers at one position share one encoding (fanout.rs).
    fn forward(&mut self, conns: &[ConnId]) {
        let mut shared = (conns.len() >= SHARED_FANOUT_MIN).then(Fanout::default);
        for id in conns {
            let Some(conn) = self.conns.get(id) else {
                continue;
            };
            let Some(peer) = conn.peer else {
                continue;
            };
            let room = conn.window.is_empty()
                || (conn.window.has_room() && conn.sent_version < self.news_version);
            if !room {
                continue;
            }
            let message = match &mut shared {
                Some(fanout) => fanout.message_for(&mut self.replica, peer),
                None => fanout::message_for(&mut self.replica, peer),
            };
            match message {
                Ok(Some(message)) => {
                    // The message brings the client up to the hub's send limit (a
                    // full state, to its next sequence number: as far or further).
                    let to = self.replica.send_limit();
                    if let Some(conn) = self.conns.get_mut(id) {
                        conn.window.sent(message.full, to);
                        conn.sent_version = self.news_version;
                    }
                    self.send(*id, message.bytes);
                }
                Ok(None) => {}
                Err(e) => warn!(doc = self.doc, error = %e, "cannot encode a message"),
            }
        }
    }

    fn snapshot(&self) -> Option<Vec<u8>> {
        match self.replica.state().encode() {
            Ok(bytes) => Some(bytes),
            Err(e) => {
                warn!(doc = self.doc, error = %e, "cannot encode a snapshot");
                None
            }
        }
    }

    fn compact_in_background(&mut self) {
        use std::sync::atomic::Ordering::SeqCst;
        if self.compacting.swap(true, SeqCst) {
            return;
        }
        let Some(snapshot) = self.snapshot() else {
            self.compacting.store(false, SeqCst);
            return;
        };
        self.since_snapshot = 0;
        let (shared, doc, up_to, flag) = (
            Arc::clone(&self.shared),
            self.doc.clone(),
            self.covered(),
            Arc::clone(&self.compacting),
        );
        tokio::spawn(async move {
            match shared.storage.compact(&doc, snapshot, up_to).await {
                Ok(()) => {
                    shared
                        .metrics
                        .compactions
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Err(e) => {
                    shared
                        .metrics
                        .storage_errors
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    warn!(doc, error = %e, "compaction failed (nothing lost: the log stays)");
                }
            }
            flag.store(false, SeqCst);
        });
    }

    /// Evicts the idle document: compacts, then leaves the registry unless a
    /// connection arrived meanwhile. True when the hub ended.
    async fn try_evict(
        &mut self,
        control: &mut mpsc::UnboundedReceiver<Control>,
        frames: &mut mpsc::Receiver<Frame>,
    ) -> bool {
        if self.since_snapshot > 0 {
            if let Some(snapshot) = self.snapshot() {
                if self
                    .shared
                    .storage
                    .compact(&self.doc, snapshot, self.covered())
                    .await
                    .is_ok()
                {
                    self.since_snapshot = 0;
                    self.shared
                        .metrics
                        .compactions
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        }
        let evicted = self.shared.evict_hub(&self.doc, self.generation, || {
            if control.is_empty() && frames.is_empty() {
                control.close();
                frames.close();
                true
            } else {
                false
            }
        });
        if evicted {
            info!(doc = self.doc, "evicted idle document");
        }
        evicted
    }

    /// Storage failed: closes every connection with 4503 and leaves the registry.
    fn fail(&mut self, control: &mut mpsc::UnboundedReceiver<Control>) {
        self.shared
            .metrics
            .storage_errors
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.shared.remove_hub(&self.doc, self.generation);
        control.close();
        while let Ok(c) = control.try_recv() {
            self.control(c);
        }
        for conn in self.conns.values() {
            self.shared.metrics.reject(close_code::STORAGE_UNAVAILABLE);
            conn.handle.close(close_code::STORAGE_UNAVAILABLE);
        }
        self.conns.clear();
    }
}
