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
        Some(mutate(&mut self.state, self.writer).map(|written| (self.number_write(None), written)))
    }
}

#[cfg(test)]
mod tests {
    use converge_core::ReplicaId;
    use converge_orset::OrSet;

    use crate::{Error, Replica};

    /// A write numbered with no delta leaves the replica as `try_update_then` leaves
    /// it: the same state and sequence numbers, and the same message for a peer
    /// added afterwards; with a peer, nothing runs.
    #[test]
    fn an_unkept_write_is_numbered_as_try_update_then_numbers_it() -> Result<(), Error> {
        let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
        let mut kept = Replica::new(a, OrSet::<String>::new())?;
        let mut unkept = Replica::new(a, OrSet::<String>::new())?;
        for item in ["milk", "eggs", "milk"] {
            let seq = kept.try_update_then(
                |set, writer| Ok::<_, Error>(set.add(writer, item.to_string())),
                |_| {},
            )?;
            let numbered = unkept.try_update_unkept(|set, writer| {
                set.add(writer, item.to_string());
                Ok::<_, Error>(())
            });
            assert_eq!(numbered.transpose()?.map(|(seq, ())| seq), Some(seq));
        }
        assert_eq!(kept.state(), unkept.state());
        kept.add_peer(b);
        unkept.add_peer(b);
        // What a peer added afterwards is sent brings it to the same state.
        for sender in [&mut kept, &mut unkept] {
            let mut peer = Replica::new(b, OrSet::<String>::new())?;
            let message = sender.message_for(b)?.ok_or(Error::OwnId(a))?;
            peer.receive(&message)?;
            assert_eq!(peer.state(), sender.state());
        }
        let mut ran = false;
        let numbered = unkept.try_update_unkept(|_, _| {
            ran = true;
            Ok::<_, Error>(())
        });
        assert!(
            numbered.is_none() && !ran,
            "a replica with a peer keeps its deltas"
        );
        Ok(())
    }
}
