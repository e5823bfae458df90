//! Conflict visibility: the concurrent writes a document holds, how a field reads
//! under its policy, and how many concurrent writes a merge met.

use std::collections::BTreeSet;

use converge_core::{Dot, DotStore, Embeddable, ReplicaId, Timestamp};
use converge_lwwregister::{LwwRead, LwwRegister};
use converge_mvregister::MvRegister;

use crate::{Document, FieldVersion, Kind, Node, Policies, Policy, Resolution, Value};

/// One live write of a register, as conflict reports show it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sibling {
    /// The value written.
    pub value: Value,
    /// The replica that wrote it.
    pub writer: ReplicaId,
    /// The write's dot.
    pub dot: Dot,
    /// Its hybrid-logical-clock time, for last-writer-wins registers.
    pub timestamp: Option<Timestamp>,
}

/// How a field's read came out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing (counted) is written there.
    Empty,
    /// One live write: nothing to settle.
    Single,
    /// Concurrent writes, settled by last-writer-wins with a clear margin.
    LastWriterWins,
    /// Concurrent writes closer than the skew tolerance: the winner is the value, but
    /// clock skew may have picked it; review it.
    Ambiguous,
    /// The field's resolver settled the concurrent writes.
    Resolved {
        /// The resolver's name.
        resolver: String,
    },
    /// The field keeps siblings: all concurrent writes are the value.
    Siblings,
    /// The resolver declared a real conflict: a person must choose.
    Conflict {
        /// The resolver's name.
        resolver: String,
    },
}

impl Outcome {
    /// Whether a person should look at this field (ambiguous, siblings or conflict).
    pub fn needs_attention(&self) -> bool {
        matches!(
            self,
            Outcome::Ambiguous | Outcome::Siblings | Outcome::Conflict { .. }
        )
    }
}

/// A register field read under its policy.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldRead {
    /// The value the policy settles on (the provisional last-writer-wins value for an
    /// unresolved conflict; `None` when empty or keeping siblings).
    pub value: Option<Value>,
    /// How the read came out.
    pub outcome: Outcome,
    /// The live writes that counted, winner (or greatest) first.
    pub siblings: Vec<Sibling>,
    /// Live writes an authority policy ignored (their writers are not authorities).
    pub ignored: Vec<Sibling>,
    /// The field's version: every live write at its path. Pass it to a conditional
    /// write ([`WriteGuard::if_match`](crate::WriteGuard::if_match)).
    pub version: FieldVersion,
}

/// A path whose value holds concurrent writes a person may need to see.
#[derive(Clone, Debug, PartialEq)]
pub struct Conflict {
    /// Keys from the root to the field.
    pub path: Vec<String>,
    /// The field's read under its policy (for a node of mixed kinds, the register
    /// part's read, if any).
    pub read: FieldRead,
    /// The kinds the node holds; more than one when replicas concurrently wrote
    /// different kinds there.
    pub kinds: Vec<Kind>,
}

/// Whether `writer` writes for one of `authorities` (it is one, or one of their
/// session writers after a restore: [`ReplicaId::writes_for`]).
pub(crate) fn writes_for_any(writer: ReplicaId, authorities: &BTreeSet<ReplicaId>) -> bool {
    authorities.contains(&writer) || authorities.iter().any(|a| writer.writes_for(*a))
}

fn lww_siblings(register: &LwwRegister<Value>) -> Vec<Sibling> {
    register
        .writes()
        .into_iter()
        .map(|w| Sibling {
            value: w.value.clone(),
            writer: w.writer(),
            dot: w.dot,
            timestamp: Some(w.timestamp),
        })
        .collect()
}

fn mv_siblings(register: &MvRegister<Value>) -> Vec<Sibling> {
    register
        .siblings()
        .map(|(dot, value)| Sibling {
            value: value.clone(),
            writer: dot.replica,
            dot,
            timestamp: None,
        })
        .collect()
}

impl Node {
    /// The live writes of this node's registers: LWW writes ranked winner first, then
    /// MV siblings in dot order (as `MvRegister::siblings` lists them).
    pub fn siblings(&self) -> Vec<Sibling> {
        let mut all = self
            .get::<LwwRegister<Value>>()
            .map(lww_siblings)
            .unwrap_or_default();
        all.extend(
            self.get::<MvRegister<Value>>()
                .map(mv_siblings)
                .unwrap_or_default(),
        );
        all
    }

