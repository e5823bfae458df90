//! Field policies: how a read settles the concurrent writes of one field, chosen per
//! path: last writer wins, keep siblings, a custom resolver, or named authorities.
//!
//! Policies act at read time, over the live writes, and never change the state: merge
//! stays a lattice join, and every replica that holds the same state and the same
//! policies reads the same value. To settle a conflict for good, write the chosen value;
//! that write supersedes the siblings it has seen on every replica.
//!
//! Local writes can also be checked against them when they are made
//! ([`Document::guarded_update_at`](crate::Document::guarded_update_at)): an authority
//! field refuses other writers, and a conditional write refuses a stale version.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use converge_core::ReplicaId;

use crate::Sibling;

/// What a resolver concludes about a field's concurrent writes.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolution {
    /// This value settles the field.
    Value(crate::Value),
    /// The writes really conflict: surface them to a person.
    Unresolved,
}

/// The function inside a [`Resolver`]: shareable across threads, on every target.
type ResolveFn = dyn Fn(&[Sibling]) -> Resolution + Send + Sync;

/// A named read-time resolver over a field's concurrent writes. It must be a pure
/// function of the siblings (given in a deterministic order), so every replica agrees.
#[derive(Clone)]
pub struct Resolver {
    name: String,
    resolve: Arc<ResolveFn>,
}

impl Resolver {
    /// A resolver called `name` (shown in conflict reports) running `resolve`.
    ///
    /// The function must be `Send + Sync` on every target, wasm included. A host
    /// function that is neither (a JavaScript function, say) stays where it lives,
    /// and the resolver captures a handle to it (the npm package keeps JavaScript
    /// resolvers in a registry and captures their id).
    pub fn new(
        name: impl Into<String>,
        resolve: impl Fn(&[Sibling]) -> Resolution + Send + Sync + 'static,
    ) -> Self {
        Resolver {
            name: name.into(),
            resolve: Arc::new(resolve),
        }
    }

    /// The resolver's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs the resolver over `siblings`.
    pub fn resolve(&self, siblings: &[Sibling]) -> Resolution {
        (self.resolve)(siblings)
    }
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Resolver({:?})", self.name)
    }
}

/// How concurrent writes to a field are read.
#[derive(Clone, Debug)]
pub enum Policy {
    /// The write with the greatest (timestamp, replica id) wins; writes closer than
    /// `skew_tolerance_ms` to the winner make the read ambiguous. The default for LWW
    /// registers, with a tolerance of 0.
    LastWriterWins {
        /// Concurrent writes closer together than this are flagged as ambiguous.
        skew_tolerance_ms: u64,
    },
    /// Every concurrent write is kept and shown; none is chosen.
    KeepSiblings,
    /// A custom resolver chooses, or declares a real conflict.
    Resolve(Resolver),
    /// Only writes from these replicas count (last writer wins among them), under
    /// their own ids or their session writers' after a restore
    /// ([`ReplicaId::writes_for`]); writes of other replicas are ignored, identically
    /// on every replica, and listed ([`FieldRead::ignored`](crate::FieldRead::ignored),
    /// [`Document::conflicts`](crate::Document::conflicts)). Local writes of other
    /// replicas are refused by [`Document::guarded_update_at`](crate::Document::guarded_update_at).
    Authority(BTreeSet<ReplicaId>),
}

impl Policy {
    /// A short name of the policy, as metrics show it: `lww`, `siblings`,
    /// `resolver:<name>` or `authority`.
    pub fn label(&self) -> String {
        match self {
            Policy::LastWriterWins { .. } => "lww".to_owned(),
            Policy::KeepSiblings => "siblings".to_owned(),
            Policy::Resolve(resolver) => format!("resolver:{}", resolver.name()),
            Policy::Authority(_) => "authority".to_owned(),
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::LastWriterWins {
            skew_tolerance_ms: 0,
        }
    }
}

/// Policies by path pattern. A pattern is a path whose segments may be `*` (any one
/// key). The most specific matching pattern applies (fewest `*`, then the one set
/// first). A field no pattern matches reads by its register's own semantics:
/// last-writer-wins (tolerance 0) for an LWW register, keep-siblings for an MV
/// register.
///
/// ```
/// use converge_ormap::{Policies, Policy};
/// let mut policies = Policies::new();
/// policies.set(&["holds", "*", "notes"], Policy::KeepSiblings);
/// assert!(matches!(policies.get(&["holds", "h1", "notes"]), Some(Policy::KeepSiblings)));
/// assert!(policies.get(&["holds", "h1", "status"]).is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Policies {
    rules: Vec<(Vec<String>, Policy)>,
}

impl Policies {
    /// No rules: every field reads by its register's own semantics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the policy of the fields matching `pattern` (replacing an earlier rule with
    /// the same pattern).
    pub fn set(&mut self, pattern: &[&str], policy: Policy) -> &mut Self {
        let pattern: Vec<String> = pattern.iter().map(|s| (*s).to_owned()).collect();
        match self.rules.iter_mut().find(|(p, _)| *p == pattern) {
            Some(rule) => rule.1 = policy,
            None => self.rules.push((pattern, policy)),
        }
        self
    }

    /// The policy set for the field at `path`, if a pattern matches it.
    pub fn get<S: AsRef<str>>(&self, path: &[S]) -> Option<&Policy> {
        self.rule(path).map(|(_, policy)| policy)
    }

    /// The rule that applies to the field at `path`: its pattern and policy.
    pub fn rule<S: AsRef<str>>(&self, path: &[S]) -> Option<(&[String], &Policy)> {
        if self.rules.is_empty() {
            return None; // (no rules, the usual case: nothing to filter)
        }
        self.rules
            .iter()
            .filter(|(pattern, _)| {
                pattern.len() == path.len()
                    && pattern
                        .iter()
                        .zip(path)
                        .all(|(p, k)| p == "*" || p == k.as_ref())
            })
            .min_by_key(|(pattern, _)| pattern.iter().filter(|p| *p == "*").count())
            .map(|(pattern, policy)| (pattern.as_slice(), policy))
    }

    /// The rules, in the order they were set.
    pub fn rules(&self) -> impl Iterator<Item = (&[String], &Policy)> + '_ {
        self.rules.iter().map(|(p, policy)| (p.as_slice(), policy))
    }
}
