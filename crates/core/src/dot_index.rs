//! `DotIndex`: where the dots of a [`DotMap`](crate::DotMap) live. A map holding few
//! dots, or one key, only counts them (its join visits its few keys); beyond that it
//! keeps an index from dot to the hash of the key whose store holds it, so a join
//! finds the keys a delta's removals touch without visiting every key.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use crate::Dot;

/// The most dots a map holds without an index: a scan of that many is as cheap as
/// keeping an index up to date, and a write's delta, a record of a few fields or a
/// small set then pays nothing for one.
const FEW: usize = 32;

/// [`FEW`], or 0 under `converge_core::testing::with_every_map_indexed`.
pub(crate) fn few() -> usize {
    #[cfg(feature = "testing")]
    if crate::testing::every_map_indexed() {
        return 0;
    }
    FEW
}

/// Dot → key hash for every dot held anywhere under one map level, or just their
/// count while there are at most [`FEW`].
#[derive(Clone, Debug)]
pub(crate) enum DotIndex {
    /// At most [`FEW`] dots, or one key, counted.
    Few(usize),
    /// Every dot, with its key's hash (once indexed, a map stays indexed). Boxed so
    /// that every map, and every delta moved through a write, stays small.
    #[allow(clippy::box_collection)]
    Table(Box<HashMap<Dot, u64, RandomState>>),
}

impl Default for DotIndex {
    fn default() -> Self {
        DotIndex::Few(0)
    }
}

impl DotIndex {
    /// An index of `dots`.
    pub(crate) fn table(dots: impl Iterator<Item = (Dot, u64)>) -> Self {
        let mut table = HashMap::with_hasher(RandomState::default());
        table.extend(dots);
        DotIndex::Table(Box::new(table))
    }

    /// Number of dots held.
    pub(crate) fn len(&self) -> usize {
        match self {
            DotIndex::Few(n) => *n,
            DotIndex::Table(table) => table.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReplicaId;

    #[test]
    fn a_table_counts_its_dots() {
        let dot = |c| Dot::new(ReplicaId::new(1), c);
        assert_eq!(DotIndex::default().len(), 0);
        let index = DotIndex::table([(dot(1), 7), (dot(2), 7), (dot(1), 8)].into_iter());
        assert_eq!(index.len(), 2);
    }
}
