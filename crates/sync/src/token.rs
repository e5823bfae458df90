//! `SyncToken`: what a client persists to resume syncing with a peer after a restart
//! without a full transfer.

use converge_core::{Codec, ReplicaId, TypeTag};
use serde::{Deserialize, Serialize};

/// "I hold `peer`'s deltas up to sequence `to` of its session `epoch`." Opaque to
/// applications: persist [`encode`](Codec::encode)d bytes next to the saved state
/// and hand them back to [`Replica::resume`](crate::Replica::resume). If the peer has
/// restarted since (a new epoch), or no longer buffers that far back, it answers with
/// its full state instead; a stale token is never harmful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyncToken {
    /// The peer whose deltas the holder has.
    pub peer: ReplicaId,
    /// The peer's session.
    pub epoch: u64,
    /// Sequence number up to which (exclusive) the holder has the peer's deltas.
    pub to: u64,
}

impl Codec for SyncToken {
    const TAG: TypeTag = TypeTag::SyncToken;
}
