//! `VersionVector`: per replica, the highest contiguous counter seen, and how two
//! vectors compare causally.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{Codec, Dot, Lattice, ReplicaId, TypeTag};

/// How two version vectors (two histories) relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Causality {
    /// Both have seen exactly the same writes.
    Equal,
    /// The left side has seen a strict subset of the right side's writes: it is stale.
    Before,
    /// The left side has seen a strict superset of the right side's writes.
    After,
    /// Each side has seen writes the other has not: they were written concurrently.
    Concurrent,
}

/// Replica → the highest counter `n` such that dots `1..=n` of that replica were all seen.
///
/// A vector is a compact summary of a history. It answers "has this write been seen?"
/// ([`contains`](Self::contains)) and "how do two histories relate?"
/// ([`compare`](Self::compare)). Its join is the pointwise maximum.
///
/// ```
/// use converge_core::{Causality, ReplicaId, VersionVector};
/// let (a, b) = (ReplicaId::new(1), ReplicaId::new(2));
/// let mut left = VersionVector::new();
/// left.observe(left.next_dot(a));
/// let mut right = left.clone();
/// right.observe(right.next_dot(b));
/// assert_eq!(left.compare(&right), Causality::Before);
/// left.observe(left.next_dot(a));
/// assert_eq!(left.compare(&right), Causality::Concurrent);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(transparent)]
pub struct VersionVector {
    // Invariant: no entry is 0.
    entries: BTreeMap<ReplicaId, u64>,
}

impl VersionVector {
    /// The empty vector: nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// The highest contiguous counter seen from `replica` (0 if none).
    pub fn get(&self, replica: ReplicaId) -> u64 {
        self.entries.get(&replica).copied().unwrap_or(0)
    }

    /// Whether the write `dot` is covered by this vector.
    pub fn contains(&self, dot: Dot) -> bool {
        dot.counter <= self.get(dot.replica)
    }

    /// The dot `replica`'s next write would get: one past what this vector has seen.
    /// Saturates at `u64::MAX` (a replica cannot make 2^64 writes).
    pub fn next_dot(&self, replica: ReplicaId) -> Dot {
        Dot::new(replica, self.get(replica).saturating_add(1))
    }

    /// Counts one more write of `replica` (saturating) and returns its dot: what
    /// [`next_dot`](Self::next_dot) returns, then [`observe`](Self::observe)d, in
    /// one lookup.
    pub(crate) fn bump(&mut self, replica: ReplicaId) -> Dot {
        let entry = self.entries.entry(replica).or_insert(0);
        *entry = entry.saturating_add(1);
        Dot::new(replica, *entry)
    }

    /// Records that every write of `dot.replica` up to `dot.counter` has been seen.
    /// Never lowers an entry.
    pub fn observe(&mut self, dot: Dot) {
        if dot.counter == 0 {
            return;
        }
        let entry = self.entries.entry(dot.replica).or_insert(0);
        *entry = (*entry).max(dot.counter);
    }

    /// Sets `replica`'s entry to `counter` outright (0 removes it). For types, such as
    /// a G-Counter, that keep a per-replica maximum in a vector.
    pub fn set(&mut self, replica: ReplicaId, counter: u64) {
        if counter == 0 {
            self.entries.remove(&replica);
        } else {
            self.entries.insert(replica, counter);
        }
    }

    /// Pointwise maximum with `other`, by reference.
    pub fn join_ref(&mut self, other: &VersionVector) {
        for (&replica, &counter) in &other.entries {
            self.observe(Dot::new(replica, counter));
        }
    }

    /// How this vector's history relates to `other`'s.
    pub fn compare(&self, other: &VersionVector) -> Causality {
        let mut ahead = false;
        let mut behind = false;
        for (&replica, &counter) in &self.entries {
            match counter.cmp(&other.get(replica)) {
                Ordering::Greater => ahead = true,
                Ordering::Less => behind = true,
                Ordering::Equal => {}
            }
        }
        // Entries only `other` has are ahead of our implicit 0.
        behind |= other.entries.keys().any(|r| !self.entries.contains_key(r));
        match (ahead, behind) {
            (false, false) => Causality::Equal,
            (false, true) => Causality::Before,
            (true, false) => Causality::After,
            (true, true) => Causality::Concurrent,
        }
    }

