//! `Node`: the dynamically typed value of a document: counters, flags, registers,
//! sets and nested maps under one key.

use std::fmt;

use converge_core::{Causal, CausalContext, Dot, DotFun, DotMap, DotStore, Embeddable, Embedded};
use converge_lwwregister::{LwwRegister, Stamped};
use converge_mvregister::MvRegister;
use converge_orset::OrSet;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ormap::Entry;
use crate::{Counter, Error, Flag, OrMap, Value, MAX_VALUE_DEPTH};

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

impl Kind {
    /// Every kind, in order.
    pub const ALL: [Kind; 6] = [
        Kind::Counter,
        Kind::Flag,
        Kind::Lww,
        Kind::Mv,
        Kind::Set,
        Kind::Map,
    ];

    /// The kind's stable name, as the JavaScript package shows it: `"counter"`,
    /// `"flag"`, `"lww"`, `"mv"`, `"set"` or `"map"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Flag => "flag",
            Kind::Lww => "lww",
            Kind::Mv => "mv",
            Kind::Set => "set",
            Kind::Map => "map",
        }
    }
}

/// The kind's [`name`](Kind::name).
impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A nested document map.
pub type Document = OrMap<String, Node>;

/// One part of a node: one CRDT of one kind, or the bottom of no kind (what a
/// [`DotMap`] joins a part into when the other side lacks it). Each CRDT is boxed at
/// its own size: a part is two words wherever it goes, and a counter's or a
/// register's allocation is not sized for the largest kind, a nested map.
#[derive(Clone, Default, PartialEq, Debug)]
enum Part {
    #[default]
    Empty,
    Counter(Inline<Embedded<Counter>>),
    Flag(Box<Embedded<Flag>>),
    Lww(Inline<Embedded<LwwRegister<Value>>>),
    Mv(Inline<Embedded<MvRegister<Value>>>),
    Set(Box<Embedded<OrSet<Value>>>),
    Map(Box<Embedded<Document>>),
}

/// Where a part lives: registers and counters (a context pointer and one vector)
/// inline in their node, the larger kinds boxed, so a node stays small and the
/// common field costs no allocation of its own.
trait Slot<T>: std::ops::DerefMut<Target = T> + Default {
    /// `value` in its slot.
    fn new(value: T) -> Self;
    /// The value, out of its slot.
    fn into_inner(self) -> T;
}

impl<T: Default> Slot<T> for Box<T> {
    fn new(value: T) -> Self {
        Box::new(value)
    }
    fn into_inner(self) -> T {
        *self
    }
}

/// A part kept inline (see [`Slot`]).
#[derive(Clone, Default, PartialEq, Debug)]
struct Inline<T>(T);

impl<T> std::ops::Deref for Inline<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Inline<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Default> Slot<T> for Inline<T> {
    fn new(value: T) -> Self {
        Inline(value)
    }
    fn into_inner(self) -> T {
        self.0
    }
}

/// The crate's side of [`NodeKind`]: how a kind is boxed into a node's part and found
/// in it. Private, so no type outside this crate can be a [`NodeKind`].
pub(crate) mod sealed {
    use converge_core::Embedded;

    use super::PartBox;

    /// Implemented for exactly the six kinds a node can hold.
    pub trait Sealed: Sized {
        /// Whether the kind holds [`Value`](crate::Value)s (registers and sets), so a
        /// write to it is checked against [`MAX_VALUE_DEPTH`](crate::MAX_VALUE_DEPTH).
        const HOLDS_VALUES: bool = false;
        /// How deep the deepest value in `delta` nests (0 for kinds without values).
        fn deepest_value(delta: &Self) -> usize {
            let _ = delta;
            0
        }
        /// Boxes a part of this kind.
        fn part(value: Embedded<Self>) -> PartBox;
        /// The part, if it is of this kind.
        fn of(part: &PartBox) -> Option<&Embedded<Self>>;
        /// The part as this kind (the bottom becomes this kind's empty part).
        fn of_mut(part: &mut PartBox) -> &mut Embedded<Self>;
    }
}

/// A type a [`Node`] can hold, with its [`Kind`]: [`Counter`], [`Flag`],
/// `LwwRegister<Value>`, `MvRegister<Value>`, `OrSet<Value>` and [`Document`]. Sealed:
/// no other type can be one.
pub trait NodeKind: Embeddable + sealed::Sealed {
    /// Which kind it is.
    const KIND: Kind;
}

