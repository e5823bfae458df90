//! Writes as data, and batches of them: [`Write`] names one local document write
//! (set a register, add to a counter, remove a key...), [`Document::write`] applies one
//! under write-time policies, and [`Document::write_all`] applies many as one change
//! with one delta, all or nothing.

use converge_core::{Clock, Hlc};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_orset::OrSet;

use crate::node::ValuesChecked;
use crate::{
    Counter, Document, Error, Flag, LeafDelta, Value, WriteDeltas, WriteGuard, MAX_VALUE_DEPTH,
};

/// One local document write, as data: what [`Document::write`] does at a path.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Sets the last-writer-wins register to the value.
    Set(Value),
    /// Writes the value to the multi-value register (concurrent writes all stay).
    SetMulti(Value),
    /// Adds to the counter.
    Increment(u64),
    /// Subtracts from the counter.
    Decrement(u64),
    /// Adds the value to the set.
    AddToSet(Value),
    /// Removes the value from the set, as observed here.
    RemoveFromSet(Value),
    /// Turns the enable-wins flag on.
    Enable,
    /// Turns the flag off, as observed here.
    Disable,
    /// Removes the key at the end of the path, as observed here.
    Remove,
}

impl Write {
    /// The value the write puts into the document, if it puts one (a removal from a
    /// set writes none: its delta holds no value).
    fn written_value(&self) -> Option<&Value> {
        match self {
            Write::Set(v) | Write::SetMulti(v) | Write::AddToSet(v) => Some(v),
            _ => None,
        }
    }
}

impl Document {
    /// Applies one [`Write`] at `path` under write-time policies, as
    /// [`guarded_update_at`](Self::guarded_update_at) (or
    /// [`guarded_remove_at`](Self::guarded_remove_at) for [`Write::Remove`]) with the
    /// write's mutator would; `clock` stamps a [`Write::Set`]. Returns the root delta;
    /// a refused write changes nothing.
    pub fn write<C: Clock>(
        &mut self,
        path: &[&str],
        write: Write,
        guard: &WriteGuard<'_>,
        clock: &mut Hlc<C>,
    ) -> Result<Document, Error> {
        let leaf = self.write_leaf(path, write, guard, clock)?;
        Ok(leaf.into_delta(path))
    }

    /// [`write`](Self::write)'s delta as its [`LeafDelta`]: the same write, with no
    /// map built around the node it changed (for a caller that reads only the dots
    /// the write wrote and replaced, as [`WrittenPaths`](crate::WrittenPaths) does;
    /// [`LeafDelta::into_delta`] is `write`'s delta).
    pub fn write_leaf<C: Clock>(
        &mut self,
        path: &[&str],
        write: Write,
        guard: &WriteGuard<'_>,
        clock: &mut Hlc<C>,
    ) -> Result<LeafDelta, Error> {
        let me = guard.writer;
        // A value nested too deep is refused by the write itself, after the checks
        // of the guard, which copies the part first to undo it; any other value is
        // known to pass, and needs no copy.
        let values = match write.written_value().map(Value::depth) {
            Some(depth) if depth > MAX_VALUE_DEPTH => ValuesChecked::After,
            _ => ValuesChecked::Before,
        };
        match write {
            Write::Set(v) => {
                self.guarded_update_leaf_at(path, guard, values, |r: &mut LwwRegister<Value>| {
                    r.set(me, clock, v)
                })
            }
            Write::SetMulti(v) => {
                self.guarded_update_leaf_at(path, guard, values, |r: &mut MvRegister<Value>| {
                    r.write(me, v)
                })
            }
            Write::Increment(by) => {
                self.guarded_update_leaf_at(path, guard, values, |c: &mut Counter| {
                    c.increment(me, by)
                })
            }
            Write::Decrement(by) => {
                self.guarded_update_leaf_at(path, guard, values, |c: &mut Counter| {
                    c.decrement(me, by)
                })
            }
            Write::AddToSet(v) => {
                self.guarded_update_leaf_at(path, guard, values, |s: &mut OrSet<Value>| {
                    s.add(me, v)
                })
            }
            Write::RemoveFromSet(v) => {
                self.guarded_update_leaf_at(path, guard, values, |s: &mut OrSet<Value>| {
                    s.remove(&v)
                })
            }
            Write::Enable => {
                self.guarded_update_leaf_at(path, guard, values, |f: &mut Flag| f.enable(me))
            }
            Write::Disable => {
                self.guarded_update_leaf_at(path, guard, values, |f: &mut Flag| f.disable())
            }
            Write::Remove => self.guarded_remove_leaf_at(path, guard),
        }
    }

