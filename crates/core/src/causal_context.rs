//! `CausalContext`: every write a replica has seen, as a version vector plus the
//! dots seen out of order (the "dot cloud"), compacted as gaps fill.

use crate::dot_cloud::DotCloud;
use crate::{Dot, DotSet, Lattice, ReplicaId, VersionVector};

/// The set of writes (dots) a replica has seen, including writes whose data was later
/// removed. Because removed writes stay in the context, a causal type needs no
/// tombstones: "seen here but absent from the store" means "removed".
///
/// Stored as a [`VersionVector`] (the contiguous prefix per replica) plus a cloud of
/// dots beyond it. Every operation keeps the canonical form: no cloud dot is covered
/// by the vector, and no cloud dot directly extends it. So two contexts holding the
/// same dots are equal (`==`) and encode to the same bytes.
///
/// ```
/// use converge_core::{CausalContext, Dot, ReplicaId};
/// let a = ReplicaId::new(1);
/// let mut ctx = CausalContext::new();
/// ctx.insert(Dot::new(a, 2)); // seen out of order: kept in the cloud
/// assert!(!ctx.contains(Dot::new(a, 1)));
/// ctx.insert(Dot::new(a, 1)); // the gap fills: compacted into the vector
/// assert_eq!(ctx.version_vector().get(a), 2);
/// assert_eq!(ctx.cloud().count(), 0);
/// ```
///
/// An empty context takes one pointer and no allocation: every value embedded in a
/// map keeps an empty one (the map's context is lent to it for writes), so a
/// document's nodes stay small.
#[derive(Clone, Default)]
pub struct CausalContext {
    // `None` holds nothing; `Some` may also hold nothing (equality, hashing and every
    // read go through `seen()`, so the two are the same context).
    seen: Option<Box<Seen>>,
}

/// What a non-empty context holds.
#[derive(Clone, Default)]
struct Seen {
    vv: VersionVector,
    cloud: DotCloud,
}

/// The view of an empty context.
static NOTHING_SEEN: Seen = Seen {
    vv: VersionVector::EMPTY,
    cloud: DotCloud::EMPTY,
};

impl PartialEq for CausalContext {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.seen(), other.seen());
        a.vv == b.vv && a.cloud == b.cloud
    }
}

impl Eq for CausalContext {}

impl std::hash::Hash for CausalContext {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let seen = self.seen();
        seen.vv.hash(state);
        seen.cloud.hash(state);
    }
}

impl std::fmt::Debug for CausalContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let seen = self.seen();
        f.debug_struct("CausalContext")
            .field("vv", &seen.vv)
            .field("cloud", &seen.cloud)
            .finish()
    }
}

impl CausalContext {
    /// The empty context: nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the context holds, read-only.
    #[inline]
    fn seen(&self) -> &Seen {
        self.seen.as_deref().unwrap_or(&NOTHING_SEEN)
    }

    /// What the context holds, to change (allocated on the first change).
    #[inline]
    fn seen_mut(&mut self) -> &mut Seen {
        self.seen.get_or_insert_with(Box::default)
    }

    /// A context of `vv` and `cloud`.
    fn of(vv: VersionVector, cloud: DotCloud) -> Self {
        CausalContext {
            seen: Some(Box::new(Seen { vv, cloud })),
        }
    }

    /// A context holding exactly the given dots.
    ///
    /// Fastest when the dots come in order (as a store lists them): each dot greater
    /// than every dot before it either extends the vector or goes at the end of the
    /// cloud, with no search and no compaction.
    #[inline]
    pub fn from_dots<I: IntoIterator<Item = Dot>>(dots: I) -> Self {
        let mut ctx = CausalContext::new();
        let mut greatest: Option<Dot> = None;
        for dot in dots {
            if greatest.is_some_and(|g| dot <= g) {
                ctx.insert(dot);
                continue;
            }
            greatest = Some(dot);
            ctx.insert_greatest(dot);
        }
        ctx
    }

