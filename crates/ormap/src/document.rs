//! Paths into a [`Document`]: mutate or read a value nested any depth down, getting
//! back the root delta that carries only that change.

use std::cell::Cell;

use crate::node::ValuesChecked;
use crate::ormap::Entry;
use crate::{Document, Error, LeafDelta, Node, NodeKind};

/// A mutator borrowed for the walk down a path, as a trait object (a generic closure
/// would make the recursion instantiate without end), called once (a boxed `FnOnce`
/// would allocate for each write).
type Mutator<'a, T, E> = &'a mut dyn FnMut(&mut T) -> Result<T, E>;

/// The longest path a document write or remove may use: a longer one is refused with
/// [`Error::PathTooLong`].
///
/// Each key of a path nests the encoding two levels deeper, a register adds at most
/// three, and a value its own depth; the decoder refuses more than
/// [`MAX_DEPTH`](converge_core::MAX_DEPTH) (128) levels. With paths up to this long and
/// values nested up to [`MAX_VALUE_DEPTH`] levels, a document nests at most
/// 2 × 32 + 3 + 32 = 99 levels, so every state, delta and sync message stays
/// decodable by every replica, with room to spare for the sync message around it.
pub const MAX_PATH_LEN: usize = 32;

/// How deeply a [`Value`](crate::Value) written into a document may nest (arrays and
/// objects; see [`Value::depth`](crate::Value::depth)): a deeper one is refused with
/// [`Error::ValueTooDeep`]. See [`MAX_PATH_LEN`] for why.
pub const MAX_VALUE_DEPTH: usize = 32;

thread_local! {
    /// How many maps deep the write running on this thread is: 0 at a root document,
    /// one more inside each nested map's mutator (see [`one_map_deeper`]).
    static NESTING: Cell<usize> = const { Cell::new(0) };
}

/// How many keys lead to the map the current write on this thread starts from.
pub(crate) fn nesting() -> usize {
    NESTING.with(Cell::get)
}

/// Runs `f`, a mutator of the map under one more key, with the nesting one deeper; so
/// a write nested inside another write's mutator counts the keys above it too.
pub(crate) fn one_map_deeper<R>(f: impl FnOnce() -> R) -> R {
    /// Puts the nesting back as it was, even if `f` unwinds.
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            NESTING.with(|n| n.set(self.0));
        }
    }
    let _restore = Restore(NESTING.with(|n| n.replace(n.get().saturating_add(1))));
    f()
}

/// Refuses a write whose keys, with those above the map it starts from, are more than
/// [`MAX_PATH_LEN`].
pub(crate) fn check_path_len(keys: usize) -> Result<(), Error> {
    let len = nesting().saturating_add(keys);
    if len > MAX_PATH_LEN {
        return Err(Error::PathTooLong {
            len,
            max: MAX_PATH_LEN,
        });
    }
    Ok(())
}

/// Refuses a path too long for where the write starts (see [`check_path_len`]).
fn check_path(path: &[&str]) -> Result<(), Error> {
    check_path_len(path.len())
}

