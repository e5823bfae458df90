//! Document workloads: random writes of every kind at random paths of one to three
//! keys from a small alphabet (so writes collide), removes of keys and clears of maps
//! included; plain, and differential against a model of per-path contributions.
//!
//! The model keeps each write as one contribution tagged with its write number: a
//! counter change, a flag enable, an LWW or MV write, a set element, each at its full
//! path. Removing a key removes every live contribution under it (the nested removes
//! of an OR-Map: what the remover observed, at any depth); clearing a map removes
//! every live contribution inside it. A key exists while some live contribution lies
//! under it. A write that makes a contribution also supersedes every live
//! contribution of another kind its writer has seen at its path, under it (a nested
//! map's) and at the keys on the way (issue 15: a local write of another kind
//! replaces). Reads compare every (path, kind) of the real document with the model's.

use std::collections::BTreeMap;

use converge_core::{Hlc, ManualClock, ReplicaId, Timestamp};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_ormap::{Counter, Document, Flag, Kind, Value};
use converge_orset::OrSet;
use serde::{Deserialize, Serialize};

use super::model::{same, Checked, Tagged};
use super::registers::{ranked, stamp_after, Stamp};
use crate::simulator::{Rng, Workload};

/// The keys paths are made of.
pub(crate) const KEYS: [&str; 3] = ["a", "b", "c"];

/// One random document write.
#[derive(Clone, Debug)]
pub(crate) struct DocOp {
    pub(crate) path: Vec<&'static str>,
    pub(crate) change: Change,
}

/// What a [`DocOp`] does at its path.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Change {
    Increment(u64),
    Decrement,
    Enable,
    Disable,
    /// A clock reading 0-3 ms: few distinct readings, so concurrent writes often tie.
    LwwSet {
        millis: u64,
    },
    LwwClear,
    MvWrite,
    SetAdd(i64),
    SetRemove(i64),
    RemoveKey,
    /// Clears the map holding the path's last key (nothing at the root).
    ClearParent,
}

impl DocOp {
    /// Draws a write.
    pub(crate) fn draw(rng: &mut Rng) -> DocOp {
        let depth = rng.between(1, 3) as usize;
        let path: Vec<&'static str> = (0..depth).map(|_| *rng.pick(&KEYS)).collect();
        let small = rng.between(0, 4);
        let change = match rng.below(13) {
            0 | 1 => Change::Increment(1 + small),
            2 => Change::Decrement,
            3 => Change::Enable,
            4 => Change::Disable,
            5 => Change::LwwSet {
                millis: rng.below(4),
            },
            6 => Change::LwwClear,
            7 => Change::MvWrite,
            8 | 9 => Change::SetAdd(small as i64),
            10 => Change::SetRemove(small as i64),
            11 => Change::RemoveKey,
            _ => Change::ClearParent,
        };
        DocOp { path, change }
    }

    /// Applies the write to a real document as `writer`; `write` is its number (the
    /// value registers get). Returns the delta.
    pub(crate) fn apply(&self, doc: &mut Document, writer: ReplicaId, write: u64) -> Document {
        let path = self.path.as_slice();
        let value = Value::Int(write as i64);
        match self.change {
            Change::Increment(by) => doc
                .update_at(path, |c: &mut Counter| c.increment(writer, by))
                .unwrap(),
            Change::Decrement => doc
                .update_at(path, |c: &mut Counter| c.decrement(writer, 1))
                .unwrap(),
            Change::Enable => doc
                .update_at(path, |f: &mut Flag| f.enable(writer))
                .unwrap(),
            Change::Disable => doc.update_at(path, |f: &mut Flag| f.disable()).unwrap(),
            Change::LwwSet { millis } => doc
                .update_at(path, |r: &mut LwwRegister<Value>| {
                    r.set(writer, &mut Hlc::new(ManualClock::new(millis)), value)
                })
                .unwrap(),
            Change::LwwClear => doc
                .update_at(path, |r: &mut LwwRegister<Value>| r.clear())
                .unwrap(),
            Change::MvWrite => doc
                .update_at(path, |r: &mut MvRegister<Value>| r.write(writer, value))
                .unwrap(),
            Change::SetAdd(e) => doc
                .update_at(path, |s: &mut OrSet<Value>| s.add(writer, Value::Int(e)))
                .unwrap(),
            Change::SetRemove(e) => doc
                .update_at(path, |s: &mut OrSet<Value>| s.remove(&Value::Int(e)))
                .unwrap(),
            Change::RemoveKey => doc.remove_at(path).unwrap(),
            Change::ClearParent => doc
                .update_at(&path[..path.len() - 1], |m: &mut Document| m.clear())
                .unwrap(),
        }
    }