    /// `from_dots([a, b])` without a lookup when neither dot can enter the vector (no
    /// counter is 1) and they come in order: the context of a register write's delta,
    /// the replaced dot and the fresh one, is then a cloud of the two.
    #[inline]
    pub(crate) fn from_two_dots(a: Dot, b: Dot) -> Self {
        if a.counter > 1 && b.counter > 1 && a < b {
            let mut cloud = DotCloud::default();
            cloud.push_greatest(a);
            cloud.push_greatest(b);
            return CausalContext::of(VersionVector::new(), cloud);
        }
        CausalContext::from_dots([a, b])
    }

    /// [`insert`](Self::insert) for a dot greater than every dot of this context. No
    /// cloud dot can follow on from it (they are all smaller), so none needs
    /// compacting, and if it goes to the cloud it goes last.
    #[inline]
    fn insert_greatest(&mut self, dot: Dot) {
        let top = self.seen().vv.get(dot.replica);
        if dot.counter == 0 || dot.counter <= top {
            return;
        }
        let seen = self.seen_mut();
        if dot.counter == top + 1 {
            seen.vv.set(dot.replica, dot.counter);
        } else {
            seen.cloud.push_greatest(dot);
        }
    }

    /// A context holding exactly the dots the vector covers.
    pub fn from_version_vector(vv: VersionVector) -> Self {
        if vv.is_empty() {
            return CausalContext::new();
        }
        CausalContext::of(vv, DotCloud::default())
    }

    /// Whether the write `dot` has been seen.
    pub fn contains(&self, dot: Dot) -> bool {
        let seen = self.seen();
        seen.vv.contains(dot) || seen.cloud.contains(&dot)
    }

    /// Records that `dot` has been seen. Dots with counter 0 name no write and are ignored.
    pub fn insert(&mut self, dot: Dot) {
        let top = self.seen().vv.get(dot.replica);
        if dot.counter == 0 || dot.counter <= top {
            return;
        }
        let seen = self.seen_mut();
        if dot.counter > top + 1 {
            // Beyond a gap: nothing can join the vector until the gap fills.
            seen.cloud.insert(dot);
            return;
        }
        // The next write in sequence: the vector grows by one (every local write takes
        // this path), and takes any cloud dots that now follow on.
        seen.vv.set(dot.replica, dot.counter);
        if seen.cloud.of_replica(dot.replica).next().is_some() {
            seen.compact_replica(dot.replica);
        }
    }

    /// Records every dot of `dots`.
    pub fn extend<I: IntoIterator<Item = Dot>>(&mut self, dots: I) {
        for dot in dots {
            self.insert(dot);
        }
    }

    /// Records `dots`: distinct, none seen yet, in any order (a decoded store's dots
    /// that its encoding left out of the context, see [`residual`](Self::residual)).
    /// A replica of which nothing was seen whose dots are exactly its writes `1..=n`
    /// (`n` distinct dots, the highest `n`) gets its vector entry at once, with no
    /// sort; the other dots are inserted in order. The same context as inserting
    /// every dot in order.
    pub(crate) fn insert_unseen(&mut self, mut dots: Vec<Dot>) {
        // How many dots each replica has here, and its highest (a few replicas: past
        // `FEW`, every dot takes the general path).
        const FEW: usize = 8;
        let mut tally: Vec<(ReplicaId, u64, u64)> = Vec::new();
        for d in dots.iter().filter(|d| d.counter > 0) {
            let few = tally.len() < FEW;
            match tally.iter_mut().find(|t| t.0 == d.replica) {
                Some(t) => (t.1, t.2) = (t.1 + 1, t.2.max(d.counter)),
                None if few => tally.push((d.replica, 1, d.counter)),
                None => {
                    tally.clear();
                    break;
                }
            }
        }
        let seen = self.seen_mut();
        // (Distinct counters, all in `1..=top`, `top` of them: every one of them.)
        tally.retain(|&(replica, n, top)| {
            n == top && seen.vv.get(replica) == 0 && seen.cloud.of_replica(replica).next().is_none()
        });
        if !tally.is_empty() {
            for &(replica, _, top) in &tally {
                seen.vv.set(replica, top);
            }
            dots.retain(|d| !tally.iter().any(|t| t.0 == d.replica));
        }
        dots.sort_unstable();
        self.extend(dots);
    }

