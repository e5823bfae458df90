//! `DotIndex`: where the dots of a [`DotMap`](crate::DotMap) live. A map holding few
//! dots, or one key, only counts them (its join visits its few keys); beyond that it
//! keeps an index from dot to the hash of the key whose store holds it, so a join
//! finds the keys a delta's removals touch without visiting every key.
//!
//! A decoded map of many dots makes its index the first time something asks where a
//! dot lives, not before: one only ever joined into another map (a merge's other
//! side) counts its dots and never makes one (a tenth of a large decode and merge
//! was spent making and filling tables no one read). Its decoder tells that no dot is
//! held twice with a bitmap per replica instead ([`distinct`]). A map that grows
//! write by write indexes at once, a write at a time.

use std::collections::HashMap;
use std::sync::OnceLock;

use foldhash::fast::RandomState;

use crate::{CausalContext, Dot, ReplicaId};

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

/// Dot → hash of the key holding it.
pub(crate) type Table = HashMap<Dot, u64, RandomState>;

/// Dot → key hash for every dot held anywhere under one map level, or just their
/// count while there are at most [`FEW`].
#[derive(Clone, Debug)]
pub(crate) enum DotIndex {
    /// At most [`FEW`] dots, or one key, counted.
    Few(usize),
    /// More dots under more than one key (once many, a map stays so). Boxed so that
    /// every map, and every delta moved through a write, stays small.
    Many(Box<ManyDots>),
}

/// The dots of a map of many: counted, and indexed once asked.
#[derive(Clone, Debug)]
pub(crate) struct ManyDots {
    /// Number of dots held.
    pub(crate) count: usize,
    /// Every dot, with its key's hash; made from the map's entries when first asked
    /// for, then kept up to date with the count.
    pub(crate) table: OnceLock<Table>,
}

impl Default for DotIndex {
    fn default() -> Self {
        DotIndex::Few(0)
    }
}

impl DotIndex {
    /// An index of `dots`, made at once.
    pub(crate) fn table(dots: impl Iterator<Item = (Dot, u64)>) -> Self {
        let table: Table = dots.collect();
        DotIndex::Many(Box::new(ManyDots {
            count: table.len(),
            table: OnceLock::from(table),
        }))
    }

    /// The index of `count` dots, its table made when first asked for.
    pub(crate) fn unmade(count: usize) -> Self {
        DotIndex::Many(Box::new(ManyDots {
            count,
            table: OnceLock::new(),
        }))
    }

    /// Number of dots held.
    pub(crate) fn len(&self) -> usize {
        match self {
            DotIndex::Few(n) => *n,
            DotIndex::Many(many) => many.count,
        }
    }

    /// Sets the number of dots held (a map of many, after a change; its table, if
    /// made, is updated by the caller).
    pub(crate) fn recount(&mut self, count: usize) {
        match self {
            DotIndex::Few(n) => *n = count,
            DotIndex::Many(many) => many.count = count,
        }
    }

    /// The table of a map of many, if made already (to keep up to date).
    pub(crate) fn made_mut(&mut self) -> Option<&mut Table> {
        match self {
            DotIndex::Few(_) => None,
            DotIndex::Many(many) => many.table.get_mut(),
        }
    }

    /// The table of a map of many, if made already.
    pub(crate) fn made(&self) -> Option<&Table> {
        match self {
            DotIndex::Few(_) => None,
            DotIndex::Many(many) => many.table.get(),
        }
    }

    /// The table of a map of many, made by `make` (every dot held, with its key's
    /// hash) if not made yet; `None` for a map of few.
    pub(crate) fn get_or_make(&self, make: &dyn Fn() -> Vec<(Dot, u64)>) -> Option<&Table> {
        match self {
            DotIndex::Few(_) => None,
            DotIndex::Many(many) => Some(many.table.get_or_init(|| make().into_iter().collect())),
        }
    }
}

/// The dots in `table` that `context` names (of those `known` lets through), each
/// with the hash of its key; visits the smaller of the two: the context's dots, or
/// the table's. (One copy for every map type.)
pub(crate) fn seen_in(
    table: &Table,
    context: &CausalContext,
    known: &dyn Fn(Dot) -> bool,
) -> Vec<(Dot, u64)> {
    if context.dot_count() <= table.len() as u128 {
        context
            .dots()
            .filter(|d| known(*d))
            .filter_map(|d| table.get(&d).map(|h| (d, *h)))
            .collect()
    } else {
        table
            .iter()
            .filter(|(d, _)| context.contains(**d))
            .map(|(d, h)| (*d, *h))
            .collect()
    }
}

/// The most replicas [`distinct`] keeps a bitmap for.
const BITMAP_REPLICAS: usize = 64;

/// Whether the dots of `dots` are distinct, told with a bitmap of each replica's
/// counters up to its greatest here, where those are dense enough (at most a word
/// per dot, beyond a first 1,024 words) and the replicas few; `None` otherwise (the
/// caller tells with a table).
pub(crate) fn distinct(dots: &[(Dot, u64)]) -> Option<bool> {
    // Each replica with its greatest counter; dots come in runs of one replica, so
    // the last one found is tried first.
    let mut replicas: Vec<(ReplicaId, u64)> = Vec::new();
    let mut last = 0;
    let find = |replicas: &Vec<(ReplicaId, u64)>, last: &mut usize, replica: ReplicaId| {
        if replicas.get(*last).is_some_and(|(r, _)| *r == replica) {
            return Some(*last);
        }
        let at = replicas.iter().position(|(r, _)| *r == replica)?;
        *last = at;
        Some(at)
    };
    for (dot, _) in dots {
        match find(&replicas, &mut last, dot.replica) {
            Some(at) => {
                if let Some((_, top)) = replicas.get_mut(at) {
                    *top = (*top).max(dot.counter);
                }
            }
            None if replicas.len() < BITMAP_REPLICAS => {
                replicas.push((dot.replica, dot.counter));
                last = replicas.len() - 1;
            }
            None => return None,
        }
    }
    // Each replica's first word in one bitmap; words past the budget: a table instead.
    let budget = dots.len() as u64 + 1024;
    let mut words: u64 = 0;
    let mut starts = Vec::with_capacity(replicas.len());
    for (_, top) in &replicas {
        starts.push(words);
        words = words.saturating_add(top / 64 + 1);
        if words > budget {
            return None;
        }
    }
    let mut bits = vec![0u64; usize::try_from(words).ok()?];
    for (dot, _) in dots {
        let at = find(&replicas, &mut last, dot.replica)?;
        let word = starts.get(at)? + dot.counter / 64;
        let bit = 1u64 << (dot.counter % 64);
        let slot = bits.get_mut(usize::try_from(word).ok()?)?;
        if *slot & bit != 0 {
            return Some(false);
        }
        *slot |= bit;
    }
    Some(true)
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
