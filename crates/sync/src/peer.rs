//! What a replica knows of each peer (what it acknowledged of ours, what we hold of
//! its, which of its sessions we last heard), and how sessions are named and ordered.

use converge_core::ReplicaId;

use crate::Error;

/// What a replica knows of one peer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Peer {
    /// Up to which sequence number (exclusive) the peer acknowledged our deltas, in
    /// our current epoch.
    pub(crate) acked: Option<u64>,
    /// Up to where the peer itself acknowledged our deltas (its acks and hellos, in
    /// our current epoch), which its hold of ours continues from. `acked` may be
    /// further, past deltas that came from the peer's current session and were not
    /// sent back (it holds them): everything between is the peer's own.
    pub(crate) confirmed: Option<u64>,
    /// `(epoch, to)`: we hold the peer's deltas up to `to` of its session `epoch`.
    pub(crate) have: Option<(u64, u64)>,
    /// When the peer was last heard from (the replica's clock).
    pub(crate) last_heard_ms: Option<u64>,
    /// The peer's newest session (epoch) heard from. A newer one means the peer
    /// restarted, maybe from older bytes: what it acknowledged before counts no more.
    /// Acks and hellos of older sessions are void.
    pub(crate) session: Option<u64>,
    /// With a replica sequenced externally: the peer's session that resumed ours (its
    /// hello named our epoch), whose deltas continue from what it says the session
    /// acknowledged, though this replica holds none of them (replica/external.rs).
    pub(crate) resumed_session: Option<u64>,
}

/// Sessions are ordered by incarnation, the high 32 bits of the epoch: 0 for a new
/// replica, one more than the saved one for each restore.
pub(crate) fn incarnation(epoch: u64) -> u64 {
    epoch >> 32
}

/// A session epoch: the incarnation in the high 32 bits, random bits below.
pub(crate) fn new_epoch(incarnation: u64) -> Result<u64, Error> {
    let high = incarnation.min(u64::from(u32::MAX)) << 32;
    ReplicaId::random()
        .map(|r| high | (r.get() & 0xffff_ffff))
        .map_err(|e| Error::NoRandomSource(e.to_string()))
}