    /// The dot `replica`'s next write gets: one past the highest dot of `replica` seen,
    /// in the vector or the cloud.
    pub fn next_dot(&self, replica: ReplicaId) -> Dot {
        let seen = self.seen();
        if seen.cloud.is_empty() {
            return seen.vv.next_dot(replica);
        }
        let in_cloud = seen
            .cloud
            .of_replica(replica)
            .next_back()
            .map_or(0, |d| d.counter);
        let top = seen.vv.get(replica).max(in_cloud);
        Dot::new(replica, top.saturating_add(1))
    }

    /// Takes the dot of `replica`'s next write ([`next_dot`](Self::next_dot)) and
    /// records it as seen: what every local write does first.
    #[inline]
    pub fn next_write(&mut self, replica: ReplicaId) -> Dot {
        if self.seen().cloud.is_empty() {
            return self.seen_mut().vv.bump(replica);
        }
        let dot = self.next_dot(replica);
        self.insert(dot);
        dot
    }

    /// Whether every dot of this context is in `other`.
    pub fn is_subset_of(&self, other: &CausalContext) -> bool {
        let (mine, theirs) = (self.seen(), other.seen());
        mine.vv.iter().all(|(replica, top)| {
            let their_top = theirs.vv.get(replica);
            // Dots beyond their vector must each be in their cloud.
            top <= their_top
                || (their_top + 1..=top).all(|c| theirs.cloud.contains(&Dot::new(replica, c)))
        }) && mine.cloud.iter().all(|d| other.contains(d))
    }

    /// Whether the two contexts may hold a dot in common: `false` only when no
    /// replica has a dot in both (two replicas that have not yet met, each with its
    /// own writes), told from their replicas alone. (A context with many dots past
    /// its vector is taken to share some, not walked: the answer costs no more than
    /// the vector's length.)
    pub fn may_share_dots(&self, other: &CausalContext) -> bool {
        let (mine, theirs) = (self.seen(), other.seen());
        if mine.cloud.len() > 16 {
            return true;
        }
        let names = |seen: &Seen, replica: ReplicaId| {
            seen.vv.get(replica) > 0
                || (!seen.cloud.is_empty() && seen.cloud.of_replica(replica).next().is_some())
        };
        mine.vv.iter().any(|(replica, _)| names(theirs, replica))
            || mine.cloud.iter().any(|dot| names(theirs, dot.replica))
    }

    /// Adds every dot `other` has seen.
    pub fn join_ref(&mut self, other: &CausalContext) {
        let Some(theirs) = other.seen.as_deref() else {
            return;
        };
        if self.seen.is_none() {
            self.seen = Some(Box::new(theirs.clone()));
            return;
        }
        let seen = self.seen_mut();
        seen.vv.join_ref(&theirs.vv);
        // Only the replicas `other` names can have cloud dots that now follow on
        // from the vector: the rest of the cloud was compact before and stays so (a
        // write's small context joins without a pass over a large cloud).
        for (replica, _) in theirs.vv.iter() {
            if seen.cloud.of_replica(replica).next().is_some() {
                seen.compact_replica(replica);
            }
        }
        for dot in theirs.cloud.iter() {
            self.insert(dot);
        }
    }

    /// The contiguous part of the context.
    pub fn version_vector(&self) -> &VersionVector {
        &self.seen().vv
    }

