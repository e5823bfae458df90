//! Durable writers: a writer id that survives restarts, because the replica sends
//! only what it has durably saved (persist, then send).
//!
//! A restored replica normally writes under a fresh [session
//! writer](converge_core::ReplicaId::session_writer): its saved bytes may be older
//! than writes it sent before it stopped, and writing on under the old id would give a
//! new write the name (dot) of one of those. That is safe, but every restart adds a
//! writer id to the document's version vectors, forever.
//!
//! A replica in durable mode ([`Replica::enable_durable_writer`],
//! [`Replica::restore_durable`]) closes the gap instead: every local write waits
//! behind a *saved mark*. [`Replica::message_for`] (and the replies of
//! [`Replica::receive`]) send deltas up to the first write not yet saved, and no full
//! state while one is unsaved; the application takes a [`SaveMark`] with
//! [`Replica::save`], persists the bytes, and then calls [`Replica::mark_saved`]. So
//! every write a peer ever saw is in the saved bytes, a restore continues the
//! writer's counters past all of them, and a write lost in a crash (made, never saved)
//! was never sent: no dot ever names two values. The saved bytes carry the writer id,
//! so restore after restore writes under the same one.
//!
//! One rule is the application's: one live replica per saved bytes. Two tabs that
//! restore the same bytes durably would write under one id; give the second a plain
//! [`Replica::restore`] (the npm package's IndexedDB helper takes a Web Lock for this).
//!
//! ```
//! use converge_core::ReplicaId;
//! use converge_orset::OrSet;
//! use converge_sync::Replica;
//!
//! let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
//! let mut alice = Replica::new(a, OrSet::new())?;
//! alice.enable_durable_writer()?;
//! alice.update(|set, writer| set.add(writer, "milk".to_string()));
//! assert!(alice.message_for(b)?.is_none(), "not saved yet: held back");
//!
//! let mark = alice.save_mark();
//! let saved = alice.save()?; // persist these bytes, then:
//! alice.mark_saved(mark);
//! assert!(alice.message_for(b)?.is_some());
//!
//! // After a restart the same writer id writes on.
//! let restored = Replica::<OrSet<String>>::restore_durable(&saved)?;
//! assert_eq!(restored.writer(), alice.writer());
//! # Ok::<(), converge_sync::Error>(())
//! ```

/// How far a save covers a replica's history: take it with
/// [`Replica::save_mark`](crate::Replica::save_mark) together with
/// [`Replica::save`](crate::Replica::save)'s bytes (no write between
/// them), and hand it to [`Replica::mark_saved`](crate::Replica::mark_saved) once the
/// bytes are durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SaveMark(u64);

impl SaveMark {
    /// The mark as a number (the replica's next sequence number when it was taken),
    /// to carry across an API boundary.
    pub fn get(self) -> u64 {
        self.0
    }

    /// A mark from [`get`](Self::get)'s number.
    pub fn new(seq: u64) -> Self {
        SaveMark(seq)
    }
}

/// Whether a replica sends only what it saved, and which of its writes wait. Off by
/// default, in one pointer (the holdback is boxed: most replicas never turn it on, and
/// a document in a list should not pay for it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Durability(Option<Box<Holdback>>);

/// Which local writes of a durable replica wait for their save.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Holdback {
    /// The sequence number of the first local write not yet saved, if any: nothing
    /// from it on is sent.
    held_from: Option<u64>,
    /// The sequence number of the newest local write.
    last_write: Option<u64>,
}

impl Durability {
    /// Durable mode, with nothing held back yet.
    pub(crate) fn on() -> Self {
        Durability(Some(Box::default()))
    }

    /// Records a local write buffered under `seq`.
    pub(crate) fn note_write(&mut self, seq: u64) {
        if let Some(hold) = &mut self.0 {
            hold.held_from.get_or_insert(seq);
            hold.last_write = Some(seq);
        }
    }

    /// The end (exclusive) of what may be sent, for a replica at `next_seq`.
    pub(crate) fn send_limit(&self, next_seq: u64) -> u64 {
        match self.0.as_deref() {
            Some(Holdback {
                held_from: Some(h), ..
            }) => (*h).min(next_seq),
            _ => next_seq,
        }
    }

    /// Whether some local write waits for its save (then no full state may go out).
    pub(crate) fn holds_back(&self) -> bool {
        self.0.as_deref().is_some_and(|h| h.held_from.is_some())
    }

    /// Whether the replica is in durable mode.
    pub(crate) fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// A save covering everything before `mark` is durable.
    pub(crate) fn saved(&mut self, mark: SaveMark) {
        if let Some(hold) = &mut self.0 {
            let all_saved = hold.last_write.map_or(true, |w| w < mark.0);
            hold.held_from = match hold.held_from {
                _ if all_saved => None,
                // Writes at or after the mark may be unsaved: hold from the mark (or
                // from later, if an earlier mark said so).
                Some(h) => Some(h.max(mark.0)),
                None => None,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_releases_only_what_it_covers() {
        let mut d = Durability::on();
        d.note_write(0);
        d.note_write(1);
        assert_eq!(d.send_limit(2), 0);
        // A save taken after write 0 only.
        d.saved(SaveMark(1));
        assert_eq!(d.send_limit(2), 1);
        // A stale mark changes nothing.
        d.saved(SaveMark(0));
        assert_eq!(d.send_limit(2), 1);
        d.saved(SaveMark(2));
        assert_eq!(d.send_limit(2), 2);
        assert!(!d.holds_back());
    }

    #[test]
    fn off_holds_nothing() {
        let mut d = Durability::default();
        d.note_write(0);
        assert_eq!(d.send_limit(1), 1);
        assert!(!d.holds_back());
    }
}
