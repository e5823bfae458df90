//! `DotIndex`: where each dot of a [`DotMap`](crate::DotMap) lives: dot → hash of the
//! key whose store holds it. With it, a join finds the few keys a delta's removals
//! touch without visiting every key.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use crate::{Dot, ReplicaId};

/// How many entries the index keeps without allocating: a write's delta holds one
/// dot at each level of nesting.
const INLINE: usize = 2;

/// Fills the unused inline slots; never read.
const FILLER: (Dot, u64) = (Dot::new(ReplicaId::new(0), 0), 0);

/// Dot → key hash, for every dot held anywhere under one map level.
#[derive(Clone, Debug)]
pub(crate) enum DotIndex {
    /// The first `len` slots, distinct dots.
    Inline {
        len: u8,
        slots: [(Dot, u64); INLINE],
    },
    /// More than `INLINE` entries (or once were).
    Table(HashMap<Dot, u64, RandomState>),
}

impl Default for DotIndex {
    fn default() -> Self {
        DotIndex::Inline {
            len: 0,
            slots: [FILLER; INLINE],
        }
    }
}

impl DotIndex {
    /// Number of dots indexed.
    pub(crate) fn len(&self) -> usize {
        match self {
            DotIndex::Inline { len, .. } => usize::from(*len),
            DotIndex::Table(table) => table.len(),
        }
    }

    /// The hash of the key holding `dot`, if a key does.
    pub(crate) fn get(&self, dot: Dot) -> Option<u64> {
        match self {
            DotIndex::Inline { len, slots } => slots[..usize::from(*len)]
                .iter()
                .find(|(d, _)| *d == dot)
                .map(|(_, h)| *h),
            DotIndex::Table(table) => table.get(&dot).copied(),
        }
    }

    /// Whether some key holds `dot`.
    pub(crate) fn contains(&self, dot: Dot) -> bool {
        self.get(dot).is_some()
    }

    /// Records that the key with hash `hash` holds `dot`.
    pub(crate) fn insert(&mut self, dot: Dot, hash: u64) {
        match self {
            DotIndex::Inline { len, slots } => {
                let n = usize::from(*len);
                if let Some(slot) = slots[..n].iter_mut().find(|(d, _)| *d == dot) {
                    slot.1 = hash;
                } else if n < INLINE {
                    slots[n] = (dot, hash);
                    *len += 1;
                } else {
                    let mut table: HashMap<Dot, u64, RandomState> =
                        HashMap::with_capacity_and_hasher(INLINE * 2, RandomState::default());
                    table.extend(slots.iter().copied());
                    table.insert(dot, hash);
                    *self = DotIndex::Table(table);
                }
            }
            DotIndex::Table(table) => {
                table.insert(dot, hash);
            }
        }
    }

    /// Forgets `dot`; returns the hash it was under.
    pub(crate) fn remove(&mut self, dot: Dot) -> Option<u64> {
        match self {
            DotIndex::Inline { len, slots } => {
                let n = usize::from(*len);
                let at = slots[..n].iter().position(|(d, _)| *d == dot)?;
                let hash = slots[at].1;
                slots.copy_within(at + 1..n, at);
                *len -= 1;
                Some(hash)
            }
            DotIndex::Table(table) => table.remove(&dot),
        }
    }

    /// Every `(dot, key hash)`, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Dot, u64)> + '_ {
        let (inline, table) = match self {
            DotIndex::Inline { len, slots } => (&slots[..usize::from(*len)], None),
            DotIndex::Table(table) => (&[][..], Some(table)),
        };
        inline.iter().copied().chain(
            table
                .into_iter()
                .flat_map(|t| t.iter().map(|(d, h)| (*d, *h))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(c: u64) -> Dot {
        Dot::new(ReplicaId::new(1), c)
    }

    #[test]
    fn grows_into_a_table_and_keeps_every_entry() {
        let mut index = DotIndex::default();
        index.insert(dot(1), 10);
        index.insert(dot(2), 20);
        index.insert(dot(1), 11);
        assert!(matches!(index, DotIndex::Inline { len: 2, .. }));
        assert_eq!(index.remove(dot(1)), Some(11));
        assert_eq!(index.remove(dot(1)), None);
        assert_eq!(index.get(dot(2)), Some(20));
        for c in 3..=5 {
            index.insert(dot(c), c * 10);
        }
        assert!(matches!(index, DotIndex::Table(_)));
        let mut all: Vec<_> = index.iter().collect();
        all.sort();
        assert_eq!(
            all,
            vec![(dot(2), 20), (dot(3), 30), (dot(4), 40), (dot(5), 50)]
        );
        assert!(index.contains(dot(4)) && !index.contains(dot(9)));
        assert_eq!(index.len(), 4);
    }
}
