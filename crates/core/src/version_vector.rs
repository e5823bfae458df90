//! `VersionVector`: per replica, the highest contiguous counter seen, and how two
//! vectors compare causally.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
#[derive(Clone, Default)]
pub struct VersionVector {
    entries: Entries,
}

/// A vector's entries, sorted by replica, distinct, none 0.
///
/// A vector holds few replicas (the writers of one document), so a sorted array beats
/// a tree: a lookup is a binary search over a few cache lines. A single entry (a
/// counter's delta, the context of one replica's writes) is kept inline, so making
/// one allocates nothing.
#[derive(Clone)]
enum Entries {
    /// Exactly one entry.
    One((ReplicaId, u64)),
    /// Any number of entries (the empty vector is an empty `Vec`, which does not
    /// allocate).
    Many(Vec<(ReplicaId, u64)>),
}

impl Default for Entries {
    #[inline]
    fn default() -> Self {
        Entries::Many(Vec::new())
    }
}

impl Entries {
    #[inline]
    fn as_slice(&self) -> &[(ReplicaId, u64)] {
        match self {
            Entries::One(entry) => std::slice::from_ref(entry),
            Entries::Many(entries) => entries,
        }
    }

    #[inline]
    fn as_mut_slice(&mut self) -> &mut [(ReplicaId, u64)] {
        match self {
            Entries::One(entry) => std::slice::from_mut(entry),
            Entries::Many(entries) => entries,
        }
    }

    /// Where `replica`'s entry is (`Ok`), or where it would go (`Err`).
    #[inline]
    fn find(&self, replica: ReplicaId) -> Result<usize, usize> {
        self.as_slice().binary_search_by(|(r, _)| r.cmp(&replica))
    }

    /// Inserts `entry` at `at`, where [`find`](Self::find) said it goes.
    fn insert_at(&mut self, at: usize, entry: (ReplicaId, u64)) {
        match self {
            Entries::Many(entries) if entries.is_empty() => *self = Entries::One(entry),
            Entries::Many(entries) => entries.insert(at, entry),
            Entries::One(first) => {
                let first = *first;
                let mut entries = Vec::with_capacity(4);
                if at == 0 {
                    entries.extend([entry, first]);
                } else {
                    entries.extend([first, entry]);
                }
                *self = Entries::Many(entries);
            }
        }
    }

    /// Removes the entry at `at`, an index [`find`](Self::find) returned.
    fn remove_at(&mut self, at: usize) {
        match self {
            Entries::One(_) => *self = Entries::default(),
            Entries::Many(entries) => {
                entries.remove(at);
            }
        }
    }
}

impl PartialEq for VersionVector {
    fn eq(&self, other: &Self) -> bool {
        self.entries.as_slice() == other.entries.as_slice()
    }
}

impl Eq for VersionVector {}

/// Hashes the entries, whatever their storage.
impl Hash for VersionVector {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.entries.as_slice().hash(state);
    }
}

/// A map from replica to counter, as `{replica: counter, …}`.
impl fmt::Debug for VersionVector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A map from replica to counter, in replica order.
impl Serialize for VersionVector {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.entries.as_slice();
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for (replica, counter) in entries {
            map.serialize_entry(replica, counter)?;
        }
        map.end()
    }
}

/// When the other vector has at most this many entries, a join looks each one up;
/// beyond, it walks both vectors side by side.
const JOIN_BY_LOOKUP: usize = 4;

impl VersionVector {
    /// The empty vector, as a constant.
    pub(crate) const EMPTY: VersionVector = VersionVector {
        entries: Entries::Many(Vec::new()),
    };

    /// The empty vector: nothing seen.
    #[inline]
    pub fn new() -> Self {
        Self::default()
    }

    /// The highest contiguous counter seen from `replica` (0 if none).
    #[inline]
    pub fn get(&self, replica: ReplicaId) -> u64 {
        match self.entries.find(replica) {
            Ok(at) => self.entries.as_slice()[at].1,
            Err(_) => 0,
        }
    }

    /// Whether the write `dot` is covered by this vector.
    #[inline]
    pub fn contains(&self, dot: Dot) -> bool {
        dot.counter <= self.get(dot.replica)
    }

    /// The dot `replica`'s next write would get: one past what this vector has seen.
    /// Saturates at `u64::MAX` (a replica cannot make 2^64 writes).
    #[inline]
    pub fn next_dot(&self, replica: ReplicaId) -> Dot {
        Dot::new(replica, self.get(replica).saturating_add(1))
    }

    /// Counts one more write of `replica` (saturating) and returns its dot: what
    /// [`next_dot`](Self::next_dot) returns, then [`observe`](Self::observe)d, in
    /// one lookup.
    #[inline]
    pub(crate) fn bump(&mut self, replica: ReplicaId) -> Dot {
        match self.entries.find(replica) {
            Ok(at) => {
                let counter = &mut self.entries.as_mut_slice()[at].1;
                *counter = counter.saturating_add(1);
                Dot::new(replica, *counter)
            }
            Err(at) => {
                self.entries.insert_at(at, (replica, 1));
                Dot::new(replica, 1)
            }
        }
    }

    /// Records that every write of `dot.replica` up to `dot.counter` has been seen.
    /// Never lowers an entry.
    pub fn observe(&mut self, dot: Dot) {
        if dot.counter == 0 {
            return;
        }
        match self.entries.find(dot.replica) {
            Ok(at) => {
                let counter = &mut self.entries.as_mut_slice()[at].1;
                *counter = (*counter).max(dot.counter);
            }
            Err(at) => self.entries.insert_at(at, (dot.replica, dot.counter)),
        }
    }

