//! A write's delta without the maps around it: [`LeafDelta`] is the delta of the node a
//! write changed at the end of its path, under the whole write's context. A write
//! down a path makes it once and hands it up through every map on the way (each map
//! reads its dots to index them); the root delta wraps it in one map per key only if
//! it is wanted ([`into_delta`](LeafDelta::into_delta)), and a caller that keeps only
//! the dots a write wrote and replaced ([`WrittenPaths`](crate::WrittenPaths)) reads
//! them from the leaf, with no map built, and none dropped.

use converge_core::{Causal, CausalContext, Dot, DotMap, DotStore};

use crate::ormap::Entry;
use crate::{Document, Node};

/// The delta of one document write as the node it changed, at the end of its path:
/// that node's delta (the dots the write wrote), under the context of the whole
/// write (the dots it wrote and every dot it replaced on the way). It holds what the
/// root delta holds, without a map for each key above the node.
///
/// [`Document::write_leaf`] returns it; [`into_delta`](Self::into_delta), given the
/// path written, is what [`Document::write`] returns for the same write.
///
/// ```
/// use converge_core::{Hlc, ManualClock, ReplicaId};
/// use converge_ormap::{Document, Policies, Value, Write, WriteGuard};
///
/// let policies = Policies::new();
/// let guard = WriteGuard { writer: ReplicaId::new(1), policies: &policies, if_match: None };
/// let (mut a, mut b) = (Document::new(), Document::new());
/// let path = ["users", "ada", "age"];
/// let delta = a.write(&path, Write::Set(Value::Int(36)), &guard, &mut Hlc::new(ManualClock::new(1)))?;
/// let leaf = b.write_leaf(&path, Write::Set(Value::Int(36)), &guard, &mut Hlc::new(ManualClock::new(1)))?;
/// assert_eq!((a, delta), (b, leaf.into_delta(&path)));
/// # Ok::<(), converge_ormap::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Debug)]
pub struct LeafDelta {
    /// The changed node's delta and the write's context.
    entry: Entry<Node>,
    /// How many keys of the path lead to the changed node (the path's length, or one
    /// less for a removal, which changes the map holding the key; 0 for the empty
    /// path, which writes nothing).
    depth: usize,
}

impl LeafDelta {
    /// The delta `entry` of the node that `depth` keys of a path lead to.
    pub(crate) fn new(entry: Entry<Node>, depth: usize) -> Self {
        LeafDelta { entry, depth }
    }

    /// Whether the write changed nothing (its root delta is the bottom).
    pub fn is_bottom(&self) -> bool {
        DotStore::is_empty(&self.entry.store) && self.entry.context.is_empty()
    }

    /// The write's context: the dots it wrote and those it replaced.
    pub fn context(&self) -> &CausalContext {
        &self.entry.context
    }

    /// The write's dots (those the root delta holds), each passed to `f`.
    pub fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        self.entry.store.for_each_dot(f);
    }

    /// The root delta of the write made at `path` (the path given to
    /// [`Document::write_leaf`]): what [`Document::write`] returns for it.
    pub fn into_delta(self, path: &[&str]) -> Document {
        match path.first() {
            Some(first) => Document::from_entry((*first).to_owned(), self.into_entry(path)),
            None => Document::new(),
        }
    }

    /// The root delta's entry under `path`'s first key: the node's delta in a map
    /// under each key from the second to the node's.
    pub(crate) fn into_entry(self, path: &[&str]) -> Entry<Node> {
        let Some(inner) = path.get(1..self.depth).filter(|keys| !keys.is_empty()) else {
            // The node is under the first key (a write at the top, nearly all).
            return self.entry;
        };
        let Causal { mut store, context } = self.entry;
        for key in inner.iter().rev() {
            store = Node::of_map(DotMap::with_one((*key).to_owned(), store));
        }
        Causal::new(store, context)
    }
}