/// One part of a node, as a dot store: a [`DotMap`] from kinds to parts joins parts of
/// the same kind, and a part with no kind (the bottom) takes the kind of what joins it.
///
/// Public only so the sealed trait can name it: this module is private and the crate
/// does not export it, so no user can name or build one.
#[derive(Clone, Default, PartialEq, Debug)]
pub struct PartBox(Part);

macro_rules! node_kinds {
    ($($variant:ident => $ty:ty $({ $($values:tt)* })?),* $(,)?) => {
        $(
            impl NodeKind for $ty {
                const KIND: Kind = Kind::$variant;
            }

            impl sealed::Sealed for $ty {
                $($($values)*)?
                fn part(value: Embedded<Self>) -> PartBox {
                    PartBox(Part::$variant(Slot::new(value)))
                }
                fn of(part: &PartBox) -> Option<&Embedded<Self>> {
                    match &part.0 {
                        Part::$variant(v) => Some(v),
                        _ => None,
                    }
                }
                fn of_mut(part: &mut PartBox) -> &mut Embedded<Self> {
                    if !matches!(part.0, Part::$variant(_)) {
                        debug_assert!(matches!(part.0, Part::Empty), "a part under another kind's key");
                        part.0 = Part::$variant(Default::default());
                    }
                    match &mut part.0 {
                        Part::$variant(v) => v,
                        _ => unreachable!("made this kind just above"),
                    }
                }
            }
        )*

        impl PartBox {
            fn as_store(&self) -> Option<&dyn ErasedStore> {
                match &self.0 {
                    Part::Empty => None,
                    $(Part::$variant(v) => Some(&**v),)*
                }
            }

            fn serialize_into<S: SerializeSeq>(&self, seq: &mut S) -> Result<(), S::Error> {
                match &self.0 {
                    Part::Empty => Ok(()),
                    $(Part::$variant(v) => seq.serialize_element(&**v),)*
                }
            }

            fn deserialize_from<'de, A: SeqAccess<'de>>(kind: Kind, seq: &mut A) -> Result<Option<PartBox>, A::Error> {
                Ok(match kind {
                    $(Kind::$variant => seq.next_element()?.map(|v| PartBox(Part::$variant(Slot::new(v)))),)*
                })
            }
        }

        /// The dot store of one kind's part; the join is that kind's join.
        impl DotStore for PartBox {
            fn is_empty(&self) -> bool {
                self.as_store().map_or(true, |s| s.is_empty())
            }

            fn dot_count(&self) -> usize {
                self.as_store().map_or(0, |s| s.dot_count())
            }

            fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
                if let Some(store) = self.as_store() {
                    store.for_each_dot(f);
                }
            }

            fn collect_dots(&self, out: &mut Vec<Dot>) {
                if let Some(store) = self.as_store() {
                    store.collect_dots(out);
                }
            }

            fn contains_dot(&self, dot: Dot) -> bool {
                self.as_store().is_some_and(|s| s.contains_dot(dot))
            }

            fn touched_by(&self, other: &Self, other_context: &CausalContext) -> Self {
                match (&self.0, &other.0) {
                    $((Part::$variant(a), Part::$variant(b)) => {
                        PartBox(Part::$variant(Slot::new(a.touched_by(b, other_context))))
                    })*
                    $((Part::$variant(a), Part::Empty) => {
                        PartBox(Part::$variant(Slot::new(a.touched_by(&Embedded::default(), other_context))))
                    })*
                    _ => self.clone(),
                }
            }

            fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
                // The bottom joins as the empty part of the other side's kind (made in
                // the other side's box, so no allocation).
                if let Part::Empty = self.0 {
                    match other.0 {
                        Part::Empty => {}
                        $(Part::$variant(mut b) => {
                            let theirs = std::mem::take(&mut *b);
                            b.join(context, theirs, other_context);
                            self.0 = Part::$variant(b);
                        })*
                    }
                    return;
                }
                match (&mut self.0, other.0) {
                    $((Part::$variant(a), Part::$variant(b)) => a.join(context, Slot::into_inner(b), other_context),)*
                    $((Part::$variant(a), Part::Empty) => a.join(context, Embedded::default(), other_context),)*
                    _ => debug_assert!(false, "parts of different kinds are never joined"),
                }
            }
        }
    };
}

