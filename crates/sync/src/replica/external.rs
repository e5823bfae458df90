//! Sequencing from outside: several replicas that see the same ordered log (the relay
//! nodes of one document on a shared Redis Stream) speak as ONE sync session, so a
//! peer's sync token from one of them resumes with a delta at any other.
//!
//! Such a replica takes its epoch from outside (the same for all of them), and its
//! sequence numbers are the log's positions: it buffers only what
//! [`buffer_at`](Replica::buffer_at) is given, at the position given, and joins
//! everything else ([`merge`](Replica::merge), [`receive`](Replica::receive)) into its
//! state without buffering it (the log brings it back at its position). "A peer
//! acknowledged up to `p`" then means "the peer has every log entry below `p`", on
//! every replica of the session.
//!
//! The other way, a peer's deltas: a peer whose hello names this session (it holds
//! some of its deltas) continues with the deltas after what the session acknowledged
//! of its own, and this replica takes them as contiguous though it holds none of
//! them yet: every replica of the session acknowledges a peer's delta only once it is
//! in the shared log (the relay acks after the append), and a peer's acknowledgements
//! are reset whenever it hears from another session. So a moved peer sends a delta,
//! not its full state, to the replica it moved to.

use converge_core::{Codec, CountConflicts, DeltaCrdt};

use super::Replica;

/// Where the buffer of a replica sequenced externally stands.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ExternalSequence {
    /// The buffer holds every log entry from this sequence number on (positions
    /// have gaps, so its front says less).
    complete_from: u64,
    /// The buffer keeps what is at or after this sequence number even when every
    /// peer acknowledged it.
    keep_buffer_from: u64,
}

impl<T: DeltaCrdt + Codec + CountConflicts> Replica<T> {
    /// Makes this replica speak for a session sequenced from outside: its epoch is
    /// `epoch` (shared by every replica of the session) and its next sequence number
    /// `next`: its state holds every log entry below `next` (say, one past a
    /// snapshot's position). Anything buffered before is dropped; call it on a new
    /// replica. See the module notes (external.rs) for what changes.
    pub fn sequenced_externally(mut self, epoch: u64, next: u64) -> Self {
        self.epoch = epoch;
        self.buffer.clear();
        self.next_seq = next;
        self.external = Some(Box::new(ExternalSequence {
            complete_from: next,
            keep_buffer_from: 0,
        }));
        self
    }

    /// Joins the log entry `delta` at log `position` and buffers it there for the
    /// peers, even when the state already holds it (a replica's own joins come back
    /// this way, and its peers need them at their position). Positions must come in
    /// log order; one at or below the last one given (a log whose positions were
    /// rounded) is buffered at the next sequence number instead, which every replica
    /// fed the same log from the same point does alike. Returns the sequence number
    /// used. On a replica not [sequenced externally](Self::sequenced_externally) the
    /// position means nothing: it is a [`merge`](Self::merge) (buffered, if news, at
    /// the replica's own next sequence number).
    pub fn buffer_at(&mut self, position: u64, delta: T) -> u64 {
        if self.external.is_none() {
            let seq = self.next_seq;
            self.merge(delta);
            return seq;
        }
        if !delta.is_subsumed_by(&self.state) {
            self.state.join(delta.clone());
        }
        let seq = position.max(self.next_seq);
        self.buffer.push_back(super::Buffered {
            seq,
            delta,
            origin: None,
        });
        self.hint_is_stale = true;
        self.next_seq = seq.saturating_add(1);
        self.collect_garbage();
        seq
    }

    /// Joins `state`, which holds every log entry at or below `position` (a reloaded
    /// snapshot after a gap in the log), and restarts the buffer there: peers that
    /// acknowledged less than the new next sequence number get the full state, as the
    /// entries between are not buffered.
    pub fn restart_buffer_at(&mut self, position: u64, state: T) {
        if !state.is_subsumed_by(&self.state) {
            self.state.join(state);
        }
        self.buffer = std::collections::VecDeque::new();
        self.hint_is_stale = true;
        self.next_seq = self.next_seq.max(position.saturating_add(1));
        if let Some(external) = &mut self.external {
            external.complete_from = self.next_seq;
        }
    }

    /// The first sequence number from which the buffer holds every delta: a peer
    /// that acknowledged less gets the full state.
    pub(super) fn first_buffered(&self) -> u64 {
        match &self.external {
            Some(external) => external.complete_from,
            None => self.buffer.front().map_or(self.next_seq, |b| b.seq),
        }
    }

    /// When sequenced externally: keeps buffered what is at or after sequence number
    /// `seq` even when every peer here acknowledged it, and drops what is before it
    /// and acknowledged (so a window of the log, say the last two minutes, stays for
    /// peers of the other replicas that come here to resume). Until it is called the
    /// whole buffer is kept, up to the buffer limit. No effect on a replica of its own
    /// session.
    pub fn keep_buffer_from(&mut self, seq: u64) {
        if let Some(external) = &mut self.external {
            external.keep_buffer_from = seq;
        }
        self.collect_garbage();
    }

    /// The lowest sequence number garbage collection keeps whatever the peers
    /// acknowledged: when sequenced externally, what
    /// [`keep_buffer_from`](Self::keep_buffer_from) set (peers of the other replicas
    /// of the session may come to resume); else none.
    pub(super) fn keep_from(&self) -> u64 {
        match &self.external {
            Some(external) => external.keep_buffer_from,
            None => u64::MAX,
        }
    }

    /// Drops the oldest buffered delta.
    pub(super) fn drop_oldest(&mut self) {
        if let Some(oldest) = self.buffer.pop_front() {
            if let Some(external) = &mut self.external {
                external.complete_from = external.complete_from.max(oldest.seq.saturating_add(1));
            }
        }
    }

    /// Whether this replica is [sequenced externally](Self::sequenced_externally).
    pub fn is_sequenced_externally(&self) -> bool {
        self.external.is_some()
    }
}
