//! Coalescing a change's writes: a write that a later write of the same change
//! supersedes before anything could see it is left out, and a counter's increments
//! are added into one (see [`coalesce`]).

use std::collections::HashMap;
use std::ops::Range;

use foldhash::fast::RandomState;

use crate::Write;

/// The writes a later one of the same class at the same path can stand for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    /// A last-writer-wins register's write: the later value replaces it.
    Set,
    /// A multi-value register's write: the later one removes it, as observed.
    SetMulti,
    /// A flag's enable: the later enable replaces its dot.
    Enable,
    /// A counter's increment: the later one carries the sum.
    Increment,
    /// A counter's decrement: the later one carries the sum.
    Decrement,
}

impl Class {
    fn of(write: &Write) -> Option<Class> {
        match write {
            Write::Set(_) => Some(Class::Set),
            Write::SetMulti(_) => Some(Class::SetMulti),
            Write::Enable => Some(Class::Enable),
            Write::Increment(_) => Some(Class::Increment),
            Write::Decrement(_) => Some(Class::Decrement),
            _ => None,
        }
    }
}

/// What becomes of one write of a batch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fate {
    /// Applied (with the amounts of the writes folded into it, if a counter's).
    Keep,
    /// Left out: a later write of the same class at the same path supersedes it.
    Drop,
    /// Left out, its amount added to the later write at this index.
    FoldInto(usize),
}

/// The writes of one change with those a later write supersedes left out, and the
/// amounts of a counter's increments (and, apart, of its decrements) added into the
/// last of them; applied one at a time, they leave the document reading the same as
/// `writes` applied one at a time, and take fewer dots and clock readings.
///
/// A write is left out when the next write of the change that touches its path (the
/// same path, a path above it or one below it) is of the same class at the same path:
/// a last-writer-wins or multi-value register's write, a flag's enable, a counter's
/// increment or decrement. Nothing between the two can have seen it, so the later one
/// replaces all it did: the same kinds replaced along the path, and the register's,
/// flag's or counter's own part (a counter's later write then carries both amounts,
/// unless their sum would overflow a `u64`: then both stay). Removals, set writes
/// and a flag's disable are never left out, and a write at another path between the
/// two keeps both.
///
/// What differs is what no read shows: the left-out writes' dots and clock readings
/// are never made, so the delta's context names fewer dots and a register's
/// timestamp has a smaller logical count. Refusals are not moved: the caller checks
/// every write first (a refusal that needs the state to be seen, under an authority
/// rule or a precondition, must not be coalesced away; [`Document::write_all`]
/// coalesces only without them).
///
/// [`Document::write_all`]: crate::Document::write_all
///
/// ```
/// use converge_ormap::{coalesce, Value, Write};
///
/// let k = || vec!["k".to_string()];
/// let writes = vec![
///     (k(), Write::Set(Value::Int(1))),
///     (vec!["n".to_string()], Write::Increment(2)),
///     (k(), Write::Set(Value::Int(2))),
///     (vec!["n".to_string()], Write::Increment(3)),
/// ];
/// assert_eq!(
///     coalesce(writes),
///     vec![
///         (k(), Write::Set(Value::Int(2))),
///         (vec!["n".to_string()], Write::Increment(5)),
///     ]
/// );
/// ```
pub fn coalesce<P: AsRef<[String]>>(writes: Vec<(P, Write)>) -> Vec<(P, Write)> {
    let (paths, indexed): (Vec<P>, Vec<(usize, Write)>) = writes
        .into_iter()
        .enumerate()
        .map(|(i, (path, write))| (path, (i, write)))
        .unzip();
    let kept = coalesce_indexed(&paths, indexed);
    let mut paths: Vec<Option<P>> = paths.into_iter().map(Some).collect();
    // Each write had its own index, so each kept one takes its path once.
    kept.into_iter()
        .filter_map(|(i, write)| Some((paths.get_mut(i)?.take()?, write)))
        .collect()
}

/// [`coalesce`] for writes that name their paths by index into `paths` (a change's
/// distinct paths, each written many times, are hashed once each rather than once a
/// write): the writes `coalesce` would keep, each with its index, in order. Paths are
/// compared by their keys, so two equal paths at different indexes are the same path;
/// an index outside `paths` stands for the empty path, which writes nothing.
///
/// ```
/// use converge_ormap::{coalesce_indexed, Value, Write};
///
/// let paths = [vec!["k".to_string()], vec!["n".to_string()]];
/// let writes = vec![
///     (0, Write::Set(Value::Int(1))),
///     (1, Write::Increment(2)),
///     (0, Write::Set(Value::Int(2))),
///     (1, Write::Increment(3)),
/// ];
/// assert_eq!(
///     coalesce_indexed(&paths, writes),
///     vec![(0, Write::Set(Value::Int(2))), (1, Write::Increment(5))]
/// );
/// ```
pub fn coalesce_indexed<Q: AsRef<[String]>>(
    paths: &[Q],
    writes: Vec<(usize, Write)>,
) -> Vec<(usize, Write)> {
    let ids = PathIds::of(paths);
    let fates = fates(&ids, &writes);
    if fates.iter().all(|f| *f == Fate::Keep) {
        return writes;
    }
    // Each folded amount goes to a later write: gather them as the walk passes.
    let mut carried: HashMap<usize, u64, RandomState> = HashMap::default();
    let mut kept = Vec::with_capacity(fates.iter().filter(|f| **f == Fate::Keep).count());
    for (i, ((path, mut write), fate)) in writes.into_iter().zip(fates).enumerate() {
        match fate {
            Fate::Drop => {}
            Fate::FoldInto(target) => {
                if let Write::Increment(by) | Write::Decrement(by) = write {
                    // `fates` checked the sum: it does not overflow.
                    let sum = carried.entry(target).or_insert(0);
                    *sum = sum.saturating_add(by);
                }
            }
            Fate::Keep => {
                if let Some(more) = carried.remove(&i) {
                    if let Write::Increment(by) | Write::Decrement(by) = &mut write {
                        *by = by.saturating_add(more);
                    }
                }
                kept.push((path, write));
            }
        }
    }
    kept
}