    /// Reads this node's register under `policy` (`None`: the register's own
    /// semantics, last-writer-wins for LWW, keep-siblings for MV); `None` if the node
    /// holds no register.
    pub fn read(&self, policy: Option<&Policy>) -> Option<FieldRead> {
        let lww = self.get::<LwwRegister<Value>>();
        let mv = self.get::<MvRegister<Value>>();
        if lww.is_none() && mv.is_none() {
            return None;
        }
        let own = if lww.is_some() {
            Policy::default()
        } else {
            Policy::KeepSiblings
        };
        let policy = policy.unwrap_or(&own);
        let (counted, ignored): (Vec<Sibling>, Vec<Sibling>) = match policy {
            Policy::Authority(writers) => self
                .siblings()
                .into_iter()
                .partition(|s| writes_for_any(s.writer, writers)),
            _ => (self.siblings(), Vec::new()),
        };
        let tolerance = match policy {
            Policy::LastWriterWins { skew_tolerance_ms } => *skew_tolerance_ms,
            _ => 0,
        };
        // Last-writer-wins as the register itself judges it; MV siblings, having no
        // timestamps, rank by value (the greatest is the provisional value).
        let lww_read = lww.map(|r| match policy {
            Policy::Authority(writers) => r.read_only(tolerance, |w| writes_for_any(w, writers)),
            _ => r.read(tolerance),
        });
        let provisional = match &lww_read {
            Some(read) if read.winner().is_some() => read.value().cloned(),
            _ => counted.iter().map(|s| &s.value).max().cloned(),
        };
        let (value, outcome) = match (counted.len(), policy) {
            (0, _) => (None, Outcome::Empty),
            (1, _) => (provisional, Outcome::Single),
            (_, Policy::KeepSiblings) => (None, Outcome::Siblings),
            (_, Policy::Resolve(resolver)) => match resolver.resolve(&counted) {
                Resolution::Value(v) => (
                    Some(v),
                    Outcome::Resolved {
                        resolver: resolver.name().to_owned(),
                    },
                ),
                Resolution::Unresolved => (
                    provisional,
                    Outcome::Conflict {
                        resolver: resolver.name().to_owned(),
                    },
                ),
            },
            (_, Policy::LastWriterWins { .. } | Policy::Authority(_)) => {
                let ambiguous = matches!(lww_read, Some(LwwRead::Ambiguous { .. }));
                let outcome = if ambiguous {
                    Outcome::Ambiguous
                } else {
                    Outcome::LastWriterWins
                };
                (provisional, outcome)
            }
        };
        Some(FieldRead {
            value,
            outcome,
            siblings: counted,
            ignored,
            version: FieldVersion::of(Some(self)),
        })
    }

    /// [`read`](Self::read)'s outcome and count of counted writes, without building
    /// the read, for the policies that ignore no write and need no resolver (none,
    /// last-writer-wins, keep-siblings); `None` for the others, and if the node holds
    /// no register.
    pub(crate) fn outcome(&self, policy: Option<&Policy>) -> Option<(Outcome, usize)> {
        let lww = self.get::<LwwRegister<Value>>();
        let mv = self.get::<MvRegister<Value>>();
        if lww.is_none() && mv.is_none() {
            return None;
        }
        let policy = match policy {
            Some(p) => p,
            None if lww.is_some() => &Policy::LastWriterWins {
                skew_tolerance_ms: 0,
            },
            None => &Policy::KeepSiblings,
        };
        if matches!(policy, Policy::Authority(_) | Policy::Resolve(_)) {
            return None;
        }
        let counted = lww.map_or(0, |r| r.as_causal().store.len())
            + mv.map_or(0, |r| r.as_causal().store.len());
        let outcome = match (counted, policy) {
            (0, _) => Outcome::Empty,
            (1, _) => Outcome::Single,
            (_, Policy::KeepSiblings) => Outcome::Siblings,
            (_, Policy::LastWriterWins { skew_tolerance_ms }) => {
                // No tolerance, no ambiguity: `read` finds no rival closer than 0 ms.
                let ambiguous = *skew_tolerance_ms > 0
                    && lww.is_some_and(|r| {
                        matches!(r.read(*skew_tolerance_ms), LwwRead::Ambiguous { .. })
                    });
                if ambiguous {
                    Outcome::Ambiguous
                } else {
                    Outcome::LastWriterWins
                }
            }
            (_, Policy::Authority(_) | Policy::Resolve(_)) => return None,
        };
        Some((outcome, counted))
    }