    /// Applies the write to the model as write number `write` by `writer`.
    fn apply_to_model(&self, model: &mut DocModel, writer: ReplicaId, write: u64) -> DocModel {
        let path: Vec<String> = self.path.iter().map(|k| (*k).to_owned()).collect();
        let at = |kind: Kind| {
            let path = path.clone();
            move |c: &Leaf| c.path == path && c.value.kind() == kind
        };
        let leaf = |value: LeafValue| Leaf {
            path: path.clone(),
            value,
        };
        let number = write as i64;
        // What a live write of `kind` at the path supersedes besides its own kind's
        // contributions: other kinds at the path, a nested map's contents under it,
        // and non-map values at the keys on the way.
        let on_path = path.clone();
        let other_kind = move |c: &Leaf, kind: Kind| {
            let under = c.path.starts_with(&on_path)
                && (c.path.len() > on_path.len() || c.value.kind() != kind);
            let above = c.path.len() < on_path.len() && on_path.starts_with(&c.path);
            under || above
        };
        match self.change {
            // The bounded counter (issue 13): the writer's new contribution is its
            // running total here, replacing its own live ones (and no one else's).
            Change::Increment(_) | Change::Decrement => {
                let change = match self.change {
                    Change::Increment(by) => by as i64,
                    _ => -1,
                };
                let own_path = path.clone();
                let own = move |c: &Leaf| {
                    c.path == own_path && matches!(c.value, LeafValue::Counter(w, _) if w == writer)
                };
                let total: i64 = model
                    .live()
                    .filter(|(_, c)| own(c))
                    .map(|(_, c)| match c.value {
                        LeafValue::Counter(_, n) => n,
                        _ => 0,
                    })
                    .sum();
                let value = LeafValue::Counter(writer, total + change);
                model.write(write, leaf(value), move |c| {
                    own(c) || other_kind(c, Kind::Counter)
                })
            }
            Change::Enable => {
                let here = at(Kind::Flag);
                model.write(write, leaf(LeafValue::Flag), move |c| {
                    here(c) || other_kind(c, Kind::Flag)
                })
            }
            Change::Disable => model.remove(at(Kind::Flag)),
            Change::LwwSet { millis } => {
                let here = at(Kind::Lww);
                let live =
                    model
                        .live()
                        .filter(|(_, c)| here(c))
                        .filter_map(|(w, c)| match &c.value {
                            LeafValue::Lww(s) => Some((w, s)),
                            _ => None,
                        });
                let timestamp = stamp_after(&ranked(live), millis);
                let stamp = Stamp {
                    timestamp,
                    writer,
                    value: write as u32,
                };
                model.write(write, leaf(LeafValue::Lww(stamp)), move |c| {
                    here(c) || other_kind(c, Kind::Lww)
                })
            }
            Change::LwwClear => model.remove(at(Kind::Lww)),
            Change::MvWrite => {
                let here = at(Kind::Mv);
                model.write(write, leaf(LeafValue::Mv(writer, number)), move |c| {
                    here(c) || other_kind(c, Kind::Mv)
                })
            }
            Change::SetAdd(e) => {
                let p = path.clone();
                model.write(write, leaf(LeafValue::Set(e)), move |c| {
                    c.path == p && c.value == LeafValue::Set(e) || other_kind(c, Kind::Set)
                })
            }
            Change::SetRemove(e) => {
                model.remove(|c| c.path == path && c.value == LeafValue::Set(e))
            }
            Change::RemoveKey => model.remove(|c| c.path.starts_with(&path)),
            Change::ClearParent => {
                let parent = &path[..path.len() - 1];
                if parent.is_empty() {
                    return DocModel::default();
                }
                model.remove(|c| c.path.len() > parent.len() && c.path.starts_with(parent))
            }
        }
    }
}

/// Random writes of every kind into a plain `Document`.
#[derive(Debug, Default)]
pub(crate) struct DocumentWrites;

impl Workload for DocumentWrites {
    type State = Document;

    fn write(
        &mut self,
        rng: &mut Rng,
        _: usize,
        doc: &mut Document,
        writer: ReplicaId,
        write: u64,
    ) -> Document {
        DocOp::draw(rng).apply(doc, writer, write)
    }
}

/// One write's contribution to the model document: what it wrote, where.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Leaf {
    path: Vec<String>,
    value: LeafValue,
}

/// The contribution of one write at a leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) enum LeafValue {
    /// The writer and its running total at this counter.
    Counter(ReplicaId, i64),
    Flag,
    /// The register value is the write's number (as `DocOp::apply` writes it).
    Lww(Stamp),
    Mv(ReplicaId, i64),
    Set(i64),
}

impl LeafValue {
    fn kind(&self) -> Kind {
        match self {
            LeafValue::Counter(..) => Kind::Counter,
            LeafValue::Flag => Kind::Flag,
            LeafValue::Lww(_) => Kind::Lww,
            LeafValue::Mv(..) => Kind::Mv,
            LeafValue::Set(_) => Kind::Set,
        }
    }
}

/// The model document.
pub(crate) type DocModel = Tagged<Leaf>;

/// The real document and its model.
pub(crate) type CheckedDocument = Checked<Document, DocModel>;

/// Every (path, kind) a document holds, read as text: `a/b#Counter -> 3`.
type Reading = BTreeMap<String, String>;

fn slot(path: &[String], kind: Kind) -> String {
    format!("{}#{kind:?}", path.join("/"))
}

