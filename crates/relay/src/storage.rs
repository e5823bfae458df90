//! `Storage`: where the relay keeps each document durably, a snapshot plus a log of
//! the deltas since. The relay appends before it acknowledges, so a backend must make
//! an append durable before its future resolves. Async, so a networked backend (Redis
//! Streams, issue 18) fits behind the same trait.

use std::future::Future;
use std::pin::Pin;

use crate::Error;

/// A boxed future returned by [`Storage`] methods.
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// A document as stored: the newest snapshot and the log entries after it.
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
}
