//! The dead-letter list: a bounded, inspectable record of the writes and messages a
//! replica refused, so nothing refused disappears without a trace.
//!
//! [`Replica::receive`](crate::Replica::receive) records every message it rejects;
//! refused local writes (an authority policy, a stale precondition) are recorded by
//! [`Replica::guarded_update`](crate::Replica::guarded_update) for documents, or by
//! the application with [`Replica::record_dead_letter`](crate::Replica::record_dead_letter).
//! When the list is full the oldest entry drops, and [`DeadLetters::dropped`] counts
//! it.

use std::collections::VecDeque;

use converge_core::ReplicaId;

use crate::Error;

/// How many dead letters a replica keeps unless told otherwise.
pub const DEFAULT_DEAD_LETTER_CAPACITY: usize = 256;

/// What was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadLetterKind {
    /// A local write.
    Write,
    /// A sync message (or token) from a peer.
    Message,
}

/// One refused write or message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// A write or a message.
    pub kind: DeadLetterKind,
    /// The stable reason code, as JavaScript errors carry it: `ERR_NOT_AUTHORITY`,
    /// `ERR_STALE`, or the rejected message's ([`Error::code`]).
    pub code: &'static str,
    /// The error message, for people.
    pub message: String,
    /// Who it came from: the local writer id of a write, the peer of a message when
    /// known.
    pub origin: Option<ReplicaId>,
    /// The field's path, for a write.
    pub path: Option<Vec<String>>,
    /// The message's length in bytes, for a message.
    pub bytes: Option<usize>,
}

impl DeadLetter {
    /// The dead letter of a message `receive` rejected with `error`.
    pub fn rejected_message(error: &Error, bytes: usize) -> Self {
        let origin = match error {
            Error::OwnId(id) => Some(*id),
            Error::AckBeyondSent { peer, .. } => Some(*peer),
            _ => None,
        };
        DeadLetter {
            kind: DeadLetterKind::Message,
            code: error.code(),
            message: error.to_string(),
            origin,
            path: None,
            bytes: Some(bytes),
        }
    }

    /// The dead letter of a local write by `writer` refused with `error`.
    pub fn refused_write(writer: ReplicaId, error: &converge_ormap::Error) -> Self {
        DeadLetter {
            kind: DeadLetterKind::Write,
            code: error.code(),
            message: error.to_string(),
            origin: Some(writer),
            path: error.path().map(<[String]>::to_vec),
            bytes: None,
        }
    }
}

/// The bounded list: oldest first; when full, the oldest entry drops and is counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetters {
    entries: VecDeque<DeadLetter>,
    capacity: usize,
    dropped: u64,
}

impl Default for DeadLetters {
    fn default() -> Self {
        DeadLetters::with_capacity(DEFAULT_DEAD_LETTER_CAPACITY)
    }
}

impl DeadLetters {
    /// An empty list that keeps at most `capacity` entries (0 keeps none, and only
    /// counts).
    pub fn with_capacity(capacity: usize) -> Self {
        DeadLetters {
            entries: VecDeque::new(),
            capacity,
            dropped: 0,
        }
    }

    /// Records `letter`, dropping the oldest entry if the list is full.
    pub fn push(&mut self, letter: DeadLetter) {
        self.entries.push_back(letter);
        while self.entries.len() > self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
    }

    /// The entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &DeadLetter> + '_ {
        self.entries.iter()
    }

    /// How many entries the list holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list holds none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most entries kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many entries dropped out because the list was full (or were cleared).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Empties the list (say, once exported); the entries count as dropped.
    pub fn clear(&mut self) {
        self.dropped += self.entries.len() as u64;
        self.entries.clear();
    }
}
