//! Joining the deltas of many local writes cheaply: [`WriteDeltas`] keeps them per
//! first key of their paths, where a write's delta that replaces the one before it
//! at the same path (a register's or a counter's next write) stands for both, and
//! joins the keys' deltas side by side when taken. [`Document::write_all`] joins a
//! change's deltas so, and the JavaScript package the deltas pending for
//! `takeDelta()`.
//!
//! [`Document::write_all`]: crate::Document::write_all

use std::collections::HashMap;

use converge_core::{Causal, CausalContext, DotMap, DotStore, Embeddable, Embedded};
use foldhash::fast::RandomState;

use crate::ormap::Entry;
use crate::{Document, Node, Write};

/// The writes whose delta replaces the delta of an earlier write of the same class
/// at the same path: the later delta holds all the earlier one still holds (its new
/// dot replaced the earlier one's, and its context names it), so their join is the
/// later delta with the earlier one's context added.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Replacing {
    /// A last-writer-wins register's write.
    Set,
    /// A multi-value register's write.
    SetMulti,
    /// A counter's change (its entry for this replica, a running total).
    Count,
    /// A flag's enable.
    Enable,
}

/// What a [`Write`]'s delta replaces of the delta of the write before it at the same
/// path (see [`WriteDeltas::push`]); from [`Write::class`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct WriteClass(Option<Replacing>);

impl Write {
    /// The write's class, for [`WriteDeltas::push`] (take it before the write is
    /// applied: applying it takes the write).
    pub fn class(&self) -> WriteClass {
        WriteClass(match self {
            Write::Set(_) => Some(Replacing::Set),
            Write::SetMulti(_) => Some(Replacing::SetMulti),
            Write::Increment(_) | Write::Decrement(_) => Some(Replacing::Count),
            Write::Enable => Some(Replacing::Enable),
            _ => None,
        })
    }
}

/// The join of the deltas of local writes to one document, kept per first key of
/// their paths under one context: [`into_delta`](Self::into_delta) gives the same
/// document as joining every delta pushed, and each push costs the write's delta,
/// whatever the size of the join so far (a write that replaces the write before it
/// at the same path costs no join at all).
///
/// Each delta must be the one [`Document::write`](crate::Document::write) returned
/// for a write at its path, pushed in the order written: its entries and the dots its
/// context names are then all under the path's first key, so the deltas of
/// different keys join side by side.
///
/// ```
/// use converge_core::{Hlc, Lattice, ManualClock, ReplicaId};
/// use converge_ormap::{Document, Policies, Value, Write, WriteDeltas, WriteGuard};
///
/// let policies = Policies::new();
/// let guard = WriteGuard { writer: ReplicaId::new(1), policies: &policies, if_match: None };
/// let mut clock = Hlc::new(ManualClock::new(1_000));
/// let (mut doc, mut joined, mut deltas) = (Document::new(), Document::new(), WriteDeltas::new());
/// for (key, n) in [("a", 1), ("b", 2), ("a", 3)] {
///     let write = Write::Set(Value::Int(n));
///     let class = write.class();
///     let delta = doc.write(&[key], write, &guard, &mut clock)?;
///     joined.join(delta.clone());
///     deltas.push(&[key.to_string()], class, delta);
/// }
/// assert_eq!(deltas.into_delta(), joined);
/// # Ok::<(), converge_ormap::Error>(())
/// ```
#[derive(Default, Debug)]
pub struct WriteDeltas {
    by_key: HashMap<String, KeyDelta, RandomState>,
    /// The join of the deltas' contexts.
    context: CausalContext,
}

impl WriteDeltas {
    /// No deltas.
    pub fn new() -> Self {
        Self::default()
    }

    /// `delta` (the join of local write deltas so far, or any document delta) as
    /// the join to push more deltas onto: its entries per key, under its context.
    pub fn from_delta(delta: Document) -> Self {
        let Causal { store, context } = delta.into_causal();
        let by_key = store
            .into_entries()
            .map(|(key, store)| (key, KeyDelta { last: None, store }))
            .collect();
        WriteDeltas { by_key, context }
    }