    /// Applies `writes` in order as one change and returns its delta: the join of the
    /// deltas the same writes made one at a time by [`write`](Self::write) would
    /// return, leaving this document in the same state. Unless the guard has an
    /// authority rule or a precondition, the writes are [`coalesce`](crate::coalesce)d
    /// first: a write a later one supersedes is left out and a counter's increments
    /// are summed, so the document reads the same as after the writes one at a time,
    /// with fewer dots spent.
    ///
    /// All or nothing: if any write is refused (a path longer than
    /// [`MAX_PATH_LEN`](crate::MAX_PATH_LEN), a value nested deeper than
    /// [`MAX_VALUE_DEPTH`], a field another replica is the authority of, a stale
    /// `guard.if_match`), the error of the first refused write is returned and the
    /// document is left as it was. The checks that need no state run for every write
    /// before any is applied; when a refusal could depend on the writes before it (an
    /// authority rule exists, or `guard.if_match` is given, which every write's path
    /// must match as the earlier writes leave it), the document is copied first so it
    /// can be put back.
    ///
    /// ```
    /// use converge_core::{Hlc, Lattice, ManualClock, ReplicaId};
    /// use converge_ormap::{Document, Policies, Value, Write, WriteGuard};
    ///
    /// let policies = Policies::new();
    /// let guard = WriteGuard { writer: ReplicaId::new(1), policies: &policies, if_match: None };
    /// let mut clock = Hlc::new(ManualClock::new(1_000));
    /// let mut doc = Document::new();
    /// let delta = doc.write_all(
    ///     [
    ///         (vec!["title".to_string()], Write::Set("Hello".into())),
    ///         (vec!["views".to_string()], Write::Increment(3)),
    ///     ],
    ///     &guard,
    ///     &mut clock,
    /// )?;
    /// let mut elsewhere = Document::new();
    /// elsewhere.join(delta);
    /// assert_eq!(elsewhere, doc);
    /// # Ok::<(), converge_ormap::Error>(())
    /// ```
    pub fn write_all<C: Clock, P: AsRef<[String]>>(
        &mut self,
        writes: impl IntoIterator<Item = (P, Write)>,
        guard: &WriteGuard<'_>,
        clock: &mut Hlc<C>,
    ) -> Result<Document, Error> {
        let (paths, writes): (Vec<P>, Vec<(usize, Write)>) = writes
            .into_iter()
            .enumerate()
            .map(|(i, (path, write))| (path, (i, write)))
            .unzip();
        self.write_all_indexed(&paths, writes, guard, clock)
    }

    /// [`write_all`](Self::write_all) for writes that name their paths by index into
    /// `paths` (a change's distinct paths, each written many times, are then hashed
    /// once each when the writes are coalesced, not once a write). An index outside
    /// `paths` stands for the empty path, which writes nothing.
    pub fn write_all_indexed<C: Clock, Q: AsRef<[String]>>(
        &mut self,
        paths: &[Q],
        writes: Vec<(usize, Write)>,
        guard: &WriteGuard<'_>,
        clock: &mut Hlc<C>,
    ) -> Result<Document, Error> {
        let path_at = |index: usize| paths.get(index).map_or(&[][..], AsRef::as_ref);
        let any_authority = guard.any_authority();
        for (index, write) in &writes {
            let path = path_at(*index);
            if path.len() > crate::MAX_PATH_LEN {
                return Err(Error::PathTooLong {
                    len: path.len(),
                    max: crate::MAX_PATH_LEN,
                });
            }
            if let Some(depth) = write.written_value().map(Value::depth) {
                if depth > MAX_VALUE_DEPTH {
                    return Err(Error::ValueTooDeep {
                        depth,
                        max: MAX_VALUE_DEPTH,
                    });
                }
            }
            if any_authority {
                for end in 1..=path.len() {
                    guard.check_authority(&path[..end])?;
                }
            }
        }
        let backup = (any_authority || guard.if_match.is_some()).then(|| self.clone());
        // With no refusal left that needs the state, a write the change supersedes
        // before anything sees it can be left out (see `coalesce`).
        let writes = match backup {
            None => crate::coalesce_indexed(paths, writes),
            Some(_) => writes,
        };
        // Each write's delta holds at most the first key of its path, and its context
        // only dots from under that key (the new dot and those it replaced): so the
        // deltas are joined per first key, in small maps, and the per-key joins are
        // disjoint, so the batch delta is their union.
        let mut deltas = WriteDeltas::new();
        for (index, write) in writes {
            let path = path_at(index);
            // The path's keys borrowed, in room for the longest path (checked above).
            let mut keys = [""; crate::MAX_PATH_LEN];
            for (slot, key) in keys.iter_mut().zip(path) {
                *slot = key.as_str();
            }
            let class = write.class();
            let keys = &keys[..path.len()];
            match self.write_leaf(keys, write, guard, clock) {
                Ok(leaf) => deltas.push_entry(path, class, leaf.into_entry(keys)),
                Err(error) => {
                    if let Some(backup) = backup {
                        *self = backup;
                    }
                    return Err(error);
                }
            }
        }
        Ok(deltas.into_delta())
    }
}