node_kinds! {
    Counter => Counter,
    Flag => Flag,
    Lww => LwwRegister<Value> {
        const HOLDS_VALUES: bool = true;
        fn deepest_value(delta: &Self) -> usize {
            let writes = delta.as_causal().store.iter();
            writes.map(|(_, w)| w.value.depth()).max().unwrap_or(0)
        }
    },
    Mv => MvRegister<Value> {
        const HOLDS_VALUES: bool = true;
        fn deepest_value(delta: &Self) -> usize {
            delta.values().map(Value::depth).max().unwrap_or(0)
        }
    },
    Set => OrSet<Value> {
        const HOLDS_VALUES: bool = true;
        fn deepest_value(delta: &Self) -> usize {
            delta.iter().map(Value::depth).max().unwrap_or(0)
        }
    },
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
        Kind::ALL.into_iter().find(|k| *k as u8 == byte)
    }
}

/// The parts of a node, as a dot store: kind → part, one per kind, none empty. Its
/// join is [`DotMap`]'s, key by key. (Each part is boxed: nearly every node holds one,
/// and small entries keep the node small in its parent map's table and cheap to move.)
///
/// Public only as the store type of [`Node`]'s [`Embeddable`] impl: this module is
/// private and the crate does not export it, so no user can name or build one.
#[derive(Clone, Default, PartialEq, Debug)]
pub struct Parts(DotMap<Kind, PartBox>);

impl Parts {
    /// The parts in kind order.
    fn sorted(&self) -> Vec<(&Kind, &PartBox)> {
        self.0.iter_sorted()
    }
}

impl DotStore for Parts {
    fn is_empty(&self) -> bool {
        DotStore::is_empty(&self.0)
    }

    fn dot_count(&self) -> usize {
        DotStore::dot_count(&self.0)
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        DotStore::for_each_dot(&self.0, f);
    }

    fn collect_dots(&self, out: &mut Vec<Dot>) {
        DotStore::collect_dots(&self.0, out);
    }

    fn contains_dot(&self, dot: Dot) -> bool {
        DotStore::contains_dot(&self.0, dot)
    }

    fn touched_by(&self, other: &Self, other_context: &CausalContext) -> Self {
        Parts(self.0.touched_by(&other.0, other_context))
    }

    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        self.0.join(context, other.0, other_context);
    }
}

