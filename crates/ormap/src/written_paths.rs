//! The delta of many local writes, read back from the document when it is wanted:
//! [`WrittenPaths`] keeps only the paths written and the dots the writes wrote and
//! replaced, so a write costs a path lookup and a context join, whatever the shape of
//! the document, and the delta is built once, from the written parts of the state.
//!
//! Used by the JavaScript package for the deltas pending for `takeDelta()`: joining
//! each write's delta into the pending delta cost a causal join at every level of a
//! nested path (a third of a nested write).

use std::collections::HashSet;

use converge_core::{
    Causal, CausalContext, Dot, DotMap, DotStore, Embeddable, Embedded, ReplicaId,
};
use foldhash::fast::RandomState;

use crate::{Document, LeafDelta, Node};

/// The join of the deltas of local writes to one document, kept as the paths they
/// wrote and the dots their contexts name (the dots they wrote and those they
/// replaced), and read back from the document by [`delta_from`](Self::delta_from).
///
/// [`record`](Self::record) each delta that [`Document::write`] or
/// [`Document::write_all`] returned for writes by `writer`, in the order written,
/// with the paths written; then `delta_from(&doc)` is the join of those deltas when
/// nothing else changed the document in between. When merges did (another replica's
/// writes), it holds what the document holds now of the dots the writes wrote: a
/// write another replica has since overwritten is gone from it, as it is from the
/// document. Either way it is part of the document's state (joining it into the
/// document changes nothing), and a replica that joins it and the merged deltas reads
/// what the document reads.
///
/// The writer's dots are numbered in order, so the dots the writes wrote are one run
/// of the writer's counters, kept as its two ends: a write costs a path lookup, not
/// an insertion into a context of every dot written so far. (A dot of the writer's
/// past a gap in that run, which only another replica writing as the same writer
/// could leave, is kept on its own.)
///
/// ```
/// use converge_core::{Hlc, Lattice, ManualClock, ReplicaId};
/// use converge_ormap::{Document, Policies, Value, Write, WriteGuard, WrittenPaths};
///
/// let me = ReplicaId::new(1);
/// let policies = Policies::new();
/// let guard = WriteGuard { writer: me, policies: &policies, if_match: None };
/// let mut clock = Hlc::new(ManualClock::new(1_000));
/// let (mut doc, mut joined, mut written) = (Document::new(), Document::new(), WrittenPaths::new(me));
/// for (key, n) in [("a", 1), ("b", 2), ("a", 3)] {
///     let path = ["users".to_string(), key.to_string()];
///     let delta = doc.write(&["users", key], Write::Set(Value::Int(n)), &guard, &mut clock)?;
///     written.record(&path, &delta);
///     joined.join(delta);
/// }
/// assert_eq!(written.delta_from(&doc), joined);
/// # Ok::<(), converge_ormap::Error>(())
/// ```
#[derive(Debug)]
pub struct WrittenPaths {
    /// Each path written, once.
    paths: HashSet<Vec<String>, RandomState>,
    /// Whose writes these are.
    writer: ReplicaId,
    /// The run of the writer's counters the writes' contexts name, from the first
    /// dot written on, while they follow on (`None` before a dot is written).
    run: Option<(u64, u64)>,
    /// The other dots the contexts name: dots replaced from before the run, other
    /// replicas' dots replaced, and any of the writer's past a gap in its counters.
    others: CausalContext,
}

impl WrittenPaths {
    /// No writes yet, by `writer`.
    pub fn new(writer: ReplicaId) -> Self {
        WrittenPaths {
            paths: HashSet::default(),
            writer,
            run: None,
            others: CausalContext::new(),
        }
    }

    /// Whether no write that changed anything was recorded.
    pub fn is_empty(&self) -> bool {
        self.run.is_none() && self.others.is_empty()
    }

    /// Records `delta`, the delta of a write at `path` (the empty path writes
    /// nothing).
    pub fn record(&mut self, path: &[String], delta: &Document) {
        self.record_path(path);
        self.record_context(delta);
    }

    /// [`record`](Self::record) for the write's delta as its [`LeafDelta`] (from
    /// [`Document::write_leaf`]): the same record, with no root delta built for it.
    pub fn record_leaf(&mut self, path: &[String], leaf: &LeafDelta) {
        self.record_path(path);
        self.record_dots(&|f| leaf.for_each_dot(f), leaf.context());
    }

    /// Records `delta`, the delta of a change whose writes' paths are `paths`.
    pub fn record_change<P: AsRef<[String]>>(&mut self, paths: &[P], delta: &Document) {
        for path in paths {
            self.record_path(path.as_ref());
        }
        self.record_context(delta);
    }

    fn record_path(&mut self, path: &[String]) {
        if !path.is_empty() && !self.paths.contains(path) {
            self.paths.insert(path.to_vec());
        }
    }

    /// Adds the dots `delta`'s context names.
    fn record_context(&mut self, delta: &Document) {
        let Causal { store, context } = delta.as_causal();
        self.record_dots(&|f| store.for_each_dot(f), context);
    }

