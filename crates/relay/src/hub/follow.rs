//! A hub's side of a shared log (several relay nodes over Redis): loading the
//! document as the one sync session of its nodes, and joining and buffering what the
//! log brings from the other nodes (and this node's own entries coming back).

use converge_core::{Codec, Lattice};
use converge_ormap::Document;
use converge_sync::Replica;
use tracing::error;

use super::{ConnId, Hub, DEPARTED_PEER_GRACE};
use crate::redis_position::earlier_by;
use crate::registry::Shared;
use crate::storage::{Follow, Loaded, Tailed};
use crate::{Error, RELAY_PEER_ID};

/// The state `loaded` holds (the snapshot joined with every log entry), its last
/// position and how many log entries it has. An entry that does not decode is
/// skipped and logged (a committed entry never is; a damaged disk may be).
fn fold_loaded(doc: &str, loaded: &Loaded) -> Result<(Document, u64, u64), Error> {
    let mut state = Document::new();
    let mut last_seq = 0;
    if let Some((up_to, bytes)) = &loaded.snapshot {
        state = Document::decode(bytes)?;
        last_seq = *up_to;
    }
    let mut count = 0;
    for (seq, bytes) in &loaded.log {
        match Document::decode(bytes) {
            Ok(delta) => state.join(delta),
            Err(e) => error!(doc, seq, error = %e, "skipping an undecodable log entry"),
        }
        last_seq = last_seq.max(*seq);
        count += 1;
    }
    Ok((state, last_seq, count))
}

/// Loads `doc` and follows its log when the storage is shared by several nodes.
pub(super) async fn load_and_follow(
    shared: &Shared,
    doc: &str,
) -> Result<(Replica<Document>, u64, u64, Option<Follow>), Error> {
    let (loaded, follow) = shared.storage.load_and_follow(doc).await?;
    let (replica, last, count) = match &follow {
        Some(follow) => sequenced_replica(doc, &loaded, follow.epoch)?,
        None => {
            let (state, last, count) = fold_loaded(doc, &loaded)?;
            (Replica::new(RELAY_PEER_ID, state)?, last, count)
        }
    };
    Ok((replica, last, count, follow))
}

/// With a shared log (several relay nodes): the replica of `loaded` that speaks for
/// the document's one sync session across the nodes (epoch `epoch`, sequence numbers
/// = log positions; see `Replica::sequenced_externally`). The log entries after the
/// snapshot are buffered at their positions, so a client whose token is at or after
/// the snapshot resumes here with a delta, whichever node it synced with before.
/// Returns it with its last position and how many log entries it has.
fn sequenced_replica(
    doc: &str,
    loaded: &Loaded,
    epoch: u64,
) -> Result<(Replica<Document>, u64, u64), Error> {
    let (state, up_to) = match &loaded.snapshot {
        Some((up_to, bytes)) => (Document::decode(bytes)?, Some(*up_to)),
        None => (Document::new(), None),
    };
    let next = up_to.map_or(0, |p| p.saturating_add(1));
    let mut replica = Replica::new(RELAY_PEER_ID, state)?.sequenced_externally(epoch, next);
    let mut last = up_to.unwrap_or(0);
    for (seq, bytes) in &loaded.log {
        match Document::decode(bytes) {
            // At or below the snapshot (a compaction ran concurrently): the snapshot
            // holds it; joining it is harmless and it is not buffered.
            Ok(delta) if up_to.is_some_and(|p| *seq <= p) => {
                replica.merge_with(delta, join_quietly);
            }
            Ok(delta) => {
                replica.buffer_at(*seq, delta);
            }
            Err(e) => error!(doc, seq, error = %e, "skipping an undecodable log entry"),
        }
        last = last.max(*seq);
    }
    replica.keep_buffer_from(earlier_by(last, BUFFER_WINDOW_MS));
    Ok((replica, last, loaded.log.len() as u64))
}

/// With a shared log: how far back (in the log's milliseconds) a hub keeps the log's
/// entries buffered when its own clients acknowledged them, for clients of other
/// nodes that come to resume (a node died; they reconnect within their backoff). The
/// same as [`DEPARTED_PEER_GRACE`]; older tokens get the full state.
const BUFFER_WINDOW_MS: u64 = DEPARTED_PEER_GRACE.as_millis() as u64;

/// The join of log entries into the hub's replica, counting no conflicts (those are
/// counted where the write was received).
fn join_quietly(state: &mut Document, value: Document) -> u64 {
    state.join(value);
    0
}

/// The next entries of the followed log; pending forever when nothing is followed.
pub(super) async fn next_tailed(follow: &mut Option<Follow>) -> Option<Tailed> {
    match follow {
        Some(follow) => follow.entries.recv().await,
        None => std::future::pending().await,
    }
}

impl Hub {
    /// The log position a snapshot of the replica covers now: every entry at or below
    /// it is in the replica.
    pub(super) fn covered(&self) -> u64 {
        self.followed_to.unwrap_or(self.last_seq)
    }

    /// Buffers what the followed log brought at its positions (other nodes' entries,
    /// and this node's own coming back: every entry, news or not, so that a client
    /// holding the relay's deltas up to a position holds every entry below it, as on
    /// every other node) and forwards it to the clients not awaiting an ack. A gap
    /// restarts the buffer at the reloaded position. Fails when the reloaded document
    /// does not decode (the hub then drops the document, as a failed load does).
    pub(super) fn remote(&mut self, tailed: Tailed) -> Result<(), Error> {
        let upto = match tailed {
            Tailed::Entries(entries) => {
                let upto = entries.iter().map(|(position, _)| *position).max();
                for (position, bytes) in entries {
                    match Document::decode(&bytes) {
                        Ok(delta) => {
                            self.replica.buffer_at(position, delta);
                        }
                        Err(e) => {
                            error!(doc = self.doc, position, error = %e, "skipping an undecodable log entry")
                        }
                    }
                }
                if let Some(upto) = upto {
                    self.replica
                        .keep_buffer_from(earlier_by(upto, BUFFER_WINDOW_MS));
                }
                upto
            }
            Tailed::Reloaded(loaded) => {
                self.shared
                    .metrics
                    .stream_gaps
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let (state, last, _) = fold_loaded(&self.doc, &loaded).inspect_err(|e| {
                    error!(doc = self.doc, error = %e, "cannot decode the reloaded snapshot");
                })?;
                self.replica.restart_buffer_at(last, state);
                Some(last)
            }
        };
        if let Some(upto) = upto {
            let followed_to = self.followed_to.get_or_insert(0);
            *followed_to = (*followed_to).max(upto);
            self.news_version += 1;
            let all: Vec<ConnId> = self.conns.keys().copied().collect();
            self.forward(&all);
        }
        Ok(())
    }
}