/// The paths of a batch and the paths above them, each numbered once: the walk keeps
/// what it has seen at each in a list rather than a map.
struct PathIds {
    /// The number of each index's path, `None` for the empty path (or an index out of
    /// range).
    of_index: Vec<Option<usize>>,
    /// For each numbered path, the range of `above` that holds the numbers of the paths
    /// strictly above it (its prefixes), shortest first.
    above_range: Vec<Range<usize>>,
    /// The numbers of paths above others, in runs.
    above: Vec<usize>,
}

impl PathIds {
    fn of<Q: AsRef<[String]>>(paths: &[Q]) -> PathIds {
        let mut number: HashMap<&[String], usize, RandomState> =
            HashMap::with_capacity_and_hasher(paths.len().min(1 << 12), RandomState::default());
        let mut ids = PathIds {
            of_index: Vec::with_capacity(paths.len()),
            above_range: Vec::new(),
            above: Vec::new(),
        };
        // The numbers of the current path's prefixes, shortest first.
        let mut chain = Vec::new();
        for path in paths {
            let path = path.as_ref();
            if path.is_empty() {
                ids.of_index.push(None);
                continue;
            }
            if let Some(id) = number.get(path) {
                ids.of_index.push(Some(*id));
                continue;
            }
            chain.clear();
            for end in 1..=path.len() {
                let id = *number.entry(&path[..end]).or_insert_with(|| {
                    let start = ids.above.len();
                    ids.above.extend_from_slice(&chain);
                    ids.above_range.push(start..ids.above.len());
                    ids.above_range.len() - 1
                });
                chain.push(id);
            }
            ids.of_index.push(chain.last().copied());
        }
        ids
    }

    /// How many paths are numbered.
    fn len(&self) -> usize {
        self.above_range.len()
    }

    /// The number of the path at `index`, if it is not the empty path.
    fn id(&self, index: usize) -> Option<usize> {
        self.of_index.get(index).copied().flatten()
    }

    /// The numbers of the paths strictly above the numbered path `id`.
    fn above(&self, id: usize) -> &[usize] {
        self.above_range
            .get(id)
            .and_then(|range| self.above.get(range.clone()))
            .unwrap_or_default()
    }
}

/// What the walk has seen at one path: the nearest later write at exactly it (its
/// index and class), and the nearest later write strictly below it.
#[derive(Clone, Copy, Default)]
struct Seen {
    at: Option<(usize, Option<Class>)>,
    below: Option<usize>,
}

/// Decides each write's [`Fate`], walking the writes from the last.
fn fates(ids: &PathIds, writes: &[(usize, Write)]) -> Vec<Fate> {
    let mut seen = vec![Seen::default(); ids.len()];
    let mut fates = vec![Fate::Keep; writes.len()];
    // A kept counter write's amount with those folded into it so far.
    let mut sums: HashMap<usize, u64, RandomState> = HashMap::default();
    for (i, (index, write)) in writes.iter().enumerate().rev() {
        let Some(id) = ids.id(*index) else {
            continue; // the empty path writes nothing, and touches nothing
        };
        let Some(here) = seen.get_mut(id) else {
            continue; // every numbered path has its entry
        };
        let class = Class::of(write);
        let after = *here;
        here.at = Some((i, class));
        if let (Some(class), Some((next, Some(next_class)))) = (class, after.at) {
            let untouched_between = after.below.map_or(true, |b| b > next)
                && ids.above(id).iter().all(|above| {
                    let above = seen.get(*above).and_then(|s| s.at);
                    above.map_or(true, |(a, _)| a > next)
                });
            if class == next_class && untouched_between {
                fates[i] = match write {
                    Write::Increment(by) | Write::Decrement(by) => {
                        let target = match fates[next] {
                            Fate::FoldInto(target) => target,
                            _ => next,
                        };
                        let total = match sums.get(&target) {
                            Some(total) => Some(*total),
                            None => match &writes[target].1 {
                                Write::Increment(t) | Write::Decrement(t) => Some(*t),
                                _ => None,
                            },
                        };
                        match total.and_then(|t| t.checked_add(*by)) {
                            Some(sum) => {
                                sums.insert(target, sum);
                                Fate::FoldInto(target)
                            }
                            None => Fate::Keep,
                        }
                    }
                    _ => Fate::Drop,
                };
            }
        }
        for above in ids.above(id) {
            if let Some(above) = seen.get_mut(*above) {
                above.below = Some(i);
            }
        }
    }
    fates
}