    /// Every dot seen: the vector's ranges, then the cloud. As many as
    /// [`dot_count`](Self::dot_count) says, so check that first for a large context.
    pub fn dots(&self) -> impl Iterator<Item = Dot> + '_ {
        let seen = self.seen();
        seen.vv
            .iter()
            .flat_map(|(replica, top)| (1..=top).map(move |c| Dot::new(replica, c)))
            .chain(seen.cloud.iter())
    }

    /// The dots seen beyond the version vector, in order.
    pub fn cloud(&self) -> impl Iterator<Item = Dot> + '_ {
        self.seen().cloud.iter()
    }

    /// The context minus what `store_dots` (sorted, distinct, all in this context)
    /// already says: the vector entries not made up entirely of those dots, and the
    /// cloud dots not among them. Encoders write this instead of the whole context,
    /// and decoders add the store's dots back, so a delta does not spell its dots
    /// twice.
    pub fn residual(&self, store_dots: &[Dot]) -> (VersionVector, DotSet) {
        let seen = self.seen();
        let mut vv = VersionVector::new();
        for (replica, top) in seen.vv.iter() {
            let from = store_dots.partition_point(|d| *d < Dot::new(replica, 1));
            let to = store_dots.partition_point(|d| *d <= Dot::new(replica, top));
            if (to - from) as u64 != top {
                vv.set(replica, top);
            }
        }
        let cloud = seen
            .cloud
            .iter()
            .filter(|d| store_dots.binary_search(d).is_err())
            .collect();
        (vv, cloud)
    }

    /// How many dots the context holds.
    pub fn dot_count(&self) -> u128 {
        let seen = self.seen();
        let contiguous: u128 = seen.vv.iter().map(|(_, c)| u128::from(c)).sum();
        contiguous + seen.cloud.len() as u128
    }

    /// Whether nothing has been seen.
    pub fn is_empty(&self) -> bool {
        let seen = self.seen();
        seen.vv.is_empty() && seen.cloud.is_empty()
    }
}

impl Seen {
    /// Folds `replica`'s cloud dots that extend the vector into it and drops those it
    /// covers.
    fn compact_replica(&mut self, replica: ReplicaId) {
        let mut top = self.vv.get(replica);
        let mut absorbs = false;
        for dot in self.cloud.of_replica(replica) {
            if dot.counter <= top + 1 {
                top = top.max(dot.counter);
                absorbs = true;
            } else {
                break;
            }
        }
        if absorbs {
            self.cloud.remove_through(replica, top);
            self.vv.set(replica, top);
        }
    }
}

