//! Durable mode on a replica: the methods that turn it on, restore into it and mark
//! saves durable (the idea and its guarantee: `durable_writer.rs`).

use converge_core::{Codec, CountConflicts, DeltaCrdt, ReplicaId};

use super::Replica;
use crate::durable_writer::{Durability, SaveMark};
use crate::saved::Saved;
use crate::Error;

impl<T: DeltaCrdt + Codec + CountConflicts> Replica<T> {
    /// Puts the replica in durable mode: from now on it sends only writes it has
    /// saved (see [`mark_saved`](Self::mark_saved)), and its saved bytes carry its
    /// writer id for [`restore_durable`](Self::restore_durable). A replica that has
    /// buffered anything already (its writes may have gone out unsaved) first takes a
    /// fresh session writer; a new one keeps its own. Calling it again does nothing.
    ///
    /// Fails only with [`Error::NoRandomSource`], when a fresh writer is needed and the
    /// platform gives no randomness.
    pub fn enable_durable_writer(&mut self) -> Result<(), Error> {
        if self.durable.is_on() {
            return Ok(());
        }
        if self.next_seq > 0 {
            let random = ReplicaId::random().map_err(|e| Error::NoRandomSource(e.to_string()))?;
            self.writer = self.id.session_writer(random.get());
        }
        self.durable = Durability::on();
        Ok(())
    }

    /// Whether the replica is in durable mode.
    pub fn is_durable_writer(&self) -> bool {
        self.durable.is_on()
    }

    /// Restores a replica saved by [`save`](Self::save), in durable mode: it writes on
    /// under the saved writer id when the saving session was in durable mode too
    /// (everything it sent is in the bytes), and under a fresh session writer
    /// otherwise (once; later restores keep that one).
    pub fn restore_durable(bytes: &[u8]) -> Result<Self, Error> {
        let saved = Saved::<T>::decode(bytes)?;
        let writer = saved.writer;
        let mut replica = Replica::restore_saved(saved)?;
        if let Some(writer) = writer {
            replica.writer = writer;
        }
        replica.durable = Durability::on();
        Ok(replica)
    }

    /// The mark of a save taken now: pass it to [`mark_saved`](Self::mark_saved)
    /// once the bytes [`save`](Self::save) returns now are durable.
    pub fn save_mark(&self) -> SaveMark {
        SaveMark::new(self.next_seq)
    }

    /// Says that the bytes saved at `mark` are durable: the writes they hold may be
    /// sent. A stale mark (older than one already given) changes nothing.
    pub fn mark_saved(&mut self, mark: SaveMark) {
        self.durable.saved(mark);
    }

    /// How many local writes wait for a save before they can be sent (0 when not in
    /// durable mode, or when everything is saved). Counts sequence numbers, so news
    /// received after the first unsaved write counts too.
    pub fn unsaved(&self) -> u64 {
        self.next_seq - self.send_limit()
    }

    /// The sequence number (exclusive) up to which this replica's deltas may be sent
    /// now: its next sequence number, less the writes a durable writer has not saved
    /// ([`unsaved`](Self::unsaved)). A transport that remembers how far it sent has
    /// nothing new to send while this is not past it.
    pub fn send_limit(&self) -> u64 {
        self.durable.send_limit(self.next_seq)
    }
}