impl Document {
    /// Runs `mutate` on the CRDT of kind `T` at `path` (nested maps are created as
    /// needed) and returns the root delta. An empty path is the identity: nothing
    /// changes and the delta is empty.
    ///
    /// A write supersedes what it has seen: a write that writes a value (a dot)
    /// replaces the parts of other kinds this replica has observed at `path` and at
    /// every key on the way (where the write is a nested map's), as
    /// [`Node::try_update`] explains; `set(["m"], 7)` after `set(["m", "x"], 1)` reads
    /// `7`, and `set(["m", "x"], 1)` after `set(["m"], 7)` reads `{x: 1}`. Only a write
    /// of another kind made concurrently elsewhere stays beside it.
    ///
    /// A path longer than [`MAX_PATH_LEN`] keys is refused with
    /// [`Error::PathTooLong`], and a write of a value nested deeper than
    /// [`MAX_VALUE_DEPTH`] with [`Error::ValueTooDeep`]; either way the document is
    /// left unchanged, so every state this replica makes can be decoded by its peers.
    ///
    /// ```
    /// use converge_ormap::{Document, Error};
    /// use converge_orset::OrSet;
    /// use converge_core::{Lattice, ReplicaId};
    ///
    /// let me = ReplicaId::new(1);
    /// let mut doc = Document::new();
    /// let delta = doc.update_at(&["cart", "items"], |items: &mut OrSet<_>| {
    ///     items.add(me, "apple".into())
    /// })?;
    /// let mut elsewhere = Document::new();
    /// elsewhere.join(delta);
    /// assert_eq!(elsewhere, doc);
    ///
    /// let too_long = ["k"; 33];
    /// let refused = doc.update_at(&too_long, |items: &mut OrSet<_>| items.add(me, "x".into()));
    /// assert_eq!(refused, Err(Error::PathTooLong { len: 33, max: 32 }));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn update_at<T: NodeKind>(
        &mut self,
        path: &[&str],
        mutate: impl FnOnce(&mut T) -> T,
    ) -> Result<Document, Error> {
        self.try_update_at(path, |value: &mut T| Ok::<T, Error>(mutate(value)))
    }

    /// [`update_at`](Self::update_at) for fallible mutators (your own, over the
    /// value types): an error is returned as is, and the mutator must leave the value
    /// unchanged when it fails. The error type takes the document's own refusals
    /// ([`Error`]) too.
    pub fn try_update_at<T: NodeKind, E: From<Error>>(
        &mut self,
        path: &[&str],
        mutate: impl FnOnce(&mut T) -> Result<T, E>,
    ) -> Result<Document, E> {
        let leaf = self.try_update_leaf_at(path, ValuesChecked::After, mutate)?;
        Ok(leaf.into_delta(path))
    }

    /// [`try_update_at`](Self::try_update_at)'s delta as its [`LeafDelta`], its
    /// values checked as `values` says.
    pub(crate) fn try_update_leaf_at<T: NodeKind, E: From<Error>>(
        &mut self,
        path: &[&str],
        values: ValuesChecked,
        mutate: impl FnOnce(&mut T) -> Result<T, E>,
    ) -> Result<LeafDelta, E> {
        check_path(path)?;
        // The walk calls it once, so `take` always finds the mutator.
        let mut once = Some(mutate);
        let mut mutate = |value: &mut T| match once.take() {
            Some(mutate) => mutate(value),
            None => Ok(T::default()),
        };
        self.update_boxed(path, &mut mutate, values)
    }

    /// The write of kind `T` at the end of `path` (the only part generic over the node
    /// kind: the walk down the path is [`update_path`](Self::update_path), one
    /// copy per error type instead of one per node kind).
    fn update_boxed<T: NodeKind, E: From<Error>>(
        &mut self,
        path: &[&str],
        mutate: Mutator<'_, T, E>,
        values: ValuesChecked,
    ) -> Result<LeafDelta, E> {
        // Borrowed, not boxed (a write allocates nothing more for the walk).
        let mut leaf = |node: &mut Node| node.try_update_checked::<T, E>(&mut *mutate, values);
        self.update_path(path, &mut leaf)
    }

    /// Runs `mutate` once on the node at `path` (nested maps made as needed) and
    /// returns its [`LeafDelta`] (the empty path writes nothing).
    fn update_path<E: From<Error>>(
        &mut self,
        path: &[&str],
        mutate: &mut dyn FnMut(&mut Node) -> Result<Node, E>,
    ) -> Result<LeafDelta, E> {
        let Some((key, parents)) = path.split_last() else {
            return Ok(LeafDelta::default());
        };
        let entry = self.update_leaf_at(parents, key, mutate)?;
        Ok(LeafDelta::new(entry, path.len()))
    }

    /// Runs `mutate` once on the node under `key` in the map at `parents` (nested maps
    /// made as needed) and returns that node's delta under the whole write's context
    /// (see [`LeafDelta`]): each map on the way indexes its dots, and none is built
    /// around it.
    fn update_leaf_at<E: From<Error>>(
        &mut self,
        parents: &[&str],
        key: &str,
        mutate: &mut dyn FnMut(&mut Node) -> Result<Node, E>,
    ) -> Result<Entry<Node>, E> {
        match parents {
            [] => self.try_update_entry_by(key, mutate),
            [first, rest @ ..] => self.try_update_with(*first, |node: &mut Node| {
                node.update_map_leaf(|child| child.update_leaf_at(rest, key, mutate))
            }),
        }
    }

    /// Removes the key at the end of `path` from its map, as observed here; returns the
    /// root delta. Writes under it that this replica has not seen survive. A path
    /// longer than [`MAX_PATH_LEN`] is refused with [`Error::PathTooLong`].
    pub fn remove_at(&mut self, path: &[&str]) -> Result<Document, Error> {
        let leaf = self.remove_leaf_at(path)?;
        Ok(leaf.into_delta(path))
    }

    /// [`remove_at`](Self::remove_at)'s delta as its [`LeafDelta`]: the delta of the
    /// map that held the key.
    pub(crate) fn remove_leaf_at(&mut self, path: &[&str]) -> Result<LeafDelta, Error> {
        check_path(path)?;
        Ok(match path {
            [] => LeafDelta::default(),
            [key] => LeafDelta::new(self.remove_entry(&(*key).to_owned()), 1),
            [parent @ .., key] => {
                self.try_update_leaf_at(parent, ValuesChecked::After, |map: &mut Document| {
                    Ok::<Document, Error>(map.remove(&(*key).to_owned()))
                })?
            }
        })
    }

    /// The node at `path`, if every map along it exists.
    pub fn get_at(&self, path: &[&str]) -> Option<&Node> {
        let (last, parents) = path.split_last()?;
        let mut map = self;
        for key in parents {
            map = map.get(&(*key).to_owned())?.get::<Document>()?;
        }
        map.get(&(*last).to_owned())
    }
}