impl Serialize for Parts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let parts = self.sorted();
        let mut seq = serializer.serialize_seq(Some(parts.len() * 2))?;
        for (kind, part) in parts {
            seq.serialize_element(&(*kind as u8))?;
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
                let mut parts = DotMap::new();
                let mut last: Option<Kind> = None;
                while let Some(byte) = seq.next_element::<u8>()? {
                    let kind = Kind::from_byte(byte)
                        .ok_or_else(|| de::Error::custom(format!("unknown value kind {byte}")))?;
                    if last.is_some_and(|l| l >= kind) {
                        return Err(de::Error::custom("value kinds are not in ascending order"));
                    }
                    last = Some(kind);
                    let part = PartBox::deserialize_from(kind, &mut seq)?
                        .ok_or_else(|| de::Error::custom("a value kind lacks its store"))?;
                    // The first kind (usually the only one) meets no other kind's dots,
                    // and makes the map of one part at once.
                    if DotStore::is_empty(&parts) {
                        parts = DotMap::with_one(kind, part);
                        continue;
                    }
                    let mut dots = Vec::new();
                    DotStore::collect_dots(&part, &mut dots);
                    if dots.iter().any(|d| DotStore::contains_dot(&parts, *d)) {
                        return Err(de::Error::custom(
                            "the same dot appears in two kinds (one write cannot live in two places)",
                        ));
                    }
                    parts.insert(kind, part);
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
        self.state
            .store
            .0
            .get(&T::KIND)
            .and_then(T::of)
            .map(Embedded::get)
    }

    /// Whether this node holds a kind other than a nested map (a field).
    pub(crate) fn holds_field(&self) -> bool {
        self.state
            .store
            .0
            .iter()
            .any(|(kind, _)| *kind != Kind::Map)
    }

    /// Whether `other` holds the same parts besides a nested map (the same fields).
    pub(crate) fn same_fields(&self, other: &Node) -> bool {
        fn fields(n: &Node) -> impl Iterator<Item = (&Kind, &PartBox)> + '_ {
            n.state
                .store
                .0
                .iter()
                .filter(|(kind, _)| **kind != Kind::Map)
        }
        fields(self).count() == fields(other).count()
            && fields(self).all(|(kind, part)| other.state.store.0.get(kind) == Some(part))
    }

    /// A copy of the parts held here besides a nested map (the node's fields). The
    /// nested map is not copied.
    pub(crate) fn fields(&self) -> Node {
        if !self.state.store.0.contains_key(&Kind::Map) {
            return self.clone();
        }
        let mut parts = DotMap::new();
        for (kind, part) in self.state.store.0.iter() {
            if *kind != Kind::Map {
                parts.insert(*kind, part.clone());
            }
        }
        Node {
            state: Causal::new(Parts(parts), CausalContext::new()),
        }
    }

    /// The node holding only the nested map whose store is `map`, as a map's value.
    pub(crate) fn of_map(map: DotMap<String, Embedded<Node>>) -> Embedded<Node> {
        let part = <Document as sealed::Sealed>::part(Embedded::from_store(map));
        Node::of_part(Kind::Map, part)
    }

    /// The writes of a node that holds one last-writer-wins register and nothing else,
    /// when none of them is an array or an object (a *scalar field*, nearly every key
    /// of a document): what version 4 of the encoding writes apart.
    pub(crate) fn scalar_writes(&self) -> Option<&DotFun<Stamped<Value>>> {
        // By the entries, not by how the map holds them (a node left with one part
        // after a removal may hold it in a table, not inline): equal nodes must be
        // written alike.
        let mut parts = self.state.store.0.iter();
        let (Kind::Lww, part) = parts.next()? else {
            return None;
        };
        if parts.next().is_some() {
            return None;
        }
        let store = &<LwwRegister<Value> as sealed::Sealed>::of(part)?
            .get()
            .as_causal()
            .store;
        store
            .iter()
            .all(|(_, w)| !matches!(w.value, Value::Array(_) | Value::Object(_)))
            .then_some(store)
    }

    /// The node holding one last-writer-wins register whose live writes are `store`,
    /// as a map's value ([`scalar_writes`](Self::scalar_writes)'s inverse).
    pub(crate) fn of_scalar_writes(store: DotFun<Stamped<Value>>) -> Embedded<Node> {
        let part = <LwwRegister<Value> as sealed::Sealed>::part(Embedded::from_store(store));
        Node::of_part(Kind::Lww, part)
    }

    /// This node's parts other than a nested map, and the nested map `map` (if it is
    /// not empty), as a map's value; `None` if that leaves nothing. (The other parts
    /// are copied; the old nested map is not.)
    pub(crate) fn with_map(&self, map: DotMap<String, Embedded<Node>>) -> Option<Embedded<Node>> {
        let Parts(mut parts) = self.fields().state.store;
        if !DotStore::is_empty(&map) {
            let part = <Document as sealed::Sealed>::part(Embedded::from_store(map));
            parts.insert(Kind::Map, part);
        }
        (!DotStore::is_empty(&parts)).then(|| Embedded::from_store(Parts(parts)))
    }

    /// The node holding only `part`, of kind `kind`, as a map's value.
    fn of_part(kind: Kind, part: PartBox) -> Embedded<Node> {
        Embedded::from_store(Parts(DotMap::with_one(kind, part)))
    }

    /// The kind held here where a node holds one part inline (nearly every node),
    /// found with no walk.
    pub(crate) fn sole_kind(&self) -> Option<Kind> {
        self.state.store.0.sole().map(|(kind, _)| *kind)
    }

    /// The kinds held here, in no particular order (no sort).
    pub(crate) fn kinds_held(&self) -> impl Iterator<Item = Kind> + '_ {
        self.state.store.0.iter().map(|(kind, _)| *kind)
    }

    /// The kinds held here, in [`Kind`] order.
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        self.state.store.sorted().into_iter().map(|(kind, _)| *kind)
    }

    /// Runs `mutate` on the CRDT of kind `T` held here (an empty one if there is none)
    /// and returns the node delta.
    ///
    /// A write of kind `T` supersedes the parts of other kinds this replica has
    /// observed here, as a JSON document's write replaces whatever value it saw: if the
    /// write's delta holds a live write (a dot), those parts are removed and their
    /// dots go into the delta's context, so every replica that joins the delta removes
    /// them too. A part of another kind written concurrently, unseen here, survives
    /// (the node then holds both kinds). A write that only removes (a set's remove, a
    /// flag's disable, a nested map's remove) writes no dot and leaves other kinds be.
    ///
    /// This is where every value enters a document: a write whose delta holds a
    /// [`Value`] nested deeper than [`MAX_VALUE_DEPTH`] is undone and refused with
    /// [`Error::ValueTooDeep`], so no replica makes a state its peers cannot decode.
    /// (Undoing needs the part as it was: a write to a register, or to a set of at most
    /// 64 dots, copies it and the context first. A larger set is not copied,
    /// so a write costs the write, not the set: a refused write's new entries are
    /// dropped again by the causal join with their dots and nothing under them, and the
    /// context is put back. That undoes the adds of a mutator exactly; if the same
    /// mutator call also removed entries from such a set, those removals stand locally
    /// while the context forgets them, so peers send the removed entries back.)
    pub fn try_update<T: NodeKind, E: From<Error>>(
        &mut self,
        mutate: impl FnOnce(&mut T) -> Result<T, E>,
    ) -> Result<Node, E> {
        self.try_update_checked(mutate, ValuesChecked::After)
    }

    /// [`try_update`](Self::try_update), told when the values the write writes are
    /// checked against [`MAX_VALUE_DEPTH`] (see [`ValuesChecked`]).
    pub(crate) fn try_update_checked<T: NodeKind, E: From<Error>>(
        &mut self,
        mutate: impl FnOnce(&mut T) -> Result<T, E>,
        values: ValuesChecked,
    ) -> Result<Node, E> {
        // Only a write whose values are checked after it runs may need undoing.
        let check_after = T::HOLDS_VALUES && values == ValuesChecked::After;
        // A nested map's mutator writes one key deeper (so writes nested in writes
        // count).
        let mutate = |crdt: &mut T| match T::KIND {
            Kind::Map => crate::document::one_map_deeper(|| mutate(crdt)),
            _ => mutate(crdt),
        };
        // `update_part` calls it once, so `take` always finds the mutator.
        let mut once = Some(mutate);
        let delta = self.update_part(T::KIND, &mut |part, context| {
            let Some(mutate) = once.take() else {
                return Ok(Causal::default());
            };
            let copy = check_after
                && (T::KIND != Kind::Set
                    || part.as_store().map_or(0, |p| p.dot_count()) <= COPY_LIMIT);
            let part_before = copy.then(|| part.clone());
            let context_before = check_after.then(|| context.clone());
            let delta = T::of_mut(part).with_context(context, mutate)?;
            let depth = if check_after {
                T::deepest_value(&delta)
            } else {
                0
            };
            if depth > MAX_VALUE_DEPTH {
                match part_before {
                    Some(before) => *part = before,
                    None => {
                        let mut written = CausalContext::new();
                        DotStore::for_each_dot(&delta.as_causal().store, &mut |d| {
                            written.insert(d)
                        });
                        T::of_mut(part).join(context, Embedded::default(), &written);
                    }
                }
                if let Some(before) = context_before {
                    *context = before;
                }
                return Err(E::from(Error::ValueTooDeep {
                    depth,
                    max: MAX_VALUE_DEPTH,
                }));
            }
            let delta = delta.into_causal();
            let part = T::part(Embedded::from_store(delta.store));
            Ok(Causal::new(Node::of_part(T::KIND, part), delta.context))
        })?;
        Ok(Node {
            state: Causal::new(delta.store.into_store(), delta.context),
        })
    }

    /// [`try_update::<Document>`](Self::try_update) for a write further down a path,
    /// handed back as `mutate` made it: the delta of the node it changed down there
    /// under the whole write's context (see [`LeafDelta`](crate::LeafDelta)), with no
    /// map or node built around it.
    pub(crate) fn update_map_leaf<E: From<Error>>(
        &mut self,
        mutate: impl FnOnce(&mut Document) -> Result<Entry<Node>, E>,
    ) -> Result<Entry<Node>, E> {
        // `update_part` calls it once, so `take` always finds the mutator.
        let mut once = Some(mutate);
        self.update_part(Kind::Map, &mut |part, context| {
            let Some(mutate) = once.take() else {
                return Ok(Causal::default());
            };
            let map = <Document as sealed::Sealed>::of_mut(part);
            map.with_context(context, |map| {
                crate::document::one_map_deeper(|| mutate(map))
            })
        })
    }

    /// Runs `change` on the part of kind `kind` (an empty one if there is none), with
    /// the node's context lent to it, and returns the delta it made, as a node (this
    /// node's delta, or, for a write further down a path, the delta of the node it
    /// changed down there: either holds exactly the dots written, which is all the
    /// parts' map reads, see [`DotMap::try_update_by`]). A delta that writes a dot
    /// replaces the parts of other kinds observed here, and their dots go into its
    /// context (see [`try_update`](Self::try_update)). `change` is called once (a
    /// trait object, and one delta type: one copy of this and of the parts' map
    /// update for every write, where a generic closure made one per kind).
    fn update_part<E: From<Error>>(
        &mut self,
        kind: Kind,
        change: PartChange<'_, E>,
    ) -> Result<Entry<Node>, E> {
        // This node sits one key below the map being written.
        crate::document::check_path_len(1)?;
        let Causal { store, context } = &mut self.state;
        let mut delta = store.0.try_update_by(&kind, |part| change(part, context))?;
        if !DotStore::is_empty(&delta.store) {
            self.replace_other_kinds(kind, &mut delta.context);
        }
        Ok(delta)
    }

    /// Removes every part of a kind other than `kept`, as observed here (a write of
    /// kind `kept` supersedes them), and adds the removed dots to `context`, the
    /// write's delta context, so every replica that joins the delta removes them too.
    /// A part of another kind written concurrently elsewhere, unseen here, survives
    /// that join. Costs the dots removed.
    fn replace_other_kinds(&mut self, kept: Kind, context: &mut CausalContext) {
        // Nearly every node holds one kind: then there is nothing to gather.
        if self.kinds_held().all(|kind| kind == kept) {
            return;
        }
        let others: Vec<Kind> = self.kinds().filter(|k| *k != kept).collect();
        for kind in others {
            let removed = self.state.store.0.update(&kind, DotStore::remove_all);
            context.join_ref(&removed.context);
        }
    }
}

