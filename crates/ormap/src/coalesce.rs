//! Coalescing a change's writes: a write that a later write of the same change
//! supersedes before anything could see it is left out, and a counter's increments
//! are added into one (see [`coalesce`]).

use std::collections::HashMap;

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
    let fates = fates(&writes);
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

/// What the walk has seen at one path: the nearest later write at exactly it (its
/// index and class), and the nearest later write strictly below it.
#[derive(Clone, Copy, Default)]
struct Seen {
    at: Option<(usize, Option<Class>)>,
    below: Option<usize>,
}

/// Decides each write's [`Fate`], walking the writes from the last.
fn fates<P: AsRef<[String]>>(writes: &[(P, Write)]) -> Vec<Fate> {
    let mut seen: HashMap<&[String], Seen, RandomState> =
        HashMap::with_capacity_and_hasher(writes.len().min(1 << 12), RandomState::default());
    let mut fates = vec![Fate::Keep; writes.len()];
    // A kept counter write's amount with those folded into it so far.
    let mut sums: HashMap<usize, u64, RandomState> = HashMap::default();
    for (i, (path, write)) in writes.iter().enumerate().rev() {
        let path = path.as_ref();
        if path.is_empty() {
            continue; // the empty path writes nothing, and touches nothing
        }
        let class = Class::of(write);
        // One lookup reads what is after this write here and records this write.
        let here = seen.entry(path).or_default();
        let after = *here;
        here.at = Some((i, class));
        if let (Some(class), Some((next, Some(next_class)))) = (class, after.at) {
            let untouched_between = after.below.map_or(true, |b| b > next)
                && (1..path.len()).all(|end| {
                    let above = seen.get(&path[..end]).and_then(|s| s.at);
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
        for end in 1..path.len() {
            seen.entry(&path[..end]).or_default().below = Some(i);
        }
    }
    fates
}
