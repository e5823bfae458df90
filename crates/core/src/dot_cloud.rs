//! `DotCloud`: the dots a causal context holds beyond its version vector: inline while
//! there are at most two (the context of one write's delta: its dot and the one it
//! replaced), in a tree beyond that.

use std::collections::{btree_set, BTreeSet};
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::{Dot, ReplicaId};

/// How many dots the cloud holds without allocating.
const INLINE: usize = 2;

/// Fills the unused inline slots; never read.
const FILLER: Dot = Dot::new(ReplicaId::new(0), 0);

/// A sorted set of dots. Equality, hashing and iteration depend only on the dots,
/// not on how they are stored.
#[derive(Clone)]
pub(crate) enum DotCloud {
    /// The first `len` slots, sorted, distinct.
    Inline { len: u8, dots: [Dot; INLINE] },
    /// More than `INLINE` dots (or once were: it moves back inline when it shrinks).
    Tree(BTreeSet<Dot>),
}

impl Default for DotCloud {
    fn default() -> Self {
        DotCloud::EMPTY
    }
}

/// The dots of a [`DotCloud`] (or of one replica in it), in order.
pub(crate) enum Iter<'a> {
    Inline(std::slice::Iter<'a, Dot>),
    Tree(btree_set::Iter<'a, Dot>),
    Range(btree_set::Range<'a, Dot>),
}

impl Iterator for Iter<'_> {
    type Item = Dot;

    fn next(&mut self) -> Option<Dot> {
        match self {
            Iter::Inline(it) => it.next().copied(),
            Iter::Tree(it) => it.next().copied(),
            Iter::Range(it) => it.next().copied(),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Dot> {
        match self {
            Iter::Inline(it) => it.next_back().copied(),
            Iter::Tree(it) => it.next_back().copied(),
            Iter::Range(it) => it.next_back().copied(),
        }
    }
}

impl DotCloud {
    /// The empty cloud, as a constant.
    pub(crate) const EMPTY: DotCloud = DotCloud::Inline {
        len: 0,
        dots: [FILLER; INLINE],
    };

    /// Number of dots.
    pub(crate) fn len(&self) -> usize {
        match self {
            DotCloud::Inline { len, .. } => usize::from(*len),
            DotCloud::Tree(tree) => tree.len(),
        }
    }

    /// Whether the cloud holds no dot.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `dot` is in the cloud.
    pub(crate) fn contains(&self, dot: &Dot) -> bool {
        match self {
            DotCloud::Inline { len, dots } => dots[..usize::from(*len)].contains(dot),
            DotCloud::Tree(tree) => tree.contains(dot),
        }
    }

    /// Every dot, in order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        match self {
            DotCloud::Inline { len, dots } => Iter::Inline(dots[..usize::from(*len)].iter()),
            DotCloud::Tree(tree) => Iter::Tree(tree.iter()),
        }
    }

    /// The dots of `replica`, in order.
    pub(crate) fn of_replica(&self, replica: ReplicaId) -> Iter<'_> {
        match self {
            DotCloud::Inline { len, dots } => {
                let dots = &dots[..usize::from(*len)];
                let from = dots.iter().take_while(|d| d.replica < replica).count();
                let to = from
                    + dots[from..]
                        .iter()
                        .take_while(|d| d.replica == replica)
                        .count();
                Iter::Inline(dots[from..to].iter())
            }
            DotCloud::Tree(tree) => {
                Iter::Range(tree.range(Dot::new(replica, 0)..=Dot::new(replica, u64::MAX)))
            }
        }
    }

    /// Adds `dot`.
    pub(crate) fn insert(&mut self, dot: Dot) {
        match self {
            DotCloud::Inline { len, dots } => {
                let n = usize::from(*len);
                let Err(at) = dots[..n].binary_search(&dot) else {
                    return;
                };
                if n < INLINE {
                    dots.copy_within(at..n, at + 1);
                    dots[at] = dot;
                    *len += 1;
                } else {
                    // Inserted one by one, not collected: `collect` sorts first, and
                    // its sort is a copy of the sorting code of its own in the wasm
                    // build (the dots are in order already).
                    let mut tree = BTreeSet::new();
                    for old in dots.iter().copied().chain([dot]) {
                        tree.insert(old);
                    }
                    *self = DotCloud::Tree(tree);
                }
            }
            DotCloud::Tree(tree) => {
                tree.insert(dot);
            }
        }
    }

    /// Adds `dot`, which is greater than every dot here: no search, no shifting.
    #[inline]
    pub(crate) fn push_greatest(&mut self, dot: Dot) {
        match self {
            DotCloud::Inline { len, dots } if usize::from(*len) < INLINE => {
                dots[usize::from(*len)] = dot;
                *len += 1;
            }
            _ => self.insert(dot),
        }
    }

    /// Removes every dot of `replica` with a counter at most `top`.
    pub(crate) fn remove_through(&mut self, replica: ReplicaId, top: u64) {
        let covered = |d: &Dot| d.replica == replica && d.counter <= top;
        match self {
            DotCloud::Inline { len, dots } => {
                let mut kept = 0;
                for i in 0..usize::from(*len) {
                    if !covered(&dots[i]) {
                        dots[kept] = dots[i];
                        kept += 1;
                    }
                }
                // `kept` is at most the old length, which fit in a u8.
                *len = kept as u8;
            }
            DotCloud::Tree(tree) => {
                let gone: Vec<Dot> = tree
                    .range(Dot::new(replica, 0)..=Dot::new(replica, top))
                    .copied()
                    .collect();
                for dot in &gone {
                    tree.remove(dot);
                }
                if tree.len() <= INLINE {
                    let mut inline = DotCloud::default();
                    for dot in tree.iter() {
                        inline.insert(*dot);
                    }
                    *self = inline;
                }
            }
        }
    }
}

impl PartialEq for DotCloud {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for DotCloud {}

impl Hash for DotCloud {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.len());
        for dot in self.iter() {
            dot.hash(state);
        }
    }
}

impl fmt::Debug for DotCloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(r: u64, c: u64) -> Dot {
        Dot::new(ReplicaId::new(r), c)
    }

    #[test]
    fn moves_to_a_tree_and_back_and_compares_by_content() {
        let mut grown = DotCloud::default();
        for d in [dot(2, 9), dot(1, 5), dot(1, 3)] {
            grown.insert(d);
        }
        assert!(matches!(grown, DotCloud::Tree(_)));
        assert_eq!(
            grown.iter().collect::<Vec<_>>(),
            vec![dot(1, 3), dot(1, 5), dot(2, 9)]
        );
        assert_eq!(
            grown.of_replica(ReplicaId::new(1)).next_back(),
            Some(dot(1, 5))
        );
        grown.remove_through(ReplicaId::new(1), 4);
        assert!(matches!(grown, DotCloud::Inline { len: 2, .. }));
        let mut small = DotCloud::default();
        small.insert(dot(2, 9));
        small.insert(dot(1, 5));
        small.insert(dot(1, 5));
        assert_eq!(small, grown);
        assert!(small.contains(&dot(2, 9)) && !small.contains(&dot(1, 3)));
        assert_eq!(small.of_replica(ReplicaId::new(1)).count(), 1);
        small.remove_through(ReplicaId::new(2), 9);
        assert_eq!(small.iter().collect::<Vec<_>>(), vec![dot(1, 5)]);
    }
}