/// A change to a node's part of one kind, with the node's context lent to it, that
/// returns its delta as a node (see [`Node::update_part`]).
type PartChange<'a, E> =
    &'a mut dyn FnMut(&mut PartBox, &mut CausalContext) -> Result<Entry<Node>, E>;

/// When a write's values are checked against [`MAX_VALUE_DEPTH`]: after the write
/// runs, on its delta (any mutator: the part is copied first, so a refused write can
/// be undone), or before, by the caller (a [`Write`](crate::Write)'s value, whose
/// depth is known up front: no copy).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ValuesChecked {
    /// Checked before the write, by the caller: none is too deep.
    Before,
    /// Checked on the write's delta, undoing a refused write.
    After,
}

/// The most dots a set part may hold for a write to it to copy it first (see
/// [`Node::try_update`]); registers hold a few and are always copied.
const COPY_LIMIT: usize = 64;

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.state.store.sorted().into_iter().map(|(_, part)| part))
            .finish()
    }
}

converge_core::causal_type!([] Node, state: Parts);

/// Concurrent writes met in this node's registers and, recursively, its nested map.
impl converge_core::CountConflicts for Node {
    const MEETS_CONFLICTS: bool = true;

    fn conflicts_between(before: &Self, after: &Self) -> u64 {
        let registers =
            converge_core::register_conflicts(&before.register_dots(), &after.register_dots());
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

#[cfg(test)]
mod tests {
    use super::Kind;

    /// The names JavaScript has shown since `conflicts()` listed kinds (then taken
    /// from `Debug`): they are API, so they are pinned here.
    #[test]
    fn kind_names_are_stable() {
        let names: Vec<String> = Kind::ALL.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["counter", "flag", "lww", "mv", "set", "map"]);
        for kind in Kind::ALL {
            assert_eq!(kind.name(), format!("{kind:?}").to_lowercase());
            assert_eq!(Kind::from_byte(kind as u8), Some(kind));
        }
    }
}
