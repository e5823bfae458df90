//! `DotSet`: a set of dots, the store of presence (an OR-Set element, an
//! enable-wins flag).

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Causal, CausalContext, Dot, DotStore, ReplicaId};

/// A set of dots. Non-empty means "present": an OR-Set element is present while its
/// dot set is non-empty, an enable-wins flag is on while its dot set is.
///
/// Encoded as a flat array `[replica, counter, replica, counter, …]` in dot order.
#[derive(Clone, Default)]
pub struct DotSet {
    dots: Dots,
}

/// Sorted, no duplicates. Usually one dot, kept inline: an OR-Set element then costs
/// no allocation of its own.
#[derive(Clone)]
enum Dots {
    One(Dot),
    /// Empty, or two dots and more.
    Many(Vec<Dot>),
}

impl Default for Dots {
    fn default() -> Self {
        Dots::Many(Vec::new())
    }
}

impl DotSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The set of the one dot `dot`.
    fn one(dot: Dot) -> Self {
        DotSet {
            dots: Dots::One(dot),
        }
    }

    fn as_slice(&self) -> &[Dot] {
        match &self.dots {
            Dots::One(dot) => std::slice::from_ref(dot),
            Dots::Many(dots) => dots,
        }
    }

    /// Replaces the dots with `dots` (sorted, distinct), inline if there is one.
    fn set(&mut self, mut dots: Vec<Dot>) {
        self.dots = match dots.len() {
            1 => Dots::One(dots[0]),
            _ => {
                dots.shrink_to_fit();
                Dots::Many(dots)
            }
        };
    }

    /// Whether `dot` is in the set.
    pub fn contains(&self, dot: Dot) -> bool {
        match &self.dots {
            Dots::One(d) => *d == dot,
            Dots::Many(dots) => dots.binary_search(&dot).is_ok(),
        }
    }

    /// Adds `dot`.
    pub fn insert(&mut self, dot: Dot) {
        match &mut self.dots {
            Dots::Many(dots) if dots.is_empty() => self.dots = Dots::One(dot),
            Dots::Many(dots) => {
                if let Err(at) = dots.binary_search(&dot) {
                    dots.insert(at, dot);
                }
            }
            Dots::One(d) if *d == dot => {}
            Dots::One(d) => {
                let (a, b) = (*d, dot);
                self.dots = Dots::Many(vec![a.min(b), a.max(b)]);
            }
        }
    }

    /// The dots, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Dot> + '_ {
        self.as_slice().iter().copied()
    }

    #[allow(clippy::len_without_is_empty)] // `is_empty` is `DotStore::is_empty`
    /// Number of dots.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Replaces every dot observed here with one fresh dot of `replica` (an add, or
    /// enabling a flag) and records it in `context`. Returns the exact delta: the
    /// fresh dot, with a context of the fresh dot and the replaced dots.
    pub fn write(&mut self, context: &mut CausalContext, replica: ReplicaId) -> Causal<DotSet> {
        let dot = context.next_write(replica);
        // The replaced dots come in order and the fresh dot usually follows them, so
        // `from_dots` builds the context without a search.
        let delta_context = CausalContext::from_dots(self.iter().chain([dot]));
        *self = DotSet::one(dot);
        Causal::new(DotSet::one(dot), delta_context)
    }
}

impl PartialEq for DotSet {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for DotSet {}

impl Hash for DotSet {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl FromIterator<Dot> for DotSet {
    fn from_iter<I: IntoIterator<Item = Dot>>(iter: I) -> Self {
        let mut dots: Vec<Dot> = iter.into_iter().collect();
        dots.sort_unstable();
        dots.dedup();
        let mut set = DotSet::new();
        set.set(dots);
        set
    }
}

impl DotStore for DotSet {
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn dot_count(&self) -> usize {
        self.len()
    }

    fn for_each_dot(&self, f: &mut dyn FnMut(Dot)) {
        self.as_slice().iter().for_each(|d| f(*d));
    }

    fn collect_dots(&self, out: &mut Vec<Dot>) {
        out.extend_from_slice(self.as_slice());
    }

    fn contains_dot(&self, dot: Dot) -> bool {
        self.contains(dot)
    }

    fn join(&mut self, context: &CausalContext, other: Self, other_context: &CausalContext) {
        if *self == other {
            return;
        }
        // Ours survive if the other side has them too or has never seen them.
        let ours = self.as_slice();
        let survives = |d: &Dot| other.contains(*d) || !other_context.contains(*d);
        // Theirs are new to us unless we have seen (and so removed) them.
        let news = |d: &Dot| !context.contains(*d);
        match (ours, other.as_slice()) {
            // One dot each (an element written on both sides): no allocation.
            // An element only one side holds (most of a merge of two sets).
            ([mine], []) => {
                if !survives(mine) {
                    *self = DotSet::new();
                }
            }
            ([], [theirs]) => {
                if news(theirs) {
                    *self = DotSet::one(*theirs);
                }
            }
            ([mine], [theirs]) => {
                let (mine, theirs) = (*mine, *theirs);
                *self = match (survives(&mine), news(&theirs)) {
                    (true, true) => DotSet::from_iter([mine, theirs]),
                    (true, false) => DotSet::one(mine),
                    (false, true) => DotSet::one(theirs),
                    (false, false) => DotSet::new(),
                };
            }
            (ours, theirs) => {
                let mut dots: Vec<Dot> = ours.iter().copied().filter(survives).collect();
                dots.extend(theirs.iter().copied().filter(news));
                dots.sort_unstable();
                dots.dedup();
                self.set(dots);
            }
        }
    }
}

impl fmt::Debug for DotSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.as_slice()).finish()
    }
}

impl Serialize for DotSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len() * 2))?;
        for dot in self.as_slice() {
            seq.serialize_element(&dot.replica)?;
            seq.serialize_element(&dot.counter)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for DotSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(FlatDots)
    }
}

/// Reads the flat `[replica, counter, …]` form shared by [`DotSet`] and, with a value
/// after each pair, [`DotFun`](crate::DotFun).
pub(crate) fn next_dot<'de, A: SeqAccess<'de>>(seq: &mut A) -> Result<Option<Dot>, A::Error> {
    let Some(replica) = seq.next_element::<ReplicaId>()? else {
        return Ok(None);
    };
    let counter: u64 = seq.next_element()?.ok_or_else(|| {
        serde::de::Error::custom("a dot's replica is not followed by its counter")
    })?;
    Dot::checked(replica, counter)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

struct FlatDots;

impl<'de> Visitor<'de> for FlatDots {
    type Value = DotSet;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a flat array of replica, counter pairs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DotSet, A::Error> {
        // Not sized from the length the input claims: grown by the dots really there.
        let mut dots = Vec::new();
        while let Some(dot) = next_dot(&mut seq)? {
            dots.push(dot);
        }
        Ok(dots.into_iter().collect())
    }
}
