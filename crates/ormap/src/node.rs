//! `Node`: the dynamically typed value of a document: counters, flags, registers,
//! sets and nested maps under one key.

use std::fmt;

use converge_core::{Causal, CausalContext, Dot, DotStore, Embeddable, Embedded};
use converge_lwwregister::LwwRegister;
use converge_mvregister::MvRegister;
use converge_orset::OrSet;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Counter, Flag, OrMap, Value};

/// The kinds of CRDT a document [`Node`] can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A [`Counter`].
    Counter = 0,
    /// A [`Flag`].
    Flag = 1,
    /// A last-writer-wins register of [`Value`]s.
    Lww = 2,
    /// A multi-value register of [`Value`]s.
    Mv = 3,
    /// An OR-Set of [`Value`]s.
    Set = 4,
    /// A nested map of [`Node`]s.
    Map = 5,
}

/// A nested document map.
pub type Document = OrMap<String, Node>;

/// One part of a node: one CRDT of one kind.
#[derive(Clone, PartialEq, Debug)]
enum Part {
    Counter(Embedded<Counter>),
    Flag(Embedded<Flag>),
    Lww(Embedded<LwwRegister<Value>>),
    Mv(Embedded<MvRegister<Value>>),
    Set(Embedded<OrSet<Value>>),
    Map(Embedded<Document>),
}

/// A type a [`Node`] can hold, with its [`Kind`].
pub trait NodeKind: Embeddable {
    /// Which kind it is.
    const KIND: Kind;
    #[doc(hidden)]
    fn part(value: Embedded<Self>) -> PartBox;
    #[doc(hidden)]
    fn of(part: &PartBox) -> Option<&Embedded<Self>>;
    #[doc(hidden)]
    fn of_mut(part: &mut PartBox) -> Option<&mut Embedded<Self>>;
}

/// Opaque holder of one part (public only so [`NodeKind`] can name it).
#[derive(Clone, PartialEq, Debug)]
pub struct PartBox(Part);

macro_rules! node_kinds {
    ($($variant:ident => $ty:ty),* $(,)?) => {
        $(
            impl NodeKind for $ty {
                const KIND: Kind = Kind::$variant;
                fn part(value: Embedded<Self>) -> PartBox {
                    PartBox(Part::$variant(value))
                }
                fn of(part: &PartBox) -> Option<&Embedded<Self>> {
                    match &part.0 {
                        Part::$variant(v) => Some(v),
                        _ => None,
                    }
                }
                fn of_mut(part: &mut PartBox) -> Option<&mut Embedded<Self>> {
                    match &mut part.0 {
                        Part::$variant(v) => Some(v),
                        _ => None,
                    }
                }
            }
        )*

        impl PartBox {
            fn kind(&self) -> Kind {
                match &self.0 {
                    $(Part::$variant(_) => Kind::$variant,)*
                }
            }

            fn empty(kind: Kind) -> PartBox {
                match kind {
                    $(Kind::$variant => PartBox(Part::$variant(Embedded::default())),)*
                }
            }

            fn as_store(&self) -> &dyn ErasedStore {
                match &self.0 {
                    $(Part::$variant(v) => v,)*
                }
            }

            /// The part of this part that joining `other` (of the same kind, or none)
            /// can change.
            fn touched_by(&self, other: Option<&PartBox>, other_context: &CausalContext) -> PartBox {
                match (&self.0, other.map(|o| &o.0)) {
                    $((Part::$variant(a), Some(Part::$variant(b))) => PartBox(Part::$variant(a.touched_by(b, other_context))),)*
                    $((Part::$variant(a), _) => PartBox(Part::$variant(a.touched_by(&Embedded::default(), other_context))),)*
                }
            }

            /// Joins two parts of the same kind.
            fn join(&mut self, context: &CausalContext, other: PartBox, other_context: &CausalContext) {
                match (&mut self.0, other.0) {
                    $((Part::$variant(a), Part::$variant(b)) => a.join(context, b, other_context),)*
                    _ => debug_assert!(false, "parts of different kinds are never joined"),
                }
            }

            fn serialize_into<S: SerializeSeq>(&self, seq: &mut S) -> Result<(), S::Error> {
                match &self.0 {
                    $(Part::$variant(v) => seq.serialize_element(v),)*
                }
            }

            fn deserialize_from<'de, A: SeqAccess<'de>>(kind: Kind, seq: &mut A) -> Result<Option<PartBox>, A::Error> {
                Ok(match kind {
                    $(Kind::$variant => seq.next_element()?.map(|v| PartBox(Part::$variant(v))),)*
                })
            }
        }
    };
}

