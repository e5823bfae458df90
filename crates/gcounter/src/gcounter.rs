//! `GCounter`: per-replica counts, summed; join is the pointwise maximum.

use converge_core::{Causality, Codec, DeltaCrdt, Dot, Lattice, ReplicaId, TypeTag, VersionVector};
use serde::{Deserialize, Serialize};

use crate::Error;

/// A grow-only counter. See the [crate docs](crate).
///
/// Its state is exactly a [`VersionVector`]: replica → how many it has counted, with
/// the pointwise maximum as join. Encoded as that vector, a map from replica to count.
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GCounter {
    counts: VersionVector,
}

impl GCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `by` to `replica`'s count and returns the delta: `replica`'s new count
    /// alone. Fails, changing nothing, if the count would pass `u64::MAX`.
    #[inline]
    pub fn increment(&mut self, replica: ReplicaId, by: u64) -> Result<GCounter, Error> {
        match self.counts.checked_add(replica, by) {
            Some(total) => Ok(GCounter {
                counts: VersionVector::single(replica, total),
            }),
            None => Err(Error::Overflow {
                replica,
                count: self.counts.get(replica),
                by,
            }),
        }
    }

    /// The counter's value: the sum of every replica's count.
    pub fn value(&self) -> u128 {
        self.counts.iter().map(|(_, c)| u128::from(c)).sum()
    }

    /// How much `replica` has counted.
    pub fn count_of(&self, replica: ReplicaId) -> u64 {
        self.counts.get(replica)
    }

    /// Every replica's count, in replica order.
    pub fn counts(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.counts.iter()
    }
}

impl Lattice for GCounter {
    fn join(&mut self, other: Self) {
        self.counts.join(other.counts);
    }
}

impl DeltaCrdt for GCounter {
    fn is_subsumed_by(&self, other: &Self) -> bool {
        matches!(
            self.counts.compare(&other.counts),
            Causality::Before | Causality::Equal
        )
    }
}

impl Codec for GCounter {
    const TAG: TypeTag = TypeTag::GCounter;
}

impl FromIterator<(ReplicaId, u64)> for GCounter {
    /// A counter with these per-replica counts (the largest wins for a repeated replica).
    fn from_iter<I: IntoIterator<Item = (ReplicaId, u64)>>(iter: I) -> Self {
        let mut counts = VersionVector::new();
        for (replica, count) in iter {
            counts.observe(Dot::new(replica, count));
        }
        GCounter { counts }
    }
}

/// No concurrent writes to report: every write merges without a conflict.
impl converge_core::CountConflicts for GCounter {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_is_an_error_and_changes_nothing() {
        let r = ReplicaId::new(1);
        let mut c = GCounter::new();
        c.increment(r, u64::MAX - 1).unwrap();
        let before = c.clone();
        assert_eq!(
            c.increment(r, 2),
            Err(Error::Overflow {
                replica: r,
                count: u64::MAX - 1,
                by: 2
            })
        );
        assert_eq!(c, before);
        c.increment(r, 1).unwrap();
        assert_eq!(c.value(), u128::from(u64::MAX));
    }

    #[test]
    fn value_sums_past_u64() {
        let c: GCounter = [(ReplicaId::new(1), u64::MAX), (ReplicaId::new(2), u64::MAX)]
            .into_iter()
            .collect();
        assert_eq!(c.value(), 2 * u128::from(u64::MAX));
    }

    #[test]
    fn delta_carries_only_the_writer() {
        let mut c = GCounter::new();
        c.increment(ReplicaId::new(1), 5).unwrap();
        let d = c.increment(ReplicaId::new(2), 1).unwrap();
        assert_eq!(d.counts().collect::<Vec<_>>(), vec![(ReplicaId::new(2), 1)]);
    }
}