    /// `(replica, counter)` entries in replica order.
    pub fn iter(&self) -> impl Iterator<Item = (ReplicaId, u64)> + '_ {
        self.entries.iter().map(|(&r, &c)| (r, c))
    }

    /// Number of replicas with a non-zero entry.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing has been seen.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Lattice for VersionVector {
    fn join(&mut self, other: Self) {
        self.join_ref(&other);
    }
}

impl Codec for VersionVector {
    const TAG: TypeTag = TypeTag::VersionVector;
}

impl FromIterator<(ReplicaId, u64)> for VersionVector {
    fn from_iter<I: IntoIterator<Item = (ReplicaId, u64)>>(iter: I) -> Self {
        let mut vv = VersionVector::new();
        for (replica, counter) in iter {
            vv.observe(Dot::new(replica, counter));
        }
        vv
    }
}

/// Decoding drops zero entries, so every decoded vector is in canonical form, and
/// rejects a replica listed twice.
impl<'de> Deserialize<'de> for VersionVector {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = VersionVector;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from replica id to counter")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut access: A,
            ) -> Result<VersionVector, A::Error> {
                let mut entries = BTreeMap::new();
                while let Some((replica, counter)) = access.next_entry::<ReplicaId, u64>()? {
                    if entries.insert(replica, counter).is_some() {
                        return Err(serde::de::Error::custom(format!(
                            "replica {replica} appears twice in a version vector"
                        )));
                    }
                }
                entries.retain(|_, c| *c != 0);
                Ok(VersionVector { entries })
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vv(entries: &[(u64, u64)]) -> VersionVector {
        entries
            .iter()
            .map(|&(r, c)| (ReplicaId::new(r), c))
            .collect()
    }

    #[test]
    fn compare_covers_all_four_cases() {
        assert_eq!(vv(&[]).compare(&vv(&[])), Causality::Equal);
        assert_eq!(vv(&[(1, 2)]).compare(&vv(&[(1, 2)])), Causality::Equal);
        assert_eq!(vv(&[(1, 1)]).compare(&vv(&[(1, 2)])), Causality::Before);
        assert_eq!(vv(&[]).compare(&vv(&[(3, 1)])), Causality::Before);
        assert_eq!(
            vv(&[(1, 2), (2, 1)]).compare(&vv(&[(1, 2)])),
            Causality::After
        );
        assert_eq!(vv(&[(1, 2)]).compare(&vv(&[(2, 1)])), Causality::Concurrent);
        assert_eq!(
            vv(&[(1, 3), (2, 1)]).compare(&vv(&[(1, 2), (2, 2)])),
            Causality::Concurrent
        );
    }

    #[test]
    fn join_is_pointwise_max_and_contains_follows() {
        let mut a = vv(&[(1, 3), (2, 1)]);
        a.join(vv(&[(1, 1), (2, 5), (3, 2)]));
        assert_eq!(a, vv(&[(1, 3), (2, 5), (3, 2)]));
        assert!(a.contains(Dot::new(ReplicaId::new(2), 5)));
        assert!(!a.contains(Dot::new(ReplicaId::new(2), 6)));
        assert_eq!(
            a.next_dot(ReplicaId::new(9)),
            Dot::new(ReplicaId::new(9), 1)
        );
    }

    #[test]
    fn zero_entries_are_not_kept() {
        let mut a = vv(&[(1, 0)]);
        assert!(a.is_empty());
        a.set(ReplicaId::new(1), 4);
        a.set(ReplicaId::new(1), 0);
        assert_eq!(a, VersionVector::new());
    }
}