impl Lattice for CausalContext {
    fn join(&mut self, other: Self) {
        if self.seen.is_none() {
            *self = other;
            return;
        }
        self.join_ref(&other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(r: u64, c: u64) -> Dot {
        Dot::new(ReplicaId::new(r), c)
    }

    #[test]
    fn out_of_order_dots_compact_when_gap_fills() {
        let mut ctx = CausalContext::from_dots([dot(1, 3), dot(1, 5), dot(2, 1)]);
        assert_eq!(ctx.version_vector().get(ReplicaId::new(2)), 1);
        assert_eq!(ctx.cloud().collect::<Vec<_>>(), vec![dot(1, 3), dot(1, 5)]);
        ctx.extend([dot(1, 1), dot(1, 2)]);
        assert_eq!(ctx.version_vector().get(ReplicaId::new(1)), 3);
        assert_eq!(ctx.cloud().collect::<Vec<_>>(), vec![dot(1, 5)]);
        ctx.insert(dot(1, 4));
        assert_eq!(ctx.version_vector().get(ReplicaId::new(1)), 5);
        assert_eq!(ctx.cloud().count(), 0);
    }

    /// An empty context is one pointer and allocates nothing (every value embedded in
    /// a map keeps one); an allocated empty one is the same context.
    #[test]
    fn an_empty_context_is_a_pointer_and_equals_an_allocated_empty_one() {
        use std::hash::BuildHasher;
        assert_eq!(
            std::mem::size_of::<CausalContext>(),
            std::mem::size_of::<usize>()
        );
        assert!(CausalContext::new().seen.is_none());
        assert!(CausalContext::from_dots([]).seen.is_none());
        assert!(CausalContext::from_version_vector(VersionVector::new())
            .seen
            .is_none());
        let allocated = CausalContext {
            seen: Some(Box::default()),
        };
        assert_eq!(allocated, CausalContext::new());
        assert!(allocated.is_empty());
        let hasher = std::collections::hash_map::RandomState::new();
        assert_eq!(
            hasher.hash_one(&allocated),
            hasher.hash_one(CausalContext::new())
        );
        let mut joined = CausalContext::new();
        joined.join(CausalContext::from_dots([dot(1, 1)]));
        joined.join(allocated.clone());
        joined.join_ref(&CausalContext::new());
        assert_eq!(joined, CausalContext::from_dots([dot(1, 1)]));
    }

    #[test]
    fn canonical_form_makes_equal_sets_equal() {
        let a = CausalContext::from_dots([dot(1, 1), dot(1, 2), dot(1, 4)]);
        let mut b = CausalContext::from_dots([dot(1, 4)]);
        b.join(CausalContext::from_dots([dot(1, 2), dot(1, 1)]));
        assert_eq!(a, b);
    }

    #[test]
    fn next_dot_looks_past_the_cloud() {
        let ctx = CausalContext::from_dots([dot(1, 1), dot(1, 7)]);
        assert_eq!(ctx.next_dot(ReplicaId::new(1)), dot(1, 8));
        assert_eq!(ctx.next_dot(ReplicaId::new(2)), dot(2, 1));
    }

    #[test]
    fn subset_looks_into_the_cloud() {
        let small = CausalContext::from_dots([dot(1, 1), dot(1, 2), dot(2, 5)]);
        let big = CausalContext::from_dots([dot(1, 1), dot(1, 2), dot(1, 3), dot(2, 5)]);
        assert!(small.is_subset_of(&big));
        assert!(!big.is_subset_of(&small));
        let gappy = CausalContext::from_dots([dot(1, 2), dot(2, 5)]);
        assert!(!small.is_subset_of(&gappy));
        assert!(gappy.is_subset_of(&small));
    }

    proptest::proptest! {
        /// The two fast constructors build the context the general path builds.
        #[test]
        fn fast_constructors_equal_inserting_one_by_one(
            dots in proptest::collection::vec((1u64..4, 0u64..6), 0..6),
        ) {
            let dots: Vec<Dot> = dots.into_iter().map(|(r, c)| dot(r, c)).collect();
            let mut general = CausalContext::new();
            for d in &dots {
                general.insert(*d);
            }
            proptest::prop_assert_eq!(&CausalContext::from_dots(dots.iter().copied()), &general);
            let mut sorted = dots.clone();
            sorted.sort_unstable();
            proptest::prop_assert_eq!(&CausalContext::from_dots(sorted), &general);
            if let [a, b] = dots[..] {
                proptest::prop_assert_eq!(&CausalContext::from_two_dots(a, b), &general);
            }
        }
    }

    proptest::proptest! {
        /// Recording a store's unseen dots in any order, whole replicas at once,
        /// builds the context that inserting them in order builds.
        #[test]
        fn unseen_dots_in_any_order_equal_inserting_in_order(
            seen in proptest::collection::vec((1u64..5, 0u64..8), 0..6),
            whole in proptest::collection::vec((1u64..5, 0u64..12), 0..4),
            more in proptest::collection::vec((1u64..12, 0u64..12), 0..12),
            order in proptest::collection::vec(proptest::prelude::any::<u32>(), 40),
        ) {
            let base = CausalContext::from_dots(seen.iter().map(|&(r, c)| dot(r, c)));
            // Whole replicas (writes 1..=n), and scattered dots, unseen and distinct.
            let mut dots: Vec<Dot> = whole
                .iter()
                .flat_map(|&(r, n)| (1..=n).map(move |c| dot(r, c)))
                .chain(more.iter().map(|&(r, c)| dot(r, c)))
                .filter(|d| !base.contains(*d))
                .collect();
            dots.sort_unstable();
            dots.dedup();
            let mut general = base.clone();
            general.extend(dots.iter().copied());
            // Shuffled by the random keys.
            let mut keyed: Vec<(u32, Dot)> = dots.iter().enumerate().map(|(i, d)| (order[i % order.len()] ^ i as u32, *d)).collect();
            keyed.sort_unstable();
            let mut fast = base;
            fast.insert_unseen(keyed.into_iter().map(|(_, d)| d).collect());
            proptest::prop_assert_eq!(&fast, &general);
        }
    }

    /// Regression guard for delta exactness: a lone later dot must never be compacted
    /// into a vector that would claim the earlier dots too.
    #[test]
    fn lone_dot_does_not_claim_its_predecessors() {
        let ctx = CausalContext::from_dots([dot(1, 2)]);
        assert!(!ctx.contains(dot(1, 1)));
        assert_eq!(ctx.version_vector().get(ReplicaId::new(1)), 0);
    }
}