    /// Every live dot of this node's registers, in order, each once.
    pub(crate) fn register_dots(&self) -> Vec<Dot> {
        let mut dots = Vec::new();
        self.register_dots_into(&mut dots);
        dots
    }

    /// Where this node holds one register alone (the usual field): adds its dots to
    /// `dots`, in dot order, read straight from the register, and returns true.
    /// Returns false, adding nothing, for any other node.
    pub(crate) fn sole_register_dots(&self, dots: &mut Vec<Dot>) -> bool {
        let read = match self.sole_kind() {
            Some(Kind::Lww) => self
                .get::<LwwRegister<Value>>()
                .map(|r| r.as_causal().store.collect_dots(dots)),
            Some(Kind::Mv) => self
                .get::<MvRegister<Value>>()
                .map(|r| r.as_causal().store.collect_dots(dots)),
            _ => None,
        };
        read.is_some()
    }

    /// [`register_dots`](Self::register_dots) into `dots` (emptied first), for a
    /// caller that reads many nodes with one buffer.
    pub(crate) fn register_dots_into(&self, dots: &mut Vec<Dot>) {
        dots.clear();
        if let Some(r) = self.get::<LwwRegister<Value>>() {
            r.as_causal().store.collect_dots(dots);
        }
        if let Some(r) = self.get::<MvRegister<Value>>() {
            r.as_causal().store.collect_dots(dots);
        }
        // Each register's dots come in order: usually nothing to sort (and the shared
        // sort brings no sorting code of its own into the wasm).
        converge_core::sort_stable_by(dots, Dot::cmp);
        dots.dedup();
    }
}

/// Visits every node under `map` in key order, depth first, with its path.
fn visit(map: &Document, path: &mut Vec<String>, f: &mut dyn FnMut(&[String], &Node)) {
    for (key, node) in map.iter_sorted() {
        path.push(key.clone());
        f(path, node);
        if let Some(child) = node.get::<Document>() {
            visit(child, path, f);
        }
        path.pop();
    }
}

impl Document {
    /// Visits every node, in key order, depth first, with its path from the root.
    pub fn visit(&self, mut f: impl FnMut(&[String], &Node)) {
        visit(self, &mut Vec::new(), &mut f);
    }

    /// Reads the register at `path` under the policy `policies` give it.
    pub fn read_at(&self, path: &[&str], policies: &Policies) -> Option<FieldRead> {
        self.get_at(path)?.read(policies.get(path))
    }

    /// The fields that need a person's attention under `policies`: registers whose
    /// read is ambiguous, keeps siblings or is an unresolved conflict, registers that
    /// hold writes an authority policy ignores (even when nothing else is left there,
    /// because such a write superseded the authority's value), and nodes where
    /// replicas concurrently wrote different kinds. In path order.
    pub fn conflicts(&self, policies: &Policies) -> Vec<Conflict> {
        let mut found = Vec::new();
        self.visit(|path, node| {
            let kinds: Vec<Kind> = node.kinds().collect();
            let read = node.read(policies.get(path));
            let needs_attention = read
                .as_ref()
                .is_some_and(|r| r.outcome.needs_attention() || !r.ignored.is_empty());
            if needs_attention || kinds.len() > 1 {
                found.push(Conflict {
                    path: path.to_vec(),
                    read: read.unwrap_or(FieldRead {
                        value: None,
                        outcome: Outcome::Empty,
                        siblings: Vec::new(),
                        ignored: Vec::new(),
                        version: FieldVersion::of(Some(node)),
                    }),
                    kinds,
                });
            }
        });
        found
    }
}
