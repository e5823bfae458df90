//! Local writes whose delta no one keeps: a replica with no peer that is not
//! sequenced externally drops a local delta as soon as it is numbered, so a caller
//! that keeps nothing of the delta either (or only its dots) can skip building it.
//! [`Replica::try_update_unkept`] numbers such a write as
//! [`try_update_then`](Replica::try_update_then) does, with no delta.

use converge_core::{Codec, CountConflicts, DeltaCrdt, ReplicaId};

use super::Replica;

impl<T: DeltaCrdt + Codec + CountConflicts> Replica<T> {
    /// [`try_update_then`](Self::try_update_then) for a write that hands back `R`,
    /// not its delta, on a replica that keeps no delta (no peer, not [sequenced
    /// externally](Self::sequenced_externally)): `mutate` runs, and the write is
    /// numbered (and noted for the durable writer) as `try_update_then` numbers it.
    /// Returns `None`, running nothing, when this replica keeps deltas (a peer may
    /// lack it): then write with `try_update_then`, whose delta it buffers.
    ///
    /// ```
    /// use converge_core::ReplicaId;
    /// use converge_orset::OrSet;
    /// use converge_sync::Replica;
    ///
    /// let mut replica = Replica::new(ReplicaId::new(1), OrSet::new())?;
    /// let added = replica.try_update_unkept(|set, writer| {
    ///     Ok::<_, converge_sync::Error>(!set.add(writer, "milk".to_string()).is_empty())
    /// });
    /// assert_eq!(added.transpose()?.map(|(_, added)| added), Some(true));
    /// replica.add_peer(ReplicaId::new(2));
    /// let kept = replica.try_update_unkept(|_, _| Ok::<_, converge_sync::Error>(()));
    /// assert!(kept.is_none());
    /// # Ok::<(), converge_sync::Error>(())
    /// ```
    pub fn try_update_unkept<R, E>(
        &mut self,
        mutate: impl FnOnce(&mut T, ReplicaId) -> Result<R, E>,
    ) -> Option<Result<(u64, R), E>> {
        if self.keeps_deltas() {
            return None;
        }
        Some(mutate(&mut self.state, self.writer).map(|written| {
            let seq = self.push_kept(None);
            self.durable.note_write(seq);
            (seq, written)
        }))
    }
}