node_kinds! {
    Counter => Counter,
    Flag => Flag,
    Lww => LwwRegister<Value>,
    Mv => MvRegister<Value>,
    Set => OrSet<Value>,
    Map => Document,
}

/// The read side of a store, without its type.
trait ErasedStore {
    fn is_empty(&self) -> bool;
    fn dot_count(&self) -> usize;
    fn collect_dots(&self, out: &mut Vec<Dot>);
    fn for_each_dot(&self, f: &mut dyn FnMut(Dot));
    fn contains_dot(&self, dot: Dot) -> bool;
}

impl<S: DotStore> ErasedStore for S {
    fn is_empty(&self) -> bool {
        DotStore::is_empty(self)
    }
    fn dot_count(&self) -> usize {
        DotStore::dot_count(self)
    }
    fn collect_dots(&self, out: &mut Vec<Dot>) {
        DotStore::collect_dots(self, out);
    }
    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        DotStore::for_each_dot(self, f);
    }
    fn contains_dot(&self, dot: Dot) -> bool {
        DotStore::contains_dot(self, dot)
    }
}

impl Kind {
    fn from_byte(byte: u8) -> Option<Kind> {
        [
            Kind::Counter,
            Kind::Flag,
            Kind::Lww,
            Kind::Mv,
            Kind::Set,
            Kind::Map,
        ]
        .into_iter()
        .find(|k| *k as u8 == byte)
    }
}

/// The parts of a node, as a dot store: sorted by kind, one per kind, none empty.
#[derive(Clone, Default, PartialEq, Debug)]
pub struct Parts(Vec<PartBox>);

impl Parts {
    fn position(&self, kind: Kind) -> Result<usize, usize> {
        self.0.binary_search_by(|p| p.kind().cmp(&kind))
    }
}

impl DotStore for Parts {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn dot_count(&self) -> usize {
        self.0.iter().map(|p| p.as_store().dot_count()).sum()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        for part in &self.0 {
            part.as_store().for_each_dot(f);
        }
    }

    fn collect_dots(&self, out: &mut Vec<Dot>) {
        for part in &self.0 {
            part.as_store().collect_dots(out);
        }
    }

    fn contains_dot(&self, dot: Dot) -> bool {
        self.0.iter().any(|p| p.as_store().contains_dot(dot))
    }

    fn touched_by(&self, other: &Self, other_context: &CausalContext) -> Self {
        let parts = self
            .0
            .iter()
            .map(|ours| {
                let theirs = other.position(ours.kind()).ok().map(|i| &other.0[i]);
                ours.touched_by(theirs, other_context)
            })
            .filter(|p| !p.as_store().is_empty())
            .collect();
        Parts(parts)
    }

    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        // One part of the same kind on both sides (nearly every node): join in place.
        if let ([ours], [theirs]) = (self.0.as_slice(), other.0.as_slice()) {
            if ours.kind() == theirs.kind() {
                let Some(theirs) = other.0.into_iter().next() else {
                    unreachable!("matched one part just above");
                };
                self.0[0].join(context, theirs, other_context);
                self.0.retain(|p| !p.as_store().is_empty());
                return;
            }
        }
        // Our parts the other side lacks still lose the dots it has seen.
        let mut theirs = other.0.into_iter().peekable();
        let mut merged = Vec::with_capacity(self.0.len());
        for mut ours in std::mem::take(&mut self.0) {
            while let Some(t) = theirs.next_if(|t| t.kind() < ours.kind()) {
                let mut fresh = PartBox::empty(t.kind());
                fresh.join(context, t, other_context);
                merged.push(fresh);
            }
            let other_part = match theirs.next_if(|t| t.kind() == ours.kind()) {
                Some(t) => t,
                None => PartBox::empty(ours.kind()),
            };
            ours.join(context, other_part, other_context);
            merged.push(ours);
        }
        for t in theirs {
            let mut fresh = PartBox::empty(t.kind());
            fresh.join(context, t, other_context);
            merged.push(fresh);
        }
        merged.retain(|p| !p.as_store().is_empty());
        self.0 = merged;
    }
}

