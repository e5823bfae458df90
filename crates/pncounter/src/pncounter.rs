//! `PnCounter`: two per-replica grow-only totals, one of increments and one of
//! decrements; the value is their difference, and join is the pointwise maximum of each.

use converge_core::{Causality, Codec, DeltaCrdt, Lattice, ReplicaId, TypeTag, VersionVector};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Direction, Error};

/// A counter that replicas increment and decrement. See the [crate docs](crate).
///
/// Its state is two [`VersionVector`]s used as per-replica maxima: replica → the total
/// it has added (`P`), and replica → the total it has subtracted (`N`). Both only grow,
/// so join is the pointwise maximum of each, and the value is `ΣP − ΣN`.
///
/// Encoded as the pair `[P, N]`, each a map from replica to total.
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct PnCounter {
    increments: VersionVector,
    decrements: VersionVector,
}

impl PnCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `by` to the counter as `replica` and returns the delta: `replica`'s new
    /// total of increments alone. Fails, changing nothing, if that total would pass
    /// `u64::MAX`.
    #[inline]
    pub fn increment(&mut self, replica: ReplicaId, by: u64) -> Result<PnCounter, Error> {
        let total = add(&mut self.increments, replica, Direction::Increment, by)?;
        Ok(PnCounter {
            increments: VersionVector::single(replica, total),
            decrements: VersionVector::new(),
        })
    }

    /// Subtracts `by` from the counter as `replica` and returns the delta: `replica`'s
    /// new total of decrements alone. Fails, changing nothing, if that total would pass
    /// `u64::MAX`.
    #[inline]
    pub fn decrement(&mut self, replica: ReplicaId, by: u64) -> Result<PnCounter, Error> {
        let total = add(&mut self.decrements, replica, Direction::Decrement, by)?;
        Ok(PnCounter {
            increments: VersionVector::new(),
            decrements: VersionVector::single(replica, total),
        })
    }

    /// The counter's value: every replica's increments minus every replica's decrements.
    ///
    /// An `i128` holds it exactly. Each side is a sum of `u64` totals, one per replica,
    /// so it stays below `2^127` (and the difference above `-2^127`) until a counter
    /// holds `2^63` replicas, far more entries than any memory can hold.
    pub fn value(&self) -> i128 {
        sum(&self.increments) - sum(&self.decrements)
    }

    /// How much `replica` has added in total.
    pub fn increments_of(&self, replica: ReplicaId) -> u64 {
        self.increments.get(replica)
    }

    /// How much `replica` has subtracted in total.
    pub fn decrements_of(&self, replica: ReplicaId) -> u64 {
        self.decrements.get(replica)
    }

    /// The writes seen, as a version vector: replica → its total of increments plus
    /// its total of decrements (saturating at `u64::MAX`). Every write that changes the
    /// counter grows its replica's entry, and a replica's totals only grow, so
    /// [`VersionVector::compare`] on two counters' versions tells a stale counter from
    /// an up-to-date or a concurrent one.
    ///
    /// ```
    /// use converge_core::{Causality, ReplicaId};
    /// use converge_pncounter::PnCounter;
    ///
    /// let me = ReplicaId::new(1);
    /// let mut counter = PnCounter::new();
    /// counter.increment(me, 3)?;
    /// let before = counter.clone();
    /// counter.decrement(me, 1)?;
    /// assert_eq!(counter.version().get(me), 4);
    /// assert_eq!(before.version().compare(&counter.version()), Causality::Before);
    /// # Ok::<(), converge_pncounter::Error>(())
    /// ```
    pub fn version(&self) -> VersionVector {
        let mut version = self.increments.clone();
        for (replica, down) in self.decrements.iter() {
            version.set(replica, version.get(replica).saturating_add(down));
        }
        version
    }

    /// Every replica's total of increments, in replica order (replicas that never
    /// incremented are left out).
    pub fn increments(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.increments.iter()
    }

    /// Every replica's total of decrements, in replica order (replicas that never
    /// decremented are left out).
    pub fn decrements(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.decrements.iter()
    }
}

/// Adds `by` to `replica`'s entry of `totals` and returns the new total, or fails
/// leaving `totals` unchanged.
#[inline]
fn add(
    totals: &mut VersionVector,
    replica: ReplicaId,
    direction: Direction,
    by: u64,
) -> Result<u64, Error> {
    totals
        .checked_add(replica, by)
        .ok_or_else(|| Error::Overflow {
            replica,
            direction,
            total: totals.get(replica),
            by,
        })
}

fn sum(totals: &VersionVector) -> i128 {
    totals.iter().map(|(_, total)| i128::from(total)).sum()
}

impl Lattice for PnCounter {
    fn join(&mut self, other: Self) {
        self.increments.join(other.increments);
        self.decrements.join(other.decrements);
    }
}

impl DeltaCrdt for PnCounter {
    fn is_subsumed_by(&self, other: &Self) -> bool {
        let below = |a: &VersionVector, b: &VersionVector| {
            matches!(a.compare(b), Causality::Before | Causality::Equal)
        };
        below(&self.increments, &other.increments) && below(&self.decrements, &other.decrements)
    }
}

