//! What a replica counts: traffic, fallbacks, buffer depth, conflicts, policy
//! outcomes, sync lag.

/// Counters a [`Replica`](crate::Replica) keeps since it started. All monotonic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Delta-interval messages sent.
    pub deltas_sent: u64,
    /// Full-state messages sent (to new peers, peers behind the buffer, or when the
    /// interval would be larger than the state).
    pub full_states_sent: u64,
    /// Of those, the fallbacks: full states sent to a peer that had acknowledged
    /// something, because it was behind the buffer or its interval was too large.
    pub fallbacks: u64,
    /// Bytes of every message sent (deltas, full states, acks, hellos).
    pub bytes_sent: u64,
    /// Delta-interval messages received.
    pub deltas_received: u64,
    /// Full-state messages received.
    pub full_states_received: u64,
    /// Bytes of every message received, rejected ones included.
    pub bytes_received: u64,
    /// Messages rejected as malformed or hostile.
    pub rejected: u64,
    /// Concurrent writes met while merging received deltas and states.
    pub conflicts: u64,
    /// Per policy and path pattern: fields settled, sent to review, writes ignored
    /// and refused. Counted by the reporting merges and guarded writes of a
    /// `Replica<Document>` ([`Replica::receive_reporting`](crate::Replica::receive_reporting),
    /// [`Replica::guarded_update`](crate::Replica::guarded_update)); empty otherwise.
    pub policies: converge_ormap::PolicyMetrics,
    /// Dot value clashes met while merging: one write (dot) carrying two different
    /// values, which only a forged or buggy peer causes. The merge settles each the
    /// same way on every replica; a count above 0 says some peer should be looked at.
    /// See [`converge_core::dot_value_clashes`].
    pub dot_value_clashes: u64,
}

/// What a replica knows of one peer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerStatus {
    /// Sequence number up to which the peer holds this replica's deltas, in its
    /// current session: what it acknowledged, and past that the deltas that came from
    /// that session itself (news this replica received from the peer, which it is not
    /// sent back). Those are counted held without an ack, so `acked` may run ahead of
    /// the peer's last ack, but only over deltas that came from the peer: a local write
    /// `s` is below `acked` only once the peer acknowledged it. `None` if the peer
    /// acknowledged nothing (it will get the full state).
    pub acked: Option<u64>,
    /// This replica's deltas the peer has not acknowledged yet.
    pub pending: u64,
    /// When (clock milliseconds) a message from the peer was last applied; the sync
    /// lag is now minus this.
    pub last_heard_ms: Option<u64>,
}