fn lww_text(stamps: impl Iterator<Item = (Timestamp, ReplicaId, i64)>) -> String {
    format!("{:?}", stamps.collect::<Vec<_>>())
}

/// The real document's reading, walking every node and every kind it holds.
fn read_real(doc: &Document, path: &mut Vec<String>, out: &mut Reading) {
    for (key, node) in doc.iter_sorted() {
        path.push(key.clone());
        for kind in node.kinds() {
            let text = match kind {
                Kind::Counter => node.get::<Counter>().map(|c| c.value().to_string()),
                Kind::Flag => node.get::<Flag>().map(|f| f.is_enabled().to_string()),
                Kind::Lww => node.get::<LwwRegister<Value>>().map(|r| {
                    lww_text(
                        r.writes()
                            .iter()
                            .map(|w| (w.timestamp, w.writer(), int(w.value))),
                    )
                }),
                Kind::Mv => node.get::<MvRegister<Value>>().map(|r| {
                    let mut s: Vec<(ReplicaId, i64)> =
                        r.siblings().map(|(d, v)| (d.replica, int(v))).collect();
                    s.sort_unstable();
                    format!("{s:?}")
                }),
                Kind::Set => node.get::<OrSet<Value>>().map(|s| {
                    format!(
                        "{:?}",
                        s.to_sorted_vec().into_iter().map(int).collect::<Vec<_>>()
                    )
                }),
                Kind::Map => node.get::<Document>().map(|m| {
                    read_real(m, path, out);
                    "map".to_owned()
                }),
            };
            out.insert(
                slot(path, kind),
                text.unwrap_or_else(|| "kind listed but unreadable".into()),
            );
        }
        path.pop();
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        // The workload writes only integers; anything else shows up as a mismatch.
        _ => i64::MIN,
    }
}

/// A path and a kind at it.
type Slot = (Vec<String>, Kind);

/// The model's reading: live contributions grouped by (path, kind); every proper
/// prefix of a live contribution's path is a map.
fn read_model(model: &DocModel) -> Reading {
    let mut groups: BTreeMap<Slot, Vec<(u64, LeafValue)>> = BTreeMap::new();
    for (w, leaf) in model.live() {
        for depth in 1..leaf.path.len() {
            groups
                .entry((leaf.path[..depth].to_vec(), Kind::Map))
                .or_default();
        }
        groups
            .entry((leaf.path.clone(), leaf.value.kind()))
            .or_default()
            .push((w, leaf.value));
    }
    groups
        .into_iter()
        .map(|((path, kind), values)| {
            let text = match kind {
                Kind::Counter => values
                    .iter()
                    .map(|(_, v)| {
                        if let LeafValue::Counter(_, n) = v {
                            i128::from(*n)
                        } else {
                            0
                        }
                    })
                    .sum::<i128>()
                    .to_string(),
                Kind::Flag => "true".to_owned(),
                Kind::Lww => {
                    let stamps: Vec<(u64, Stamp)> = values
                        .iter()
                        .filter_map(|(w, v)| {
                            if let LeafValue::Lww(s) = v {
                                Some((*w, *s))
                            } else {
                                None
                            }
                        })
                        .collect();
                    let order = ranked(stamps.iter().map(|(w, s)| (*w, s)));
                    lww_text(
                        order
                            .iter()
                            .map(|s| (s.timestamp, s.writer, i64::from(s.value))),
                    )
                }
                Kind::Mv => {
                    let mut s: Vec<(ReplicaId, i64)> = values
                        .iter()
                        .filter_map(|(_, v)| {
                            if let LeafValue::Mv(r, n) = v {
                                Some((*r, *n))
                            } else {
                                None
                            }
                        })
                        .collect();
                    s.sort_unstable();
                    format!("{s:?}")
                }
                Kind::Set => {
                    let mut s: Vec<i64> = values
                        .iter()
                        .filter_map(|(_, v)| {
                            if let LeafValue::Set(e) = v {
                                Some(*e)
                            } else {
                                None
                            }
                        })
                        .collect();
                    s.sort_unstable();
                    s.dedup();
                    format!("{s:?}")
                }
                Kind::Map => "map".to_owned(),
            };
            (slot(&path, kind), text)
        })
        .collect()
}

/// Random document writes applied to a real document and its model alike.
#[derive(Debug, Default)]
pub(crate) struct DocumentAgainstModel;

impl Workload for DocumentAgainstModel {
    type State = CheckedDocument;

    fn write(
        &mut self,
        rng: &mut Rng,
        _: usize,
        d: &mut CheckedDocument,
        writer: ReplicaId,
        write: u64,
    ) -> CheckedDocument {
        let op = DocOp::draw(rng);
        Checked {
            real: op.apply(&mut d.real, writer, write),
            model: op.apply_to_model(&mut d.model, writer, write),
        }
    }

    fn check(&self, d: &CheckedDocument) -> Result<(), String> {
        let mut real = Reading::new();
        read_real(&d.real, &mut Vec::new(), &mut real);
        same(
            "Document (path#kind -> reading)",
            real,
            read_model(&d.model),
        )
    }
}