impl Codec for PnCounter {
    const TAG: TypeTag = TypeTag::PnCounter;
}

/// The pair `[increments, decrements]`.
impl Serialize for PnCounter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&self.increments, &self.decrements).serialize(serializer)
    }
}

/// Reads the pair `[increments, decrements]`; zero totals are dropped, so every
/// decoded counter is in canonical form.
impl<'de> Deserialize<'de> for PnCounter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (increments, decrements) = <(VersionVector, VersionVector)>::deserialize(deserializer)?;
        Ok(PnCounter {
            increments,
            decrements,
        })
    }
}

/// No concurrent writes to report: every write merges without a conflict.
impl converge_core::CountConflicts for PnCounter {}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ReplicaId = ReplicaId::new(1);
    const B: ReplicaId = ReplicaId::new(2);

    #[test]
    fn value_is_increments_minus_decrements() {
        let mut c = PnCounter::new();
        c.increment(A, 5).unwrap();
        c.decrement(A, 7).unwrap();
        c.increment(B, 1).unwrap();
        assert_eq!(c.value(), -1);
        assert_eq!((c.increments_of(A), c.decrements_of(A)), (5, 7));
        assert_eq!((c.increments_of(B), c.decrements_of(B)), (1, 0));
    }

    #[test]
    fn overflow_is_an_error_and_changes_nothing() {
        for direction in [Direction::Increment, Direction::Decrement] {
            let change = |c: &mut PnCounter, by| match direction {
                Direction::Increment => c.increment(A, by),
                Direction::Decrement => c.decrement(A, by),
            };
            let mut c = PnCounter::new();
            change(&mut c, u64::MAX - 1).unwrap();
            c.increment(B, 3).unwrap();
            let before = c.clone();
            assert_eq!(
                change(&mut c, 2),
                Err(Error::Overflow {
                    replica: A,
                    direction,
                    total: u64::MAX - 1,
                    by: 2
                })
            );
            assert_eq!(c, before);
            change(&mut c, 1).unwrap();
            let total = match direction {
                Direction::Increment => c.increments_of(A),
                Direction::Decrement => c.decrements_of(A),
            };
            assert_eq!(total, u64::MAX);
        }
    }

    #[test]
    fn overflowing_one_side_leaves_the_other_usable() {
        let mut c = PnCounter::new();
        c.increment(A, u64::MAX).unwrap();
        assert!(c.increment(A, 1).is_err());
        c.decrement(A, u64::MAX).unwrap();
        assert_eq!(c.value(), 0);
    }

    #[test]
    fn value_reaches_past_u64_both_ways() {
        let mut up = PnCounter::new();
        up.increment(A, u64::MAX).unwrap();
        up.increment(B, u64::MAX).unwrap();
        assert_eq!(up.value(), 2 * i128::from(u64::MAX));
        let mut down = PnCounter::new();
        down.decrement(A, u64::MAX).unwrap();
        down.decrement(B, u64::MAX).unwrap();
        assert_eq!(down.value(), -2 * i128::from(u64::MAX));
    }

    #[test]
    fn delta_carries_only_the_writers_changed_total() {
        let mut c = PnCounter::new();
        c.increment(A, 5).unwrap();
        c.decrement(A, 2).unwrap();
        let up = c.increment(B, 1).unwrap();
        assert_eq!(up.increments().collect::<Vec<_>>(), vec![(B, 1)]);
        assert_eq!(up.decrements().count(), 0);
        let down = c.decrement(A, 4).unwrap();
        assert_eq!(down.increments().count(), 0);
        assert_eq!(down.decrements().collect::<Vec<_>>(), vec![(A, 6)]);
    }

    #[test]
    fn concurrent_changes_merge_without_loss() {
        let mut left = PnCounter::new();
        let mut right = PnCounter::new();
        let d1 = left.increment(A, 10).unwrap();
        let d2 = right.decrement(B, 3).unwrap();
        let d3 = right.increment(B, 1).unwrap();
        // Deltas in any order, twice.
        left.join(d3.clone());
        left.join(d2.clone());
        left.join(d3);
        right.join(d1.clone());
        right.join(d1);
        assert_eq!(left, right);
        assert_eq!(left.value(), 8);
    }

    #[test]
    fn encodes_as_a_pair_of_maps() {
        let mut c = PnCounter::new();
        c.increment(A, 3).unwrap();
        c.decrement(B, 1).unwrap();
        assert_eq!(
            c.encode().unwrap(),
            [0xc1, 0x02, 0x01, 0x92, 0x81, 0x01, 0x03, 0x81, 0x02, 0x01]
        );
        assert_eq!(PnCounter::decode(&c.encode().unwrap()).unwrap(), c);
    }

    #[test]
    fn decoding_rejects_other_shapes() {
        // A bare map (a G-Counter's body) and a three-element array.
        for body in [&[0x81, 0x01, 0x03][..], &[0x93, 0x80, 0x80, 0x80]] {
            let mut bytes = vec![0xc1, 0x02, 0x01];
            bytes.extend_from_slice(body);
            assert!(matches!(
                PnCounter::decode(&bytes),
                Err(converge_core::Error::Malformed { .. })
            ));
        }
    }
}
