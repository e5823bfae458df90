//! Reading a last-writer-wins register: a live write as a reader sees it
//! ([`LwwWrite`]), and what a read under a clock-skew tolerance concludes ([`LwwRead`]).

use converge_core::{Dot, ReplicaId, Timestamp};

/// One live write of an [`LwwRegister`](crate::LwwRegister), borrowed for reading.
#[derive(Debug, PartialEq, Eq)]
pub struct LwwWrite<'a, V> {
    /// The dot naming the write; `dot.replica` is the replica that made it.
    pub dot: Dot,
    /// When it was made, by the writer's hybrid logical clock.
    pub timestamp: Timestamp,
    /// The value written.
    pub value: &'a V,
}

// Derived `Clone`/`Copy` would require `V: Clone`; a borrow is copyable whatever `V` is.
impl<V> Clone for LwwWrite<'_, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V> Copy for LwwWrite<'_, V> {}

impl<V> LwwWrite<'_, V> {
    /// The replica that made the write.
    pub fn writer(&self) -> ReplicaId {
        self.dot.replica
    }

    /// The key concurrent writes are ordered by; the greatest wins. The timestamp
    /// first, then the writer's replica id, then (between two live writes of one
    /// replica, which a replica missing a delta can briefly hold) its counter.
    pub(crate) fn rank(&self) -> (Timestamp, Dot) {
        (self.timestamp, self.dot)
    }
}

/// What a read with a skew tolerance concludes: no value, a winner that beat every
/// concurrent write by at least the tolerance, or a winner too close to call.
///
/// The tolerance is a policy of the reader, not part of the replicated state: two
/// readers with different tolerances read the same register, and the register's
/// equality and encoding do not depend on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LwwRead<'a, V> {
    /// The register holds no value (never written, or cleared).
    Empty,
    /// The winner has no concurrent rival within the tolerance: either no concurrent
    /// write is live, or every one was made at least the tolerance earlier.
    Confident(LwwWrite<'a, V>),
    /// Concurrent writes were made closer together than the tolerance, so clock skew
    /// between their replicas may have decided the order: the winner is the
    /// register's value, but it deserves review.
    Ambiguous {
        /// The write that wins by timestamp, as [`LwwRegister::value`](crate::LwwRegister::value) reports it.
        winner: LwwWrite<'a, V>,
        /// The losing concurrent writes whose timestamps are closer to the winner's
        /// than the tolerance, most recent first. Never empty.
        rivals: Vec<LwwWrite<'a, V>>,
    },
}

impl<'a, V> LwwRead<'a, V> {
    /// Judges `ranked` (every live write, winner first, then by falling rank) under
    /// `skew_tolerance_ms`.
    pub(crate) fn judge(ranked: Vec<LwwWrite<'a, V>>, skew_tolerance_ms: u64) -> Self {
        let mut ranked = ranked.into_iter();
        let Some(winner) = ranked.next() else {
            return LwwRead::Empty;
        };
        let millis = winner.timestamp.millis;
        let rivals: Vec<_> = ranked
            .take_while(|w| millis.abs_diff(w.timestamp.millis) < skew_tolerance_ms)
            .collect();
        if rivals.is_empty() {
            LwwRead::Confident(winner)
        } else {
            LwwRead::Ambiguous { winner, rivals }
        }
    }

    /// The winning write, ambiguous or not; `None` if the register is empty.
    pub fn winner(&self) -> Option<LwwWrite<'a, V>> {
        match self {
            LwwRead::Empty => None,
            LwwRead::Confident(winner) | LwwRead::Ambiguous { winner, .. } => Some(*winner),
        }
    }

    /// The winning value, ambiguous or not; `None` if the register is empty.
    pub fn value(&self) -> Option<&'a V> {
        self.winner().map(|w| w.value)
    }

    /// Whether the winner is too close to a concurrent write to trust.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, LwwRead::Ambiguous { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(replica: u64, millis: u64, value: &u8) -> LwwWrite<'_, u8> {
        LwwWrite {
            dot: Dot::new(ReplicaId::new(replica), 1),
            timestamp: Timestamp::new(millis, 0),
            value,
        }
    }

    #[test]
    fn the_tolerance_is_a_strict_bound_and_zero_never_doubts() {
        let (x, y) = (1, 2);
        let ranked = || vec![write(1, 110, &x), write(2, 100, &y)];
        assert!(LwwRead::judge(ranked(), 11).is_ambiguous());
        assert!(!LwwRead::judge(ranked(), 10).is_ambiguous());
        assert!(!LwwRead::judge(ranked(), 0).is_ambiguous());
        assert_eq!(LwwRead::judge(ranked(), 0).value(), Some(&1));
    }

    #[test]
    fn rivals_are_every_close_loser_and_only_those() {
        let (x, y, z) = (1, 2, 3);
        let ranked = vec![write(1, 110, &x), write(2, 105, &y), write(3, 50, &z)];
        let LwwRead::Ambiguous { winner, rivals } = LwwRead::judge(ranked, 20) else {
            panic!("expected an ambiguous read");
        };
        assert_eq!(winner.value, &1);
        assert_eq!(rivals.iter().map(|w| *w.value).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn nothing_to_read_is_empty() {
        let read: LwwRead<'_, u8> = LwwRead::judge(Vec::new(), 100);
        assert_eq!(read, LwwRead::Empty);
        assert_eq!(read.value(), None);
        assert!(!read.is_ambiguous());
    }
}