impl Serialize for Parts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len() * 2))?;
        for part in &self.0 {
            seq.serialize_element(&(part.kind() as u8))?;
            part.serialize_into(&mut seq)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Parts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PartsVisitor;
        impl<'de> Visitor<'de> for PartsVisitor {
            type Value = Parts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a flat array of kind, store pairs")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Parts, A::Error> {
                let mut parts: Vec<PartBox> = Vec::new();
                while let Some(byte) = seq.next_element::<u8>()? {
                    let kind = Kind::from_byte(byte)
                        .ok_or_else(|| de::Error::custom(format!("unknown value kind {byte}")))?;
                    if parts.last().is_some_and(|p| p.kind() >= kind) {
                        return Err(de::Error::custom("value kinds are not in ascending order"));
                    }
                    let part = PartBox::deserialize_from(kind, &mut seq)?
                        .ok_or_else(|| de::Error::custom("a value kind lacks its store"))?;
                    if !part.as_store().is_empty() {
                        parts.push(part);
                    }
                }
                Ok(Parts(parts))
            }
        }
        deserializer.deserialize_seq(PartsVisitor)
    }
}

/// The value under one key of a [`Document`]: normally one CRDT of one [`Kind`]. If
/// replicas concurrently write different kinds under the same key, the node keeps all
/// of them (nothing is lost) and [`kinds`](Self::kinds) lists more than one.
#[derive(Clone, Default, PartialEq)]
pub struct Node {
    state: Causal<Parts>,
}

impl Node {
    /// The CRDT of kind `T` held here, if any.
    pub fn get<T: NodeKind>(&self) -> Option<&T> {
        let parts = &self.state.store;
        parts
            .position(T::KIND)
            .ok()
            .and_then(|i| T::of(&parts.0[i]))
            .map(Embedded::get)
    }

    /// The kinds held here, in [`Kind`] order.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.state.store.0.iter().map(PartBox::kind)
    }

    /// Runs `mutate` on the CRDT of kind `T` held here (an empty one if there is none)
    /// and returns the node delta.
    pub fn try_update<T: NodeKind, E>(
        &mut self,
        mutate: impl FnOnce(&mut T) -> Result<T, E>,
    ) -> Result<Node, E> {
        let Causal { store, context } = &mut self.state;
        let i = match store.position(T::KIND) {
            Ok(i) => i,
            Err(i) => {
                // Nearly every node holds one part: room for exactly one, not the
                // four a growing vector starts with.
                store.0.reserve_exact(1);
                store.0.insert(i, PartBox::empty(T::KIND));
                i
            }
        };
        let Some(part) = T::of_mut(&mut store.0[i]) else {
            unreachable!(
                "the part at the position of kind {:?} has that kind",
                T::KIND
            );
        };
        let result = part.with_context(context, mutate);
        if store.0[i].as_store().is_empty() {
            store.0.remove(i);
        }
        let delta = result?.into_causal();
        let parts = if DotStore::is_empty(&delta.store) {
            Parts::default()
        } else {
            Parts(vec![T::part(Embedded::from_store(delta.store))])
        };
        Ok(Node {
            state: Causal::new(parts, delta.context),
        })
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.state.store.0).finish()
    }
}

converge_core::causal_type!([] Node, state: Parts);

/// Concurrent writes met in this node's registers and, recursively, its nested map.
impl converge_core::CountConflicts for Node {
    const MEETS_CONFLICTS: bool = true;

    fn conflicts_between(before: &Self, after: &Self) -> u64 {
        let registers = converge_core::register_conflicts(
            &before.register_dots().into_iter().collect::<Vec<_>>(),
            &after.register_dots().into_iter().collect::<Vec<_>>(),
        );
        let empty = Document::new();
        let nested = match after.get::<Document>() {
            Some(map) => {
                Document::conflicts_between(before.get::<Document>().unwrap_or(&empty), map)
            }
            None => 0,
        };
        registers + nested
    }
}
