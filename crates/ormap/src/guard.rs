//! Write-time policies: the one policy-aware entry point for local document writes.
//! It refuses a write by a non-authority to an authority-owned field
//! ([`Error::NotAuthority`]) and a conditional write whose expected version is stale
//! ([`Error::Stale`]); a refused write changes nothing.
//!
//! What a precondition guarantees: only that the field did not move **here** since
//! the caller read it. A concurrent write on another replica cannot be seen without
//! coordination; it still merges (the state stays a lattice join), and the two writes
//! then show as concurrent, in the field's read and in [`Document::conflicts`].
//! Likewise, writes from peers are never refused (a peer may lack the policy, or be
//! forged): an authority policy ignores them at read time and lists them.

use converge_core::{DotStore, Embeddable, ReplicaId};

use crate::conflicts::writes_for_any;
use crate::node::ValuesChecked;
use crate::{Document, Error, FieldVersion, Kind, LeafDelta, Node, NodeKind, Policies, Policy};

/// Who writes, under which policies, and (optionally) which version of the field the
/// write was decided on.
#[derive(Clone, Copy, Debug)]
pub struct WriteGuard<'a> {
    /// The id the write is made under (a replica's current writer id).
    pub writer: ReplicaId,
    /// The field policies: an [`Policy::Authority`] field refuses other writers.
    pub policies: &'a Policies,
    /// The version the caller read ([`FieldRead::version`](crate::FieldRead::version),
    /// or [`Document::version_at`]); `None` writes unconditionally.
    pub if_match: Option<&'a FieldVersion>,
}

impl WriteGuard<'_> {
    /// `Err(NotAuthority)` if `path` is authority-owned and the writer is not one of
    /// its authorities (a session writer of an authority counts as it).
    /// Whether any rule names authorities (if none does, no write can be refused for
    /// authority, and the checks walk nothing).
    pub(crate) fn any_authority(&self) -> bool {
        self.policies
            .rules()
            .any(|(_, policy)| matches!(policy, Policy::Authority(_)))
    }

    pub(crate) fn check_authority(&self, path: &[String]) -> Result<(), Error> {
        match self.policies.get(path) {
            Some(Policy::Authority(replicas)) if !writes_for_any(self.writer, replicas) => {
                Err(Error::NotAuthority {
                    path: path.to_vec(),
                    writer: self.writer,
                })
            }
            _ => Ok(()),
        }
    }
}

fn owned(path: &[&str]) -> Vec<String> {
    path.iter().map(|k| (*k).to_owned()).collect()
}

impl Node {
    /// Every live dot of this node, nested maps included.
    pub(crate) fn dots(&self) -> Vec<converge_core::Dot> {
        let mut dots = Vec::new();
        self.as_causal().store.collect_dots(&mut dots);
        dots
    }
}

impl Document {
    /// The version of the field at `path` (empty if nothing is written there).
    pub fn version_at(&self, path: &[&str]) -> FieldVersion {
        FieldVersion::of(self.get_at(path))
    }

    /// Whether a write at `path` passes `guard`: the path and every prefix of it are
    /// writable by the guard's writer, and the field is at the expected version.
    pub fn check_write(&self, path: &[&str], guard: &WriteGuard<'_>) -> Result<(), Error> {
        if guard.any_authority() {
            let full = owned(path);
            for end in 1..=full.len() {
                guard.check_authority(&full[..end])?;
            }
        }
        if let Some(expected) = guard.if_match {
            let current = self.version_at(path);
            if current != *expected {
                return Err(Error::Stale {
                    path: owned(path),
                    current,
                });
            }
        }
        Ok(())
    }

    /// [`update_at`](Self::update_at) under write-time policies: refused, changing
    /// nothing, if [`check_write`](Self::check_write) fails, or if the write would
    /// replace a nested map (a write of another kind supersedes it) holding an
    /// authority-owned field the writer may not remove.
    ///
    /// ```
    /// use converge_core::{Hlc, ManualClock, ReplicaId};
    /// use converge_lwwregister::LwwRegister;
    /// use converge_ormap::{Document, Error, Policies, Policy, Value, WriteGuard};
    ///
    /// let (office, desk) = (ReplicaId::new(0xa), ReplicaId::new(0xb));
    /// let mut policies = Policies::new();
    /// policies.set(&["guest", "email"], Policy::Authority([office].into()));
    /// let mut clock = Hlc::new(ManualClock::new(1));
    /// let mut doc = Document::new();
    ///
    /// let guard = WriteGuard { writer: desk, policies: &policies, if_match: None };
    /// let refused = doc.guarded_update_at(&["guest", "email"], &guard, |r: &mut LwwRegister<Value>| {
    ///     r.set(desk, &mut clock, "x@example.com".into())
    /// });
    /// assert!(matches!(refused, Err(Error::NotAuthority { .. })));
    /// assert!(doc.is_empty());
    /// ```
    pub fn guarded_update_at<T: NodeKind>(
        &mut self,
        path: &[&str],
        guard: &WriteGuard<'_>,
        mutate: impl FnOnce(&mut T) -> T,
    ) -> Result<Document, Error> {
        let leaf = self.guarded_update_leaf_at(path, guard, ValuesChecked::After, mutate)?;
        Ok(leaf.into_delta(path))
    }

    /// [`guarded_update_at`](Self::guarded_update_at)'s delta as its [`LeafDelta`],
    /// its values checked as `values` says.
    pub(crate) fn guarded_update_leaf_at<T: NodeKind>(
        &mut self,
        path: &[&str],
        guard: &WriteGuard<'_>,
        values: ValuesChecked,
        mutate: impl FnOnce(&mut T) -> T,
    ) -> Result<LeafDelta, Error> {
        self.check_write(path, guard)?;
        if T::KIND != Kind::Map {
            self.check_authorities_below(path, guard)?;
        }
        self.try_update_leaf_at(path, values, |value: &mut T| Ok::<T, Error>(mutate(value)))
    }

    /// Refuses, if any rule names authorities, when the map at `path` holds a field
    /// the guard's writer may not write (so may not remove or replace).
    fn check_authorities_below(&self, path: &[&str], guard: &WriteGuard<'_>) -> Result<(), Error> {
        let below = match guard.any_authority() {
            true => self.get_at(path).and_then(Node::get::<Document>),
            false => None,
        };
        let Some(map) = below else {
            return Ok(());
        };
        let mut refusal = Ok(());
        let prefix = owned(path);
        map.visit(|below, _| {
            if refusal.is_ok() {
                let full: Vec<String> = prefix.iter().chain(below).cloned().collect();
                refusal = guard.check_authority(&full);
            }
        });
        refusal
    }

    /// [`remove_at`](Self::remove_at) under write-time policies: refused as
    /// [`guarded_update_at`](Self::guarded_update_at) is, and also if an
    /// authority-owned field under `path` holds a write the writer may not remove.
    pub fn guarded_remove_at(
        &mut self,
        path: &[&str],
        guard: &WriteGuard<'_>,
    ) -> Result<Document, Error> {
        let leaf = self.guarded_remove_leaf_at(path, guard)?;
        Ok(leaf.into_delta(path))
    }

    /// [`guarded_remove_at`](Self::guarded_remove_at)'s delta as its [`LeafDelta`].
    pub(crate) fn guarded_remove_leaf_at(
        &mut self,
        path: &[&str],
        guard: &WriteGuard<'_>,
    ) -> Result<LeafDelta, Error> {
        self.check_write(path, guard)?;
        self.check_authorities_below(path, guard)?;
        self.remove_leaf_at(path)
    }
}
