//! `Storage`: where the relay keeps each document durably, a snapshot plus a log of
//! the deltas since. The relay appends before it acknowledges, so a backend must make
//! an append durable before its future resolves. Async, so a networked backend (Redis
//! Streams, issue 18) fits behind the same trait.
//!
//! A backend shared by several relay nodes (Redis) also lets a node *follow* a
//! document's log ([`Storage::load_and_follow`]): the entries any node appends reach
//! every node that has the document loaded, which is how their clients meet.

use std::future::Future;
use std::pin::Pin;

use crate::Error;

/// A boxed future returned by [`Storage`] methods.
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// A document as stored: the newest snapshot and the log entries after it.
///
/// Positions (`up_to`, `seq`) are the backend's log positions as `u64`s: SQLite's
/// sequence numbers, or Redis stream ids packed by the Redis backend. A position `p`
/// always means "every log entry at or below `p` is in what came with it".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    /// `(up_to, bytes)`: a snapshot (an encoded `Document`) that includes every log
    /// entry with a sequence number `<= up_to`.
    pub snapshot: Option<(u64, Vec<u8>)>,
    /// `(seq, bytes)`: log entries (encoded `Document` deltas) after the snapshot,
    /// in sequence order. Entries at or below the snapshot's `up_to` may appear (a
    /// compaction ran concurrently); joining them again is harmless.
    pub log: Vec<(u64, Vec<u8>)>,
}

/// Durable per-document storage.
///
/// Correctness rules every backend keeps:
/// - [`append`](Self::append) resolves only once the entries are durable (committed
///   and synced), all or none.
/// - [`compact`](Self::compact) replaces the snapshot only with one of a higher
///   `up_to`, and drops only log entries `<= up_to`, in one atomic step; so two
///   compactions at once, or a compaction racing appends, lose nothing.
pub trait Storage: Send + Sync + 'static {
    /// The document's snapshot and log (empty for a document never written).
    fn load<'a>(&'a self, doc: &'a str) -> StorageFuture<'a, Loaded>;

    /// Appends `entries` to the document's log in one durable transaction; returns
    /// the sequence number of the last one.
    fn append<'a>(&'a self, doc: &'a str, entries: Vec<Vec<u8>>) -> StorageFuture<'a, u64>;

    /// Stores `snapshot`, which includes every entry `<= up_to`, and drops those
    /// entries (a no-op when a snapshot with a higher or equal `up_to` is stored).
    fn compact<'a>(&'a self, doc: &'a str, snapshot: Vec<u8>, up_to: u64) -> StorageFuture<'a, ()>;

    /// [`load`](Self::load), and for a backend that other writers (relay nodes)
    /// share, a [`Follow`] that delivers every entry appended after what was loaded,
    /// this node's own included. A backend with one writer returns `None` (the
    /// default).
    #[cfg(feature = "server")]
    fn load_and_follow<'a>(&'a self, doc: &'a str) -> StorageFuture<'a, (Loaded, Option<Follow>)> {
        Box::pin(async move { Ok((self.load(doc).await?, None)) })
    }
}

/// What a [`Follow`] delivers.
#[cfg(feature = "server")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tailed {
    /// Entries appended after the ones delivered before, in log order, as
    /// `(position, bytes)` (encoded `Document` deltas).
    Entries(Vec<(u64, Vec<u8>)>),
    /// The log was trimmed past what this follower had read (a compaction by another
    /// node while this one lagged or Redis was unreachable), or the follower's queue
    /// overflowed: the document as stored now. Join all of it; deltas are idempotent, so what was seen before is
    /// harmless.
    Reloaded(Loaded),
}

/// A subscription to one document's log (see [`Storage::load_and_follow`]).
/// Dropping it ends the subscription; its channel closing means the backend stopped
/// following (the caller should drop the document and reload it).
#[cfg(feature = "server")]
pub struct Follow {
    /// The entries, in log order after what was loaded. Bounded: a follower that
    /// falls a whole queue behind gets a [`Tailed::Reloaded`] once it has room
    /// again, instead of the entries it missed.
    pub entries: tokio::sync::mpsc::Receiver<Tailed>,
    /// The document's sync epoch, the same for every node that follows it (made
    /// once per document and kept by the backend): the nodes' hubs speak as one sync
    /// session whose sequence numbers are the log positions, so a client's sync token
    /// from one node resumes with a delta at any other.
    pub epoch: u64,
    /// Ends the subscription when dropped.
    pub guard: Box<dyn std::any::Any + Send + Sync>,
}

#[cfg(feature = "server")]
impl std::fmt::Debug for Follow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follow").finish_non_exhaustive()
    }
}
