//! Paths into a [`Document`]: mutate or read a value nested any depth down, getting
//! back the root delta that carries only that change.

use std::convert::Infallible;

use crate::{Document, Node, NodeKind};

/// A mutator boxed for the walk down a path (a generic closure would make the
/// recursion instantiate without end).
type Mutator<'a, T, E> = Box<dyn FnOnce(&mut T) -> Result<T, E> + 'a>;

/// The longest path a document write should use. Each key nests the encoding two
/// levels deeper, and the decoder refuses more than 128 levels: with paths up to this
/// long and values nested up to [`MAX_VALUE_DEPTH`] levels, every document stays
/// decodable, deltas and sync messages included. (The JavaScript layer enforces both
/// limits; Rust callers should keep to them.)
pub const MAX_PATH_LEN: usize = 32;

/// How deeply a [`Value`](crate::Value) written into a document may nest (arrays and
/// objects): see [`MAX_PATH_LEN`].
pub const MAX_VALUE_DEPTH: usize = 32;

impl Document {
    /// Runs `mutate` on the CRDT of kind `T` at `path` (nested maps are created as
    /// needed, beside whatever else the keys on the way hold) and returns the root
    /// delta. An empty path is the identity: nothing changes and the delta is empty.
    ///
    /// ```
    /// use converge_ormap::{Document, OrMap};
    /// use converge_orset::OrSet;
    /// use converge_core::{Lattice, ReplicaId};
    ///
    /// let me = ReplicaId::new(1);
    /// let mut doc = Document::new();
    /// let delta = doc.update_at(&["cart", "items"], |items: &mut OrSet<_>| {
    ///     items.add(me, "apple".into())
    /// });
    /// let mut elsewhere = Document::new();
    /// elsewhere.join(delta);
    /// assert_eq!(elsewhere, doc);
    /// ```
    pub fn update_at<T: NodeKind>(
        &mut self,
        path: &[&str],
        mutate: impl FnOnce(&mut T) -> T,
    ) -> Document {
        match self.try_update_at(path, |value: &mut T| Ok::<T, Infallible>(mutate(value))) {
            Ok(delta) => delta,
            Err(never) => match never {},
        }
    }

    /// [`update_at`](Self::update_at) for fallible mutators (your own, over the
    /// value types): an error is returned as is, and the mutator must leave the value
    /// unchanged when it fails.
    pub fn try_update_at<T: NodeKind, E>(
        &mut self,
        path: &[&str],
        mutate: impl FnOnce(&mut T) -> Result<T, E>,
    ) -> Result<Document, E> {
        self.update_boxed(path, Box::new(mutate))
    }

    fn update_boxed<T: NodeKind, E>(
        &mut self,
        path: &[&str],
        mutate: Mutator<'_, T, E>,
    ) -> Result<Document, E> {
        match path {
            [] => Ok(Document::new()),
            [key] => self.try_update_by(*key, |node: &mut Node| node.try_update::<T, E>(mutate)),
            [key, rest @ ..] => self.try_update_by(*key, |node: &mut Node| {
                node.try_update::<Document, E>(|child| child.update_boxed(rest, mutate))
            }),
        }
    }

    /// Removes the key at the end of `path` from its map, as observed here; returns the
    /// root delta. Writes under it that this replica has not seen survive.
    pub fn remove_at(&mut self, path: &[&str]) -> Document {
        match path {
            [] => Document::new(),
            [key] => self.remove(&(*key).to_owned()),
            [parent @ .., key] => {
                self.update_at(parent, |map: &mut Document| map.remove(&(*key).to_owned()))
            }
        }
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