    /// Whether the join is the empty delta.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty() && self.context.is_empty()
    }

    /// Joins in `delta`, the delta of a write of class `class` at `path` (see the
    /// type's requirements). A delta at the empty path (which writes nothing) is
    /// left out.
    pub fn push(&mut self, path: &[String], class: WriteClass, delta: Document) {
        let Causal { store, context } = delta.into_causal();
        // The write's delta holds at most its path's first key.
        let one = store
            .into_entries()
            .next()
            .map(|(_, s)| s)
            .unwrap_or_default();
        self.push_entry(path, class, Causal::new(one, context));
    }

    /// [`push`](Self::push) for a write's delta given as its entry under the path's
    /// first key (see [`Entry`]).
    pub(crate) fn push_entry(&mut self, path: &[String], class: WriteClass, entry: Entry<Node>) {
        let Some(first) = path.first() else {
            return;
        };
        let Causal {
            store: one,
            context,
        } = entry;
        match self.by_key.get_mut(first.as_str()) {
            Some(key_delta) => {
                let replaces = match (&key_delta.last, class.0) {
                    (Some((last_rest, last)), Some(class)) => {
                        *last == class && last_rest.as_slice() == &path[1..]
                    }
                    _ => false,
                };
                if replaces {
                    // Its context names every dot the join holds under the key.
                    key_delta.store = one;
                } else {
                    key_delta.store.join(&self.context, one, &context);
                    key_delta.last = None;
                }
            }
            None => {
                // Its dots are new: none is in the join's context.
                let last = class.0.map(|class| (path[1..].to_vec(), class));
                self.by_key
                    .insert(first.clone(), KeyDelta { last, store: one });
            }
        }
        self.context.join_ref(&context);
    }

    /// Joins in `delta`, the delta of a change (several writes, as
    /// [`Document::write_all`](crate::Document::write_all) returns) whose writes'
    /// paths are `paths`: each write's entries and dots are under its path's first
    /// key, so only those keys are joined.
    pub fn push_change<P: AsRef<[String]>>(&mut self, paths: &[P], delta: Document) {
        let Causal { store, context } = delta.into_causal();
        // Each key's entry, taken when joined, so each key is joined once (the map
        // type of the join's keys: one copy of the map code). An entry is never empty.
        let mut entries: HashMap<String, KeyDelta, RandomState> = store
            .into_entries()
            .map(|(key, store)| (key, KeyDelta { last: None, store }))
            .collect();
        for first in paths.iter().filter_map(|p| p.as_ref().first()) {
            match entries.get_mut(first.as_str()) {
                Some(entry) => {
                    if !DotStore::is_empty(&entry.store) {
                        let one = std::mem::take(&mut entry.store);
                        self.join_key(first, one, &context);
                    }
                }
                None => {
                    // A key a write left no entry under (a removal's).
                    self.join_key(first, Embedded::default(), &context);
                    let done = KeyDelta {
                        last: None,
                        store: Embedded::default(),
                    };
                    entries.insert(first.clone(), done);
                }
            }
        }
        // (No entry is under a key no path begins with; any would join all the same.)
        for (key, entry) in entries {
            if !DotStore::is_empty(&entry.store) {
                self.join_key(&key, entry.store, &context);
            }
        }
        self.context.join_ref(&context);
    }

    /// Joins `one`, the entry under `key` of a delta of context `context`.
    fn join_key(&mut self, key: &str, one: Embedded<Node>, context: &CausalContext) {
        match self.by_key.get_mut(key) {
            Some(key_delta) => {
                key_delta.store.join(&self.context, one, context);
                key_delta.last = None;
            }
            None => {
                let mut store = Embedded::default();
                store.join(&self.context, one, context);
                let key_delta = KeyDelta { last: None, store };
                self.by_key.insert(key.to_owned(), key_delta);
            }
        }
    }

    /// The join of every delta pushed.
    pub fn into_delta(self) -> Document {
        let entries = self.by_key.into_iter().map(|(key, kd)| (key, kd.store));
        let store = DotMap::from_entries(entries);
        Document::from_causal(Causal::new(store, self.context))
    }
}

/// The join of the deltas of writes under one first key.
#[derive(Debug)]
struct KeyDelta {
    /// The last write's path after the key (empty for the key itself: no allocation
    /// for a top-level write) and class, while `store` is the join of writes of that
    /// class at that path only: a next write of that class there replaces it.
    last: Option<(Vec<String>, Replacing)>,
    /// The join's entry under the key.
    store: Embedded<Node>,
}