    /// Adds the dots `context` names, the context of a delta whose dots
    /// `for_each_dot` passes on.
    fn record_dots(&mut self, for_each_dot: ForEachDot<'_>, context: &CausalContext) {
        if self.run.is_none() {
            // The run starts at the first dot written (a dot of the writer's the
            // delta holds): the writer's next dots all go to recorded writes.
            let mut first = None;
            for_each_dot(&mut |dot: Dot| {
                if dot.replica == self.writer && !first.is_some_and(|f| dot.counter >= f) {
                    first = Some(dot.counter);
                }
            });
            self.run = first.map(|f| (f, f));
        }
        for dot in context.dots() {
            match &mut self.run {
                Some((from, to)) if dot.replica == self.writer => {
                    if (*from..=*to).contains(&dot.counter) {
                        continue;
                    }
                    if dot.counter == *to + 1 {
                        *to = dot.counter;
                        continue;
                    }
                    // Before the run, or past a counter the writes did not take.
                    self.others.insert(dot);
                }
                _ => self.others.insert(dot),
            }
        }
    }

    /// The delta of the recorded writes, read from `doc`, the document they were
    /// applied to (see the type's docs): under each path written, what `doc` holds
    /// of the dots the writes wrote, under the join of the writes' contexts.
    pub fn delta_from(&self, doc: &Document) -> Document {
        let mut paths: Vec<&[String]> = self.paths.iter().map(Vec::as_slice).collect();
        // Sorted, the paths under one key are side by side, a path before those it
        // is a prefix of.
        converge_core::sort_stable_by(&mut paths, |a, b| a.cmp(b));
        let state = doc.as_causal();
        let written = Written {
            writer: self.writer,
            run: self.run,
            others: &self.others,
            all: &state.context,
        };
        let store = written.part_of(&state.store, &paths, 0);
        let mut context = self.others.clone();
        if let Some((from, to)) = self.run {
            context.extend((from..=to).map(|counter| Dot::new(self.writer, counter)));
        }
        Document::from_causal(Causal::new(store, context))
    }
}

/// Passes each dot of a delta's store to the function it is given.
type ForEachDot<'a> = &'a dyn Fn(&mut dyn FnMut(Dot));

/// What [`WrittenPaths::delta_from`] reads the document with.
struct Written<'a> {
    /// Whose writes these are.
    writer: ReplicaId,
    /// The run of the writer's counters the writes' contexts name.
    run: Option<(u64, u64)>,
    /// The other dots they name.
    others: &'a CausalContext,
    /// The document's context (every dot it holds is in it).
    all: &'a CausalContext,
}

impl Written<'_> {
    /// Whether a dot the document holds was written by the recorded writes (the
    /// dots their contexts name that the document still holds).
    fn wrote(&self, dot: Dot) -> bool {
        let in_run = self.run.is_some_and(|(from, to)| {
            dot.replica == self.writer && (from..=to).contains(&dot.counter)
        });
        in_run || self.others.contains(dot)
    }

    /// The part of `map` under `paths` (sorted, each longer than `depth`; `map` is
    /// the map their first `depth` keys lead to) that holds written dots.
    fn part_of(
        &self,
        map: &DotMap<String, Embedded<Node>>,
        paths: &[&[String]],
        depth: usize,
    ) -> DotMap<String, Embedded<Node>> {
        let mut entries = Vec::new();
        let mut rest = paths;
        while let Some(key) = rest.first().and_then(|p| p.get(depth)) {
            let same_key = rest
                .iter()
                .position(|p| p.get(depth) != Some(key))
                .unwrap_or(rest.len());
            let (group, next) = rest.split_at(same_key);
            rest = next;
            let Some(node) = map.get(key) else {
                continue; // nothing written there is left
            };
            let part = match group.first() {
                // The key itself was written: all of it that holds written dots.
                Some(path) if path.len() == depth + 1 => self.node_part(node),
                // Only keys under it: the part of its nested map under them.
                _ => node.get().get::<Document>().and_then(|nested| {
                    let store = self.part_of(&nested.as_causal().store, group, depth + 1);
                    (!DotStore::is_empty(&store)).then(|| Node::of_map(store))
                }),
            };
            if let Some(part) = part {
                entries.push((key.clone(), part));
            }
        }
        DotMap::from_entries(entries)
    }

    /// `node` with only its written dots, or `None` if it holds none.
    fn node_part(&self, node: &Embedded<Node>) -> Option<Embedded<Node>> {
        let mut unwritten = Vec::new();
        node.for_each_dot(&mut |dot: Dot| {
            if !self.wrote(dot) {
                unwritten.push(dot);
            }
        });
        let mut part = node.clone();
        if !unwritten.is_empty() {
            // The causal join with a side that has seen (and dropped) exactly the
            // unwritten dots keeps the rest.
            part.join(
                self.all,
                Embedded::default(),
                &CausalContext::from_dots(unwritten),
            );
        }
        (!DotStore::is_empty(&part)).then_some(part)
    }
}