    /// Sets `replica`'s entry to `counter` outright (0 removes it). For types, such as
    /// a G-Counter, that keep a per-replica maximum in a vector.
    pub fn set(&mut self, replica: ReplicaId, counter: u64) {
        match (self.entries.find(replica), counter) {
            (Ok(at), 0) => self.entries.remove_at(at),
            (Ok(at), _) => self.entries.as_mut_slice()[at].1 = counter,
            (Err(_), 0) => {}
            (Err(at), _) => self.entries.insert_at(at, (replica, counter)),
        }
    }

    /// Adds `by` to `replica`'s entry and returns the new entry, in one lookup; or, if
    /// the entry would pass `u64::MAX`, returns `None` and changes nothing. For types,
    /// such as a G-Counter, that keep a per-replica total in a vector.
    #[inline]
    pub fn checked_add(&mut self, replica: ReplicaId, by: u64) -> Option<u64> {
        match self.entries.find(replica) {
            Ok(at) => {
                let counter = &mut self.entries.as_mut_slice()[at].1;
                *counter = counter.checked_add(by)?;
                Some(*counter)
            }
            Err(_) if by == 0 => Some(0),
            Err(at) => {
                self.entries.insert_at(at, (replica, by));
                Some(by)
            }
        }
    }

    /// The vector of the one entry `replica → counter` (empty if `counter` is 0):
    /// what [`set`](Self::set) on an empty vector makes, without a lookup. Allocates
    /// nothing.
    #[inline]
    pub fn single(replica: ReplicaId, counter: u64) -> Self {
        if counter == 0 {
            return VersionVector::new();
        }
        VersionVector {
            entries: Entries::One((replica, counter)),
        }
    }

    /// Pointwise maximum with `other`, by reference.
    pub fn join_ref(&mut self, other: &VersionVector) {
        let theirs = other.entries.as_slice();
        if theirs.len() <= JOIN_BY_LOOKUP {
            for &(replica, counter) in theirs {
                self.observe(Dot::new(replica, counter));
            }
            return;
        }
        let ours = self.entries.as_slice();
        let mut joined = Vec::with_capacity(ours.len() + theirs.len());
        let (mut i, mut j) = (0, 0);
        while let (Some(&(r, a)), Some(&(s, b))) = (ours.get(i), theirs.get(j)) {
            match r.cmp(&s) {
                Ordering::Less => {
                    joined.push((r, a));
                    i += 1;
                }
                Ordering::Greater => {
                    joined.push((s, b));
                    j += 1;
                }
                Ordering::Equal => {
                    joined.push((r, a.max(b)));
                    i += 1;
                    j += 1;
                }
            }
        }
        joined.extend_from_slice(&ours[i..]);
        joined.extend_from_slice(&theirs[j..]);
        self.entries = Entries::Many(joined);
    }

    /// How this vector's history relates to `other`'s.
    pub fn compare(&self, other: &VersionVector) -> Causality {
        let (ours, theirs) = (self.entries.as_slice(), other.entries.as_slice());
        let mut ahead = false;
        let mut behind = false;
        let (mut i, mut j) = (0, 0);
        while let (Some(&(r, a)), Some(&(s, b))) = (ours.get(i), theirs.get(j)) {
            match r.cmp(&s) {
                // An entry only we have is ahead of their implicit 0, and the reverse.
                Ordering::Less => {
                    ahead = true;
                    i += 1;
                }
                Ordering::Greater => {
                    behind = true;
                    j += 1;
                }
                Ordering::Equal => {
                    match a.cmp(&b) {
                        Ordering::Greater => ahead = true,
                        Ordering::Less => behind = true,
                        Ordering::Equal => {}
                    }
                    i += 1;
                    j += 1;
                }
            }
        }
        ahead |= i < ours.len();
        behind |= j < theirs.len();
        match (ahead, behind) {
            (false, false) => Causality::Equal,
            (false, true) => Causality::Before,
            (true, false) => Causality::After,
            (true, true) => Causality::Concurrent,
        }
    }

    /// `(replica, counter)` entries in replica order.
    #[inline]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (ReplicaId, u64)> + '_ {
        self.entries.as_slice().iter().copied()
    }

    /// Number of replicas with a non-zero entry.
    #[inline]
    pub fn len(&self) -> usize {
        self.entries.as_slice().len()
    }

    /// Whether nothing has been seen.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.as_slice().is_empty()
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

/// The vector of these entries: a replica listed twice keeps its largest counter, and
/// zero counters are dropped.
impl FromIterator<(ReplicaId, u64)> for VersionVector {
    fn from_iter<I: IntoIterator<Item = (ReplicaId, u64)>>(iter: I) -> Self {
        let mut entries: Vec<(ReplicaId, u64)> = iter.into_iter().filter(|e| e.1 != 0).collect();
        // Sorted by replica, the largest counter first, so `dedup` keeps the largest.
        // (Through the shared sort, see sort_order.rs.)
        crate::sort_order::sort_stable_by(&mut entries, |a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        entries.dedup_by_key(|e| e.0);
        VersionVector {
            entries: Entries::Many(entries),
        }
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
                let mut entries: Vec<(ReplicaId, u64)> = Vec::new();
                while let Some(entry) = access.next_entry::<ReplicaId, u64>()? {
                    entries.push(entry);
                }
                // Encoders write replica order; sort only what arrives otherwise.
                if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
                    crate::sort_stable_by(&mut entries, |a, b| a.0.cmp(&b.0));
                    if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
                        return Err(serde::de::Error::custom(format!(
                            "replica {} appears twice in a version vector",
                            w[0].0
                        )));
                    }
                }
                entries.retain(|e| e.1 != 0);
                Ok(VersionVector {
                    entries: Entries::Many(entries),
                })
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
