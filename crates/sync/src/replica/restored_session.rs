//! The session a restored replica starts (see `Replica::restore`): not generic, so
//! one copy serves every CRDT type.

use std::collections::BTreeMap;

use converge_core::ReplicaId;

use crate::peer::{new_epoch, Peer};
use crate::Error;

/// The session a restored replica starts: its incarnation, a fresh epoch and writer,
/// and what it holds of each peer. Not generic (the replica is, once per CRDT type).
pub(super) struct RestoredSession {
    pub(super) incarnation: u64,
    pub(super) epoch: u64,
    pub(super) writer: ReplicaId,
    pub(super) peers: BTreeMap<ReplicaId, Peer>,
}

impl RestoredSession {
    /// The session after the one of replica `id`, incarnation `incarnation`, that
    /// saved `have` (`(peer, epoch, to)`: it held the peer's deltas up to `to` of its
    /// session `epoch`).
    #[inline(never)]
    pub(super) fn new(
        id: ReplicaId,
        incarnation: u64,
        have: Vec<(ReplicaId, u64, u64)>,
    ) -> Result<RestoredSession, Error> {
        let incarnation = incarnation.saturating_add(1);
        let epoch = new_epoch(incarnation)?;
        // A session writer of the saved id: fresh, yet still recognised as this
        // replica by policies that trust it (see `ReplicaId::session_writer`).
        let random = ReplicaId::random().map_err(|e| Error::NoRandomSource(e.to_string()))?;
        let writer = id.session_writer(random.get());
        let mut peers = BTreeMap::<ReplicaId, Peer>::new();
        for (peer, epoch, to) in have {
            if peer != id {
                peers.entry(peer).or_default().have = Some((epoch, to));
            }
        }
        Ok(RestoredSession {
            incarnation,
            epoch,
            writer,
            peers,
        })
    }
}
